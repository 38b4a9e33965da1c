/* libKVCacheRuntime.so is the static runtime linked whole (the C API lives
   in RuntimeAPI*.cpp); a shared library target needs one source of its own. */
typedef int kvcache_runtime_shared_library;
