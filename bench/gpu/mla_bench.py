#!/usr/bin/env python3
"""The MLA decode benchmark points (the MLA issue's protocol): bundles built
here (cases.py calls build()), run on a GPU host by harness.py's `mla` stage
(run()).

Points (GPU): an MLA cache of bf16 latent rows, head_dim 576 / value 512
(DeepSeek-V3), page 64, batch 64 x 4k:
  mla/h16      16 q heads, one-token decode: GB/s of latent rows read
               (sum of (context + 1) x 576 x 2 B over the batch / kernel
               time), against the copy bandwidth (target >= 85%)
  mla/h128     128 q heads: TFLOP/s, 2 x heads x keys x (576 + 512) FLOPs per
               query token (target >= 250 on mma.sync)
  mla/h16-mtp2 16 q heads, two query tokens (multi-token prediction): GB/s
The inputs come from `kvcache-run --generate --value-dim` (a shuffled pool,
MLA's 3-entry dispatch metadata and mla_num_partitions by MAX's split rule);
timing is `kvcache-run --bench` (CUDA events, L2 flushed), as the decode
stage times its points.

With --cpu-only the points are tiny f32 stand-ins (head_dim 40 / value 32)
that only exercise the script.
"""
import json
import os
import shutil
import time

import common
import decode_bench

GPU_MLA = {
    "dtype": "bf16", "head_dim": 576, "value_dim": 512, "page_size": 64,
    "scale": 0.0723, "repeat": 20, "seed": 0,
    # [name, q heads, batch, context, prompt, metric]
    "points": [["mla/h16", 16, 64, 4096, 1, "gbps"],
               ["mla/h128", 128, 64, 4096, 1, "tflops"],
               ["mla/h16-mtp2", 16, 64, 4096, 2, "gbps"]],
}
CPU_MLA = {
    "dtype": "f32", "head_dim": 40, "value_dim": 32, "page_size": 16,
    "scale": 0.125, "repeat": 3, "seed": 0,
    "points": [["mla/h16", 16, 2, 256, 1, "gbps"],
               ["mla/h16-mtp2", 16, 2, 256, 2, "gbps"]],
}


def config(gpu):
    return dict(GPU_MLA if gpu else CPU_MLA)


def bundle_name(q_heads):
    return f"mla-q{q_heads}"


def graph(cfg, q_heads):
    """One attention over an MLA cache whose fields are what --generate
    writes (the metadata is the device's; mla_num_partitions chooses the
    split count)."""
    d, v, p, t = cfg["head_dim"], cfg["value_dim"], cfg["page_size"], \
        cfg["dtype"]
    kv = ("!kvcache.inputs<"
          f"kv_blocks: memref<?x1x1x{p}x1x{d}x{t}>, "
          "cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, "
          "max_lengths: memref<?x2xi32>, "
          "attention_dispatch_metadata: memref<3xi64>, "
          "mla_num_partitions: memref<1xi64>>")
    q = f"memref<?x{q_heads}x{d}x{t}>"
    out = f"memref<?x{q_heads}x{v}x{t}>"
    return f"""!kv = {kv}
func.func @step(%q: {q} {{kvcache.name = "q"}},
                %offsets: memref<?xi32> {{kvcache.name = "input_row_offsets"}},
                %out: {out} {{kvcache.name = "out", kvcache.role = "output"}}) {{
  %kv = kvcache.inputs_per_device device(0) : !kv
  %layer = arith.constant 0 : index
  kvcache.attention %kv, %layer, %q, %offsets, %out {{scale = {cfg['scale']!r} : f32}} : !kv, {q}, memref<?xi32>, {out}
  return
}}
"""


def build(compile_bin, target, bundles, log):
    """Compiles one bundle per q-head count of the points into BUNDLES;
    returns cases.json's `mla` record (failed compiles recorded)."""
    cfg = config(target != "cpu")
    cfg["bundles"], errors = {}, {}
    graphs = os.path.join(bundles, ".mla-graphs")
    os.makedirs(graphs, exist_ok=True)
    for heads in sorted({point[1] for point in cfg["points"]}):
        name = bundle_name(heads)
        path = os.path.join(graphs, name + ".mlir")
        with open(path, "w") as f:
            f.write(graph(cfg, heads))
        rc, output = common.run([compile_bin, path, f"--target={target}",
                                 "-o", os.path.join(bundles, name)],
                                timeout=600)
        log.write(f"{'ok' if rc == 0 else 'FAILED'} {name}: mla bench\n")
        if rc == 0:
            cfg["bundles"][str(heads)] = name
        else:
            errors[str(heads)] = common.tail(output, 1500)
    shutil.rmtree(graphs, ignore_errors=True)
    if errors:
        cfg["compile_errors"] = errors
    return cfg


def point_bytes_and_flops(cfg, heads, batch, context, prompt):
    keys = batch * (context + prompt)
    latent = keys * cfg["head_dim"] * common.element_size(cfg["dtype"])
    # Every query token scores all its keys (head_dim) and sums their values
    # (value_dim), per head; a causal mask would change little at 2 tokens.
    flops = (2 * heads * batch * prompt * (context + prompt)
             * (cfg["head_dim"] + cfg["value_dim"]))
    return latent, flops


def run_point(runner, bundle, cfg, point, scratch, device, repeat, timeout):
    name, heads, batch, context, prompt, metric = point
    in_dir = os.path.join(scratch, "in")
    shutil.rmtree(in_dir, ignore_errors=True)
    t = time.monotonic()
    rc, output = common.run(
        [runner, "--generate", in_dir, "--batch", str(batch),
         "--context-length", str(context), "--prompt-length", str(prompt),
         "--num-q-heads", str(heads), "--num-kv-heads", "1",
         "--head-dim", str(cfg["head_dim"]),
         "--value-dim", str(cfg["value_dim"]),
         "--page-size", str(cfg["page_size"]), "--num-layers", "1",
         "--dtype", cfg["dtype"], "--seed", str(cfg["seed"])],
        timeout=timeout)
    record = {"name": name, "q_heads": heads, "batch": batch,
              "context": context, "prompt": prompt,
              "prepare_s": round(time.monotonic() - t, 3)}
    if rc != 0:
        return dict(record, status="error", error=common.tail(output, 1500))
    # The graph stores nothing: the generated latent rows are not an input.
    os.remove(os.path.join(in_dir, "key.npy"))
    latent, flops = point_bytes_and_flops(cfg, heads, batch, context, prompt)
    base = [runner, bundle, "--entry", "step", "--inputs", in_dir,
            "--device", device]
    record.update(latent_bytes=latent, flops=flops)
    if device == "cpu":
        # kvcache-run --bench times GPU bundles only: whole processes here.
        out_dir = os.path.join(scratch, "out")
        walls = []
        for _ in range(repeat):
            t0 = time.monotonic()
            rc, output = common.run(base + ["--outputs", out_dir],
                                    timeout=timeout)
            if rc != 0:
                return dict(record, status="error", exit=rc,
                            output_tail=common.tail(output, 800))
            walls.append(time.monotonic() - t0)
        times = {"kernel_median": common.median(walls),
                 "entry_median": common.median(walls)}
        record["timing"] = "process wall clock (CPU placeholder)"
    else:
        bench_json = os.path.join(scratch, "bench.json")
        if os.path.exists(bench_json):
            os.remove(bench_json)
        cmd = base + ["--bench", "--warmup", "3", "--repeat", str(repeat),
                      "--kv-bytes", str(latent), "--bench-json", bench_json]
        rc, output = common.run(cmd, timeout=timeout)
        record.update(command=" ".join(cmd[1:]), exit=rc,
                      output_tail=common.tail(output, 800),
                      timing="kvcache-run --bench (CUDA events, L2 flushed)")
        if rc != 0 or not os.path.exists(bench_json):
            return dict(record, status="timeout" if rc is None else "error")
        with open(bench_json) as f:
            times = decode_bench.parse_bench_json(json.load(f))
    k = times["kernel_median"]
    if not k:
        return dict(record, status="error",
                    error="no kernel times in the --bench-json")
    return dict(record, status="ok", metric=metric, kernel_median_s=k,
                entry_median_s=times["entry_median"],
                gbps=latent / k / 1e9, tflops=flops / k / 1e12)


def run(bundles, mla, runner, scratch, device, budget, repeat=None, log=print):
    """Every point that fits in `budget` seconds; the others are recorded as
    skipped with the reason."""
    deadline = common.Deadline(budget)
    os.makedirs(scratch, exist_ok=True)
    points = []
    for point in mla["points"]:
        name, heads = point[0], point[1]
        bundle = (mla.get("bundles") or {}).get(str(heads))
        if not bundle:
            points.append({"name": name, "status": "skipped",
                           "reason": "its bundle failed to compile"})
            continue
        if deadline.left() < 2:
            points.append({"name": name, "status": "skipped",
                           "reason": "stage budget spent"})
            continue
        record = run_point(runner, os.path.join(bundles, bundle), mla, point,
                           scratch, device, repeat or mla["repeat"],
                           timeout=max(5, deadline.left()))
        log(f"  {name}: {record['status']}"
            + (f", {record['gbps']:.1f} GB/s, {record['tflops']:.2f} TFLOP/s"
               if record["status"] == "ok" else ""))
        points.append(record)
    shutil.rmtree(scratch, ignore_errors=True)
    return {"config": {k: v for k, v in mla.items() if k != "points"},
            "points": points}


def summary_line(result, copy_gbps=None):
    """`mla:` and each point's figure (GB/s with its share of the copy
    bandwidth, or TFLOP/s)."""
    parts = []
    for p in result.get("points", []):
        if p.get("status") != "ok":
            parts.append(f"{p['name']} {p.get('status')}")
        elif p["metric"] == "tflops":
            parts.append(f"{p['name']} {p['tflops']:.1f} TFLOP/s")
        else:
            share = (f" ({100 * p['gbps'] / copy_gbps:.0f}% of copy)"
                     if copy_gbps else "")
            parts.append(f"{p['name']} {p['gbps']:.0f} GB/s{share}")
    return "mla: " + (", ".join(parts) if parts else "no points")
