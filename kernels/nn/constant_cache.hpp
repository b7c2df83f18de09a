// constant_cache.hpp: what kernels derive once from a constant (weights reordered into oneDNN's
// layout, transformed for Winograd, packed for the AVX2 product), shared by every kernel that
// derives the same thing from the same constant: the plans of one model for different batch
// sizes, and the variants of one kernel, keep one copy between them.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "kernels/tensor.hpp"

namespace hogar::nn {

/// The value `make()` derives from `constant` the way `how` says (compared with ==), made once
/// and shared while any kernel holds it. Keyed by the constant's storage: every kernel keeps
/// the constant it was bound to (shared storage), so an address is not reused while an entry
/// for it can still match. Each call site (its Make type) has its own entries.
template <class Value, class How, class Make>
std::shared_ptr<Value> shared_derivation(const tensor& constant, const How& how, Make&& make) {
  struct entry {
    const char* data;
    How how;
    std::weak_ptr<Value> value;
  };
  static std::mutex mutex;
  static std::vector<entry> entries;
  const char* data = constant.bytes().data();
  std::lock_guard lock{mutex};
  std::erase_if(entries, [](const entry& e) { return e.value.expired(); });
  for (auto& e : entries)
    if (e.data == data && e.how == how)
      if (auto shared = e.value.lock())
        return shared;
  std::shared_ptr<Value> value = make();
  entries.push_back({data, how, value});
  return value;
}

} // namespace hogar::nn
