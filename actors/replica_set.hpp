// replica_set.hpp: the replicas of one operator as the actors that send to it see them.
//
// Who owns what: the deployment creates one replica_set per operator and shares it (read-only)
// with every sender; the outstanding counters are shared atomics that senders increment when
// they assign a request to a replica and the replica decrements when it has answered, so
// least-outstanding balancing sees the load of all senders in this process.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <caf/actor.hpp>

namespace hogar {

/// Requests assigned to each replica of one operator and not yet answered by it.
class replica_loads {
public:
  explicit replica_loads(std::size_t replicas)
    : size_(replicas), counts_(std::make_unique<std::atomic<std::int32_t>[]>(replicas)) {
    for (std::size_t i = 0; i < replicas; ++i)
      counts_[i].store(0, std::memory_order_relaxed);
  }

  std::size_t size() const noexcept { return size_; }

  std::span<const std::atomic<std::int32_t>> counts() const noexcept {
    return {counts_.get(), size_};
  }

  void assigned(std::size_t replica) noexcept {
    counts_[replica].fetch_add(1, std::memory_order_relaxed);
  }

  /// Never below zero: after a rewire a replica answers requests that were counted in the
  /// replica set of an older epoch, and a negative count would draw every request to it.
  void answered(std::size_t replica) noexcept {
    auto& count = counts_[replica];
    auto now = count.load(std::memory_order_relaxed);
    while (now > 0 && !count.compare_exchange_weak(now, now - 1, std::memory_order_relaxed))
      ;
  }

private:
  std::size_t size_;
  std::unique_ptr<std::atomic<std::int32_t>[]> counts_;
};

struct replica_set {
  /// By replica index; a null handle is a replica that died and is not replaced yet.
  std::vector<caf::actor> actors;
  std::shared_ptr<replica_loads> loads;
  /// Stateful operators: the backup of replica 0 (null: none, the state is unprotected).
  caf::actor backup;

  /// Replica `preferred` if it lives, else the next live one after it (recovery routes around
  /// a dead replica); null when none lives.
  const caf::actor* live(std::size_t preferred) const noexcept {
    for (std::size_t k = 0; k < actors.size(); ++k) {
      auto& a = actors[(preferred + k) % actors.size()];
      if (a)
        return &a;
    }
    return nullptr;
  }
};

} // namespace hogar
