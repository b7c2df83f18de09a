// The model repository on a real cluster: `hogar model list|load|unload|reload`, KServe's
// repository extension, a hot swap under load, and an A/B split judged by feedback
// (`hogar feedback`, `POST .../feedback`, `hogar model compare`).
#include "test/cluster/cluster_fixture.hpp"

#include <future>

using namespace hogar::test;
namespace fs = std::filesystem;

namespace {

/// A repository of its own holding the build's example classifier (an MLP over 64 features,
/// version 1, and its config.yaml), so that a test can add versions; removed with the object.
struct temp_repository {
  temp_repository() {
    root = fs::temp_directory_path() / ("hogar_repo_" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root / "classifier");
    fs::copy(fs::path{HOGAR_MODEL_REPOSITORY} / "classifier", root / "classifier",
             fs::copy_options::recursive);
  }
  ~temp_repository() { fs::remove_all(root); }

  /// Version `v` of the classifier: the same weights under another version number.
  void add_version(int v) {
    fs::copy(root / "classifier" / "1", root / "classifier" / std::to_string(v),
             fs::copy_options::recursive);
  }

  fs::path root;
};

std::string features_request(int batch) {
  nlohmann::json data = nlohmann::json::array();
  for (int i = 0; i < batch * 64; ++i)
    data.push_back(static_cast<double>((i * 37) % 101) / 50.0 - 1.0);
  return nlohmann::json{{"inputs",
                         {{{"name", "features"}, {"datatype", "FP32"}, {"shape", {batch, 64}},
                           {"data", data}}}}}
    .dump();
}

} // namespace

TEST_CASE("a repository model is listed, loaded, served with its version over HTTP, and unloaded") {
  temp_repository repo;
  local_cluster cluster{2, 100, repo.root.string()};
  REQUIRE(cluster.converged());
  INFO(cluster.logs());
  auto before = hogar_cli("model list --json " + cluster[0].cluster());
  REQUIRE(before.exit_code == 0);
  auto listed = nlohmann::json::parse(before.out);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["name"] == "classifier");
  CHECK(listed[0]["versions"] == nlohmann::json::array({1}));
  CHECK(listed[0]["state"] == "UNAVAILABLE");

  auto load = hogar_cli("model load classifier " + cluster[0].cluster());
  INFO(load.err);
  REQUIRE(load.exit_code == 0);
  CHECK(load.out.find("model 'classifier' loaded: versions 1") != std::string::npos);

  auto port = cluster[1].http_port;
  auto index = http_request(port, "POST", "/v2/repository/index", "");
  REQUIRE(index.status == 200);
  CHECK(nlohmann::json::parse(index.body)[0]["state"] == "READY");

  REQUIRE(eventually([&] {
    return http_request(port, "GET", "/v2/models/classifier/ready").status == 200;
  }));
  auto answer = http_request(port, "POST", "/v2/models/classifier/infer", features_request(3));
  REQUIRE(answer.status == 200);
  auto doc = nlohmann::json::parse(answer.body);
  CHECK(doc["model_version"] == "1");
  CHECK(doc["parameters"]["served_by"][0]["model"] == "classifier");
  REQUIRE(doc["outputs"].size() == 1);
  CHECK(doc["outputs"][0]["shape"] == nlohmann::json::array({3, 10}));

  auto unknown = http_request(port, "POST", "/v2/repository/models/ghost/load", "");
  CHECK(unknown.status == 404);
  CHECK(nlohmann::json::parse(unknown.body)["error"].get<std::string>().find("ghost") !=
        std::string::npos);

  auto unload = http_request(port, "POST", "/v2/repository/models/classifier/unload", "");
  CHECK(unload.status == 200);
  CHECK(http_request(port, "POST", "/v2/models/classifier/infer", features_request(1)).status ==
        404);
  auto again = hogar_cli("model unload classifier " + cluster[0].cluster());
  CHECK(again.exit_code == 1);
  CHECK(again.err.find("model 'classifier' is not loaded") != std::string::npos);
}

TEST_CASE("a hot swap under load fails no request and moves the traffic to the new version") {
  temp_repository repo;
  local_cluster cluster{2, 100, repo.root.string()};
  REQUIRE(cluster.converged());
  INFO(cluster.logs());
  REQUIRE(hogar_cli("model load classifier " + cluster[0].cluster()).exit_code == 0);
  auto csv = fs::temp_directory_path() / ("hogar_swap_" + std::to_string(::getpid()) + ".csv");
  // Load from another thread while the swap happens.
  auto load = std::async(std::launch::async, [&] {
    return hogar_cli("load classifier --concurrency 8 --duration 4 --json --csv " + csv.string() +
                     " " + cluster[1].cluster());
  });
  std::this_thread::sleep_for(1s); // the load is under way (it reports its own progress)
  repo.add_version(2);
  auto reload = hogar_cli("model reload classifier " + cluster[0].cluster());
  INFO(reload.err);
  CHECK(reload.exit_code == 0);
  CHECK(reload.out.find("classifier:1 -> classifier:2") != std::string::npos);
  auto result = load.get();
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  auto summary = nlohmann::json::parse(result.out);
  CHECK(summary["failed"] == 0);
  CHECK(summary["ok"].get<int>() > 50);
  auto answer = http_request(cluster[0].http_port, "POST", "/v2/models/classifier/infer",
                             features_request(1));
  REQUIRE(answer.status == 200);
  CHECK(nlohmann::json::parse(answer.body)["model_version"] == "2");
  fs::remove(csv);
}

TEST_CASE("an A/B split is judged by feedback: 2000 labelled answers show version 2, right 5 points more often, better") {
  temp_repository repo;
  repo.add_version(2);
  {
    std::ofstream config{repo.root / "classifier" / "config.yaml", std::ios::app};
    config << "traffic: {1: 50, 2: 50}\n";
  }
  local_cluster cluster{1, 100, repo.root.string()};
  REQUIRE(cluster.converged());
  INFO(cluster.logs());
  REQUIRE(hogar_cli("model load classifier " + cluster[0].cluster()).exit_code == 0);
  const auto port = cluster[0].http_port;
  // Each version is a simulated model of known accuracy: the label sent back agrees with its
  // k-th answer 17 times in 20 (version 1, 85%) or 9 times in 10 (version 2, 90%).
  int answered[3] = {0, 0, 0};
  for (int i = 0; i < 2000; ++i) {
    auto request = nlohmann::json::parse(features_request(1));
    request["id"] = "ab-" + std::to_string(i);
    auto answer = http_request(port, "POST", "/v2/models/classifier/infer", request.dump());
    REQUIRE(answer.status == 200);
    auto body = nlohmann::json::parse(answer.body);
    REQUIRE(body["id"] == request["id"]);
    const int version = std::stoi(body["model_version"].get<std::string>());
    REQUIRE((version == 1 || version == 2));
    auto scores = body["outputs"][0]["data"].get<std::vector<double>>();
    const auto predicted = std::max_element(scores.begin(), scores.end()) - scores.begin();
    const int k = answered[version]++;
    const bool right = version == 1 ? k % 20 < 17 : k % 10 < 9;
    const auto label = right ? predicted : (predicted + 1) % static_cast<long>(scores.size());
    auto told = http_request(port, "POST", "/v2/models/classifier/feedback",
                             nlohmann::json{{"id", request["id"]}, {"label", label}}.dump());
    REQUIRE(told.status == 200);
    CHECK(nlohmann::json::parse(told.body)["correct"] == right);
  }
  INFO("version 1 answered ", answered[1], ", version 2 ", answered[2]);
  CHECK(answered[1] > 800);
  CHECK(answered[2] > 800);

  auto compared = hogar_cli("model compare classifier --json " + cluster[0].cluster());
  INFO(compared.err);
  REQUIRE(compared.exit_code == 0);
  auto report = nlohmann::json::parse(compared.out);
  REQUIRE(report["versions"].size() == 2);
  CHECK(report["versions"][0]["labelled"].get<int>() == answered[1]);
  CHECK(report["versions"][1]["accuracy"].get<double>() == doctest::Approx(0.9).epsilon(0.01));
  REQUIRE(report["differences"].size() == 1);
  auto difference = report["differences"][0];
  CHECK(difference["candidate"] == 2);
  CHECK(difference["difference"].get<double>() == doctest::Approx(0.05).epsilon(0.2));
  CHECK(difference["low"].get<double>() > 0);  // the 95% interval excludes 0
  CHECK(difference["verdict"] == 1);
  auto text = hogar_cli("model compare classifier " + cluster[0].cluster());
  CHECK(text.out.find("version 2 is better") != std::string::npos);
  auto status = hogar_cli("status classifier " + cluster[0].cluster());
  CHECK(status.out.find("feedback on the answers given here") != std::string::npos);
  auto metrics = http_request(port, "GET", "/metrics");
  CHECK(metrics.body.find("hogar_feedback_correct_total{graph=\"classifier\",operator=\"classifier\","
                          "model=\"classifier\",version=\"2\"}") != std::string::npos);

  // The CLI names the answer by the number hogar gave it; a second feedback, an unknown id
  // and a class the model does not have are refused, naming the id and the field.
  auto infer = hogar_cli("infer classifier --json " + cluster[0].cluster());
  REQUIRE(infer.exit_code == 0);
  auto id = nlohmann::json::parse(infer.out)["id"].get<std::string>();
  auto ok = hogar_cli("feedback classifier --id " + id + " --label 3 " + cluster[0].cluster());
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("request " + id + " on 'classifier': predicted") != std::string::npos);
  auto twice = hogar_cli("feedback classifier --id " + id + " --label 3 " + cluster[0].cluster());
  CHECK(twice.exit_code != 0);
  CHECK(twice.err.find("given already") != std::string::npos);
  auto unknown = hogar_cli("feedback classifier --id nobody --label 3 " + cluster[0].cluster());
  CHECK(unknown.exit_code != 0);
  CHECK(unknown.err.find("'nobody'") != std::string::npos);
  auto fresh = nlohmann::json::parse(features_request(1));
  fresh["id"] = "fresh";
  REQUIRE(http_request(port, "POST", "/v2/models/classifier/infer", fresh.dump()).status == 200);
  auto no_class = http_request(port, "POST", "/v2/models/classifier/feedback",
                               R"({"id": "fresh", "label": 10})");
  CHECK(no_class.status == 400);
  CHECK(no_class.body.find("10 is not a class") != std::string::npos);
  auto wrong_shape = http_request(port, "POST", "/v2/models/classifier/feedback",
                                  R"({"id": "fresh", "expected": [{"name": "probabilities",
                                     "datatype": "FP32", "shape": [1, 3], "data": [0, 0, 1]}]})");
  CHECK(wrong_shape.status == 400);
  CHECK(wrong_shape.body.find("float32[1, 3], the answer's is float32[1, 10]") != std::string::npos);
}

TEST_CASE("feedback sent to another node finds the answer on the node that gave it") {
  temp_repository repo;
  local_cluster cluster{2, 100, repo.root.string()};
  REQUIRE(cluster.converged());
  INFO(cluster.logs());
  REQUIRE(hogar_cli("model load classifier " + cluster[0].cluster()).exit_code == 0);
  auto request = nlohmann::json::parse(features_request(1));
  request["id"] = "asked-node-0";
  REQUIRE(http_request(cluster[0].http_port, "POST", "/v2/models/classifier/infer",
                       request.dump())
            .status == 200);
  auto told = http_request(cluster[1].http_port, "POST", "/v2/models/classifier/feedback",
                           R"({"id": "asked-node-0", "label": 4})");
  INFO(told.body);
  CHECK(told.status == 200);
  CHECK(nlohmann::json::parse(told.body)["served_by"][0]["model"] == "classifier");
  auto unknown = http_request(cluster[1].http_port, "POST", "/v2/models/classifier/feedback",
                              R"({"id": "asked-nowhere", "label": 4})");
  CHECK(unknown.status == 404);
  // Counted where the answer was given.
  auto compared = hogar_cli("model compare classifier --json " + cluster[0].cluster());
  REQUIRE(compared.exit_code == 0);
  auto report = nlohmann::json::parse(compared.out);
  REQUIRE(report["versions"].size() == 1);
  CHECK(report["versions"][0]["labelled"] == 1);
}

TEST_CASE("a reload to a broken version fails and the old version keeps serving") {
  temp_repository repo;
  local_cluster cluster{1, 100, repo.root.string()};
  REQUIRE(cluster.converged());
  INFO(cluster.logs());
  REQUIRE(hogar_cli("model load classifier " + cluster[0].cluster()).exit_code == 0);
  fs::create_directories(repo.root / "classifier" / "2");
  std::ofstream{repo.root / "classifier" / "2" / "model.onnx"} << "not a model";
  auto reload = hogar_cli("model reload classifier " + cluster[0].cluster());
  CHECK(reload.exit_code == 1);
  CHECK(reload.err.find("not an ONNX model") != std::string::npos);
  auto answer = http_request(cluster[0].http_port, "POST", "/v2/models/classifier/infer",
                             features_request(1));
  REQUIRE(answer.status == 200);
  CHECK(nlohmann::json::parse(answer.body)["model_version"] == "1");
}
