# -*- Python -*-
import os
import shutil

import lit.formats
from lit.llvm import llvm_config

config.name = "KVCACHE"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "Unit", "lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.kvcache_obj_root, "test")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# The project's tools first; FileCheck, not and the stock mlir-opt from LLVM 22.
tools = ["kvcache-opt", "kvcache-lsp-server", "kvcache-capi-test", "kvcache-run",
         "kvcache-runtime-capi-test",
         "kvcache-compile"]
llvm_config.add_tool_substitutions(tools, [config.kvcache_tools_dir])
mlir_opt = os.path.join(config.llvm_tools_dir, "mlir-opt")
if config.kvcache_sanitize:
    # An ASan-built plugin loads into the uninstrumented stock mlir-opt only
    # with the ASan runtime preloaded; mlir-opt's own exit-time allocations
    # are not the project's, so leak checking is off for it alone.
    import subprocess
    libasan = subprocess.run(["c++", "-print-file-name=libasan.so"],
                             capture_output=True, text=True).stdout.strip()
    mlir_opt = (f"env LD_PRELOAD={libasan} "
                f"ASAN_OPTIONS=detect_leaks=0:allow_user_poisoning=0 "
                f"{mlir_opt}")
    config.available_features.add("sanitizer")
    # LLVM headers compiled with ASan poison their allocators' memory, which
    # the uninstrumented libMLIR.so then touches: user poisoning off.
    config.environment["ASAN_OPTIONS"] = "allow_user_poisoning=0"
    config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
config.substitutions.append(("%mlir-opt", mlir_opt))
config.substitutions.append(
    ("%kvcache_plugin", os.path.join(config.kvcache_lib_dir, "KVCachePlugin.so")))
config.substitutions.append(("%kvcache_src", config.kvcache_src_root))
config.substitutions.append(("%kvcache_obj", config.kvcache_obj_root))

# The Debian interpreter has NumPy; another python3 earlier on PATH may not.
python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else shutil.which("python3")
config.substitutions.append(("%python", python))

# The Python package from the build tree: %kvcache_python runs Debian's
# python3 with build/python on PYTHONPATH. In the sanitizer build the
# package's libKVCacheRuntime.so needs the ASan runtime loaded first, as the
# stock mlir-opt above does (CPython's own allocations are not ours to
# leak-check).
# %sanitized_python_env is that environment alone, for a package elsewhere
# (the installed one).
# libstdc++ is preloaded with it: CPython does not link it, and ASan's
# __cxa_throw interceptor needs the real one present at start-up (else the
# first C++ exception the runtime throws aborts the process).
sanitized_python_env = "env"
if config.kvcache_sanitize:
    libstdcxx = subprocess.run(["c++", "-print-file-name=libstdc++.so.6"],
                               capture_output=True, text=True).stdout.strip()
    sanitized_python_env += (f" LD_PRELOAD={libasan}:{libstdcxx}"
                             " ASAN_OPTIONS=detect_leaks=0:allow_user_poisoning=0")
config.substitutions.append(("%sanitized_python_env", sanitized_python_env))
config.substitutions.append(
    ("%kvcache_python",
     f"{sanitized_python_env} "
     f"PYTHONPATH={os.path.join(config.kvcache_obj_root, 'python')} {python}"))

# CUDA's PTX assembler, for the tests that assemble generated kernels: the
# feature `ptxas` and the substitution %ptxas. Without it those tests report
# UNSUPPORTED rather than passing silently.
ptxas = "/usr/local/cuda/bin/ptxas"
if not os.path.exists(ptxas):
    ptxas = shutil.which("ptxas")
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))

# GPU bundles on machines without a GPU (test/GPU-Host): the stand-in
# libcuda.so.1 that tools/fake-libcuda builds, and LLVM's tools for building
# a bundle's host code by hand.
config.substitutions.append(
    ("%fake_cuda_dir", os.path.join(config.kvcache_obj_root, "fake-cuda")))
config.substitutions.append(
    ("%mlir-translate", os.path.join(config.llvm_tools_dir, "mlir-translate")))
config.substitutions.append(("%llc", os.path.join(config.llvm_tools_dir, "llc")))

# `gpu-sim`: kvcache-compile --target=sim bundles run, kernels included,
# on the stand-in libcuda (tools/fake-libcuda), which simulates CUDA threads
# on the host; tests put %fake_cuda_dir on LD_LIBRARY_PATH. Needs no GPU and
# no CUDA toolkit.
if os.path.exists(os.path.join(config.kvcache_obj_root, "fake-cuda",
                               "libcuda.so.1")):
    config.available_features.add("gpu-sim")

# `valgrind`: memory-error checks of CPU bundles' generated code, which no
# sanitizer instruments (scripts/setup.sh installs it). Not in the ASan
# build: an ASan-instrumented kvcache-run does not run under valgrind.
if shutil.which("valgrind") and not config.kvcache_sanitize:
    config.available_features.add("valgrind")

# `kvcache-gpu-bundles`: kvcache-compile --target=sm_90a can write a bundle,
# which takes ptxas for the cubin (found on PATH or under CUDA_ROOT,
# CUDA_HOME, CUDA_PATH, as upstream's gpu-module-to-binary looks). Tests that
# compile GPU bundles require it; they fail, not skip, while the compiler
# itself cannot do it yet.
if ptxas:
    config.available_features.add("kvcache-gpu-bundles")
    llvm_config.with_environment("PATH", os.path.dirname(ptxas),
                                 append_path=True)

# `cuda-device`: a real GPU, as nvidia-smi lists it. Tests that run kernels
# require it and report UNSUPPORTED elsewhere; a stand-in libcuda does not
# count.
def has_cuda_device():
    import re
    import subprocess
    nvidia_smi = shutil.which("nvidia-smi")
    if not nvidia_smi:
        return False
    try:
        result = subprocess.run([nvidia_smi, "-L"], capture_output=True,
                                text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0 and re.search(r"^GPU \d+:", result.stdout,
                                                re.M) is not None

if has_cuda_device():
    config.available_features.add("cuda-device")

# `torch`: %python can import PyTorch (test/Python/torch.test), found
# without importing it.
def has_torch():
    import subprocess
    probe = "import importlib.util, sys; sys.exit(not importlib.util.find_spec('torch'))"
    return subprocess.run([python, "-c", probe]).returncode == 0

if has_torch():
    config.available_features.add("torch")
