//===- MmaFragments.h - Which lane holds which element of an MMA -*- C++ -*-=//
//
// The fragment layout of the tensor-core product the kernels use, as data:
// mma.sync.aligned.m16n8k16.row.col with 16-bit A (16 x 16, row-major) and
// B (16 x 8, column-major) packed two to a 32-bit register, and f32 C and D
// (16 x 8) (PTX ISA, "Matrix Fragments for mma.m16n8k16 with floating point
// type"). Lane l = 4 g + t (g: groupID, t: thread in group). Defined once,
// without MLIR: the CPU simulator's mma (tools/fake-libcuda/SimThreads.cpp)
// gathers and scatters fragments by it, and the decode kernel on tensor
// cores (DecodeMmaKernel.cpp) checks the element placement it is built on
// against it at compile time.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_ABI_MMAFRAGMENTS_H
#define KVCACHE_ABI_MMAFRAGMENTS_H

namespace kvcache::mma {

inline constexpr unsigned kM = 16, kN = 8, kK = 16;
/// 32-bit registers per lane: A holds 8 16-bit elements, B 4, C and D 4 f32.
inline constexpr unsigned kARegisters = 4, kBRegisters = 2, kCRegisters = 4;

/// A matrix position: (row, column) of A (m, k), B (k, n) or C and D (m, n).
struct Element {
  unsigned row, col;
  constexpr bool operator==(const Element &other) const {
    return row == other.row && col == other.col;
  }
};

/// The A element in half `half` (0: the low 16 bits) of register `reg`.
constexpr Element aElement(unsigned lane, unsigned reg, unsigned half) {
  return {lane / 4 + 8 * (reg % 2), 2 * (lane % 4) + half + 8 * (reg / 2)};
}
/// The B element in half `half` of register `reg`.
constexpr Element bElement(unsigned lane, unsigned reg, unsigned half) {
  return {2 * (lane % 4) + half + 8 * reg, lane / 4};
}
/// The C (and D) element in f32 register `reg`.
constexpr Element cElement(unsigned lane, unsigned reg) {
  return {lane / 4 + 8 * (reg / 2), 2 * (lane % 4) + reg % 2};
}

} // namespace kvcache::mma

#endif // KVCACHE_ABI_MMAFRAGMENTS_H
