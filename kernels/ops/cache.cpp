#include "kernels/ops/cache.hpp"

#include <chrono>
#include <cmath>
#include <list>
#include <string>
#include <unordered_map>

#include <fmt/format.h>

#include "graph/spec.hpp"
#include "kernels/ops/common.hpp"
#include "kernels/random_tensor.hpp"

namespace hogar::ops {

namespace {

using std::chrono::steady_clock;

class cache_operation final : public guarded_operation {
public:
  cache_operation(std::size_t capacity, std::chrono::nanoseconds ttl)
    : capacity_(capacity), pending_max_(4 * capacity), ttl_(ttl) {}

  void fill(std::uint64_t request_id, const record& value, steady_clock::time_point now) override {
    auto pending = pending_index_.find(request_id);
    if (pending == pending_index_.end())
      return;
    std::uint64_t key = pending->second->key;
    pending_.erase(pending->second);
    pending_index_.erase(pending);

    record stored;
    stored.reserve(value.size());
    for (auto& entry : value)
      if (entry.name != condition_tensor_name)
        stored.push_back(entry);

    if (auto it = index_.find(key); it != index_.end()) {
      it->second->value = std::move(stored);
      it->second->stored_at = now;
      entries_.splice(entries_.begin(), entries_, it->second);
      return;
    }
    entries_.push_front({key, std::move(stored), now});
    index_.emplace(key, entries_.begin());
    while (entries_.size() > capacity_) {
      index_.erase(entries_.back().key);
      entries_.pop_back();
    }
  }

protected:
  result<op_output> compute(const op_call& call) override {
    std::uint64_t key = 0xcac4ecac4eULL;
    for (auto& input : call.inputs)
      key = splitmix64{key ^ (input ? content_hash(*input) : 0xab5e47ab5e47ULL)}.next();

    op_output out;
    if (auto it = index_.find(key); it != index_.end()) {
      if (ttl_.count() > 0 && call.now - it->second->stored_at >= ttl_) {
        entries_.erase(it->second);
        index_.erase(it);
      } else {
        entries_.splice(entries_.begin(), entries_, it->second);
        out.value.reserve(it->second->value.size() + 1);
        out.value.insert(out.value.end(), it->second->value.begin(),
                         it->second->value.end());
        out.value.push_back({std::string{condition_tensor_name}, tensor::scalar<bool>(true)});
        return out;
      }
    }
    remember_miss(call.request_id, key);
    out.value.push_back({std::string{condition_tensor_name}, tensor::scalar<bool>(false)});
    return out;
  }

private:
  struct entry {
    std::uint64_t key;
    record value;
    steady_clock::time_point stored_at;
  };
  struct miss {
    std::uint64_t request_id;
    std::uint64_t key;
  };

  void remember_miss(std::uint64_t request_id, std::uint64_t key) {
    if (auto it = pending_index_.find(request_id); it != pending_index_.end()) {
      // A replayed request: keep its newest key, as the newest miss.
      it->second->key = key;
      pending_.splice(pending_.end(), pending_, it->second);
      return;
    }
    pending_.push_back({request_id, key});
    pending_index_.emplace(request_id, std::prev(pending_.end()));
    while (pending_.size() > pending_max_) {
      pending_index_.erase(pending_.front().request_id);
      pending_.pop_front();
    }
  }

  std::size_t capacity_;
  std::size_t pending_max_;
  /// 0: entries never expire.
  std::chrono::nanoseconds ttl_;
  /// Most recently used first.
  std::list<entry> entries_;
  std::unordered_map<std::uint64_t, std::list<entry>::iterator> index_;
  /// Misses waiting for fill(), oldest first.
  std::list<miss> pending_;
  std::unordered_map<std::uint64_t, std::list<miss>::iterator> pending_index_;
};

} // namespace

result<std::unique_ptr<operation>> make_cache(const graph::operator_spec& spec) {
  graph::param_reader params{spec};
  if (params.get_string("fill_from").empty())
    return param_error(spec, "fill_from", "must name the operator whose output is cached");
  auto capacity = params.get_int("capacity");
  if (capacity < 1)
    return param_error(spec, "capacity", fmt::format("must be at least 1, got {}", capacity));
  double ttl_ms = params.get_number("ttl_ms");
  if (!(ttl_ms >= 0) || !std::isfinite(ttl_ms))
    return param_error(spec, "ttl_ms", fmt::format("must be a finite value >= 0, got {}", ttl_ms));
  auto ttl = std::chrono::duration_cast<std::chrono::nanoseconds>(
    std::chrono::duration<double, std::milli>(ttl_ms));
  return std::unique_ptr<operation>{
    std::make_unique<cache_operation>(static_cast<std::size_t>(capacity), ttl)};
}

result<record_signature> cache_signature(const signature_call& call) {
  record_signature out;
  if (call.filled)
    for (auto& t : call.filled->tensors)
      if (t.name != condition_tensor_name) {
        out.tensors.push_back(t);
        out.tensors.back().optional = true;
      }
  out.tensors.push_back({std::string{condition_tensor_name}, dtype::boolean, {}, false});
  return out;
}

} // namespace hogar::ops
