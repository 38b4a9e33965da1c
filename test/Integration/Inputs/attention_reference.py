"""Paged attention in float64 with NumPy: the one reference the integration
tests check kvcache.attention against (paged_attention_case.py,
fp8_cache_case.py, guard_case.py, decoder_step.py, mla_case.py).

A request's keys sit at positions 0 .. total - 1 of its cache; position p is
slot p % page_size of page lookup_table[request, p // page_size] (ABI.md).
"""

import numpy as np


def shuffled_page_table(rng, totals, page_size, spare):
    """lookup_table for requests of `totals` tokens (ABI.md): each takes
    ceil(total / page_size) pages from one shuffle (rng.permutation) of a
    pool with `spare` pages nobody uses; columns round_up(max pages, 8) +
    16, unassigned ones holding the sentinel total_num_pages. Returns
    (table, total_num_pages)."""
    pages_needed = [(t + page_size - 1) // page_size for t in totals]
    num_pages = sum(pages_needed) + spare
    columns = (max(pages_needed, default=0) + 7) // 8 * 8 + 16
    order = rng.permutation(num_pages)  # shuffled, not contiguous
    table = np.full((len(totals), columns), num_pages, dtype=np.int32)
    next_page = 0
    for b, n in enumerate(pages_needed):
        table[b, :n] = order[next_page:next_page + n]
        next_page += n
    return table, num_pages


def cache_slots(table_row, page_size, positions):
    """The (page, slot) pairs that hold `positions` of one request."""
    positions = np.asarray(positions)
    return table_row[positions // page_size], positions % page_size


def causal_visible(context, n, keys):
    """[n, keys]: query row i of a request with `context` cached tokens
    sees keys 0 .. context + i (its own token included)."""
    return np.arange(keys)[None, :] < (context + np.arange(n) + 1)[:, None]


def attend(rows, k, v, scale, visible=None):
    """Softmax(rows . k^T x scale) . v for one request, in float64.

    rows [n, q_heads, d], k [keys, kv_heads, d], v [keys, kv_heads, dv]: q
    head h reads kv head h // (q_heads / kv_heads); the output has v's width
    (dv < d on an MLA cache, whose value is the latent row's first lanes). visible [n, keys] (default: all) masks keys a
    row does not see; those contribute nothing, as the kernels never read
    them. A non-finite value in v stays in its lane (an einsum would spread
    it over every lane of the row)."""
    n, q_heads, d = rows.shape
    keys, kv_heads = k.shape[0], k.shape[1]
    group = q_heads // kv_heads
    rows = np.asarray(rows, np.float64).reshape(n, kv_heads, group, d)
    k, v = np.asarray(k, np.float64), np.asarray(v, np.float64)
    if visible is None:
        visible = np.ones((n, keys), dtype=bool)
    mask = visible[:, None, None, :]  # [n, 1, 1, keys]
    scores = np.where(mask, np.einsum("nhgd,thd->nhgt", rows, k) * scale,
                      -np.inf)
    w = np.exp(scores - scores.max(axis=-1, keepdims=True))
    w /= w.sum(axis=-1, keepdims=True)
    if np.all(np.isfinite(v)):
        out = np.einsum("nhgt,thd->nhgd", w, v)
    else:
        terms = w[..., None] * v.transpose(1, 0, 2)[None, :, None]
        out = np.where(mask[..., None], terms, 0.0).sum(axis=-2)
    return out.reshape(n, q_heads, v.shape[-1])
