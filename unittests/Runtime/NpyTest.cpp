//===- NpyTest.cpp - .npy reading and writing -----------------------------===//

#include "kvcache/Runtime/Npy.h"
#include "kvcache/Runtime/Error.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

using namespace kvcache::runtime;

namespace {

/// A version 1.0 file with a hand-written header dict.
std::string npyFile(const std::string &dict, const std::string &data) {
  std::string header = dict + "\n";
  std::string result = "\x93NUMPY";
  result += '\x01';
  result += '\x00';
  result += static_cast<char>(header.size() & 0xff);
  result += static_cast<char>(header.size() >> 8);
  return result + header + data;
}

std::string errorOf(const std::string &bytes) {
  try {
    parseNpy(bytes, "x.npy");
  } catch (const InputError &error) {
    return error.what();
  }
  return "";
}

/// Fills an array with a byte pattern that differs per position.
void fillPattern(Array &array) {
  for (size_t i = 0; i < array.numBytes(); ++i)
    array.data()[i] = static_cast<uint8_t>(i * 7 + 3);
}

class NpyRoundTrip : public ::testing::TestWithParam<DType> {};

TEST_P(NpyRoundTrip, EveryShape) {
  for (std::vector<int64_t> shape :
       {std::vector<int64_t>{}, {5}, {2, 3, 4}, {0, 3}, {1, 1, 1, 1, 1, 2}}) {
    Array array(GetParam(), shape);
    fillPattern(array);
    std::string bytes = serializeNpy(array);
    // NumPy aligns the data to 64 bytes.
    EXPECT_EQ((bytes.size() - array.numBytes()) % 64, 0u);
    Array back = parseNpy(bytes, "mem");
    EXPECT_EQ(back.dtype(), array.dtype());
    EXPECT_EQ(back.shape(), array.shape());
    ASSERT_EQ(back.numBytes(), array.numBytes());
    EXPECT_EQ(std::memcmp(back.data(), array.data(), array.numBytes()), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(AllDTypes, NpyRoundTrip,
                         ::testing::Values(DType::float32(), DType::float16(),
                                           DType::uint16(), DType::uint8(),
                                           DType::int32(), DType::uint32(),
                                           DType::int64(),
                                           DType{DType::Kind::Float, 8},
                                           DType{DType::Kind::Bool, 1}),
                         [](const ::testing::TestParamInfo<DType> &info) {
                           return info.param.name();
                         });

TEST(Npy, HeaderIsWhatNumPyWrites) {
  Array array(DType::float32(), {3});
  std::string bytes = serializeNpy(array);
  EXPECT_NE(bytes.find("{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (3,), }"),
            std::string::npos);
  Array matrix(DType::uint8(), {2, 3});
  EXPECT_NE(serializeNpy(matrix).find("'descr': '|u1'"), std::string::npos);
  EXPECT_NE(serializeNpy(matrix).find("'shape': (2, 3), }"), std::string::npos);
  Array scalar(DType::int64(), {});
  EXPECT_NE(serializeNpy(scalar).find("'shape': (), }"), std::string::npos);
}

TEST(Npy, ReadsHeaderVariants) {
  // Double quotes, no trailing comma, native byte order, version 2.0.
  Array a = parseNpy(npyFile("{\"descr\": \"=i4\", \"fortran_order\": False, "
                             "\"shape\": (2,)}",
                             std::string(8, '\x01')),
                     "x");
  EXPECT_EQ(a.dtype(), DType::int32());
  EXPECT_EQ(a.integerAt(1), 0x01010101);
  // Fortran order does not change a 1-d array's layout.
  Array b = parseNpy(npyFile("{'descr': '<f4', 'fortran_order': True, "
                             "'shape': (1,), }",
                             std::string(4, '\0')),
                     "x");
  EXPECT_EQ(b.shape(), std::vector<int64_t>{1});

  std::string header = "{'descr': '<i8', 'fortran_order': False, "
                       "'shape': (), }\n";
  std::string v2 = "\x93NUMPY";
  v2 += '\x02';
  v2 += '\x00';
  v2 += static_cast<char>(header.size());
  v2 += std::string(3, '\0');
  v2 += header + std::string("\x2a\0\0\0\0\0\0\0", 8);
  EXPECT_EQ(parseNpy(v2, "x").integerAt(0), 42);
}

TEST(Npy, FileRoundTripAndMissingFile) {
  std::string path = ::testing::TempDir() + "/npy_roundtrip.npy";
  Array array(DType::int32(), {2, 2});
  array.dataAs<int32_t>()[3] = -7;
  writeNpy(path, array);
  Array back = readNpy(path);
  EXPECT_EQ(back.shape(), array.shape());
  EXPECT_EQ(back.integerAt(3), -7);
  std::remove(path.c_str());
  try {
    readNpy(path);
    FAIL() << "expected an error";
  } catch (const InputError &error) {
    EXPECT_NE(std::string(error.what()).find("cannot open: No such file"),
              std::string::npos)
        << error.what();
  }
}

TEST(Npy, ReadFileErrorsMatchParseErrors) {
  std::string path = ::testing::TempDir() + "/npy_truncated.npy";
  std::string bytes = npyFile(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", "abcd");
  std::ofstream(path, std::ios::binary) << bytes;
  try {
    readNpy(path);
    FAIL() << "expected an error";
  } catch (const InputError &error) {
    EXPECT_EQ(std::string(error.what()),
              path + ": truncated .npy file: shape [4] of float32 needs 16 "
                     "bytes of data, the file has 4");
  }
  std::remove(path.c_str());
}

TEST(Npy, Errors) {
  const std::string f4 = "{'descr': '<f4', 'fortran_order': False, ";
  EXPECT_EQ(errorOf("hello"),
            "x.npy: not an .npy file (it does not start with \"\\x93NUMPY\")");
  EXPECT_EQ(errorOf("\x93NUMPY\x01"),
            "x.npy: truncated .npy file: it ends inside the preamble");
  EXPECT_EQ(errorOf(npyFile(f4 + "'shape': (2,), }", "").substr(0, 30)),
            "x.npy: truncated .npy file: it ends inside the header");
  EXPECT_EQ(errorOf(npyFile(f4 + "'shape': (2, 2), }", std::string(12, 'a'))),
            "x.npy: truncated .npy file: shape [2, 2] of float32 needs 16 "
            "bytes of data, the file has 12");
  EXPECT_EQ(errorOf(npyFile(f4 + "'shape': (1,), }", std::string(6, 'a'))),
            "x.npy: malformed .npy file: shape [1] of float32 needs 4 bytes "
            "of data, the file has 2 more");
  EXPECT_NE(errorOf(npyFile("{'descr': '>f4', 'fortran_order': False, "
                            "'shape': (1,), }",
                            "abcd"))
                .find("unsupported dtype '>f4': big-endian data is not "
                      "supported"),
            std::string::npos);
  EXPECT_EQ(errorOf(npyFile(f4.substr(0, f4.find("False")) +
                                "True, 'shape': (2, 2), }",
                            std::string(16, 'a'))),
            "x.npy: Fortran-order (column-major) arrays are not supported; "
            "save np.ascontiguousarray(arr)");
  EXPECT_EQ(errorOf(npyFile("{'descr': '|O', 'fortran_order': False, "
                            "'shape': (1,), }",
                            "abcdefgh")),
            "x.npy: unsupported dtype '|O': object arrays cannot be passed "
            "to a kernel");
  EXPECT_EQ(errorOf(npyFile("{'descr': [('a', '<f4')], 'fortran_order': "
                            "False, 'shape': (1,), }",
                            "abcd")),
            "x.npy: unsupported dtype: structured (record) dtypes cannot be "
            "passed to a kernel");
  EXPECT_EQ(errorOf(npyFile("{'descr': '<U3', 'fortran_order': False, "
                            "'shape': (1,), }",
                            std::string(12, 'a'))),
            "x.npy: unsupported dtype '<U3': string and void dtypes cannot "
            "be passed to a kernel");
  EXPECT_EQ(errorOf(npyFile("{'descr': '<f3', 'fortran_order': False, "
                            "'shape': (1,), }",
                            "abc")),
            "x.npy: unsupported dtype '<f3': no such numeric dtype");
  EXPECT_EQ(errorOf(npyFile(f4 + "}", "")),
            "x.npy: malformed .npy header (it needs the keys 'descr', "
            "'fortran_order' and 'shape'): {'descr': '<f4', "
            "'fortran_order': False, }");
  EXPECT_EQ(errorOf(npyFile(f4 + "'shape': (1,), 'extra': 1}", "abcd")),
            "x.npy: malformed .npy header (unexpected key 'extra'): "
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), "
            "'extra': 1}");
  EXPECT_NE(errorOf(npyFile(f4 + "'shape': (-1,), }", ""))
                .find("expected a non-negative integer in the shape"),
            std::string::npos);
  std::string v9 = npyFile(f4 + "'shape': (1,), }", "abcd");
  v9[6] = 9;
  EXPECT_EQ(errorOf(v9),
            "x.npy: unsupported .npy version 9.0 (1.0, 2.0 and 3.0 are read)");
  // A shape whose byte size overflows is an error, not an allocation.
  EXPECT_NE(errorOf(npyFile(f4 + "'shape': (4611686018427387904, 8), }", ""))
                .find("is too large"),
            std::string::npos);
}

TEST(Npy, ControlBytesInTheHeaderAreEscaped) {
  // A NUL inside the descr used to end the message there.
  std::string descr = "'descr': '<f";
  descr += '\0';
  descr += "\x01', ";
  std::string message =
      errorOf(npyFile("{" + descr + "'fortran_order': False, 'shape': (2,), }",
                      std::string(8, '\0')));
  EXPECT_NE(message.find("'<f\\x00\\x01'"), std::string::npos) << message;
  EXPECT_EQ(message.find('\0'), std::string::npos);
}

TEST(Npy, FifoIsAnErrorNotAHang) {
  std::string path = ::testing::TempDir() + "/npy_fifo.npy";
  ::unlink(path.c_str());
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  try {
    readNpy(path);
    ADD_FAILURE() << "expected an error";
  } catch (const InputError &error) {
    EXPECT_NE(std::string(error.what()).find("is not a regular file"),
              std::string::npos)
        << error.what();
  }
  ::unlink(path.c_str());
}

TEST(Npy, DirectoryIsAnError) {
  try {
    readNpy(::testing::TempDir());
    FAIL() << "expected an error";
  } catch (const InputError &error) {
    EXPECT_NE(std::string(error.what()).find("is a directory"),
              std::string::npos);
  }
}

} // namespace
