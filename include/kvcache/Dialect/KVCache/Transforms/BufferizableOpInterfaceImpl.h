//===- BufferizableOpInterfaceImpl.h - one-shot-bufferize models -*- C++
//-*-===//
//
// The BufferizableOpInterface models of the kvcache ops, as external models
// the way upstream dialects register theirs (the dialect promises them, so a
// registry that lacks them fails loudly instead of leaving tensors behind).
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_DIALECT_KVCACHE_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
#define KVCACHE_DIALECT_KVCACHE_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace kvcache {
/// Registers the models of kvcache.attention, kvcache.store, kvcache.get,
/// kvcache.pack and kvcache.inputs_per_device.
void registerBufferizableOpInterfaceExternalModels(
    mlir::DialectRegistry &registry);
} // namespace kvcache

#endif // KVCACHE_DIALECT_KVCACHE_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
