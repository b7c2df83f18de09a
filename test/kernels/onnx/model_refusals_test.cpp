// What hogar refuses when loading or running an ONNX model, and that every refusal says what
// is wrong and where. The bad files are made with the writer.
#include <cmath>
#include <limits>

#include "kernels/onnx/example_models.hpp"
#include "kernels/onnx/onnx_reader.hpp"
#include "kernels/onnx/onnx_writer.hpp"
#include "kernels/random_tensor.hpp"
#include "test/kernels/onnx/fixture.hpp"

namespace hogar::onnx {

namespace {

using test::require_ok;

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

/// x -> Relu -> NonMaxSuppression named "nms1" -> y.
model_graph model_with_nms() {
  model_graph m;
  m.name = "needs nms";
  m.opset = 13;
  m.inputs = {{"boxes", dtype::float32, {1, -1, 4}}, {"scores", dtype::float32, {1, 1, -1}}};
  m.outputs = {{"selected", dtype::int64, {-1, 3}}};
  node add;
  add.op_type = "Add";
  add.name = "shift";
  add.inputs = {"boxes", "boxes"};
  add.outputs = {"shifted"};
  node nms;
  nms.op_type = "NonMaxSuppression";
  nms.name = "nms1";
  nms.inputs = {"shifted", "scores"};
  nms.outputs = {"selected"};
  m.nodes = {add, nms};
  return m;
}

} // namespace

TEST_CASE("a truncated model file is refused as not an ONNX model, naming the file") {
  test::scratch_dir dir{"truncated"};
  auto bytes = require_ok(serialize_model(detector_model()));
  auto path = dir.file("model.onnx");
  // Half of the file ends inside a weight's raw data.
  test::write_bytes(path, std::string_view{bytes}.substr(0, bytes.size() / 2));
  auto r = load_model(path);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::invalid_argument);
  CHECK(contains(r.error().message, path));
  CHECK(contains(r.error().message, "not an ONNX model"));
  CHECK(contains(r.error().message, "truncated or corrupt"));
}

TEST_CASE("a file of garbage bytes is refused as not an ONNX model, naming the file") {
  test::scratch_dir dir{"garbage"};
  auto path = dir.file("model.onnx");
  auto noise = uniform_tensor(dtype::uint8, {4096}, 12345, 256);
  auto raw = noise.bytes();
  test::write_bytes(path, std::string_view{raw.data(), raw.size()});
  auto r = load_model(path);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::invalid_argument);
  CHECK(contains(r.error().message, path));
  CHECK(contains(r.error().message, "not an ONNX model"));
}

TEST_CASE("an empty file and a missing file are refused, naming the file") {
  test::scratch_dir dir{"empty"};
  auto empty = dir.file("empty.onnx");
  test::write_bytes(empty, "");
  auto r = load_model(empty);
  REQUIRE_FALSE(r.has_value());
  CHECK(contains(r.error().message, empty));
  CHECK(contains(r.error().message, "not an ONNX model"));
  auto missing = dir.file("missing.onnx");
  auto m = load_model(missing);
  REQUIRE_FALSE(m.has_value());
  CHECK(m.error().code == errc::io_error);
  CHECK(contains(m.error().message, missing));
}

TEST_CASE("a model with an operator hogar does not run is refused, naming the op and the node") {
  test::scratch_dir dir{"unsupported"};
  auto path = dir.file("model.onnx");
  REQUIRE_FALSE(save_model(model_with_nms(), path).has_value());
  auto r = load_model(path);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::unsupported);
  CHECK(contains(r.error().message, path));
  CHECK(contains(r.error().message, "NonMaxSuppression"));
  CHECK(contains(r.error().message, "node 'nms1' (NonMaxSuppression)"));
  // The message tells what would run instead.
  CHECK(contains(r.error().message, "Supported: "));
  CHECK(contains(r.error().message, "Add"));
}

TEST_CASE("every unsupported node is named, also one that reads another's output") {
  // shift -> Exp "e1" -> NonMaxSuppression "nms1": the second reads the first's output.
  auto m = model_with_nms();
  node exp;
  exp.op_type = "Exp";
  exp.name = "e1";
  exp.inputs = {"shifted"};
  exp.outputs = {"grown"};
  m.nodes.insert(m.nodes.begin() + 1, exp);
  m.nodes.back().inputs[0] = "grown";
  test::scratch_dir dir{"unsupported_chain"};
  auto path = dir.file("model.onnx");
  REQUIRE_FALSE(save_model(m, path).has_value());
  auto r = load_model(path);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::unsupported);
  CHECK(contains(r.error().message, "node 'e1' (Exp)"));
  CHECK(contains(r.error().message, "node 'nms1' (NonMaxSuppression)"));
}

TEST_CASE("an input of the wrong shape is refused at run time, naming the input and both shapes") {
  auto m = detector_model();
  for (auto device : {nn::device::reference, nn::device::cpu}) {
    CAPTURE(to_string(device));
    auto exec = test::make_cpu_executor(m, device);
    std::vector<tensor> inputs = {random_normalized_images(2, 32, 64, 1)};
    auto r = exec->run(inputs);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::invalid_argument);
    CHECK(contains(r.error().message,
                   "input 'image': expected float32[-1, 3, 64, 64], got float32[2, 3, 32, 64]"));
    // A rank the model does not take, and a dtype it does not take.
    std::vector<tensor> flat = {tensor{dtype::float32, {3 * 64 * 64}}};
    auto rank = exec->run(flat);
    REQUIRE_FALSE(rank.has_value());
    CHECK(contains(rank.error().message, "got float32[12288]"));
    std::vector<tensor> bytes = {tensor{dtype::uint8, {1, 3, 64, 64}}};
    auto type = exec->run(bytes);
    REQUIRE_FALSE(type.has_value());
    CHECK(contains(type.error().message, "got uint8[1, 3, 64, 64]"));
  }
}

TEST_CASE("an input holding NaN is refused, naming the input and the element") {
  auto m = classifier_model();
  for (auto device : {nn::device::reference, nn::device::cpu}) {
    CAPTURE(to_string(device));
    auto exec = test::make_cpu_executor(m, device);
    auto features = uniform_tensor(dtype::float32, {2, 64}, 3, 0);
    features.mutable_values<float>()[70] = std::numeric_limits<float>::quiet_NaN();
    std::vector<tensor> inputs = {features};
    auto r = exec->run(inputs);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::invalid_argument);
    CHECK(contains(r.error().message, "input 'features' holds NaN (element 70)"));
  }
}

} // namespace hogar::onnx
