"""Helpers shared by the GPU benchmark scripts (bench/gpu/*.py).

Nothing here imports torch: the --cpu-only mode and build_bundles.sh run on
Debian's python3 with NumPy alone.
"""
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DRIVER_DIR = os.path.join(REPO, "test", "Integration", "Inputs")
DRIVER = os.path.join(DRIVER_DIR, "paged_attention_case.py")

CASES_FORMAT = 1

# Spec memory bandwidth (GB/s) by device name, for the 80% rejection rule
# (KERNELS.md: "A run whose copy measures under 80% of the card's spec is
# rejected as a bad machine"). First match wins; more specific names first.
SPEC_BANDWIDTH_GBPS = [
    ("H200 NVL", 4800), ("H200", 4800),
    ("H100 NVL", 3900), ("H100 PCIe", 2000), ("H100", 3350),
    ("H800", 3350), ("GH200", 4000),
    ("A100-SXM4-80GB", 2039), ("A100 80GB PCIe", 1935), ("A100", 1555),
    ("L40S", 864), ("L4", 300),
]
REJECT_FRACTION = 0.80

# The decode points KERNELS.md sets targets for, benchmarked first so that a
# short budget still reaches them: (page size, batch, context).
TARGET_POINTS = [(128, 64, 4096), (16, 64, 4096), (128, 1, 32768),
                 (128, 256, 4096), (16, 1, 32768), (16, 256, 4096)]


def import_driver():
    if DRIVER_DIR not in sys.path:
        sys.path.insert(0, DRIVER_DIR)
    import paged_attention_case
    return paged_attention_case


def spec_bandwidth(name):
    for key, gbps in SPEC_BANDWIDTH_GBPS:
        if key.lower() in (name or "").lower():
            return gbps
    return None


def median(values):
    return statistics.median(values) if values else None


def element_size(dtype):
    return {"f32": 4, "f16": 2, "bf16": 2}[dtype]


def kv_bytes(batch, context, prompt, kv_heads, head_dim, dtype):
    """KERNELS.md: sum_b (cache_len_b + n_b) * 2 * kv_heads * head_dim * bytes."""
    return batch * (context + prompt) * 2 * kv_heads * head_dim * element_size(dtype)


def bench_points(cfg):
    """The decode grid of a cases.json 'bench' section, in run order: the
    target points first, then by K/V bytes, smallest first. Each point says
    whether it is skipped by the size rule."""
    pts = []
    for page in cfg["page_sizes"]:
        for batch in cfg["batches"]:
            for context in cfg["contexts"]:
                kv = kv_bytes(batch, context, cfg["prompt"], cfg["kv_heads"],
                              cfg["head_dim"], cfg["dtype"])
                pts.append({"page_size": page, "batch": batch,
                            "context": context, "kv_bytes": kv,
                            "too_big": kv > cfg["max_kv_bytes"]})

    def order(p):
        key = (p["page_size"], p["batch"], p["context"])
        first = TARGET_POINTS.index(key) if key in TARGET_POINTS else len(TARGET_POINTS)
        return (first, p["kv_bytes"], p["page_size"])
    return sorted(pts, key=order)


def pages_per_request(context, prompt, page_size):
    return -(-(context + prompt) // page_size)


def page_order(seed, batch, context, prompt, page_size):
    """The shuffled pages of every request, [batch, pages per request]; the
    same for our kernel and the paged PyTorch peer (same shapes and seed)."""
    import numpy as np
    ppr = pages_per_request(context, prompt, page_size)
    rng = np.random.default_rng([seed, batch, context, page_size])
    return rng.permutation(batch * ppr).reshape(batch, ppr).astype(np.int32)


def random_tile(seed, dtype, nbytes=64 << 20):
    """nbytes of random values in (-1, 1), encoded for dtype (bf16 as bits):
    pools are filled by repeating it (never zeros; the period, 64 MiB, is
    larger than any L2)."""
    import numpy as np
    pac = import_driver()
    et = pac.ELEMENT_TYPES[dtype]
    count = nbytes // element_size(dtype)
    rng = np.random.default_rng([seed, 7])
    values = rng.random(count, dtype=np.float32) * 2 - 1
    return et.encode(values.astype(np.float16 if dtype == "f16" else np.float32))


class Deadline:
    """Wall-clock budget of one stage."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.start = time.monotonic()

    def left(self):
        return self.seconds - (time.monotonic() - self.start)

    def spent(self):
        return time.monotonic() - self.start


def run(cmd, timeout=None, env=None):
    """Runs cmd; returns (exit code or None on timeout, output)."""
    try:
        r = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout, env=env)
        return r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"") + (e.stderr or b"")
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        return None, out
    except OSError as e:
        return 127, str(e)


def tail(text, limit=2000):
    text = text or ""
    return text if len(text) <= limit else "..." + text[-limit:]


def load_cases(bundles):
    path = os.path.join(bundles, "cases.json")
    with open(path) as f:
        cases = json.load(f)
    if cases.get("format") != CASES_FORMAT:
        raise SystemExit(f"{path}: format {cases.get('format')}, expected "
                         f"{CASES_FORMAT}; rebuild with build_bundles.sh")
    return cases


def write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True, default=str)
        f.write("\n")
    os.replace(tmp, path)
