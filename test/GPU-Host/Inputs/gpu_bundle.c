/* A stand-in for a GPU bundle's library, written by hand so that the host
 * side can be tested before (and independently of) the bundle compiler. It
 * does what upstream MLIR's gpu-to-llvm host code does: a constructor loads
 * the kernels with mgpuModuleLoad (here PTX text, which the stand-in
 * libcuda reads its parameter lists from), and every launch calls
 * mgpuModuleGetFunction, mgpuStreamCreate, mgpuLaunchKernel,
 * mgpuStreamSynchronize and mgpuStreamDestroy, passing a memref as the five
 * words of its descriptor. Each entry exercises one path; see
 * gpu_bundle.manifest.json for the arguments. Build with
 * -DPTX_FILE='"<path>/gpu_bundle.ptx"'. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

void *mgpuModuleLoad(void *data, uint64_t size);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void *mgpuStreamCreate(void);
void mgpuStreamSynchronize(void *stream);
void mgpuStreamDestroy(void *stream);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount);
int32_t kvcache_runtime_num_sms(void);
uint64_t kvcache_runtime_workspace(uint64_t bytes);
uint64_t kvcache_runtime_error_word(void);
void kvcache_runtime_raise(int32_t fault, int64_t a, int64_t b, int64_t c,
                           int64_t d);
void mgpuMemcpy(void *destination, void *source, size_t bytes, void *stream);

/* The kernels' PTX, the text of gpu_bundle.ptx (PTX_FILE), which the
 * stand-in libcuda reads parameter lists from; a real bundle embeds a cubin.
 * Read in the constructor, as a real bundle's constructor loads its module. */
static char ptx[1 << 16];

static void *module;

__attribute__((constructor)) static void loadKernels(void) {
  FILE *file = fopen(PTX_FILE, "rb");
  size_t size = file ? fread(ptx, 1, sizeof(ptx) - 1, file) : 0;
  if (file)
    fclose(file);
  ptx[size] = '\0';
  module = mgpuModuleLoad(ptx, size + 1);
}

__attribute__((destructor)) static void unloadKernels(void) {
  mgpuModuleUnload(module);
}

typedef struct {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t size;
  int64_t stride;
} MemRef1D;

static void launch(const char *kernel, intptr_t gridX, void **params,
                   size_t count) {
  void *function = mgpuModuleGetFunction(module, kernel);
  void *stream = mgpuStreamCreate();
  mgpuLaunchKernel(function, gridX, 1, 1, 128, 1, 1, 0, stream, params, NULL,
                   count);
  mgpuStreamSynchronize(stream);
  mgpuStreamDestroy(stream);
}

/* The parameters of scale(in, out, n). */
static void describe(void **params, MemRef1D *in, MemRef1D *out, int64_t *n) {
  MemRef1D *memrefs[2] = {in, out};
  for (int m = 0; m < 2; ++m) {
    params[5 * m + 0] = &memrefs[m]->allocated;
    params[5 * m + 1] = &memrefs[m]->aligned;
    params[5 * m + 2] = &memrefs[m]->offset;
    params[5 * m + 3] = &memrefs[m]->size;
    params[5 * m + 4] = &memrefs[m]->stride;
  }
  params[10] = n;
}

/* args: in (device), out (device), lengths (host, i32 [2]). Reads lengths on
 * the host for the grid, as the real host code reads max_lengths, and
 * launches twice on the SM count, then once on the runtime's workspace. */
void kvcache_entry_ok(void **args) {
  MemRef1D *in = args[0], *out = args[1], *lengths = args[2];
  int32_t rows = ((int32_t *)lengths->aligned)[0];
  int64_t n = in->size;
  void *params[11];
  describe(params, in, out, &n);
  launch("scale", rows, params, 11);
  launch("scale", kvcache_runtime_num_sms(), params, 11);
  uint64_t workspace = kvcache_runtime_workspace((uint64_t)n * 4);
  MemRef1D scratch = {(void *)(uintptr_t)workspace,
                      (void *)(uintptr_t)workspace, 0, n, 1};
  describe(params, in, &scratch, &n);
  launch("scale", 1, params, 11);
}

/* The host code and the kernel disagree on the parameter count. */
void kvcache_entry_wrong_count(void **args) {
  MemRef1D *in = args[0], *out = args[1];
  int64_t n = in->size;
  void *params[11];
  describe(params, in, out, &n);
  launch("scale", 1, params, 10);
}

/* A host-placed argument (lengths) handed to a kernel as a pointer. */
void kvcache_entry_host_pointer(void **args) {
  MemRef1D *lengths = args[2], *out = args[1];
  int64_t n = 2;
  void *params[11];
  describe(params, lengths, out, &n);
  launch("scale", 1, params, 11);
}

/* A kernel the module does not have; the launch after it is skipped. */
void kvcache_entry_missing_kernel(void **args) {
  MemRef1D *in = args[0], *out = args[1];
  int64_t n = in->size;
  void *params[11];
  describe(params, in, out, &n);
  launch("scale_v2", 1, params, 11);
  launch("scale", 1, params, 11);
}

/* An empty grid: host code must not launch one. */
void kvcache_entry_zero_grid(void **args) {
  MemRef1D *in = args[0], *out = args[1];
  int64_t n = in->size;
  void *params[11];
  describe(params, in, out, &n);
  launch("scale", 0, params, 11);
}

/* What a kernel that reads a page id off the pool leaves in the runtime's
 * fault word: ~((request << 32) | position), here request 2, position 40
 * (include/kvcache/ABI/RuntimeHooks.h), written by a copy as no kernel
 * runs on the stand-in. The launch itself succeeds. */
void kvcache_entry_fault_word(void **args) {
  kvcache_entry_ok(args);
  uint64_t word = ~(((uint64_t)2 << 32) | 40);
  void *stream = mgpuStreamCreate();
  mgpuMemcpy((void *)(uintptr_t)kvcache_runtime_error_word(), &word,
             sizeof word, stream);
  mgpuStreamSynchronize(stream);
  mgpuStreamDestroy(stream);
}

/* The host code's guard: layer 7 of a 4-layer cache (abi::Fault 1). */
void kvcache_entry_raise(void **args) {
  kvcache_entry_ok(args);
  kvcache_runtime_raise(1, 7, 4, -1, -1);
}
