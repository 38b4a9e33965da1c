//===- kvcache-run.cpp - Run compiled kvcache bundles ---------------------===//
//
// Runs a function of a bundle that kvcache-compile wrote, on .npy inputs, or
// generates such inputs with the paged-cache manager. See `--help`.
//
// Exit codes say whose problem a failure is: 1 for bad input or usage (the
// user's), 2 for a broken bundle, a failed device call or an internal error
// (the compiler's or ours), 77 for a valid bundle this machine cannot run
// (no CUDA device).
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "Options.h"

#include "kvcache/Runtime/Error.h"

#include <iostream>
#include <new>

using namespace kvcache;

int main(int argc, char **argv) {
  run::CommandLine commandLine;
  try {
    commandLine = run::parseCommandLine(argc, argv);
  } catch (const runtime::InputError &error) {
    std::cerr << "kvcache-run: error: " << error.what()
              << "\nrun 'kvcache-run --help' for usage\n";
    return run::kExitBadInput;
  }
  try {
    switch (commandLine.mode) {
    case run::CommandLine::Mode::Help:
      std::cout << run::usage();
      return run::kExitSuccess;
    case run::CommandLine::Mode::Run:
      return run::runBundle(commandLine.run);
    case run::CommandLine::Mode::Generate:
      return run::generateInputs(commandLine.generate);
    case run::CommandLine::Mode::CopyBandwidth:
      return run::measureCopyBandwidth(commandLine.copyBandwidth);
    }
  } catch (const runtime::InputError &error) {
    std::cerr << "kvcache-run: error: " << error.what() << "\n";
    return run::kExitBadInput;
  } catch (const runtime::BundleError &error) {
    std::cerr << "kvcache-run: bundle error: " << error.what() << "\n";
    return run::kExitBundleOrInternal;
  } catch (const runtime::DeviceUnavailableError &error) {
    std::cerr << "kvcache-run: no CUDA device: " << error.what() << "\n";
    return run::kExitUnsupported;
  } catch (const runtime::DeviceError &error) {
    std::cerr << "kvcache-run: device error: " << error.what() << "\n";
    return run::kExitBundleOrInternal;
  } catch (const std::bad_alloc &) {
    std::cerr << "kvcache-run: internal error: out of memory\n";
    return run::kExitBundleOrInternal;
  } catch (const std::exception &error) {
    std::cerr << "kvcache-run: internal error: " << error.what() << "\n";
    return run::kExitBundleOrInternal;
  }
  return run::kExitBundleOrInternal;
}
