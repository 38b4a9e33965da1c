//===- Random.h - A small deterministic random generator --------*- C++ -*-===//
//
// std::shuffle and the std:: distributions are implementation-defined, so the
// same seed could give different page orders and values with another
// standard library. SplitMix64 and the mappings below are fully specified:
// a seed means the same inputs everywhere.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUNTIME_RANDOM_H
#define KVCACHE_RUNTIME_RANDOM_H

#include <cstdint>
#include <utility>
#include <vector>

namespace kvcache::runtime {

class SplitMix64 {
public:
  explicit SplitMix64(uint64_t seed) : state(seed) {}

  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  /// Uniform in [0, bound); bound > 0. The modulo bias is below 2^-40 for
  /// the bounds used here (page counts).
  uint64_t below(uint64_t bound) { return next() % bound; }

  /// Uniform in [-1, 1), on a grid of 2^-23, exact in f32.
  float symmetricUnit() {
    int64_t grid = static_cast<int64_t>(next() >> 40); // 24 bits
    return static_cast<float>(grid - (int64_t(1) << 23)) /
           static_cast<float>(int64_t(1) << 23);
  }

  /// Fisher-Yates.
  template <typename T> void shuffle(std::vector<T> &items) {
    for (size_t i = items.size(); i > 1; --i)
      std::swap(items[i - 1], items[below(i)]);
  }

private:
  uint64_t state;
};

} // namespace kvcache::runtime

#endif // KVCACHE_RUNTIME_RANDOM_H
