//===- Commands.h - kvcache-run's modes -------------------------*- C++ -*-===//

#ifndef KVCACHE_RUN_COMMANDS_H
#define KVCACHE_RUN_COMMANDS_H

#include "Options.h"

namespace kvcache::run {

/// kvcache-run's exit codes.
enum ExitCode : int {
  kExitSuccess = 0,
  kExitBadInput = 1,
  kExitBundleOrInternal = 2,
  /// The automake/ctest "skipped" code: the bundle is valid but this
  /// machine cannot run it (no CUDA device or driver, another chip).
  kExitUnsupported = 77,
};

/// Loads, checks and calls a bundle's function on .npy inputs. Returns the
/// exit code of an outcome that is not an error (success, unsupported
/// target); errors are thrown as runtime::InputError or BundleError.
int runBundle(const RunOptions &options);

/// Measures device-to-device copy bandwidth. Returns kExitUnsupported when
/// there is no CUDA device; errors are thrown.
int measureCopyBandwidth(const CopyBandwidthOptions &options);

/// Writes generated inputs; errors are thrown as runtime::InputError.
int generateInputs(const GenerateOptions &options);

} // namespace kvcache::run

#endif // KVCACHE_RUN_COMMANDS_H
