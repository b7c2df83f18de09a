// `hogar model ops --model FILE` and `hogar model profile --model FILE`: what computes every
// node of a model, which nodes fall back to the reference and why, where the time goes, and
// the messages a user's mistakes get.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "kernels/onnx/onnx_writer.hpp"
#include "test/tools/cli_fixture.hpp"

using hogar::test::run_cli;

namespace {

const std::string resnet18 = std::string{HOGAR_MODEL_REPOSITORY} + "/resnet18/1/model.onnx";
const std::string classifier = std::string{HOGAR_MODEL_REPOSITORY} + "/classifier/1/model.onnx";

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// A model whose Conv is float64 (the fast path runs float32 Convs) and whose Concat has no
/// fast kernel at all: both fall back to the reference.
std::filesystem::path fallback_model() {
  using namespace hogar;
  onnx::model_graph m;
  m.name = "fallbacks";
  m.opset = 13;
  m.inputs.push_back({"x", dtype::float64, {1, 2, 5, 5}});
  m.initializers.emplace("w", tensor{dtype::float64, {2, 2, 3, 3}});
  m.nodes.push_back({"Conv", "conv64", {"x", "w"}, {"y"}, {}});
  m.nodes.push_back({"Concat", "joined", {"y", "x"}, {"z"}, {{"axis", std::int64_t{1}}}});
  m.outputs.push_back({"z", dtype::float64, {1, 4, 5, 5}});
  m.nodes[0].attributes.push_back({"pads", std::vector<std::int64_t>{1, 1, 1, 1}});
  auto path = std::filesystem::temp_directory_path()
              / ("hogar_fallbacks_" + std::to_string(::getpid()) + ".onnx");
  REQUIRE_FALSE(onnx::save_model(m, path.string()).has_value());
  return path;
}

} // namespace

TEST_CASE("model ops --model names what computes each node of ResNet-18: oneDNN, residuals "
          "summed, nothing on the reference") {
  auto r = run_cli("model ops --model '" + resnet18 + "'");
  INFO(r.err, r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(has(r.out, "node 'layer1.0.conv2' (Conv)"));
  CHECK(has(r.out, "oneDNN "));
  CHECK(has(r.out, "residual summed"));
  // The fully connected layer: oneDNN's matmul or OpenBLAS, whichever measured faster here.
  auto at = r.out.find("node 'fc' (Gemm)");
  REQUIRE(at != std::string::npos);
  auto fc = r.out.substr(at, r.out.find('\n', at) - at);
  CHECK_MESSAGE((has(fc, "oneDNN matmul") || has(fc, "OpenBLAS sgemm")), fc);
  CHECK(has(r.out, "this CPU: "));
  // Every residual Add and the Relu after it went into a Conv.
  CHECK_FALSE(has(r.out, "(Add)"));
  CHECK(has(r.out, "23 nodes: 23 on fast kernels, 0 on the reference"));
}

TEST_CASE("model ops --model names every node that falls back to the reference, and why") {
  auto path = fallback_model();
  auto r = run_cli("model ops --model '" + path.string() + "'");
  std::filesystem::remove(path);
  INFO(r.err, r.out);
  REQUIRE(r.exit_code == 0);
  CHECK(has(r.out, "2 nodes: 0 on fast kernels, 2 on the reference"));
  CHECK(has(r.out, "node 'conv64' (Conv): reference (no fast kernel for these types and shapes)"));
  CHECK(has(r.out, "node 'joined' (Concat): reference (no fast kernel for this op)"));
}

TEST_CASE("model profile --json times every node, and the nodes' times add up to the total") {
  auto r = run_cli("model profile --model '" + classifier + "' --batch 4 --runs 3 --threads 1 --json");
  INFO(r.err, r.out);
  REQUIRE(r.exit_code == 0);
  auto doc = nlohmann::json::parse(r.out);
  CHECK(doc["runs"] == 3);
  CHECK(has(doc["inputs"].get<std::string>(), "[4, 64]"));
  REQUIRE(doc["nodes"].size() >= 1);
  double sum = 0;
  for (auto& n : doc["nodes"]) {
    CHECK(n["mean_us"].get<double>() > 0);
    CHECK_FALSE(n["kernel"].get<std::string>().empty());
    sum += n["mean_us"].get<double>();
  }
  CHECK(sum == doctest::Approx(doc["total_us"].get<double>()));

  auto text = run_cli("model profile --model '" + classifier + "' --runs 2");
  INFO(text.err);
  REQUIRE(text.exit_code == 0);
  CHECK(has(text.out, "op type"));
  CHECK(has(text.out, "all nodes, mean of 2 runs"));
}

TEST_CASE("model ops and profile refuse a bad shape, a missing file, the GPU and zero runs, "
          "saying which") {
  auto bad_shape = run_cli("model ops --model '" + classifier + "' --shape features=4xq");
  CHECK(bad_shape.exit_code == 2);
  CHECK(has(bad_shape.err, "--shape 'features=4xq': expected NAME=D1xD2x..."));
  auto unknown_input = run_cli("model ops --model '" + classifier + "' --shape nope=1x64");
  CHECK(unknown_input.exit_code == 2);
  CHECK(has(unknown_input.err, "the model has no input 'nope'"));
  auto missing = run_cli("model ops --model /no/such/model.onnx");
  CHECK(missing.exit_code == 1);
  CHECK(has(missing.err, "/no/such/model.onnx"));
  auto gpu = run_cli("model profile --model '" + classifier + "' --device gpu");
  CHECK(gpu.exit_code == 2);
  CHECK(has(gpu.err, "--device 'gpu'"));
  auto runs = run_cli("model profile --model '" + classifier + "' --runs 0");
  CHECK(runs.exit_code == 2);
  CHECK(has(runs.err, "--runs 0"));
  auto huge = run_cli("model ops --model '" + classifier + "' --batch 4000000000000");
  CHECK(huge.exit_code == 2);
  CHECK(has(huge.err, "input 'features'"));
}
