// What hogar refuses when loading or running an ONNX model, and that every refusal says what
// is wrong and where. The bad files are made with the writer.
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "kernels/onnx/example_models.hpp"
#include "kernels/onnx/onnx_reader.hpp"
#include "kernels/onnx/onnx_writer.hpp"
#include "kernels/onnx/plan.hpp"
#include "kernels/random_tensor.hpp"
#include "test/kernels/onnx/fixture.hpp"

namespace hogar::onnx {

namespace {

using test::require_ok;

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

/// features -> Add "shift" -> RoiAlign named "roi1" -> pooled: an op hogar does not run.
model_graph model_with_roi_align() {
  model_graph m;
  m.name = "needs roi align";
  m.opset = 13;
  m.inputs = {{"features", dtype::float32, {1, 8, 16, 16}},
              {"rois", dtype::float32, {-1, 4}},
              {"batch_indices", dtype::int64, {-1}}};
  m.outputs = {{"pooled", dtype::float32, {-1, 8, 7, 7}}};
  node add;
  add.op_type = "Add";
  add.name = "shift";
  add.inputs = {"features", "features"};
  add.outputs = {"shifted"};
  node roi;
  roi.op_type = "RoiAlign";
  roi.name = "roi1";
  roi.inputs = {"shifted", "rois", "batch_indices"};
  roi.outputs = {"pooled"};
  m.nodes = {add, roi};
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
  REQUIRE_FALSE(save_model(model_with_roi_align(), path).has_value());
  auto r = load_model(path);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::unsupported);
  CHECK(contains(r.error().message, path));
  CHECK(contains(r.error().message, "RoiAlign"));
  CHECK(contains(r.error().message, "node 'roi1' (RoiAlign)"));
  // The message tells what would run instead.
  CHECK(contains(r.error().message, "Supported: "));
  CHECK(contains(r.error().message, "Add"));
}

TEST_CASE("every unsupported node is named, also one that reads another's output") {
  // shift -> Hardmax "e1" -> RoiAlign "roi1": the second reads the first's output.
  auto m = model_with_roi_align();
  node hardmax;
  hardmax.op_type = "Hardmax";
  hardmax.name = "e1";
  hardmax.inputs = {"shifted"};
  hardmax.outputs = {"grown"};
  m.nodes.insert(m.nodes.begin() + 1, hardmax);
  m.nodes.back().inputs[0] = "grown";
  test::scratch_dir dir{"unsupported_chain"};
  auto path = dir.file("model.onnx");
  REQUIRE_FALSE(save_model(m, path).has_value());
  auto r = load_model(path);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::unsupported);
  CHECK(contains(r.error().message, "node 'e1' (Hardmax)"));
  CHECK(contains(r.error().message, "node 'roi1' (RoiAlign)"));
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

namespace {

/// x float32[-1, -1, -1] -> Flatten(axis 1) -> y, and a Reshape of x to the constant `shape`
/// -> z when one is given.
model_graph flatten_model(std::optional<std::vector<std::int64_t>> reshape_to = std::nullopt) {
  model_graph m;
  m.name = "flatten";
  m.opset = 13;
  m.inputs = {{"x", dtype::float32, {-1, -1, -1}}};
  m.outputs = {{"y", dtype::float32, {-1, -1}}};
  node flatten;
  flatten.op_type = "Flatten";
  flatten.name = "flat";
  flatten.inputs = {"x"};
  flatten.outputs = {"y"};
  flatten.attributes = {{"axis", std::int64_t{1}}};
  m.nodes = {flatten};
  if (reshape_to) {
    auto count = static_cast<std::int64_t>(reshape_to->size());
    m.initializers.insert_or_assign("shape", tensor::from_values<std::int64_t>({count}, *reshape_to));
    node reshape;
    reshape.op_type = "Reshape";
    reshape.name = "reshape1";
    reshape.inputs = {"x", "shape"};
    reshape.outputs = {"z"};
    m.nodes.push_back(reshape);
    m.outputs.push_back({"z", dtype::float32, {-1, -1}});
  }
  return m;
}

} // namespace

TEST_CASE("a Reshape to a constant shape that multiplies past int64 is refused, naming it") {
  // bench/fuzz/crashes/onnx/crash-0580...: the planner multiplied the extents and overflowed.
  auto m = std::make_shared<const model_graph>(
    flatten_model(std::vector<std::int64_t>{4611686018427387904, 4}));
  std::vector<shape_t> shapes = {{1, 2, 4}};
  auto p = plan::make(m, shapes);
  REQUIRE_FALSE(p.has_value());
  CHECK(p.error().code == errc::invalid_argument);
  CHECK(contains(p.error().message, "node 'reshape1' (Reshape)"));
  CHECK(contains(p.error().message, "holds more elements than an int64 counts"));
}

TEST_CASE("a node that names no first output is refused at planning, naming the node") {
  // bench/fuzz/crashes/onnx/crash-1f4b...: a Sub whose outputs were left out of the file; its
  // kernel was bound for no output at all and read past the list.
  for (std::vector<std::string> outputs : {std::vector<std::string>{},
                                           std::vector<std::string>{""}}) {
    auto m = flatten_model();
    m.nodes[0].outputs = outputs;
    auto shared = std::make_shared<const model_graph>(std::move(m));
    std::vector<shape_t> shapes = {{1, 2, 4}};
    auto p = plan::make(shared, shapes);
    REQUIRE_FALSE(p.has_value());
    CHECK(p.error().code == errc::invalid_argument);
    CHECK(contains(p.error().message,
                   "node 'flat' (Flatten): names no first output; every node writes one"));
  }
}

TEST_CASE("a request shape with no elements but huge extents is refused before any op sees it") {
  // [0, 2^62, 2^62] holds nothing, yet Flatten would multiply 2^62 by 2^62.
  auto m = std::make_shared<const model_graph>(flatten_model());
  std::vector<shape_t> shapes = {{0, std::int64_t{1} << 62, std::int64_t{1} << 62}};
  auto p = plan::make(m, shapes);
  REQUIRE_FALSE(p.has_value());
  CHECK(p.error().code == errc::invalid_argument);
  CHECK(contains(p.error().message, "input 'x': shape [0, 4611686018427387904, "
                                    "4611686018427387904] holds more than the 1099511627776 "
                                    "elements a value may have"));
  std::vector<shape_t> fine = {{0, 3, 4}};
  CHECK(plan::make(m, fine).has_value());
}

TEST_CASE("weights and declared shapes past the value limit are refused when the file loads") {
  test::scratch_dir dir{"huge_shapes"};
  auto weights = flatten_model();
  // A weight of no elements whose extents after the zero would overflow: only its dims are
  // in the file.
  weights.initializers.insert_or_assign(
    "empty", tensor{dtype::float32, {0, std::int64_t{1} << 62, std::int64_t{1} << 62}});
  auto path = dir.file("weights.onnx");
  test::write_bytes(path, require_ok(serialize_model(weights)));
  auto r = load_model(path);
  REQUIRE_FALSE(r.has_value());
  CHECK(contains(r.error().message, "initializer 'empty': dims too large"));

  // The second shape is bench/fuzz/crashes/onnx/crash-f615...: two extents under the limit
  // whose product overflows int64 (the check itself multiplied them).
  for (auto [shape, text] :
       {std::pair{shape_t{-1, std::int64_t{1} << 30, std::int64_t{1} << 30},
                  "[-1, 1073741824, 1073741824]"},
        std::pair{shape_t{-1, 72340817472, 164420425}, "[-1, 72340817472, 164420425]"}}) {
    auto declared = flatten_model();
    declared.inputs[0].shape = shape;
    auto declared_path = dir.file("declared.onnx");
    test::write_bytes(declared_path, require_ok(serialize_model(declared)));
    auto d = load_model(declared_path);
    REQUIRE_FALSE(d.has_value());
    CHECK(contains(d.error().message, fmt::format("input 'x': shape {} holds more than the "
                                                  "1099511627776 elements a value may have",
                                                  text)));
  }
}

} // namespace hogar::onnx
