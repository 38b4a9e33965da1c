//===- Json.cpp - A small, strict JSON reader -----------------------------===//

#include "kvcache/Runtime/Json.h"

#include <limits>

namespace kvcache::runtime {

std::string JsonLocation::str() const {
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

JsonError::JsonError(JsonLocation location, const std::string &problem)
    : std::runtime_error(location.str() + ": " + problem), loc(location),
      text(problem) {}

JsonValue::JsonValue(std::nullptr_t, JsonLocation location)
    : storage(nullptr), loc(location) {}
JsonValue::JsonValue(bool value, JsonLocation location)
    : storage(value), loc(location) {}
JsonValue::JsonValue(int64_t value, JsonLocation location)
    : storage(value), loc(location) {}
JsonValue::JsonValue(std::string value, JsonLocation location)
    : storage(std::move(value)), loc(location) {}
JsonValue::JsonValue(Array value, JsonLocation location)
    : storage(std::move(value)), loc(location) {}
JsonValue::JsonValue(Object value, JsonLocation location)
    : storage(std::move(value)), loc(location) {}

namespace {
template <typename T>
const T &get(const std::variant<std::nullptr_t, bool, int64_t, std::string,
                                JsonValue::Array, JsonValue::Object> &v,
             JsonValue::Kind want) {
  if (const T *value = std::get_if<T>(&v))
    return *value;
  throw std::logic_error("JSON value is a " +
                         std::string(JsonValue::kindName(
                             static_cast<JsonValue::Kind>(v.index()))) +
                         ", not a " + std::string(JsonValue::kindName(want)));
}
} // namespace

bool JsonValue::asBool() const { return get<bool>(storage, Kind::Bool); }
int64_t JsonValue::asInteger() const {
  return get<int64_t>(storage, Kind::Integer);
}
const std::string &JsonValue::asString() const {
  return get<std::string>(storage, Kind::String);
}
const JsonValue::Array &JsonValue::asArray() const {
  return get<Array>(storage, Kind::Array);
}
const JsonValue::Object &JsonValue::asObject() const {
  return get<Object>(storage, Kind::Object);
}

const JsonValue *JsonValue::find(std::string_view key) const {
  for (const Member &member : asObject())
    if (member.first == key)
      return &member.second;
  return nullptr;
}

std::string_view JsonValue::kindName(Kind kind) {
  switch (kind) {
  case Kind::Null:
    return "null";
  case Kind::Bool:
    return "boolean";
  case Kind::Integer:
    return "integer";
  case Kind::String:
    return "string";
  case Kind::Array:
    return "array";
  case Kind::Object:
    return "object";
  }
  return "value";
}

namespace {

/// Deep nesting would overflow the stack of this recursive parser; manifests
/// nest four levels, so the limit only stops hostile input.
constexpr unsigned kMaxDepth = 128;

class Parser {
public:
  explicit Parser(std::string_view text) : text(text) {}

  JsonValue parseDocument() {
    skipWhitespace();
    JsonValue value = parseValue(0);
    skipWhitespace();
    if (pos != text.size())
      fail("unexpected " + describeNext() + " after the JSON value");
    return value;
  }

private:
  std::string_view text;
  size_t pos = 0;
  JsonLocation here;

  [[noreturn]] void fail(const std::string &problem) const {
    throw JsonError(here, problem);
  }
  [[noreturn]] void failAt(JsonLocation at, const std::string &problem) const {
    throw JsonError(at, problem);
  }

  bool atEnd() const { return pos >= text.size(); }
  char peek() const { return text[pos]; }

  void advance() {
    if (text[pos] == '\n') {
      ++here.line;
      here.column = 1;
    } else {
      ++here.column;
    }
    ++pos;
  }

  std::string describeNext() const {
    if (atEnd())
      return "end of input";
    unsigned char c = static_cast<unsigned char>(peek());
    if (c < 0x20 || c >= 0x7f) {
      static const char hex[] = "0123456789abcdef";
      return std::string("byte 0x") + hex[c >> 4] + hex[c & 15];
    }
    return std::string("'") + static_cast<char>(c) + "'";
  }

  void skipWhitespace() {
    while (!atEnd() && (peek() == ' ' || peek() == '\t' || peek() == '\n' ||
                        peek() == '\r'))
      advance();
  }

  void expect(char c, const char *context) {
    if (atEnd() || peek() != c)
      fail(std::string("expected '") + c + "' " + context + ", got " +
           describeNext());
    advance();
  }

  JsonValue parseValue(unsigned depth) {
    if (depth > kMaxDepth)
      fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    if (atEnd())
      fail("expected a JSON value, got end of input");
    char c = peek();
    if (c == '{')
      return parseObject(depth);
    if (c == '[')
      return parseArray(depth);
    if (c == '"') {
      JsonLocation start = here;
      return JsonValue(parseString(), start);
    }
    if (c == '-' || (c >= '0' && c <= '9'))
      return parseInteger();
    JsonLocation start = here;
    if (consumeKeyword("true"))
      return JsonValue(true, start);
    if (consumeKeyword("false"))
      return JsonValue(false, start);
    if (consumeKeyword("null"))
      return JsonValue(nullptr, start);
    fail("expected a JSON value, got " + describeNext());
  }

  bool consumeKeyword(std::string_view word) {
    if (text.substr(pos, word.size()) != word)
      return false;
    for (size_t i = 0; i < word.size(); ++i)
      advance();
    return true;
  }

  JsonValue parseInteger() {
    JsonLocation start = here;
    bool negative = false;
    if (peek() == '-') {
      negative = true;
      advance();
    }
    if (atEnd() || peek() < '0' || peek() > '9')
      fail("expected a digit after '-', got " + describeNext());
    if (peek() == '0' && pos + 1 < text.size() && text[pos + 1] >= '0' &&
        text[pos + 1] <= '9')
      failAt(start, "numbers may not have leading zeros");
    // Accumulate as a negative number so that INT64_MIN is representable.
    int64_t value = 0;
    const int64_t min = std::numeric_limits<int64_t>::min();
    while (!atEnd() && peek() >= '0' && peek() <= '9') {
      int digit = peek() - '0';
      if (value < (min + digit) / 10)
        failAt(start, "integer does not fit in 64 bits");
      value = value * 10 - digit;
      advance();
    }
    if (!atEnd() && (peek() == '.' || peek() == 'e' || peek() == 'E'))
      failAt(start, "only integers are supported, not floating-point numbers");
    if (!negative) {
      if (value == min)
        failAt(start, "integer does not fit in 64 bits");
      value = -value;
    }
    return JsonValue(value, start);
  }

  static int hexValue(char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  }

  unsigned parseHex4() {
    unsigned code = 0;
    for (int i = 0; i < 4; ++i) {
      int digit = atEnd() ? -1 : hexValue(peek());
      if (digit < 0)
        fail("expected 4 hex digits after \\u, got " + describeNext());
      code = code * 16 + static_cast<unsigned>(digit);
      advance();
    }
    return code;
  }

  static void appendUtf8(std::string &out, unsigned code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xc0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xe0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code & 0x3f));
    }
  }

  unsigned parseUnicodeEscape(JsonLocation escapeStart) {
    unsigned code = parseHex4();
    if (code >= 0xdc00 && code <= 0xdfff)
      failAt(escapeStart, "unpaired low surrogate in \\u escape");
    if (code < 0xd800 || code > 0xdbff)
      return code;
    // A high surrogate must be followed by an escaped low surrogate.
    if (text.substr(pos, 2) != "\\u")
      failAt(escapeStart, "unpaired high surrogate in \\u escape");
    advance();
    advance();
    unsigned low = parseHex4();
    if (low < 0xdc00 || low > 0xdfff)
      failAt(escapeStart, "unpaired high surrogate in \\u escape");
    return 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
  }

  std::string parseString() {
    JsonLocation start = here;
    advance(); // the opening quote
    std::string out;
    while (true) {
      if (atEnd())
        failAt(start, "unterminated string");
      char c = peek();
      if (c == '"') {
        advance();
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20)
        fail("control character " + describeNext() + " in string (escape it)");
      if (c != '\\') {
        out += c;
        advance();
        continue;
      }
      JsonLocation escapeStart = here;
      advance();
      if (atEnd())
        failAt(start, "unterminated string");
      char e = peek();
      advance();
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u':
        appendUtf8(out, parseUnicodeEscape(escapeStart));
        break;
      default:
        failAt(escapeStart, std::string("invalid escape '\\") + e + "'");
      }
    }
  }

  JsonValue parseArray(unsigned depth) {
    JsonLocation start = here;
    advance();
    JsonValue::Array items;
    skipWhitespace();
    if (!atEnd() && peek() == ']') {
      advance();
      return JsonValue(std::move(items), start);
    }
    while (true) {
      skipWhitespace();
      items.push_back(parseValue(depth + 1));
      skipWhitespace();
      if (!atEnd() && peek() == ',') {
        advance();
        continue;
      }
      expect(']', "or ',' in array");
      return JsonValue(std::move(items), start);
    }
  }

  JsonValue parseObject(unsigned depth) {
    JsonLocation start = here;
    advance();
    JsonValue::Object members;
    skipWhitespace();
    if (!atEnd() && peek() == '}') {
      advance();
      return JsonValue(std::move(members), start);
    }
    while (true) {
      skipWhitespace();
      if (atEnd() || peek() != '"')
        fail("expected a string key in object, got " + describeNext());
      JsonLocation keyStart = here;
      std::string key = parseString();
      for (const JsonValue::Member &member : members)
        if (member.first == key)
          failAt(keyStart, "duplicate key \"" + key + "\"");
      skipWhitespace();
      expect(':', "after object key");
      skipWhitespace();
      JsonValue value = parseValue(depth + 1);
      members.emplace_back(std::move(key), std::move(value));
      skipWhitespace();
      if (!atEnd() && peek() == ',') {
        advance();
        continue;
      }
      expect('}', "or ',' in object");
      return JsonValue(std::move(members), start);
    }
  }
};

} // namespace

JsonValue parseJson(std::string_view text) {
  return Parser(text).parseDocument();
}

} // namespace kvcache::runtime
