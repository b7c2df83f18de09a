#include "scheduling/placement.hpp"

#include <algorithm>

#include <doctest/doctest.h>

using namespace hogar::scheduling;

namespace {

std::vector<node_capacity> three_nodes() {
  return {{"node1", 4, 0, {}}, {"node2", 4, 1, {"gpu"}}, {"node3", 4, 0, {"ssd"}}};
}

} // namespace

TEST_CASE("the replicas of one operator are spread over the nodes") {
  auto placed = place(three_nodes(), {{"detector", 3, 0, {}}});
  REQUIRE(placed.has_value());
  auto nodes = (*placed)[0];
  std::sort(nodes.begin(), nodes.end());
  CHECK(nodes == std::vector<std::size_t>{0, 1, 2});
}

TEST_CASE("labels and GPUs restrict where a replica goes") {
  auto placed = place(three_nodes(), {{"ocr", 1, 1, {}}, {"db", 2, 0, {"ssd"}}});
  REQUIRE(placed.has_value());
  CHECK((*placed)[0] == std::vector<std::size_t>{1});
  CHECK((*placed)[1] == std::vector<std::size_t>{2, 2});
}

TEST_CASE("an operator that fits nowhere is named with what the nodes offer") {
  auto placed = place(three_nodes(), {{"big", 2, 1, {}}});
  REQUIRE_FALSE(placed.has_value());
  CHECK(placed.error().message
        == "operator 'big' replica 1: no alive node offers 1 GPU per replica (nodes: node1 (0 "
           "free GPUs, labels: none); node2 (0 free GPUs, labels: gpu); node3 (0 free GPUs, "
           "labels: ssd))");
}

TEST_CASE("work spreads over nodes by load per CPU thread") {
  std::vector<node_capacity> nodes{{"small", 1, 0, {}}, {"large", 8, 0, {}}};
  auto placed = place(nodes, {{"a", 1, 0, {}}, {"b", 1, 0, {}}, {"c", 1, 0, {}}});
  REQUIRE(placed.has_value());
  // After the first replica lands on `small` (index order breaks the tie), the others prefer
  // the node with less work per thread.
  CHECK((*placed)[0][0] == 0);
  CHECK((*placed)[1][0] == 1);
  CHECK((*placed)[2][0] == 1);
}
