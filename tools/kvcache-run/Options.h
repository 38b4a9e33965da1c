//===- Options.h - kvcache-run's command line -------------------*- C++ -*-===//
//
// Parses argv into the options of one of the two modes (run a bundle, or
// generate inputs). Every mistake is an InputError that names the option.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUN_OPTIONS_H
#define KVCACHE_RUN_OPTIONS_H

#include "kvcache/Runtime/InputGenerator.h"

#include <optional>
#include <string>

namespace kvcache::run {

struct RunOptions {
  std::string bundleDir;
  /// The function to call; may be omitted when the bundle has one.
  std::optional<std::string> entry;
  std::string inputsDir;
  std::string outputsDir;
  /// "cpu" unless given.
  std::optional<std::string> device;
};

struct GenerateOptions {
  std::string outputDir;
  runtime::GeneratorOptions generator;
};

struct CommandLine {
  enum class Mode { Help, Run, Generate } mode = Mode::Help;
  RunOptions run;
  GenerateOptions generate;
};

/// Throws runtime::InputError for a malformed command line.
CommandLine parseCommandLine(int argc, char **argv);

/// The --help text.
const char *usage();

} // namespace kvcache::run

#endif // KVCACHE_RUN_OPTIONS_H
