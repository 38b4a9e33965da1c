//===- ArgumentCheck.h - An array against its manifest argument -*- C++ -*-===//
//
// Before an array is bound to an entry argument, its dtype, rank and every
// static dim must be what the compiled code assumes; the code does not check,
// so a mismatch would read out of bounds or misinterpret bytes.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUNTIME_ARGUMENTCHECK_H
#define KVCACHE_RUNTIME_ARGUMENTCHECK_H

#include "kvcache/Runtime/Array.h"
#include "kvcache/Runtime/Manifest.h"

namespace kvcache::runtime {

/// Throws InputError naming the argument, what it expects and what `array`
/// is: "argument 'lookup_table' (#5): expected rank 2, got 1".
void checkArgument(const ManifestArgument &argument, const Array &array);

} // namespace kvcache::runtime

#endif // KVCACHE_RUNTIME_ARGUMENTCHECK_H
