//===- ManifestTest.cpp - Loading and validating manifests ----------------===//

#include "kvcache/Runtime/Manifest.h"
#include "kvcache/Runtime/Error.h"

#include <gtest/gtest.h>

using namespace kvcache::runtime;

namespace {

const char *kQ =
    R"({"index": 0, "name": "q", "kind": "memref", "element_type": "f32", "rank": 3, "shape": [-1, 32, 128], "role": "input", "placement": "device"})";
const char *kKvBlocks =
    R"({"index": 1, "name": "kv_blocks", "kind": "memref", "element_type": "bf16", "rank": 6, "shape": [-1, 2, 1, 16, 8, 128], "role": "cache", "field": "kv_blocks", "device": 0, "cache": "", "placement": "device"})";
const char *kCacheLengths =
    R"({"index": 2, "name": "cache_lengths", "kind": "memref", "element_type": "i32", "rank": 1, "shape": [-1], "role": "cache", "field": "cache_lengths", "device": 0, "cache": "", "placement": "device"})";
const char *kLookupTable =
    R"({"index": 3, "name": "lookup_table", "kind": "memref", "element_type": "i32", "rank": 2, "shape": [-1, -1], "role": "cache", "field": "lookup_table", "device": 0, "cache": "", "placement": "device"})";
const char *kMaxLengths =
    R"({"index": 4, "name": "max_lengths", "kind": "memref", "element_type": "i32", "rank": 2, "shape": [-1, 2], "role": "cache", "field": "max_lengths", "device": 0, "cache": "", "placement": "host"})";
const char *kLayer =
    R"({"index": 5, "name": "layer", "kind": "scalar", "element_type": "index", "rank": 0, "shape": [], "role": "input", "placement": "host"})";

std::string manifestWith(const std::vector<std::string> &arguments,
                         const std::string &extra = "") {
  std::string list;
  for (const std::string &argument : arguments)
    list += (list.empty() ? "\n    " : ",\n    ") + argument;
  return R"({"format": 2, "target": "cpu", "library": "libkernels.so",)" +
         extra + R"( "functions": [
  {"name": "decode", "entry": "kvcache_entry_decode", "arguments": [)" +
         list + "]}]}";
}

std::string validManifest() {
  return manifestWith(
      {kQ, kKvBlocks, kCacheLengths, kLookupTable, kMaxLengths, kLayer});
}

/// Replaces the first `from` in `text` by `to`.
std::string replaced(std::string text, const std::string &from,
                     const std::string &to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

std::string errorOf(const std::string &text) {
  try {
    parseManifest(text, "m.json");
  } catch (const BundleError &error) {
    return error.what();
  }
  return "";
}

TEST(Manifest, ParsesAValidManifest) {
  Manifest manifest = parseManifest(validManifest(), "m.json");
  EXPECT_EQ(manifest.format, 2);
  EXPECT_EQ(manifest.target, "cpu");
  EXPECT_EQ(manifest.library, "libkernels.so");
  ASSERT_EQ(manifest.functions.size(), 1u);
  const ManifestFunction &function = manifest.functions[0];
  EXPECT_EQ(function.entry, "kvcache_entry_decode");
  ASSERT_EQ(function.arguments.size(), 6u);
  const ManifestArgument &q = function.arguments[0];
  EXPECT_EQ(q.name, "q");
  EXPECT_EQ(q.kind, ArgumentKind::MemRef);
  EXPECT_EQ(q.elementType, ElementType::F32);
  EXPECT_EQ(q.shape, (std::vector<int64_t>{-1, 32, 128}));
  EXPECT_EQ(q.role, ArgumentRole::Input);
  EXPECT_FALSE(q.cache);
  const ManifestArgument &kvBlocks = function.arguments[1];
  ASSERT_TRUE(kvBlocks.cache);
  EXPECT_EQ(kvBlocks.cache->field, kvcache::abi::Field::kv_blocks);
  EXPECT_EQ(kvBlocks.cache->device, 0);
  EXPECT_EQ(kvBlocks.cache->cache, "");
  EXPECT_EQ(function.arguments[4].placement, ArgumentPlacement::Host);
  const ManifestArgument &layer = function.arguments[5];
  EXPECT_EQ(layer.kind, ArgumentKind::Scalar);
  EXPECT_EQ(layer.elementType, ElementType::Index);
  EXPECT_EQ(layer.describe(), "argument 'layer' (#5)");
  EXPECT_EQ(manifest.findFunction("decode"), &function);
  EXPECT_EQ(manifest.findFunction("prefill"), nullptr);
  EXPECT_EQ(function.findArgument("lookup_table"), &function.arguments[3]);
}

TEST(Manifest, ArgumentsAreSortedByIndex) {
  std::string q = replaced(kQ, "\"index\": 0", "\"index\": 5");
  std::string layer = replaced(kLayer, "\"index\": 5", "\"index\": 0");
  Manifest manifest =
      parseManifest(manifestWith({q, kKvBlocks, kCacheLengths, kLookupTable,
                                  kMaxLengths, layer}),
                    "m.json");
  EXPECT_EQ(manifest.functions[0].arguments[0].name, "layer");
  EXPECT_EQ(manifest.functions[0].arguments[5].name, "q");
}

TEST(Manifest, UnknownKeysAreIgnored) {
  EXPECT_EQ(errorOf(manifestWith({kQ}, R"( "compiler": "x",)")), "");
}

TEST(Manifest, OperandIsRead) {
  std::string q = replaced(kQ, "\"role\": \"input\",",
                           "\"role\": \"input\", \"operand\": \"query\",");
  Manifest manifest =
      parseManifest(manifestWith({q, kKvBlocks, kCacheLengths, kLookupTable,
                                  kMaxLengths, kLayer}),
                    "m.json");
  EXPECT_EQ(manifest.functions[0].arguments[0].operand, ArgumentOperand::Query);
  EXPECT_FALSE(manifest.functions[0].arguments[5].operand);
  std::string bad = replaced(q, "\"query\"", "\"queries\"");
  EXPECT_NE(errorOf(manifestWith({bad, kKvBlocks, kCacheLengths, kLookupTable,
                                  kMaxLengths, kLayer}))
                .find("\"operand\" must be one of row_offsets, query, key, "
                      "value, out, layer, got \"queries\""),
            std::string::npos);
  std::string cache = replaced(kKvBlocks, "\"placement\"",
                               "\"operand\": \"key\", \"placement\"");
  EXPECT_NE(errorOf(manifestWith({kQ, cache, kCacheLengths, kLookupTable,
                                  kMaxLengths, kLayer}))
                .find("a cache argument feeds no compute-op operand"),
            std::string::npos);
}

TEST(Manifest, SyntaxErrorsGiveThePosition) {
  EXPECT_EQ(errorOf("{\"format\": 1,\n \"target\" \"cpu\"}"),
            "m.json: line 2, column 11: expected ':' after object key, got "
            "'\"'");
}

TEST(Manifest, TopLevelErrors) {
  EXPECT_EQ(errorOf("[]"),
            "m.json: line 1, column 1: manifest: expected an object, got an "
            "array");
  EXPECT_EQ(
      errorOf(replaced(validManifest(), "\"format\": 2", "\"format\": 1")),
      "m.json: line 1, column 12: manifest: manifest format 1 is no longer "
      "read (this runtime reads format 2, which says which compute-op "
      "operand each argument feeds); recompile the bundle with "
      "kvcache-compile");
  EXPECT_EQ(
      errorOf(replaced(validManifest(), "\"format\": 2", "\"format\": 3")),
      "m.json: line 1, column 12: manifest: unsupported manifest "
      "format 3 (this runtime reads format 2)");
  EXPECT_EQ(
      errorOf(replaced(validManifest(), "\"format\": 2", "\"format\": \"2\"")),
      "m.json: line 1, column 12: manifest: \"format\" must be an "
      "integer, got a string");
  EXPECT_EQ(errorOf(replaced(validManifest(), "\"target\": \"cpu\", ", "")),
            "m.json: line 1, column 1: manifest: missing key \"target\"");
  EXPECT_NE(
      errorOf(replaced(validManifest(), "\"libkernels.so\"", "\"../lib.so\""))
          .find("\"library\" must be a file name in the bundle "
                "directory, got \"../lib.so\""),
      std::string::npos);
  EXPECT_NE(errorOf(R"({"format": 2, "target": "cpu", "library": "l.so",
                        "functions": []})")
                .find("\"functions\" is empty"),
            std::string::npos);
}

TEST(Manifest, ArgumentErrors) {
  auto argumentError = [](const std::string &argument) {
    return errorOf(manifestWith({argument}));
  };
  EXPECT_NE(argumentError(replaced(kQ, "\"f32\"", "\"f64\""))
                .find("function 'decode', arguments[0]: \"element_type\" "
                      "must be one of f32, f16, bf16, f8E4M3FN, i32, i64, "
                      "index, got \"f64\""),
            std::string::npos);
  EXPECT_NE(argumentError(replaced(kQ, "\"memref\"", "\"tensor\""))
                .find("\"kind\" must be one of memref, scalar, got "
                      "\"tensor\""),
            std::string::npos);
  EXPECT_NE(argumentError(replaced(kQ, "\"input\"", "\"in\""))
                .find("\"role\" must be one of input, output, inout, cache, "
                      "workspace, got \"in\""),
            std::string::npos);
  EXPECT_NE(argumentError(replaced(kQ, "\"device\"}", "\"gpu\"}"))
                .find("\"placement\" must be one of device, host, got "
                      "\"gpu\""),
            std::string::npos);
  EXPECT_NE(argumentError(replaced(kQ, "\"rank\": 3", "\"rank\": 2"))
                .find("\"shape\" has 3 dims but \"rank\" is 2"),
            std::string::npos);
  EXPECT_NE(argumentError(replaced(kQ, "[-1, 32, 128]", "[-2, 32, 128]"))
                .find("shape dims must be integers >= 0, or -1 for a "
                      "dynamic dim"),
            std::string::npos);
  EXPECT_NE(argumentError(replaced(kQ, "\"index\": 0", "\"index\": 1"))
                .find("\"index\" must be in 0..0 (the function has 1 "
                      "arguments), got 1"),
            std::string::npos);
  EXPECT_NE(argumentError(replaced(kQ, "\"name\": \"q\"", "\"name\": \"a/b\""))
                .find("\"name\" must be a non-empty file name without '/'"),
            std::string::npos);
  EXPECT_NE(
      argumentError(replaced(replaced(kLayer, "\"index\": 5", "\"index\": 0"),
                             "\"rank\": 0, \"shape\": []",
                             "\"rank\": 1, \"shape\": [1]"))
          .find("a scalar has rank 0, got 1"),
      std::string::npos);
  EXPECT_NE(argumentError(replaced(kQ, ", \"role\"", ", \"rol\""))
                .find("missing key \"role\""),
            std::string::npos);
}

TEST(Manifest, FunctionErrors) {
  std::string q2 = replaced(kQ, "\"index\": 0", "\"index\": 1");
  EXPECT_NE(
      errorOf(manifestWith({kQ, replaced(q2, "\"index\": 1", "\"index\": 0")}))
          .find("index 0 is used twice"),
      std::string::npos);
  EXPECT_NE(errorOf(manifestWith({kQ, q2}))
                .find("argument 'q' (#1): name 'q' is also argument 'q' "
                      "(#0)"),
            std::string::npos);
  std::string twice = replaced(validManifest(), "]}]}",
                               R"(]}, {"name": "decode", "entry": "e",
                                  "arguments": []}]})");
  EXPECT_NE(errorOf(twice).find("function 'decode' is defined twice"),
            std::string::npos);
}

TEST(Manifest, CacheFieldsFollowTheABI) {
  auto cacheError = [](const std::string &kvBlocks,
                       const std::string &lookupTable = kLookupTable) {
    return errorOf(manifestWith(
        {kQ, kvBlocks, kCacheLengths, lookupTable, kMaxLengths, kLayer}));
  };
  EXPECT_NE(cacheError(replaced(kKvBlocks, "\"field\": \"kv_blocks\"",
                                "\"field\": \"blocks\""))
                .find("\"field\" must name an ABI field, got \"blocks\""),
            std::string::npos);
  EXPECT_NE(cacheError(kKvBlocks, replaced(kLookupTable,
                                           "\"rank\": 2, "
                                           "\"shape\": [-1, -1]",
                                           "\"rank\": 1, \"shape\": [-1]"))
                .find("cache field 'lookup_table' has rank 2 in the ABI, got "
                      "1"),
            std::string::npos);
  EXPECT_NE(cacheError(kKvBlocks, replaced(kLookupTable, "\"i32\"", "\"i64\""))
                .find("cache field 'lookup_table' holds i32 in the ABI, got "
                      "i64"),
            std::string::npos);
  EXPECT_NE(cacheError(replaced(kKvBlocks, "\"bf16\"", "\"i32\""))
                .find("cache field 'kv_blocks' holds a cache dtype (f32, f16, "
                      "bf16 or f8E4M3FN) in the ABI, got i32"),
            std::string::npos);
  EXPECT_NE(cacheError(replaced(kKvBlocks, "\"device\": 0", "\"device\": -1"))
                .find("\"device\" must be non-negative, got -1"),
            std::string::npos);
  // An FP8 cache needs kv_scales: the ABI's presence rules apply.
  EXPECT_NE(cacheError(replaced(kKvBlocks, "\"bf16\"", "\"f8E4M3FN\""))
                .find("function 'decode': the default cache, device 0: an "
                      "8-bit float cache requires 'kv_scales'"),
            std::string::npos);
  EXPECT_NE(errorOf(manifestWith({kQ, kKvBlocks, kCacheLengths,
                                  replaced(kMaxLengths, "\"index\": 4",
                                           "\"index\": 3")}))
                .find("missing required field 'lookup_table'"),
            std::string::npos);
  EXPECT_NE(cacheError(replaced(kKvBlocks, "\"placement\": \"device\"",
                                "\"placement\": \"host\""))
                .find("argument 'kv_blocks' (#1): the ABI places "
                      "'kv_blocks' on the device, got \"host\""),
            std::string::npos);
  std::string secondTable =
      replaced(replaced(kLookupTable, "\"index\": 3", "\"index\": 4"),
               "\"name\": \"lookup_table\"", "\"name\": \"table2\"");
  EXPECT_NE(errorOf(manifestWith({kQ, kKvBlocks, kCacheLengths, kLookupTable,
                                  secondTable}))
                .find("field 'lookup_table' appears twice"),
            std::string::npos);
}

TEST(Manifest, SeveralCachesAndDevices) {
  auto onDevice1 = [](std::string argument, int index) {
    argument = replaced(argument, "\"device\": 0", "\"device\": 1");
    argument = replaced(argument, "\"name\": \"", "\"name\": \"d1.");
    size_t at = argument.find("\"index\": ");
    size_t end = argument.find(',', at);
    return argument.replace(at, end - at,
                            "\"index\": " + std::to_string(index));
  };
  Manifest manifest = parseManifest(
      manifestWith({kQ, kKvBlocks, kCacheLengths, kLookupTable, kMaxLengths,
                    kLayer, onDevice1(kKvBlocks, 6),
                    onDevice1(kCacheLengths, 7), onDevice1(kLookupTable, 8),
                    onDevice1(kMaxLengths, 9)}),
      "m.json");
  EXPECT_EQ(manifest.functions[0].arguments[6].name, "d1.kv_blocks");
  EXPECT_EQ(manifest.functions[0].arguments[6].cache->device, 1);
}

TEST(Manifest, LoadManifestFromMissingDirectory) {
  try {
    loadManifest("/nonexistent/bundle");
    FAIL() << "expected an error";
  } catch (const BundleError &error) {
    EXPECT_EQ(std::string(error.what()),
              "/nonexistent/bundle/manifest.json: cannot open: No such file "
              "or directory");
  }
}

} // namespace
