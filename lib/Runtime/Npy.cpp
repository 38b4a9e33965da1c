//===- Npy.cpp - NumPy .npy files -----------------------------------------===//
//
// Format: the magic "\x93NUMPY", a major and a minor version byte, the header
// length (uint16 in version 1, uint32 in versions 2 and 3, little-endian), then
// a Python dict literal {'descr': ..., 'fortran_order': ..., 'shape': (...)}
// padded with spaces to a 64-byte boundary and ended by '\n', then the data.
//
//===----------------------------------------------------------------------===//

#include "kvcache/Runtime/Npy.h"
#include "kvcache/Runtime/Error.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>

namespace kvcache::runtime {

namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
/// Magic, two version bytes and the shortest (uint16) header length.
constexpr size_t kMinPreamble = 10;

struct Preamble {
  size_t headerStart;
  size_t headerLength;
};

/// Every message goes through here: what a file holds is printed escaped
/// (a NUL in a descr would cut the message short).
[[noreturn]] void fail(std::string_view source, const std::string &problem) {
  throw InputError(printable(std::string(source) + ": " + problem));
}

/// Reads the magic, version and header length from the first bytes of a
/// file; `bytes` must hold at least the first 12 bytes or the whole file.
Preamble parsePreamble(std::string_view bytes, std::string_view source) {
  if (bytes.size() < kMagic.size() || bytes.substr(0, kMagic.size()) != kMagic)
    fail(source, "not an .npy file (it does not start with \"\\x93NUMPY\")");
  if (bytes.size() < kMinPreamble)
    fail(source, "truncated .npy file: it ends inside the preamble");
  unsigned major = static_cast<unsigned char>(bytes[6]);
  unsigned minor = static_cast<unsigned char>(bytes[7]);
  auto byteAt = [&](size_t i) -> size_t {
    return static_cast<unsigned char>(bytes[i]);
  };
  if (major == 1)
    return {10, byteAt(8) | byteAt(9) << 8};
  if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      fail(source, "truncated .npy file: it ends inside the preamble");
    return {12,
            byteAt(8) | byteAt(9) << 8 | byteAt(10) << 16 | byteAt(11) << 24};
  }
  fail(source, "unsupported .npy version " + std::to_string(major) + "." +
                   std::to_string(minor) + " (1.0, 2.0 and 3.0 are read)");
}

/// The parsed header dict.
struct Header {
  DType dtype;
  std::vector<int64_t> shape;
};

[[noreturn]] void unsupportedDType(std::string_view source,
                                   const std::string &descr,
                                   const std::string &why) {
  fail(source, "unsupported dtype '" + descr + "': " + why);
}

/// Parses the dtype descr, rejecting what kernels cannot bind.
DType parseDescr(const std::string &descr, std::string_view source) {
  auto unsupported = [&](const std::string &why) {
    unsupportedDType(source, descr, why);
  };
  if (descr.size() < 2)
    unsupported("not a NumPy dtype");
  char order = descr[0];
  if (order != '<' && order != '>' && order != '|' && order != '=')
    unsupported("no byte-order character");
  char kind = descr[1];
  std::string size = descr.substr(2);
  if (kind == 'O')
    unsupported("object arrays cannot be passed to a kernel");
  if (kind == 'S' || kind == 'a' || kind == 'U' || kind == 'V')
    unsupported("string and void dtypes cannot be passed to a kernel");
  if (kind == 'M' || kind == 'm')
    unsupported("datetime dtypes cannot be passed to a kernel");
  if (size.empty() || size.size() > 2 ||
      size.find_first_not_of("0123456789") != std::string::npos)
    unsupported("not a NumPy dtype");
  unsigned itemSize = static_cast<unsigned>(std::stoul(size));
  bool valid = false;
  switch (kind) {
  case 'b':
    valid = itemSize == 1;
    break;
  case 'i':
  case 'u':
    valid = itemSize == 1 || itemSize == 2 || itemSize == 4 || itemSize == 8;
    break;
  case 'f':
    valid = itemSize == 2 || itemSize == 4 || itemSize == 8;
    break;
  case 'c':
    valid = itemSize == 8 || itemSize == 16;
    break;
  default:
    unsupported("not a numeric dtype");
  }
  if (!valid)
    unsupported("no such numeric dtype");
  // '=' is native order, which is little-endian on every host this runs on.
  if (order == '>' && itemSize > 1)
    unsupported("big-endian data is not supported; save it little-endian "
                "(arr.astype(arr.dtype.newbyteorder('<')))");
  return DType{static_cast<DType::Kind>(kind), itemSize};
}

/// A recursive-descent reader for the header's Python dict literal.
class HeaderParser {
public:
  HeaderParser(std::string_view text, std::string_view source)
      : text(text), source(source) {}

  Header parse() {
    std::optional<DType> dtype;
    std::optional<bool> fortranOrder;
    std::optional<std::vector<int64_t>> shape;
    expect('{');
    while (true) {
      skipSpaces();
      if (consume('}'))
        break;
      std::string key = parseString();
      expect(':');
      skipSpaces();
      if (key == "descr") {
        if (peek() == '[')
          fail(source, "unsupported dtype: structured (record) dtypes cannot "
                       "be passed to a kernel");
        dtype = parseDescr(parseString(), source);
      } else if (key == "fortran_order") {
        fortranOrder = parseBool();
      } else if (key == "shape") {
        shape = parseShape();
      } else {
        malformed("unexpected key '" + key + "'");
      }
      skipSpaces();
      if (consume(','))
        continue;
      expect('}');
      break;
    }
    skipSpaces();
    if (pos != text.size())
      malformed("unexpected text after the dict");
    if (!dtype || !fortranOrder || !shape)
      malformed("it needs the keys 'descr', 'fortran_order' and 'shape'");
    if (*fortranOrder && shape->size() > 1)
      fail(source, "Fortran-order (column-major) arrays are not supported; "
                   "save np.ascontiguousarray(arr)");
    return {*dtype, std::move(*shape)};
  }

private:
  std::string_view text;
  std::string_view source;
  size_t pos = 0;

  [[noreturn]] void malformed(const std::string &problem) const {
    std::string_view header = text.substr(0, 200);
    while (!header.empty() && (header.back() == ' ' || header.back() == '\n'))
      header.remove_suffix(1);
    // Corrupt bytes show as \xNN, not raw (fail escapes them).
    fail(source,
         "malformed .npy header (" + problem + "): " + std::string(header));
  }

  char peek() const { return pos < text.size() ? text[pos] : '\0'; }
  void skipSpaces() {
    while (pos < text.size() &&
           (text[pos] == ' ' || text[pos] == '\n' || text[pos] == '\t'))
      ++pos;
  }
  bool consume(char c) {
    skipSpaces();
    if (peek() != c)
      return false;
    ++pos;
    return true;
  }
  void expect(char c) {
    if (!consume(c))
      malformed(std::string("expected '") + c + "'");
  }

  std::string parseString() {
    skipSpaces();
    char quote = peek();
    if (quote != '\'' && quote != '"')
      malformed("expected a string");
    size_t end = text.find(quote, pos + 1);
    if (end == std::string_view::npos)
      malformed("unterminated string");
    std::string value(text.substr(pos + 1, end - pos - 1));
    pos = end + 1;
    return value;
  }

  bool parseBool() {
    if (text.substr(pos, 4) == "True") {
      pos += 4;
      return true;
    }
    if (text.substr(pos, 5) == "False") {
      pos += 5;
      return false;
    }
    malformed("expected True or False");
  }

  std::vector<int64_t> parseShape() {
    std::vector<int64_t> shape;
    expect('(');
    while (true) {
      skipSpaces();
      if (consume(')'))
        return shape;
      size_t start = pos;
      int64_t dim = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (dim > (std::numeric_limits<int64_t>::max() - 9) / 10)
          malformed("shape dim too large");
        dim = dim * 10 + (text[pos] - '0');
        ++pos;
      }
      if (pos == start)
        malformed("expected a non-negative integer in the shape");
      if (peek() == 'L') // Python 2 long literals.
        ++pos;
      shape.push_back(dim);
      if (consume(','))
        continue;
      expect(')');
      return shape;
    }
  }
};

/// Bytes that `header` says follow it; throws when that overflows.
size_t dataBytes(const Header &header, std::string_view source) {
  size_t bytes = header.dtype.itemSize;
  for (int64_t dim : header.shape) {
    if (dim != 0 && bytes > std::numeric_limits<size_t>::max() / 4 /
                                static_cast<size_t>(dim))
      fail(source, "shape " + formatShape(header.shape) + " is too large");
    bytes *= static_cast<size_t>(dim);
  }
  return bytes;
}

void checkDataSize(const Header &header, size_t available,
                   std::string_view source) {
  size_t expected = dataBytes(header, source);
  std::string what = "shape " + formatShape(header.shape) + " of " +
                     header.dtype.name() + " needs " +
                     std::to_string(expected) + " bytes of data";
  if (available < expected)
    fail(source, "truncated .npy file: " + what + ", the file has " +
                     std::to_string(available));
  if (available > expected)
    fail(source, "malformed .npy file: " + what + ", the file has " +
                     std::to_string(available - expected) + " more");
}

std::string headerBytes(const Array &array) {
  std::string shape = "(";
  for (size_t i = 0; i < array.rank(); ++i) {
    shape += std::to_string(array.dim(i));
    if (array.rank() == 1 || i + 1 < array.rank())
      shape += ",";
    if (i + 1 < array.rank())
      shape += " ";
  }
  shape += ")";
  std::string dict = "{'descr': '" + array.dtype().descr() +
                     "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so that the data starts on a 64-byte boundary, as NumPy does.
  size_t total = kMinPreamble + dict.size() + 1;
  size_t padded = (total + 63) / 64 * 64;
  dict.append(padded - total, ' ');
  dict += '\n';
  std::string result(kMagic);
  result += '\x01';
  result += '\x00';
  result += static_cast<char>(dict.size() & 0xff);
  result += static_cast<char>(dict.size() >> 8);
  return result + dict;
}

} // namespace

Array parseNpy(std::string_view bytes, std::string_view source) {
  Preamble preamble = parsePreamble(bytes, source);
  if (bytes.size() < preamble.headerStart + preamble.headerLength)
    fail(source, "truncated .npy file: it ends inside the header");
  Header header =
      HeaderParser(bytes.substr(preamble.headerStart, preamble.headerLength),
                   source)
          .parse();
  std::string_view data =
      bytes.substr(preamble.headerStart + preamble.headerLength);
  checkDataSize(header, data.size(), source);
  Array array(header.dtype, header.shape);
  std::memcpy(array.data(), data.data(), data.size());
  return array;
}

std::string serializeNpy(const Array &array) {
  std::string result = headerBytes(array);
  result.append(reinterpret_cast<const char *>(array.data()), array.numBytes());
  return result;
}

Array readNpy(const std::string &path) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored))
    fail(path, "is a directory, not an .npy file");
  // Opening a FIFO would block until a writer comes; a device never ends.
  std::filesystem::file_status status = std::filesystem::status(path, ignored);
  if (std::filesystem::exists(status) &&
      !std::filesystem::is_regular_file(status))
    fail(path, "is not a regular file (a FIFO, socket or device); inputs are "
               ".npy files");
  std::ifstream file(path, std::ios::binary);
  if (!file)
    fail(path, std::string("cannot open: ") + std::strerror(errno));
  file.seekg(0, std::ios::end);
  std::streamoff fileSize = file.tellg();
  file.seekg(0, std::ios::beg);
  if (fileSize < 0)
    fail(path, "cannot determine the file size");

  // Read the preamble and header first so that the data goes straight into
  // the array: kv_blocks may be gigabytes.
  std::string head(std::min<std::streamoff>(fileSize, 12), '\0');
  file.read(head.data(), static_cast<std::streamsize>(head.size()));
  Preamble preamble = parsePreamble(head, path);
  size_t headerEnd = preamble.headerStart + preamble.headerLength;
  if (static_cast<size_t>(fileSize) < headerEnd)
    fail(path, "truncated .npy file: it ends inside the header");
  std::string headerText(preamble.headerLength, '\0');
  file.seekg(static_cast<std::streamoff>(preamble.headerStart));
  file.read(headerText.data(), static_cast<std::streamsize>(headerText.size()));
  Header header = HeaderParser(headerText, path).parse();
  checkDataSize(header, static_cast<size_t>(fileSize) - headerEnd, path);

  Array array(header.dtype, header.shape);
  file.read(reinterpret_cast<char *>(array.data()),
            static_cast<std::streamsize>(array.numBytes()));
  if (!file)
    fail(path, "read error");
  return array;
}

void writeNpy(const std::string &path, const Array &array) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file)
    fail(path, std::string("cannot write: ") + std::strerror(errno));
  std::string header = headerBytes(array);
  file.write(header.data(), static_cast<std::streamsize>(header.size()));
  file.write(reinterpret_cast<const char *>(array.data()),
             static_cast<std::streamsize>(array.numBytes()));
  file.close();
  if (!file)
    fail(path, "write error");
}

} // namespace kvcache::runtime
