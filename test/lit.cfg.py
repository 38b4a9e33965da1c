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
         "kvcache-compile"]
llvm_config.add_tool_substitutions(tools, [config.kvcache_tools_dir])
config.substitutions.append(
    ("%mlir-opt", os.path.join(config.llvm_tools_dir, "mlir-opt")))
config.substitutions.append(
    ("%kvcache_plugin", os.path.join(config.kvcache_lib_dir, "KVCachePlugin.so")))
config.substitutions.append(("%kvcache_src", config.kvcache_src_root))
config.substitutions.append(("%kvcache_obj", config.kvcache_obj_root))

# The Debian interpreter has NumPy; another python3 earlier on PATH may not.
python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else shutil.which("python3")
config.substitutions.append(("%python", python))
