// The inspector's views (tools/hogar-inspect/views.hpp) over hand-written snapshots: order,
// figures over replicas, states, the nodes and recoveries views, and names that could break the
// layout.
#include <algorithm>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tools/hogar-inspect/views.hpp"

using nlohmann::json;
namespace inspector = hogar::inspector;

namespace {

/// A 3-node cluster running image-analysis under load after node3 was killed and its replicas
/// were moved (a real snapshot, trimmed: dashboard-node3-dead.json).
const char* const node3_dead = R"json({"node": "node1", "replay_buffer_bytes": 0, "replay_buffer_limit": 1073741824,
 "nodes": [
  {"actor_port": 7701, "cpu_threads": 2, "gpus": 0, "host": "127.0.0.1", "http_port": 8701, "labels": [], "name": "node1", "state": "alive"},
  {"actor_port": 7702, "cpu_threads": 2, "gpus": 0, "host": "127.0.0.1", "http_port": 8702, "labels": [], "name": "node2", "state": "alive"},
  {"actor_port": 7703, "cpu_threads": 2, "gpus": 0, "host": "127.0.0.1", "http_port": 8703, "labels": ["edge"], "name": "node3", "state": "dead"}
 ],
 "graphs": [{"name": "image-analysis", "file": "config/graphs/image-analysis.yaml", "epoch": 6,
  "recoveries_total": 3, "replayed_messages": 0,
  "ingress": {"accepted": 4355, "completed": 4355, "failed": 0, "in_flight": 0, "rejected": 0, "replayed": 0, "timed_out": 0},
  "replicas": [
   {"operator": "resize", "kind": "resize", "replica": 0, "node": "node1", "state": "running", "calls": 4355, "skipped": 0, "failed": 0, "queue_depth": 0, "in_flight": 0, "batches": 0, "batch_size_mean": 0.0, "versions": "", "device": "", "latency_p50_us": 79.0, "latency_p99_us": 1413.8, "throughput_rps": 198.3, "role": ""},
   {"operator": "normalize", "kind": "normalize", "replica": 0, "node": "node2", "state": "running", "calls": 4355, "skipped": 0, "failed": 0, "queue_depth": 0, "in_flight": 0, "batches": 0, "batch_size_mean": 0.0, "versions": "", "device": "", "latency_p50_us": 31.4, "latency_p99_us": 811.0, "throughput_rps": 198.3, "role": ""},
   {"operator": "detector", "kind": "model", "replica": 0, "node": "node2", "state": "running", "calls": 0, "skipped": 0, "failed": 0, "queue_depth": 0, "in_flight": 0, "batches": 0, "batch_size_mean": 0.0, "versions": "detector:1", "device": "cpu", "latency_p50_us": 0.0, "latency_p99_us": 0.0, "throughput_rps": 0.0, "role": ""},
   {"operator": "detector", "kind": "model", "replica": 1, "node": "node1", "state": "running", "calls": 2074, "skipped": 0, "failed": 0, "queue_depth": 0, "in_flight": 0, "batches": 1559, "batch_size_mean": 1.33, "versions": "detector:1", "device": "cpu", "latency_p50_us": 2503.5, "latency_p99_us": 17023.1, "throughput_rps": 93.7, "role": ""},
   {"operator": "car_check", "kind": "classify", "replica": 0, "node": "node2", "state": "running", "calls": 4355, "skipped": 0, "failed": 0, "queue_depth": 0, "in_flight": 0, "batches": 0, "batch_size_mean": 0.0, "versions": "", "device": "", "latency_p50_us": 25.2, "latency_p99_us": 49.9, "throughput_rps": 198.6, "role": ""},
   {"operator": "plate_crop", "kind": "crop", "replica": 0, "node": "node1", "state": "running", "calls": 0, "skipped": 0, "failed": 0, "queue_depth": 0, "in_flight": 0, "batches": 0, "batch_size_mean": 0.0, "versions": "", "device": "", "latency_p50_us": 0.0, "latency_p99_us": 0.0, "throughput_rps": 0.0, "role": ""},
   {"operator": "plate_normalize", "kind": "normalize", "replica": 0, "node": "node1", "state": "running", "calls": 2177, "skipped": 2178, "failed": 0, "queue_depth": 0, "in_flight": 0, "batches": 0, "batch_size_mean": 0.0, "versions": "", "device": "", "latency_p50_us": 33.0, "latency_p99_us": 812.1, "throughput_rps": 99.4, "role": ""},
   {"operator": "plate_reader", "kind": "model", "replica": 0, "node": "node2", "state": "running", "calls": 2177, "skipped": 2178, "failed": 0, "queue_depth": 0, "in_flight": 0, "batches": 1009, "batch_size_mean": 2.16, "versions": "plate_reader:1", "device": "cpu", "latency_p50_us": 12382.8, "latency_p99_us": 38661.5, "throughput_rps": 100.0, "role": ""},
   {"operator": "analysis", "kind": "merge", "replica": 0, "node": "node1", "state": "running", "calls": 0, "skipped": 0, "failed": 0, "queue_depth": 0, "in_flight": 0, "batches": 0, "batch_size_mean": 0.0, "versions": "", "device": "", "latency_p50_us": 0.0, "latency_p99_us": 0.0, "throughput_rps": 0.0, "role": ""}
  ],
  "recoveries": [
   {"backup": false, "detected_unix_ms": 1796055134707, "epoch": 6, "failed_node": "node3", "first_answer_unix_ms": 0, "new_node": "node2", "operator": "detector", "reason": "node node3 was declared dead (heartbeats missed or its connection lost)", "replaced_unix_ms": 1796055134709, "replica": 0},
   {"backup": false, "detected_unix_ms": 1796055134707, "epoch": 4, "failed_node": "node3", "first_answer_unix_ms": 0, "new_node": "node1", "operator": "plate_crop", "reason": "node node3 was declared dead (heartbeats missed or its connection lost)", "replaced_unix_ms": 1796055134707, "replica": 0},
   {"backup": false, "detected_unix_ms": 1796055134707, "epoch": 5, "failed_node": "node3", "first_answer_unix_ms": 0, "new_node": "node1", "operator": "analysis", "reason": "node node3 was declared dead (heartbeats missed or its connection lost)", "replaced_unix_ms": 1796055134707, "replica": 0}
  ]}]})json";

/// A running replica with every figure at zero but those in `extra`.
json replica(const std::string& op, int number, const std::string& node,
             const json& extra = json::object()) {
  json r = {{"operator", op},        {"kind", "identity"},   {"replica", number},
            {"node", node},          {"state", "running"},   {"calls", 0},
            {"skipped", 0},          {"failed", 0},          {"queue_depth", 0},
            {"in_flight", 0},        {"batches", 0},         {"batch_size_mean", 0.0},
            {"versions", ""},        {"device", ""},         {"latency_p50_us", 0.0},
            {"latency_p99_us", 0.0}, {"throughput_rps", 0.0}, {"role", ""},
            {"slo_ms", 0.0}};
  r.update(extra);
  return r;
}

/// A snapshot of one graph "g" on nodes a and b, with these replicas and recoveries.
json snapshot(json replicas, json recoveries = json::array()) {
  json nodes = json::array();
  for (auto name : {"a", "b"})
    nodes.push_back({{"name", name}, {"state", "alive"}, {"host", "10.0.0.1"},
                     {"actor_port", 7701}, {"http_port", 8701}, {"cpu_threads", 4}, {"gpus", 0},
                     {"labels", json::array()}});
  json graph = {{"name", "g"},
                {"file", "g.yaml"},
                {"epoch", 0},
                {"recoveries_total", recoveries.size()},
                {"replayed_messages", 0},
                {"ingress", json::object()},
                {"replicas", std::move(replicas)},
                {"recoveries", std::move(recoveries)}};
  return {{"node", "a"}, {"nodes", nodes}, {"graphs", json::array({graph})}};
}

/// The line of operator `op` in a graph view (the first line that starts with its name).
std::string line_of(const std::vector<std::string>& lines, const std::string& op) {
  for (auto& l : lines)
    if (l.rfind(op + " ", 0) == 0)
      return l;
  return {};
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

bool any_line_has(const std::vector<std::string>& lines, const std::string& part) {
  return std::any_of(lines.begin(), lines.end(), [&](auto& l) { return has(l, part); });
}

/// Where each operator's line is in the view, in the order of `ops`.
std::vector<std::size_t> positions(const std::vector<std::string>& lines,
                                   const std::vector<std::string>& ops) {
  std::vector<std::size_t> at;
  for (auto& op : ops)
    for (std::size_t i = 0; i < lines.size(); ++i)
      if (lines[i].rfind(op + " ", 0) == 0) {
        at.push_back(i);
        break;
      }
  return at;
}

} // namespace

TEST_CASE("the graph view lists a real graph's operators in the order of its file") {
  auto now = json::parse(node3_dead);
  auto lines = inspector::graph_view(now, nullptr, "image-analysis");
  std::vector<std::string> ops{"resize",     "normalize",       "detector",     "car_check",
                               "plate_crop", "plate_normalize", "plate_reader", "analysis"};
  auto at = positions(lines, ops);
  REQUIRE(at.size() == ops.size());
  CHECK(std::is_sorted(at.begin(), at.end()));
  CHECK(has(line_of(lines, "plate_reader"), "plate_reader:1 on cpu"));
  CHECK(has(lines[1], "4355 accepted"));
}

TEST_CASE("operators come after their inputs when the metadata gives the edges") {
  // Written consumers first, as a graph file may be.
  auto now = snapshot({replica("merge", 0, "a"), replica("late", 0, "b"), replica("early", 0, "a"),
                       replica("late", 1, "a")});
  inspector::operator_inputs inputs{
    {"merge", {"early", "late"}}, {"late", {"early"}}, {"early", {"image"}}};
  CHECK(inspector::operator_order(now["graphs"][0]) ==
        std::vector<std::string>{"merge", "late", "early"});
  CHECK(inspector::operator_order(now["graphs"][0], &inputs) ==
        std::vector<std::string>{"early", "late", "merge"});
  auto lines = inspector::graph_view(now, nullptr, "g", &inputs);
  auto at = positions(lines, {"early", "late", "merge"});
  REQUIRE(at.size() == 3);
  CHECK(std::is_sorted(at.begin(), at.end()));
}

TEST_CASE("an operator's line sums req/s, queue and in flight over its replicas and shows the worst p99") {
  auto now = snapshot(
    {replica("detector", 0, "a",
             {{"kind", "model"}, {"throughput_rps", 267.6}, {"latency_p50_us", 2100.0},
              {"latency_p99_us", 9480.0}, {"queue_depth", 3}, {"in_flight", 2}, {"batches", 10},
              {"batch_size_mean", 1.0}, {"versions", "detector:1"}, {"device", "cpu"}}),
     replica("detector", 1, "b",
             {{"kind", "model"}, {"throughput_rps", 246.2}, {"latency_p50_us", 1900.0},
              {"latency_p99_us", 4000.0}, {"queue_depth", 1}, {"in_flight", 5}, {"batches", 30},
              {"batch_size_mean", 3.0}, {"versions", "detector:1"}, {"device", "cpu"}})});
  auto lines = inspector::graph_view(now, nullptr, "g");
  auto line = line_of(lines, "detector");
  INFO(line);
  CHECK(has(line, "513.8"));
  CHECK(has(line, "9.48 ms"));
  CHECK(has(line, "2.10 ms"));
  CHECK(has(line, "     4      7 "));      // queue 3 + 1, in flight 2 + 5
  CHECK(has(line, "   2.5 "));            // (10 x 1 + 30 x 3) / 40 batches
  CHECK(has(line, "a, b"));
  CHECK(has(line, "detector:1 on cpu"));
  // One line per replica under it.
  CHECK(any_line_has(lines, "  #0"));
  CHECK(any_line_has(lines, "  #1"));
}

TEST_CASE("an operator is dead when no replica runs and recovering while one does not") {
  auto now = snapshot({replica("gone", 0, "b", {{"state", "lost"}}),
                       replica("half", 0, "a"), replica("half", 1, "b", {{"state", "unreachable"}}),
                       replica("fine", 0, "a")});
  auto& g = now["graphs"][0];
  CHECK(inspector::operator_state(g, nullptr, "gone") == inspector::health::dead);
  CHECK(inspector::operator_state(g, nullptr, "half") == inspector::health::recovering);
  CHECK(inspector::operator_state(g, nullptr, "fine") == inspector::health::healthy);
  auto lines = inspector::graph_view(now, nullptr, "g");
  CHECK(has(line_of(lines, "gone"), " dead "));
  CHECK(has(line_of(lines, "half"), " recovering "));
  CHECK(any_line_has(lines, "unreachable"));
}

TEST_CASE("an operator whose worst p99 is over its slo_ms is slow, and healthy without one") {
  auto now = snapshot({replica("model", 0, "a", {{"latency_p99_us", 20000.0}, {"slo_ms", 50.0}}),
                       replica("model", 1, "b", {{"latency_p99_us", 60000.0}, {"slo_ms", 50.0}}),
                       replica("quick", 0, "a", {{"latency_p99_us", 20000.0}, {"slo_ms", 50.0}}),
                       replica("no_slo", 0, "a", {{"latency_p99_us", 900000.0}})});
  auto& g = now["graphs"][0];
  CHECK(inspector::operator_state(g, nullptr, "model") == inspector::health::slow);
  CHECK(inspector::operator_state(g, nullptr, "quick") == inspector::health::healthy);
  CHECK(inspector::operator_state(g, nullptr, "no_slo") == inspector::health::healthy);
  CHECK(has(line_of(inspector::graph_view(now, nullptr, "g"), "model"), " slow "));
}

TEST_CASE("failed calls growing between two snapshots make the operator failing") {
  auto before = snapshot({replica("op", 0, "a", {{"calls", 100}, {"failed", 5}, {"skipped", 0}}),
                          replica("steady", 0, "a", {{"calls", 100}, {"failed", 5}})});
  auto now = snapshot({replica("op", 0, "a", {{"calls", 200}, {"failed", 30}, {"skipped", 100}}),
                       replica("steady", 0, "a", {{"calls", 200}, {"failed", 5}})});
  auto& g = now["graphs"][0];
  auto& then = before["graphs"][0];
  CHECK(inspector::operator_state(g, &then, "op") == inspector::health::failing);
  CHECK(inspector::operator_state(g, &then, "steady") == inspector::health::healthy);
  // Without an earlier snapshot failures cannot be seen growing.
  CHECK(inspector::operator_state(g, nullptr, "op") == inspector::health::healthy);
  auto lines = inspector::graph_view(now, &before, "g");
  auto line = line_of(lines, "op");
  INFO(line);
  CHECK(has(line, " failing "));
  // Since the last refresh: 100 calls, 25 failed, 100 skipped.
  CHECK(has(line, " 50.0%  25.0% "));
  // Cumulative without one: 200 calls, 30 failed, 100 skipped.
  CHECK(has(line_of(inspector::graph_view(now, nullptr, "g"), "op"), " 33.3%  15.0% "));
}

TEST_CASE("the nodes view lists each node's replicas and what was moved away from a dead one") {
  auto lines = inspector::nodes_view(json::parse(node3_dead));
  std::string text;
  for (auto& l : lines)
    text += l + "\n";
  INFO(text);
  CHECK(has(text, "NODE node1 (this node)  alive  127.0.0.1:7701 (actor), 127.0.0.1:8701 (http)"));
  CHECK(has(text, "NODE node3  dead"));
  CHECK(has(text, "labels: edge"));
  CHECK(has(text, "image-analysis/detector#1"));
  CHECK(has(text, "image-analysis/detector#0"));
  // node3 hosts nothing now; its three replicas went to node1 and node2.
  auto node3 = text.substr(text.find("NODE node3"));
  CHECK(has(node3, "hosts no replica"));
  CHECK(has(node3, "moved away after it failed (3)"));
  CHECK(has(node3, "image-analysis/detector#0 -> node2"));
  CHECK(has(node3, "image-analysis/plate_crop#0 -> node1"));
  CHECK(has(node3, "image-analysis/analysis#0 -> node1"));
  CHECK(!has(text.substr(0, text.find("NODE node3")), "moved away"));
}

TEST_CASE("the recoveries view shows how long each replacement took or that it is waiting") {
  auto now = json::parse(node3_dead);
  auto& rec = now["graphs"][0]["recoveries"];
  rec[1]["first_answer_unix_ms"] = rec[1]["detected_unix_ms"].get<std::int64_t>() + 40;
  rec.push_back({{"operator", "cache"}, {"replica", 0}, {"failed_node", "node2"},
                 {"reason", "it crashed"}, {"detected_unix_ms", 1796055140000},
                 {"replaced_unix_ms", 0}, {"first_answer_unix_ms", 0}, {"backup", true},
                 {"new_node", ""}, {"epoch", 6}});
  auto lines = inspector::recoveries_view(now);
  std::string text;
  for (auto& l : lines)
    text += l + "\n";
  INFO(text);
  CHECK(has(lines[0], "GRAPH image-analysis: epoch 6, 3 recoveries, 0 messages sent again"));
  auto detector = *std::find_if(lines.begin(), lines.end(), [](auto& l) { return has(l, "detector#0"); });
  CHECK(has(detector, "node3      -> node2"));
  CHECK(has(detector, "replaced after 2 ms"));
  CHECK(has(detector, "first answer: waiting"));
  CHECK(has(detector, "primary"));
  CHECK(has(detector, "node node3 was declared dead"));
  CHECK(has(text, "first answer after 40 ms"));
  auto cache = *std::find_if(lines.begin(), lines.end(), [](auto& l) { return has(l, "cache#0"); });
  CHECK(has(cache, "not replaced yet"));
  CHECK(has(cache, "backup"));
}

TEST_CASE("names with quotes, percent signs and newlines keep one line and the columns") {
  std::string odd = "say \"hi\" 100%\nthen\tmore";
  auto now = snapshot({replica(odd, 0, "a", {{"kind", "model"}}), replica("plain", 0, "a\nb")},
                      json::array({{{"operator", odd}, {"replica", 0}, {"failed_node", "a\nb"},
                                    {"reason", "lost\nline"}, {"detected_unix_ms", 1000},
                                    {"replaced_unix_ms", 1005}, {"first_answer_unix_ms", 0},
                                    {"backup", false}, {"new_node", "a"}, {"epoch", 1}}}));
  now["nodes"][0]["labels"] = json::array({"zone=\"x\"\n%s"});
  now["graphs"][0]["name"] = "g\n%n";
  std::vector<std::vector<std::string>> views{inspector::graph_view(now, nullptr, "g\n%n"),
                                              inspector::nodes_view(now),
                                              inspector::recoveries_view(now)};
  for (auto& lines : views)
    for (auto& l : lines) {
      INFO(l);
      CHECK(l.find('\n') == std::string::npos);
      CHECK(l.find('\t') == std::string::npos);
    }
  auto& graph = views[0];
  CHECK(has(graph[0], "GRAPH g\\n%n"));
  // The KIND column starts at the same place on the header and on every operator's line.
  auto header = *std::find_if(graph.begin(), graph.end(), [](auto& l) { return l.rfind("OPERATOR", 0) == 0; });
  auto kind_at = header.find("KIND");
  auto odd_line = *std::find_if(graph.begin(), graph.end(), [](auto& l) { return l.rfind("say", 0) == 0; });
  INFO(odd_line);
  CHECK(has(odd_line, "say \"hi\" 100%\\nthen\\tmore"));
  CHECK(odd_line.substr(kind_at, 5) == "model");
  CHECK(line_of(graph, "plain").substr(kind_at, 8) == "identity");
  CHECK(any_line_has(views[1], "labels: zone=\"x\"\\n%s"));
  CHECK(any_line_has(views[1], "g\\n%n/say"));
  CHECK(any_line_has(views[2], "lost\\nline"));
}

TEST_CASE("a long operator name is cut so the columns after it stay in place") {
  std::string name(80, 'x');
  auto lines = inspector::graph_view(snapshot({replica(name, 0, "a"), replica("y", 0, "a")}), nullptr, "g");
  auto header = *std::find_if(lines.begin(), lines.end(), [](auto& l) { return l.rfind("OPERATOR", 0) == 0; });
  auto kind_at = header.find("KIND");
  CHECK(kind_at < 40);
  auto cut = *std::find_if(lines.begin(), lines.end(), [](auto& l) { return l.rfind("xxx", 0) == 0; });
  CHECK(cut.substr(kind_at - 2, 1) == "~");
  CHECK(cut.substr(kind_at, 8) == "identity");
}

TEST_CASE("an unknown graph and an empty cluster say so") {
  auto now = snapshot(json::array());
  CHECK(has(inspector::graph_view(now, nullptr, "other").front(), "graph 'other' is not deployed"));
  CHECK(has(inspector::recoveries_view(now)[1], "no recovery"));
  CHECK(has(inspector::recoveries_view(json::object()).front(), "no graph deployed"));
}
