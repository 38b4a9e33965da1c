//===- DocsTableTest.cpp - docs/ABI.md agrees with the ABI header ---------===//
//
// docs/ABI.md explains the ABI to users with a field table. This test parses
// that table and compares it with include/kvcache/ABI/ABI.h, so that neither
// can drift from the other.
//
//===----------------------------------------------------------------------===//

#include "kvcache/ABI/ABI.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace kvcache::abi;

namespace {

std::vector<std::string> splitRow(const std::string &line) {
  std::vector<std::string> cells;
  std::stringstream stream(line);
  std::string cell;
  std::getline(stream, cell, '|'); // Text before the first '|'.
  while (std::getline(stream, cell, '|')) {
    size_t begin = cell.find_first_not_of(" `");
    size_t end = cell.find_last_not_of(" `");
    cells.push_back(
        begin == std::string::npos ? "" : cell.substr(begin, end - begin + 1));
  }
  if (!cells.empty() && cells.back().empty())
    cells.pop_back();
  return cells;
}

/// The rows of the table whose header starts with `| # | field |`.
std::vector<std::vector<std::string>> readFieldTable() {
  std::ifstream file(KVCACHE_SOURCE_DIR "/docs/ABI.md");
  EXPECT_TRUE(file.good()) << "cannot open docs/ABI.md";
  std::vector<std::vector<std::string>> rows;
  std::string line;
  bool inTable = false;
  while (std::getline(file, line)) {
    if (!inTable) {
      inTable = line.rfind("| # | field |", 0) == 0;
      if (inTable)
        std::getline(file, line); // The |---| separator.
      continue;
    }
    if (line.empty() || line[0] != '|')
      break;
    rows.push_back(splitRow(line));
  }
  return rows;
}

TEST(DocsABITable, MatchesHeader) {
  std::vector<std::vector<std::string>> rows = readFieldTable();
  ASSERT_EQ(rows.size(), kNumFields)
      << "docs/ABI.md's field table must have one row per ABI field";
  for (unsigned i = 0; i < kNumFields; ++i) {
    const FieldInfo &info = kFields[i];
    const std::vector<std::string> &row = rows[i];
    // Columns: # | field | kind | placement | present | meaning
    ASSERT_GE(row.size(), 5u) << "row " << i;
    EXPECT_EQ(row[0], std::to_string(i)) << "row " << i;
    EXPECT_EQ(row[1], info.name) << "row " << i;
    EXPECT_EQ(row[2], toString(info.kind)) << info.name;
    EXPECT_EQ(row[3], toString(info.placement)) << info.name;
    EXPECT_EQ(row[4], toString(info.presence)) << info.name;
  }
}

} // namespace
