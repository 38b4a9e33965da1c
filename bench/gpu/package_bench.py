#!/usr/bin/env python3
"""Our kernels through the Python package, as a serving engine calls them:
kvcache.Bundle.run on the same torch tensors the peers use, in one process.

  package_bench.py --bundles BUNDLES --out package.json [--cpu-only]
      [--budget S] [--repeat N] [--runner KVCACHE_RUN] [--scratch DIR]
      [--corrupt-one-bit]

The package and libKVCacheRuntime.so are the copies build_bundles.sh carried
into BUNDLES (python/kvcache, lib/): KVCACHE_RUNTIME_LIBRARY is set to the
carried library before `import kvcache`. Two parts, each recorded in the JSON
(a failure with its error, never dropped):

- exact: one small point (cases.json bench.package.exact) on .npy inputs
  that kvcache-run runs too: the package's arrays must be kvcache-run's,
  bit for bit. --cpu-only: NumPy arrays on the CPU bundle (no torch). On a
  GPU: torch CUDA tensors, stream-ordered on torch's stream with a torch
  workspace (the path the timing takes).
- points (GPU only; bench.package.points): the paged pool and every other
  input as torch CUDA tensors (the peers' random tile, the pages shuffled as
  common.page_order shuffles them), bundle.run(..., stream=torch's current
  stream, workspace=a torch uint8 tensor, cache_checks=False, wait=False)
  and .wait(); CUDA events around each call, L2 flushed (peers.Timer's
  256 MiB write) before each, median of >= 20 after 3 warm-ups. A sleep
  kernel queued after the flush keeps the GPU busy while Python binds the
  call, so the package's host time is not counted as kernel time (it is
  recorded apart: enqueue and whole-call times on the host clock). In the
  same process, SDPA (peers.run_sdpa: flash forced, cuDNN if flash refuses)
  on the same K/V gathered to dense, timed the same way; our output is
  checked against SDPA's (bf16 tolerance of the GPU grid).

--corrupt-one-bit flips one bit of the package's answer before the exact
comparison: test/Bench/run-script.test shows the comparison can fail.
"""
import argparse
import os
import platform
import shutil
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common  # noqa: E402
import decode_bench  # noqa: E402  (its .npy inputs; no torch)

import numpy as np  # noqa: E402

ENTRY = "step"
WARMUP = 3
# Longest the GPU sleeps after each flush, however slow the host is.
MAX_GUARD_S = 0.02


def import_package(bundles, info):
    """kvcache from BUNDLES/python with the carried library."""
    package_root = os.path.join(bundles, info.get("path", "python"))
    library = os.path.join(bundles, info.get("library",
                                             "lib/libKVCacheRuntime.so"))
    os.environ["KVCACHE_RUNTIME_LIBRARY"] = library
    sys.path.insert(0, package_root)
    import kvcache
    from kvcache import _library
    location = os.path.realpath(kvcache.__file__)
    return kvcache, {
        "package": location,
        "from_bundles": location.startswith(
            os.path.realpath(package_root) + os.sep),
        "library": library, "library_sha256": info.get("library_sha256"),
        "runtime_api_version": _library.api.kvcache_runtime_api_version(),
        "package_api_version": _library.API_VERSION,
        "stale_files": info.get("stale_files"),
    }


_OPEN = {}


def open_bundle(kvcache, path):
    """Each bundle is opened once and kept, as a serving engine keeps it."""
    if path not in _OPEN:
        _OPEN[path] = kvcache.load(path)
    return _OPEN[path]


def close_bundles():
    for bundle in _OPEN.values():
        bundle.close()
    _OPEN.clear()


def pool_array(cfg, point, num_pages, seed):
    """The point's kv_blocks filled from the benchmark's random tile."""
    shape = (num_pages, 2, cfg["layers"], point["page_size"],
             cfg["kv_heads"], cfg["head_dim"])
    count = int(np.prod(shape))
    tile = common.random_tile(seed, cfg["dtype"],
                              count * common.element_size(cfg["dtype"]))
    return tile.reshape(shape)


def bits(array):
    """An array's bytes, flat."""
    return np.ascontiguousarray(array).reshape(-1).view(np.uint8)


# -- exact: the package against kvcache-run on the same .npy inputs ---------


def exact_check(kvcache, torch, bundle_dir, cfg, point, runner, scratch,
                gpu, corrupt, deadline, repeat):
    """Runs the point's .npy inputs through kvcache-run and the package (on
    torch CUDA tensors when `torch` is given, else NumPy arrays); the record
    says whether every array kvcache-run wrote is the package's, bit for
    bit."""
    seed = cfg.get("seed", 0)
    in_dir, out_dir = (os.path.join(scratch, "exact-" + d)
                       for d in ("in", "out"))
    for d in (in_dir, out_dir):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    record = {"batch": point["batch"], "context": point["context"],
              "page_size": point["page_size"], "dtype": cfg["dtype"],
              "bundle": os.path.basename(bundle_dir)}
    num_pages = decode_bench.write_small_inputs(in_dir, cfg, point, seed)
    np.save(os.path.join(in_dir, "kv_blocks.npy"),
            pool_array(cfg, point, num_pages, seed))
    cmd = [runner, bundle_dir, "--entry", ENTRY, "--inputs", in_dir,
           "--outputs", out_dir, "--device", "cuda" if gpu else "cpu"]
    rc, output = common.run(cmd, timeout=max(5.0, deadline.left()))
    record.update(kvcache_run=" ".join(cmd[1:]), kvcache_run_exit=rc)
    if rc != 0:
        record.update(status="error", error="kvcache-run failed: " +
                      common.tail(output, 1500))
        return record
    expected = {name[:-4]: np.load(os.path.join(out_dir, name))
                for name in os.listdir(out_dir) if name.endswith(".npy")}

    bundle = open_bundle(kvcache, bundle_dir)
    arguments = bundle.arguments(ENTRY)
    host = {a.name: np.load(os.path.join(in_dir, a.name + ".npy"))
            for a in arguments}
    again = []  # arrays a repeated run left otherwise
    if torch is not None:
        record["arrays"] = "torch CUDA tensors (host-placed ones NumPy)"
        arrays = {a.name: to_torch(torch, host[a.name])
                  if a.placement == "device" else host[a.name]
                  for a in arguments}
        stream = torch.cuda.current_stream()
        workspace = torch.empty(
            max(256, bundle.workspace_bytes(ENTRY, **arrays)),
            dtype=torch.uint8, device="cuda")
        bundle.run(ENTRY, stream=stream, workspace=workspace,
                   cache_checks=False, wait=False, **arrays).wait()
        answer = {k: to_numpy(torch, v) for k, v in arrays.items()}
    else:
        record["arrays"] = "NumPy"
        arrays = host
        t = time.perf_counter()
        bundle.run(ENTRY, **arrays)
        first = time.perf_counter() - t
        answer = {k: v.copy() for k, v in arrays.items()}
        # The call's cost on the host (the CPU kernels included): a few
        # more runs, which leave the same answer.
        calls = [first]
        for _ in range(max(1, repeat - 1)):
            t = time.perf_counter()
            bundle.run(ENTRY, **arrays)
            calls.append(time.perf_counter() - t)
        record["call_us"] = [c * 1e6 for c in calls]
        record["median_call_us"] = common.median(record["call_us"])
        again = [k for k in arrays
                 if bits(arrays[k]).tobytes() != bits(answer[k]).tobytes()]
    if corrupt:
        flipped = bits(answer["out"]).copy()
        flipped[0] ^= 1
        answer["out"] = flipped.view(answer["out"].dtype).reshape(
            answer["out"].shape)
        record["corrupted"] = "one bit of out flipped (--corrupt-one-bit)"
    differ = {}
    if again:
        differ["repeated runs"] = "left different " + ", ".join(again)
    for name, want in sorted(expected.items()):
        got = answer.get(name)
        if got is None:
            differ[name] = "not an argument the package was given"
        elif got.dtype != want.dtype or got.shape != want.shape:
            differ[name] = f"{got.dtype}{got.shape} vs {want.dtype}{want.shape}"
        elif bits(got).tobytes() != bits(want).tobytes():
            a, b = bits(got), bits(want)
            differ[name] = f"{int(np.count_nonzero(a != b))} of {a.size} bytes"
    record.update(compared=sorted(expected), differences=differ,
                  equal=not differ, status="ok" if not differ else "differs")
    return record


def to_torch(torch, array):
    if array.dtype == np.uint16:  # bf16 bit patterns
        return torch.from_numpy(array.view(np.int16)).view(
            torch.bfloat16).to("cuda")
    return torch.from_numpy(np.ascontiguousarray(array)).to("cuda")


def to_numpy(torch, value):
    if not torch.is_tensor(value):
        return value
    value = value.cpu()
    if value.dtype == torch.bfloat16:
        return value.view(torch.int16).numpy().view(np.uint16)
    return value.numpy()


# -- points: timed on torch tensors next to SDPA ----------------------------


class GuardedTimer:
    """peers.Timer's protocol (flush, events, median) with a sleep kernel
    after each flush that outlasts the host's part of the call."""

    def __init__(self, torch, flush):
        self.torch, self.flush = torch, flush
        self.guard_cycles, self.guard_s = 0, 0.0
        self.note = None
        self.cycles_per_s = None
        if hasattr(torch.cuda, "_sleep"):
            for cycles in (100_000, 2_000_000):  # the first one warms up
                start, end = self.events()
                start.record()
                torch.cuda._sleep(cycles)
                end.record()
                end.synchronize()
            self.cycles_per_s = cycles / (start.elapsed_time(end) * 1e-3)
        else:
            self.note = ("torch.cuda._sleep missing: no guard, host time "
                         "before the kernels may count")

    def events(self):
        cuda = self.torch.cuda
        return (cuda.Event(enable_timing=True), cuda.Event(enable_timing=True))

    def set_guard(self, seconds):
        if self.cycles_per_s:
            self.guard_s = min(MAX_GUARD_S, seconds)
            self.guard_cycles = int(self.guard_s * self.cycles_per_s)

    def times_ms(self, fn, repeat, finish=None):
        """fn() `repeat` times after WARMUP, each between two events after a
        flush and the guard; finish(fn's result) after the end event."""
        torch = self.torch
        for _ in range(WARMUP):
            result = fn()
            if finish:
                finish(result)
        torch.cuda.synchronize()
        pairs, host = [], []
        for _ in range(repeat):
            self.flush.zero_()  # evicts L2
            if self.guard_cycles:
                torch.cuda._sleep(self.guard_cycles)
            start, end = self.events()
            start.record()
            t = time.perf_counter()
            result = fn()
            host.append(time.perf_counter() - t)
            end.record()
            if finish:
                finish(result)
            pairs.append((start, end))
        torch.cuda.synchronize()
        self.host_s = host
        return [start.elapsed_time(end) for start, end in pairs]


def gpu_point(kvcache, torch, peers, bundle_dir, cfg, point, timer, filler,
              backends, repeat):
    """One decode point: ours through the package and SDPA on the same K/V."""
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel
    b, L, page = point["batch"], point["context"], point["page_size"]
    prompt, layer = cfg["prompt"], cfg["layer"]
    hq, hk, d = cfg["q_heads"], cfg["kv_heads"], cfg["head_dim"]
    dt = peers.dtype_of(cfg)
    tokens, total = b * prompt, L + prompt
    pages = common.page_order(cfg.get("seed", 0), b, L, prompt, page)
    num_pages, ppr = pages.size, pages.shape[1]
    columns = (ppr + 7) // 8 * 8 + 16
    table = np.full((b, columns), num_pages, dtype=np.int32)  # sentinel
    table[:, :ppr] = pages
    record = {}

    pool = filler.fill(torch.empty(num_pages, 2, cfg["layers"], page, hk, d,
                                   dtype=dt, device="cuda"))
    q = filler.fill(torch.empty(tokens, hq, d, dtype=dt, device="cuda"))
    values = {
        "q": q,
        "key": torch.zeros(tokens, hk, d, dtype=dt, device="cuda"),
        "value": torch.zeros(tokens, hk, d, dtype=dt, device="cuda"),
        "input_row_offsets": np.arange(0, (b + 1) * prompt, prompt,
                                       dtype=np.int32),
        "out": torch.zeros(tokens, hq, d, dtype=dt, device="cuda"),
        "kv_blocks": pool,
        "cache_lengths": np.full(b, L, dtype=np.int32),
        "lookup_table": table,
        "max_lengths": np.array([[prompt, total]], dtype=np.int32),
    }
    bundle = open_bundle(kvcache, bundle_dir)
    # By the manifest: device-placed arguments as CUDA tensors, the
    # host-placed ones (max_lengths) as NumPy.
    arrays = {}
    for a in bundle.arguments(ENTRY):
        if a.name not in values:
            continue  # run() names what is missing
        value = values[a.name]
        if isinstance(value, np.ndarray) and a.placement == "device":
            value = torch.from_numpy(value).to("cuda")
        arrays[a.name] = value
    stream = torch.cuda.current_stream()
    record["workspace_bytes"] = bundle.workspace_bytes(ENTRY, **arrays)
    workspace = torch.empty(max(256, record["workspace_bytes"]),
                            dtype=torch.uint8, device="cuda")

    def launch():
        return bundle.run(ENTRY, stream=stream, workspace=workspace,
                          cache_checks=False, wait=False, **arrays)

    t = time.perf_counter()
    launch().wait()
    record["first_call_s"] = time.perf_counter() - t
    out = arrays["out"]
    first = out.clone()

    # SDPA on the same K/V, gathered to dense [b, kv_heads, tokens, d].
    flat = torch.from_numpy(pages.reshape(-1).astype(np.int64)).to("cuda")

    def dense(kv):
        rows = pool[:, kv, layer].index_select(0, flat)
        return rows.view(b, ppr * page, hk, d)[:, :total].transpose(
            1, 2).contiguous()
    k, v = dense(0), dense(1)
    qd = q.view(b, prompt, hq, d).transpose(1, 2).contiguous()

    # The guard: a few times the slowest enqueue seen so far.
    enqueue = []
    for _ in range(WARMUP):
        t = time.perf_counter()
        pending = launch()
        enqueue.append(time.perf_counter() - t)
        pending.wait()
    timer.set_guard(max(5e-4, 4 * max(enqueue)))
    times = timer.times_ms(launch, repeat, finish=lambda p: p.wait())
    host = timer.host_s
    calls = []
    for _ in range(min(repeat, 20)):
        t = time.perf_counter()
        launch().wait()
        calls.append(time.perf_counter() - t)
    med = common.median(times)
    record.update(
        kernel_ms=times, median_kernel_us=med * 1e3,
        gbps=point["kv_bytes"] / (med * 1e-3) / 1e9,
        enqueue_us=[h * 1e6 for h in host],
        median_enqueue_us=common.median(host) * 1e6,
        call_us=[c * 1e6 for c in calls],
        median_call_us=common.median(calls) * 1e6,
        guard_us=timer.guard_s * 1e6,
        guard_outlasted_host=max(host) < timer.guard_s
        if timer.guard_cycles else None,
        stable=bool(torch.equal(out, first)))
    if timer.note:
        record["timing_note"] = timer.note

    backend, sdpa_times, errors = peers.run_sdpa(
        lambda: (lambda: F.scaled_dot_product_attention(
            qd, k, v, enable_gqa=True)), backends, timer, repeat)
    sdpa = {"backend": backend, "times_ms": sdpa_times, "errors": errors}
    if backend is not None:
        with sdpa_kernel([getattr(SDPBackend, backend)]):
            reference = F.scaled_dot_product_attention(qd, k, v,
                                                       enable_gqa=True)
        sdpa_med = common.median(sdpa_times)
        sdpa.update(median_us=sdpa_med * 1e3,
                    gbps=point["kv_bytes"] / (sdpa_med * 1e-3) / 1e9)
        record["ratio_to_sdpa"] = sdpa_med / med
        record["reference"] = f"SDPA {backend} (bf16)"
    else:
        with sdpa_kernel([SDPBackend.MATH]):
            reference = F.scaled_dot_product_attention(
                qd.float(), k.float(), v.float(), enable_gqa=True)
        record["reference"] = "SDPA math (f32): flash and cuDNN refused"
    record["sdpa"] = sdpa
    ours = first.view(b, prompt, hq, d).transpose(1, 2)
    error = (ours.float() - reference.float()).abs().max().item()
    tolerance = common.import_driver().GPU_TOLERANCE[cfg["dtype"]]
    record.update(max_abs_error=error, tolerance=tolerance,
                  matches_sdpa=bool(error <= tolerance))  # NaN: False
    record["status"] = ("ok" if record["matches_sdpa"] and record["stable"]
                        else "mismatch")
    return record


def gpu_points(kvcache, cases, bundles, deadline, repeat, result, save, log):
    import torch
    import peers  # torch; its Filler, Timer's flush, run_sdpa, dtype_of
    from torch.nn.attention import SDPBackend
    cfg = cases["bench"]
    points = (cfg.get("package") or {}).get("points") or []
    backends = [SDPBackend.FLASH_ATTENTION, SDPBackend.CUDNN_ATTENTION]
    timer = GuardedTimer(torch, peers.Timer().flush)
    filler = peers.Filler(cfg)
    result["l2_flush_bytes"] = peers.FLUSH_BYTES
    result["warmup"] = WARMUP
    for batch, context, page in points:
        kv = common.kv_bytes(batch, context, cfg["prompt"], cfg["kv_heads"],
                             cfg["head_dim"], cfg["dtype"])
        point = {"batch": batch, "context": context, "page_size": page,
                 "kv_bytes": kv}
        entry = dict(point)
        bundle = cfg["bundles"].get(str(page))
        # The pool, K and V gathered, one gather's temporary, the flush and
        # the tile; a fill and the runs at ~1 TB/s, generously.
        need = 2.7 * kv + 1.5e9
        estimate = 1.0 + 60 * kv / 1e12
        free, _ = torch.cuda.mem_get_info()
        if bundle is None or str(page) in cfg.get("compile_errors", {}):
            entry.update(status="skipped", reason=f"no bundle for page size "
                         f"{page} (compile failed in build_bundles)")
        elif estimate > deadline.left():
            entry.update(status="skipped", reason=f"stage budget: needs "
                         f"~{estimate:.0f} s, {deadline.left():.0f} s left")
        elif need > free:
            entry.update(status="skipped", reason=f"needs {need / 1e9:.1f} "
                         f"GB, {free / 1e9:.1f} GB free")
        else:
            t = time.monotonic()
            entry["bundle"] = bundle
            try:
                entry.update(gpu_point(kvcache, torch, peers,
                                       os.path.join(bundles, bundle), cfg,
                                       point, timer, filler, backends, repeat))
            except Exception as e:  # recorded with its error, never dropped
                entry.update(status="error", error=f"{type(e).__name__}: {e}",
                             traceback=traceback.format_exc()[-2000:])
            torch.cuda.synchronize()
            torch.cuda.empty_cache()
            entry["seconds"] = round(time.monotonic() - t, 2)
        result["points"].append(entry)
        tag = f"b{batch} L{context} p{page}"
        log(f"{tag}: " + describe_point(entry))
        save()


def describe_point(entry):
    """One line for a timed point (what the log shows)."""
    if not entry.get("gbps"):
        return f"{entry['status']} " + common.tail(
            entry.get("reason") or entry.get("error") or "", 400)
    sdpa = entry.get("sdpa") or {}
    parts = [f"{entry['gbps']:.4g} GB/s ({entry['median_kernel_us']:.1f} us)"]
    if sdpa.get("gbps"):
        parts.append(f"SDPA {sdpa['gbps']:.4g} GB/s ({sdpa['backend']}), "
                     f"{entry['ratio_to_sdpa']:.2f}x")
    elif "sdpa" in entry:
        parts.append(f"SDPA refused: {sdpa.get('errors')}")
    if entry.get("max_abs_error") is not None:
        parts.append(f"max error {entry['max_abs_error']:.3g} vs "
                     f"{entry['reference']}")
    parts.append(f"enqueue {entry['median_enqueue_us']:.0f} us, call "
                 f"{entry['median_call_us']:.0f} us")
    parts.append(entry["status"] + (f": {entry['error']}"
                                    if entry.get("error") else ""))
    return ", ".join(parts)


def versions(torch=None):
    info = {"python": platform.python_version(), "numpy": np.__version__}
    if torch is not None:
        info.update(torch=torch.__version__, cuda=torch.version.cuda)
        try:
            info["device"] = torch.cuda.get_device_name(0)
        except Exception as e:
            info["device"] = f"unknown ({e})"
    return info


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundles", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--cpu-only", action="store_true")
    p.add_argument("--budget", type=float, default=20)
    p.add_argument("--repeat", type=int)
    p.add_argument("--runner", help="default: BUNDLES/bin/kvcache-run")
    p.add_argument("--scratch", help="default: a temporary directory")
    p.add_argument("--corrupt-one-bit", action="store_true",
                   help="flip one bit of the package's answer before the "
                   "exact comparison (to show that it can fail)")
    a = p.parse_args()
    deadline = common.Deadline(a.budget)
    bundles = os.path.abspath(a.bundles)
    gpu = not a.cpu_only
    result = {"mode": "gpu" if gpu else "cpu-only", "budget_s": a.budget,
              "entry": ENTRY, "versions": versions(), "points": []}

    def save():
        result["seconds"] = round(deadline.spent(), 2)
        common.write_json(a.out, result)

    def log(line):
        print(line, flush=True)

    scratch = a.scratch or None
    made_scratch = False
    try:
        cases = common.load_cases(bundles)
        cfg = cases["bench"]
        info = cases.get("python_package")
        if not info:
            raise RuntimeError("cases.json has no python_package: bundles "
                               "built before the package was carried; "
                               "rebuild them")
        if info.get("error"):
            raise RuntimeError(f"build_bundles carried no package: "
                               f"{info['error']}")
        runner = os.path.abspath(a.runner or os.path.join(
            bundles, cases["kvcache_run"]))
        torch = None
        if gpu:
            try:
                import torch
                torch.cuda.init()
                result["versions"] = versions(torch)
            except Exception as e:
                result["torch_error"] = f"{type(e).__name__}: {e}"
                torch = None
                log(f"torch unusable ({result['torch_error']}): the exact "
                    f"check on NumPy arrays only")
        kvcache, result["package"] = import_package(bundles, info)
        save()
        repeat = max(20 if gpu else 1, a.repeat or cfg["repeat"])
        result["repeat"] = repeat
        if scratch is None:
            import tempfile
            scratch, made_scratch = tempfile.mkdtemp(prefix="kvcache-package-"), True
        os.makedirs(scratch, exist_ok=True)

        exact = (cfg.get("package") or {}).get("exact")
        if exact:
            batch, context, page = exact
            point = {"batch": batch, "context": context, "page_size": page}
            bundle = cfg["bundles"].get(str(page))
            tag = f"b{batch} L{context} p{page} {cfg['dtype']}"
            try:
                if bundle is None:
                    raise RuntimeError(f"no bundle for page size {page}")
                result["exact"] = exact_check(
                    kvcache, torch, os.path.join(bundles, bundle), cfg, point,
                    runner, scratch, gpu, a.corrupt_one_bit, deadline, repeat)
            except Exception as e:  # recorded with its error
                result["exact"] = dict(point, status="error",
                                       error=f"{type(e).__name__}: {e}",
                                       traceback=traceback.format_exc()[-2000:])
            r = result["exact"]
            if r["status"] == "ok":
                log(f"exact {tag} ({r['arrays']}): equals kvcache-run's "
                    f"answer bit for bit ({len(r['compared'])} arrays)")
            elif r["status"] == "differs":
                log(f"exact {tag} ({r['arrays']}): DIFFERS from kvcache-run's "
                    f"answer: " + ", ".join(f"{k} ({v})" for k, v in
                                            r["differences"].items()))
            else:
                log(f"exact {tag}: error: {common.tail(r['error'], 600)}")
            save()
        if gpu and torch is not None:
            gpu_points(kvcache, cases, bundles, deadline, repeat, result,
                       save, log)
        elif gpu:
            result["points_skipped"] = "torch is not usable: " + \
                result.get("torch_error", "?")
        result["status"] = "ok"
    except Exception as e:  # recorded, never lost: the harness reads the file
        result["status"] = "error"
        result["error"] = f"{type(e).__name__}: {e}"
        result["traceback"] = traceback.format_exc()[-3000:]
        log(f"error: {result['error']}")
    finally:
        close_bundles()
        if made_scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    save()


if __name__ == "__main__":
    main()
