//===- JsonTest.cpp - The strict JSON reader ------------------------------===//

#include "kvcache/Runtime/Json.h"

#include <gtest/gtest.h>

using namespace kvcache::runtime;

namespace {

/// The error parseJson throws for `text`, or "" when it parses.
std::string errorOf(std::string_view text) {
  try {
    parseJson(text);
  } catch (const JsonError &error) {
    return error.what();
  }
  return "";
}

TEST(Json, ParsesEveryKind) {
  JsonValue value = parseJson(R"( {"a": [1, -2, 0], "b": "x", "c": true,
      "d": false, "e": null, "f": {}, "g": []} )");
  ASSERT_TRUE(value.isObject());
  const JsonValue::Array &a = value.find("a")->asArray();
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].asInteger(), 1);
  EXPECT_EQ(a[1].asInteger(), -2);
  EXPECT_EQ(a[2].asInteger(), 0);
  EXPECT_EQ(value.find("b")->asString(), "x");
  EXPECT_TRUE(value.find("c")->asBool());
  EXPECT_FALSE(value.find("d")->asBool());
  EXPECT_TRUE(value.find("e")->isNull());
  EXPECT_TRUE(value.find("f")->asObject().empty());
  EXPECT_TRUE(value.find("g")->asArray().empty());
  EXPECT_EQ(value.find("missing"), nullptr);
  // Members keep their order.
  EXPECT_EQ(value.asObject()[1].first, "b");
}

TEST(Json, IntegerLimits) {
  EXPECT_EQ(parseJson("9223372036854775807").asInteger(), INT64_MAX);
  EXPECT_EQ(parseJson("-9223372036854775808").asInteger(), INT64_MIN);
  EXPECT_NE(errorOf("9223372036854775808").find("does not fit in 64 bits"),
            std::string::npos);
  EXPECT_NE(errorOf("-9223372036854775809").find("does not fit in 64 bits"),
            std::string::npos);
}

TEST(Json, StringEscapes) {
  EXPECT_EQ(parseJson(R"("a\"b\\c\/d\b\f\n\r\t")").asString(),
            "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(parseJson(R"("\u0041\u00e9\u20ac")").asString(),
            "A\xc3\xa9\xe2\x82\xac");
  // A surrogate pair: U+1F600.
  EXPECT_EQ(parseJson(R"("\ud83d\ude00")").asString(), "\xf0\x9f\x98\x80");
  EXPECT_EQ(parseJson("\"caf\xc3\xa9\"").asString(), "caf\xc3\xa9");
}

TEST(Json, LocationsOfValues) {
  JsonValue value = parseJson("{\n  \"a\": [1,\n    22]\n}");
  EXPECT_EQ(value.location().line, 1u);
  const JsonValue &array = *value.find("a");
  EXPECT_EQ(array.location().line, 2u);
  EXPECT_EQ(array.location().column, 8u);
  EXPECT_EQ(array.asArray()[1].location().line, 3u);
  EXPECT_EQ(array.asArray()[1].location().column, 5u);
}

TEST(Json, ErrorsGiveThePosition) {
  EXPECT_EQ(errorOf(""), "line 1, column 1: expected a JSON value, got end "
                         "of input");
  EXPECT_EQ(errorOf("{\"a\": 1,}"),
            "line 1, column 9: expected a string key in object, got '}'");
  EXPECT_EQ(errorOf("{\"a\" 1}"),
            "line 1, column 6: expected ':' after object key, got '1'");
  EXPECT_EQ(errorOf("[1 2]"),
            "line 1, column 4: expected ']' or ',' in array, got '2'");
  EXPECT_EQ(errorOf("{\n  \"a\": 1,\n  \"a\": 2}"),
            "line 3, column 3: duplicate key \"a\"");
  EXPECT_EQ(errorOf("[1]\n x"),
            "line 2, column 2: unexpected 'x' after the JSON value");
  EXPECT_EQ(errorOf("\"abc"), "line 1, column 1: unterminated string");
  EXPECT_EQ(errorOf("1.5"), "line 1, column 1: only integers are supported, "
                            "not floating-point numbers");
  EXPECT_EQ(errorOf("1e3"), "line 1, column 1: only integers are supported, "
                            "not floating-point numbers");
  EXPECT_EQ(errorOf("01"),
            "line 1, column 1: numbers may not have leading zeros");
  EXPECT_EQ(errorOf("-"),
            "line 1, column 2: expected a digit after '-', got end of input");
  EXPECT_EQ(errorOf("tru"), "line 1, column 1: expected a JSON value, got 't'");
  EXPECT_EQ(errorOf("\"\\x\""), "line 1, column 2: invalid escape '\\x'");
  EXPECT_EQ(errorOf("\"\\u12\""),
            "line 1, column 6: expected 4 hex digits after \\u, got '\"'");
  EXPECT_EQ(errorOf("\"\\ud800\""),
            "line 1, column 2: unpaired high surrogate in \\u escape");
  EXPECT_EQ(errorOf("\"\\udc00\""),
            "line 1, column 2: unpaired low surrogate in \\u escape");
  EXPECT_EQ(errorOf("\"a\nb\""),
            "line 1, column 3: control character byte 0x0a in string "
            "(escape it)");
  EXPECT_EQ(errorOf("'a'"), "line 1, column 1: expected a JSON value, got "
                            "'''");
}

TEST(Json, DeepNestingIsAnErrorNotACrash) {
  std::string deep(100000, '[');
  EXPECT_NE(errorOf(deep).find("nesting deeper than"), std::string::npos);
}

TEST(Json, WrongKindAccessThrows) {
  JsonValue value = parseJson("1");
  EXPECT_THROW(value.asString(), std::logic_error);
  EXPECT_THROW(value.find("a"), std::logic_error);
}

} // namespace
