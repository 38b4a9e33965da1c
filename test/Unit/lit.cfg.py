# -*- Python -*-
# Runs the GoogleTest binaries under unittests/ as part of check-kvcache.
import os

import lit.formats

config.name = "KVCACHE-Unit"
config.suffixes = []
config.test_exec_root = os.path.join(config.kvcache_obj_root, "unittests")
config.test_source_root = config.test_exec_root
config.test_format = lit.formats.GoogleTest(".", "Tests")

# In a sanitizer build, LLVM headers compiled with ASan poison their
# allocators' memory, which the uninstrumented libMLIR.so then touches: user
# poisoning off (it changes nothing in other builds).
config.environment["ASAN_OPTIONS"] = "allow_user_poisoning=0"
config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
