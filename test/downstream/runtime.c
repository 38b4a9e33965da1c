/* A serving engine's view of a compiled bundle through the installed C
   runtime API (kvcache-c/Runtime.h, libKVCacheRuntime.so):

     downstream-runtime BUNDLE INPUTS ENTRY OUTPUT FILE

   lists ENTRY's arguments, binds each one by name to the array of
   INPUTS/<name>.npy (read into host memory), runs the call and writes the
   raw bytes of argument OUTPUT to FILE; test/Install/downstream.test
   compares them with kvcache-run's answer. It then shows two refusals:
   a dtype the argument does not take, and an unknown name. */

#include "npy.h"

#include "kvcache-c/Runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check(kvcache_status status, const char *what) {
  if (status == KVCACHE_OK)
    return 1;
  printf("%s: status %d: %s\n", what, (int)status, kvcache_error_message());
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s BUNDLE INPUTS ENTRY OUTPUT FILE\n", argv[0]);
    return 2;
  }
  const char *entry = argv[3];
  kvcache_bundle *bundle;
  if (!check(kvcache_bundle_open(argv[1], NULL, &bundle), "open"))
    return 1;
  printf("api %d, target %s, %zu entries, first '%s'\n",
         kvcache_runtime_api_version(), kvcache_bundle_target(bundle),
         kvcache_bundle_num_entries(bundle),
         kvcache_bundle_entry_name(bundle, 0));

  kvcache_call *call;
  size_t count;
  if (!check(kvcache_call_create(bundle, entry, &call), "create") ||
      !check(kvcache_bundle_num_arguments(bundle, entry, &count), "count"))
    return 1;
  struct npy *arrays = calloc(count, sizeof(struct npy));
  struct npy *output = NULL;
  for (size_t i = 0; i < count; ++i) {
    kvcache_argument_info info;
    if (!check(kvcache_bundle_argument(bundle, entry, i, &info), "argument"))
      return 1;
    printf("#%zu %s: %s %s (%s) rank %zu, %s, %s", info.index, info.name,
           info.kind, info.element_type, info.dtype, info.rank, info.role,
           info.placement);
    if (info.field)
      printf(", field %s", info.field);
    printf("\n");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.npy", argv[2], info.name);
    if (!read_npy(path, &arrays[i])) {
      printf("cannot read %s\n", path);
      return 1;
    }
    if (!check(kvcache_call_bind(call, info.name, arrays[i].data,
                                 arrays[i].dtype, arrays[i].rank,
                                 arrays[i].shape, KVCACHE_MEMORY_HOST),
               info.name))
      return 1;
    if (strcmp(info.name, argv[4]) == 0)
      output = &arrays[i];
  }
  uint64_t workspace;
  if (!check(kvcache_call_workspace_bytes(call, &workspace), "workspace") ||
      !check(kvcache_call_run(call, NULL), "run"))
    return 1;
  printf("ran '%s', workspace %llu bytes\n", entry,
         (unsigned long long)workspace);
  if (!output) {
    printf("no argument '%s'\n", argv[4]);
    return 1;
  }
  FILE *file = fopen(argv[5], "wb");
  if (!file || fwrite(output->data, 1, output->bytes, file) != output->bytes)
    return 1;
  fclose(file);

  /* Refusals name the argument and what was expected. */
  check(kvcache_call_bind(call, argv[4], output->data, "<f8", output->rank,
                          output->shape, KVCACHE_MEMORY_HOST),
        "wrong dtype");
  check(kvcache_call_bind(call, "no_such_argument", output->data, output->dtype,
                          output->rank, output->shape, KVCACHE_MEMORY_HOST),
        "unknown name");
  kvcache_call_destroy(call);
  kvcache_bundle_close(bundle);
  for (size_t i = 0; i < count; ++i)
    free(arrays[i].data);
  free(arrays);
  return 0;
}
