//===- RunCommon.h - What the CPU and CUDA runs share -----------*- C++ -*-===//

#ifndef KVCACHE_RUN_RUNCOMMON_H
#define KVCACHE_RUN_RUNCOMMON_H

#include "Options.h"

#include "kvcache/Runtime/Array.h"
#include "kvcache/Runtime/Manifest.h"

#include <string>
#include <vector>

namespace kvcache::run {

/// Throws InputError "<what> '<path>' is not a directory".
void requireDirectory(const std::string &path, const char *what);

/// The function --entry names, or the bundle's only one.
const runtime::ManifestFunction &
selectFunction(const runtime::Manifest &manifest, const RunOptions &options);

/// Reads and checks one .npy per argument of `function` from `inputsDir`,
/// then the cache inputs' consistency unless `cacheChecks` is off. A
/// workspace of static shape whose file is absent is zeros; with
/// `workspacesAreZero` (GPU runs) every workspace is, file or not.
std::vector<runtime::Array>
loadArguments(const runtime::ManifestFunction &function,
              const std::string &inputsDir, bool workspacesAreZero,
              bool cacheChecks = true);

/// Throws InputError with the fault a call's guards latched (a layer or
/// page id out of range, include/kvcache/Runtime/InputFault.h), if any.
void checkInputFault(const runtime::ManifestFunction &function);

/// Creates --outputs' directory; throws InputError when it cannot.
void createOutputDirectory(const std::string &outputsDir);

/// Writes every memref argument (or only those named in `only`, when it is
/// not empty) to <outputsDir>/<name>.npy. A name in `only` that is no
/// memref argument of `function` is an InputError, checked before the call.
void checkWriteOnly(const runtime::ManifestFunction &function,
                    const std::vector<std::string> &only);
void writeOutputs(const runtime::ManifestFunction &function,
                  const std::vector<runtime::Array> &arrays,
                  const std::string &outputsDir,
                  const std::vector<std::string> &only);

/// The ordinal of a CUDA --device ("cuda" is 0, "cuda:N" is N); throws
/// InputError for anything else.
int parseCudaOrdinal(const std::string &device);

/// Runs a GPU bundle (a manifest target other than "cpu") on CUDA device
/// `ordinal`, or benchmarks it with --bench.
int runCudaBundle(const runtime::Manifest &manifest,
                  const runtime::ManifestFunction &function,
                  const RunOptions &options, int ordinal);

} // namespace kvcache::run

#endif // KVCACHE_RUN_RUNCOMMON_H
