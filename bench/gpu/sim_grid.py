#!/usr/bin/env python3
"""The GPU correctness grid on the CPU simulator: every paged_attention_case
RUN line of test/Integration/GPU/*.test (as cases.py reads them for the GPU
host), compiled with kvcache-compile --target=sim and run by kvcache-run on
the stand-in libcuda, which executes the kernels with simulated CUDA threads.
The very kernels a GPU runs, checked here at the CPU tolerances, without a
GPU.

  usage: bench/gpu/sim_grid.py BUILD_DIR --workdir DIR [-j N] [--reverse]
             [--filter SUBSTRING]

Prints one line per case and `sim grid: P/N pass` last; exit status 1 when
a case fails. --reverse schedules each CTA's threads last to first
(KVCACHE_FAKE_CUDA_SIM_ORDER=reverse), which shows races the default order
hides.
"""
import argparse
import concurrent.futures
import os
import shutil
import subprocess
import sys

import cases
import common


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("build_dir")
    p.add_argument("--workdir", required=True)
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    p.add_argument("--reverse", action="store_true")
    p.add_argument("--filter", default="")
    a = p.parse_args()

    build = os.path.abspath(a.build_dir)
    fake_cuda = os.path.join(build, "fake-cuda")
    if not os.path.isdir(fake_cuda):
        sys.exit(f"sim_grid: no stand-in libcuda in {fake_cuda}")
    tests = os.path.join(common.REPO, "test", "Integration", "GPU")
    grid = [c for c in cases.grid_cases(tests, "sim") if a.filter in c["name"]]
    if not grid:
        sys.exit(f"sim_grid: no case in {tests} matches '{a.filter}'")
    shutil.rmtree(a.workdir, ignore_errors=True)
    env = dict(os.environ, LD_LIBRARY_PATH=fake_cuda)
    if a.reverse:
        env["KVCACHE_FAKE_CUDA_SIM_ORDER"] = "reverse"

    def run(case):
        # The sim target runs on the stand-in's device: drop --device cuda.
        args = [w for i, w in enumerate(case["args"])
                if w != "--device" and (i == 0 or case["args"][i - 1] != "--device")]
        cmd = [sys.executable, common.DRIVER, *args,
               "--compile", os.path.join(build, "bin", "kvcache-compile"),
               "--run", os.path.join(build, "bin", "kvcache-run"),
               "--workdir", os.path.join(a.workdir, case["name"])]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        last = (proc.stdout.strip().splitlines() or [""])[-1]
        ok = proc.returncode == 0 and "max abs error" in last
        return case["name"], ok, last if ok else common.tail(
            proc.stdout + proc.stderr, 1500)

    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as pool:
        for name, ok, text in pool.map(run, grid):
            failed += not ok
            print(f"{'PASS' if ok else 'FAIL'} {name}: {text}", flush=True)
    print(f"sim grid: {len(grid) - failed}/{len(grid)} pass"
          + (" (reverse thread order)" if a.reverse else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
