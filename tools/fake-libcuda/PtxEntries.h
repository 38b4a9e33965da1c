//===- PtxEntries.h - Kernel parameter lists from PTX text ------*- C++ -*-===//
//
// The stand-in driver checks every launch against the kernel's `.param`
// list, which it reads from the PTX that the bundle compiler writes next to
// the cubin. This parser reads only what that needs: each `.entry`, its
// parameters' names, sizes, alignments and whether LLVM marked them `.ptr`
// (a pointer the kernel dereferences).
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_TOOLS_FAKE_LIBCUDA_PTXENTRIES_H
#define KVCACHE_TOOLS_FAKE_LIBCUDA_PTXENTRIES_H

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kvcache::fakecuda {

struct PtxParam {
  std::string name;
  /// Bytes of the parameter (element size times array length).
  size_t size = 0;
  /// Its alignment in the parameter buffer.
  size_t align = 1;
  /// Its offset in the parameter buffer (aligned, in declaration order).
  size_t offset = 0;
  /// `.ptr`: the kernel dereferences it, so it must be a device address.
  bool isPointer = false;
  /// The `.align` written after `.ptr`: the pointee's alignment.
  size_t pointeeAlign = 1;
};

struct PtxEntry {
  std::string name;
  std::vector<PtxParam> params;
};

class PtxError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Every `.entry` of `ptx`, in order (`.func`s are not kernels). Throws
/// PtxError ("line 12: ...") for a parameter it cannot read.
std::vector<PtxEntry> parsePtxEntries(std::string_view ptx);

} // namespace kvcache::fakecuda

#endif // KVCACHE_TOOLS_FAKE_LIBCUDA_PTXENTRIES_H
