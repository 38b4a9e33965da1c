//===- EntryPointTest.cpp - Packing arguments for an entry call -----------===//

#include "TestArrays.h"

#include "kvcache/Runtime/EntryPoint.h"
#include "kvcache/Runtime/Error.h"

#include <gtest/gtest.h>

using namespace kvcache::runtime;
using namespace kvcache::runtime::testing;

namespace {

/// MLIR's descriptor for a rank-2 memref.
struct Descriptor2D {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
};

/// A stand-in for a compiled entry: out = in * scale (a scalar).
void scaleEntry(void **args) {
  auto *in = static_cast<Descriptor2D *>(args[0]);
  auto *out = static_cast<Descriptor2D *>(args[1]);
  float scale = *static_cast<float *>(args[2]);
  for (int64_t i = 0; i < in->sizes[0]; ++i)
    for (int64_t j = 0; j < in->sizes[1]; ++j)
      out->aligned[out->offset + i * out->strides[0] + j * out->strides[1]] =
          in->aligned[in->offset + i * in->strides[0] + j * in->strides[1]] *
          scale;
}

TEST(EntryPoint, DescriptorsAndScalars) {
  ManifestFunction function;
  function.arguments.push_back(
      memrefArgument(0, "in", ElementType::F32, {-1, 3}));
  function.arguments.push_back(memrefArgument(1, "out", ElementType::F32,
                                              {-1, 3}, ArgumentRole::Output));
  ManifestArgument scale = memrefArgument(2, "scale", ElementType::F32, {});
  scale.kind = ArgumentKind::Scalar;
  function.arguments.push_back(scale);

  std::vector<Array> arrays;
  arrays.emplace_back(DType::float32(), std::vector<int64_t>{2, 3});
  arrays.emplace_back(DType::float32(), std::vector<int64_t>{2, 3});
  arrays.emplace_back(DType::float32(), std::vector<int64_t>{});
  for (int i = 0; i < 6; ++i)
    arrays[0].dataAs<float>()[i] = static_cast<float>(i);
  arrays[2].dataAs<float>()[0] = 2.5f;

  PackedArguments packed(function, arrays);
  ASSERT_EQ(packed.size(), 3u);
  const std::vector<int64_t> &words = packed.descriptor(0);
  ASSERT_EQ(words.size(), 7u);
  EXPECT_EQ(words[0], reinterpret_cast<int64_t>(arrays[0].data()));
  EXPECT_EQ(words[1], reinterpret_cast<int64_t>(arrays[0].data()));
  EXPECT_EQ(words[2], 0);
  EXPECT_EQ(words[3], 2);
  EXPECT_EQ(words[4], 3);
  EXPECT_EQ(words[5], 3);
  EXPECT_EQ(words[6], 1);
  EXPECT_EQ(packed.data()[2], arrays[2].data());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(arrays[0].data()) % 64, 0u);

  invoke(scaleEntry, function, arrays);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(arrays[1].dataAs<float>()[i], 2.5f * static_cast<float>(i));
}

TEST(EntryPoint, RankZeroMemrefHasNoSizes) {
  ManifestFunction function;
  function.arguments.push_back(memrefArgument(0, "x", ElementType::I64, {}));
  std::vector<Array> arrays;
  arrays.emplace_back(DType::int64(), std::vector<int64_t>{});
  PackedArguments packed(function, arrays);
  EXPECT_EQ(packed.descriptor(0).size(), 3u);
}

TEST(SharedLibrary, MissingLibraryIsABundleError) {
  try {
    SharedLibrary::open("/nonexistent/libkernels.so");
    FAIL() << "expected an error";
  } catch (const BundleError &error) {
    EXPECT_NE(std::string(error.what())
                  .find("cannot load '/nonexistent/libkernels.so': "),
              std::string::npos);
  }
}

} // namespace
