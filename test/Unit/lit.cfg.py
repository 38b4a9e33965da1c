# -*- Python -*-
# Runs the GoogleTest binaries under unittests/ as part of check-kvcache.
import os

import lit.formats

config.name = "KVCACHE-Unit"
config.suffixes = []
config.test_exec_root = os.path.join(config.kvcache_obj_root, "unittests")
config.test_source_root = config.test_exec_root
config.test_format = lit.formats.GoogleTest(".", "Tests")
