// adder_repository.hpp: a model repository of tiny ONNX models for the model operator
// tests: version v of model "adder" computes y[N, 4] = x[N, 4] + v, so every answer says which
// version computed it.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <unistd.h>

#include "kernels/onnx/onnx_writer.hpp"
#include "kernels/tensor.hpp"
#include "actors/messages.hpp"

namespace hogar::test {

/// y[N, 4] = x[N, 4] + k: an ONNX model whose output tells the version that ran it.
inline onnx::model_graph adder(float k) {
  onnx::model_graph m;
  m.name = "adder";
  m.opset = 13;
  m.inputs = {{"x", dtype::float32, {-1, 4}}};
  m.outputs = {{"y", dtype::float32, {-1, 4}}};
  m.initializers.emplace("k", tensor::from_values<float>({4}, std::vector<float>(4, k)));
  onnx::node add;
  add.op_type = "Add";
  add.name = "add";
  add.inputs = {"x", "k"};
  add.outputs = {"y"};
  m.nodes.push_back(add);
  return m;
}

/// A repository with model "adder" at the given versions (version v adds v), removed with
/// the object; `config` goes to adder/config.yaml when not empty.
struct repository {
  explicit repository(std::vector<int> versions, std::string config = {}) {
    root = std::filesystem::temp_directory_path() /
           ("hogar_actors_repo_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    std::filesystem::remove_all(root);
    for (auto v : versions)
      add(v);
    if (!config.empty())
      std::ofstream{root / "adder" / "config.yaml"} << config;
  }
  ~repository() { std::filesystem::remove_all(root); }

  void add(int version) {
    auto dir = root / "adder" / std::to_string(version);
    std::filesystem::create_directories(dir);
    REQUIRE_FALSE(onnx::save_model(adder(static_cast<float>(version)), (dir / "model.onnx").string()));
  }

  static int& counter() {
    static int n = 0;
    return n;
  }

  std::filesystem::path root;
};

inline record features(float base) {
  return record{{"x", tensor::from_values<float>({4}, std::vector<float>{base, base + 1, base + 2,
                                                                         base + 3})}};
}

} // namespace hogar::test
