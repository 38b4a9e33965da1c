/* The entry kvcache-run calls (void **args, one descriptor per argument),
 * forwarding to the C interface that llvm.emit_c_interface generates for
 * upstream_host.mlir's @ok. */
void _mlir_ciface_ok(void *in, void *out, void *lengths, void *scratch);

void kvcache_entry_ok(void **args) {
  _mlir_ciface_ok(args[0], args[1], args[2], args[3]);
}
