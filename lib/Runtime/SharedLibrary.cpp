//===- SharedLibrary.cpp - A dlopen'ed library ----------------------------===//

#include "kvcache/Runtime/SharedLibrary.h"
#include "kvcache/Runtime/Error.h"

#include <dlfcn.h>
#include <utility>

namespace kvcache::runtime {

SharedLibrary SharedLibrary::open(const std::string &path) {
  // dlopen searches the library path for a name without '/'; a bundle's
  // library is always the file in the bundle.
  std::string resolved =
      path.find('/') == std::string::npos ? "./" + path : path;
  dlerror();
  void *handle = dlopen(resolved.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *message = dlerror();
    throw BundleError("cannot load '" + path +
                      "': " + (message ? message : "unknown dlopen error"));
  }
  return SharedLibrary(handle, path);
}

SharedLibrary::SharedLibrary(SharedLibrary &&other) noexcept
    : handle(std::exchange(other.handle, nullptr)),
      libraryPath(std::move(other.libraryPath)) {}

SharedLibrary &SharedLibrary::operator=(SharedLibrary &&other) noexcept {
  if (this != &other) {
    if (handle)
      dlclose(handle);
    handle = std::exchange(other.handle, nullptr);
    libraryPath = std::move(other.libraryPath);
  }
  return *this;
}

SharedLibrary::~SharedLibrary() {
  if (handle)
    dlclose(handle);
}

void *SharedLibrary::lookup(const std::string &symbol) const {
  return dlsym(handle, symbol.c_str());
}

} // namespace kvcache::runtime
