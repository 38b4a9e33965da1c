//===- Json.h - A small, strict JSON reader ---------------------*- C++ -*-===//
//
// Reads the subset of JSON that bundle manifests use: objects, arrays,
// strings (with every escape, \u included), 64-bit integers, true, false and
// null. Floating-point numbers are rejected, not rounded, because no manifest
// value is fractional and a silently truncated dimension would be worse than
// an error. Every value remembers where it started so that schema errors can
// point at the offending line and column.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUNTIME_JSON_H
#define KVCACHE_RUNTIME_JSON_H

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace kvcache::runtime {

/// A 1-based line and column (counted in bytes) in a JSON text.
struct JsonLocation {
  size_t line = 1;
  size_t column = 1;
  std::string str() const;
};

/// A syntax error; what() reads "line L, column C: <problem>".
class JsonError : public std::runtime_error {
public:
  JsonError(JsonLocation location, const std::string &problem);
  JsonLocation location() const { return loc; }
  /// The problem without the location prefix.
  const std::string &problem() const { return text; }

private:
  JsonLocation loc;
  std::string text;
};

class JsonValue {
public:
  enum class Kind { Null, Bool, Integer, String, Array, Object };
  using Array = std::vector<JsonValue>;
  using Member = std::pair<std::string, JsonValue>;
  /// Members in the order written; keys are unique (the parser checks).
  using Object = std::vector<Member>;

  JsonValue() = default;
  JsonValue(std::nullptr_t, JsonLocation location);
  JsonValue(bool value, JsonLocation location);
  JsonValue(int64_t value, JsonLocation location);
  JsonValue(std::string value, JsonLocation location);
  JsonValue(Array value, JsonLocation location);
  JsonValue(Object value, JsonLocation location);

  Kind kind() const { return static_cast<Kind>(storage.index()); }
  JsonLocation location() const { return loc; }

  bool isNull() const { return kind() == Kind::Null; }
  bool isBool() const { return kind() == Kind::Bool; }
  bool isInteger() const { return kind() == Kind::Integer; }
  bool isString() const { return kind() == Kind::String; }
  bool isArray() const { return kind() == Kind::Array; }
  bool isObject() const { return kind() == Kind::Object; }

  /// Accessors; calling one for another kind throws std::logic_error.
  bool asBool() const;
  int64_t asInteger() const;
  const std::string &asString() const;
  const Array &asArray() const;
  const Object &asObject() const;

  /// The member named `key` of an object, or null when absent.
  const JsonValue *find(std::string_view key) const;

  /// "null", "boolean", "integer", "string", "array" or "object".
  static std::string_view kindName(Kind kind);

private:
  std::variant<std::nullptr_t, bool, int64_t, std::string, Array, Object>
      storage;
  JsonLocation loc;
};

/// Parses one JSON value that spans all of `text` (surrounding whitespace
/// allowed). Throws JsonError at the first problem.
JsonValue parseJson(std::string_view text);

/// `text` as a JSON string literal, quotes included. Inline so that the
/// stand-in libcuda, which links nothing of the runtime, shares it too.
inline std::string quoteJson(std::string_view text) {
  std::string result = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      result += '\\';
      result += static_cast<char>(c);
    } else if (c < 0x20) {
      static const char hex[] = "0123456789abcdef";
      result += "\\u00";
      result += hex[c >> 4];
      result += hex[c & 0xf];
    } else {
      result += static_cast<char>(c);
    }
  }
  return result + "\"";
}

} // namespace kvcache::runtime

#endif // KVCACHE_RUNTIME_JSON_H
