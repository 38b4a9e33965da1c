/*===- kvcache-c/Runtime.h - Call compiled bundles from C ---------*- C -*-===*\
|*                                                                            *|
|* The runtime's C API: what a serving engine (or its Python through ctypes)  *|
|* needs to call a bundle that kvcache-compile wrote. It is MLIR-free and     *|
|* lives in libKVCacheRuntime.so, which also defines the functions a bundle   *|
|* leaves undefined (upstream's mgpu* entry points, kvcache_runtime_*) and    *|
|* makes them visible to the bundles it opens, however it was loaded itself.  *|
|* GPU bundles need only the NVIDIA driver (libcuda.so.1, dlopen'ed).         *|
|*                                                                            *|
|*   kvcache_bundle *bundle;                                                  *|
|*   kvcache_bundle_open("out/bundle", NULL, &bundle);                        *|
|*   kvcache_call *call;                                                      *|
|*   kvcache_call_create(bundle, "decode_step", &call);                       *|
|*   int64_t q_shape[3] = {4, 32, 128};                                       *|
|*   kvcache_call_bind(call, "q", q, "<u2", 3, q_shape, KVCACHE_MEMORY_HOST); *|
|*   ... one bind per argument ...                                            *|
|*   if (kvcache_call_run(call, NULL) != KVCACHE_OK)                          *|
|*     fprintf(stderr, "%s\n", kvcache_error_message());                      *|
|*                                                                            *|
|* Every function that can fail returns a kvcache_status and leaves a         *|
|* message naming the problem (the argument, expected vs actual) for          *|
|* kvcache_error_message on the calling thread. Objects are not shared        *|
|* between threads while in use; different calls (of one bundle or several)  *|
|* may run on different threads and streams at once.                          *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef KVCACHE_C_RUNTIME_H
#define KVCACHE_C_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KVCACHE_EXPORT_C __attribute__((visibility("default")))

/* The version of this API; kvcache_runtime_api_version() returns the one the
   library implements. */
#define KVCACHE_RUNTIME_API_VERSION 1

typedef enum kvcache_status {
  KVCACHE_OK = 0,
  /* Bad input, found before anything ran: an argument's dtype, shape or
     data, inconsistent cache fields. */
  KVCACHE_ERROR_INPUT = 1,
  /* A broken bundle: manifest, library, entry symbol. */
  KVCACHE_ERROR_BUNDLE = 2,
  /* A failing CUDA call: a launch, a copy, an allocation. */
  KVCACHE_ERROR_DEVICE = 3,
  /* This machine cannot run the bundle: no driver, no such device, a chip
     the bundle's cubin does not run on. */
  KVCACHE_ERROR_UNSUPPORTED = 4,
  /* The API was misused: a null pointer, an index past the end. */
  KVCACHE_ERROR_USAGE = 5,
  /* The call ran, and its guards found a layer or page id out of range:
     the op touched no memory with it (its keys contribute nothing, its new
     rows are not stored). Outputs hold what the call left. */
  KVCACHE_ERROR_FAULT = 6,
  /* A paged cache has too few free pages for what was asked of it; nothing
     was taken (a serving engine preempts or waits). */
  KVCACHE_ERROR_OUT_OF_PAGES = 7,
} kvcache_status;

KVCACHE_EXPORT_C int kvcache_runtime_api_version(void);

/* The message of the last failure on this thread ("" when none); valid until
   the thread's next call into this API. */
KVCACHE_EXPORT_C const char *kvcache_error_message(void);

/*===--------------------------------------------------------------------===*
 * Bundles
 *===--------------------------------------------------------------------===*/

typedef struct kvcache_bundle kvcache_bundle;

typedef struct kvcache_open_options {
  /* The CUDA driver library for GPU bundles; NULL: "libcuda.so.1". */
  const char *driver;
  /* The CUDA device ordinal. One process runs GPU bundles on one device
     through one driver: the first GPU bundle opened chooses them. */
  int device;
} kvcache_open_options;

/* Opens the bundle in `directory` (manifest.json, libkernels.so): checks the
   manifest against this runtime and, for a GPU bundle, opens the device and
   checks that the cubin runs on it. `options` may be NULL. */
KVCACHE_EXPORT_C kvcache_status
kvcache_bundle_open(const char *directory, const kvcache_open_options *options,
                    kvcache_bundle **bundle);
/* Closes it; its calls must have been destroyed. NULL is ignored. */
KVCACHE_EXPORT_C void kvcache_bundle_close(kvcache_bundle *bundle);

/* "cpu", "sim" or a chip ("sm_90a"); every target but "cpu" runs on CUDA. */
KVCACHE_EXPORT_C const char *
kvcache_bundle_target(const kvcache_bundle *bundle);
KVCACHE_EXPORT_C int kvcache_bundle_is_gpu(const kvcache_bundle *bundle);
KVCACHE_EXPORT_C size_t
kvcache_bundle_num_entries(const kvcache_bundle *bundle);
/* The name of entry `index` (a compiled function), or NULL past the end. */
KVCACHE_EXPORT_C const char *
kvcache_bundle_entry_name(const kvcache_bundle *bundle, size_t index);

/* One flat argument of an entry, as its manifest describes it. Strings and
   the shape stay valid while the bundle is open. */
typedef struct kvcache_argument_info {
  size_t index;
  const char *name;
  /* "memref" or "scalar" (passed by value; bind it with rank 0). */
  const char *kind;
  /* "f32", "f16", "bf16", "f8E4M3FN", "i32", "i64" or "index". */
  const char *element_type;
  /* The canonical NumPy dtype of its elements: "<f4", "<f2", "<u2" (bf16 bit
     patterns), "|u1" (f8E4M3FN bit patterns), "<i4", "<i8". An i32
     argument also takes "<u4". */
  const char *dtype;
  size_t rank;
  /* `rank` dims, -1 where dynamic. */
  const int64_t *shape;
  /* "input", "output", "inout", "cache" or "workspace". */
  const char *role;
  /* Where a GPU call reads it: "device" or "host" (max_lengths and the MHA
     dispatch metadata size the launches). */
  const char *placement;
  /* For role "cache": the ABI field ("kv_blocks", ...), the device and the
     cache name ("" for the default cache); else NULL, -1 and NULL. */
  const char *field;
  int64_t device;
  const char *cache;
  /* The compute-op operand a non-cache argument feeds ("query", "key",
     "value", "out", "row_offsets", "layer"), or NULL. */
  const char *operand;
} kvcache_argument_info;

KVCACHE_EXPORT_C kvcache_status kvcache_bundle_num_arguments(
    const kvcache_bundle *bundle, const char *entry, size_t *count);
KVCACHE_EXPORT_C kvcache_status
kvcache_bundle_argument(const kvcache_bundle *bundle, const char *entry,
                        size_t index, kvcache_argument_info *info);

/*===--------------------------------------------------------------------===*
 * Calls
 *===--------------------------------------------------------------------===*/

typedef struct kvcache_call kvcache_call;

typedef enum kvcache_memory {
  KVCACHE_MEMORY_HOST = 0,
  /* CUDA device memory (GPU bundles only). */
  KVCACHE_MEMORY_DEVICE = 1,
} kvcache_memory;

/* A call of `entry` with its arguments bound. It may be run many times;
   rebinding an argument between runs replaces it. */
KVCACHE_EXPORT_C kvcache_status kvcache_call_create(kvcache_bundle *bundle,
                                                    const char *entry,
                                                    kvcache_call **call);
KVCACHE_EXPORT_C void kvcache_call_destroy(kvcache_call *call);

/* Binds argument `name` to `data`: a dense row-major array of `rank` dims
   `shape`, elements of NumPy dtype `dtype`, 16-byte aligned, in host or
   device memory. A scalar argument is bound with rank 0 and `data` pointing
   at its value. The dtype, rank and static dims are checked here; the data
   is read only when the call runs, and must stay valid until it has.

   A GPU call reads device memory in place. Host memory bound to a
   device-placed argument is copied to the device before the call and, for
   outputs and caches, back after it; an argument placed on the host must be
   in host memory. A CPU call takes host memory only. A workspace argument
   of static shape may stay unbound: the call then uses zeros of its own. */
KVCACHE_EXPORT_C kvcache_status kvcache_call_bind(
    kvcache_call *call, const char *name, void *data, const char *dtype,
    size_t rank, const int64_t *shape, kvcache_memory memory);

/* The device workspace the next run needs with the arguments bound now, in
   bytes: 0 for a CPU bundle; for a GPU bundle the fault word's 256 bytes and
   the split-K partials of every attention. It runs the bundle's host code
   without launching anything, so every host-placed argument must be bound. */
KVCACHE_EXPORT_C kvcache_status kvcache_call_workspace_bytes(kvcache_call *call,
                                                             uint64_t *bytes);

typedef struct kvcache_run_options {
  /* The CUstream the call's copies and kernels go to; NULL is CUDA's
     default stream. The run returns when they have completed. */
  void *stream;
  /* Caller-owned device memory (a CUdeviceptr, 16-byte aligned) of
     `workspace_bytes` bytes, at least kvcache_call_workspace_bytes; 0: the
     call allocates its own, once, and keeps it. A workspace is used by one
     run at a time. */
  uint64_t workspace;
  uint64_t workspace_bytes;
  /* KVCACHE_RUN_* */
  unsigned flags;
} kvcache_run_options;

/* Skip the cross-checks of the cache fields' contents (kvcache-run's
   --no-cache-checks): the kernels' own guards still bound every index. */
#define KVCACHE_RUN_NO_CACHE_CHECKS 1u
/* GPU bundles: queue the call's work on the stream and return without
   waiting, as a CUDA library call does (and as CUDA-graph capture needs).
   Every memref bound to a device-placed argument must then be device
   memory, and the workspace stays in use until the work completes.
   kvcache_call_wait reports what the guards found. */
#define KVCACHE_RUN_STREAM_ORDERED 2u

/* Runs the call. Every argument (but a static workspace) must be bound.
   Where every memref argument is in host memory, the cache fields are
   cross-checked first (the checks of kvcache-run); otherwise the kernels'
   guards are the check. A layer or page id the guards find out of range is
   KVCACHE_ERROR_FAULT, after outputs were written. `options` may be NULL: the
   default stream and the call's own workspace. */
KVCACHE_EXPORT_C kvcache_status
kvcache_call_run(kvcache_call *call, const kvcache_run_options *options);

/* After a KVCACHE_RUN_STREAM_ORDERED run: waits for its stream, then reads
   and clears its fault word (KVCACHE_ERROR_FAULT when the guards found an
   index out of range, KVCACHE_ERROR_DEVICE when a kernel failed). KVCACHE_OK
   at once when no such run is pending. */
KVCACHE_EXPORT_C kvcache_status kvcache_call_wait(kvcache_call *call);

/*===--------------------------------------------------------------------===*
 * Paged caches: the host side of a serving loop
 *
 * The runtime's page allocator (kvcache/Runtime/PagedCache.h): a free list
 * over a kv_blocks pool, requests that hold ceil((cache_length +
 * prompt_length) / page_size) pages, and the cache fields of one step built
 * from a batch of them by ABI.md's rules. The caller owns the pool itself.
 *===--------------------------------------------------------------------===*/

typedef struct kvcache_paged_cache kvcache_paged_cache;

/* kv_blocks' dims: [total_num_pages, kv_dim, num_layers, page_size,
   num_kv_heads, head_dim]. */
typedef struct kvcache_cache_geometry {
  int64_t total_num_pages;
  int64_t kv_dim;
  int64_t num_layers;
  int64_t page_size;
  int64_t num_kv_heads;
  int64_t head_dim;
} kvcache_cache_geometry;

/* Pages are handed out from a shuffle of the pool seeded with `seed`, so a
   request's pages are scattered as in a long-running server. */
KVCACHE_EXPORT_C kvcache_status
kvcache_paged_cache_create(const kvcache_cache_geometry *geometry,
                           uint64_t seed, kvcache_paged_cache **cache);
KVCACHE_EXPORT_C void kvcache_paged_cache_destroy(kvcache_paged_cache *cache);
KVCACHE_EXPORT_C int64_t
kvcache_paged_cache_num_free_pages(const kvcache_paged_cache *cache);

/* Admits `count` requests, request i with cache_lengths[i] tokens cached
   and prompt_lengths[i] new this step, writing their ids to ids[i]: all of
   them, or none (KVCACHE_ERROR_OUT_OF_PAGES). */
KVCACHE_EXPORT_C kvcache_status kvcache_paged_cache_allocate(
    kvcache_paged_cache *cache, size_t count, const int64_t *cache_lengths,
    const int64_t *prompt_lengths, uint64_t *ids);
/* After a step: request `id`'s new tokens are cached (cache_length +=
   prompt_length) and the next step brings `prompt_length` new ones. Takes
   the pages that needs or, when too few are free, none and changes
   nothing (KVCACHE_ERROR_OUT_OF_PAGES). */
KVCACHE_EXPORT_C kvcache_status kvcache_paged_cache_advance(
    kvcache_paged_cache *cache, uint64_t id, int64_t prompt_length);
/* Returns the request's pages to the free list. */
KVCACHE_EXPORT_C kvcache_status
kvcache_paged_cache_release(kvcache_paged_cache *cache, uint64_t id);
/* A live request's lengths and pages (`pages` valid until the cache
   changes). Any output pointer may be NULL. */
KVCACHE_EXPORT_C kvcache_status kvcache_paged_cache_request(
    const kvcache_paged_cache *cache, uint64_t id, int64_t *cache_length,
    int64_t *prompt_length, size_t *num_pages, const uint32_t **pages);

/* The cache fields of one step for the requests ids[0..count) in batch
   order, written to caller-owned arrays (any may be NULL, not wanted):
     cache_lengths                [count] i32
     lookup_table                 [count, lookup_table_columns] i32; slots
                                  past a request's pages hold
                                  total_num_pages
     max_lengths                  [steps_remaining, 2] i32
     attention_dispatch_metadata  [4] i64 (MHA)
     input_row_offsets            [count + 1] i32, the prompt lengths'
                                  prefix sums (the compute ops' operand)
   lookup_table_columns must be what kvcache_paged_cache_lookup_table_columns
   says for the same requests. `num_sms` sizes the split-K rule of
   attention_dispatch_metadata[2]; 0 takes the rule's default (132, an H100
   SXM). */
typedef struct kvcache_step_inputs {
  int64_t lookup_table_columns;
  int64_t steps_remaining;
  int64_t num_sms;
  int32_t *cache_lengths;
  int32_t *lookup_table;
  int32_t *max_lengths;
  int64_t *attention_dispatch_metadata;
  int32_t *input_row_offsets;
} kvcache_step_inputs;

KVCACHE_EXPORT_C kvcache_status kvcache_paged_cache_lookup_table_columns(
    const kvcache_paged_cache *cache, size_t count, const uint64_t *ids,
    int64_t *columns);
KVCACHE_EXPORT_C kvcache_status
kvcache_paged_cache_step(const kvcache_paged_cache *cache, size_t count,
                         const uint64_t *ids, const kvcache_step_inputs *step);

#ifdef __cplusplus
}
#endif

#endif /* KVCACHE_C_RUNTIME_H */
