//===- Error.h - Runtime error categories -----------------------*- C++ -*-===//
//
// The runtime reports problems as exceptions of two kinds, because a tool
// must tell its user whose fault a failure is: bad input (files, values,
// options) is the user's to fix; a broken bundle (manifest, library, entry
// symbol) is the compiler's. kvcache-run maps them to exit codes 1 and 2.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUNTIME_ERROR_H
#define KVCACHE_RUNTIME_ERROR_H

#include <stdexcept>
#include <string>

namespace kvcache::runtime {

/// Bad input: an .npy file, an argument value, a command-line option.
class InputError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A broken bundle: its manifest, its library or a missing entry point.
class BundleError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

} // namespace kvcache::runtime

#endif // KVCACHE_RUNTIME_ERROR_H
