//===- ABI.cpp - The paged KV-cache input ABI -----------------------------===//

#include "kvcache/ABI/ABI.h"

#include <bitset>

namespace kvcache::abi {

std::optional<Field> fieldFromName(std::string_view name) {
  for (const FieldInfo &info : kFields)
    if (info.name == name)
      return info.field;
  return std::nullopt;
}

unsigned FieldSet::size() const { return std::bitset<16>(bits).count(); }

std::vector<Field> FieldSet::fields() const {
  std::vector<Field> result;
  for (const FieldInfo &info : kFields)
    if (contains(info.field))
      result.push_back(info.field);
  return result;
}

std::optional<unsigned> FieldSet::flatIndex(Field field) const {
  if (!contains(field))
    return std::nullopt;
  uint16_t below = bits & ((1u << position(field)) - 1);
  return std::bitset<16>(below).count();
}

std::vector<PresenceError> checkPresence(FieldSet present, CacheTraits traits) {
  std::vector<PresenceError> errors;
  auto quoted = [](Field field) {
    return "'" + std::string(name(field)) + "'";
  };
  for (const FieldInfo &info : kFields) {
    bool has = present.contains(info.field);
    switch (info.presence) {
    case Presence::Always:
      if (!has)
        errors.push_back(
            {info.field, "missing required field " + quoted(info.field)});
      break;
    case Presence::IffFP8:
      if (has && !traits.isFP8)
        errors.push_back({info.field, quoted(info.field) +
                                          " requires an 8-bit float cache "
                                          "(kv_blocks element f8E4M3FN)"});
      if (!has && traits.isFP8)
        errors.push_back({info.field, "an 8-bit float cache requires " +
                                          quoted(info.field)});
      break;
    case Presence::Optional:
    case Presence::Speculative:
      break;
    case Presence::MLAOnly:
    case Presence::MLASpeculative:
      if (has && !traits.isMLA) {
        errors.push_back({info.field, quoted(info.field) +
                                          " requires an MLA cache "
                                          "(kv_blocks dim 1, kv_dim, == 1)"});
        break;
      }
      if (has && info.presence == Presence::MLASpeculative &&
          !present.contains(Field::draft_attention_dispatch_metadata))
        errors.push_back(
            {info.field, quoted(info.field) + " requires " +
                             quoted(Field::draft_attention_dispatch_metadata)});
      break;
    }
  }
  return errors;
}

std::string flatArgumentName(std::string_view cache, int64_t device,
                             Field field) {
  if (cache.empty() && device == 0)
    return std::string(name(field));
  std::string result;
  if (!cache.empty())
    result.append(cache).append(".");
  result.append("d").append(std::to_string(device)).append(".");
  result.append(name(field));
  return result;
}

std::string_view toString(Kind kind) {
  return kind == Kind::Buffer ? "buffer" : "tensor";
}

std::string_view toString(Placement placement) {
  switch (placement) {
  case Placement::Device:
    return "device";
  case Placement::Host:
    return "host";
  case Placement::HostForMHADeviceForMLA:
    return "host (MHA), device (MLA)";
  }
  return "";
}

std::string_view toString(Presence presence) {
  switch (presence) {
  case Presence::Always:
    return "always";
  case Presence::IffFP8:
    return "iff the cache dtype is 8-bit float";
  case Presence::Optional:
    return "optional";
  case Presence::Speculative:
    return "iff speculative decoding";
  case Presence::MLAOnly:
    return "MLA only";
  case Presence::MLASpeculative:
    return "MLA with speculative decoding";
  }
  return "";
}

} // namespace kvcache::abi
