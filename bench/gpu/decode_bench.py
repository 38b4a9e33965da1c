"""The decode benchmark of our kernels: kvcache-run --bench on every grid point.

KERNELS.md "Benchmark protocol": kernel time by CUDA events around the
kernels (split + combine, in one stream-ordered call), L2 flushed before
each timed run, median of >= 20 runs after warm-up; the whole entry call
reported separately; GB/s = K/V
bytes / kernel time. kvcache-run does the timing; this module writes the
inputs and collects its --bench-json.

Inputs go through .npy files, and the largest pool is 17 GB, so the pool is
one file kept across points: its header is rewritten in place and the file
truncated or extended for each point. Its data is a 64 MiB random tile
repeated (never zeros; a period far above any L2). Points run target points
first, then smallest first, and stop when the stage's budget is spent.
"""
import json
import os
import re
import shutil
import time

import numpy as np

import common

HEADER_BYTES = 256
NPY_DESCR = {"f32": "<f4", "f16": "<f2", "bf16": "<u2"}


class PoolFile:
    """kv_blocks.npy whose shape changes without rewriting its data."""

    def __init__(self, path, dtype, tile):
        self.path, self.dtype = path, dtype
        self.tile = memoryview(np.ascontiguousarray(tile).view(np.uint8))
        with open(path, "wb") as f:
            f.write(b"\0" * HEADER_BYTES)
        self.data_bytes = 0

    def header(self, shape):
        text = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
            NPY_DESCR[self.dtype], "".join(f"{d}, " for d in shape).rstrip(" "))
        body = HEADER_BYTES - 10
        text = text.ljust(body - 1) + "\n"
        assert len(text) == body, "npy header too long"
        return b"\x93NUMPY\x01\x00" + body.to_bytes(2, "little") + text.encode()

    def resize(self, shape):
        need = int(np.prod(shape)) * common.element_size(self.dtype)
        with open(self.path, "r+b") as f:
            if need < self.data_bytes:
                f.truncate(HEADER_BYTES + need)
            else:
                f.seek(HEADER_BYTES + self.data_bytes)
                left = need - self.data_bytes
                while left > 0:
                    chunk = min(left, len(self.tile))
                    f.write(self.tile[:chunk])
                    left -= chunk
            f.seek(0)
            f.write(self.header(shape))
        self.data_bytes = need


def write_small_inputs(in_dir, cfg, point, seed):
    pac = common.import_driver()
    et = pac.ELEMENT_TYPES[cfg["dtype"]]
    batch, context, page = point["batch"], point["context"], point["page_size"]
    prompt = cfg["prompt"]
    pages = common.page_order(seed, batch, context, prompt, page)
    num_pages = pages.size
    columns = (pages.shape[1] + 7) // 8 * 8 + 16
    table = np.full((batch, columns), num_pages, dtype=np.int32)
    table[:, :pages.shape[1]] = pages
    rng = np.random.default_rng([seed, batch, context, page, 1])
    tokens = batch * prompt
    hq, hk, d = cfg["q_heads"], cfg["kv_heads"], cfg["head_dim"]

    def rand(shape):
        return et.encode(rng.random(shape, dtype=np.float32) * 2 - 1)
    arrays = {
        "cache_lengths": np.full(batch, context, dtype=np.int32),
        "lookup_table": table,
        "max_lengths": np.array([[prompt, context + prompt]], dtype=np.int32),
        "input_row_offsets": (np.arange(batch + 1) * prompt).astype(np.int32),
        "q": rand((tokens, hq, d)),
        "key": rand((tokens, hk, d)),
        "value": rand((tokens, hk, d)),
        "out": et.encode(np.zeros((tokens, hq, d), np.float32)),
    }
    for name, array in arrays.items():
        np.save(os.path.join(in_dir, name + ".npy"), array)
    return num_pages


UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def _unit(key, default="ms"):
    m = re.search(r"_(ns|us|ms|s)$", key)
    return UNITS[m.group(1) if m else default]


def parse_bench_json(obj):
    """Per-run kernel and entry-call times (seconds) from kvcache-run's
    --bench-json. The expected form is documented in bench/gpu/README.md
    ({"kernel_ms": [...], "entry_ms": [...], ...}); keys are matched loosely
    (kernel*/entry*|call*, unit by suffix) so that small changes of the
    colleague's format still parse."""
    found = {"kernel": None, "entry": None, "kernel_median": None,
             "entry_median": None}

    def kind_of(key):
        k = key.lower()
        if "kernel" in k:
            return "kernel"
        if "entry" in k or "call" in k:
            return "entry"
        return None

    def visit(node, inherited=None):
        if isinstance(node, dict):
            for key, value in node.items():
                kind = kind_of(key) or inherited
                k = key.lower()
                numbers = isinstance(value, list) and value and all(
                    isinstance(v, (int, float)) and not isinstance(v, bool)
                    for v in value)
                if kind and numbers and "median" not in k:
                    if found[kind] is None:
                        found[kind] = [v * _unit(k) for v in value]
                elif (kind and isinstance(value, (int, float))
                      and "median" in k and re.search(r"_(ns|us|ms|s)$", k)):
                    if found[kind + "_median"] is None:
                        found[kind + "_median"] = value * _unit(k)
                else:
                    visit(value, kind)
        elif isinstance(node, list):
            for item in node:
                visit(item, inherited)
    visit(obj)
    for kind in ("kernel", "entry"):
        if found[kind] and found[kind + "_median"] is None:
            found[kind + "_median"] = common.median(found[kind])
    return found


def bench_point(runner, bundle, point, cfg, pool, scratch, device, repeat,
                timeout, seed, wall_clock_fallback):
    in_dir = os.path.join(scratch, "in")
    out_dir = os.path.join(scratch, "out")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(in_dir, exist_ok=True)
    t = time.monotonic()
    num_pages = write_small_inputs(in_dir, cfg, point, seed)
    pool.resize((num_pages, 2, cfg["layers"], point["page_size"],
                 cfg["kv_heads"], cfg["head_dim"]))
    prep = time.monotonic() - t
    bench_json = os.path.join(scratch, "bench.json")
    if os.path.exists(bench_json):
        os.remove(bench_json)
    # No --outputs: --bench needs none, and writing the pool back would
    # cost as much as reading it.
    base = [runner, bundle, "--entry", "step", "--inputs", in_dir,
            "--device", device]
    cmd = base + ["--bench", "--warmup", "3", "--repeat", str(repeat),
                  "--kv-bytes", str(point["kv_bytes"]), "--bench-json",
                  bench_json]
    t = time.monotonic()
    rc, output = common.run(cmd, timeout=timeout)
    record = {"command": " ".join(cmd[1:]), "prepare_s": round(prep, 3),
              "exit": rc, "output_tail": common.tail(output, 1500)}
    if rc == 0 and os.path.exists(bench_json):
        with open(bench_json) as f:
            raw = json.load(f)
        times = parse_bench_json(raw)
        record.update(timing="kvcache-run --bench (CUDA events, L2 flushed)"
                      if device == "cuda" else "kvcache-run --bench",
                      bench_json=raw)
    elif (wall_clock_fallback and rc is not None and rc != 0
          and "--bench" in output):
        # This kvcache-run has no --bench yet (CPU placeholder only): time
        # whole processes, reads and writes of every array included.
        walls = []
        deadline = time.monotonic() + (timeout or 60)
        for _ in range(repeat):
            t0 = time.monotonic()
            rc, output = common.run(base + ["--outputs", out_dir],
                                    timeout=max(1, deadline - t0))
            if rc != 0:
                break
            walls.append(time.monotonic() - t0)
        record.update(exit=rc, output_tail=common.tail(output, 1500),
                      timing="process wall clock (kvcache-run has no --bench)")
        times = {"kernel": walls or None, "entry": walls or None,
                 "kernel_median": common.median(walls),
                 "entry_median": common.median(walls)}
    else:
        record["status"] = "timeout" if rc is None else "error"
        record["seconds"] = round(time.monotonic() - t, 3)
        shutil.rmtree(out_dir, ignore_errors=True)
        return record
    record["seconds"] = round(time.monotonic() - t, 3)
    shutil.rmtree(out_dir, ignore_errors=True)
    k, e = times["kernel_median"], times["entry_median"]
    record.update(
        status="ok" if k else "error",
        kernel_s=times["kernel"], entry_s=times["entry"],
        kernel_median_s=k, entry_median_s=e,
        runs=len(times["kernel"] or []),
        gbps=point["kv_bytes"] / k / 1e9 if k else None,
        entry_gbps=point["kv_bytes"] / e / 1e9 if e else None)
    if not k:
        record["error"] = "no kernel times in the --bench-json"
    return record


def sweep_items(cfg):
    """The extra points run once the target points are done, as (section,
    label, point, bundle key, sweep config): the split sweep (each point
    with every forced split count, to compare with the rule's choice in the
    main grid) and the kernel variants (e.g. decode on CUDA cores, to compare
    with the default tensor-core kernel)."""
    items = []
    sweep = cfg.get("split_sweep")
    for batch, context, counts in (sweep or {}).get("points", []):
        for n in counts:
            items.append(("split_sweep", f"s{n}", {"batch": batch,
                          "context": context, "splits": n}, str(n), sweep))
    variants = cfg.get("variants")
    for batch, context in (variants or {}).get("points", []):
        for v in variants.get("tensor_cores", []):
            items.append(("variants", f"tensor-cores {v}", {
                "batch": batch, "context": context, "tensor_cores": v,
                "variant": f"tensor-cores {v}"}, v, variants))
        for v in variants.get("page_guard", []):
            items.append(("variants", f"page-guard {v}", {
                "batch": batch, "context": context, "page_guard": v,
                "variant": f"page-guard {v}"}, f"guard-{v}", variants))
    return items


def run_sweeps(bundles, cfg, runner, pool, scratch, device, repeat,
               deadline, seed, wall_clock_fallback, log):
    """Runs sweep_items(cfg); returns {section: [records]}."""
    results = {}
    for section, label, point, key, sweep in sweep_items(cfg):
        page = sweep["page_size"]
        point = dict(point, page_size=page, kv_bytes=common.kv_bytes(
            point["batch"], point["context"], cfg["prompt"], cfg["kv_heads"],
            cfg["head_dim"], cfg["dtype"]))
        entry = dict(point)
        bundle = sweep.get("bundles", {}).get(key)
        if bundle is None or key in sweep.get("compile_errors", {}):
            entry.update(status="skipped", reason="no bundle (compile "
                         "failed in build_bundles)")
        elif 2.0 + point["kv_bytes"] / 1.2e9 > deadline.left():
            entry.update(status="skipped", reason="stage budget")
        else:
            entry.update(bench_point(
                runner, os.path.join(bundles, bundle), point, cfg, pool,
                scratch, device, repeat, max(5.0, deadline.left()), seed,
                wall_clock_fallback))
        results.setdefault(section, []).append(entry)
        log(f"{section.replace('_', ' ')} p{page} b{point['batch']} "
            f"L{point['context']} {label}: "
            + (f"{entry['gbps']:.4g} GB/s" if entry.get("status") == "ok"
               else f"{entry['status']} {entry.get('reason', '')}"))
    return results


def run_grid(bundles, cases, runner, scratch, device, budget_s, repeat=None,
             log=print, wall_clock_fallback=False):
    cfg = cases["bench"]
    deadline = common.Deadline(budget_s)
    repeat = repeat or cfg["repeat"]
    seed = cfg.get("seed", 0)
    points = common.bench_points(cfg)
    result = {"config": {k: v for k, v in cfg.items() if k != "bundles"},
              "repeat": repeat, "device": device, "budget_s": budget_s,
              "gbps_formula": "sum_b (cache_len_b + n_b) * 2 * kv_heads * "
                              "head_dim * bytes / median kernel time",
              "points": []}
    os.makedirs(os.path.join(scratch, "in"), exist_ok=True)
    pool = PoolFile(os.path.join(scratch, "in", "kv_blocks.npy"), cfg["dtype"],
                    common.random_tile(seed, cfg["dtype"]))
    # Bytes the host moves per point (write the pool's growth, read it,
    # copy it to the device): a rough rate to skip what cannot finish. An
    # H200 host measured 3.0 GB/s writing /dev/shm, 2.8 GB/s reading it
    # with np.load and 5.4 GB/s pageable host-to-device copies.
    rate = 1.2e9
    sweep_done = not sweep_items(cfg)

    def sweep():
        result.update(run_sweeps(
            bundles, cfg, runner, pool, scratch, device, repeat, deadline,
            seed, wall_clock_fallback, log))

    try:
        for point in points:
            # The sweeps run once the target points are done: they are
            # small, and the rest of the grid stops where the budget does.
            key = (point["page_size"], point["batch"], point["context"])
            if not sweep_done and key not in common.TARGET_POINTS:
                sweep()
                sweep_done = True
            entry = dict(point)
            page = str(point["page_size"])
            bundle = cfg["bundles"].get(page)
            if point["too_big"]:
                entry.update(status="skipped", reason="K/V over "
                             f"{cfg['max_kv_bytes'] / 1e9:g} GB (the peers "
                             "need their own copies)")
            elif bundle is None or page in cfg.get("compile_errors", {}):
                entry.update(status="skipped", reason="no bundle for page "
                             f"size {page} (compile failed in build_bundles)")
            else:
                estimate = 2.0 + point["kv_bytes"] / rate
                if estimate > deadline.left():
                    entry.update(status="skipped", reason=f"stage budget: needs "
                                 f"~{estimate:.0f} s, {deadline.left():.0f} s left")
                else:
                    entry.update(bench_point(
                        runner, os.path.join(bundles, bundle), point, cfg,
                        pool, scratch, device, repeat,
                        max(5.0, deadline.left()), seed, wall_clock_fallback))
            result["points"].append(entry)
            if entry.get("status") == "ok":
                log(f"decode p{page} b{point['batch']} L{point['context']}: "
                    f"{entry['gbps']:.4g} GB/s ({entry['runs']} runs, "
                    f"{entry['seconds']:.1f} s)")
            else:
                log(f"decode p{page} b{point['batch']} L{point['context']}: "
                    f"{entry['status']} {entry.get('reason', '')}"
                    f"{common.tail(entry.get('output_tail', ''), 300)}")
        if not sweep_done:
            sweep()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result["seconds"] = round(deadline.spent(), 2)
    return result
