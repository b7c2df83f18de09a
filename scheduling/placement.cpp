#include "scheduling/placement.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace hogar::scheduling {

namespace {

bool has_labels(const node_capacity& node, const std::vector<std::string>& wanted) {
  for (auto& label : wanted)
    if (std::find(node.labels.begin(), node.labels.end(), label) == node.labels.end())
      return false;
  return true;
}

std::string describe(const std::vector<node_capacity>& nodes,
                     const std::vector<std::uint32_t>& free_gpus) {
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    parts.push_back(fmt::format("{} ({} free GPU{}, labels: {})", nodes[i].name, free_gpus[i],
                                free_gpus[i] == 1 ? "" : "s",
                                nodes[i].labels.empty() ? "none"
                                                        : fmt::format("{}", fmt::join(nodes[i].labels, ", "))));
  return fmt::format("{}", fmt::join(parts, "; "));
}

} // namespace

result<std::vector<std::vector<std::size_t>>> place(const std::vector<node_capacity>& nodes,
                                                    const std::vector<replica_demand>& demands) {
  if (nodes.empty())
    return fail(errc::unavailable, "no alive node to place the graph on");
  std::vector<std::uint32_t> free_gpus;
  for (auto& n : nodes)
    free_gpus.push_back(n.gpus);
  std::vector<double> work(nodes.size(), 0.0);
  std::vector<std::vector<std::size_t>> result;
  for (auto& demand : demands) {
    std::vector<std::uint32_t> same_op(nodes.size(), 0);
    auto& chosen = result.emplace_back();
    for (std::uint32_t r = 0; r < demand.replicas; ++r) {
      std::size_t best = nodes.size();
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (!has_labels(nodes[i], demand.labels) || free_gpus[i] < demand.gpus_per_replica)
          continue;
        if (best == nodes.size() || same_op[i] < same_op[best]
            || (same_op[i] == same_op[best] && work[i] < work[best]))
          best = i;
      }
      if (best == nodes.size()) {
        std::string needs;
        if (demand.gpus_per_replica > 0)
          needs = fmt::format("{} GPU{} per replica", demand.gpus_per_replica,
                              demand.gpus_per_replica == 1 ? "" : "s");
        if (!demand.labels.empty())
          needs += fmt::format("{}labels {}", needs.empty() ? "" : " and ",
                               fmt::join(demand.labels, ", "));
        return fail(errc::unavailable,
                    fmt::format("operator '{}' replica {}: no alive node offers {} (nodes: {})",
                                demand.op, r, needs.empty() ? "room" : needs,
                                describe(nodes, free_gpus)));
      }
      chosen.push_back(best);
      ++same_op[best];
      free_gpus[best] -= demand.gpus_per_replica;
      work[best] += 1.0 / std::max<std::uint32_t>(nodes[best].cpu_threads, 1);
    }
  }
  return result;
}

} // namespace hogar::scheduling
