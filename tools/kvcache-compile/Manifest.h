//===- Manifest.h - A bundle's manifest.json --------------------*- C++ -*-===//
//
// What a runtime needs to call a bundle's entry points: per public function,
// its flat arguments in order, each with the name the runtime binds it by,
// its type and where it lives. Read off the flat signatures that
// kvcache-expand-inputs leaves, before the LLVM lowering erases the types.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_TOOLS_KVCACHE_COMPILE_MANIFEST_H
#define KVCACHE_TOOLS_KVCACHE_COMPILE_MANIFEST_H

#include "kvcache/ABI/ABI.h"
#include "kvcache/ABI/BundleManifest.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <optional>
#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace kvcache::compile {

// The manifest's vocabulary is shared with the runtime.
using bundle::ArgumentKind;
using bundle::ArgumentOperand;
using bundle::ArgumentPlacement;
using bundle::ArgumentRole;

/// Which cache field a `cache` argument is.
struct CacheBinding {
  abi::Field field;
  int64_t device;
  std::string cache;
};

struct ManifestArgument {
  unsigned index;
  std::string name;
  ArgumentKind kind;
  std::string elementType;
  /// Static dims; -1 for a dynamic one. Empty for a scalar.
  std::vector<int64_t> shape;
  ArgumentRole role;
  ArgumentPlacement placement;
  std::optional<CacheBinding> cache;
  /// The compute-op operand it feeds (kvcache.operand), if any.
  std::optional<ArgumentOperand> operand;
};

struct ManifestFunction {
  std::string name;
  /// The exported `void <entry>(void **args)` that calls the function.
  std::string entry;
  std::vector<ManifestArgument> arguments;
};

struct Manifest {
  std::string target;
  std::string library;
  std::vector<ManifestFunction> functions;
};

/// Reads the manifest off the public functions of a flattened module (the
/// output of the high-level pipeline). Emits an error at the offending
/// function or argument and fails on what a runtime could not bind: a
/// non-cache argument without `kvcache.name`, two arguments with one name, an
/// unsupported type, or a function that returns values.
mlir::FailureOr<Manifest> readManifest(mlir::ModuleOp module,
                                       llvm::StringRef target,
                                       llvm::StringRef library);

/// Marks every non-cache argument of the public functions with the
/// compute-op operand it feeds, through calls (`kvcache.operand`; one a user
/// wrote is kept). Run before the ops are lowered. Fails, naming it, on an
/// argument that feeds two kinds of operand or has an unknown one.
mlir::LogicalResult annotateOperands(mlir::ModuleOp module);

/// Writes `manifest` as JSON, one argument per line.
void writeManifest(const Manifest &manifest, llvm::raw_ostream &os);

} // namespace kvcache::compile

#endif // KVCACHE_TOOLS_KVCACHE_COMPILE_MANIFEST_H
