"""A serving loop over a paged KV cache with the kvcache Python package.

Compiles examples/llama3-8b-decode.mlir (32 layers, 32 q / 8 kv heads,
head_dim 128, page 128, bf16), admits 4 requests, runs one prefill step
with all their prompts, then 16 decode steps, and checks the last step's
attention against a NumPy reference read back from the pool's pages.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/decode_loop.py
"""

import argparse
import os
import sys
import time

import numpy as np

import kvcache

LAYERS, Q_HEADS, KV_HEADS, HEAD_DIM, PAGE_SIZE = 32, 32, 8, 128, 128
PROMPT_LENGTHS = [3, 17, 40, 90]
DECODE_STEPS = 16

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", help="keep the bundle in this directory")
parser.add_argument("--target", default="cpu",
                    help="cpu (default), sim, or a chip such as sm_90a")
args = parser.parse_args()

graph = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                     "..", "llama3-8b-decode.mlir")
# Without --out the bundle lives in a temporary directory until it closes.
bundle = kvcache.compile(graph, target=args.target, out=args.out)
print(bundle)

# The pool: 8 pages of [K/V, layer, slot, kv head, head_dim] bf16, 16 MiB
# each. NumPy host memory; for a GPU bundle it is copied to the device and
# back on every call, so a real engine would pass torch_device="cuda" and
# torch tensors for q/key/value/out, which are bound in place.
cache = kvcache.PagedCache(total_num_pages=8, num_layers=LAYERS,
                           page_size=PAGE_SIZE, num_kv_heads=KV_HEADS,
                           head_dim=HEAD_DIM, dtype="bf16")
rng = np.random.default_rng(0)


def bf16_rows(rows, heads):
    """`rows` token rows of N(0, 1) values as bf16 bit patterns."""
    return kvcache.float32_to_bfloat16(
        rng.standard_normal((rows, heads, HEAD_DIM), dtype=np.float32))


def run_step(ids):
    """One step for `ids`: every layer stores each request's new K/V rows
    in its pages, then attends over its whole cache; returns (step, q, out)."""
    step = cache.step(ids)
    rows = int(step.input_row_offsets[-1])
    q = bf16_rows(rows, Q_HEADS)
    out = np.zeros_like(q)
    bundle.decode_step(step, q=q, key=bf16_rows(rows, KV_HEADS),
                       value=bf16_rows(rows, KV_HEADS),
                       input_row_offsets=step.input_row_offsets, out=out)
    return step, q, out


# Prefill: each request arrives with nothing cached and its whole prompt.
ids = cache.allocate_batch([(0, length) for length in PROMPT_LENGTHS])
run_step(ids)

# Decode: one new token per request per step.
start = time.perf_counter()
for _ in range(DECODE_STEPS):
    for request in ids:
        cache.advance(request, 1)  # last step's tokens are cached now
    step, q, out = run_step(ids)
seconds = time.perf_counter() - start
print(f"{len(ids) * DECODE_STEPS / seconds:.1f} tokens/s "
      f"({len(ids)} requests x {DECODE_STEPS} decode steps, {seconds:.2f} s)")


def reference(request, q_row):
    """Attention of one query row over the request's cached tokens, the
    new one included, in float64 from the last layer's pages."""
    cache_length, new, pages = cache.request(request)
    positions = np.arange(cache_length + new)
    page, slot = pages[positions // PAGE_SIZE], positions % PAGE_SIZE
    key, value = (kvcache.bfloat16_to_float32(
        cache.kv_blocks[page, kv, LAYERS - 1, slot]).astype(np.float64)
        for kv in (0, 1))  # [tokens, kv head, head_dim]
    group = Q_HEADS // KV_HEADS  # GQA: q head h reads kv head h // group
    key, value = np.repeat(key, group, 1), np.repeat(value, group, 1)
    query = kvcache.bfloat16_to_float32(q_row).astype(np.float64)
    scores = np.einsum("hd,thd->ht", query, key) / np.sqrt(HEAD_DIM)
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    return np.einsum("ht,thd->hd", weights, value)


# bf16 keeps 8 significant bits: each output is within 2^-8 of its value
# (rounding, plus f32 accumulation) of the float64 reference.
error, passed = 0.0, True
for request, row in zip(ids, step.input_row_offsets[:-1]):
    got = kvcache.bfloat16_to_float32(out[row])
    want = reference(request, q[row])
    error = max(error, np.abs(got - want).max())
    passed &= bool(np.all(np.abs(got - want) <= 2**-8 * np.abs(want) + 1e-3))
if not passed:
    sys.exit(f"decode_loop: reference check FAILED (max error {error:.3g})")
print(f"decode_loop: {len(ids)} requests, {DECODE_STEPS} steps, "
      f"reference check passed (max error {error:.3g})")
