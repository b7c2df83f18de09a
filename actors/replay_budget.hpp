// replay_budget.hpp: the bytes a node keeps so that requests survive a failure (ARG).
//
// Every ingress keeps the inputs of its requests in flight, and every operator replica keeps
// the messages it sent downstream until they are acknowledged (actors/edge_ledger.hpp). All of
// them hold their bytes against one limit per node (`replay-buffer-bytes`); when it is reached
// the ingresses shed new requests (503) instead of letting the buffers grow.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>

namespace hogar {

/// The bytes a node keeps for replay, against one limit (replay-buffer-bytes).
struct replay_budget {
  explicit replay_budget(std::size_t limit) : limit(limit) {}
  const std::size_t limit;
  std::atomic<std::int64_t> used{0};
};

/// Bytes held against a replay_budget; given back when the holder is destroyed or
/// reassigned, whichever way the request or message leaves.
class replay_hold {
public:
  replay_hold() = default;
  replay_hold(std::shared_ptr<replay_budget> budget, std::int64_t bytes)
    : budget_(std::move(budget)), bytes_(bytes) {
    budget_->used.fetch_add(bytes_, std::memory_order_relaxed);
  }
  replay_hold(replay_hold&& other) noexcept
    : budget_(std::move(other.budget_)), bytes_(std::exchange(other.bytes_, 0)) {}
  replay_hold& operator=(replay_hold&& other) noexcept {
    release();
    budget_ = std::move(other.budget_);
    bytes_ = std::exchange(other.bytes_, 0);
    return *this;
  }
  ~replay_hold() { release(); }

private:
  void release() {
    if (budget_)
      budget_->used.fetch_sub(bytes_, std::memory_order_relaxed);
    budget_ = nullptr;
    bytes_ = 0;
  }

  std::shared_ptr<replay_budget> budget_;
  std::int64_t bytes_ = 0;
};

} // namespace hogar
