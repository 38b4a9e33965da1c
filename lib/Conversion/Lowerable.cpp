//===- Lowerable.cpp - What the kvcache compute lowerings handle ----------===//

#include "Lowerable.h"

using namespace mlir;

LogicalResult kvcache::checkLowerable(Operation *op, InputsType type,
                                      StringRef passName) {
  // The tensor forms are one-shot-bufferize's to rewrite into memref forms.
  if (llvm::any_of(op->getOperandTypes(), llvm::IsaPred<TensorType>))
    return op->emitOpError("takes tensors; ")
           << passName
           << " lowers the memref form (bufferize the graph first: "
              "one-shot-bufferize)";
  for (auto [field, fieldType] :
       llvm::zip_equal(type.getFields(), type.getFieldTypes()))
    if (!isa<MemRefType>(fieldType))
      return op->emitOpError("reads field '")
             << abi::name(field) << "' as " << fieldType << "; " << passName
             << " needs memref fields (bufferize the graph first)";
  return success();
}
