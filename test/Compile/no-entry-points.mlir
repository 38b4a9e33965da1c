// A bundle without an entry point is useless to a runtime.
// RUN: not kvcache-compile %s --target=cpu -o %t 2>&1 | FileCheck %s

// CHECK: error: the module has no public function with a body; a bundle's entry points are its public functions
func.func private @helper() {
  return
}
func.func private @declared(%a: index)
