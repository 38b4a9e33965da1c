/* The C runtime API's GPU side on the stand-in libcuda (which simulates the
   kernels of a `sim` bundle on the host):

     kvcache-runtime-capi-test BUNDLE INPUTS EXPECTED

   BUNDLE is a sim bundle of one function `decode` whose output is `out`;
   INPUTS holds one .npy per argument; EXPECTED is kvcache-run's out.npy for
   them. The program binds device memory it allocates through the driver,
   as a serving engine's tensors are, and checks:
     - two threads, each on its own stream with its own workspace, run the
       call stream-ordered at once, and each gets kvcache-run's answer;
     - the workspace query and its refusals (too small for the fault word,
       too small for the partials);
     - a host-placed argument given device memory is refused by name;
     - a page id past the pool is KVCACHE_ERROR_FAULT, named.
   Each check prints one line for FileCheck (test/CAPI/runtime.test). */

#include "../downstream/npy.h"

#include "kvcache-c/Runtime.h"

#include <dlfcn.h>
#include <pthread.h>

typedef int CUresult;
typedef uint64_t CUdeviceptr;
static CUresult (*cuInit)(unsigned);
static CUresult (*cuDeviceGet)(int *, int);
static CUresult (*cuDevicePrimaryCtxRetain)(void **, int);
static CUresult (*cuCtxSetCurrent)(void *);
static CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
static CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr, const void *, size_t, void *);
static CUresult (*cuMemcpyDtoHAsync)(void *, CUdeviceptr, size_t, void *);
static CUresult (*cuStreamCreate)(void **, unsigned);
static CUresult (*cuStreamSynchronize)(void *);
static void *context;

#define REQUIRE(condition)                                                     \
  do {                                                                         \
    if (!(condition)) {                                                        \
      printf("FAILED: %s (line %d): %s\n", #condition, __LINE__,               \
             kvcache_error_message());                                         \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

static void *symbol(void *library, const char *name) {
  void *address = dlsym(library, name);
  REQUIRE(address != NULL);
  return address;
}

static void openDriver(void) {
  void *cuda = dlopen("libcuda.so.1", RTLD_NOW);
  REQUIRE(cuda != NULL);
  *(void **)&cuInit = symbol(cuda, "cuInit");
  *(void **)&cuDeviceGet = symbol(cuda, "cuDeviceGet");
  *(void **)&cuDevicePrimaryCtxRetain =
      symbol(cuda, "cuDevicePrimaryCtxRetain");
  *(void **)&cuCtxSetCurrent = symbol(cuda, "cuCtxSetCurrent");
  *(void **)&cuMemAlloc = symbol(cuda, "cuMemAlloc_v2");
  *(void **)&cuMemcpyHtoDAsync = symbol(cuda, "cuMemcpyHtoDAsync_v2");
  *(void **)&cuMemcpyDtoHAsync = symbol(cuda, "cuMemcpyDtoHAsync_v2");
  *(void **)&cuStreamCreate = symbol(cuda, "cuStreamCreate");
  *(void **)&cuStreamSynchronize = symbol(cuda, "cuStreamSynchronize");
  int device;
  REQUIRE(cuInit(0) == 0 && cuDeviceGet(&device, 0) == 0);
  REQUIRE(cuDevicePrimaryCtxRetain(&context, device) == 0);
}

static kvcache_bundle *bundle;
static const char *inputs;
static struct npy expected;

/* The arguments of one call: host arrays, and a device copy of each
   device-placed one. */
struct binding {
  size_t count;
  struct npy host[16];
  CUdeviceptr device[16];
  kvcache_argument_info info[16];
};

static void load(struct binding *b) {
  REQUIRE(kvcache_bundle_num_arguments(bundle, "decode", &b->count) ==
              KVCACHE_OK &&
          b->count <= 16);
  for (size_t i = 0; i < b->count; ++i) {
    REQUIRE(kvcache_bundle_argument(bundle, "decode", i, &b->info[i]) ==
            KVCACHE_OK);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.npy", inputs, b->info[i].name);
    REQUIRE(read_npy(path, &b->host[i]));
    b->device[i] = 0;
    if (strcmp(b->info[i].placement, "device") != 0 ||
        strcmp(b->info[i].kind, "memref") != 0)
      continue;
    REQUIRE(cuMemAlloc(&b->device[i], b->host[i].bytes + 16) == 0);
    REQUIRE(cuMemcpyHtoDAsync(b->device[i], b->host[i].data, b->host[i].bytes,
                              NULL) == 0);
    REQUIRE(cuStreamSynchronize(NULL) == 0);
  }
}

/* Frees the host arrays (the stand-in's device memory lives until exit). */
static void release(struct binding *b) {
  for (size_t i = 0; i < b->count; ++i)
    free(b->host[i].data);
}

/* Binds device memory where the manifest places an argument on the device,
   host memory elsewhere. */
static void bindAll(kvcache_call *call, struct binding *b) {
  for (size_t i = 0; i < b->count; ++i) {
    int onDevice = b->device[i] != 0;
    void *data = onDevice ? (void *)(uintptr_t)b->device[i] : b->host[i].data;
    REQUIRE(kvcache_call_bind(call, b->info[i].name, data, b->host[i].dtype,
                              b->host[i].rank, b->host[i].shape,
                              onDevice ? KVCACHE_MEMORY_DEVICE
                                       : KVCACHE_MEMORY_HOST) == KVCACHE_OK);
  }
}

static size_t indexOf(struct binding *b, const char *name) {
  for (size_t i = 0; i < b->count; ++i)
    if (strcmp(b->info[i].name, name) == 0)
      return i;
  REQUIRE(!"no such argument");
  return 0;
}

/* A call of `decode` on this thread with `b` loaded and bound, and the
   workspace it needs. */
static kvcache_call *prepare(struct binding *b, uint64_t *bytes) {
  REQUIRE(cuCtxSetCurrent(context) == 0);
  load(b);
  kvcache_call *call;
  REQUIRE(kvcache_call_create(bundle, "decode", &call) == KVCACHE_OK);
  bindAll(call, b);
  REQUIRE(kvcache_call_workspace_bytes(call, bytes) == KVCACHE_OK);
  return call;
}

/* One thread's call: its own stream, workspace and device arguments. */
static void *runOnOwnStream(void *result) {
  struct binding b;
  uint64_t bytes;
  kvcache_call *call = prepare(&b, &bytes);
  void *stream;
  CUdeviceptr workspace;
  REQUIRE(cuStreamCreate(&stream, 1) == 0);
  REQUIRE(cuMemAlloc(&workspace, bytes) == 0);
  kvcache_run_options options = {stream, workspace, bytes,
                                 KVCACHE_RUN_STREAM_ORDERED};
  REQUIRE(kvcache_call_run(call, &options) == KVCACHE_OK);
  REQUIRE(kvcache_call_wait(call) == KVCACHE_OK);
  size_t out = indexOf(&b, "out");
  REQUIRE(cuMemcpyDtoHAsync(b.host[out].data, b.device[out], b.host[out].bytes,
                            stream) == 0);
  REQUIRE(cuStreamSynchronize(stream) == 0);
  *(int *)result = b.host[out].bytes == expected.bytes &&
                   memcmp(b.host[out].data, expected.data, expected.bytes) == 0;
  kvcache_call_destroy(call);
  release(&b);
  return NULL;
}

static void expectRefusal(kvcache_status status, kvcache_status expectedStatus,
                          const char *what) {
  REQUIRE(status == expectedStatus);
  printf("%s: %s\n", what, kvcache_error_message());
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s BUNDLE INPUTS EXPECTED\n", argv[0]);
    return 2;
  }
  openDriver();
  inputs = argv[2];
  REQUIRE(read_npy(argv[3], &expected));
  REQUIRE(kvcache_bundle_open(argv[1], NULL, &bundle) == KVCACHE_OK);
  REQUIRE(kvcache_bundle_is_gpu(bundle));

  pthread_t threads[2];
  int same[2] = {0, 0};
  for (int t = 0; t < 2; ++t)
    REQUIRE(pthread_create(&threads[t], NULL, runOnOwnStream, &same[t]) == 0);
  for (int t = 0; t < 2; ++t)
    REQUIRE(pthread_join(threads[t], NULL) == 0);
  printf("two threads, two streams: %s, %s\n",
         same[0] ? "kvcache-run's answer" : "DIFFERENT",
         same[1] ? "kvcache-run's answer" : "DIFFERENT");

  struct binding b;
  uint64_t bytes;
  kvcache_call *call = prepare(&b, &bytes);
  printf("workspace: %s\n", bytes > 256 && bytes % 256 == 0
                                ? "the fault word and the partials"
                                : "WRONG SIZE");
  CUdeviceptr workspace;
  REQUIRE(cuMemAlloc(&workspace, bytes) == 0);
  kvcache_run_options tiny = {NULL, workspace, 255, 0};
  expectRefusal(kvcache_call_run(call, &tiny), KVCACHE_ERROR_INPUT,
                "fault word");
  kvcache_run_options short_ = {NULL, workspace, bytes - 256, 0};
  expectRefusal(kvcache_call_run(call, &short_), KVCACHE_ERROR_DEVICE,
                "partials");

  size_t max = indexOf(&b, "max_lengths");
  CUdeviceptr maxOnDevice;
  REQUIRE(cuMemAlloc(&maxOnDevice, 64) == 0);
  expectRefusal(kvcache_call_bind(call, "max_lengths",
                                  (void *)(uintptr_t)maxOnDevice,
                                  b.host[max].dtype, b.host[max].rank,
                                  b.host[max].shape, KVCACHE_MEMORY_DEVICE),
                KVCACHE_ERROR_INPUT, "placement");

  /* Request 1's first page off the pool, on the device only: the host
     checks cannot see it, the kernels' guards must. */
  size_t table = indexOf(&b, "lookup_table");
  int32_t *ids = b.host[table].data;
  ids[b.host[table].shape[1]] = 1 << 30;
  REQUIRE(cuMemcpyHtoDAsync(b.device[table], ids, b.host[table].bytes, NULL) ==
          0);
  REQUIRE(cuStreamSynchronize(NULL) == 0);
  kvcache_run_options run = {NULL, workspace, bytes, 0};
  expectRefusal(kvcache_call_run(call, &run), KVCACHE_ERROR_FAULT,
                "page fault");
  kvcache_call_destroy(call);
  kvcache_bundle_close(bundle);
  release(&b);
  free(expected.data);
  return 0;
}
