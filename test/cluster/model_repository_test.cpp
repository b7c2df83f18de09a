// The model repository on a real cluster: `hogar model list|load|unload|reload`, KServe's
// repository extension, and a hot swap under load.
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
