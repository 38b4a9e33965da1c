//===- Npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//
//
// Reads and writes NumPy's .npy format (versions 1.0, 2.0 and 3.0) for the
// dtypes that DType names. The reader is strict: big-endian data, Fortran
// order, object and structured dtypes, malformed headers, truncated data and
// trailing bytes are errors that say what was found, because any of them
// would otherwise bind garbage to a kernel argument.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUNTIME_NPY_H
#define KVCACHE_RUNTIME_NPY_H

#include "kvcache/Runtime/Array.h"

#include <string>
#include <string_view>

namespace kvcache::runtime {

/// Parses the bytes of an .npy file. `source` names it in errors (a path).
/// Throws InputError.
Array parseNpy(std::string_view bytes, std::string_view source);

/// The bytes of a version 1.0 .npy file holding `array`.
std::string serializeNpy(const Array &array);

/// Reads the .npy file at `path`. Throws InputError (a missing file
/// included).
Array readNpy(const std::string &path);

/// Writes `array` to `path`, replacing it. Throws InputError when the file
/// cannot be written.
void writeNpy(const std::string &path, const Array &array);

} // namespace kvcache::runtime

#endif // KVCACHE_RUNTIME_NPY_H
