//===- ABI.h - The paged KV-cache input ABI ---------------------*- C++ -*-===//
//
// The one definition of the flat KV-cache input ABI (docs/ABI.md): the fields
// of one device's cache inputs, their flatten order, kinds, placement and
// presence rules. Everything else (the dialect's type, its verifier, parser
// and printer, the passes and the runtime) reads the ABI from here, so this
// header has no MLIR dependency.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_ABI_ABI_H
#define KVCACHE_ABI_ABI_H

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvcache::abi {

/// The fields of one device's cache inputs. The enumerator values are the
/// flatten order: a flat list holds the present fields in increasing value.
enum class Field : uint8_t {
  kv_blocks = 0,
  cache_lengths = 1,
  lookup_table = 2,
  max_lengths = 3,
  kv_scales = 4,
  attention_dispatch_metadata = 5,
  draft_attention_dispatch_metadata = 6,
  mla_num_partitions = 7,
  draft_mla_num_partitions = 8,
};

inline constexpr unsigned kNumFields = 9;

/// Buffers are mutable storage (always memrefs in IR); tensors are values that
/// may be given as `tensor` or `memref`.
enum class Kind : uint8_t { Buffer, Tensor };

/// Where a runtime places the field before a call.
enum class Placement : uint8_t {
  Device,
  Host,
  /// Host for ordinary attention, device for MLA (the dispatch metadata).
  HostForMHADeviceForMLA,
};

/// When a field is part of a device's inputs.
enum class Presence : uint8_t {
  Always,         ///< Required.
  IffFP8,         ///< Present exactly when the cache dtype is an 8-bit float.
  Optional,       ///< May be present or absent.
  Speculative,    ///< Optional; present iff speculative decoding.
  MLAOnly,        ///< Optional; only on an MLA cache.
  MLASpeculative, ///< Optional; only on an MLA cache with the draft metadata.
};

/// The element type a field holds, as the ABI names it.
enum class Element : uint8_t {
  CacheDType, ///< f32, f16, bf16 or f8E4M3FN.
  F32,
  I32, ///< Read as unsigned (MAX: uint32); signless in IR.
  I64,
};

struct FieldInfo {
  Field field;
  std::string_view name;
  Kind kind;
  Element element;
  /// Rank of the field's shape.
  unsigned rank;
  Placement placement;
  Presence presence;
};

/// The ABI table, in flatten order; kFields[i].field == Field(i).
inline constexpr std::array<FieldInfo, kNumFields> kFields = {{
    {Field::kv_blocks, "kv_blocks", Kind::Buffer, Element::CacheDType, 6,
     Placement::Device, Presence::Always},
    {Field::cache_lengths, "cache_lengths", Kind::Tensor, Element::I32, 1,
     Placement::Device, Presence::Always},
    {Field::lookup_table, "lookup_table", Kind::Tensor, Element::I32, 2,
     Placement::Device, Presence::Always},
    {Field::max_lengths, "max_lengths", Kind::Tensor, Element::I32, 2,
     Placement::Host, Presence::Always},
    {Field::kv_scales, "kv_scales", Kind::Buffer, Element::F32, 6,
     Placement::Device, Presence::IffFP8},
    {Field::attention_dispatch_metadata, "attention_dispatch_metadata",
     Kind::Tensor, Element::I64, 1, Placement::HostForMHADeviceForMLA,
     Presence::Optional},
    {Field::draft_attention_dispatch_metadata,
     "draft_attention_dispatch_metadata", Kind::Tensor, Element::I64, 1,
     Placement::HostForMHADeviceForMLA, Presence::Speculative},
    {Field::mla_num_partitions, "mla_num_partitions", Kind::Tensor,
     Element::I64, 1, Placement::Host, Presence::MLAOnly},
    {Field::draft_mla_num_partitions, "draft_mla_num_partitions", Kind::Tensor,
     Element::I64, 1, Placement::Host, Presence::MLASpeculative},
}};

/// Dimensions of kv_blocks: [total_num_pages, kv_dim, num_layers, page_size,
/// num_kv_heads, head_dim].
enum KvBlocksDim : unsigned {
  kTotalNumPagesDim = 0,
  kKvDimDim = 1,
  kNumLayersDim = 2,
  kPageSizeDim = 3,
  kNumKvHeadsDim = 4,
  kHeadDimDim = 5,
};

/// What kv_blocks dim 1 (kv_dim) selects on an ordinary cache (kv_dim 2):
/// the key row, then the value row. An MLA cache (kv_dim 1) has one latent.
enum KvPart : int64_t {
  kKeyPart = 0,
  kValuePart = 1,
};

/// Size of the dispatch metadata vectors (fields 5 and 6).
inline constexpr int64_t kMHADispatchMetadataSize = 4;
inline constexpr int64_t kMLADispatchMetadataSize = 3;
/// Default number of head_dim lanes that share one kv_scales entry.
inline constexpr int64_t kDefaultScaleGranularity = 128;

constexpr const FieldInfo &info(Field field) {
  return kFields[static_cast<unsigned>(field)];
}
constexpr std::string_view name(Field field) { return info(field).name; }
/// Where a runtime places `field` on a cache of this kind: Device or Host,
/// never HostForMHADeviceForMLA.
constexpr Placement placementFor(Field field, bool isMLA) {
  Placement placement = info(field).placement;
  if (placement != Placement::HostForMHADeviceForMLA)
    return placement;
  return isMLA ? Placement::Device : Placement::Host;
}
constexpr unsigned position(Field field) {
  return static_cast<unsigned>(field);
}
constexpr bool isRequired(Field field) {
  return info(field).presence == Presence::Always;
}

/// The field named `name`, if any.
std::optional<Field> fieldFromName(std::string_view name);

/// The four fields dropped to turn the graph ABI into MAX's kernel ABI.
constexpr bool isDispatchField(Field field) {
  return position(field) >= position(Field::attention_dispatch_metadata);
}

/// The fields that can choose an attention's split-K count, in precedence
/// order (ABI.md, "Meaning"): on an MLA cache its partition count, then the
/// dispatch metadata; the draft model's own pair for a draft attention.
/// `size` of the two entries are used (1 on an ordinary cache).
struct SplitCountFields {
  std::array<Field, 2> fields;
  unsigned size;
  constexpr const Field *begin() const { return fields.data(); }
  constexpr const Field *end() const { return fields.data() + size; }
};
constexpr SplitCountFields splitCountFields(bool isMLA, bool draft) {
  Field metadata = draft ? Field::draft_attention_dispatch_metadata
                         : Field::attention_dispatch_metadata;
  if (!isMLA)
    return {{metadata, metadata}, 1};
  return {{draft ? Field::draft_mla_num_partitions : Field::mla_num_partitions,
           metadata},
          2};
}
/// The entry of a split-count field that holds the count: `num_partitions`
/// (entry 2) of the dispatch metadata, the only entry of an MLA count.
constexpr int64_t splitCountEntry(Field field) {
  return field == Field::mla_num_partitions ||
                 field == Field::draft_mla_num_partitions
             ? 0
             : 2;
}

/// A set of fields; iteration is in flatten order.
class FieldSet {
public:
  constexpr FieldSet() = default;
  constexpr explicit FieldSet(uint16_t bits) : bits(bits) {}
  constexpr bool contains(Field field) const {
    return bits & (1u << position(field));
  }
  constexpr FieldSet with(Field field) const {
    return FieldSet(bits | (1u << position(field)));
  }
  constexpr FieldSet without(Field field) const {
    return FieldSet(bits & ~(1u << position(field)));
  }
  constexpr uint16_t raw() const { return bits; }
  unsigned size() const;
  /// The present fields, in flatten order.
  std::vector<Field> fields() const;
  /// Index of `field` in the flat list of this set's fields, if present.
  std::optional<unsigned> flatIndex(Field field) const;
  constexpr bool operator==(FieldSet other) const { return bits == other.bits; }
  constexpr bool operator!=(FieldSet other) const { return bits != other.bits; }

private:
  uint16_t bits = 0;
};

/// What the presence rules depend on.
struct CacheTraits {
  bool isFP8 = false; ///< The cache dtype is an 8-bit float.
  bool isMLA = false; ///< kv_dim == 1.
};

/// One broken presence rule: the field it is about and a message that says
/// what was expected.
struct PresenceError {
  Field field;
  std::string message;
};

/// Checks the presence rules of the ABI table for a set of present fields.
/// Returns every broken rule, in field order (empty when the set is valid).
std::vector<PresenceError> checkPresence(FieldSet present, CacheTraits traits);

/// The name under which a runtime binds a flat argument: `<field>` for
/// device 0 of the default (unnamed) cache, else `<cache>.d<device>.<field>`
/// (`d1.kv_blocks` when the cache is unnamed).
std::string flatArgumentName(std::string_view cache, int64_t device,
                             Field field);

std::string_view toString(Kind kind);
std::string_view toString(Placement placement);
std::string_view toString(Presence presence);

} // namespace kvcache::abi

#endif // KVCACHE_ABI_ABI_H
