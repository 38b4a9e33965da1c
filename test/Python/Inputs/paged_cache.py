"""kvcache.PagedCache against ABI.md's rules, worked by hand here, and a
serving loop's steps through a CPU bundle of test/GPU-Host/decode.mlir
(8 q heads, 2 kv heads, head_dim 128, page 16, one layer, bf16): a prefill
step stores every prompt row where the pages say, and a decode step's
attention equals a float64 NumPy reference over the pool.

    paged_cache.py BUNDLE"""

import sys

import numpy as np

import kvcache

PAGE, KV_HEADS, Q_HEADS, DIM, PAGES = 16, 2, 8, 128, 12


def rules():
    cache = kvcache.PagedCache(total_num_pages=PAGES, num_layers=1,
                               page_size=PAGE, num_kv_heads=KV_HEADS,
                               head_dim=DIM, seed=7)
    a, b = cache.allocate_batch([(0, 20), (30, 3)])
    pages = {r: cache.request(r)[2] for r in (a, b)}
    print(f"pages: {len(pages[a])} and {len(pages[b])} "
          f"(ceil(20/16), ceil(33/16)), free {cache.num_free_pages}")
    taken = np.concatenate(list(pages.values()))
    print(f"  distinct and in the pool: "
          f"{len(set(taken)) == len(taken) and taken.max() < PAGES}")
    step = cache.step([a, b], steps_remaining=3)
    table = step["lookup_table"]
    # round_up(max pages, 8) + 16 columns; unassigned slots hold the pool
    # size.
    print(f"lookup_table: shape {table.shape}, "
          f"rows hold the pages: {list(table[0, :2]) == list(pages[a])}, "
          f"padding {set(table[0, 2:]) | set(table[1, 3:])}")
    print(f"cache_lengths {step['cache_lengths'].tolist()}, "
          f"input_row_offsets {step.input_row_offsets.tolist()}")
    print(f"max_lengths {step['max_lengths'].tolist()}")
    print(f"attention_dispatch_metadata "
          f"{step['attention_dispatch_metadata'].tolist()}")
    # One split per 512 keys, at most 132 SMs / (batch * kv heads).
    big = kvcache.PagedCache(total_num_pages=400, num_layers=1, page_size=16,
                             num_kv_heads=8, head_dim=DIM)
    r = big.allocate(4000, 1)
    for sms in (0, 16):
        print(f"split-K for 4001 keys, num_sms {sms}: "
              f"{big.step([r], num_sms=sms)['attention_dispatch_metadata'][2]}")

    # An MLA pool: MLA's 3-entry metadata and its own split count.
    mla = kvcache.PagedCache(total_num_pages=400, num_layers=1, page_size=16,
                             num_kv_heads=1, head_dim=576, kv_dim=1)
    step = mla.step([mla.allocate(4000, 1)], num_sms=16)
    print(f"MLA: attention_dispatch_metadata "
          f"{step['attention_dispatch_metadata'].tolist()}, mla_num_partitions "
          f"{step['mla_num_partitions'].tolist()}")

    free = cache.num_free_pages
    cache.advance(a, 1)   # 20 cached + 1: still 2 pages
    print(f"advance within a page: {cache.request(a)[:2]}, took "
          f"{free - cache.num_free_pages}")
    for _ in range(11):
        cache.advance(a, 1)  # to 31 cached + 1 = 32 tokens
    cache.advance(a, 1)   # 33 tokens: a third page
    print(f"advance across a page: {cache.request(a)[:2]}, took "
          f"{free - cache.num_free_pages}")
    try:
        cache.advance(b, 1000)
    except kvcache.OutOfPagesError:
        print(f"out of pages: unchanged {cache.request(b)[:2]}, free "
              f"{cache.num_free_pages}")
    cache.release(b)
    print(f"released: free {cache.num_free_pages}")
    try:
        cache.request(b)
    except kvcache.Error as error:
        print(f"released request: {error.message}")


def bf16(rng, shape, scale=1.0):
    return kvcache.float32_to_bfloat16(rng.standard_normal(shape) * scale)


def attend(q, keys, values):
    """float64 attention of q [heads, DIM] over keys/values [tokens,
    kv heads, DIM], q head h reading kv head h // (Q_HEADS // KV_HEADS)."""
    group = Q_HEADS // KV_HEADS
    out = np.empty_like(q)
    for h in range(Q_HEADS):
        scores = keys[:, h // group] @ q[h] / np.sqrt(DIM)
        weights = np.exp(scores - scores.max())
        out[h] = weights @ values[:, h // group] / weights.sum()
    return out


def serving_loop(directory):
    bundle = kvcache.load(directory)
    cache = kvcache.PagedCache(total_num_pages=PAGES, num_layers=1,
                               page_size=PAGE, num_kv_heads=KV_HEADS,
                               head_dim=DIM, seed=3)
    prompts = [5, 17, 33]
    ids = cache.allocate_batch([(0, n) for n in prompts])
    rng = np.random.default_rng(0)
    rows = sum(prompts)
    key, value = bf16(rng, (rows, KV_HEADS, DIM)), bf16(rng, (rows, KV_HEADS, DIM))
    step = cache.step(ids)
    bundle.decode(step, q=bf16(rng, (rows, Q_HEADS, DIM)), key=key,
                  value=value, input_row_offsets=step.input_row_offsets,
                  out=np.zeros((rows, Q_HEADS, DIM), np.uint16), layer=0)
    pool = cache.kv_blocks
    stored = all(
        np.array_equal(pool[pages[t // PAGE], 0, 0, t % PAGE], key[start + t])
        and np.array_equal(pool[pages[t // PAGE], 1, 0, t % PAGE],
                           value[start + t])
        for r, start, n in zip(ids, step.input_row_offsets, prompts)
        for pages in [cache.request(r)[2]] for t in range(n))
    print(f"prefill: every prompt row stored in its page and slot: {stored}")

    for r in ids:
        cache.advance(r, 1)
    step = cache.step(ids)
    q = bf16(rng, (3, Q_HEADS, DIM), 2.0)
    key, value = bf16(rng, (3, KV_HEADS, DIM)), bf16(rng, (3, KV_HEADS, DIM))
    out = np.zeros((3, Q_HEADS, DIM), np.uint16)
    bundle.decode(step, q=q, key=key, value=value, layer=0,
                  input_row_offsets=step.input_row_offsets, out=out)
    f = lambda bits: kvcache.bfloat16_to_float32(bits).astype(np.float64)  # noqa: E731
    error = 0.0
    for i, r in enumerate(ids):
        cached, _, pages = cache.request(r)
        tokens = np.arange(cached + 1)
        where = (pages[tokens // PAGE], tokens % PAGE)
        keys = f(pool[where[0], 0, 0, where[1]])
        values = f(pool[where[0], 1, 0, where[1]])
        expected = attend(f(q[i]), keys, values)
        error = max(error, np.abs(f(out[i]) - expected).max())
    print(f"decode: {len(ids)} requests, attention within bf16 rounding of "
          f"the float64 reference: {error < 1.0 / 64} (max error {error:.2g})")


if __name__ == "__main__":
    rules()
    serving_loop(sys.argv[1])
