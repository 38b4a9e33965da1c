//===- BundleManifest.h - The vocabulary of a bundle's manifest -*- C++ -*-===//
//
// What kvcache-compile writes into a bundle and kvcache-run reads back: the
// file names, the manifest format, the entry-point symbol and the names of an
// argument's kind, role and placement. Defined once, here, for both sides
// (the runtime has no MLIR dependency, so neither does this header).
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_ABI_BUNDLEMANIFEST_H
#define KVCACHE_ABI_BUNDLEMANIFEST_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kvcache::bundle {

/// The manifest format version; the runtime rejects others. Format 2 added
/// an argument's "operand".
inline constexpr int64_t kManifestFormat = 2;
inline constexpr std::string_view kManifestFile = "manifest.json";
inline constexpr std::string_view kLibraryFile = "libkernels.so";
/// A function `f` is called through `void kvcache_entry_f(void **args)`.
inline constexpr std::string_view kEntryPrefix = "kvcache_entry_";

inline std::string entrySymbol(std::string_view function) {
  return std::string(kEntryPrefix) + std::string(function);
}

enum class ArgumentKind { MemRef, Scalar };
/// Cache arguments are flat ABI fields; the others are named by the graph.
enum class ArgumentRole { Input, Output, InOut, Cache, Workspace };
/// Where a runtime places the argument before the call.
enum class ArgumentPlacement { Device, Host };
/// Which operand of kvcache.store / kvcache.attention a (non-cache) argument
/// feeds, through calls; the manifest's "operand". A runtime keys its
/// checks on it, never on argument names or ranks.
enum class ArgumentOperand { RowOffsets, Query, Key, Value, Out, Layer };

/// Where a runtime places an argument that is not a cache field (cache
/// fields follow the ABI, abi::placementFor): memrefs on the device, where
/// the kernels read them, scalars on the host, passed by value.
constexpr ArgumentPlacement placementOf(ArgumentKind kind) {
  return kind == ArgumentKind::MemRef ? ArgumentPlacement::Device
                                      : ArgumentPlacement::Host;
}

constexpr std::string_view toString(ArgumentKind kind) {
  return kind == ArgumentKind::MemRef ? "memref" : "scalar";
}

constexpr std::string_view toString(ArgumentRole role) {
  switch (role) {
  case ArgumentRole::Input:
    return "input";
  case ArgumentRole::Output:
    return "output";
  case ArgumentRole::InOut:
    return "inout";
  case ArgumentRole::Cache:
    return "cache";
  case ArgumentRole::Workspace:
    return "workspace";
  }
  return "";
}

constexpr std::string_view toString(ArgumentPlacement placement) {
  return placement == ArgumentPlacement::Device ? "device" : "host";
}

constexpr std::string_view toString(ArgumentOperand operand) {
  switch (operand) {
  case ArgumentOperand::RowOffsets:
    return "row_offsets";
  case ArgumentOperand::Query:
    return "query";
  case ArgumentOperand::Key:
    return "key";
  case ArgumentOperand::Value:
    return "value";
  case ArgumentOperand::Out:
    return "out";
  case ArgumentOperand::Layer:
    return "layer";
  }
  return "";
}

/// The enumerator whose name is `name`, if any (`All` lists the enumerators).
template <typename Enum, Enum... All>
std::optional<Enum> fromName(std::string_view name) {
  std::optional<Enum> found;
  ((toString(All) == name ? (void)(found = All) : (void)0), ...);
  return found;
}

inline std::optional<ArgumentKind> kindFromName(std::string_view name) {
  return fromName<ArgumentKind, ArgumentKind::MemRef, ArgumentKind::Scalar>(
      name);
}

inline std::optional<ArgumentRole> roleFromName(std::string_view name) {
  return fromName<ArgumentRole, ArgumentRole::Input, ArgumentRole::Output,
                  ArgumentRole::InOut, ArgumentRole::Cache,
                  ArgumentRole::Workspace>(name);
}

inline std::optional<ArgumentOperand> operandFromName(std::string_view name) {
  return fromName<ArgumentOperand, ArgumentOperand::RowOffsets,
                  ArgumentOperand::Query, ArgumentOperand::Key,
                  ArgumentOperand::Value, ArgumentOperand::Out,
                  ArgumentOperand::Layer>(name);
}

inline std::optional<ArgumentPlacement>
placementFromName(std::string_view name) {
  return fromName<ArgumentPlacement, ArgumentPlacement::Device,
                  ArgumentPlacement::Host>(name);
}

} // namespace kvcache::bundle

#endif // KVCACHE_ABI_BUNDLEMANIFEST_H
