//===- GenerateInputs.cpp - Write generated inputs as .npy files ----------===//

#include "Commands.h"

#include "kvcache/Runtime/Error.h"
#include "kvcache/Runtime/Npy.h"

#include <filesystem>
#include <iostream>

namespace kvcache::run {

using namespace kvcache::runtime;
namespace fs = std::filesystem;

int generateInputs(const GenerateOptions &options) {
  std::vector<NamedArray> inputs = generateStepInputs(options.generator);
  std::error_code error;
  fs::create_directories(options.outputDir, error);
  if (error || !fs::is_directory(options.outputDir))
    throw InputError("--generate '" + options.outputDir +
                     "': cannot create the directory" +
                     (error ? ": " + error.message() : std::string()));
  for (const NamedArray &input : inputs)
    writeNpy((fs::path(options.outputDir) / (input.name + ".npy")).string(),
             input.array);
  std::cout << "wrote " << inputs.size() << " arrays to " << options.outputDir
            << "\n";
  return kExitSuccess;
}

} // namespace kvcache::run
