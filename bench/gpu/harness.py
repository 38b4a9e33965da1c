#!/usr/bin/env python3
"""The body of bench/gpu/run.sh: every stage of a GPU benchmark run, each
within its own time budget, into OUT_DIR/results.json and OUT_DIR/decode.png.

Stages (GPU mode; nominal seconds of wall time, scaled to the total budget,
215 s by default, of the 240 a lease allows):
  info         10  nvidia-smi, driver, device, tools
  correctness  60  the GPU lit grid on prebuilt bundles (parallel), with
                   compute-sanitizer memcheck on two cases alongside
  peers        30  copy bandwidth and the PyTorch peers (own process; the
                   whole grid took 8.5 s on an H200)
  package      20  our kernels through the Python package on torch CUDA
                   tensors, next to SDPA in the same process, and one point
                   bit for bit against kvcache-run (package_bench.py, own
                   process; with --cpu-only, NumPy arrays on a CPU bundle)
  mla          15  the MLA decode points (mla_bench.py): 576/512 latents,
                   16 and 128 q heads and two-token queries at batch 64 x 4k,
                   GB/s and TFLOP/s
  decode       90  kvcache-run --copy-bandwidth, then our kernels,
                   kvcache-run --bench per grid point (it may use up to
                   1.5x its budget when earlier stages finished early)
  report       10  targets, decode.png, results.json, the summary (last)
A stage that runs out of time records what it skipped and why; results.json
is rewritten after every stage, so even a killed run leaves one.

--cpu-only runs against CPU bundles (build_bundles.sh --target cpu) with no
GPU and no torch: the GPU sections say skipped, with the reason, and the
plot shows the CPU placeholder timings.
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

import common
import decode_bench
import mla_bench
import plot

BUDGETS_GPU = {"info": 10, "correctness": 60, "peers": 30, "package": 20,
               "mla": 15, "decode": 90, "report": 10}
BUDGETS_CPU = {"info": 5, "correctness": 60, "peers": 0, "package": 5,
               "mla": 5, "decode": 25, "report": 10}


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def skipped(reason, **extra):
    return dict({"skipped": True, "reason": reason}, **extra)


class Run:
    def __init__(self, a):
        self.a = a
        self.gpu = not a.cpu_only
        self.budgets = dict(BUDGETS_GPU if self.gpu else BUDGETS_CPU)
        # 215 s on a GPU leaves room for a stage's last case or point to
        # overrun by a few seconds and still end under the 4-minute lease.
        total = a.budget or (215 if self.gpu else 105)
        scale = min(1.0, total / sum(self.budgets.values()))
        self.budgets = {k: v * scale for k, v in self.budgets.items()}
        self.deadline = common.Deadline(total)
        self.bundles = os.path.abspath(a.bundles)
        self.out = os.path.abspath(a.out)
        os.makedirs(self.out, exist_ok=True)
        self.cases = common.load_cases(self.bundles)
        self.runner = os.path.abspath(a.kvcache_run or os.path.join(
            self.bundles, self.cases["kvcache_run"]))
        if self.cases.get("libraries"):
            os.environ["LD_LIBRARY_PATH"] = os.pathsep.join(
                [os.path.join(self.bundles, "lib")] +
                [p for p in [os.environ.get("LD_LIBRARY_PATH")] if p])
        self.scratch = self.make_scratch()
        self.results = {
            "format": 1, "mode": "gpu" if self.gpu else "cpu-only",
            "complete": False,
            "started": datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec="seconds"),
            "budget_s": total, "bundles": self.bundle_summary(),
            "commit": self.commit(), "stages": {},
        }

    # -- helpers -------------------------------------------------------------

    def make_scratch(self):
        base = self.a.scratch or os.environ.get("KVCACHE_BENCH_SCRATCH")
        if not base and self.gpu and os.path.isdir("/dev/shm") and \
                os.access("/dev/shm", os.W_OK) and \
                shutil.disk_usage("/dev/shm").free > 40e9:
            base = "/dev/shm"  # the 17 GB pool never touches the disk
        base = base or tempfile.gettempdir()
        os.makedirs(base, exist_ok=True)
        return tempfile.mkdtemp(prefix="kvcache-bench-", dir=base)

    def bundle_summary(self):
        c = self.cases
        return {k: c.get(k) for k in ("target", "created", "quick",
                                      "bundles_built", "bundles_failed")}

    def commit(self):
        info = {"bundles": self.cases.get("commit")}
        try:
            head = subprocess.run(["git", "-C", common.REPO, "rev-parse", "HEAD"],
                                  capture_output=True, text=True, timeout=10)
            if head.returncode == 0:
                info["tree"] = head.stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            pass
        b = info["bundles"] or {}
        info["hash"] = info.get("tree") or b.get("hash")
        info["describe"] = b.get("describe")
        return info

    def stage_budget(self, name, last_heavy=False):
        reserve = self.budgets["report"] if name != "report" else 0
        left = self.deadline.left() - reserve
        budget = self.budgets[name]
        if last_heavy:
            budget = min(1.5 * budget, left)
        return max(0.0, min(budget, left))

    def save(self):
        common.write_json(os.path.join(self.out, "results.json"), self.results)

    def stage(self, name, fn, last_heavy=False):
        budget = self.stage_budget(name, last_heavy)
        t = time.monotonic()
        log(f"stage {name}: budget {budget:.0f} s")
        try:
            status = fn(budget) or "ok"
        except Exception as e:  # a broken stage must not lose the others
            import traceback
            status = f"error: {type(e).__name__}: {e}"
            self.results.setdefault("errors", []).append(
                {"stage": name, "traceback": traceback.format_exc()[-3000:]})
            log(f"stage {name} failed: {e}")
        spent = time.monotonic() - t
        self.results["stages"][name] = {"budget_s": round(budget, 1),
                                        "seconds": round(spent, 2),
                                        "status": status}
        log(f"stage {name}: {status} in {spent:.1f} s")
        self.save()

    # -- stages --------------------------------------------------------------

    def info(self, budget):
        r = self.results
        host = {"hostname": platform.node(), "uname": " ".join(platform.uname()),
                "cpus": os.cpu_count(), "python": sys.version.split()[0]}
        try:
            with open("/proc/meminfo") as f:
                host["memory"] = f.readline().split(":", 1)[1].strip()
            with open("/proc/cpuinfo") as f:
                m = re.search(r"model name\s*:\s*(.*)", f.read())
                host["cpu_model"] = m.group(1) if m else None
        except OSError:
            pass
        if not self.gpu:
            r["device"] = {"kind": "cpu", "name": host.get("cpu_model"),
                           "host": host, "gpu": skipped(
                               "--cpu-only: CPU bundles, no GPU used")}
            r["driver"] = skipped("--cpu-only: no GPU driver used")
            r["nvidia_smi"] = skipped("--cpu-only")
            return "ok"
        smi = shutil.which("nvidia-smi")
        if not smi:
            r["device"] = {"kind": "gpu", "host": host, "error": "no nvidia-smi"}
            r["driver"] = skipped("nvidia-smi not found")
            r["nvidia_smi"] = skipped("nvidia-smi not found")
            return "error: no nvidia-smi"
        rc, full = common.run([smi], timeout=budget / 3)
        fields = ["name", "driver_version", "memory.total", "clocks.sm",
                  "clocks.mem", "clocks.max.sm", "clocks.max.mem",
                  "power.limit", "temperature.gpu", "pcie.link.gen.current",
                  "pci.bus_id", "compute_cap"]
        rc2, query = common.run([smi, "--query-gpu=" + ",".join(fields),
                                 "--format=csv,noheader"], timeout=budget / 3)
        gpu = {}
        if rc2 == 0 and query.strip():
            values = [v.strip() for v in query.strip().splitlines()[0].split(",")]
            gpu = dict(zip(fields, values))
        cuda = re.search(r"CUDA Version:\s*([\d.]+)", full or "")
        tools = {}
        for tool, flag in (("compute-sanitizer", "--version"), ("nvcc", "--version"),
                           ("ncu", "--version")):
            path = shutil.which(tool)
            if path:
                _, text = common.run([path, flag], timeout=10)
                tools[tool] = {"path": path, "version": common.tail(text.strip(), 300)}
            else:
                tools[tool] = None
        r["device"] = {"kind": "gpu", "name": gpu.get("name"), "query": gpu,
                       "spec_bandwidth_gbps": common.spec_bandwidth(gpu.get("name")),
                       "host": host, "tools": tools}
        r["driver"] = {"version": gpu.get("driver_version"),
                       "cuda": cuda.group(1) if cuda else None}
        r["nvidia_smi"] = {"exit": rc, "output": common.tail(full, 8000)}
        log(f"device {gpu.get('name')}, driver {gpu.get('driver_version')}, "
            f"CUDA {r['driver']['cuda']}")
        return "ok" if rc == 0 else f"error: nvidia-smi exit {rc}"

    def driver_cmd(self, case, workdir, json_path, timeout, prefix=None):
        cmd = [sys.executable, common.DRIVER, "--run", self.runner,
               "--bundle", os.path.join(self.bundles, case["bundle"]),
               "--workdir", workdir, "--json", json_path, "--name", case["name"],
               "--timeout", f"{max(1.0, timeout):.0f}"]
        if prefix:
            cmd += ["--run-prefix", prefix]
        return cmd + case["args"]

    def run_case(self, case, deadline, kind, prefix=None, log_file=None):
        safe = case["name"].replace("/", "_")
        workdir = os.path.join(self.scratch, kind, safe)
        json_path = os.path.join(self.scratch, kind, safe + ".json")
        base = {"name": case["name"], "test": case.get("test"),
                "args": case["args"]}
        if case.get("compile_error"):
            return dict(base, status="error", ok=False,
                        message="compile failed in build_bundles: " +
                        case["compile_error"])
        left = deadline.left()
        if left < 2:
            return dict(base, status="skipped", ok=False,
                        reason="stage budget spent before it started")
        t = time.monotonic()
        rc, output = common.run(self.driver_cmd(case, workdir, json_path, left,
                                                prefix), timeout=left + 5)
        record = dict(base)
        if os.path.exists(json_path):
            with open(json_path) as f:
                lines = [json.loads(x) for x in f if x.strip()]
            if lines:
                record.update(lines[-1])
                record["args"] = case["args"]
        if rc is None:
            record.update(status="timeout", ok=False)
        elif "status" not in record or record.get("name") != case["name"]:
            record.update(status="error", ok=False)
        record["exit"] = rc
        record["wall_s"] = round(time.monotonic() - t, 2)
        if record.get("status") != "pass":
            record["output_tail"] = common.tail(output, 2000)
        shutil.rmtree(workdir, ignore_errors=True)
        return record

    def correctness(self, budget):
        deadline = common.Deadline(budget)
        cases = self.cases["correctness"]
        jobs = self.a.jobs or min(8, max(2, (os.cpu_count() or 2)))
        memcheck_cases = self.cases.get("memcheck") or []
        sanitizer = shutil.which("compute-sanitizer") or next(
            (p for p in ("/usr/local/cuda/bin/compute-sanitizer",
                         "/opt/cuda/bin/compute-sanitizer") if os.path.exists(p)),
            None)
        memcheck_futures = {}
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            if self.gpu and sanitizer:
                for case in memcheck_cases:  # the slow ones first
                    logf = os.path.join(self.scratch, "memcheck-" +
                                        case["name"].replace("/", "_") + ".log")
                    # API errors are left out: the runtime counts a kernel's
                    # parameters by asking cuFuncGetParamInfo past the last one
                    # (the driver's only way), an expected failure the
                    # sanitizer would list. The runtime checks every driver
                    # call's result itself.
                    prefix = (f"{sanitizer} --tool memcheck --error-exitcode 99 "
                              f"--report-api-errors no "
                              f"--print-limit 50 --log-file {logf}")
                    memcheck_futures[case["name"]] = (pool.submit(
                        self.run_case, case, deadline, "memcheck", prefix), logf)
            records = list(pool.map(
                lambda c: self.run_case(c, deadline, "correctness"), cases))
            memcheck = []
            for name, (future, logf) in memcheck_futures.items():
                memcheck.append(self.memcheck_record(future.result(), logf))
        counts = {s: sum(1 for r in records if r.get("status") == s)
                  for s in ("pass", "fail", "error", "timeout", "skipped",
                            "unsupported")}
        self.results["correctness"] = {
            "device": "cuda" if self.gpu else "cpu", "cases": records,
            "total": len(records), **counts,
            "all_passed": counts["pass"] == len(records) and bool(records)}
        bad = [r for r in records if r.get("status") != "pass"]
        for r in bad[:8]:
            log(f"correctness {r['name']}: {r.get('status')} "
                f"{common.tail(r.get('message') or r.get('reason') or '', 300)}")
        if len(bad) > 8:
            log(f"correctness: {len(bad) - 8} more not passed (results.json)")
        if not self.gpu:
            self.results["memcheck"] = skipped(
                "--cpu-only: compute-sanitizer checks GPU bundles only")
        elif not sanitizer:
            self.results["memcheck"] = skipped("compute-sanitizer not found")
        elif not memcheck_cases:
            self.results["memcheck"] = skipped("no memcheck cases in cases.json")
        else:
            self.results["memcheck"] = {
                "tool": "compute-sanitizer --tool memcheck --report-api-errors no",
                "cases": memcheck,
                "total_errors": sum(m.get("errors") or 0 for m in memcheck),
                "all_clean": all(m.get("errors") == 0 for m in memcheck)}
            for m in memcheck:
                log(f"memcheck {m['name']}: {m.get('errors')} errors "
                    f"({m.get('status')})")
        return (f"{counts['pass']}/{len(records)} pass" +
                "".join(f", {counts[s]} {s}" for s in counts
                        if s != "pass" and counts[s]))

    def memcheck_record(self, record, logf):
        text = ""
        if os.path.exists(logf):
            with open(logf, errors="replace") as f:
                text = f.read()
        m = re.search(r"ERROR SUMMARY:\s*(\d+)\s+error", text)
        return {"name": record["name"], "args": record["args"],
                "errors": int(m.group(1)) if m else None,
                "status": record.get("status"), "exit": record.get("exit"),
                "check_ok": record.get("ok"),
                "log_tail": common.tail(text, 3000),
                "output_tail": record.get("output_tail"),
                "wall_s": record.get("wall_s")}

    def peers(self, budget):
        if not self.gpu:
            self.results["peers"] = skipped("--cpu-only: the peers need a GPU "
                                            "and torch")
            return "skipped"
        out = os.path.join(self.scratch, "peers.json")
        cmd = [sys.executable, os.path.join(common.HERE, "peers.py"), "--cases",
               os.path.join(self.bundles, "cases.json"), "--out", out,
               "--budget", f"{max(1.0, budget - 12):.0f}"]
        if self.a.repeat:
            cmd += ["--repeat", str(self.a.repeat)]
        rc, output = common.run(cmd, timeout=budget + 10)
        for line in output.splitlines()[-40:]:
            log("peers: " + line)
        if not os.path.exists(out):
            reason = ("torch is not importable" if "No module named 'torch'"
                      in output else "peers.py wrote nothing")
            self.results["peers"] = skipped(reason, exit=rc,
                                            output_tail=common.tail(output))
            self.results["copy_bandwidth"] = skipped(reason)
            return "error: " + reason
        with open(out) as f:
            peers = json.load(f)
        peers["exit"] = rc
        copy = peers.pop("copy_bandwidth", None)
        self.results["peers"] = peers
        self.results["copy_bandwidth"] = {"torch": copy}
        if rc is None:
            return "timeout (partial results kept)"
        return peers.get("status", "error")

    def package(self, budget):
        """package_bench.py in its own process (its torch and GPU memory
        gone before the decode stage)."""
        info = self.cases.get("python_package")
        if not info or info.get("error"):
            reason = (info or {}).get("error") or (
                "cases.json has no python_package (bundles built before the "
                "package was carried; rebuild them)")
            self.results["package"] = skipped(reason)
            return "skipped: " + reason
        out = os.path.join(self.scratch, "package.json")
        # The process starts (torch, CUDA) before its own clock does.
        cmd = [sys.executable, os.path.join(common.HERE, "package_bench.py"),
               "--bundles", self.bundles, "--out", out,
               "--budget", f"{max(1.0, budget - (6 if self.gpu else 1)):.0f}",
               "--runner", self.runner,
               "--scratch", os.path.join(self.scratch, "package")]
        if not self.gpu:
            cmd.append("--cpu-only")
        if self.a.repeat:
            cmd += ["--repeat", str(self.a.repeat)]
        env = dict(os.environ)
        if info.get("preload") and all(
                os.path.exists(p) for p in info["preload"].split(":")):
            # A sanitizer build's library: the ASan runtime first, and
            # CPython's allocations are not ours to leak-check.
            env.update(LD_PRELOAD=info["preload"],
                       ASAN_OPTIONS="detect_leaks=0:allow_user_poisoning=0")
        rc, output = common.run(cmd, timeout=budget + 10, env=env)
        for line in output.splitlines()[-40:]:
            log("package: " + line)
        if not os.path.exists(out):
            self.results["package"] = {
                "status": "error", "exit": rc,
                "error": "package_bench.py wrote nothing",
                "output_tail": common.tail(output)}
            return "error: package_bench.py wrote nothing"
        with open(out) as f:
            package = json.load(f)
        package["exit"] = rc
        if rc != 0:
            package["output_tail"] = common.tail(output)
        self.results["package"] = package
        if package.get("status") != "ok":
            return f"error: {package.get('error')}"
        exact = package.get("exact") or {}
        pts = package.get("points") or []
        parts = []
        if exact:
            parts.append("equals kvcache-run bit for bit" if exact.get("equal")
                         else f"exact check {exact.get('status')}")
        if pts:
            ok = sum(1 for p in pts if p.get("status") == "ok")
            parts.append(f"{ok}/{len(pts)} points match SDPA")
        if rc is None:
            parts.append("timeout (partial results kept)")
        return ", ".join(parts) or "ok"

    def runner_copy_bandwidth(self):
        """kvcache-run --copy-bandwidth: the same measurement in our runtime."""
        path = os.path.join(self.scratch, "copy.json")
        rc, output = common.run([self.runner, "--copy-bandwidth", "2G",
                                 "--device", "cuda", "--repeat", "20",
                                 "--bench-json", path], timeout=30)
        entry = {"exit": rc, "output_tail": common.tail(output, 800)}
        if rc == 0 and os.path.exists(path):
            with open(path) as f:
                data = json.load(f)
            copy = data.get("copy") or {}
            entry.update(bytes=copy.get("bytes"), runs=copy.get("runs"),
                         times_us=copy.get("copy_us"),
                         median_us=copy.get("median_copy_us"),
                         gbps=copy.get("gb_per_s"))
        if rc == 0 and not entry.get("gbps"):
            m = re.findall(r"([\d.]+)\s*(GB/s|TB/s)", output or "")
            if m:
                value, unit = m[-1]
                entry["gbps"] = float(value) * (1000 if unit == "TB/s" else 1)
        return entry

    def mla(self, budget):
        mla = self.cases.get("mla")
        if not mla:
            self.results["mla"] = skipped("these bundles have no MLA points "
                                          "(built before mla_bench.py)")
            return "skipped"
        result = mla_bench.run(self.bundles, mla, self.runner,
                               os.path.join(self.scratch, "mla"),
                               "cuda" if self.gpu else "cpu", budget,
                               repeat=self.a.repeat, log=log)
        self.results["mla"] = result if self.gpu else skipped(
            "--cpu-only: no GPU; cpu_placeholder holds CPU timings of tiny "
            "points (they only exercise the script)", cpu_placeholder=result)
        ok = sum(1 for p in result["points"] if p.get("status") == "ok")
        return f"{ok} ok, {len(result['points']) - ok} not"

    def decode(self, budget):
        if self.gpu:
            t = time.monotonic()
            self.results.setdefault("copy_bandwidth", {})
            self.results["copy_bandwidth"]["kvcache_run"] = self.runner_copy_bandwidth()
            budget -= time.monotonic() - t
        result = decode_bench.run_grid(
            self.bundles, self.cases, self.runner,
            os.path.join(self.scratch, "decode"),
            "cuda" if self.gpu else "cpu", budget, repeat=self.a.repeat,
            log=log, wall_clock_fallback=not self.gpu)
        pts = result["points"]
        ok = sum(1 for p in pts if p.get("status") == "ok")
        if self.gpu:
            self.results["decode"] = result
        else:
            self.results["decode"] = skipped(
                "--cpu-only: no GPU; cpu_placeholder holds CPU timings of a "
                "tiny grid (they only exercise the script)", cpu_placeholder=result)
        return f"{ok} ok, {len(pts) - ok} not"

    def copy_summary(self):
        r = self.results
        if not self.gpu:
            r["copy_bandwidth"] = skipped("--cpu-only: no device memory to copy")
            return
        copy = r.setdefault("copy_bandwidth", {})
        chosen, source = None, None
        for src in ("torch", "kvcache_run"):
            entry = copy.get(src) or {}
            if isinstance(entry, dict) and entry.get("gbps"):
                chosen, source = entry["gbps"], src
                break
        spec = (r.get("device") or {}).get("spec_bandwidth_gbps")
        if not spec:
            spec = common.spec_bandwidth(((r.get("peers") or {}).get("device")
                                          or {}).get("name"))
        copy.update(gbps=chosen, source=source, spec_gbps=spec,
                    reject_below_fraction=common.REJECT_FRACTION,
                    fraction_of_spec=chosen / spec if chosen and spec else None)
        if chosen and spec:
            copy["bad_machine"] = chosen < common.REJECT_FRACTION * spec
        else:
            copy["bad_machine"] = None
            copy["note"] = ("no copy measurement" if not chosen else
                            "spec bandwidth unknown for this device")

    def targets(self):
        r = self.results
        decode = r.get("decode") or {}
        pts = {(p["page_size"], p["batch"], p["context"]): p.get("gbps")
               for p in decode.get("points", []) if p.get("status") == "ok"}
        sdpa = {(p["batch"], p["context"]): p.get("gbps")
                for p in (r.get("peers") or {}).get("sdpa", []) if p.get("gbps")}
        copy = (r.get("copy_bandwidth") or {}).get("gbps")

        def target(name, what, value, threshold, missing):
            if value is None:
                return {"name": name, "target": what, "value": None,
                        "threshold": threshold, "status": "unknown",
                        "reason": missing}
            return {"name": name, "target": what, "value": round(value, 4),
                    "threshold": threshold,
                    "status": "pass" if value >= threshold else "fail"}

        def frac(key):
            return pts.get(key) / copy if pts.get(key) and copy else None

        def why(*keys):
            if not self.gpu:
                return "--cpu-only: no GPU measurements"
            missing = [k for k in keys if k not in pts]
            return (f"no measurement of {missing}" if missing else
                    "no copy bandwidth")
        p128, p16 = pts.get((128, 64, 4096)), pts.get((16, 64, 4096))
        ref = sdpa.get((64, 4096))
        out = [
            target("b64x4k_p128_copy", "batch 64 x 4k, page 128: >= 85% of "
                   "copy bandwidth", frac((128, 64, 4096)), 0.85,
                   why((128, 64, 4096))),
            target("b64x4k_p128_sdpa", "batch 64 x 4k, page 128: >= 1.0x "
                   "SDPA's GB/s", p128 / ref if p128 and ref else None, 1.0,
                   why((128, 64, 4096)) if not p128 or not self.gpu
                   else "no SDPA measurement"),
            target("b1x32k_p128_copy", "batch 1 x 32k, page 128: >= 60% of "
                   "copy bandwidth", frac((128, 1, 32768)), 0.60,
                   why((128, 1, 32768))),
            target("b256x4k_p128_copy", "batch 256 x 4k, page 128: >= 85% of "
                   "copy bandwidth", frac((128, 256, 4096)), 0.85,
                   why((128, 256, 4096))),
            target("p16_vs_p128_b64x4k", "page 16 within 10% of page 128 at "
                   "batch 64 x 4k (page16 / page128 >= 0.9)",
                   p16 / p128 if p16 and p128 else None, 0.90,
                   why((16, 64, 4096), (128, 64, 4096))),
        ]
        r["targets"] = out

    def package_vs_runner(self):
        """Each package point's kernel time next to kvcache-run --bench's
        at the same point (the decode stage): the package adds nothing to
        the kernels, so the ratio should be about 1."""
        decode = self.results.get("decode") or {}
        gbps = {(p["page_size"], p["batch"], p["context"]): p.get("gbps")
                for p in decode.get("points", []) if p.get("status") == "ok"}
        for p in (self.results.get("package") or {}).get("points") or []:
            ours = gbps.get((p["page_size"], p["batch"], p["context"]))
            if p.get("gbps") and ours:
                p["kvcache_run_gbps"] = ours
                p["ratio_to_kvcache_run"] = p["gbps"] / ours

    def package_summary(self):
        """The summary's line for the package stage."""
        package = self.results.get("package") or {}
        if package.get("skipped"):
            return f"package: skipped ({package.get('reason')})"
        if package.get("status") != "ok":
            return (f"package: error: "
                    f"{common.tail(package.get('error') or '?', 300)}")
        versions = package.get("versions") or {}
        parts = []
        exact = package.get("exact") or {}
        if exact:
            tag = (f"b{exact.get('batch')} L{exact.get('context')} "
                   f"p{exact.get('page_size')}")
            if exact.get("status") == "ok":
                parts.append(f"{tag} on {exact.get('arrays')}: Bundle.run "
                             f"equals kvcache-run's answer bit for bit" +
                             (f", call {exact['median_call_us'] / 1e3:.3g} ms"
                              if exact.get("median_call_us") else ""))
            elif exact.get("status") == "differs":
                parts.append(f"{tag}: Bundle.run DIFFERS from kvcache-run's "
                             "answer (" + ", ".join(
                                 f"{k}: {v}" for k, v in
                                 (exact.get("differences") or {}).items()) +
                             ")")
            else:
                parts.append(f"{tag}: exact check error: "
                             f"{common.tail(exact.get('error') or '?', 200)}")
        for p in package.get("points") or []:
            tag = f"b{p['batch']} L{p['context']} p{p['page_size']}"
            if not p.get("gbps"):
                parts.append(f"{tag} {p.get('status')}")
                continue
            cell = f"{tag} {p['gbps']:.4g} GB/s"
            if p.get("ratio_to_sdpa"):
                cell += f" {p['ratio_to_sdpa']:.2f}x SDPA"
            if p.get("ratio_to_kvcache_run"):
                cell += f" {p['ratio_to_kvcache_run']:.2f}x kvcache-run"
            if p.get("max_abs_error") is not None:
                cell += f" err {p['max_abs_error']:.2g}"
            if p.get("status") != "ok":
                cell += f" {p.get('status', '?').upper()}"
            parts.append(cell)
        if package.get("points_skipped"):
            parts.append(f"points skipped: {package['points_skipped']}")
        if not parts:
            parts.append("no points in cases.json's bench.package")
        who = ", ".join(f"{k} {versions[k]}" for k in ("torch", "numpy")
                        if versions.get(k))
        return f"package ({who}): " + "; ".join(parts)

    def report(self, budget):
        r = self.results
        for key, reason in (("correctness", "stage did not run"),
                            ("memcheck", "stage did not run"),
                            ("decode", "stage did not run"),
                            ("peers", "stage did not run"),
                            ("package", "stage did not run"),
                            ("mla", "stage did not run")):
            r.setdefault(key, skipped(reason))
        self.copy_summary()
        self.package_vs_runner()
        self.targets()
        device = r.get("device") or {}
        title = (f"kvcache decode, {device.get('name') or 'unknown device'}"
                 + ("" if self.gpu else " (CPU placeholder, no GPU)") +
                 f", commit {(r.get('commit') or {}).get('describe') or '?'}")
        try:
            r["plot"] = plot.plot(r, os.path.join(self.out, "decode.png"), title)
        except Exception as e:
            r["plot"] = skipped(f"plotting failed: {type(e).__name__}: {e}")
        return "ok"

    def summary(self):
        r = self.results
        dev = r.get("device") or {}
        drv = r.get("driver") or {}
        lines = ["", "=" * 72,
                 f"kvcache bench summary: {r['mode']}, "
                 f"{dev.get('name') or '?'}, driver "
                 f"{drv.get('version') or ('skipped' if drv.get('skipped') else '?')}, "
                 f"commit {(r.get('commit') or {}).get('describe') or '?'}",
                 f"{'stage':<12} {'budget':>7} {'used':>7}  status"]
        for name, s in r["stages"].items():
            lines.append(f"{name:<12} {s['budget_s']:>6.0f}s {s['seconds']:>6.1f}s  "
                         f"{s['status']}")
        mc = r.get("memcheck") or {}
        if mc.get("cases"):
            lines.append("memcheck: " + ", ".join(
                f"{m['name']} {m.get('errors')} errors" for m in mc["cases"]))
        copy = r.get("copy_bandwidth") or {}
        if copy.get("gbps"):
            lines.append(f"copy bandwidth {copy['gbps']:.0f} GB/s ({copy['source']})"
                         + (f", {100 * copy['fraction_of_spec']:.0f}% of spec "
                            f"{copy['spec_gbps']}" if copy.get("fraction_of_spec")
                            else "") +
                         (" -> BAD MACHINE (< 80% of spec)" if copy.get("bad_machine")
                          else ""))
        mla = r.get("mla") or {}
        mla = mla if not mla.get("skipped") else mla.get("cpu_placeholder")
        if mla:
            lines.append(mla_bench.summary_line(mla, copy.get("gbps")))
        decode = r.get("decode") or {}
        data = decode if not decode.get("skipped") else decode.get("cpu_placeholder") or {}
        pts = data.get("points") or []
        if pts:
            sdpa = {(p["batch"], p["context"]): p.get("gbps")
                    for p in (r.get("peers") or {}).get("sdpa", []) or []}
            pages = sorted({p["page_size"] for p in pts})
            head = f"{'batch':>5} {'ctx':>6} " + " ".join(
                f"{'p' + str(pg):>7}" for pg in pages) + f" {'sdpa':>7} {'%copy':>6}"
            lines.append("decode GB/s (ours by page size, SDPA peer; %copy of "
                         "the largest page size)")
            lines.append(head)
            byk = {(p["page_size"], p["batch"], p["context"]): p for p in pts}
            for batch in sorted({p["batch"] for p in pts}):
                for ctx in sorted({p["context"] for p in pts}):
                    cells = []
                    for pg in pages:
                        p = byk.get((pg, batch, ctx)) or {}
                        cells.append(f"{p['gbps']:7.4g}" if p.get("gbps") else
                                     f"{'skip' if p.get('status') == 'skipped' else p.get('status', '-'):>7}")
                    last = (byk.get((pages[-1], batch, ctx)) or {}).get("gbps")
                    pc = (f"{100 * last / copy['gbps']:5.0f}%" if last and
                          copy.get("gbps") else f"{'-':>6}")
                    sd = sdpa.get((batch, ctx))
                    lines.append(f"{batch:>5} {ctx:>6} " + " ".join(cells) +
                                 f" {(f'{sd:7.4g}' if sd else '-'):>7} {pc}")
        sweep = data.get("split_sweep") or []
        for batch, ctx in sorted({(p["batch"], p["context"]) for p in sweep}):
            rule = next((p.get("gbps") for p in pts if p["batch"] == batch and
                         p["context"] == ctx and p["page_size"] ==
                         sweep[0]["page_size"]), None)
            cells = [f"s{p['splits']} " + (f"{p['gbps']:.4g}" if p.get("gbps")
                                           else p.get("status", "-"))
                     for p in sweep if (p["batch"], p["context"]) == (batch, ctx)]
            lines.append(f"split sweep b{batch} L{ctx} p{sweep[0]['page_size']} "
                         f"GB/s: " + ", ".join(cells) + ", rule " +
                         (f"{rule:.4g}" if rule else "-"))
        for p in data.get("variants") or []:
            default = next((q.get("gbps") for q in pts if q["batch"] ==
                            p["batch"] and q["context"] == p["context"] and
                            q["page_size"] == p["page_size"]), None)
            lines.append(
                f"variant b{p['batch']} L{p['context']} p{p['page_size']} "
                f"{p.get('variant') or 'tensor-cores ' + p['tensor_cores']}: " +
                (f"{p['gbps']:.4g}" if p.get("gbps") else p.get("status", "-")) +
                " GB/s, default " + (f"{default:.4g}" if default else "-"))
        if r.get("package"):
            lines.append(self.package_summary())
        for t in r.get("targets") or []:
            value = (f"{t['value']:.3f}" if t.get("value") is not None
                     else t.get("reason"))
            lines.append(f"target {t['status'].upper():<7} {t['target']}: {value}")
        corr = r.get("correctness") or {}
        if "total" in corr:
            lines.append(f"correctness: {corr['pass']}/{corr['total']} pass")
        lines.append(f"wrote {os.path.join(self.out, 'results.json')} and "
                     f"decode.png ({(r.get('plot') or {}).get('writer', 'no plot')}) "
                     f"in {self.deadline.spent():.0f} s")
        return "\n".join(lines)

    def check(self):
        """A usage problem, or None."""
        target = self.cases.get("target")
        if self.gpu and target == "cpu":
            return "run.sh: these bundles are CPU bundles; use --cpu-only"
        if not self.gpu and target != "cpu":
            return (f"run.sh --cpu-only: these bundles target {target}; build "
                    "CPU bundles with build_bundles.sh --target cpu")
        if not os.access(self.runner, os.X_OK):
            return f"run.sh: no kvcache-run at {self.runner}"
        return None

    def main(self):
        problem = self.check()
        if problem:
            print(problem, file=sys.stderr)
            shutil.rmtree(self.scratch, ignore_errors=True)
            return 2
        target = self.cases.get("target")
        log(f"run.sh {'GPU' if self.gpu else '--cpu-only'}: bundles "
            f"{self.bundles} ({target}), out {self.out}, scratch {self.scratch}, "
            f"budget {self.deadline.seconds:.0f} s")
        try:
            skip = set(self.a.skip or [])
            for name, fn in (("info", self.info),
                             ("correctness", self.correctness),
                             ("peers", self.peers),
                             ("package", self.package),
                             ("mla", self.mla),
                             ("decode", self.decode)):
                if name in skip:
                    self.results["stages"][name] = {"budget_s": 0, "seconds": 0,
                                                    "status": "skipped (--skip)"}
                    continue
                self.stage(name, fn, last_heavy=(name == "decode"))
            self.stage("report", self.report)
        finally:
            if not self.a.keep_scratch:
                shutil.rmtree(self.scratch, ignore_errors=True)
        self.results["complete"] = True
        self.results["seconds"] = round(self.deadline.spent(), 1)
        text = self.summary()
        self.results["summary"] = text
        self.save()
        print(text, flush=True)
        return 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bundles")
    p.add_argument("out")
    p.add_argument("--cpu-only", action="store_true")
    p.add_argument("--budget", type=float, help="total seconds (default: 215 "
                   "on a GPU, 105 with --cpu-only)")
    p.add_argument("--repeat", type=int, help="timed runs per point (>= 20 "
                   "on a GPU)")
    p.add_argument("--jobs", type=int, help="correctness cases at a time")
    p.add_argument("--kvcache-run", help="default: BUNDLES/bin/kvcache-run")
    p.add_argument("--scratch", help="where inputs go (default: /dev/shm "
                   "when it has 40 GB free, else $TMPDIR); removed after")
    p.add_argument("--keep-scratch", action="store_true")
    p.add_argument("--skip", action="append",
                   choices=["info", "correctness", "peers", "package",
                            "mla", "decode"])
    a = p.parse_args()
    if a.repeat and not a.cpu_only and a.repeat < 20:
        p.error("--repeat: the protocol asks for >= 20 timed runs on a GPU")
    sys.exit(Run(a).main())


if __name__ == "__main__":
    main()
