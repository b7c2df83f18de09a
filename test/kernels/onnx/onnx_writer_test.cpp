// The ONNX writer: what it writes reads back as the same model, in ONNX's own terms too.
#include <limits>

#include <onnx/onnx_pb.h>

#include "kernels/onnx/onnx_reader.hpp"
#include "kernels/onnx/onnx_writer.hpp"
#include "test/kernels/onnx/fixture.hpp"

namespace hogar::onnx {

namespace {

using test::require_ok;

/// A model of operators that every build of hogar runs, carrying every dtype of initializer
/// (a scalar, an empty one) and every type of attribute, with dynamic extents in and out of
/// dimension 0.
model_graph every_kind_of_model() {
  model_graph m;
  m.name = "every kind";
  m.producer = "writer test";
  m.ir_version = onnx_ir_version_written;
  m.opset = 13;
  m.inputs = {{"x", dtype::float32, {-1, 3, -1}}, {"counts", dtype::int64, {2, 5}}};
  m.outputs = {{"y", dtype::float32, {-1, 3, -1}}, {"doubled", dtype::int64, {2, 5}}};
  m.initializers.emplace("scale", tensor::from_values<float>({3, 1}, {0.5f, -2.0f, 1e-30f}));
  m.initializers.emplace("f64", tensor::from_values<double>({2}, {1.0 / 3, -0.0}));
  m.initializers.emplace("i8", tensor::from_values<std::int8_t>({2}, {-128, 127}));
  m.initializers.emplace("i32", tensor::from_values<std::int32_t>({1, 2}, {-7, 1 << 30}));
  m.initializers.emplace("two", tensor::scalar<std::int64_t>(2));
  m.initializers.emplace("u8", tensor::from_values<std::uint8_t>({3}, {0, 128, 255}));
  const bool flags[] = {true, false};
  m.initializers.emplace("flags", tensor::from_values<bool>({2}, std::span<const bool>{flags}));
  m.initializers.emplace("nothing", tensor{dtype::float32, {0}});
  node mul;
  mul.op_type = "Mul";
  mul.name = "scale x";
  mul.inputs = {"x", "scale"};
  mul.outputs = {"y"};
  mul.attributes = {
    {"i", std::int64_t{-5}},
    {"f", 0.25f},
    {"s", std::string{"text with spaces"}},
    {"ints", std::vector<std::int64_t>{1, -2, std::numeric_limits<std::int64_t>::max()}},
    {"floats", std::vector<float>{1.5f, -0.0f}},
    {"strings", std::vector<std::string>{"a", "", "c"}},
    {"t", tensor::from_values<float>({2, 2}, {1, 2, 3, 4})},
    {"empty ints", std::vector<std::int64_t>{}},
  };
  node add;
  add.op_type = "Add";
  add.name = "double counts";
  add.inputs = {"counts", "counts"};
  add.outputs = {"doubled"};
  m.nodes = {mul, add};
  return m;
}

} // namespace

TEST_CASE("a model written and read back is the model that was written") {
  test::scratch_dir dir{"writer"};
  auto written = every_kind_of_model();
  auto path = dir.file("model.onnx");
  auto problem = save_model(written, path);
  REQUIRE_MESSAGE(!problem, (problem ? problem->message : ""));
  auto read = require_ok(load_model(path));
  CHECK(read.source == path);
  test::require_same_model(written, read);
}

TEST_CASE("the written file is IR 8 with the model's opset and named symbolic dimensions") {
  auto bytes = require_ok(serialize_model(every_kind_of_model()));
  ::onnx::ModelProto proto;
  REQUIRE(proto.ParseFromString(bytes));
  CHECK(proto.ir_version() == 8);
  CHECK(proto.producer_name() == "writer test");
  REQUIRE(proto.opset_import_size() == 1);
  CHECK(proto.opset_import(0).domain().empty());
  CHECK(proto.opset_import(0).version() == 13);
  const auto& x = proto.graph().input(0).type().tensor_type().shape();
  REQUIRE(x.dim_size() == 3);
  CHECK(x.dim(0).dim_param() == "batch");
  CHECK(x.dim(1).dim_value() == 3);
  CHECK(x.dim(2).dim_param() == "d2");
  // Initializers are weights, not inputs (IR 4 and later), and keep their bytes raw.
  CHECK(proto.graph().input_size() == 2);
  for (auto& init : proto.graph().initializer()) {
    CHECK_MESSAGE(init.has_raw_data(), init.name());
    CHECK(init.float_data_size() == 0);
  }
  CHECK(proto.graph().node(0).attribute(6).type() == ::onnx::AttributeProto_AttributeType_TENSOR);
}

TEST_CASE("writing a model twice gives the same bytes") {
  auto m = every_kind_of_model();
  CHECK(require_ok(serialize_model(m)) == require_ok(serialize_model(m)));
}

TEST_CASE("a producer left empty is written as hogar") {
  auto m = every_kind_of_model();
  m.producer.clear();
  auto read = require_ok(parse_model(require_ok(serialize_model(m)), "memory"));
  CHECK(read.producer == "hogar");
}

TEST_CASE("the writer refuses a model it cannot write as ONNX, saying why") {
  auto m = every_kind_of_model();
  SUBCASE("no opset") {
    m.opset = 0;
    auto r = serialize_model(m);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("no opset") != std::string::npos);
  }
  SUBCASE("an unnamed output") {
    m.outputs[1].name.clear();
    auto r = serialize_model(m);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("an output has no name") != std::string::npos);
  }
  SUBCASE("a node without an op type") {
    m.nodes[1].op_type.clear();
    auto r = serialize_model(m);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("node 'double counts' has no op type") != std::string::npos);
  }
}

TEST_CASE("save_model names the file it cannot write and leaves nothing behind") {
  test::scratch_dir dir{"writer-fail"};
  auto path = (dir.path() / "missing folder" / "model.onnx").string();
  auto problem = save_model(every_kind_of_model(), path);
  REQUIRE(problem.has_value());
  CHECK(problem->code == errc::io_error);
  CHECK(problem->message.find(path) != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "missing folder"));
}

TEST_CASE("save_model replaces an existing file whole") {
  test::scratch_dir dir{"writer-replace"};
  auto path = dir.file("model.onnx");
  test::write_bytes(path, std::string(1 << 20, 'x'));
  auto m = every_kind_of_model();
  REQUIRE_FALSE(save_model(m, path).has_value());
  CHECK(test::read_bytes(path) == require_ok(serialize_model(m)));
  CHECK_FALSE(std::filesystem::exists(path + ".partial"));
}

} // namespace hogar::onnx
