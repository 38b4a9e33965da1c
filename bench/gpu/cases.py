#!/usr/bin/env python3
"""Compiles every graph a benchmark run needs into BUNDLES_DIR (build_bundles.sh).

The correctness grid is read from the RUN lines of the lit tests (for sm_*
targets test/Integration/GPU/*.test, for cpu test/Integration/CPU/*.test),
so the GPU host runs exactly the cases lit would. Cases whose graph, target
and split count agree share one bundle (graphs are dynamic in batch and
lengths). Writes:

  BUNDLES_DIR/cases.json     the index run.sh reads
  BUNDLES_DIR/g-<key>/       one bundle per distinct graph
  BUNDLES_DIR/bench-p<P>/    the decode benchmark's bundles, one per page size
  BUNDLES_DIR/mla-q<H>/      the MLA benchmark's bundles, one per q-head count
                             (mla_bench.py)
  BUNDLES_DIR/bin/           kvcache-run (and libraries of the build dir it needs)
  BUNDLES_DIR/python/kvcache the Python package (BUILD_DIR/python/kvcache), its
                             _paths.py pointing at lib/ beside it
  BUNDLES_DIR/lib/libKVCacheRuntime.so  the runtime library the package loads
  BUNDLES_DIR/build.log
"""
import argparse
import concurrent.futures
import datetime
import glob
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys

import common
import mla_bench

# Cases run under compute-sanitizer --tool memcheck: one decode step with
# split-K engaged by the default rule (4 requests x 8 kv heads on 132 SMs
# allow 16 splits, 1501 keys give 5) and one causal prefill with a store.
MEMCHECK_CASES = {
    "memcheck/decode": "--dtype bf16 --context 0,17,600,1500 --prompt 1 "
                       "--q-heads 32 --kv-heads 8 --head-dim 128 --page-size 16 "
                       "--layers 1 --layer 0",
    "memcheck/prefill": "--dtype bf16 --context 0,30,3 --prompt 17,4,9 --causal "
                        "--store --q-heads 8 --kv-heads 2 --head-dim 128 "
                        "--page-size 16",
}

# The decode benchmark of KERNELS.md ("Benchmark protocol").
GPU_BENCH = {
    "dtype": "bf16", "q_heads": 32, "kv_heads": 8, "head_dim": 128,
    "layers": 1, "layer": 0, "prompt": 1,
    "batches": [1, 16, 64, 256], "contexts": [1024, 4096, 16384, 32768],
    "page_sizes": [16, 128], "max_kv_bytes": 20e9, "repeat": 20, "seed": 0,
    # Forced split counts side by side with the split rule's choice, where
    # the rule matters most: one or a few requests with long contexts, and
    # batches whose CTAs fill the waves of the GPU badly without splits.
    # [batch, context, split counts].
    "split_sweep": {"page_size": 128,
                    "points": [[1, 32768, [16, 32, 64, 128]],
                               [16, 4096, [4, 8, 16, 32]],
                               [64, 4096, [1, 2, 3, 4]],
                               [256, 4096, [1, 2]]]},
    # The decode kernel on CUDA cores (--tensor-cores off) and without its
    # page-id checks (--page-guard off: what the checks cost) at the target
    # points, side by side with the default in the grid.
    "variants": {"page_size": 128,
                 "points": [[64, 4096], [1, 32768], [256, 4096]],
                 "tensor_cores": ["off"], "page_guard": ["off"]},
    # The package stage (package_bench.py): kvcache.Bundle.run on torch CUDA
    # tensors next to SDPA in one process, [batch, context, page size] on
    # the grid's bundles; and one small point checked bit for bit against
    # kvcache-run's answer on the same .npy inputs.
    "package": {"points": [[64, 4096, 128], [1, 32768, 128], [256, 4096, 128]],
                "exact": [4, 256, 128]},
}
# A CPU stand-in, small enough for a lit test: it only exercises the script.
CPU_BENCH = {
    "dtype": "f32", "q_heads": 8, "kv_heads": 2, "head_dim": 64,
    "layers": 1, "layer": 0, "prompt": 1,
    "batches": [1, 4], "contexts": [64, 256],
    "page_sizes": [16], "max_kv_bytes": 20e9, "repeat": 5, "seed": 0,
    "split_sweep": {"page_size": 16, "points": [[1, 256, [1, 4]]]},
    "variants": {"page_size": 16, "points": [[1, 256]],
                 "tensor_cores": ["off"]},
    "package": {"points": [], "exact": [4, 256, 16]},
}
# --quick: the few correctness cases a lit test can afford.
QUICK_CASES = {"cpu": ["decode/a", "decode/e"],
               "gpu": ["decode/a", "prefill/a", "splits/n7", "dominant/last"]}

DRIVER_OPTIONS_DROPPED = {"--compile", "--run", "--workdir", "--json",
                          "--bundle", "--name"}


def run_lines(path):
    """The RUN lines of a lit test, continuation lines joined."""
    lines, pending = [], ""
    with open(path) as f:
        for raw in f:
            m = re.search(r"RUN:(.*)$", raw.rstrip("\n"))
            if not m:
                continue
            text = m.group(1).strip()
            if text.endswith("\\"):
                pending += text[:-1] + " "
                continue
            lines.append(pending + text)
            pending = ""
    return lines


def driver_args(line):
    """The driver's options on a RUN line, without the paths lit fills in.
    Returns (workdir name, args) or None for lines that are not the driver."""
    command = line.split("|")[0]
    words = shlex.split(command)
    for i, word in enumerate(words):
        if word.endswith("paged_attention_case.py"):
            break
    else:
        return None
    args, workdir, rest = [], None, words[i + 1:]
    j = 0
    while j < len(rest):
        word = rest[j]
        name = word.split("=")[0]
        takes_value = "=" not in word and j + 1 < len(rest)
        value = (word.split("=", 1)[1] if "=" in word
                 else rest[j + 1] if takes_value else None)
        if name in DRIVER_OPTIONS_DROPPED:
            if name == "--workdir":
                workdir = os.path.basename(value.rstrip("/"))
            j += 1 if "=" in word else 2
            continue
        args.append(word)
        j += 1
    return workdir, args


def retarget(args, target):
    out, skip = [], False
    for j, word in enumerate(args):
        if skip:
            skip = False
            continue
        if word == "--target":
            skip = True
            continue
        if word.startswith("--target="):
            continue
        out.append(word)
    return out + ["--target", target]


def grid_cases(tests_dir, target):
    cases = []
    for path in sorted(glob.glob(os.path.join(tests_dir, "*.test"))):
        stem = os.path.splitext(os.path.basename(path))[0]
        for n, line in enumerate(run_lines(path)):
            parsed = driver_args(line)
            if not parsed:
                continue
            workdir, args = parsed
            name = f"{stem}/{workdir or n}"
            cases.append({"name": name, "test": os.path.relpath(path, common.REPO),
                          "args": retarget(args, target)})
    return cases


def git(*args):
    try:
        return subprocess.run(["git", "-C", common.REPO, *args], text=True,
                              capture_output=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""


def commit_info():
    head = git("rev-parse", "HEAD").strip() or None
    status = git("status", "--porcelain")
    diff = git("diff", "HEAD")
    return {"hash": head, "dirty": bool(status.strip()),
            "changed_files": len(status.splitlines()),
            "diff_sha256": hashlib.sha256(diff.encode()).hexdigest()[:16]
            if diff else None,
            "describe": git("describe", "--always", "--dirty").strip() or None}


def bench_args(cfg, page, target):
    return ["--dtype", cfg["dtype"], "--q-heads", str(cfg["q_heads"]),
            "--kv-heads", str(cfg["kv_heads"]), "--head-dim", str(cfg["head_dim"]),
            "--page-size", str(page), "--layers", str(cfg["layers"]),
            "--layer", str(cfg["layer"]), "--target", target]


def copy_runner(build_dir, bundles, log):
    """kvcache-run and the libraries of the build directory it links (never
    a stand-in libcuda: the GPU host's driver provides the real one)."""
    src = os.path.join(build_dir, "bin", "kvcache-run")
    bin_dir = os.path.join(bundles, "bin")
    os.makedirs(bin_dir, exist_ok=True)
    shutil.copy2(src, os.path.join(bin_dir, "kvcache-run"))
    libs = []
    try:
        ldd = subprocess.run(["ldd", src], capture_output=True, text=True).stdout
    except OSError:
        ldd = ""
    build_real = os.path.realpath(build_dir)
    for m in re.finditer(r"=>\s*(\S+)", ldd):
        lib = os.path.realpath(m.group(1))
        if lib.startswith(build_real + os.sep) and \
                not os.path.basename(lib).startswith("libcuda."):
            lib_dir = os.path.join(bundles, "lib")
            os.makedirs(lib_dir, exist_ok=True)
            shutil.copy2(lib, os.path.join(lib_dir, os.path.basename(m.group(1))))
            libs.append(os.path.basename(m.group(1)))
    log.write(f"copied kvcache-run; build-dir libraries: {libs or 'none'}\n")
    return "bin/kvcache-run", libs


# The carried package's _paths.py: the library beside it, in BUNDLES_DIR/lib
# (run.sh's package stage also sets KVCACHE_RUNTIME_LIBRARY to it). There is
# no kvcache-compile on the GPU host: kvcache.compile() says it cannot run.
CARRIED_PATHS = """# Written by bench/gpu/cases.py for the package carried in BUNDLES_DIR.
import os as _os

_BUNDLES = _os.path.normpath(_os.path.join(_os.path.dirname(__file__),
                                           '..', '..'))
RUNTIME_LIBRARY = _os.path.join(_BUNDLES, 'lib', 'libKVCacheRuntime.so')
KVCACHE_COMPILE = _os.path.join(_BUNDLES, 'bin', 'kvcache-compile')
"""


def copy_package(build_dir, bundles, log):
    """The Python package of the build tree (target kvcache-python) and the
    runtime library it loads, for the package stage of run.sh. Returns the
    cases.json record; a build without them is recorded, not fatal."""
    source = os.path.join(build_dir, "python", "kvcache")
    paths = {}
    try:
        with open(os.path.join(source, "_paths.py")) as f:
            exec(f.read(), paths)  # the build tree's absolute paths
    except OSError as e:
        return {"error": f"no Python package in {source} ({e.strerror}); "
                         f"build the target kvcache-python"}
    library = paths.get("RUNTIME_LIBRARY") or os.path.join(
        build_dir, "lib", "libKVCacheRuntime.so")
    if not os.path.isfile(library):
        return {"error": f"no runtime library at {library}; build the target "
                         f"kvcache-python"}
    files = sorted(f for f in os.listdir(source)
                   if f.endswith(".py") and f != "_paths.py")
    package_dir = os.path.join(bundles, "python", "kvcache")
    os.makedirs(package_dir, exist_ok=True)
    for name in files:
        shutil.copy2(os.path.join(source, name), os.path.join(package_dir, name))
    with open(os.path.join(package_dir, "_paths.py"), "w") as f:
        f.write(CARRIED_PATHS)
    lib_dir = os.path.join(bundles, "lib")
    os.makedirs(lib_dir, exist_ok=True)
    carried = os.path.join(lib_dir, "libKVCacheRuntime.so")
    shutil.copy2(os.path.realpath(library), carried)
    # Copies that differ from the sources (kvcache-python not rebuilt since)
    # are noted.
    stale = [name for name in files if not _same_file_text(
        os.path.join(source, name),
        os.path.join(common.REPO, "python", "kvcache", name))]
    try:
        ldd = subprocess.run(["ldd", carried], capture_output=True,
                             text=True).stdout
    except OSError:
        ldd = ""
    # A sanitizer build's library needs the ASan runtime loaded first.
    asan = re.search(r"(libasan\.so\S*)\s*=>\s*(\S+)", ldd)
    size = sum(os.path.getsize(os.path.join(package_dir, f))
               for f in os.listdir(package_dir)) + os.path.getsize(carried)
    log.write(f"copied the Python package ({len(files)} files) and "
              f"{os.path.basename(carried)} ({size / 2**20:.2f} MiB)"
              + (f"; differs from python/kvcache: {stale}" if stale else "")
              + "\n")
    record = {"path": "python", "library": "lib/libKVCacheRuntime.so",
              "files": files + ["_paths.py"], "bytes": size,
              "library_sha256": _sha256(carried),
              "stale_files": stale}
    if asan:
        # libstdc++ too: CPython does not link it, and ASan's __cxa_throw
        # interceptor needs it present at start-up.
        stdcxx = re.search(r"libstdc\+\+\.so\S*\s*=>\s*(\S+)", ldd)
        record["preload"] = ":".join(
            [asan.group(2)] + ([stdcxx.group(1)] if stdcxx else []))
    return record


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def _same_file_text(a, b):
    try:
        with open(a, "rb") as f, open(b, "rb") as g:
            return f.read() == g.read()
    except OSError:
        return False


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("build_dir")
    p.add_argument("bundles_dir")
    p.add_argument("--target", default="sm_90a",
                   choices=["cpu", "sm_90a", "sm_80"])
    p.add_argument("--quick", action="store_true",
                   help="a few correctness cases only (for a lit test)")
    p.add_argument("--keep-going", action="store_true",
                   help="record failed compiles in cases.json and go on")
    p.add_argument("--keep-ir", action="store_true",
                   help="keep the bundles' graph.ll (not needed to run)")
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    a = p.parse_args()

    pac = common.import_driver()
    compile_bin = os.path.join(a.build_dir, "bin", "kvcache-compile")
    if not os.access(compile_bin, os.X_OK):
        sys.exit(f"build_bundles: no kvcache-compile at {compile_bin}")
    if not os.access(os.path.join(a.build_dir, "bin", "kvcache-run"), os.X_OK):
        sys.exit(f"build_bundles: no kvcache-run in {a.build_dir}/bin")
    gpu = a.target != "cpu"
    bundles = os.path.abspath(a.bundles_dir)
    if os.path.exists(os.path.join(bundles, "cases.json")):
        shutil.rmtree(bundles)  # a previous index: start clean
    os.makedirs(bundles, exist_ok=True)
    log = open(os.path.join(bundles, "build.log"), "w")

    tests = os.path.join(common.REPO, "test", "Integration",
                         "GPU" if gpu else "CPU")
    correctness = grid_cases(tests, a.target)
    if a.quick:
        keep = QUICK_CASES["gpu" if gpu else "cpu"]
        correctness = [c for c in correctness if c["name"] in keep]
    memcheck = ([{"name": n, "test": None, "args": retarget(shlex.split(s), a.target)}
                 for n, s in MEMCHECK_CASES.items()] if gpu else [])
    bench = dict(GPU_BENCH if gpu else CPU_BENCH)

    # Every graph to compile, deduplicated by what it is compiled from.
    jobs = {}
    scratch = os.path.join(bundles, ".graphs")
    os.makedirs(scratch, exist_ok=True)

    def plan(args, name_hint, directory=None):
        case = pac.parse_args(args + ["--workdir", scratch, "--compile",
                                      compile_bin, "--compile-only"])
        text = pac.graph(case, case.dtype)
        key = pac.bundle_key(case, text)
        if key not in jobs:
            jobs[key] = {"dir": directory or f"g-{key}", "case": case,
                         "text": text, "names": []}
        jobs[key]["names"].append(name_hint)
        return jobs[key]["dir"]

    for case in correctness + memcheck:
        case["bundle"] = plan(case["args"], case["name"])
    bench["bundles"] = {}
    for page in bench["page_sizes"]:
        bench["bundles"][str(page)] = plan(bench_args(bench, page, a.target),
                                           f"bench/p{page}", f"bench-p{page}")
    sweep = bench["split_sweep"] = dict(bench["split_sweep"], bundles={})
    for n in sorted({n for point in sweep["points"] for n in point[2]}):
        page = sweep["page_size"]
        sweep["bundles"][str(n)] = plan(
            bench_args(bench, page, a.target) + ["--splits", str(n)],
            f"bench/p{page}/s{n}", f"bench-p{page}-s{n}")

    variants = bench.get("variants")
    if variants:
        variants = bench["variants"] = dict(variants, bundles={})
        page = variants["page_size"]
        for v in variants.get("tensor_cores", []):
            variants["bundles"][v] = plan(
                bench_args(bench, page, a.target) + ["--tensor-cores", v],
                f"bench/p{page}/tc-{v}", f"bench-p{page}-tc-{v}")
        for v in variants.get("page_guard", []):
            variants["bundles"][f"guard-{v}"] = plan(
                bench_args(bench, page, a.target) + ["--page-guard", v],
                f"bench/p{page}/guard-{v}", f"bench-p{page}-guard-{v}")

    def build(job):
        case, directory = job["case"], os.path.join(bundles, job["dir"])
        graph_path = os.path.join(scratch, job["dir"] + ".mlir")
        with open(graph_path, "w") as f:
            f.write(job["text"])
        try:
            pac.compile_bundle(case, job["text"], graph_path, directory)
        except pac.CaseError as e:
            return job, str(e)
        if not a.keep_ir:
            for ll in glob.glob(os.path.join(directory, "*.ll")):
                os.remove(ll)
        return job, None

    failures = {}
    with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as pool:
        for job, error in pool.map(build, jobs.values()):
            status = "FAILED" if error else "ok"
            log.write(f"{status} {job['dir']}: {', '.join(job['names'])}\n")
            if error:
                log.write(error + "\n")
                failures[job["dir"]] = error
    shutil.rmtree(scratch, ignore_errors=True)

    for case in correctness + memcheck:
        if case["bundle"] in failures:
            case["compile_error"] = common.tail(failures[case["bundle"]], 1500)
    for page, directory in bench["bundles"].items():
        if directory in failures:
            bench.setdefault("compile_errors", {})[page] = common.tail(
                failures[directory], 1500)
    for n, directory in sweep["bundles"].items():
        if directory in failures:
            sweep.setdefault("compile_errors", {})[n] = common.tail(
                failures[directory], 1500)
    for v, directory in (variants or {}).get("bundles", {}).items():
        if directory in failures:
            variants.setdefault("compile_errors", {})[v] = common.tail(
                failures[directory], 1500)

    mla = mla_bench.build(compile_bin, a.target, bundles, log)
    compiled = (len(jobs) + len(mla["bundles"])
                + len(mla.get("compile_errors") or {}))
    for heads, error in sorted((mla.get("compile_errors") or {}).items()):
        failures[mla_bench.bundle_name(int(heads))] = error

    runner, libs = copy_runner(a.build_dir, bundles, log)
    package = copy_package(a.build_dir, bundles, log)
    if package.get("error"):
        log.write(f"no Python package: {package['error']}\n")
        print(f"build_bundles: warning: {package['error']} (run.sh's package "
              f"stage will say skipped)", file=sys.stderr)
    index = {
        "format": common.CASES_FORMAT, "target": a.target,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"),
        "commit": commit_info(), "kvcache_run": runner, "libraries": libs,
        "quick": a.quick, "correctness": correctness, "memcheck": memcheck,
        "python_package": package,
        "bench": bench, "mla": mla,
        "bundles_built": compiled - len(failures),
        "bundles_failed": sorted(failures),
    }
    common.write_json(os.path.join(bundles, "cases.json"), index)
    size = sum(os.path.getsize(os.path.join(d, f))
               for d, _, fs in os.walk(bundles) for f in fs)
    summary = (f"build_bundles: {len(correctness)} correctness + {len(memcheck)} "
               f"memcheck cases, {compiled} bundles ({len(failures)} failed) "
               f"for {a.target} in {bundles} ({size / 2**20:.1f} MiB)")
    log.write(summary + "\n")
    log.close()
    print(summary)
    if size > 48 * 2**20:
        print("build_bundles: warning: over 48 MiB; the GPU host takes 64 MiB "
              "with the working tree", file=sys.stderr)
    if failures:
        for directory, error in sorted(failures.items()):
            print(f"build_bundles: {directory} failed:\n{common.tail(error, 800)}",
                  file=sys.stderr)
        if not a.keep_going:
            sys.exit(1)


if __name__ == "__main__":
    main()
