// constant_input_conformance_test.cpp: ONNX backend cases whose model takes, as a request
// input, a value hogar needs before any request: Reshape's shape (hogar plans every shape
// once, before the first request). Each case runs with that input's data-set value made an
// initializer, which is what an exported model holds, and must give the expected outputs
// exactly (Reshape moves no arithmetic). The case names come from conformance_cases.cmake.
#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

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

/// The case's model with every input that a node reads as input 1 of a Reshape made an
/// initializer holding `inputs`' value; those inputs are removed from `inputs`.
onnx::model_graph with_constant_shapes(onnx::model_graph model, std::vector<tensor>& inputs) {
  for (auto& n : model.nodes) {
    if (n.op_type != "Reshape" || !n.has_input(1))
      continue;
    auto it = std::find_if(model.inputs.begin(), model.inputs.end(),
                           [&](auto& v) { return v.name == n.inputs[1]; });
    if (it == model.inputs.end())
      continue;
    const auto index = static_cast<std::size_t>(it - model.inputs.begin());
    model.initializers.insert_or_assign(it->name, inputs[index]);
    inputs.erase(inputs.begin() + static_cast<std::ptrdiff_t>(index));
    model.inputs.erase(it);
  }
  return model;
}

TEST_CASE("the Reshape conformance cases pass once their shape input is a constant") {
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
      auto expected = onnx::load_tensor_proto((entry.path() / "output_0.pb").string());
      REQUIRE_MESSAGE(expected.has_value(), expected.error().message);
      model_with_inputs m;
      m.model = std::make_shared<const onnx::model_graph>(with_constant_shapes(*model, inputs));
      m.inputs = inputs;
      REQUIRE(m.model->initializers.size() == model->initializers.size() + 1);
      for (auto d : {nn::device::reference, nn::device::cpu}) {
        auto out = run_on(m, d);
        REQUIRE_MESSAGE(out.has_value(), out.error().message);
        CHECK_MESSAGE((*out)[0] == expected->value, nn::to_string(d), ": got ",
                      summarize((*out)[0]), ", expected ", summarize(expected->value));
      }
      ++sets;
    }
    CHECK(sets > 0);
  }
}

} // namespace
} // namespace hogar::test
