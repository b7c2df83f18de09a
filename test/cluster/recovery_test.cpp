// recovery_test.cpp: ARG under real faults. Three daemons on loopback, a graph submitted to
// node1, `hogar load` against node1, and then a fault on another node: kill -9, SIGSTOP, a
// replica that crashes. Every request sent to node1 must be answered exactly once with
// success, and the graph must get its replicas back. And the bad cases: a full replay buffer,
// a poison request, every host of an operator dead, a node hung during a deployment.
#include <csignal>
#include <fstream>
#include <algorithm>
#include <atomic>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "cluster_fixture.hpp"

using namespace hogar::test;
using namespace std::chrono_literals;

namespace {

/// The node (other than node1) that hosts the most replicas of the submitted graph.
std::string busiest_other_node(const std::string& submit_json) {
  auto doc = nlohmann::json::parse(submit_json);
  std::map<std::string, int> count;
  for (auto& p : doc["placement"])
    if (p["node"] != "node1")
      ++count[p["node"].get<std::string>()];
  std::string best;
  for (auto& [node, n] : count)
    if (best.empty() || n > count[best])
      best = node;
  return best;
}

/// A graph file in the temporary folder, removed with the object.
struct temp_graph {
  explicit temp_graph(const std::string& name, const std::string& text)
    : path(std::filesystem::temp_directory_path()
           / (std::to_string(::getpid()) + "_" + name + ".yaml")) {
    std::ofstream{path} << text;
  }
  ~temp_graph() { std::filesystem::remove(path); }
  std::filesystem::path path;
};

std::size_t index_of(const std::string& node) {
  return static_cast<std::size_t>(std::stoi(node.substr(4)) - 1);
}

/// `hogar status GRAPH --json` from node `i`, parsed (null when it fails).
nlohmann::json status(local_cluster& cluster, std::size_t i, const std::string& graph) {
  auto r = cluster.cli("status " + graph + " --json " + cluster[i].cluster());
  if (r.exit_code != 0)
    return nullptr;
  return nlohmann::json::parse(r.out, nullptr, false);
}

/// Whether every replica in a status answer runs on a live node.
bool all_running(const nlohmann::json& doc) {
  if (doc.is_null() || doc.is_discarded())
    return false;
  for (auto& r : doc["replicas"])
    if (r["state"] != "running")
      return false;
  return true;
}

/// Submits config/graphs/image-analysis-simulated.yaml to node1; returns `submit --json`.
const std::string simulated_image_graph = "config/graphs/image-analysis-simulated.yaml";

std::string submit_image_graph(local_cluster& cluster,
                               const std::string& file = simulated_image_graph) {
  auto submit = cluster.cli("submit " + file + " --json " + cluster[0].cluster());
  INFO(submit.err, cluster.logs());
  REQUIRE(submit.exit_code == 0);
  return submit.out;
}

/// `hogar load image-analysis` at 100 requests/s for `seconds` against node `i`, started now
/// in the background; get() gives its parsed --json summary.
std::future<nlohmann::json> load_image_graph(local_cluster& cluster, std::size_t i, int seconds) {
  return std::async(std::launch::async, [&cluster, i, seconds] {
    auto r = cluster.cli("load image-analysis --rate 100 --duration " + std::to_string(seconds)
                         + " --timeout-ms 5000 --json " + cluster[i].cluster());
    INFO(r.err, r.out);
    REQUIRE(r.exit_code <= 1);
    return nlohmann::json::parse(r.out);
  });
}

/// The image graph submitted to node1, `seconds` of load at node1, and `fault` done to the
/// node hosting the most replicas (node1 aside) 1.5 s in. Returns that node and the load's
/// report.
std::pair<std::string, nlohmann::json> fault_under_load(
  local_cluster& cluster, int seconds, const std::function<void(std::size_t)>& fault,
  const std::string& file = simulated_image_graph) {
  auto victim = busiest_other_node(submit_image_graph(cluster, file));
  REQUIRE_FALSE(victim.empty());
  auto load = load_image_graph(cluster, 0, seconds);
  std::this_thread::sleep_for(1500ms);
  fault(index_of(victim));
  return {victim, load.get()};
}

} // namespace

TEST_CASE("kill -9 of a node under load: every request sent to a surviving node is answered "
          "and the replicas come back") {
  local_cluster cluster{3};
  REQUIRE(cluster.converged());
  INFO(cluster.logs());
  auto [victim, doc] = fault_under_load(cluster, 4, [&](std::size_t i) {
    cluster.stop(i, SIGKILL);
  });
  say("killed ", victim, "; ", doc["ok"], " of ", doc["requests"], " answered, p99 ",
          doc["latency_us"]["p99"], " us, max ", doc["latency_us"]["max"], " us");
  CHECK(doc["failed"] == 0);
  CHECK(doc["ok"] == doc["requests"]);
  CHECK(doc["requests"].get<int>() >= 300);
  // The lost replicas run again on the survivors, and status tells what happened.
  CHECK(eventually([&] { return all_running(status(cluster, 0, "image-analysis")); }, 10s));
  auto after = status(cluster, 0, "image-analysis");
  REQUIRE(after.is_object());
  INFO(after.dump(2));
  CHECK(after["epoch"].get<int>() >= 2);
  REQUIRE(after["recoveries"].size() >= 1);
  for (auto& rec : after["recoveries"]) {
    CHECK(rec["failed_node"] == victim);
    CHECK(rec["new_node"] != victim);
    CHECK(rec["replaced_unix_ms"].get<std::int64_t>() >= rec["detected_unix_ms"].get<std::int64_t>());
  }
  // Under load every replacement answers soon, and the record says when.
  CHECK(eventually([&] {
    auto doc = status(cluster, 0, "image-analysis");
    if (!doc.is_object())
      return false;
    for (auto& rec : doc["recoveries"])
      if (rec["first_answer_unix_ms"].get<std::int64_t>() < rec["replaced_unix_ms"].get<std::int64_t>())
        return false;
    return true;
  }, 5s));
  for (auto& rep : after["replicas"])
    CHECK(rep["node"] != victim);
  // The graph serves as before: both replicas of 'detector' (one may be a replacement) share
  // new load; counts of requests assigned before the rewire must not skew the balancing.
  auto detector_calls = [&] {
    std::vector<std::uint64_t> calls;
    auto doc = status(cluster, 0, "image-analysis");
    for (auto& rep : doc["replicas"])
      if (rep["operator"] == "detector")
        calls.push_back(rep["calls"].get<std::uint64_t>());
    return calls;
  };
  auto before = detector_calls();
  REQUIRE(cluster.cli("load image-analysis --requests 100 --concurrency 1 --json "
                      + cluster[0].cluster())
            .exit_code == 0);
  auto later = detector_calls();
  REQUIRE(before.size() == 2);
  REQUIRE(later.size() == 2);
  say("detector calls for 100 requests: ", later[0] - before[0], " and ", later[1] - before[1],
      "; recoveries ", after["recoveries"].dump());
  for (std::size_t r = 0; r < 2; ++r) {
    INFO("detector replica ", r, ": ", before[r], " -> ", later[r], " calls");
    CHECK(later[r] - before[r] >= 30);
  }
  // /metrics and the inspector tell the same.
  auto metrics = http_request(cluster[0].http_port, "GET", "/metrics");
  REQUIRE(metrics.status == 200);
  auto recoveries = after["recoveries_total"].get<int>();
  CHECK(metrics.body.find("hogar_recoveries_total{graph=\"image-analysis\"} "
                          + std::to_string(recoveries) + "\n")
        != std::string::npos);
  CHECK(metrics.body.find("hogar_recovery_seconds_count{graph=\"image-analysis\"} "
                          + std::to_string(recoveries) + "\n")
        != std::string::npos);
  CHECK(metrics.body.find("hogar_replayed_total{graph=\"image-analysis\"}") != std::string::npos);
  // Once every request is answered nothing stays kept for replay: every message was
  // acknowledged, except those of a request answered just before the kill whose join lost
  // some acks with the node (actors/edge_ledger.hpp); they go at the request's deadline (5 s).
  CHECK(eventually([&] {
    auto now = http_request(cluster[0].http_port, "GET", "/metrics");
    return now.body.find("hogar_replay_buffer_bytes{node=\"node1\"} 0\n") != std::string::npos;
  }, 8s));
  auto inspect = run_command(std::string{"'"} + HOGAR_INSPECT_BIN + "' --json 127.0.0.1:"
                             + std::to_string(cluster[0].actor_port));
  REQUIRE(inspect.exit_code == 0);
  auto snapshot = nlohmann::json::parse(inspect.out);
  CHECK(snapshot["graphs"][0]["recoveries_total"] == recoveries);
  auto dashboard = http_request(cluster[0].http_port, "GET", "/v2/dashboard.json");
  REQUIRE(dashboard.status == 200);
  auto page = nlohmann::json::parse(dashboard.body);
  CHECK(page["graphs"][0]["recoveries"].size() == after["recoveries"].size());
  CHECK(page["graphs"][0]["epoch"] == after["epoch"]);
}

TEST_CASE("SIGTERM of a node under load: its replicas are replaced on the other nodes, not on "
          "the one shutting down, and every request is answered, also those its model "
          "replicas had queued") {
  local_cluster cluster{3};
  REQUIRE(cluster.converged());
  INFO(cluster.logs());
  // The graph with real models: batching model replicas hold queued requests when they stop.
  auto [victim, doc] = fault_under_load(
    cluster, 4, [&](std::size_t i) { cluster.stop(i, SIGTERM); },
    "config/graphs/image-analysis.yaml");
  say("stopped ", victim, " with SIGTERM; ", doc["ok"], " of ", doc["requests"],
          " answered, max ", doc["latency_us"]["max"], " us");
  CHECK(doc["failed"] == 0);
  CHECK(doc["ok"] == doc["requests"]);
  CHECK(eventually([&] { return all_running(status(cluster, 0, "image-analysis")); }, 10s));
  auto after = status(cluster, 0, "image-analysis");
  REQUIRE(after.is_object());
  for (auto& rep : after["replicas"])
    CHECK(rep["node"] != victim);
}

TEST_CASE("SIGSTOP of a node under load: its replicas are replaced after the missed heartbeats, "
          "and once it resumes it serves nothing stale") {
  local_cluster cluster{3};
  REQUIRE(cluster.converged());
  INFO(cluster.logs());
  auto [victim, doc] = fault_under_load(cluster, 5, [&](std::size_t i) {
    ::kill(cluster[i].pid, SIGSTOP);
    std::this_thread::sleep_for(2s);
    ::kill(cluster[i].pid, SIGCONT);
  });
  auto& hung = cluster[index_of(victim)];
  say("stopped ", victim, " for 2 s; ", doc["ok"], " of ", doc["requests"],
          " answered, p99 ", doc["latency_us"]["p99"], " us, max ", doc["latency_us"]["max"],
          " us");
  CHECK(doc["failed"] == 0);
  CHECK(doc["ok"] == doc["requests"]);
  // It rejoins; the newer epoch it hears of stops the replicas it ran before it hung.
  CHECK(cluster.converged(20s));
  CHECK(eventually([&] {
    return slurp(hung.log).find("stopping a replica that epoch") != std::string::npos;
  }, 10s));
  CHECK(eventually([&] { return all_running(status(cluster, 0, "image-analysis")); }, 10s));
  auto after = status(cluster, 0, "image-analysis");
  REQUIRE(after.is_object());
  REQUIRE(after["recoveries"].size() >= 1);
  for (auto& rec : after["recoveries"])
    CHECK(rec["failed_node"] == victim);
  // And requests still flow through every node's ingress.
  auto again = cluster.cli("load image-analysis --requests 50 --concurrency 4 --json "
                           + hung.cluster());
  INFO(again.err, again.out);
  CHECK(again.exit_code == 0);
}

TEST_CASE("a replica that crashes is replaced and its requests run again, and a request "
          "that crashes two replicas is answered 'not retried'") {
  local_cluster cluster{1};
  REQUIRE(cluster.converged());
  INFO(cluster.logs());
  temp_graph flaky{"flaky", R"(graph: flaky
inputs: [{name: x, dtype: float32, shape: [1]}]
operators:
  - {name: step, kind: simulate, inputs: [x], params: {cost_ms: 1, crash_every: 25}}
outputs: [{name: y, from: step}]
)"};
  REQUIRE(cluster.cli("submit " + flaky.path.string() + " " + cluster[0].cluster()).exit_code == 0);
  auto r = cluster.cli("load flaky --requests 300 --concurrency 4 --timeout-ms 5000 --json "
                       + cluster[0].cluster());
  INFO(r.err, r.out);
  REQUIRE(r.exit_code == 0);
  auto doc = nlohmann::json::parse(r.out);
  CHECK(doc["ok"] == 300);
  auto after = status(cluster, 0, "flaky");
  REQUIRE(after.is_object());
  INFO(after.dump(2));
  // Each replica crashes on its 25th call (the request it crashed on is the replacement's
  // first): one crash per 24 requests.
  CHECK(after["recoveries_total"].get<int>() >= 10);
  CHECK(after["recoveries"][0]["reason"].get<std::string>().find("simulated crash")
        != std::string::npos);

  temp_graph poison{"poison", R"(graph: poison
inputs: [{name: x, dtype: float32, shape: [1]}]
operators:
  - {name: step, kind: simulate, inputs: [x], params: {cost_ms: 1, crash_every: 1}}
outputs: [{name: y, from: step}]
)"};
  REQUIRE(cluster.cli("submit " + poison.path.string() + " " + cluster[0].cluster()).exit_code == 0);
  auto p = cluster.cli("load poison --requests 3 --concurrency 1 --timeout-ms 5000 --json "
                       + cluster[0].cluster());
  INFO(p.err, p.out);
  auto pdoc = nlohmann::json::parse(p.out);
  CHECK(pdoc["failed"] == 3);
  REQUIRE(pdoc["errors"].size() >= 1);
  for (auto& e : pdoc["errors"])
    CHECK(e["message"].get<std::string>().find("crashed 2 replicas of operator 'step'; not "
                                               "retried")
          != std::string::npos);
  // The daemon still serves.
  auto fine = cluster.cli("load flaky --requests 20 --concurrency 2 --json " + cluster[0].cluster());
  CHECK(fine.exit_code == 0);
}

TEST_CASE("a full replay buffer sheds new requests with 503 and Retry-After, and answers every "
          "accepted one") {
  // 10 bytes: two requests of one FP32 input named x (4 + 1 bytes) fit at once.
  local_cluster cluster{1, 100, HOGAR_MODEL_REPOSITORY,
                        daemon_options{{"--replay-buffer-bytes=10"}, {}, {}}};
  REQUIRE(cluster.converged());
  INFO(cluster.logs());
  temp_graph slow{"slow_replay", R"(graph: slow
inputs: [{name: x, dtype: float32, shape: [1]}]
operators:
  - {name: step, kind: simulate, inputs: [x], replicas: 4, params: {cost_ms: 400}}
outputs: [{name: y, from: step}]
)"};
  REQUIRE(cluster.cli("submit " + slow.path.string() + " " + cluster[0].cluster()).exit_code == 0);
  auto load = std::async(std::launch::async, [&] {
    return cluster.cli("load slow --requests 8 --concurrency 4 --json " + cluster[0].cluster());
  });
  std::this_thread::sleep_for(200ms);
  auto shed = http_request(cluster[0].http_port, "POST", "/v2/models/slow/infer",
                           R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]}]})");
  CHECK(shed.status == 503);
  CHECK(shed.headers.find("Retry-After: 1") != std::string::npos);
  CHECK(shed.body.find("replay-buffer-bytes") != std::string::npos);
  auto r = load.get();
  INFO(r.out);
  auto doc = nlohmann::json::parse(r.out);
  CHECK(doc["ok"].get<int>() >= 2);
  CHECK(doc["failed"].get<int>() >= 1);
  for (auto& e : doc["errors"])
    CHECK(e["message"].get<std::string>().find("replay-buffer-bytes") != std::string::npos);
  // Every accepted request gave its bytes back, the operators' kept outputs within a few
  // batches of acknowledgements.
  CHECK(eventually([&] {
    auto now = http_request(cluster[0].http_port, "GET", "/metrics");
    return now.body.find("hogar_replay_buffer_bytes{node=\"node1\"} 0\n") != std::string::npos;
  }, 2s));
}

namespace {

const std::string counter_graph = R"(graph: counter
inputs: [{name: x, dtype: float32, shape: [1]}]
operators:
  - {name: pre, kind: identity, inputs: [x]}
  - {name: seq, kind: sequence, inputs: [pre]}
outputs: [{name: n, from: seq}]
)";

/// The node of the replica of `op` in a status answer whose role is `role`.
std::string node_with_role(const nlohmann::json& status_doc, const std::string& op,
                           const std::string& role) {
  for (auto& r : status_doc["replicas"])
    if (r["operator"] == op && r.value("role", std::string{}) == role)
      return r["node"].get<std::string>();
  return {};
}

} // namespace

TEST_CASE("kill -9 of a stateful primary under load: its backup takes over and the answered "
          "numbers are exactly 1..N") {
  local_cluster cluster{3};
  REQUIRE(cluster.converged());
  INFO(cluster.logs());
  temp_graph counter{"counter", counter_graph};
  REQUIRE(cluster.cli("submit " + counter.path.string() + " " + cluster[0].cluster()).exit_code
          == 0);
  // The primary gets a backup on another node, in sync.
  nlohmann::json before;
  REQUIRE(eventually([&] {
    before = status(cluster, 0, "counter");
    return before.is_object() && !node_with_role(before, "seq", "backup").empty()
           && status(cluster, 0, "counter")["replicas"].dump().find("\"backup_in_sync\":true")
                != std::string::npos;
  }, 10s));
  auto primary = node_with_role(before, "seq", "primary");
  auto backup = node_with_role(before, "seq", "backup");
  REQUIRE_FALSE(primary.empty());
  CHECK(backup != primary);
  // Clients on a node that survives.
  std::size_t client = primary == "node1" ? index_of(backup == "node2" ? "node3" : "node2") : 0;
  auto port = cluster[client].http_port;
  std::mutex m;
  std::vector<std::int64_t> numbers;
  std::vector<std::string> failures;
  std::atomic<bool> stop{false};
  auto send = [&] {
    while (!stop) {
      auto a = http_request(port, "POST", "/v2/models/counter/infer",
                            R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]}]})");
      std::lock_guard lock{m};
      if (a.status != 200) {
        failures.push_back(std::to_string(a.status) + " " + a.body);
        continue;
      }
      numbers.push_back(nlohmann::json::parse(a.body)["outputs"][0]["data"][0].get<std::int64_t>());
    }
  };
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i)
    clients.emplace_back(send);
  std::this_thread::sleep_for(1500ms);
  cluster.stop(index_of(primary), SIGKILL);
  std::this_thread::sleep_for(2500ms);
  stop = true;
  for (auto& t : clients)
    t.join();
  INFO("failures: ", failures.size(), failures.empty() ? std::string{} : " first: " + failures[0]);
  CHECK(failures.empty());
  std::sort(numbers.begin(), numbers.end());
  say("killed the primary on ", primary, "; ", numbers.size(), " answers");
  REQUIRE(numbers.size() >= 50);
  bool exact = true;
  for (std::size_t i = 0; i < numbers.size(); ++i)
    exact = exact && numbers[i] == static_cast<std::int64_t>(i + 1);
  CHECK(exact);
  // The backup is the primary now, and a new backup is made on the third node.
  CHECK(eventually([&] {
    auto doc = status(cluster, client, "counter");
    return doc.is_object() && node_with_role(doc, "seq", "primary") == backup
           && !node_with_role(doc, "seq", "backup").empty()
           && node_with_role(doc, "seq", "backup") != primary;
  }, 10s));
}

TEST_CASE("a stateful operator on a one-node cluster serves unprotected, and status says so") {
  local_cluster cluster{1};
  REQUIRE(cluster.converged());
  INFO(cluster.logs());
  temp_graph counter{"counter1", counter_graph};
  REQUIRE(cluster.cli("submit " + counter.path.string() + " " + cluster[0].cluster()).exit_code
          == 0);
  for (int i = 1; i <= 3; ++i) {
    auto a = http_request(cluster[0].http_port, "POST", "/v2/models/counter/infer",
                          R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]}]})");
    REQUIRE(a.status == 200);
    CHECK(nlohmann::json::parse(a.body)["outputs"][0]["data"][0] == i);
  }
  auto text = cluster.cli("status counter " + cluster[0].cluster());
  CHECK(text.out.find("running, unprotected") != std::string::npos);
  CHECK(eventually([&] { return slurp(cluster[0].log).find("runs without a backup")
                                != std::string::npos; }, 5s));
}

TEST_CASE("kill -9 of the node a graph was submitted to: a survivor takes over its supervisor "
          "and the graph recovers") {
  local_cluster cluster{3};
  REQUIRE(cluster.converged());
  INFO(cluster.logs());
  REQUIRE(placement_nodes(submit_image_graph(cluster)).count("node1") == 1);
  auto load = load_image_graph(cluster, 1, 4);
  std::this_thread::sleep_for(1500ms);
  cluster.stop(0, SIGKILL);
  auto doc = load.get();
  say("killed node1 (the supervisor's node); ", doc["ok"], " of ", doc["requests"],
          " answered at node2, max ", doc["latency_us"]["max"], " us");
  CHECK(doc["failed"] == 0);
  CHECK(doc["ok"] == doc["requests"]);
  CHECK(eventually([&] {
    return slurp(cluster[1].log).find("supervising from this node") != std::string::npos;
  }, 5s));
  CHECK(eventually([&] { return all_running(status(cluster, 1, "image-analysis")); }, 10s));
  auto after = status(cluster, 1, "image-analysis");
  REQUIRE(after.is_object());
  for (auto& rep : after["replicas"])
    CHECK(rep["node"] != "node1");
  // The new supervisor serves removal too.
  CHECK(cluster.cli("remove image-analysis " + cluster[2].cluster()).exit_code == 0);
}

namespace {

/// Two daemons where only node2 has the label that the one operator of graph 'picky' asks
/// for: every replica of it must run on node2.
struct labelled_pair {
  local_cluster cluster{2, 100, HOGAR_MODEL_REPOSITORY,
                        daemon_options{{}, {}, {{}, {"--labels=special"}}}};
  temp_graph picky{"picky", R"(graph: picky
inputs: [{name: x, dtype: float32, shape: [1]}]
operators:
  - {name: step, kind: identity, inputs: [x], placement: {labels: [special]}}
outputs: [{name: y, from: step}]
)"};
  const std::string body = R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]}]})";

  command_result submit() {
    return cluster.cli("submit " + picky.path.string() + " " + cluster[0].cluster());
  }
};

} // namespace

TEST_CASE("when every node that can host an operator is dead, requests fail at once with a "
          "message naming it, and the graph serves again when such a node returns") {
  labelled_pair pair;
  auto& cluster = pair.cluster;
  REQUIRE(cluster.converged());
  INFO(cluster.logs());
  REQUIRE(pair.submit().exit_code == 0);
  auto& body = pair.body;
  REQUIRE(http_request(cluster[0].http_port, "POST", "/v2/models/picky/infer", body).status == 200);
  cluster.stop(1, SIGKILL);
  http_answer refused;
  CHECK(eventually([&] {
    refused = http_request(cluster[0].http_port, "POST", "/v2/models/picky/infer", body);
    return refused.status == 503;
  }, 5s));
  CHECK(refused.body.find("operator 'step' has no live replica and no live node can host one")
        != std::string::npos);
  auto doc = status(cluster, 0, "picky");
  REQUIRE(doc.is_object());
  CHECK(doc["replicas"][0]["state"] == "lost");
  // node2 comes back: the operator is placed there again and the graph answers.
  cluster.start(1);
  CHECK(eventually([&] {
    return http_request(cluster[0].http_port, "POST", "/v2/models/picky/infer", body).status
           == 200;
  }, 15s));
}

TEST_CASE("a node hung during a deployment fails the deployment at once with its name, and a "
          "later submit deploys the graph") {
  labelled_pair pair;
  auto& cluster = pair.cluster;
  REQUIRE(cluster.converged());
  INFO(cluster.logs());
  // Stopped just before the submit: still a live member when the graph is placed, it never
  // answers the request to spawn its replica.
  ::kill(cluster[1].pid, SIGSTOP);
  auto started = std::chrono::steady_clock::now();
  auto failed = pair.submit();
  auto took = std::chrono::steady_clock::now() - started;
  INFO(failed.err, failed.out);
  CHECK(failed.exit_code != 0);
  CHECK(failed.err.find("node node2 was declared dead") != std::string::npos);
  CHECK(failed.err.find("during the deployment") != std::string::npos);
  CHECK(took < 5s); // the missed heartbeats, not the 10 s a request to a node may take
  ::kill(cluster[1].pid, SIGCONT);
  REQUIRE(cluster.converged(20s));
  std::string last_error;
  CHECK(eventually([&] {
    auto again = pair.submit();
    last_error = again.err;
    return again.exit_code == 0;
  }, 10s));
  INFO(last_error);
  CHECK(http_request(cluster[0].http_port, "POST", "/v2/models/picky/infer", pair.body).status
        == 200);
}
