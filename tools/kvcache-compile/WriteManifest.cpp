//===- WriteManifest.cpp - manifest.json ----------------------------------===//
//
// A small writer rather than llvm::json: the layout (one argument per line)
// is part of what people read and FileCheck, and the key order follows the
// contract shared with the runtime.
//
//===----------------------------------------------------------------------===//

#include "Manifest.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace kvcache;
using namespace kvcache::compile;

namespace {

/// A JSON string literal. Names come from user attributes, so quotes,
/// backslashes and control characters must not break the document.
std::string quote(llvm::StringRef text) {
  std::string result = "\"";
  llvm::raw_string_ostream os(result);
  for (unsigned char c : text) {
    switch (c) {
    case '"':
      os << "\\\"";
      break;
    case '\\':
      os << "\\\\";
      break;
    case '\n':
      os << "\\n";
      break;
    case '\r':
      os << "\\r";
      break;
    case '\t':
      os << "\\t";
      break;
    default:
      if (c < 0x20)
        os << llvm::format("\\u%04x", c);
      else
        os << c;
    }
  }
  os << '"';
  return result;
}

void writeArgument(const ManifestArgument &argument, llvm::raw_ostream &os) {
  os << "{\"index\": " << argument.index
     << ", \"name\": " << quote(argument.name)
     << ", \"kind\": " << quote(bundle::toString(argument.kind))
     << ", \"element_type\": " << quote(argument.elementType)
     << ", \"rank\": " << argument.shape.size() << ", \"shape\": [";
  llvm::interleaveComma(argument.shape, os);
  os << "], \"role\": " << quote(bundle::toString(argument.role));
  if (argument.cache)
    os << ", \"field\": " << quote(abi::name(argument.cache->field))
       << ", \"device\": " << argument.cache->device
       << ", \"cache\": " << quote(argument.cache->cache);
  if (argument.operand)
    os << ", \"operand\": " << quote(bundle::toString(*argument.operand));
  os << ", \"placement\": " << quote(bundle::toString(argument.placement))
     << "}";
}

void writeFunction(const ManifestFunction &function, llvm::raw_ostream &os) {
  os << "  {\"name\": " << quote(function.name)
     << ", \"entry\": " << quote(function.entry) << ",\n   \"arguments\": [";
  llvm::interleave(
      function.arguments, os,
      [&](const ManifestArgument &argument) {
        os << "\n     ";
        writeArgument(argument, os);
      },
      ",");
  os << (function.arguments.empty() ? "]}" : "\n   ]}");
}

} // namespace

void kvcache::compile::writeManifest(const Manifest &manifest,
                                     llvm::raw_ostream &os) {
  os << "{\"format\": " << bundle::kManifestFormat
     << ", \"target\": " << quote(manifest.target)
     << ", \"library\": " << quote(manifest.library) << ",\n \"functions\": [";
  llvm::interleave(
      manifest.functions, os,
      [&](const ManifestFunction &function) {
        os << "\n";
        writeFunction(function, os);
      },
      ",");
  os << "]}\n";
}
