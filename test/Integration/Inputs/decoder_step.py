"""Inputs for, and the check of, decoder-step.mlir against NumPy.

  decoder_step.py write DIR          the inputs, as kvcache-run reads them
  decoder_step.py check IN OUT       OUT (kvcache-run --outputs) against IN

The projections are exact in f32 whatever the summation order (small
integers times multiples of 1/16), so the stored K/V rows are compared bit
for bit: layer 1 gets the prompt's rows at each request's next positions and
every other row of the pool, layer 0 included, keeps its bits. `out` is the
gated attention, checked against attention_reference.py in float64.
"""

import os
import sys

import numpy as np

import attention_reference

TOKENS, MODEL, Q_HEADS, KV_HEADS, HEAD_DIM = 6, 16, 4, 2, 8
PAGE_SIZE, LAYER, PAGES = 4, 1, 7
CONTEXT = [3, 0, 5]  # cached tokens per request
PROMPT = [2, 1, 3]  # new tokens per request
# The requests' pages in no particular order; pages 0 and 4 are nobody's
# (request 1 needs only its first entry).
TABLE = [[5, 1], [3, 0], [6, 2]]
TOLERANCE = 1e-5


def inputs():
    rng = np.random.default_rng(16)
    offsets = np.concatenate([[0], np.cumsum(PROMPT)]).astype(np.int32)
    return {
        "x": rng.integers(-2, 3, (TOKENS, MODEL)).astype(np.float32),
        "wq": (rng.integers(-4, 5, (MODEL, Q_HEADS * HEAD_DIM)) / 16).astype(
            np.float32),
        "wkv": (rng.integers(-4, 5, (MODEL, 2 * KV_HEADS * HEAD_DIM)) /
                16).astype(np.float32),
        "input_row_offsets": offsets,
        "gate": rng.uniform(0.5, 2.0, (TOKENS, Q_HEADS * HEAD_DIM)).astype(
            np.float32),
        "out": np.zeros((TOKENS, Q_HEADS * HEAD_DIM), np.float32),
        "kv_blocks": rng.standard_normal(
            (PAGES, 2, 2, PAGE_SIZE, KV_HEADS, HEAD_DIM)).astype(np.float32),
        "cache_lengths": np.array(CONTEXT, np.int32),
        "lookup_table": np.array(TABLE, np.int32),
        "max_lengths": np.array(
            [[max(PROMPT), max(c + n for c, n in zip(CONTEXT, PROMPT))]],
            np.int32),
    }


def write(directory):
    os.makedirs(directory, exist_ok=True)
    for name, array in inputs().items():
        np.save(os.path.join(directory, name + ".npy"), array)


def expected(given):
    """The pool after the store, and out, in float64."""
    x = given["x"].astype(np.float64)
    q = (x @ given["wq"]).reshape(TOKENS, Q_HEADS, HEAD_DIM)
    kv = (x @ given["wkv"]).reshape(TOKENS, 2, KV_HEADS, HEAD_DIM)
    blocks = given["kv_blocks"].copy()
    offsets = given["input_row_offsets"]
    out = np.zeros((TOKENS, Q_HEADS, HEAD_DIM))
    for b, (c, n) in enumerate(zip(CONTEXT, PROMPT)):
        rows = slice(offsets[b], offsets[b] + n)
        page, slot = attention_reference.cache_slots(
            given["lookup_table"][b], PAGE_SIZE, np.arange(c, c + n))
        blocks[page, :, LAYER, slot] = kv[rows]  # exact in f32
        page, slot = attention_reference.cache_slots(
            given["lookup_table"][b], PAGE_SIZE, np.arange(c + n))
        k, v = blocks[page, 0, LAYER, slot], blocks[page, 1, LAYER, slot]
        out[rows] = attention_reference.attend(
            q[rows], k, v, 1.0 / np.sqrt(HEAD_DIM),
            attention_reference.causal_visible(c, n, c + n))
    return blocks, out.reshape(TOKENS, -1) * given["gate"]


def check(inputs_dir, outputs_dir):
    given = {name: np.load(os.path.join(inputs_dir, name + ".npy"))
             for name in inputs()}
    got = {name: np.load(os.path.join(outputs_dir, name + ".npy"))
           for name in ("out", "kv_blocks")}
    blocks, out = expected(given)
    error = float(np.max(np.abs(got["out"] - out)))
    print(f"max abs error {error:.3g} (tolerance {TOLERANCE:g})")
    stored = int(np.sum(np.any(blocks != given["kv_blocks"], axis=(-2, -1))))
    differ = int(np.sum(np.any(
        got["kv_blocks"].view(np.uint32) != blocks.view(np.uint32),
        axis=(-2, -1))))
    print(f"kv_blocks: {stored} rows stored, {differ} rows differ")
    return error <= TOLERANCE and differ == 0 and stored == 2 * sum(PROMPT)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "write":
        write(sys.argv[2])
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        return 0 if check(sys.argv[2], sys.argv[3]) else 1
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
