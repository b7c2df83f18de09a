// plan_cache.hpp: an executor's compiled plans, one per set of input shapes. A batch of a
// shape seen before finds its plan without allocating; the least recently used plan goes when
// the cache is full (each holds bound kernels and, on the GPU, device memory).
#pragma once

#include <algorithm>
#include <list>
#include <span>
#include <utility>
#include <vector>

#include "kernels/tensor.hpp"

namespace hogar::onnx {

template <class Compiled>
class plan_cache {
public:
  explicit plan_cache(std::size_t capacity) : capacity_(std::max<std::size_t>(1, capacity)) {}

  /// The plan for the shapes of `inputs`, now the most recently used; null when there is none.
  Compiled* find(std::span<const tensor> inputs) {
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      bool same = it->first.size() == inputs.size();
      for (std::size_t i = 0; same && i < inputs.size(); ++i)
        same = it->first[i] == inputs[i].shape();
      if (same) {
        entries_.splice(entries_.begin(), entries_, it);
        return &entries_.front().second;
      }
    }
    return nullptr;
  }

  /// Keeps `compiled` as the plan for the shapes of `inputs`.
  Compiled& insert(std::span<const tensor> inputs, Compiled compiled) {
    std::vector<shape_t> shapes;
    for (auto& t : inputs)
      shapes.push_back(t.shape());
    entries_.emplace_front(std::move(shapes), std::move(compiled));
    if (entries_.size() > capacity_)
      entries_.pop_back();
    return entries_.front().second;
  }

  void clear() { entries_.clear(); }

private:
  std::size_t capacity_;
  std::list<std::pair<std::vector<shape_t>, Compiled>> entries_;
};

} // namespace hogar::onnx
