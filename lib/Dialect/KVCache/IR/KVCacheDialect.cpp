//===- KVCacheDialect.cpp - The kvcache dialect ---------------------------===//

#include "kvcache/Dialect/KVCache/IR/KVCache.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/IR/DialectImplementation.h"

using namespace mlir;
using namespace kvcache;

#include "kvcache/Dialect/KVCache/IR/KVCacheDialect.cpp.inc"

namespace {
/// Prints bundle types as `!kv`, `!kv1`, ...: they are long, and a graph
/// usually has one or two of them.
struct KVCacheOpAsmInterface : public OpAsmDialectInterface {
  using OpAsmDialectInterface::OpAsmDialectInterface;
  AliasResult getAlias(Type type, raw_ostream &os) const override {
    if (isa<InputsType>(type)) {
      os << "kv";
      return AliasResult::OverridableAlias;
    }
    return AliasResult::NoAlias;
  }
};
} // namespace

void KVCacheDialect::initialize() {
  registerAttributes();
  registerTypes();
  addOperations<
#define GET_OP_LIST
#include "kvcache/Dialect/KVCache/IR/KVCacheOps.cpp.inc"
      >();
  addInterfaces<KVCacheOpAsmInterface>();
  // Registered by registerBufferizableOpInterfaceExternalModels (Transforms).
  declarePromisedInterfaces<bufferization::BufferizableOpInterface,
                            InputsPerDeviceOp, PackOp, GetOp, StoreOp,
                            AttentionOp>();
}
