//===- InputFault.cpp - Faults a bundle found in its inputs ---------------===//
//
// kvcache_runtime_raise lives in the same file as takeInputFault on purpose:
// a program that takes faults links this object, and with it the hook that
// its bundles call (it must export it, as kvcache-run's dynamic list does).
//
//===----------------------------------------------------------------------===//

#include "kvcache/Runtime/InputFault.h"

#include <utility>

using namespace kvcache;
using namespace kvcache::runtime;

namespace {
/// Per thread: a call's host code raises on the thread that calls the entry
/// (CPU bundles run their loops there, GPU host code reads the fault word
/// there), so calls on two threads keep their faults apart.
thread_local std::optional<InputFault> latched;
} // namespace

std::string InputFault::message() const {
  switch (fault) {
  case abi::Fault::LayerOutOfRange:
    return "layer " + std::to_string(a) + " is out of range: the cache has " +
           std::to_string(b) +
           " layers (kv_blocks dim 2); the op touched no "
           "memory";
  case abi::Fault::PageOutOfRange: {
    if (a < 0)
      return "kv_blocks has no pages (total_num_pages, dim 0, is " +
             std::to_string(d) +
             ") but the batch has keys to store or read; the op touched no "
             "memory";
    std::string text = "lookup_table gives request " + std::to_string(a) +
                       " at position " + std::to_string(b) + " page id ";
    text += c >= 0 ? std::to_string(c) : std::string("(unknown)");
    text += ", past the pool's last page: total_num_pages (kv_blocks dim 0) ";
    text += d >= 0 ? "is " + std::to_string(d) : std::string("bounds it");
    return text + "; keys of such a page contribute nothing";
  }
  }
  return "fault " + std::to_string(static_cast<int32_t>(fault)) +
         " (unknown to this runtime) with arguments " + std::to_string(a) +
         ", " + std::to_string(b) + ", " + std::to_string(c) + ", " +
         std::to_string(d);
}

void kvcache::runtime::latchInputFault(const InputFault &fault) {
  // Page faults keep the smallest (request, position), whoever found it
  // first: what a GPU call's fault word keeps too.
  bool smallerPage =
      latched && latched->fault == abi::Fault::PageOutOfRange &&
      fault.fault == abi::Fault::PageOutOfRange &&
      std::make_pair(fault.a, fault.b) < std::make_pair(latched->a, latched->b);
  if (!latched || smallerPage)
    latched = fault;
}

std::optional<InputFault> kvcache::runtime::takeInputFault() {
  std::optional<InputFault> taken = latched;
  latched.reset();
  return taken;
}

extern "C" __attribute__((visibility("default"))) void
kvcache_runtime_raise(int32_t fault, int64_t a, int64_t b, int64_t c,
                      int64_t d) {
  latchInputFault({static_cast<abi::Fault>(fault), a, b, c, d});
}
