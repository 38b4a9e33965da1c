#!/usr/bin/env python3
"""Copy bandwidth and the PyTorch peers of the decode benchmark (needs torch).

  peers.py --cases BUNDLES/cases.json --out peers.json --budget SECONDS

Runs in its own process so that its GPU memory is gone before our kernels
are timed. KERNELS.md "Benchmark protocol":
- copy bandwidth: a device-to-device copy of 2 GiB, read + write counted,
  median of 20 (the card is rejected under 80% of its spec);
- SDPA: torch.nn.functional.scaled_dot_product_attention(enable_gqa=True) on
  dense K/V [batch, kv_heads, tokens, head_dim] (no repeat_interleave, no
  layout copy inside the timing), the flash backend forced (cuDNN if flash
  refuses), the backend recorded;
- paged PyTorch: the same pool layout and page order as our kernel, K and V
  gathered with index_select into dense, then SDPA: timed as a whole;
- CUDA events around each run, L2 flushed (a 256 MiB write) before each,
  median of >= 20 after 3 warm-ups; GB/s by the same formula as ours.
"""
import argparse
import json
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

FLUSH_BYTES = 256 << 20
COPY_BYTES = 2 << 30
WARMUP = 3


class Timer:
    def __init__(self):
        self.flush = torch.empty(FLUSH_BYTES, dtype=torch.uint8, device="cuda")

    def times_ms(self, fn, repeat):
        for _ in range(WARMUP):
            fn()
        torch.cuda.synchronize()
        events = [(torch.cuda.Event(enable_timing=True),
                   torch.cuda.Event(enable_timing=True)) for _ in range(repeat)]
        for start, end in events:
            self.flush.zero_()  # evicts L2 (50-60 MB on an H100/H200)
            start.record()
            fn()
            end.record()
        torch.cuda.synchronize()
        return [start.elapsed_time(end) for start, end in events]


def device_info():
    props = torch.cuda.get_device_properties(0)
    info = {"name": props.name, "sms": props.multi_processor_count,
            "memory_bytes": props.total_memory,
            "capability": f"{props.major}.{props.minor}",
            "torch": torch.__version__, "cuda": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version()}
    for attr in ("L2_cache_size", "l2_cache_size"):
        if hasattr(props, attr):
            info["l2_bytes"] = getattr(props, attr)
    return info


def copy_bandwidth(timer, repeat):
    src = torch.empty(COPY_BYTES, dtype=torch.uint8, device="cuda")
    src.random_(0, 256)
    dst = torch.empty_like(src)
    times = timer.times_ms(lambda: dst.copy_(src), repeat)
    med = common.median(times)
    del src, dst
    return {"method": "torch dst.copy_(src), device to device",
            "bytes": COPY_BYTES, "counted_bytes": 2 * COPY_BYTES,
            "times_ms": times, "median_ms": med,
            "gbps": 2 * COPY_BYTES / (med * 1e-3) / 1e9}


class Filler:
    """Fills tensors with the benchmark's random tile (same seed as ours)."""

    def __init__(self, cfg):
        tile = common.random_tile(cfg.get("seed", 0), cfg["dtype"])
        t = torch.from_numpy(tile.view(np.int16)).cuda()
        reps = max(1, (1 << 30) // (t.numel() * 2))
        self.tile = t.repeat(reps)  # 1 GiB on the device

    def fill(self, tensor):
        flat = tensor.view(-1).view(torch.int16)
        n, step = flat.numel(), self.tile.numel()
        for off in range(0, n, step):
            m = min(step, n - off)
            flat[off:off + m].copy_(self.tile[:m])
        return tensor


def dtype_of(cfg):
    return {"bf16": torch.bfloat16, "f16": torch.float16,
            "f32": torch.float32}[cfg["dtype"]]


def run_sdpa(fn_of_backend, backends, timer, repeat):
    """Times fn under the first backend that accepts it."""
    from torch.nn.attention import sdpa_kernel
    errors = {}
    for backend in backends:
        try:
            with sdpa_kernel([backend]):
                fn = fn_of_backend()
                fn()
                torch.cuda.synchronize()
                times = timer.times_ms(fn, repeat)
            return backend.name, times, errors
        except RuntimeError as e:
            errors[backend.name] = str(e).splitlines()[0][:300]
    return None, None, errors


def sdpa_point(cfg, point, filler, timer, repeat, backends):
    b, L, prompt = point["batch"], point["context"], cfg["prompt"]
    tokens = L + prompt
    dt = dtype_of(cfg)
    hq, hk, d = cfg["q_heads"], cfg["kv_heads"], cfg["head_dim"]
    q = filler.fill(torch.empty(b, hq, prompt, d, dtype=dt, device="cuda"))
    k = filler.fill(torch.empty(b, hk, tokens, d, dtype=dt, device="cuda"))
    v = filler.fill(torch.empty(b, hk, tokens, d, dtype=dt, device="cuda"))
    backend, times, errors = run_sdpa(
        lambda: (lambda: F.scaled_dot_product_attention(q, k, v, enable_gqa=True)),
        backends, timer, repeat)
    del q, k, v
    return backend, times, errors


def paged_point(cfg, point, filler, timer, repeat, backends):
    b, L, page = point["batch"], point["context"], point["page_size"]
    prompt = cfg["prompt"]
    tokens = L + prompt
    dt = dtype_of(cfg)
    hq, hk, d = cfg["q_heads"], cfg["kv_heads"], cfg["head_dim"]
    pages = common.page_order(cfg.get("seed", 0), b, L, prompt, page)
    ppr = pages.shape[1]
    pool = filler.fill(torch.empty(pages.size, 2, cfg["layers"], page, hk, d,
                                   dtype=dt, device="cuda"))
    table = torch.from_numpy(pages.reshape(-1).astype(np.int64)).cuda()
    q = filler.fill(torch.empty(b, hq, prompt, d, dtype=dt, device="cuda"))
    layer = cfg["layer"]
    copy = {"contiguous": False}

    def gather(kv):
        dense = pool[:, kv, layer].index_select(0, table)  # [b*ppr, page, hk, d]
        dense = dense.view(b, ppr * page, hk, d)[:, :tokens].transpose(1, 2)
        return dense.contiguous() if copy["contiguous"] else dense

    def step():
        return F.scaled_dot_product_attention(q, gather(0), gather(1),
                                              enable_gqa=True)
    backend, times, errors = run_sdpa(lambda: step, backends, timer, repeat)
    if backend is None:
        # The strided view was refused: copy to a contiguous layout, inside
        # the timing (it is part of the paged path's cost).
        copy["contiguous"] = True
        backend, times, more = run_sdpa(lambda: step, backends, timer, repeat)
        errors.update({k + " (strided)": v for k, v in more.items()})
    del pool, table, q
    return backend, times, errors, copy["contiguous"]


def check_gqa(backends):
    """enable_gqa on the forced backend agrees with the math backend."""
    from torch.nn.attention import sdpa_kernel, SDPBackend
    g = torch.Generator(device="cuda").manual_seed(0)
    q = torch.randn(2, 32, 1, 128, device="cuda", generator=g).bfloat16()
    k = torch.randn(2, 8, 300, 128, device="cuda", generator=g).bfloat16()
    v = torch.randn(2, 8, 300, 128, device="cuda", generator=g).bfloat16()
    with sdpa_kernel([SDPBackend.MATH]):
        ref = F.scaled_dot_product_attention(q.float(), k.float(), v.float(),
                                             enable_gqa=True)
    result = {}
    for backend in backends:
        try:
            with sdpa_kernel([backend]):
                out = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
            result[backend.name] = float((out.float() - ref).abs().max())
        except RuntimeError as e:
            result[backend.name] = "refused: " + str(e).splitlines()[0][:200]
    return result


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cases", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--budget", type=float, default=45)
    p.add_argument("--repeat", type=int, default=None)
    a = p.parse_args()
    deadline = common.Deadline(a.budget)
    with open(a.cases) as f:
        cfg = json.load(f)["bench"]
    repeat = max(20, a.repeat or cfg["repeat"])
    result = {"budget_s": a.budget, "repeat": repeat, "warmup": WARMUP,
              "l2_flush_bytes": FLUSH_BYTES, "sdpa": [], "paged_torch": [],
              "skipped": []}

    def save():
        result["seconds"] = round(deadline.spent(), 2)
        common.write_json(a.out, result)
    try:
        from torch.nn.attention import SDPBackend
        backends = [SDPBackend.FLASH_ATTENTION, SDPBackend.CUDNN_ATTENTION]
        result["device"] = device_info()
        timer = Timer()
        result["copy_bandwidth"] = copy_bandwidth(timer, repeat)
        print(f"copy bandwidth {result['copy_bandwidth']['gbps']:.0f} GB/s",
              flush=True)
        result["gqa_check_max_abs_error"] = check_gqa(backends)
        save()
        filler = Filler(cfg)
        done_dense = set()
        for point in common.bench_points(cfg):
            key = (point["batch"], point["context"])
            tag = f"b{point['batch']} L{point['context']}"
            if point["too_big"]:
                continue
            # Our points come in page-size pairs; the dense peer once per shape.
            kv = point["kv_bytes"]
            free, _ = torch.cuda.mem_get_info()
            for kind in (["sdpa"] if key not in done_dense else []) + ["paged_torch"]:
                need = kv * (1.1 if kind == "sdpa" else 2.2)
                estimate = 0.5 + 30 * kv * 3 / 2e12  # fill + runs, generous
                base = {"batch": point["batch"], "context": point["context"],
                        "kv_bytes": kv}
                if kind == "paged_torch":
                    base["page_size"] = point["page_size"]
                if estimate > deadline.left():
                    result["skipped"].append(dict(base, kind=kind,
                                                  reason="stage budget"))
                    continue
                if need > free:
                    result["skipped"].append(dict(base, kind=kind, reason=(
                        f"needs {need / 1e9:.1f} GB, {free / 1e9:.1f} GB free")))
                    continue
                t = time.monotonic()
                try:
                    if kind == "sdpa":
                        backend, times, errors = sdpa_point(
                            cfg, point, filler, timer, repeat, backends)
                        extra = {}
                        done_dense.add(key)
                    else:
                        backend, times, errors, contiguous = paged_point(
                            cfg, point, filler, timer, repeat, backends)
                        extra = {"copied_to_contiguous": contiguous,
                                 "method": "index_select K and V pages into "
                                           "dense, then SDPA (timed as a whole)"}
                except torch.cuda.OutOfMemoryError as e:
                    backend, times, errors, extra = None, None, {
                        "oom": str(e).splitlines()[0][:300]}, {}
                torch.cuda.empty_cache()
                med = common.median(times) if times else None
                entry = dict(base, backend=backend, times_ms=times,
                             median_ms=med, errors=errors,
                             gbps=kv / (med * 1e-3) / 1e9 if med else None,
                             seconds=round(time.monotonic() - t, 2), **extra)
                result[kind].append(entry)
                print(f"{kind} {tag}" + (f" p{point['page_size']}"
                                         if kind == "paged_torch" else "") +
                      (f": {entry['gbps']:.0f} GB/s ({backend})" if med else
                       f": failed {errors}"), flush=True)
            save()
        result["status"] = "ok"
    except Exception as e:  # recorded, never lost: the harness reads the file
        result["status"] = "error"
        result["error"] = "".join(traceback.format_exception(e))[-3000:]
        print(result["error"], file=sys.stderr)
    save()


if __name__ == "__main__":
    main()
