"""Inputs for, and the check of, store-run.mlir: a ragged batch's new K/V
rows must land at page lookup_table[b, pos // page_size], slot
pos % page_size, position cache_lengths[b] + i, and nowhere else."""

import os
import sys

import numpy as np

PAGE_SIZE, NUM_LAYERS, KV_HEADS, HEAD_DIM = 4, 2, 2, 8
LAYER = 1
CACHE_LENGTHS = np.array([5, 2, 0], dtype=np.int32)
NEW_TOKENS = np.array([3, 6, 1], dtype=np.int32)


def inputs():
    rng = np.random.default_rng(7)
    lengths = CACHE_LENGTHS + NEW_TOKENS
    pages = -(-lengths // PAGE_SIZE)
    total_pages = int(pages.sum()) + 2  # two pages nobody owns
    # ABI: columns padded to round_up(max pages, 8) + 16, unassigned slots hold
    # the out-of-range sentinel total_pages. Pages are shuffled so that a
    # lowering that ignored the table would write to the wrong ones.
    columns = -(-int(pages.max()) // 8) * 8 + 16
    table = np.full((len(lengths), columns), total_pages, dtype=np.int32)
    order = rng.permutation(total_pages).astype(np.int32)
    first = 0
    for b, n in enumerate(pages):
        table[b, :n] = order[first:first + n]
        first += n
    offsets = np.concatenate([[0], np.cumsum(NEW_TOKENS)]).astype(np.int32)
    rows = int(offsets[-1])
    shape = (total_pages, 2, NUM_LAYERS, PAGE_SIZE, KV_HEADS, HEAD_DIM)
    return {
        "kv_blocks": rng.standard_normal(shape).astype(np.float32),
        "cache_lengths": CACHE_LENGTHS,
        "lookup_table": table,
        "max_lengths": np.array([[NEW_TOKENS.max(), lengths.max()]],
                                dtype=np.int32),
        "key": rng.standard_normal((rows, KV_HEADS, HEAD_DIM)).astype(np.float32),
        "value": rng.standard_normal((rows, KV_HEADS, HEAD_DIM)).astype(np.float32),
        "input_row_offsets": offsets,
        "layer": np.array(LAYER, dtype=np.int64),
    }


def write(directory):
    os.makedirs(directory, exist_ok=True)
    for name, array in inputs().items():
        np.save(os.path.join(directory, name + ".npy"), array)


def check(inputs_dir, outputs_dir):
    given = {name: np.load(os.path.join(inputs_dir, name + ".npy"))
             for name in inputs()}
    expected = given["kv_blocks"].copy()
    offsets, table = given["input_row_offsets"], given["lookup_table"]
    for b in range(len(given["cache_lengths"])):
        for row in range(offsets[b], offsets[b + 1]):
            position = given["cache_lengths"][b] + row - offsets[b]
            page = table[b, position // PAGE_SIZE]
            slot = position % PAGE_SIZE
            expected[page, 0, LAYER, slot] = given["key"][row]
            expected[page, 1, LAYER, slot] = given["value"][row]
    got = np.load(os.path.join(outputs_dir, "kv_blocks.npy"))
    if not np.array_equal(got, expected):
        wrong = np.argwhere(got != expected)
        sys.exit("kv_blocks differs at %d elements, first at %s"
                 % (len(wrong), tuple(wrong[0])))
    changed = int(np.count_nonzero(got != given["kv_blocks"]))
    print("stored %d rows; %d elements changed; the rest untouched"
          % (offsets[-1], changed))


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3])
