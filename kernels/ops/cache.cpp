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

  void fill(std::uint64_t request_id, std::size_t, const record& value,
            steady_clock::time_point now) override {
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

  /// {"keys": int64 [n] most recently used first, "ages_ns": int64 [n], "pending": int64
  /// [m, 2] (request id, key) oldest first, and each entry's tensors as "entry.I.NAME"}.
  record save_state(steady_clock::time_point now) const override {
    record state;
    std::vector<std::int64_t> keys, ages, pending;
    std::size_t i = 0;
    for (auto& e : entries_) {
      keys.push_back(static_cast<std::int64_t>(e.key));
      ages.push_back((now - e.stored_at).count());
      for (auto& t : e.value)
        state.push_back({fmt::format("entry.{}.{}", i, t.name), t.value});
      ++i;
    }
    for (auto& m : pending_) {
      pending.push_back(static_cast<std::int64_t>(m.request_id));
      pending.push_back(static_cast<std::int64_t>(m.key));
    }
    auto n = static_cast<std::int64_t>(keys.size());
    state.push_back({"keys", tensor::from_values<std::int64_t>({n}, keys)});
    state.push_back({"ages_ns", tensor::from_values<std::int64_t>({n}, ages)});
    state.push_back({"pending", tensor::from_values<std::int64_t>(
                                  {static_cast<std::int64_t>(pending_.size()), 2}, pending)});
    return state;
  }

  result<bool> load_state(const record& state, steady_clock::time_point now) override {
    auto* keys = find_tensor(state, "keys");
    auto* ages = find_tensor(state, "ages_ns");
    auto* pending = find_tensor(state, "pending");
    if (keys == nullptr || ages == nullptr || pending == nullptr || keys->type() != dtype::int64
        || ages->type() != dtype::int64 || pending->type() != dtype::int64
        || keys->element_count() != ages->element_count() || pending->element_count() % 2 != 0)
      return fail(errc::invalid_argument,
                  "a cache's state has int64 tensors keys, ages_ns [n] and pending [m, 2]");
    std::vector<record> values(keys->values<std::int64_t>().size());
    for (auto& t : state) {
      if (t.name.rfind("entry.", 0) != 0)
        continue;
      auto dot = t.name.find('.', 6);
      std::size_t i = 0;
      auto digits = t.name.substr(6, dot == std::string::npos ? std::string::npos : dot - 6);
      try {
        i = std::stoul(digits);
      } catch (const std::exception&) {
        return fail(errc::invalid_argument, fmt::format("cache state: bad tensor '{}'", t.name));
      }
      if (dot == std::string::npos || i >= values.size())
        return fail(errc::invalid_argument, fmt::format("cache state: bad tensor '{}'", t.name));
      values[i].push_back({t.name.substr(dot + 1), t.value});
    }
    entries_.clear();
    index_.clear();
    pending_.clear();
    pending_index_.clear();
    auto k = keys->values<std::int64_t>();
    auto a = ages->values<std::int64_t>();
    for (std::size_t i = 0; i < k.size() && entries_.size() < capacity_; ++i) {
      auto key = static_cast<std::uint64_t>(k[i]);
      if (index_.count(key) > 0)
        continue;
      entries_.push_back({key, std::move(values[i]), now - std::chrono::nanoseconds{a[i]}});
      index_.emplace(key, std::prev(entries_.end()));
    }
    auto p = pending->values<std::int64_t>();
    for (std::size_t i = 0; i + 1 < p.size(); i += 2)
      remember_miss(static_cast<std::uint64_t>(p[i]), static_cast<std::uint64_t>(p[i + 1]));
    return true;
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
