// placement.hpp: which node hosts each replica of each operator.
//
// A replica may only go to a node that has every label its operator asks for and a GPU left
// when it needs one; among those, the node with the fewest replicas of the same operator wins
// (replicas of one operator spread over nodes), then the node with the least work per CPU
// thread. Plain data in, plain data out: the daemon feeds it the alive members.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace hogar::scheduling {

struct node_capacity {
  std::string name;
  std::uint32_t cpu_threads = 1;
  std::uint32_t gpus = 0;
  std::vector<std::string> labels;
};

struct replica_demand {
  std::string op;
  std::uint32_t replicas = 1;
  std::uint32_t gpus_per_replica = 0;
  std::vector<std::string> labels;
};

/// For each demand, for each replica, the index of its node in `nodes`; or an error naming
/// the operator that fits nowhere and what the nodes offer.
result<std::vector<std::vector<std::size_t>>> place(const std::vector<node_capacity>& nodes,
                                                    const std::vector<replica_demand>& demands);

} // namespace hogar::scheduling
