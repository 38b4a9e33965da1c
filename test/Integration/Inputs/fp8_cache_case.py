#!/usr/bin/env python3
"""One end-to-end case on an FP8 (f8E4M3FN) cache, checked against NumPy.

Writes a graph (an optional kvcache.store, then kvcache.attention) over a
cache of f8E4M3FN kv_blocks and f32 kv_scales, compiles it with
kvcache-compile --target=cpu, runs it with kvcache-run, and checks:

- the pool after the store, bit for bit: every new row quantised by
  docs/ABI.md's rule (per token, kv head and lane group: amax over the
  finite |x|, scale = fl32(amax / 448) or 1 when amax is 0, byte = x / scale
  in f32 rounded to the nearest e4m3 value, ties to even, saturating to
  +-448, NaN as 0x7F), every other byte and scale unchanged;
- attention against a float64 reference over the dequantised K and V
  (byte value x scale), NaN exactly where the reference has NaN.

NumPy has no e4m3, and nothing here uses the compiler's or the runtime's
conversions: the 256 byte values come from the format's definition in
exact fractions, and rounding picks the nearer of the two neighbouring
values, comparing with their exact midpoint (every e4m3 value and midpoint
is a float64 with few bits, so the comparisons are exact).

--all-bytes: no store; every request has one key (context 0, prompt 1),
whose V lanes hold all 256 bytes between them. With one key the softmax
weight is exactly 1, so `out` must equal fl32(value(byte) x scale) (rounded
to the q dtype) exactly: every byte's decoding is checked, NaNs included
(only the sign of a zero may differ: the sum starts at +0).

--specials: the stored rows get +inf and -inf and a NaN (ignored by amax;
stored as +-448 and 0x7F), a -0, one all-zero lane group (scale 1), and a
group of rounding ties (TIES below).
"""
import argparse
import os
import sys
from fractions import Fraction

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attention_reference  # noqa: E402
from paged_attention_case import (CPU_TOLERANCE, ELEMENT_TYPES,  # noqa: E402
                                  CaseError, lengths, run_command)

E4M3_MAX = 448.0
NAN_BYTE = 0x7F


def e4m3_value(byte):
    """The exact value of an e4m3fn byte (s eeee mmm, bias 7), or None for
    NaN (0x7F, 0xFF; the format has no infinities)."""
    sign = -1 if byte & 0x80 else 1
    exponent, mantissa = (byte >> 3) & 0xF, byte & 0x7
    if exponent == 0xF and mantissa == 0x7:
        return None
    if exponent == 0:
        return sign * Fraction(mantissa, 512)
    return sign * Fraction(8 + mantissa, 8) * Fraction(2) ** (exponent - 7)


def _tables():
    decode = np.empty(256, np.float64)
    for byte in range(256):
        v = e4m3_value(byte)
        # copysign: Fraction has no -0, and 0x80 is -0.
        decode[byte] = (np.nan if v is None else
                        np.copysign(float(v), -1.0 if byte & 0x80 else 1.0))
        assert v is None or Fraction(decode[byte]) == v
    # The non-negative finite values, codes 0x00 .. 0x7E, in increasing
    # order, and the midpoints between neighbours.
    positive = [e4m3_value(b) for b in range(0x7F)]
    assert all(x < y for x, y in zip(positive, positive[1:]))
    mids = [(x + y) / 2 for x, y in zip(positive, positive[1:])]
    assert all(Fraction(float(m)) == m for m in mids)
    return (decode, np.array([float(v) for v in positive]),
            np.array([float(m) for m in mids]))


DECODE, POSITIVE, MIDPOINTS = _tables()


def encode(y):
    """e4m3fn bytes of float32 `y`: nearest, ties to even (the even code),
    saturating to +-448, NaN -> 0x7F."""
    y = np.asarray(y, np.float32)
    mag = np.abs(y.astype(np.float64))
    clipped = np.minimum(np.nan_to_num(mag, nan=0.0), E4M3_MAX)
    upper = np.searchsorted(POSITIVE, clipped, side="left")  # POS[u] >= mag
    lower = np.maximum(upper - 1, 0)
    mid = MIDPOINTS[np.minimum(lower, len(MIDPOINTS) - 1)]
    exact = POSITIVE[upper] == clipped
    code = np.where(clipped < mid, lower, upper)
    tie = (clipped == mid) & ~exact
    code = np.where(tie, np.where(lower % 2 == 0, lower, upper), code)
    code = np.where(exact, upper, code)
    code = code | np.where(np.signbit(y), 0x80, 0)
    return np.where(np.isnan(y), NAN_BYTE, code).astype(np.uint8)


def quantise(x):
    """The rule over the last axis (one lane group): bytes and the f32
    scale of each group of float32 `x`."""
    x = np.asarray(x, np.float32)
    finite = np.isfinite(x)
    amax = np.max(np.where(finite, np.abs(x), np.float32(0)), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scale = np.where(amax == 0, np.float32(1),
                         amax / np.float32(E4M3_MAX)).astype(np.float32)
        y = (x / scale[..., None]).astype(np.float32)
    return encode(y), scale


def quantise_rows(x, granularity):
    """[..., head_dim] float32 -> bytes [..., head_dim], scales
    [..., head_dim / granularity]."""
    groups = x.shape[-1] // granularity
    grouped = x.reshape(x.shape[:-1] + (groups, granularity))
    codes, scales = quantise(grouped)
    return codes.reshape(x.shape), scales


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--compile", required=True, help="kvcache-compile binary")
    p.add_argument("--run", required=True, help="kvcache-run binary")
    p.add_argument("--workdir", required=True)
    p.add_argument("--dtype", choices=sorted(ELEMENT_TYPES), default="f32",
                   help="q, key, value and out")
    p.add_argument("--context", default="5", help="cache length per request")
    p.add_argument("--prompt", default="1", help="new tokens per request")
    p.add_argument("--q-heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int, default=2)
    p.add_argument("--head-dim", type=int, default=64)
    p.add_argument("--granularity", type=int, default=64)
    p.add_argument("--page-size", type=int, default=16)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--layer", type=int, default=1)
    p.add_argument("--causal", action="store_true")
    p.add_argument("--store", action="store_true")
    p.add_argument("--specials", action="store_true")
    p.add_argument("--all-bytes", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    if a.head_dim % a.granularity:
        p.error("--granularity must divide --head-dim")
    if a.specials and (not a.store or a.granularity < 8):
        p.error("--specials needs --store and --granularity >= 8")
    one_key = (set(a.context.split(",")) == {"0"}
               and set(a.prompt.split(",")) == {"1"})
    if a.all_bytes and (a.store or not one_key):
        p.error("--all-bytes takes no --store, contexts 0 and prompts 1")
    return a


def graph(a):
    d, hq, hk, p, nl = a.head_dim, a.q_heads, a.kv_heads, a.page_size, a.layers
    groups = d // a.granularity
    kv = ("!kvcache.inputs<"
          f"kv_blocks: memref<?x2x{nl}x{p}x{hk}x{d}xf8E4M3FN>, "
          "cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, "
          "max_lengths: memref<?x2xi32>, "
          f"kv_scales: memref<?x2x{nl}x{p}x{hk}x{groups}xf32>>")
    rows = f"memref<?x{hq}x{d}x{a.dtype}>"
    kvrows = f"memref<?x{hk}x{d}x{a.dtype}>"
    store = (f"  kvcache.store %kv, %layer, %key, %value, %offsets : !kv, "
             f"{kvrows}, {kvrows}, memref<?xi32>\n") if a.store else ""
    attrs = "{causal}" if a.causal else ""
    return f"""!kv = {kv}
func.func @step(%q: {rows} {{kvcache.name = "q"}},
                %key: {kvrows} {{kvcache.name = "key"}},
                %value: {kvrows} {{kvcache.name = "value"}},
                %offsets: memref<?xi32> {{kvcache.name = "input_row_offsets"}},
                %out: {rows} {{kvcache.name = "out", kvcache.role = "output"}}) {{
  %kv = kvcache.inputs_per_device device(0) : !kv
  %layer = arith.constant {a.layer} : index
{store}  kvcache.attention %kv, %layer, %q, %offsets, %out {attrs} : !kv, {rows}, memref<?xi32>, {rows}
  return
}}
"""


def rows_f32(et, encoded):
    """The float32 values a row of the activation dtype holds (exact)."""
    return et.decode(encoded).astype(np.float32)


# A lane group whose amax 6.125 makes the scale exactly 7 * 2^-9, and whose
# values divide by it to ties (6.5 * 2^-9 -> 6 * 2^-9, 1.5625 * 2^-6 ->
# 1.5 * 2^-6, 1 + 1/16 -> 1, 1 + 3/16 -> 1.25, 2^-10 -> 0, 3 * 2^-10 ->
# 2^-8, 15 * 2^-10 -> 2^-6, 432 -> 448): ties rounded away from even change
# bytes, and so does a multiply by fl32(1 / scale) instead of the division
# (it moves the first two off their ties). Every value is exact in bf16 and
# f16.
TIES = 7 * 2.0**-9 * np.array(
    [448, 6.5 * 2.0**-9, 1.5625 * 2.0**-6, 1.0625, 1.1875, 2.0**-10,
     3 * 2.0**-10, 15 * 2.0**-10, 432, -1.0625], np.float32)


def add_specials(a, et, key, value):
    """+-inf, NaNs and -0 in the first stored row, the TIES group at the end
    of its last head; an all-zero group in the last row."""
    k, v = rows_f32(et, key), rows_f32(et, value)
    k[0, 0, 0], v[0, 0, 1], v[0, 0, 2] = np.inf, np.nan, -np.inf
    v[0, 0, 3] = -np.nan  # 0x7F too, sign or not (f32 rows keep the sign)
    for rows in (k, v):
        rows[0, -1, -len(TIES):] = TIES
        rows[-1, -1, :a.granularity] = 0.0
    v[-1, -1, 0] = -0.0
    return et.encode(k), et.encode(v)


def make_inputs(a, rng, context, prompt):
    et = ELEMENT_TYPES[a.dtype]
    p = a.page_size
    total = [c + n for c, n in zip(context, prompt)]
    table, num_pages = attention_reference.shuffled_page_table(
        rng, total, p, spare=2)
    shape = (num_pages, 2, a.layers, p, a.kv_heads, a.head_dim)
    pool = rng.uniform(-1, 1, shape).astype(np.float32)
    blocks, scales = quantise_rows(pool, a.granularity)
    tokens = sum(prompt)
    f = np.float16 if a.dtype == "f16" else np.float32
    q = et.encode(rng.uniform(-1, 1, (tokens, a.q_heads, a.head_dim)).astype(f))
    kv_shape = (tokens, a.kv_heads, a.head_dim)
    key = et.encode(rng.uniform(-1, 1, kv_shape).astype(f))
    value = et.encode(rng.uniform(-1, 1, kv_shape).astype(f))
    if a.specials:
        if tokens < 2:
            raise CaseError("--specials needs two new tokens or more")
        key, value = add_specials(a, et, key, value)
    return {
        "kv_blocks": blocks,
        "cache_lengths": np.array(context, dtype=np.int32),
        "lookup_table": table,
        "max_lengths": np.array([[max(prompt), max(total)]], dtype=np.int32),
        "kv_scales": scales,
        "q": q, "key": key, "value": value,
        "input_row_offsets": np.concatenate([[0], np.cumsum(prompt)]
                                            ).astype(np.int32),
        "out": et.encode(np.zeros(q.shape, np.float32)),
    }


def spread_all_bytes(a, inputs):
    """V at each request's only key (position 0) takes all 256 bytes."""
    lanes = inputs["kv_blocks"].shape[4] * a.head_dim
    batch = len(inputs["cache_lengths"])
    if batch * lanes < 256:
        raise CaseError(f"--all-bytes needs batch x kv heads x head_dim >= "
                        f"256, got {batch * lanes}")
    codes = (np.arange(batch * lanes) % 256).astype(np.uint8)
    for b in range(batch):
        page = inputs["lookup_table"][b, 0]
        inputs["kv_blocks"][page, 1, a.layer, 0] = codes[
            b * lanes:(b + 1) * lanes].reshape(-1, a.head_dim)


def expected_pool(a, inputs, context, prompt):
    """Bytes and scales after the store: the new rows quantised, the rest
    untouched."""
    blocks, scales = inputs["kv_blocks"].copy(), inputs["kv_scales"].copy()
    if not a.store:
        return blocks, scales
    et = ELEMENT_TYPES[a.dtype]
    offsets, p = inputs["input_row_offsets"], a.page_size
    for kv, name in ((0, "key"), (1, "value")):
        codes, group_scales = quantise_rows(rows_f32(et, inputs[name]),
                                            a.granularity)
        for b, (c, n) in enumerate(zip(context, prompt)):
            pos = np.arange(c, c + n)
            page, slot = inputs["lookup_table"][b, pos // p], pos % p
            rows = slice(offsets[b], offsets[b] + n)
            blocks[page, kv, a.layer, slot] = codes[rows]
            scales[page, kv, a.layer, slot] = group_scales[rows]
    return blocks, scales


def dequantise(a, blocks, scales):
    """float64 values of the cache: byte value x its group's scale."""
    per_lane = np.repeat(scales.astype(np.float64), a.granularity, axis=-1)
    return DECODE[blocks] * per_lane


def reference(a, inputs, cache, context, prompt):
    et = ELEMENT_TYPES[a.dtype]
    offsets = inputs["input_row_offsets"]
    q = et.decode(inputs["q"]).astype(np.float64)
    out = np.zeros(q.shape, np.float64)
    for b, (c, n) in enumerate(zip(context, prompt)):
        page, slot = attention_reference.cache_slots(
            inputs["lookup_table"][b], a.page_size, np.arange(c + n))
        k, v = cache[page, 0, a.layer, slot], cache[page, 1, a.layer, slot]
        visible = (attention_reference.causal_visible(c, n, c + n)
                   if a.causal else None)
        rows = slice(offsets[b], offsets[b] + n)
        out[rows] = attention_reference.attend(
            q[rows], k, v, 1.0 / np.sqrt(a.head_dim), visible)
    return out


def check_all_bytes(a, inputs, out_bits):
    """One key: out = fl32(value(byte) x scale), in the q dtype, exactly."""
    et = ELEMENT_TYPES[a.dtype]
    group = a.q_heads // a.kv_heads
    blocks, scales = inputs["kv_blocks"], inputs["kv_scales"]
    expected = np.empty(inputs["q"].shape, np.float32)
    for b in range(len(inputs["cache_lengths"])):
        page = inputs["lookup_table"][b, 0]
        v = (DECODE[blocks[page, 1, a.layer, 0]].astype(np.float32)
             * np.repeat(scales[page, 1, a.layer, 0], a.granularity,
                         axis=-1))  # float32 products: IEEE, rounded
        expected[b] = np.repeat(v, group, axis=0)
    # Equal values (a sum that starts at +0 turns -0 into +0), NaN for NaN.
    want = et.decode(et.encode(expected))
    got = et.decode(out_bits)
    same = (got == want) | (np.isnan(got) & np.isnan(expected))
    return int((~same).sum())


def run_case(a):
    context, prompt = lengths(a)
    os.makedirs(a.workdir, exist_ok=True)
    text = graph(a)
    graph_path = os.path.join(a.workdir, "graph.mlir")
    with open(graph_path, "w") as f:
        f.write(text)
    bundle = os.path.join(a.workdir, "bundle")
    run_command([a.compile, graph_path, "--target=cpu", "-o", bundle])

    inputs = make_inputs(a, np.random.default_rng(a.seed), context, prompt)
    if a.all_bytes:
        spread_all_bytes(a, inputs)
    in_dir, out_dir = (os.path.join(a.workdir, d) for d in ("in", "out"))
    os.makedirs(in_dir, exist_ok=True)
    for name, array in inputs.items():
        np.save(os.path.join(in_dir, name + ".npy"), array)
    run_command([a.run, bundle, "--entry", "step", "--inputs", in_dir,
                 "--outputs", out_dir])

    def load(name):
        return np.load(os.path.join(out_dir, name + ".npy"))

    blocks, scales = expected_pool(a, inputs, context, prompt)
    got_blocks, got_scales = load("kv_blocks"), load("kv_scales")
    bytes_ok = (got_blocks.dtype == np.uint8
                and np.array_equal(got_blocks, blocks))
    scales_ok = np.array_equal(got_scales.view(np.uint32),
                               scales.view(np.uint32))
    if not bytes_ok:
        diff = np.argwhere(got_blocks != blocks)
        print(f"kv_blocks differ at {len(diff)} bytes, first {diff[:4].tolist()}")
    et = ELEMENT_TYPES[a.dtype]
    out_bits = load("out")
    if a.all_bytes:
        wrong = check_all_bytes(a, inputs, out_bits)
        print(f"all 256 bytes decoded: {wrong} lanes differ")
        ok = wrong == 0
    else:
        out = et.decode(out_bits).astype(np.float64)
        want = reference(a, inputs, dequantise(a, blocks, scales), context,
                         prompt)
        nan_ok = np.array_equal(np.isnan(out), np.isnan(want))
        finite = ~np.isnan(want)
        # Absolute below 1, relative above: the q dtype rounds outputs.
        error = float(np.max(np.abs(out[finite] - want[finite])
                             / np.maximum(1.0, np.abs(want[finite])),
                             initial=0))
        tol = CPU_TOLERANCE[a.dtype]
        print(f"max error {error:.3g} (tolerance {tol:g}); NaN lanes "
              f"{int(np.isnan(want).sum())} {'match' if nan_ok else 'DIFFER'}")
        ok = nan_ok and error <= tol
    print(f"kv_blocks {'match' if bytes_ok else 'DIFFER'}; kv_scales "
          f"{'match' if scales_ok else 'DIFFER'}")
    return 0 if ok and bytes_ok and scales_ok else 1


def main(argv=None):
    a = parse_args(argv)
    try:
        sys.exit(run_case(a))
    except CaseError as e:
        print(e, file=sys.stderr)
        sys.exit(e.exit_code)


if __name__ == "__main__":
    main()
