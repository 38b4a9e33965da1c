//===- Manifest.cpp - A bundle's manifest.json ----------------------------===//
//
// Unknown keys are ignored so that a newer compiler may add information that
// this runtime does not need; every key the runtime reads is checked.
//
//===----------------------------------------------------------------------===//

#include "kvcache/Runtime/Manifest.h"
#include "kvcache/Runtime/Error.h"
#include "kvcache/Runtime/Json.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

namespace kvcache::runtime {

std::string ManifestArgument::describe() const {
  return "argument '" + name + "' (#" + std::to_string(index) + ")";
}

const ManifestArgument *
ManifestFunction::findArgument(std::string_view argumentName) const {
  for (const ManifestArgument &argument : arguments)
    if (argument.name == argumentName)
      return &argument;
  return nullptr;
}

const ManifestFunction *Manifest::findFunction(std::string_view name) const {
  for (const ManifestFunction &function : functions)
    if (function.name == name)
      return &function;
  return nullptr;
}

std::string Manifest::functionNames() const {
  std::string result;
  for (const ManifestFunction &function : functions)
    result += (result.empty() ? "" : ", ") + function.name;
  return result;
}

namespace {

/// Reads one JSON object of the manifest; every error names where it is.
class ObjectReader {
public:
  ObjectReader(const JsonValue &value, std::string context,
               std::string_view source)
      : value(value), context(std::move(context)), source(source) {
    if (!value.isObject())
      failAt(value, "expected an object, got " + article(value.kind()));
  }

  [[noreturn]] void failAt(const JsonValue &at,
                           const std::string &problem) const {
    // Names and values from the file are printed escaped (a NUL would cut
    // the message short).
    throw BundleError(printable(std::string(source) + ": " +
                                at.location().str() + ": " + context + ": " +
                                problem));
  }

  const JsonValue &required(std::string_view key, JsonValue::Kind kind) const {
    const JsonValue *member = value.find(key);
    if (!member)
      failAt(value, "missing key \"" + std::string(key) + "\"");
    if (member->kind() != kind)
      failAt(*member, "\"" + std::string(key) + "\" must be " + article(kind) +
                          ", got " + article(member->kind()));
    return *member;
  }

  const std::string &string(std::string_view key) const {
    return required(key, JsonValue::Kind::String).asString();
  }
  int64_t integer(std::string_view key) const {
    return required(key, JsonValue::Kind::Integer).asInteger();
  }
  const JsonValue &array(std::string_view key) const {
    return required(key, JsonValue::Kind::Array);
  }
  const JsonValue &member(std::string_view key) const {
    return *value.find(key);
  }
  const JsonValue &self() const { return value; }

  /// One of `choices` (value, spelling) for a string key.
  template <typename T, size_t N>
  T choice(std::string_view key,
           const std::pair<T, std::string_view> (&choices)[N]) const {
    const std::string &spelling = string(key);
    std::string names;
    for (const auto &[choiceValue, choiceSpelling] : choices) {
      if (choiceSpelling == spelling)
        return choiceValue;
      names += (names.empty() ? "" : ", ") + std::string(choiceSpelling);
    }
    failAt(member(key), "\"" + std::string(key) + "\" must be one of " + names +
                            ", got \"" + spelling + "\"");
  }

private:
  static std::string article(JsonValue::Kind kind) {
    std::string name(JsonValue::kindName(kind));
    bool vowel = name[0] == 'a' || name[0] == 'i' || name[0] == 'o';
    return (vowel ? "an " : "a ") + name;
  }

  const JsonValue &value;
  std::string context;
  std::string_view source;
};

/// A name that becomes a file name (`<name>.npy`) or a library path.
bool isPlainFileName(const std::string &name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

bool abiElementMatches(abi::Element element, ElementType type) {
  switch (element) {
  case abi::Element::CacheDType:
    return type == ElementType::F32 || type == ElementType::F16 ||
           type == ElementType::BF16 || type == ElementType::F8E4M3FN;
  case abi::Element::F32:
    return type == ElementType::F32;
  case abi::Element::I32:
    return type == ElementType::I32;
  case abi::Element::I64:
    return type == ElementType::I64;
  }
  return false;
}

std::string_view describeAbiElement(abi::Element element) {
  switch (element) {
  case abi::Element::CacheDType:
    return "a cache dtype (f32, f16, bf16 or f8E4M3FN)";
  case abi::Element::F32:
    return "f32";
  case abi::Element::I32:
    return "i32";
  case abi::Element::I64:
    return "i64";
  }
  return "?";
}

template <typename Enum>
constexpr std::pair<Enum, std::string_view> named(Enum e) {
  return {e, toString(e)};
}
constexpr std::pair<ArgumentKind, std::string_view> kKinds[] = {
    named(ArgumentKind::MemRef), named(ArgumentKind::Scalar)};
constexpr std::pair<ArgumentRole, std::string_view> kRoles[] = {
    named(ArgumentRole::Input), named(ArgumentRole::Output),
    named(ArgumentRole::InOut), named(ArgumentRole::Cache),
    named(ArgumentRole::Workspace)};
constexpr std::pair<ArgumentPlacement, std::string_view> kPlacements[] = {
    named(ArgumentPlacement::Device), named(ArgumentPlacement::Host)};
constexpr std::pair<ArgumentOperand, std::string_view> kOperands[] = {
    named(ArgumentOperand::RowOffsets), named(ArgumentOperand::Query),
    named(ArgumentOperand::Key),        named(ArgumentOperand::Value),
    named(ArgumentOperand::Out),        named(ArgumentOperand::Layer)};

/// Reads the cache keys of a `cache` argument and checks its type against
/// the ABI table.
CacheBinding parseCacheBinding(const ObjectReader &reader,
                               const ManifestArgument &argument) {
  const std::string &fieldName = reader.string("field");
  std::optional<abi::Field> field = abi::fieldFromName(fieldName);
  if (!field)
    reader.failAt(reader.member("field"),
                  "\"field\" must name an ABI field, got \"" + fieldName +
                      "\"");
  CacheBinding binding{*field, reader.integer("device"),
                       reader.string("cache")};
  if (binding.device < 0)
    reader.failAt(reader.member("device"),
                  "\"device\" must be non-negative, got " +
                      std::to_string(binding.device));
  const abi::FieldInfo &info = abi::info(*field);
  if (argument.kind != ArgumentKind::MemRef)
    reader.failAt(reader.self(), "cache field '" + fieldName +
                                     "' must be a memref, got a scalar");
  if (argument.rank != info.rank)
    reader.failAt(reader.member("rank"),
                  "cache field '" + fieldName + "' has rank " +
                      std::to_string(info.rank) + " in the ABI, got " +
                      std::to_string(argument.rank));
  if (!abiElementMatches(info.element, argument.elementType))
    reader.failAt(reader.member("element_type"),
                  "cache field '" + fieldName + "' holds " +
                      std::string(describeAbiElement(info.element)) +
                      " in the ABI, got " +
                      std::string(toString(argument.elementType)));
  return binding;
}

ManifestArgument parseArgument(const JsonValue &value, size_t position,
                               size_t count, const std::string &functionContext,
                               std::string_view source) {
  std::string context =
      functionContext + ", arguments[" + std::to_string(position) + "]";
  ObjectReader reader(value, context, source);
  ManifestArgument argument;
  int64_t index = reader.integer("index");
  if (index < 0 || static_cast<uint64_t>(index) >= count)
    reader.failAt(reader.member("index"),
                  "\"index\" must be in 0.." + std::to_string(count - 1) +
                      " (the function has " + std::to_string(count) +
                      " arguments), got " + std::to_string(index));
  argument.index = static_cast<unsigned>(index);
  argument.name = reader.string("name");
  if (!isPlainFileName(argument.name))
    reader.failAt(reader.member("name"),
                  "\"name\" must be a non-empty file name without '/', got "
                  "\"" +
                      argument.name + "\"");
  argument.kind = reader.choice("kind", kKinds);
  const std::string &elementName = reader.string("element_type");
  std::optional<ElementType> elementType = parseElementType(elementName);
  if (!elementType)
    reader.failAt(reader.member("element_type"),
                  "\"element_type\" must be one of " + elementTypeNames() +
                      ", got \"" + elementName + "\"");
  argument.elementType = *elementType;

  int64_t rank = reader.integer("rank");
  if (rank < 0 || rank > 32)
    reader.failAt(reader.member("rank"),
                  "\"rank\" must be in 0..32, got " + std::to_string(rank));
  argument.rank = static_cast<unsigned>(rank);
  if (argument.kind == ArgumentKind::Scalar && rank != 0)
    reader.failAt(reader.member("rank"),
                  "a scalar has rank 0, got " + std::to_string(rank));
  const JsonValue &shape = reader.array("shape");
  if (shape.asArray().size() != argument.rank)
    reader.failAt(shape, "\"shape\" has " +
                             std::to_string(shape.asArray().size()) +
                             " dims but \"rank\" is " + std::to_string(rank));
  for (const JsonValue &dim : shape.asArray()) {
    if (!dim.isInteger() || dim.asInteger() < -1)
      reader.failAt(dim, "shape dims must be integers >= 0, or -1 for a "
                         "dynamic dim");
    argument.shape.push_back(dim.asInteger());
  }
  argument.role = reader.choice("role", kRoles);
  argument.placement = reader.choice("placement", kPlacements);
  if (argument.role == ArgumentRole::Cache)
    argument.cache = parseCacheBinding(reader, argument);
  if (reader.self().find("operand")) {
    if (argument.cache)
      reader.failAt(reader.member("operand"),
                    "a cache argument feeds no compute-op operand");
    argument.operand = reader.choice("operand", kOperands);
  }
  return argument;
}

std::string describeCache(const CacheBinding &binding) {
  std::string result = binding.cache.empty() ? "the default cache"
                                             : "cache '" + binding.cache + "'";
  return result + ", device " + std::to_string(binding.device);
}

/// Per (cache, device): no field twice, the ABI's presence rules, and the
/// ABI's placement for each field.
void checkCaches(const ManifestFunction &function, const JsonValue &at,
                 const ObjectReader &reader) {
  std::map<std::pair<std::string, int64_t>,
           std::vector<const ManifestArgument *>>
      groups;
  for (const ManifestArgument &argument : function.arguments)
    if (argument.cache)
      groups[{argument.cache->cache, argument.cache->device}].push_back(
          &argument);

  for (const auto &[key, members] : groups) {
    std::string where = describeCache(*members.front()->cache);
    abi::FieldSet present;
    const ManifestArgument *kvBlocks = nullptr;
    for (const ManifestArgument *argument : members) {
      abi::Field field = argument->cache->field;
      if (present.contains(field))
        reader.failAt(at, where + ": field '" + std::string(abi::name(field)) +
                              "' appears twice");
      present = present.with(field);
      if (field == abi::Field::kv_blocks)
        kvBlocks = argument;
    }
    abi::CacheTraits traits;
    std::optional<bool> isMLA;
    if (kvBlocks) {
      traits.isFP8 = kvBlocks->elementType == ElementType::F8E4M3FN;
      int64_t kvDim = kvBlocks->shape[abi::kKvDimDim];
      if (kvDim >= 0)
        isMLA = kvDim == 1;
      traits.isMLA =
          isMLA.value_or(present.contains(abi::Field::mla_num_partitions));
    }
    std::vector<abi::PresenceError> errors =
        abi::checkPresence(present, traits);
    if (!errors.empty())
      reader.failAt(at, where + ": " + errors.front().message);

    for (const ManifestArgument *argument : members) {
      abi::Placement abiPlacement = abi::info(argument->cache->field).placement;
      std::optional<ArgumentPlacement> expected;
      if (abiPlacement == abi::Placement::Device)
        expected = ArgumentPlacement::Device;
      else if (abiPlacement == abi::Placement::Host)
        expected = ArgumentPlacement::Host;
      else if (isMLA)
        expected = *isMLA ? ArgumentPlacement::Device : ArgumentPlacement::Host;
      if (expected && *expected != argument->placement)
        reader.failAt(at, argument->describe() + ": the ABI places '" +
                              std::string(abi::name(argument->cache->field)) +
                              "' on the " + std::string(toString(*expected)) +
                              ", got \"" +
                              std::string(toString(argument->placement)) +
                              "\"");
    }
  }
}

ManifestFunction parseFunction(const JsonValue &value, size_t position,
                               std::string_view source) {
  ObjectReader reader(value, "functions[" + std::to_string(position) + "]",
                      source);
  ManifestFunction function;
  function.name = reader.string("name");
  if (function.name.empty())
    reader.failAt(reader.member("name"), "\"name\" must not be empty");
  function.entry = reader.string("entry");
  if (function.entry.empty())
    reader.failAt(reader.member("entry"), "\"entry\" must not be empty");
  std::string context = "function '" + function.name + "'";
  ObjectReader named(value, context, source);

  const JsonValue &arguments = named.array("arguments");
  const JsonValue::Array &items = arguments.asArray();
  std::vector<const JsonValue *> byIndex(items.size(), nullptr);
  for (size_t i = 0; i < items.size(); ++i) {
    ManifestArgument argument =
        parseArgument(items[i], i, items.size(), context, source);
    if (byIndex[argument.index])
      named.failAt(items[i], argument.describe() + ": index " +
                                 std::to_string(argument.index) +
                                 " is used twice");
    byIndex[argument.index] = &items[i];
    if (const ManifestArgument *other = function.findArgument(argument.name))
      named.failAt(items[i], argument.describe() + ": name '" + argument.name +
                                 "' is also " + other->describe());
    function.arguments.push_back(std::move(argument));
  }
  std::sort(function.arguments.begin(), function.arguments.end(),
            [](const ManifestArgument &a, const ManifestArgument &b) {
              return a.index < b.index;
            });
  checkCaches(function, value, named);
  return function;
}

} // namespace

Manifest parseManifest(std::string_view text, std::string_view source) {
  JsonValue root;
  try {
    root = parseJson(text);
  } catch (const JsonError &error) {
    throw BundleError(std::string(source) + ": " + error.what());
  }
  ObjectReader reader(root, "manifest", source);
  Manifest manifest;
  manifest.format = reader.integer("format");
  // Format 1 has no "operand": its argument checks would have to guess
  // operands from names and ranks, which is what format 2 ended. Such a
  // bundle is refused with what to do, never run half-checked.
  if (manifest.format == 1)
    reader.failAt(reader.member("format"),
                  "manifest format 1 is no longer read (this runtime reads "
                  "format " +
                      std::to_string(kManifestFormat) +
                      ", which says which compute-op operand each argument "
                      "feeds); recompile the bundle with kvcache-compile");
  if (manifest.format != kManifestFormat)
    reader.failAt(reader.member("format"), "unsupported manifest format " +
                                               std::to_string(manifest.format) +
                                               " (this runtime reads "
                                               "format " +
                                               std::to_string(kManifestFormat) +
                                               ")");
  manifest.target = reader.string("target");
  if (manifest.target.empty())
    reader.failAt(reader.member("target"), "\"target\" must not be empty");
  manifest.library = reader.string("library");
  if (!isPlainFileName(manifest.library))
    reader.failAt(reader.member("library"),
                  "\"library\" must be a file name in the bundle directory, "
                  "got \"" +
                      manifest.library + "\"");
  const JsonValue &functions = reader.array("functions");
  for (size_t i = 0; i < functions.asArray().size(); ++i) {
    ManifestFunction function =
        parseFunction(functions.asArray()[i], i, source);
    if (manifest.findFunction(function.name))
      reader.failAt(functions.asArray()[i],
                    "function '" + function.name + "' is defined twice");
    manifest.functions.push_back(std::move(function));
  }
  if (manifest.functions.empty())
    reader.failAt(functions, "\"functions\" is empty");
  return manifest;
}

Manifest loadManifest(const std::string &bundleDir) {
  std::string path = bundleDir + "/" + std::string(bundle::kManifestFile);
  std::ifstream file(path, std::ios::binary);
  if (!file)
    throw BundleError(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream text;
  text << file.rdbuf();
  if (!file)
    throw BundleError(path + ": read error");
  return parseManifest(text.str(), path);
}

} // namespace kvcache::runtime
