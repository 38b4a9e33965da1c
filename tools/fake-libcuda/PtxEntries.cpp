//===- PtxEntries.cpp - Kernel parameter lists from PTX text --------------===//

#include "PtxEntries.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace kvcache::fakecuda {

namespace {

/// `ptx` with comments blanked out; newlines stay, so offsets and line
/// numbers still match the original.
std::string withoutComments(std::string_view ptx) {
  std::string text(ptx);
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] == '/' && text[i + 1] == '/') {
      while (i < text.size() && text[i] != '\n')
        text[i++] = ' ';
    } else if (text[i] == '/' && text[i + 1] == '*') {
      size_t end = text.find("*/", i + 2);
      end = end == std::string::npos ? text.size() : end + 2;
      for (; i < end; ++i)
        if (text[i] != '\n')
          text[i] = ' ';
      --i;
    }
  }
  return text;
}

size_t lineOf(const std::string &text, size_t offset) {
  return 1 + std::count(text.begin(), text.begin() + offset, '\n');
}

bool isIdentifierChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
         c == '%';
}

/// Bytes of a PTX fundamental type (".u64" -> 8), or 0.
size_t typeSize(const std::string &type) {
  static const std::pair<const char *, size_t> kTypes[] = {
      {".b8", 1},  {".u8", 1},  {".s8", 1},    {".b16", 2}, {".u16", 2},
      {".s16", 2}, {".f16", 2}, {".bf16", 2},  {".b32", 4}, {".u32", 4},
      {".s32", 4}, {".f32", 4}, {".f16x2", 4}, {".b64", 8}, {".u64", 8},
      {".s64", 8}, {".f64", 8}, {".b128", 16},
  };
  for (const auto &[name, size] : kTypes)
    if (type == name)
      return size;
  return 0;
}

/// One `.param` declaration: `.param [.align N] .type [.ptr [.space]
/// [.align N]] name[[count]]`.
PtxParam parseParam(const std::string &declaration, size_t line) {
  auto fail = [&](const std::string &problem) -> PtxError {
    return PtxError("line " + std::to_string(line) + ": " + problem + " in '" +
                    declaration + "'");
  };
  auto number = [&](const std::string &digits) -> size_t {
    if (digits.empty() ||
        digits.find_first_not_of("0123456789") != std::string::npos ||
        digits.size() > 9)
      throw fail("expected a number, got '" + digits + "'");
    return std::stoul(digits);
  };
  std::istringstream stream(declaration);
  std::vector<std::string> tokens;
  for (std::string token; stream >> token;)
    tokens.push_back(token);
  if (tokens.empty() || tokens.front() != ".param")
    throw fail("expected '.param'");
  PtxParam param;
  size_t elementSize = 0;
  size_t explicitAlign = 0;
  for (size_t i = 1; i < tokens.size(); ++i) {
    const std::string &token = tokens[i];
    if (token == ".align") {
      if (i + 1 == tokens.size())
        throw fail("'.align' without a value");
      size_t value = number(tokens[++i]);
      if (value == 0 || (value & (value - 1)))
        throw fail("alignment " + std::to_string(value) +
                   " is not a power of two");
      if (param.isPointer)
        param.pointeeAlign = value;
      else
        explicitAlign = value;
    } else if (token == ".ptr") {
      param.isPointer = true;
    } else if (token == ".global" || token == ".shared" || token == ".const" ||
               token == ".local") {
      // The pointee's state space.
    } else if (size_t size = typeSize(token)) {
      elementSize = size;
    } else if (token[0] == '.') {
      throw fail("unknown qualifier '" + token + "'");
    } else {
      if (i + 1 != tokens.size())
        throw fail("unexpected '" + tokens[i + 1] + "' after the name");
      size_t count = 1;
      std::string name = token;
      if (size_t bracket = name.find('['); bracket != std::string::npos) {
        size_t close = name.find(']', bracket);
        if (close == std::string::npos || close + 1 != name.size())
          throw fail("malformed array '" + name + "'");
        count = number(name.substr(bracket + 1, close - bracket - 1));
        name = name.substr(0, bracket);
      }
      param.name = name;
      param.size = elementSize * count;
    }
  }
  if (param.name.empty())
    throw fail("no parameter name");
  if (!elementSize)
    throw fail("no parameter type");
  param.align = explicitAlign ? explicitAlign : elementSize;
  return param;
}

} // namespace

std::vector<PtxEntry> parsePtxEntries(std::string_view ptx) {
  std::string text = withoutComments(ptx);
  std::vector<PtxEntry> entries;
  const std::string keyword = ".entry";
  for (size_t at = text.find(keyword); at != std::string::npos;
       at = text.find(keyword, at + keyword.size())) {
    size_t after = at + keyword.size();
    bool standalone =
        (at == 0 || std::isspace(static_cast<unsigned char>(text[at - 1]))) &&
        after < text.size() &&
        std::isspace(static_cast<unsigned char>(text[after]));
    if (!standalone)
      continue;
    size_t nameStart = text.find_first_not_of(" \t\r\n", after);
    size_t nameEnd = nameStart;
    while (nameEnd < text.size() && isIdentifierChar(text[nameEnd]))
      ++nameEnd;
    if (nameStart == std::string::npos || nameEnd == nameStart)
      throw PtxError("line " + std::to_string(lineOf(text, at)) +
                     ": '.entry' without a name");
    PtxEntry entry;
    entry.name = text.substr(nameStart, nameEnd - nameStart);
    size_t open = text.find_first_not_of(" \t\r\n", nameEnd);
    if (open != std::string::npos && text[open] == '(') {
      size_t close = text.find(')', open);
      if (close == std::string::npos)
        throw PtxError("line " + std::to_string(lineOf(text, open)) +
                       ": the parameter list of '" + entry.name +
                       "' is not closed");
      size_t start = open + 1;
      while (start < close) {
        size_t comma = std::min(text.find(',', start), close);
        std::string declaration = text.substr(start, comma - start);
        size_t first = declaration.find_first_not_of(" \t\r\n");
        if (first != std::string::npos)
          entry.params.push_back(
              parseParam(declaration, lineOf(text, start + first)));
        start = comma + 1;
      }
    }
    size_t offset = 0;
    for (PtxParam &param : entry.params) {
      offset = (offset + param.align - 1) / param.align * param.align;
      param.offset = offset;
      offset += param.size;
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

} // namespace kvcache::fakecuda
