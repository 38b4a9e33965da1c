#!/usr/bin/env python3
"""One end-to-end case of a bundle path (CPU or CUDA), checked against NumPy.

Writes a graph (an optional kvcache.store, then kvcache.attention) for one
configuration, compiles it with kvcache-compile --target=TARGET (or takes a
prebuilt bundle with --bundle), makes inputs, runs the bundle with kvcache-run
--device DEVICE, and compares the outputs with a reference computed here in
float64 from the same rounded inputs. The reference is written from ABI.md
("Meaning", "Ragged queries"), independently of the compiler:
page = lookup_table[b, pos // page_size], slot = pos % page_size.

bf16 has no NumPy dtype: bf16 arrays are written as uint16 bit patterns
('<u2'), rounded to nearest even from f32, and the reference decodes the same
bits. Tolerances (max abs error): on the CPU f32 1e-5, f16 2e-3, bf16 4e-3
(twice bf16's half-ulp for outputs below 1), also for --target sim (the
GPU kernels on the CPU simulator, with exact exp2); on a GPU bf16 and f16
2e-2 (f32 2e-3).

Dominant-key cases (--dominant): one key per request outscores every other by
6 * sqrt(head_dim) (>= 48, so the others' weights are below e^-48 ~ 1e-21)
and V rows encode their position, so a dropped or misplaced key moves the
output far more than the tolerance. In f32, V = position in every lane
(exact), checked at the f32 tolerance. In f16/bf16, V holds base-64 digits of
the position, each a multiple of 1/64 (exact in both formats): lane 0 =
(pos % 64) / 64, lane 1 = (pos // 64 % 64) / 64, lane 2 = (pos // 4096 % 64)
/ 64, lane 3 = 1 at the dominant key and 0 elsewhere, the other lanes as
lane 0. A row that sees its dominant key must then output that key's V
exactly (the rest weighs < 1e-18), so those rows are checked at 1/256 = a
quarter of one position step: reading the key one position off moves lane 0
or 1 by >= 1/64, and losing it moves lane 3 from 1 to 0. The generic 2e-2
would miss a one-position slip (1/64 = 0.0156). Rows that cannot see the key
(causal rows before it) average V uniformly and are checked at the dtype's
tolerance, since bf16 rounds such averages by up to 2^-9.

Exit status 0 when every output is within tolerance; the last line says
the largest error seen. --json FILE appends one JSON record (one line) per
run, also for failures.
"""
import argparse
import hashlib
import importlib.util
import json
import os
import shlex
import subprocess
import sys
import time

import numpy as np

import attention_reference

TARGETS = ("cpu", "sm_90a", "sm_80", "sim")
DEVICES = ("cpu", "cuda")
CPU_TOLERANCE = {"f32": 1e-5, "f16": 2e-3, "bf16": 4e-3}
GPU_TOLERANCE = {"f32": 2e-3, "f16": 2e-2, "bf16": 2e-2}
# Rows that see their dominant key (f16/bf16): a quarter of a 1/64 step.
DOMINANT_TOLERANCE = 1.0 / 256
DOMINANT_SCORE = 6.0
# The GPU lowering's split rule needs the SM count; an H100/H200 has 132.
DEFAULT_NUM_SMS = 132


def _load_package_floats():
    """python/kvcache/floats.py, the one definition of bf16 rounding, loaded
    by path: these scripts run without the built package on sys.path."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                        "..", "python", "kvcache", "floats.py")
    spec = importlib.util.spec_from_file_location("kvcache_floats", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_floats = _load_package_floats()
# Rounds to the nearest bf16, ties to even; NaN stays a quiet NaN.
f32_to_bf16_bits = _floats.float32_to_bfloat16
bf16_bits_to_f32 = _floats.bfloat16_to_float32


class ElementType:
    """How one element type is stored in .npy files and read back."""

    def __init__(self, name, storage, encode, decode):
        self.name, self.storage = name, np.dtype(storage)
        self.encode, self.decode = encode, decode

    def nan(self, shape):
        return self.encode(np.full(shape, np.nan, dtype=np.float32))


ELEMENT_TYPES = {
    "f32": ElementType("f32", np.float32, lambda v: np.asarray(v, np.float32),
                       lambda s: np.asarray(s, np.float64)),
    "f16": ElementType("f16", np.float16, lambda v: np.asarray(v, np.float16),
                       lambda s: np.asarray(s, np.float64)),
    "bf16": ElementType(
        "bf16", "<u2",
        lambda v: f32_to_bf16_bits(np.asarray(v, np.float32)),
        lambda s: bf16_bits_to_f32(s).astype(np.float64)),
}


class CaseError(Exception):
    def __init__(self, message, status="error", exit_code=1):
        super().__init__(message)
        self.status, self.exit_code = status, exit_code


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--compile", help="kvcache-compile binary (not needed "
                   "with --bundle)")
    p.add_argument("--run", help="kvcache-run binary (not needed with "
                   "--compile-only)")
    p.add_argument("--workdir", required=True)
    p.add_argument("--target", choices=TARGETS, default="cpu",
                   help="passed to kvcache-compile --target")
    p.add_argument("--device", choices=DEVICES,
                   help="passed to kvcache-run --device (default: cpu for "
                   "--target=cpu, else cuda; not passed for cpu unless given)")
    p.add_argument("--bundle", help="a prebuilt bundle: skip compiling. With "
                   "--compile-only: where to write the bundle")
    p.add_argument("--compile-only", action="store_true",
                   help="write the graph and compile it, then stop")
    p.add_argument("--json", help="append one result record (a JSON line)")
    p.add_argument("--name", help="the case's name in the --json record "
                   "(default: the workdir's name)")
    p.add_argument("--dtype", choices=sorted(ELEMENT_TYPES), default="f32")
    p.add_argument("--tolerance", type=float,
                   help="max abs error allowed (default: by dtype and device)")
    p.add_argument("--context", default="5", help="cache length per request")
    p.add_argument("--prompt", default="1", help="new tokens per request")
    p.add_argument("--q-heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int, default=2)
    p.add_argument("--head-dim", type=int, default=64)
    p.add_argument("--page-size", type=int, default=16)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--layer", type=int, default=1)
    p.add_argument("--causal", action="store_true")
    p.add_argument("--store", action="store_true",
                   help="store the new K/V rows first, in the same graph")
    p.add_argument("--splits", type=int, default=0)
    p.add_argument("--tensor-cores", choices=["on", "off"], default="on",
                   help="GPU/sim targets: kvcache-compile --tensor-cores "
                   "(decode of bf16/f16 with head_dim 64 or 128 on tensor "
                   "cores, or CUDA cores)")
    p.add_argument("--page-guard", choices=["on", "off"], default="on",
                   help="GPU/sim targets: kvcache-compile --page-guard "
                   "(off only to measure what the kernels' page-id checks "
                   "cost)")
    p.add_argument("--metadata-splits", type=int, default=0,
                   help="give attention_dispatch_metadata with this split count")
    p.add_argument("--dominant", choices=["last", "page", "split"],
                   help="one key dominates the softmax, at this position")
    p.add_argument("--num-sms", type=int, default=DEFAULT_NUM_SMS,
                   help="SM count for MAX's split rule, used to place a "
                   "--dominant split key when no split count is given")
    p.add_argument("--poison", choices=["zero", "nan"],
                   help="what 'out' holds before the call (default: zero on "
                   "the CPU, nan on a GPU, so unwritten elements fail)")
    p.add_argument("--run-prefix", default="",
                   help="a command that wraps kvcache-run (e.g. "
                   "'compute-sanitizer --tool memcheck')")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds kvcache-compile or kvcache-run may take")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--q-scale", type=float, default=1.0,
                   help="multiply q by this: a large one spreads the scores "
                   "so a row's running max grows many times")
    a = p.parse_args(argv)
    if a.device is None:
        a.device = "cpu" if a.target == "cpu" else "cuda"
        a.device_given = False
    else:
        a.device_given = True
    if a.poison is None:
        a.poison = "zero" if a.device == "cpu" else "nan"
    if not a.compile_only and not a.run:
        p.error("--run is required unless --compile-only")
    if (a.compile_only or not a.bundle) and not a.compile:
        p.error("--compile is required unless --bundle names a prebuilt bundle")
    if a.dominant and a.store:
        p.error("--dominant cases have no --store")
    if a.dominant and a.dtype != "f32" and a.head_dim < 4:
        p.error("--dominant in f16/bf16 needs --head-dim >= 4")
    return a


def per_request(text, batch):
    values = [int(v) for v in text.split(",")]
    return values * batch if len(values) == 1 else values


def lengths(a):
    context = per_request(a.context, 1)
    prompt = per_request(a.prompt, len(context))
    if len(context) == 1 and len(prompt) > 1:
        context = context * len(prompt)
    return context, prompt


def tolerance(a):
    if a.tolerance is not None:
        return a.tolerance
    # The CPU simulator runs the GPU kernels with the host's exact exp2 and
    # log2 (not ex2.approx): only the rounding the CPU path has remains.
    exact = a.device == "cpu" or a.target == "sim"
    table = CPU_TOLERANCE if exact else GPU_TOLERANCE
    return table[a.dtype]


def graph(a, dtype, batch_dims=None):
    d, hq, hk, p, nl = a.head_dim, a.q_heads, a.kv_heads, a.page_size, a.layers
    fields = [f"kv_blocks: memref<?x2x{nl}x{p}x{hk}x{d}x{dtype}>",
              "cache_lengths: memref<?xi32>", "lookup_table: memref<?x?xi32>",
              "max_lengths: memref<?x2xi32>"]
    if a.metadata_splits:
        fields.append("attention_dispatch_metadata: memref<4xi64>")
    kv = "!kvcache.inputs<" + ", ".join(fields) + ">"
    rows = f"memref<?x{hq}x{d}x{dtype}>"
    kvrows = f"memref<?x{hk}x{d}x{dtype}>"
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


def compile_identity(a, graph_text):
    """What a bundle is compiled from: two cases with the same identity can
    share one bundle (the graph is dynamic in batch and lengths)."""
    return {"graph_sha256": hashlib.sha256(graph_text.encode()).hexdigest(),
            "target": a.target, "splits": a.splits,
            "tensor_cores": a.tensor_cores, "page_guard": a.page_guard}


def bundle_key(a, graph_text):
    ident = compile_identity(a, graph_text)
    return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()
                          ).hexdigest()[:16]


def run_command(cmd, timeout=None, log=None):
    """Runs cmd; raises CaseError with its output when it fails."""
    try:
        result = subprocess.run(cmd, capture_output=True, text=True,
                                timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CaseError(f"command timed out after {timeout:g} s: "
                        f"{' '.join(cmd)}", status="timeout")
    except OSError as e:
        raise CaseError(f"cannot run {cmd[0]}: {e}")
    output = result.stdout + result.stderr
    if log:
        with open(log, "w") as f:
            f.write(output)
    if result.returncode != 0:
        status = "unsupported" if result.returncode == 77 else "error"
        raise CaseError(f"command failed ({result.returncode}): "
                        f"{' '.join(cmd)}\n{output}", status=status,
                        exit_code=77 if status == "unsupported" else 1)
    return output


def compile_bundle(a, graph_text, graph_path, bundle_dir):
    cmd = [a.compile, graph_path, f"--target={a.target}", "-o", bundle_dir]
    if a.splits:
        cmd.append(f"--splits={a.splits}")
    if a.tensor_cores == "off" and a.target != "cpu":
        cmd.append("--tensor-cores=false")
    if a.page_guard == "off" and a.target != "cpu":
        cmd.append("--page-guard=false")
    run_command(cmd, timeout=a.timeout)
    with open(os.path.join(bundle_dir, "source-graph.mlir"), "w") as f:
        f.write(graph_text)
    with open(os.path.join(bundle_dir, "case-compile.json"), "w") as f:
        json.dump(compile_identity(a, graph_text), f, indent=1, sort_keys=True)


def check_prebuilt(a, graph_text, bundle_dir):
    """A prebuilt bundle must come from this very graph, target and splits."""
    if not os.path.isfile(os.path.join(bundle_dir, "manifest.json")):
        raise CaseError(f"--bundle '{bundle_dir}': no manifest.json there")
    ident_path = os.path.join(bundle_dir, "case-compile.json")
    if not os.path.exists(ident_path):
        return  # a bundle made by hand: trust it
    with open(ident_path) as f:
        built = json.load(f)
    wanted = compile_identity(a, graph_text)
    if built != wanted:
        diff = {k: (built.get(k), v) for k, v in wanted.items()
                if built.get(k) != v}
        raise CaseError(f"--bundle '{bundle_dir}' was compiled from another "
                        f"graph or with other options (built, wanted): {diff}")


def make_inputs(a, rng, context, prompt):
    et = ELEMENT_TYPES[a.dtype]
    batch, p = len(context), a.page_size
    total = [c + n for c, n in zip(context, prompt)]
    table, num_pages = attention_reference.shuffled_page_table(
        rng, total, p, spare=3)
    shape = (num_pages, 2, a.layers, p, a.kv_heads, a.head_dim)
    # The f32/f16 streams are those of the CPU suite; bf16 rounds the f32 ones.
    f = np.float16 if a.dtype == "f16" else np.float32
    blocks = et.encode(rng.uniform(-1, 1, shape).astype(f))
    tokens = sum(prompt)
    offsets = np.concatenate([[0], np.cumsum(prompt)]).astype(np.int32)
    q = et.encode((a.q_scale * rng.uniform(-1, 1, (tokens, a.q_heads,
                                                    a.head_dim))).astype(f))
    key = et.encode(rng.uniform(-1, 1, (tokens, a.kv_heads, a.head_dim)).astype(f))
    value = et.encode(rng.uniform(-1, 1, (tokens, a.kv_heads, a.head_dim)).astype(f))
    if not a.store:
        # Attention reads keys up to cache_lengths + n_b - 1: without a store
        # in the graph, the new rows are in the pool already.
        key = value = None
    zeros = et.encode(np.zeros((tokens, a.kv_heads, a.head_dim), np.float32))
    max_cache = max(total, default=0)
    inputs = {
        "kv_blocks": blocks,
        "cache_lengths": np.array(context, dtype=np.int32),
        "lookup_table": table,
        "max_lengths": np.array([[max(prompt, default=0), max_cache]],
                                dtype=np.int32),
        "q": q,
        "key": key if key is not None else zeros,
        "value": value if value is not None else zeros.copy(),
        "input_row_offsets": offsets,
        "out": (et.nan(q.shape) if a.poison == "nan"
                else et.encode(np.zeros(q.shape, np.float32))),
    }
    if a.metadata_splits:
        inputs["attention_dispatch_metadata"] = np.array(
            [batch, max(prompt), a.metadata_splits, max_cache], dtype=np.int64)
    return inputs


def slot_of(inputs, b, pos, page_size):
    return inputs["lookup_table"][b, pos // page_size], pos % page_size


def uses_tensor_cores(a):
    """convert-kvcache-to-gpu's decodeOnTensorCores (KVCacheToGPU/Variants.cpp)."""
    return (a.target != "cpu" and a.tensor_cores == "on"
            and a.dtype in ("bf16", "f16") and a.head_dim in (64, 128))


def ctas_per_sm(a):
    """decodeBlocksPerSM with 128-thread CTAs: three on tensor cores (two on
    sm_8x or for GQA groups over 8), four on CUDA cores."""
    if not uses_tensor_cores(a):
        return 4
    group = a.q_heads // a.kv_heads
    return 2 if a.target.startswith("sm_8") or group > 8 else 3


def rule_splits(a, batch, num_keys):
    """convert-kvcache-to-gpu's split rule with its default options: the
    fill count (ctas_per_sm on every SM), or the smallest of the next 16
    counts whose waves are >= 90% busy; splits-cap 64; splits of at least
    256 keys."""
    target = a.num_sms * ctas_per_sm(a)
    per_split = max(batch * a.kv_heads, 1)
    fill = max(1, target // per_split)

    def efficient(n):
        waves = -(-per_split * n // target)
        return 10 * per_split * n >= 9 * waves * target

    chosen = next((n for n in range(fill, fill + 16) if efficient(n)), fill)
    slots = max(1, min(64, chosen))
    return min(slots, max(1, num_keys // 256))


def expected_splits(a, context, prompt):
    if a.splits or a.metadata_splits:
        return a.splits or a.metadata_splits
    if a.target == "cpu":
        return 1
    total = [c + n for c, n in zip(context, prompt)]
    return rule_splits(a, len(context), max(total, default=0))


def dominant_position(a, total, splits):
    if a.dominant == "last":
        return total - 1
    if a.dominant == "page":
        return min(total - 1, a.page_size)  # first key of the second page
    chunk = -(-total // max(splits, 1))
    if uses_tensor_cores(a):
        chunk = -(-chunk // 16) * 16  # whole 16-key tiles
    return min(total - 1, chunk)  # first key of the second split


def dominant_values(a, pos, x):
    """V rows for positions `pos` (see the module docstring), [len, d]."""
    if a.dtype == "f32":
        return np.repeat(pos.astype(np.float64)[:, None], a.head_dim, axis=1)
    digits = np.repeat(((pos % 64) / 64.0)[:, None], a.head_dim, axis=1)
    digits[:, 1] = (pos // 64 % 64) / 64.0
    digits[:, 2] = (pos // 4096 % 64) / 64.0
    digits[:, 3] = (pos == x).astype(np.float64)
    return digits


def make_dominant(a, inputs, context, prompt, splits):
    """One key per request outscores the rest; V rows encode their position."""
    et = ELEMENT_TYPES[a.dtype]
    inputs["q"][:] = et.encode(np.ones(inputs["q"].shape, np.float32))
    blocks, p = inputs["kv_blocks"], a.page_size
    positions = []
    for b, (c, n) in enumerate(zip(context, prompt)):
        total = c + n
        x = dominant_position(a, total, splits)
        positions.append(x)
        pos = np.arange(total)
        page, slot = inputs["lookup_table"][b, pos // p], pos % p
        v = dominant_values(a, pos, x)[:, None, :]
        k = np.where(pos == x, DOMINANT_SCORE, 0.0)[:, None, None]
        shape = (total, a.kv_heads, a.head_dim)
        blocks[page, 1, a.layer, slot] = et.encode(np.broadcast_to(v, shape))
        blocks[page, 0, a.layer, slot] = et.encode(np.broadcast_to(k, shape))
    return inputs, positions


def expected_pool(a, inputs, context, prompt):
    """The pool after the graph: the store writes exactly the new rows of its
    layer, bit for bit; every other layer and slot keeps its bits."""
    blocks = inputs["kv_blocks"]
    if not a.store:
        return blocks
    blocks = blocks.copy()
    offsets, p = inputs["input_row_offsets"], a.page_size
    for b, (c, n) in enumerate(zip(context, prompt)):
        pos = np.arange(c, c + n)
        page, slot = inputs["lookup_table"][b, pos // p], pos % p
        rows = slice(offsets[b], offsets[b] + n)
        blocks[page, 0, a.layer, slot] = inputs["key"][rows]
        blocks[page, 1, a.layer, slot] = inputs["value"][rows]
    return blocks


def reference(a, inputs, blocks_after, context, prompt):
    """Attention in float64 from the decoded inputs, per request."""
    et = ELEMENT_TYPES[a.dtype]
    offsets = inputs["input_row_offsets"]
    q = et.decode(inputs["q"])
    out = np.zeros(q.shape, np.float64)
    for b, (c, n) in enumerate(zip(context, prompt)):
        if n == 0:
            continue
        page, slot = attention_reference.cache_slots(
            inputs["lookup_table"][b], a.page_size, np.arange(c + n))
        k = et.decode(blocks_after[page, 0, a.layer, slot])  # [total, hk, d]
        v = et.decode(blocks_after[page, 1, a.layer, slot])
        visible = (attention_reference.causal_visible(c, n, c + n)
                   if a.causal else None)
        rows = slice(offsets[b], offsets[b] + n)
        out[rows] = attention_reference.attend(
            q[rows], k, v, 1.0 / np.sqrt(a.head_dim), visible)
    return out


def dominant_rows(a, inputs, context, prompt, positions):
    """Which output rows can see their request's dominant key."""
    offsets = inputs["input_row_offsets"]
    mask = np.zeros(int(offsets[-1]), dtype=bool)
    for b, (c, n) in enumerate(zip(context, prompt)):
        last_visible = (c + np.arange(n)) if a.causal else np.full(n, c + n - 1)
        mask[offsets[b]:offsets[b] + n] = positions[b] <= last_visible
    return mask


class Record:
    """The --json record of one run."""

    def __init__(self, a, argv):
        self.a = a
        self.data = {
            "name": a.name or os.path.basename(os.path.normpath(a.workdir)),
            "argv": list(argv), "target": a.target, "device": a.device,
            "dtype": a.dtype, "context": a.context, "prompt": a.prompt,
            "q_heads": a.q_heads, "kv_heads": a.kv_heads,
            "head_dim": a.head_dim, "page_size": a.page_size,
            "layers": a.layers, "layer": a.layer, "causal": a.causal,
            "store": a.store, "splits": a.splits,
            "metadata_splits": a.metadata_splits, "dominant": a.dominant,
            "seed": a.seed, "bundle": a.bundle, "status": "error",
            "ok": False, "seconds": {},
        }
        self.started = time.monotonic()

    def time(self, stage, since):
        self.data["seconds"][stage] = round(time.monotonic() - since, 4)

    def write(self):
        if not self.a.json:
            return
        self.data["seconds"]["total"] = round(time.monotonic() - self.started, 4)
        line = json.dumps(self.data, sort_keys=True, allow_nan=False,
                          default=str)
        with open(self.a.json, "a") as f:
            f.write(line + "\n")


def finite_max(x):
    if x.size == 0:
        return 0.0
    if not np.all(np.isfinite(x)):
        return float("inf")
    return float(x.max())


def run_case(a, record):
    context, prompt = lengths(a)
    os.makedirs(a.workdir, exist_ok=True)
    text = graph(a, a.dtype, len(context))
    graph_path = os.path.join(a.workdir, "graph.mlir")
    with open(graph_path, "w") as f:
        f.write(text)
    t = time.monotonic()
    if a.compile_only:
        bundle = a.bundle or os.path.join(a.workdir, "bundle")
        compile_bundle(a, text, graph_path, bundle)
        record.time("compile", t)
        record.data.update(status="compiled", ok=True, bundle=bundle)
        print(f"compiled {bundle}")
        return 0
    if a.bundle:
        bundle = a.bundle
        check_prebuilt(a, text, bundle)
    else:
        bundle = os.path.join(a.workdir, "bundle")
        compile_bundle(a, text, graph_path, bundle)
        record.time("compile", t)
        record.data["bundle"] = bundle

    t = time.monotonic()
    rng = np.random.default_rng(a.seed)
    inputs = make_inputs(a, rng, context, prompt)
    positions = None
    if a.dominant:
        splits = expected_splits(a, context, prompt)
        record.data["dominant_splits"] = splits
        inputs, positions = make_dominant(a, inputs, context, prompt, splits)
        record.data["dominant_positions"] = positions
    in_dir, out_dir = (os.path.join(a.workdir, d) for d in ("in", "out"))
    os.makedirs(in_dir, exist_ok=True)
    for name, array in inputs.items():
        np.save(os.path.join(in_dir, name + ".npy"), array)
    record.time("inputs", t)

    t = time.monotonic()
    cmd = shlex.split(a.run_prefix) + [
        a.run, bundle, "--entry", "step", "--inputs", in_dir,
        "--outputs", out_dir]
    if a.device_given or a.device != "cpu":
        cmd += ["--device", a.device]
    run_command(cmd, timeout=a.timeout,
                log=os.path.join(a.workdir, "kvcache-run.log"))
    record.time("run", t)

    t = time.monotonic()
    et = ELEMENT_TYPES[a.dtype]
    expected_blocks = expected_pool(a, inputs, context, prompt)
    expected_out = reference(a, inputs, expected_blocks, context, prompt)
    out = et.decode(np.load(os.path.join(out_dir, "out.npy")))
    if out.shape != expected_out.shape:
        raise CaseError(f"out has shape {out.shape}, expected "
                        f"{expected_out.shape}", status="fail")
    diff = np.abs(out - expected_out)
    diff[~np.isfinite(out)] = np.inf
    tol = tolerance(a)
    error = finite_max(diff)
    ok = error <= tol
    blocks = np.load(os.path.join(out_dir, "kv_blocks.npy"))
    store_ok = (blocks.dtype == expected_blocks.dtype
                and np.array_equal(blocks, expected_blocks))
    record.time("check", t)
    record.data.update(max_abs_error=error, tolerance=tol, store_ok=store_ok)
    if a.dominant and a.dtype != "f32":
        rows = dominant_rows(a, inputs, context, prompt, positions)
        dom_error = finite_max(diff[rows])
        dom_ok = dom_error <= DOMINANT_TOLERANCE
        ok = ok and dom_ok
        record.data.update(dominant_error=dom_error,
                           dominant_tolerance=DOMINANT_TOLERANCE,
                           dominant_rows=int(rows.sum()))
        print(f"dominant rows ({int(rows.sum())}): max abs error "
              f"{dom_error:.3g} (tolerance {DOMINANT_TOLERANCE:g})")
    print(f"max abs error {error:.3g} (tolerance {tol:g}); "
          f"cache after store {'matches' if store_ok else 'DIFFERS'}")
    passed = ok and store_ok
    record.data.update(ok=passed, status="pass" if passed else "fail")
    return 0 if passed else 1


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    a = parse_args(argv)
    record = Record(a, argv)
    try:
        status = run_case(a, record)
    except CaseError as e:
        record.data.update(status=e.status, ok=False, message=str(e)[-4000:])
        record.write()
        print(e, file=sys.stderr)
        sys.exit(e.exit_code)
    record.write()
    if status:
        sys.exit(status)


if __name__ == "__main__":
    main()
