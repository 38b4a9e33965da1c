/* A minimal .npy reader for the C runtime API's test programs
   (test/downstream/runtime.c, test/CAPI/kvcache-runtime-capi-test.c): just
   what kvcache-run writes, little-endian, C order, rank <= 8. */

#ifndef KVCACHE_TEST_NPY_H
#define KVCACHE_TEST_NPY_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct npy {
  char dtype[8];
  size_t rank;
  int64_t shape[8];
  void *data;
  size_t bytes;
};

/* Reads `path` into `array` (64-byte aligned, freed with free()); returns 0
   on failure. */
static int read_npy(const char *path, struct npy *array) {
  FILE *file = fopen(path, "rb");
  unsigned char preamble[10];
  if (!file || fread(preamble, 1, 10, file) != 10 ||
      memcmp(preamble, "\x93NUMPY", 6) != 0 || preamble[6] != 1)
    return 0;
  size_t header_bytes = preamble[8] | (size_t)preamble[9] << 8;
  char *header = calloc(header_bytes + 1, 1);
  if (fread(header, 1, header_bytes, file) != header_bytes)
    return 0;
  const char *descr = strstr(header, "'descr': '");
  const char *shape = strstr(header, "'shape': (");
  if (!descr || !shape || sscanf(descr + 10, "%7[^']", array->dtype) != 1)
    return 0;
  array->rank = 0;
  size_t elements = 1;
  for (const char *p = shape + 10; *p && *p != ')';) {
    char *end;
    long long dim = strtoll(p, &end, 10);
    if (end == p) {
      ++p;
      continue;
    }
    array->shape[array->rank++] = dim;
    elements *= (size_t)dim;
    p = end;
  }
  array->bytes = elements * (size_t)atoi(array->dtype + 2);
  /* 64 bytes: more than the 16 the API asks for. */
  array->data = aligned_alloc(64, (array->bytes + 64) / 64 * 64);
  size_t got = fread(array->data, 1, array->bytes, file);
  fclose(file);
  free(header);
  return got == array->bytes;
}

#endif /* KVCACHE_TEST_NPY_H */
