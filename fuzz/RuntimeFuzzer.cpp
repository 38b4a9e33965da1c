//===- RuntimeFuzzer.cpp - Fuzz kvcache-run's .npy and manifest readers ---===//
//
// The first byte picks the reader; the rest is the file. Readers must reject
// bad input with their own exceptions, never crash or read out of bounds.
//
//===----------------------------------------------------------------------===//

#include "kvcache/Runtime/Error.h"
#include "kvcache/Runtime/Json.h"
#include "kvcache/Runtime/Manifest.h"
#include "kvcache/Runtime/Npy.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  std::string_view bytes(reinterpret_cast<const char *>(data + 1), size - 1);
  try {
    if (data[0] & 1)
      (void)kvcache::runtime::parseNpy(bytes, "fuzz.npy");
    else
      (void)kvcache::runtime::parseManifest(bytes, "manifest.json");
  } catch (const kvcache::runtime::InputError &) {
  } catch (const kvcache::runtime::BundleError &) {
  } catch (const kvcache::runtime::JsonError &) {
  }
  return 0;
}
