//===- Manifest.h - A bundle's manifest.json --------------------*- C++ -*-===//
//
// What kvcache-compile writes next to libkernels.so: the target, the library
// and, per function, its entry symbol and the arguments that the entry's
// `void **args` holds, in order. Loading validates everything the runtime
// relies on (kinds, element types, shapes, the ABI rank and element of each
// cache field, the presence rules of each cache) so that a broken bundle is
// reported as such, before any input is read.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUNTIME_MANIFEST_H
#define KVCACHE_RUNTIME_MANIFEST_H

#include "kvcache/ABI/ABI.h"
#include "kvcache/Runtime/DType.h"

#include "kvcache/ABI/BundleManifest.h"
#include <cstdint>
#include <optional>

#include <string>
#include <string_view>
#include <vector>

namespace kvcache::runtime {

// The manifest's vocabulary is shared with kvcache-compile.
using bundle::ArgumentKind;
using bundle::ArgumentOperand;
using bundle::ArgumentPlacement;
using bundle::ArgumentRole;
using bundle::toString;

/// Which cache field a `cache` argument is.
struct CacheBinding {
  abi::Field field;
  int64_t device = 0;
  /// Empty for the default cache.
  std::string cache;
};

struct ManifestArgument {
  unsigned index = 0;
  std::string name;
  ArgumentKind kind = ArgumentKind::MemRef;
  ElementType elementType = ElementType::F32;
  unsigned rank = 0;
  /// `rank` dims; -1 where dynamic.
  std::vector<int64_t> shape;
  ArgumentRole role = ArgumentRole::Input;
  ArgumentPlacement placement = ArgumentPlacement::Device;
  /// Set exactly when role is Cache.
  std::optional<CacheBinding> cache;
  /// The compute-op operand a non-cache argument feeds ("operand"), which
  /// every check of its contents keys on.
  std::optional<ArgumentOperand> operand;

  /// "argument 'q' (#0)", the prefix of every message about it.
  std::string describe() const;
};

struct ManifestFunction {
  std::string name;
  std::string entry;
  /// Sorted by index; indices are 0 .. size-1.
  std::vector<ManifestArgument> arguments;

  const ManifestArgument *findArgument(std::string_view name) const;
};

struct Manifest {
  int64_t format = 1;
  std::string target;
  /// A file name inside the bundle directory.
  std::string library;
  std::vector<ManifestFunction> functions;

  const ManifestFunction *findFunction(std::string_view name) const;
  /// "decode, prefill", for "no function 'x'; the bundle has ...".
  std::string functionNames() const;
};

/// The manifest format this runtime reads.
using bundle::kManifestFormat;

/// Parses and validates a manifest. `source` names it in errors. Throws
/// BundleError ("<source>: line 3, column 7: ...").
Manifest parseManifest(std::string_view text, std::string_view source);

/// Reads `<bundleDir>/manifest.json`. Throws BundleError.
Manifest loadManifest(const std::string &bundleDir);

} // namespace kvcache::runtime

#endif // KVCACHE_RUNTIME_MANIFEST_H
