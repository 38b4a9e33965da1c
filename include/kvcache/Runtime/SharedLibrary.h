//===- SharedLibrary.h - A dlopen'ed library --------------------*- C++ -*-===//
//
// Owns a dlopen handle: a bundle's libkernels.so stays loaded while its entry
// points may be called, and is closed when the handle goes away.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUNTIME_SHAREDLIBRARY_H
#define KVCACHE_RUNTIME_SHAREDLIBRARY_H

#include <string>

namespace kvcache::runtime {

class SharedLibrary {
public:
  /// dlopens `path` with every symbol bound now (RTLD_NOW), so that an
  /// unresolved symbol is reported here rather than in the middle of a call.
  /// Throws BundleError with dlerror's text.
  static SharedLibrary open(const std::string &path);

  SharedLibrary(SharedLibrary &&other) noexcept;
  SharedLibrary &operator=(SharedLibrary &&other) noexcept;
  SharedLibrary(const SharedLibrary &) = delete;
  SharedLibrary &operator=(const SharedLibrary &) = delete;
  ~SharedLibrary();

  /// The address of `symbol`, or null when the library does not define it.
  void *lookup(const std::string &symbol) const;
  const std::string &path() const { return libraryPath; }

private:
  SharedLibrary(void *handle, std::string path)
      : handle(handle), libraryPath(std::move(path)) {}
  void *handle = nullptr;
  std::string libraryPath;
};

} // namespace kvcache::runtime

#endif // KVCACHE_RUNTIME_SHAREDLIBRARY_H
