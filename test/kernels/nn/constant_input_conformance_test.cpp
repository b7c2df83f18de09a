// constant_input_conformance_test.cpp: ONNX backend cases whose model takes, as a request
// input, a value hogar needs before any request: Reshape's shape, Resize's roi, scales and
// sizes, Upsample's scales, the shape arguments of Slice, Split, Expand, Tile and Pad, Range's
// inputs (hogar plans every shape once, before the first request). Each
// case runs with those inputs' data-set values made initializers, which is what an exported
// model holds, and must give the expected outputs (Reshape's exactly: it moves no arithmetic;
// the others within the conformance runner's tolerance). The case names come from
// conformance_cases.cmake.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/onnx/conformance.hpp"
#include "kernels/onnx/onnx_reader.hpp"
#include "test/kernels/nn/fixture.hpp"

namespace hogar::test {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  std::stringstream list{HOGAR_CONSTANT_INPUT_CASES};
  for (std::string name; std::getline(list, name, ',');)
    if (!name.empty())
      names.push_back(name);
  return names;
}

/// The node inputs whose values hogar needs when it plans.
std::vector<std::size_t> planned_inputs(const onnx::node& n) {
  if (n.op_type == "Reshape" || n.op_type == "Upsample" || n.op_type == "Unsqueeze" ||
      n.op_type == "Squeeze" || n.op_type.starts_with("Reduce") || n.op_type == "TopK")
    return {1};
  if (n.op_type == "ConstantOfShape")
    return {0};
  // NonMaxSuppression's thresholds stay request inputs: the kernels read them when they run.
  if (n.op_type == "NonMaxSuppression")
    return {2};
  // Pad's constant_value (input 2) stays a request input: the kernels read it when they run.
  if (n.op_type == "Split" || n.op_type == "Expand" || n.op_type == "Tile" || n.op_type == "Pad")
    return {1};
  if (n.op_type == "Slice")
    return {1, 2, 3, 4};
  if (n.op_type == "Range")
    return {0, 1, 2};
  if (n.op_type == "Resize")
    return {1, 2, 3};
  return {};
}

/// The case's model with every graph input that a node needs when it is planned made an
/// initializer holding `inputs`' value; those inputs are removed from `inputs`.
onnx::model_graph with_constant_shapes(onnx::model_graph model, std::vector<tensor>& inputs) {
  for (auto& n : model.nodes)
    for (auto slot : planned_inputs(n)) {
      if (!n.has_input(slot))
        continue;
      auto it = std::find_if(model.inputs.begin(), model.inputs.end(),
                             [&](auto& v) { return v.name == n.inputs[slot]; });
      if (it == model.inputs.end())
        continue;
      const auto index = static_cast<std::size_t>(it - model.inputs.begin());
      model.initializers.insert_or_assign(it->name, inputs[index]);
      inputs.erase(inputs.begin() + static_cast<std::ptrdiff_t>(index));
      model.inputs.erase(it);
    }
  return model;
}

/// Within the conformance runner's default tolerance (kernels/onnx/conformance.hpp), or equal
/// for other dtypes.
bool close_to(const tensor& actual, const tensor& expected) {
  if (actual.type() != dtype::float32 || expected.type() != dtype::float32)
    return actual == expected;
  if (actual.shape() != expected.shape())
    return false;
  const onnx::tolerance tol;
  auto a = actual.values<float>();
  auto e = expected.values<float>();
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!(std::fabs(static_cast<double>(a[i]) - e[i]) <= tol.atol + tol.rtol * std::fabs(e[i])))
      return false;
  return true;
}

TEST_CASE("the Reshape, Resize and Upsample conformance cases pass once their shape inputs are "
          "constants") {
  const fs::path root{HOGAR_ONNX_NODE_CASES};
  if (!fs::is_directory(root)) {
    MESSAGE("skipped: " << root.string() << " is missing (Debian package libonnx-testdata)");
    return;
  }
  const auto names = case_names();
  REQUIRE_FALSE(names.empty());
  for (auto& name : names) {
    INFO(name);
    const auto dir = root / name;
    auto model = onnx::load_model((dir / "model.onnx").string());
    REQUIRE_MESSAGE(model.has_value(), model.error().message);
    int sets = 0;
    for (auto& entry : fs::directory_iterator(dir)) {
      if (!entry.is_directory())
        continue;
      std::vector<tensor> inputs;
      for (std::size_t i = 0; fs::exists(entry.path() / fmt::format("input_{}.pb", i)); ++i) {
        auto t = onnx::load_tensor_proto((entry.path() / fmt::format("input_{}.pb", i)).string());
        REQUIRE_MESSAGE(t.has_value(), t.error().message);
        inputs.push_back(t->value);
      }
      // Every output the data set holds (TopK's Indices besides its Values).
      std::vector<tensor> expected;
      for (std::size_t o = 0; fs::exists(entry.path() / fmt::format("output_{}.pb", o)); ++o) {
        auto t = onnx::load_tensor_proto((entry.path() / fmt::format("output_{}.pb", o)).string());
        REQUIRE_MESSAGE(t.has_value(), t.error().message);
        expected.push_back(t->value);
      }
      REQUIRE_FALSE(expected.empty());
      model_with_inputs m;
      m.model = std::make_shared<const onnx::model_graph>(with_constant_shapes(*model, inputs));
      m.inputs = inputs;
      REQUIRE(m.model->initializers.size() > model->initializers.size());
      for (auto d : {nn::device::reference, nn::device::cpu}) {
        auto out = run_on(m, d);
        REQUIRE_MESSAGE(out.has_value(), out.error().message);
        REQUIRE(out->size() == expected.size());
        for (std::size_t o = 0; o < expected.size(); ++o)
          CHECK_MESSAGE(close_to((*out)[o], expected[o]), nn::to_string(d), ": output ", o,
                        " is ", summarize((*out)[o]), ", expected ", summarize(expected[o]));
      }
      ++sets;
    }
    CHECK(sets > 0);
  }
}

} // namespace
} // namespace hogar::test
