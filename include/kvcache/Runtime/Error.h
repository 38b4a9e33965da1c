//===- Error.h - Runtime error categories -----------------------*- C++ -*-===//
//
// The runtime reports problems as exceptions of a few kinds, because a tool
// must tell its user whose fault a failure is: bad input (files, values,
// options) is the user's to fix; a broken bundle (manifest, library, entry
// symbol) is the compiler's; a machine without a usable GPU is nobody's
// fault, only a reason to skip; a failing device call (a launch, a copy) is
// the bundle's or ours. kvcache-run maps them to exit codes 1, 2, 77 and 2.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUNTIME_ERROR_H
#define KVCACHE_RUNTIME_ERROR_H

#include <stdexcept>
#include <string>
#include <string_view>

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

/// No usable CUDA device: no driver library, cuInit failed, no device of
/// that ordinal. Running GPU bundles is unsupported on this machine.
class DeviceUnavailableError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A CUDA driver call failed: a launch, a copy, an allocation, or a failure
/// that an mgpu* entry point latched during an entry call.
class DeviceError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// `text` for a message: control bytes (NUL included, which would cut the
/// message short, and DEL) as \xNN; everything else, UTF-8 included, stays.
std::string printable(std::string_view text);

} // namespace kvcache::runtime

#endif // KVCACHE_RUNTIME_ERROR_H
