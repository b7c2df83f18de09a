// Online tuning end to end (issue 10): a daemon serving config/graphs/classifier-tuned.yaml,
// knobs set with `hogar tune set` and over HTTP, a trace replayed with `hogar load --trace`,
// and what the tuner did read back with `hogar tune show`, /metrics and the dashboard JSON.
#include "test/cluster/cluster_fixture.hpp"

using namespace hogar::test;

namespace {

struct tuned_cluster {
  local_cluster cluster{1};

  tuned_cluster() {
    REQUIRE(cluster.converged());
    auto submit = hogar_cli("submit config/graphs/classifier-tuned.yaml " + cluster[0].cluster());
    INFO(submit.err, cluster.logs());
    REQUIRE(submit.exit_code == 0);
  }

  command_result cli(const std::string& line) { return hogar_cli(line + " " + cluster[0].cluster()); }

  nlohmann::json show() {
    auto r = cli("tune show classifier-tuned --json");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto doc = nlohmann::json::parse(r.out);
    REQUIRE(doc.size() == 1);
    return doc[0];
  }
};

} // namespace

TEST_CASE("hogar tune set changes a serving operator's knobs, and refuses what its bounds do not allow") {
  tuned_cluster tuned;
  auto set = tuned.cli("tune set classifier-tuned mlp batch_size=4 queue_delay_us=0 instances=2");
  INFO(set.err, set.out);
  REQUIRE(set.exit_code == 0);
  CHECK(set.out.find("mlp replica 0: batch_size=4 queue_delay_us=0 instances=2") !=
        std::string::npos);
  auto shown = tuned.show();
  CHECK(shown["policy"] == "rrl");
  CHECK(shown["config"]["batch_size"] == 4);
  CHECK(shown["config"]["instances"] == 2);
  CHECK(shown["changes"].back()["reason"] == "hogar tune set");

  auto outside = tuned.cli("tune set classifier-tuned mlp batch_size=64");
  CHECK(outside.exit_code == 1);
  CHECK(outside.err.find("batch_size=64 is outside the bounds [1, 32]") != std::string::npos);
  auto unknown = tuned.cli("tune set classifier-tuned mlp threads=2");
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.err.find("unknown knob 'threads'") != std::string::npos);
  auto no_op = tuned.cli("tune set classifier-tuned ghost batch_size=2");
  CHECK(no_op.exit_code == 1);
  CHECK(no_op.err.find("no operator 'ghost'") != std::string::npos);
  auto word = tuned.cli("tune set classifier-tuned mlp batch_size=lots");
  CHECK(word.exit_code == 1);
  CHECK(word.err.find("must be an integer") != std::string::npos);
  // Nothing of the refused requests changed anything.
  CHECK(tuned.show()["config"]["batch_size"] == 4);

  // The same over HTTP.
  auto port = tuned.cluster[0].http_port;
  auto ok = http_request(port, "POST", "/v2/models/classifier-tuned/tuning",
                         R"({"operator": "mlp", "knobs": {"max_batch_size": 16}})");
  INFO(ok.body);
  CHECK(ok.status == 200);
  CHECK(tuned.show()["config"]["batch_size"] == 16);
  auto bad = http_request(port, "POST", "/v2/models/classifier-tuned/tuning",
                          R"({"operator": "mlp", "knobs": {"intra_op_threads": 9}})");
  CHECK(bad.status == 400);
  CHECK(bad.body.find("intra_op_threads=9 is outside the bounds [1, 2]") != std::string::npos);
}

TEST_CASE("under a replayed trace the tuner measures windows, moves the knobs and shows why") {
  tuned_cluster tuned;
  auto trace = std::filesystem::temp_directory_path() /
               ("hogar_tuning_" + std::to_string(::getpid()) + ".trace");
  {
    std::ofstream out{trace};
    for (int i = 0; i < 1500; ++i)
      out << (i % 3 == 0 ? "0.004\n" : "0.001\n");
  }
  auto load = tuned.cli("load classifier-tuned --trace " + trace.string() + " --json");
  std::filesystem::remove(trace);
  INFO(load.err, load.out);
  REQUIRE(load.exit_code == 0);
  CHECK(nlohmann::json::parse(load.out)["failed"] == 0);
  auto shown = tuned.show();
  CHECK(shown["windows"].get<int>() >= 10);
  CHECK(shown["configurations_tried"].get<int>() >= 2);
  CHECK(shown["last_window"]["requests"].get<int>() > 0);
  CHECK(shown["last_window"]["arrival_rate"].get<double>() > 0);
  REQUIRE_FALSE(shown["changes"].empty());
  CHECK(shown["changes"].back()["reason"].get<std::string>().rfind("tuner: ", 0) == 0);
  for (auto& key : {"batch_size", "queue_delay_us", "instances", "intra_op_threads"})
    CHECK(shown["best"].contains(key));
  auto b = shown["config"]["batch_size"].get<int>();
  CHECK(b >= 1);
  CHECK(b <= 32);

  auto human = tuned.cli("tune show classifier-tuned");
  CHECK(human.exit_code == 0);
  CHECK(human.out.find("policy rrl") != std::string::npos);
  CHECK(human.out.find("best now") != std::string::npos);
  auto status = tuned.cli("status classifier-tuned");
  CHECK(status.out.find("tuning rrl: batch_size=") != std::string::npos);
  CHECK(status.out.find("last change: tuner: ") != std::string::npos);
  auto metrics = http_request(tuned.cluster[0].http_port, "GET", "/metrics");
  CHECK(metrics.body.find("hogar_tuning_knob{graph=\"classifier-tuned\",operator=\"mlp\"") !=
        std::string::npos);
  CHECK(metrics.body.find("hogar_tuning_configurations_tried{") != std::string::npos);
  auto dashboard = http_request(tuned.cluster[0].http_port, "GET", "/v2/dashboard.json");
  auto doc = nlohmann::json::parse(dashboard.body);
  CHECK(doc["graphs"][0]["replicas"][0]["tuning"]["policy"] == "rrl");
}
