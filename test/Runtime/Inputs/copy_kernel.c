/* A stand-in for a compiled bundle's library: kvcache_entry_copy writes
 * out = q + layer and stores 42 into kv_blocks[0], so a test can see that
 * memref descriptors, scalars and in-place updates all reach the kernel and
 * come back. Argument order follows copy.manifest.json. */
#include <stdint.h>

/* MLIR's memref descriptor, for any rank up to 6. */
typedef struct {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizesAndStrides[12];
} MemRef;

static int64_t numElements(const MemRef *memref, int rank) {
  int64_t count = 1;
  for (int d = 0; d < rank; ++d)
    count *= memref->sizesAndStrides[d];
  return count;
}

void kvcache_entry_copy(void **args) {
  const MemRef *q = (const MemRef *)args[0];
  MemRef *kvBlocks = (MemRef *)args[1];
  int64_t layer = *(const int64_t *)args[7];
  MemRef *out = (MemRef *)args[8];
  int64_t count = numElements(q, 3);
  for (int64_t i = 0; i < count; ++i)
    out->aligned[out->offset + i] = q->aligned[q->offset + i] + (float)layer;
  kvBlocks->aligned[kvBlocks->offset] = 42.0f;
}
