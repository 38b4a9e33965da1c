#!/usr/bin/env python3
"""One end-to-end case on an MLA cache (kv_dim 1), checked against NumPy.

Writes a graph over an MLA cache (docs/ABI.md, "MLA caches"): an optional
kvcache.store of latent rows, then kvcache.attention in absorbed form, and
with --draft-partitions a second, draft attention ({draft}) into
`draft_out`. Compiles it with kvcache-compile --target=cpu (or sim: the GPU
kernels on the CPU simulator, run with --device cuda through the stand-in
libcuda, `out` poisoned with NaN so an unwritten lane fails), runs it with
kvcache-run, and checks:

- the pool after the store, bit for bit: each new latent row at its page and
  slot of the layer, every other element unchanged;
- every output against a float64 reference written from ABI.md: every q head
  scores against the whole latent row (head_dim lanes) and reads its first
  value_dim lanes as the value.

Inputs are made here (pages shuffled, lookup_table padded with the
sentinel), or with --generate by `kvcache-run --generate --value-dim`, whose
files the reference then reads.

--cache-dtype f8E4M3FN: the latent rows are quantised per lane group of
--granularity (fp8_cache_case.py's rule and decoder); the reference reads
the stored bytes and scales.

--dominant: one key per request outscores every other by 64, through the
rotary lanes alone: q's value lanes are 0 and its rotary lanes (value_dim ..
head_dim) 1, the dominant key's rotary lanes c (a power of two, so that
c * (head_dim - value_dim) * scale >= 64) and every other key's 0. The value
lanes encode the key's position in base-64 digits (exact in every dtype):
lane 0 = (pos % 64) / 64, lane 1 = (pos // 64 % 64) / 64, lane 2 = 1 at
the dominant key and 0 elsewhere, the rest as lane 0. Every row sees its
dominant key, so it must output that key's value lanes within 1/256 (a
quarter of one position step; the other keys weigh below e^-64): a key read
one position off, a dropped key or a value read from the wrong lanes fails.

Exit status 0 when everything matches.
"""
import argparse
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attention_reference  # noqa: E402
from fp8_cache_case import DECODE, quantise_rows  # noqa: E402
from paged_attention_case import (CPU_TOLERANCE, ELEMENT_TYPES,  # noqa: E402
                                  CaseError, lengths, run_command)

DOMINANT_MARGIN = 64.0
DOMINANT_TOLERANCE = 1.0 / 256


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--compile", required=True, help="kvcache-compile binary")
    p.add_argument("--run", required=True, help="kvcache-run binary")
    p.add_argument("--workdir", required=True)
    p.add_argument("--target", choices=["cpu", "sim"], default="cpu")
    p.add_argument("--dtype", choices=sorted(ELEMENT_TYPES), default="f32",
                   help="q, the latent rows and out")
    p.add_argument("--cache-dtype", choices=["same", "f8E4M3FN"],
                   default="same", help="kv_blocks: the dtype's, or f8E4M3FN")
    p.add_argument("--granularity", type=int, default=64)
    p.add_argument("--context", default="5", help="cache length per request")
    p.add_argument("--prompt", default="1", help="new tokens per request")
    p.add_argument("--q-heads", type=int, default=16)
    p.add_argument("--head-dim", type=int, default=40)
    p.add_argument("--value-dim", type=int, default=32)
    p.add_argument("--page-size", type=int, default=16)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--layer", type=int, default=1)
    p.add_argument("--scale", type=float, default=0.125)
    p.add_argument("--causal", action="store_true")
    p.add_argument("--store", action="store_true",
                   help="store the new latent rows first, in the same graph")
    p.add_argument("--partitions", type=int,
                   help="give mla_num_partitions = [N] (the split count)")
    p.add_argument("--metadata-splits", type=int,
                   help="give attention_dispatch_metadata (3 entries) with "
                   "this split count")
    p.add_argument("--draft-partitions", type=int,
                   help="give the draft fields with this split count and "
                   "add a draft attention into 'draft_out'")
    p.add_argument("--dominant", action="store_true")
    p.add_argument("--generate", action="store_true",
                   help="make the inputs with kvcache-run --generate")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    a.fp8 = a.cache_dtype == "f8E4M3FN"
    if not 1 <= a.value_dim <= a.head_dim:
        p.error("--value-dim must be in [1, --head-dim]")
    if a.fp8 and a.head_dim % a.granularity:
        p.error("--granularity must divide --head-dim")
    if a.dominant and (a.store or a.fp8 or a.value_dim + 1 > a.head_dim
                       or a.value_dim < 3):
        p.error("--dominant needs no --store, no FP8, 3 <= value_dim < "
                "head_dim (the rotary lanes carry the score)")
    if a.generate and (a.dominant or a.store or a.partitions is not None
                       or a.metadata_splits or a.draft_partitions):
        p.error("--generate makes its own fields: no --dominant, --store or "
                "split-count options")
    return a


def cache_type(a):
    return "f8E4M3FN" if a.fp8 else a.dtype


def graph(a):
    d, hq, p, nl = a.head_dim, a.q_heads, a.page_size, a.layers
    fields = [f"kv_blocks: memref<?x1x{nl}x{p}x1x{d}x{cache_type(a)}>",
              "cache_lengths: memref<?xi32>", "lookup_table: memref<?x?xi32>",
              "max_lengths: memref<?x2xi32>"]
    if a.fp8:
        fields.append(f"kv_scales: memref<?x1x{nl}x{p}x1x"
                      f"{d // a.granularity}xf32>")
    if a.metadata_splits or a.generate:
        fields.append("attention_dispatch_metadata: memref<3xi64>")
    if a.draft_partitions:
        fields.append("draft_attention_dispatch_metadata: memref<3xi64>")
    if a.partitions is not None or a.generate:
        fields.append("mla_num_partitions: memref<1xi64>")
    if a.draft_partitions:
        fields.append("draft_mla_num_partitions: memref<1xi64>")
    kv = "!kvcache.inputs<" + ", ".join(fields) + ">"
    q = f"memref<?x{hq}x{d}x{a.dtype}>"
    latent = f"memref<?x1x{d}x{a.dtype}>"
    out = f"memref<?x{hq}x{a.value_dim}x{a.dtype}>"
    attrs = [f"scale = {a.scale!r} : f32"] + (["causal"] if a.causal else [])
    args = [f'%q: {q} {{kvcache.name = "q"}}',
            '%offsets: memref<?xi32> {kvcache.name = "input_row_offsets"}',
            f'%out: {out} {{kvcache.name = "out", kvcache.role = "output"}}']
    body = ""
    if a.store:
        args.insert(1, f'%key: {latent} {{kvcache.name = "key"}}')
        body += (f"  kvcache.store %kv, %layer, %key, %offsets : !kv, "
                 f"{latent}, memref<?xi32>\n")
    body += (f"  kvcache.attention %kv, %layer, %q, %offsets, %out "
             f"{{{', '.join(attrs)}}} : !kv, {q}, memref<?xi32>, {out}\n")
    if a.draft_partitions:
        args.append(f'%draft_out: {out} {{kvcache.name = "draft_out", '
                    f'kvcache.role = "output"}}')
        body += (f"  kvcache.attention %kv, %layer, %q, %offsets, %draft_out "
                 f"{{{', '.join(attrs + ['draft'])}}} : !kv, {q}, "
                 f"memref<?xi32>, {out}\n")
    return f"""!kv = {kv}
func.func @step({(',' + chr(10) + '                ').join(args)}) {{
  %kv = kvcache.inputs_per_device device(0) : !kv
  %layer = arith.constant {a.layer} : index
{body}  return
}}
"""


def make_inputs(a, rng, context, prompt):
    et = ELEMENT_TYPES[a.dtype]
    batch, p = len(context), a.page_size
    total = [c + n for c, n in zip(context, prompt)]
    table, num_pages = attention_reference.shuffled_page_table(
        rng, total, p, spare=2)
    shape = (num_pages, 1, a.layers, p, 1, a.head_dim)
    pool = rng.uniform(-1, 1, shape).astype(np.float32)
    tokens = sum(prompt)
    f = np.float16 if a.dtype == "f16" else np.float32
    inputs = {"cache_lengths": np.array(context, dtype=np.int32),
              "lookup_table": table,
              "max_lengths": np.array([[max(prompt), max(total)]], np.int32)}
    if a.fp8:
        inputs["kv_blocks"], inputs["kv_scales"] = quantise_rows(
            pool, a.granularity)
    else:
        inputs["kv_blocks"] = et.encode(pool.astype(f))
    if a.metadata_splits:
        inputs["attention_dispatch_metadata"] = np.array(
            [batch, max(prompt), a.metadata_splits], np.int64)
    if a.partitions is not None:
        inputs["mla_num_partitions"] = np.array([a.partitions], np.int64)
    if a.draft_partitions:
        # The draft metadata's own count differs from the draft partition
        # count, which comes first (ABI.md).
        inputs["draft_attention_dispatch_metadata"] = np.array(
            [batch, max(prompt), a.draft_partitions + 1], np.int64)
        inputs["draft_mla_num_partitions"] = np.array([a.draft_partitions],
                                                      np.int64)
    inputs["q"] = et.encode(rng.uniform(-1, 1, (tokens, a.q_heads, a.head_dim)
                                        ).astype(f))
    if a.store:
        inputs["key"] = et.encode(rng.uniform(-1, 1, (tokens, 1, a.head_dim)
                                              ).astype(f))
    inputs["input_row_offsets"] = np.concatenate(
        [[0], np.cumsum(prompt)]).astype(np.int32)
    out_shape = (tokens, a.q_heads, a.value_dim)
    poison = np.nan if a.target == "sim" else 0.0
    inputs["out"] = et.encode(np.full(out_shape, poison, np.float32))
    if a.draft_partitions:
        inputs["draft_out"] = et.encode(np.full(out_shape, poison, np.float32))
    return inputs


def generate_inputs(a, in_dir, context, prompt):
    """kvcache-run --generate's MLA inputs (bf16/f16/f32 or f8E4M3FN)."""
    cmd = [a.run, "--generate", in_dir,
           "--context-lengths", ",".join(map(str, context)),
           "--prompt-length", str(prompt[0]), "--num-q-heads", str(a.q_heads),
           "--num-kv-heads", "1", "--head-dim", str(a.head_dim),
           "--value-dim", str(a.value_dim), "--page-size", str(a.page_size),
           "--num-layers", str(a.layers), "--seed", str(a.seed)]
    if a.fp8:
        cmd += ["--dtype", "f8E4M3FN", "--activation-dtype", a.dtype,
                "--granularity", str(a.granularity)]
    else:
        cmd += ["--dtype", a.dtype]
    run_command(cmd)
    inputs = {name[:-4]: np.load(os.path.join(in_dir, name))
              for name in os.listdir(in_dir) if name.endswith(".npy")}
    expected = {"kv_blocks", "cache_lengths", "lookup_table", "max_lengths",
                "attention_dispatch_metadata", "mla_num_partitions",
                "input_row_offsets", "q", "key", "out"} | (
                    {"kv_scales"} if a.fp8 else set())
    if set(inputs) != expected:
        raise CaseError(f"--generate wrote {sorted(inputs)}, expected "
                        f"{sorted(expected)}")
    # No store in the graph: the generated latent rows are unused.
    os.remove(os.path.join(in_dir, "key.npy"))
    return inputs


def dominant_position(a, b, context, total):
    """Seen by every row of the request (at most its context when causal);
    one of a page's last slot, a page's first slot and the last cached key."""
    last = context if a.causal else total - 1
    choice = [a.page_size - 1, a.page_size, context][b % 3]
    return max(0, min(choice, last))


def make_dominant(a, inputs, context, prompt):
    et = ELEMENT_TYPES[a.dtype]
    vd, d = a.value_dim, a.head_dim
    q = np.zeros(inputs["q"].shape, np.float32)
    q[:, :, vd:] = 1.0
    inputs["q"] = et.encode(q)
    c = 2.0 ** np.ceil(np.log2(DOMINANT_MARGIN / ((d - vd) * a.scale)))
    blocks = np.zeros(inputs["kv_blocks"].shape, np.float32)
    positions = []
    for b, (ctx, n) in enumerate(zip(context, prompt)):
        total = ctx + n
        pos = np.arange(total)
        page, slot = attention_reference.cache_slots(
            inputs["lookup_table"][b], a.page_size, pos)
        digits = np.zeros((total, vd), np.float32)
        digits[:, :] = (pos % 64)[:, None] / 64.0
        digits[:, 1] = (pos // 64 % 64) / 64.0
        dom = dominant_position(a, b, ctx, total)
        digits[:, 2] = (pos == dom)
        blocks[page, 0, a.layer, slot, 0, :vd] = digits
        blocks[page[dom], 0, a.layer, slot[dom], 0, vd:] = c
        positions.append(dom)
    inputs["kv_blocks"] = et.encode(blocks)
    return positions


def cache_values(a, blocks, scales):
    """float64 latent rows of the pool."""
    if not a.fp8:
        return ELEMENT_TYPES[a.dtype].decode(blocks).astype(np.float64)
    per_lane = np.repeat(scales.astype(np.float64), a.granularity, axis=-1)
    return DECODE[blocks] * per_lane


def expected_pool(a, inputs, context, prompt):
    blocks = inputs["kv_blocks"].copy()
    scales = inputs["kv_scales"].copy() if a.fp8 else None
    if not a.store:
        return blocks, scales
    rows = inputs["key"]
    if a.fp8:
        et = ELEMENT_TYPES[a.dtype]
        rows, row_scales = quantise_rows(et.decode(rows).astype(np.float32),
                                         a.granularity)
    offsets = inputs["input_row_offsets"]
    for b, (c, n) in enumerate(zip(context, prompt)):
        page, slot = attention_reference.cache_slots(
            inputs["lookup_table"][b], a.page_size, np.arange(c, c + n))
        new = slice(offsets[b], offsets[b] + n)
        blocks[page, 0, a.layer, slot] = rows[new]
        if a.fp8:
            scales[page, 0, a.layer, slot] = row_scales[new]
    return blocks, scales


def reference(a, inputs, cache, context, prompt):
    q = ELEMENT_TYPES[a.dtype].decode(inputs["q"]).astype(np.float64)
    out = np.zeros(q.shape[:2] + (a.value_dim,), np.float64)
    offsets = inputs["input_row_offsets"]
    for b, (c, n) in enumerate(zip(context, prompt)):
        page, slot = attention_reference.cache_slots(
            inputs["lookup_table"][b], a.page_size, np.arange(c + n))
        latent = cache[page, 0, a.layer, slot]  # [keys, 1, head_dim]
        visible = (attention_reference.causal_visible(c, n, c + n)
                   if a.causal else None)
        rows = slice(offsets[b], offsets[b] + n)
        out[rows] = attention_reference.attend(
            q[rows], latent, latent[..., :a.value_dim], a.scale, visible)
    return out


def run_case(a):
    context, prompt = lengths(a)
    os.makedirs(a.workdir, exist_ok=True)
    graph_path = os.path.join(a.workdir, "graph.mlir")
    with open(graph_path, "w") as f:
        f.write(graph(a))
    bundle = os.path.join(a.workdir, "bundle")
    run_command([a.compile, graph_path, f"--target={a.target}", "-o", bundle])

    in_dir, out_dir = (os.path.join(a.workdir, d) for d in ("in", "out"))
    os.makedirs(in_dir, exist_ok=True)
    positions = None
    if a.generate:
        if len(set(prompt)) != 1:
            raise CaseError("--generate gives every request one prompt "
                            "length")
        inputs = generate_inputs(a, in_dir, context, prompt)
    else:
        inputs = make_inputs(a, np.random.default_rng(a.seed), context,
                             prompt)
        if a.dominant:
            positions = make_dominant(a, inputs, context, prompt)
        for name, array in inputs.items():
            np.save(os.path.join(in_dir, name + ".npy"), array)
    device = ["--device", "cuda"] if a.target == "sim" else []
    run_command([a.run, bundle, "--entry", "step", "--inputs", in_dir,
                 "--outputs", out_dir] + device)

    def load(name):
        return np.load(os.path.join(out_dir, name + ".npy"))

    blocks, scales = expected_pool(a, inputs, context, prompt)
    pool_ok = np.array_equal(load("kv_blocks"), blocks) and (
        not a.fp8 or np.array_equal(load("kv_scales").view(np.uint32),
                                    scales.view(np.uint32)))
    want = reference(a, inputs, cache_values(a, blocks, scales), context,
                     prompt)
    tol = DOMINANT_TOLERANCE if a.dominant and a.dtype != "f32" else \
        CPU_TOLERANCE[a.dtype]
    ok = pool_ok
    for name in ["out"] + (["draft_out"] if a.draft_partitions else []):
        got = ELEMENT_TYPES[a.dtype].decode(load(name)).astype(np.float64)
        # NaN (an unwritten, poisoned lane) fails.
        error = float(np.max(np.nan_to_num(
            np.abs(got - want) / np.maximum(1.0, np.abs(want)), nan=np.inf)))
        print(f"{name}: max error {error:.3g} (tolerance {tol:g})")
        ok = ok and error <= tol
        if positions is not None:
            # Exactly the dominant key's value lanes, row by row.
            offsets = inputs["input_row_offsets"]
            for b, pos in enumerate(positions):
                rows = got[offsets[b]:offsets[b + 1]]
                if not np.all(np.abs(rows[..., 0] - (pos % 64) / 64) < tol):
                    print(f"{name}: request {b} does not read its dominant "
                          f"key {pos}")
                    ok = False
    print(f"pool after store {'matches' if pool_ok else 'DIFFERS'}")
    return 0 if ok else 1


def main(argv=None):
    a = parse_args(argv)
    try:
        sys.exit(run_case(a))
    except (CaseError, subprocess.SubprocessError) as e:
        print(e, file=sys.stderr)
        sys.exit(getattr(e, "exit_code", 1))


if __name__ == "__main__":
    main()
