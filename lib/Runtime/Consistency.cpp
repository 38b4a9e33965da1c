//===- Consistency.cpp - Cross-checks of a call's cache inputs ------------===//

#include "kvcache/Runtime/Consistency.h"
#include "kvcache/Runtime/Error.h"

#include <algorithm>
#include <array>
#include <map>
#include <optional>

namespace kvcache::runtime {

namespace {

/// One (cache, device)'s arguments, by field.
struct CacheGroup {
  std::array<const ManifestArgument *, abi::kNumFields> arguments{};
  const ManifestArgument *get(abi::Field field) const {
    return arguments[abi::position(field)];
  }
};

[[noreturn]] void fail(const std::string &problem) {
  throw InputError(problem);
}

std::string quoted(const ManifestArgument &argument) {
  return "'" + argument.name + "'";
}

/// An i32 field's value as the ABI reads it (uint32); a value that was
/// negative in an int32 file also shows as such, since that is what its
/// author wrote.
std::string formatU32(const Array &array, int64_t flatIndex) {
  uint32_t value = array.uint32At(flatIndex);
  std::string text = std::to_string(value);
  if (array.dtype().kind == DType::Kind::Int && value > 0x7fffffffu)
    text += " (" + std::to_string(static_cast<int32_t>(value)) +
            " as int32, read as uint32)";
  return text;
}

/// input_row_offsets read and checked on its own; batch-dependent checks
/// follow per cache.
struct RowOffsets {
  const ManifestArgument *argument;
  std::vector<int64_t> values;
};

std::optional<RowOffsets> readRowOffsets(const ManifestFunction &function,
                                         const std::vector<Array> &arrays) {
  const ManifestArgument *argument = nullptr;
  for (const ManifestArgument &candidate : function.arguments)
    if (candidate.operand == ArgumentOperand::RowOffsets)
      argument = &candidate;
  if (!argument || argument->kind != ArgumentKind::MemRef)
    return std::nullopt;
  const Array &array = arrays[argument->index];
  DType::Kind kind = array.dtype().kind;
  if (array.rank() != 1 ||
      (kind != DType::Kind::Int && kind != DType::Kind::UInt))
    return std::nullopt;
  RowOffsets offsets{argument, {}};
  for (int64_t i = 0; i < array.numElements(); ++i)
    offsets.values.push_back(array.integerAt(i));

  const std::string &name = argument->name;
  if (offsets.values.empty())
    fail(quoted(*argument) + " is empty; it needs batch + 1 entries");
  if (offsets.values[0] != 0)
    fail(name + "[0] = " + std::to_string(offsets.values[0]) +
         ", expected 0 (row offsets start at 0)");
  for (size_t i = 1; i < offsets.values.size(); ++i)
    if (offsets.values[i] < offsets.values[i - 1])
      fail(quoted(*argument) + " must be non-decreasing: " + name + "[" +
           std::to_string(i) + "] = " + std::to_string(offsets.values[i]) +
           " is less than " + name + "[" + std::to_string(i - 1) +
           "] = " + std::to_string(offsets.values[i - 1]));

  return offsets;
}

/// One (request, page column) of a call: the positions it covers and
/// whether the call writes one of them.
struct PageUse {
  int64_t request = 0, column = 0;
  uint64_t position = 0;
  bool writes = false;

  std::string describe(const std::string &tableName) const {
    return "request " + std::to_string(request) + " " +
           (writes ? "writes" : "reads") + " position " +
           std::to_string(position) + " there (" + tableName + "[" +
           std::to_string(request) + ", " + std::to_string(column) + "])";
  }
};

/// The last offset is the number of packed rows: every argument feeding a
/// ragged operand must have that many. Checked after the batch sizes, so
/// that offsets of the wrong length say so first.
void checkRaggedRows(const ManifestFunction &function,
                     const std::vector<Array> &arrays,
                     const RowOffsets &offsets) {
  const std::string &name = offsets.argument->name;
  int64_t totalTokens = offsets.values.back();
  for (const ManifestArgument &other : function.arguments) {
    bool ragged = other.kind == ArgumentKind::MemRef &&
                  (other.operand == ArgumentOperand::Query ||
                   other.operand == ArgumentOperand::Key ||
                   other.operand == ArgumentOperand::Value ||
                   other.operand == ArgumentOperand::Out);
    if (ragged && arrays[other.index].dim(0) != totalTokens)
      fail(name + "[" + std::to_string(offsets.values.size() - 1) +
           "] = " + std::to_string(totalTokens) +
           " (the total number of new tokens) but " + other.describe() +
           " has " + std::to_string(arrays[other.index].dim(0)) +
           " rows (dim 0)");
  }
}

/// A page the call writes may be used by no other (request, page column):
/// two stores into one slot race, and a store into a page another request
/// reads changes its keys. Pages only read may be shared (a common prefix).
void checkWriteAliasing(const Array &cacheLengths, const Array &lookupTable,
                        const std::string &tableName, int64_t pageSize,
                        const RowOffsets &offsets) {
  std::map<uint32_t, PageUse> users;
  int64_t columns = lookupTable.dim(1);
  for (int64_t b = 0; b < cacheLengths.dim(0); ++b) {
    uint64_t cached = cacheLengths.uint32At(b);
    uint64_t used = cached + static_cast<uint64_t>(offsets.values[b + 1] -
                                                   offsets.values[b]);
    uint64_t size = static_cast<uint64_t>(pageSize);
    for (uint64_t p = 0; p * size < used; ++p) {
      uint64_t last = std::min(used, (p + 1) * size) - 1;
      PageUse use{b, static_cast<int64_t>(p), std::max(p * size, cached),
                  last >= cached};
      if (!use.writes)
        use.position = p * size;
      uint32_t page = lookupTable.uint32At(b * columns + use.column);
      auto [it, first] = users.emplace(page, use);
      if (first)
        continue;
      PageUse &other = it->second;
      if (use.writes || other.writes)
        fail("page " + std::to_string(page) +
             " of the pool is used twice and "
             "written: " +
             other.describe(tableName) + " and " + use.describe(tableName) +
             "; a page may be shared only while "
             "no request of the call writes it");
    }
  }
}

void checkGroup(const CacheGroup &group, const std::vector<Array> &arrays,
                const std::optional<RowOffsets> &offsets, bool stores) {
  const ManifestArgument *kvBlocksArg = group.get(abi::Field::kv_blocks);
  const ManifestArgument *lengthsArg = group.get(abi::Field::cache_lengths);
  const ManifestArgument *tableArg = group.get(abi::Field::lookup_table);
  if (!kvBlocksArg || !lengthsArg || !tableArg)
    return; // The manifest's presence check makes this unreachable.
  const Array &kvBlocks = arrays[kvBlocksArg->index];
  const Array &cacheLengths = arrays[lengthsArg->index];
  const Array &lookupTable = arrays[tableArg->index];
  const std::string &lengthsName = lengthsArg->name;
  const std::string &tableName = tableArg->name;

  int64_t batch = cacheLengths.dim(0);
  if (lookupTable.dim(0) != batch)
    fail("batch sizes disagree: " + quoted(*lengthsArg) + " has " +
         std::to_string(batch) + " entries but " + quoted(*tableArg) + " has " +
         std::to_string(lookupTable.dim(0)) +
         " rows (both are one per request)");
  if (offsets && static_cast<int64_t>(offsets->values.size()) != batch + 1)
    fail(quoted(*offsets->argument) + " has " +
         std::to_string(offsets->values.size()) +
         " entries, expected batch + 1 = " + std::to_string(batch + 1) +
         " (batch = " + std::to_string(batch) + " entries in " +
         quoted(*lengthsArg) + ")");

  int64_t totalNumPages = kvBlocks.dim(abi::kTotalNumPagesDim);
  int64_t pageSize = kvBlocks.dim(abi::kPageSizeDim);
  int64_t columns = lookupTable.dim(1);
  uint64_t maxUsed = 0, maxNew = 0;
  int64_t maxUsedRequest = 0, maxNewRequest = 0;
  for (int64_t b = 0; b < batch; ++b) {
    uint64_t cached = cacheLengths.uint32At(b);
    uint64_t fresh =
        offsets
            ? static_cast<uint64_t>(offsets->values[b + 1] - offsets->values[b])
            : 0;
    uint64_t used = cached + fresh;
    if (used > maxUsed) {
      maxUsed = used;
      maxUsedRequest = b;
    }
    if (fresh > maxNew) {
      maxNew = fresh;
      maxNewRequest = b;
    }
    if (used == 0)
      continue;
    std::string usage = "request " + std::to_string(b) + " uses positions 0.." +
                        std::to_string(used - 1) + " (" + lengthsName + "[" +
                        std::to_string(b) +
                        "] = " + formatU32(cacheLengths, b) + " plus " +
                        std::to_string(fresh) + " new tokens)";
    if (pageSize == 0)
      fail(usage + " but the page size (" + quoted(*kvBlocksArg) +
           " dim 3) is 0");
    uint64_t pages = (used + pageSize - 1) / static_cast<uint64_t>(pageSize);
    if (pages > static_cast<uint64_t>(columns))
      fail(usage + ", which need " + std::to_string(pages) + " pages of " +
           std::to_string(pageSize) + ", but " + quoted(*tableArg) +
           " has only " + std::to_string(columns) + " columns");
    for (uint64_t p = 0; p < pages; ++p) {
      int64_t flat = b * columns + static_cast<int64_t>(p);
      if (lookupTable.uint32At(flat) < static_cast<uint64_t>(totalNumPages))
        continue;
      uint64_t position = std::min(used - 1, (p + 1) * pageSize - 1);
      fail(tableName + "[" + std::to_string(b) + ", " + std::to_string(p) +
           "] = " + formatU32(lookupTable, flat) +
           " is not a valid page (total_num_pages = " +
           std::to_string(totalNumPages) + ") but request " +
           std::to_string(b) + " uses position " + std::to_string(position));
    }
  }

  if (stores && offsets)
    checkWriteAliasing(cacheLengths, lookupTable, tableName, pageSize,
                       *offsets);

  std::string maxUsedText = "request " + std::to_string(maxUsedRequest) +
                            " uses " + std::to_string(maxUsed) +
                            " positions (" + lengthsName +
                            " plus its new tokens)";
  std::string maxNewText = "request " + std::to_string(maxNewRequest) +
                           " has " + std::to_string(maxNew) + " new tokens";
  if (const ManifestArgument *arg = group.get(abi::Field::max_lengths)) {
    const Array &maxLengths = arrays[arg->index];
    if (maxLengths.dim(0) < 1 || maxLengths.dim(1) != 2)
      fail(quoted(*arg) + " has shape " + formatShape(maxLengths.shape()) +
           "; row 0 must hold (max_prompt_length, max_cache_length)");
    if (maxLengths.uint32At(0) < maxNew)
      fail(arg->name + "[0, 0] = " + formatU32(maxLengths, 0) +
           " (max_prompt_length) is too small: " + maxNewText);
    if (maxLengths.uint32At(1) < maxUsed)
      fail(arg->name + "[0, 1] = " + formatU32(maxLengths, 1) +
           " (max_cache_length) is too small: " + maxUsedText);
    // Upper bounds: the kernels' grids and splits are sized from row 0.
    if (offsets &&
        maxLengths.uint32At(0) > static_cast<uint64_t>(offsets->values.back()))
      fail(arg->name + "[0, 0] = " + formatU32(maxLengths, 0) +
           " (max_prompt_length) is more than the batch's " +
           std::to_string(offsets->values.back()) + " new tokens (" +
           offsets->argument->name + "[" +
           std::to_string(offsets->values.size() - 1) + "])");
    uint64_t capacity =
        static_cast<uint64_t>(columns) * static_cast<uint64_t>(pageSize);
    if (maxLengths.uint32At(1) > capacity)
      fail(arg->name + "[0, 1] = " + formatU32(maxLengths, 1) +
           " (max_cache_length) is more than a request can hold: " +
           std::to_string(columns) + " columns of " + quoted(*tableArg) +
           " x " + std::to_string(pageSize) +
           " positions per page = " + std::to_string(capacity));
  }

  // The target's and the draft model's metadata follow the same rules.
  for (abi::Field field : {abi::Field::attention_dispatch_metadata,
                           abi::Field::draft_attention_dispatch_metadata}) {
    const ManifestArgument *arg = group.get(field);
    if (!arg)
      continue;
    const Array &metadata = arrays[arg->index];
    auto at = [&](int64_t i) {
      return arg->name + "[" + std::to_string(i) +
             "] = " + std::to_string(metadata.integerAt(i));
    };
    if (metadata.numElements() >= 1 && metadata.integerAt(0) != batch)
      fail(at(0) + " (batch_size) but the batch is " + std::to_string(batch) +
           " (" + quoted(*lengthsArg) + " has " + std::to_string(batch) +
           " entries)");
    if (metadata.numElements() >= 2 &&
        metadata.integerAt(1) < static_cast<int64_t>(maxNew))
      fail(at(1) + " (q_max_seq_len) is too small: " + maxNewText);
    // Kernels clamp it to [1, the launched split slots] (ABI.md); below 1
    // it is no split count at all.
    if (metadata.numElements() >= 3 && metadata.integerAt(2) < 1)
      fail(at(2) + " (num_partitions) must be at least 1");
    if (metadata.numElements() == abi::kMHADispatchMetadataSize &&
        metadata.integerAt(3) < static_cast<int64_t>(maxUsed))
      fail(at(3) + " (max_cache_valid_length) is too small: " + maxUsedText);
  }
  // An MLA split count is clamped to [1, slots] as num_partitions is.
  for (abi::Field field :
       {abi::Field::mla_num_partitions, abi::Field::draft_mla_num_partitions})
    if (const ManifestArgument *arg = group.get(field)) {
      const Array &count = arrays[arg->index];
      if (count.numElements() >= 1 && count.integerAt(0) < 1)
        fail(arg->name + "[0] = " + std::to_string(count.integerAt(0)) +
             " (the MLA split count) must be at least 1");
    }

  if (const ManifestArgument *arg = group.get(abi::Field::kv_scales)) {
    const Array &scales = arrays[arg->index];
    for (size_t d = 0; d + 1 < abi::info(abi::Field::kv_scales).rank; ++d)
      if (scales.dim(d) != kvBlocks.dim(d))
        fail(quoted(*arg) + " dim " + std::to_string(d) + " is " +
             std::to_string(scales.dim(d)) + " but " + quoted(*kvBlocksArg) +
             " dim " + std::to_string(d) + " is " +
             std::to_string(kvBlocks.dim(d)) + " (shapes " +
             formatShape(scales.shape()) + " and " +
             formatShape(kvBlocks.shape()) + ")");
  }
}

} // namespace

void checkCacheConsistency(const ManifestFunction &function,
                           const std::vector<Array> &arrays) {
  if (arrays.size() != function.arguments.size())
    throw std::logic_error(
        "checkCacheConsistency: " + std::to_string(arrays.size()) +
        " arrays for " + std::to_string(function.arguments.size()) +
        " arguments");
  std::optional<RowOffsets> offsets = readRowOffsets(function, arrays);
  bool stores = false;
  for (const ManifestArgument &argument : function.arguments)
    stores |= argument.operand == ArgumentOperand::Key;
  // Caches in declaration order, so the first broken one is reported.
  std::vector<std::pair<std::string, int64_t>> order;
  std::map<std::pair<std::string, int64_t>, CacheGroup> groups;
  for (const ManifestArgument &argument : function.arguments) {
    if (!argument.cache)
      continue;
    std::pair<std::string, int64_t> key{argument.cache->cache,
                                        argument.cache->device};
    if (!groups.count(key))
      order.push_back(key);
    groups[key].arguments[abi::position(argument.cache->field)] = &argument;
  }
  for (const auto &key : order)
    checkGroup(groups[key], arrays, offsets, stores);
  if (offsets)
    checkRaggedRows(function, arrays, *offsets);
}

} // namespace kvcache::runtime
