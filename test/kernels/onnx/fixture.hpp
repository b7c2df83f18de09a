// fixture.hpp: the one fixture of the ONNX tests (kernels_onnx_test): scratch folders, model
// comparison, and running a model on a CPU path, skipping (and saying so) when hogar does not
// run one of its operators yet.
#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include "kernels/nn/op.hpp"
#include "kernels/onnx/executor.hpp"
#include "kernels/onnx/model_graph.hpp"
#include "base/result.hpp"

namespace hogar::test {

/// A fresh folder under the system's temporary folder, removed with everything in it when the
/// object goes. Named after the process, so that test cases running side by side never share.
class scratch_dir {
public:
  explicit scratch_dir(std::string_view purpose) {
    static int count = 0;
    path_ = std::filesystem::temp_directory_path() /
            fmt::format("hogar-onnx-{}-{}-{}", purpose, ::getpid(), count++);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~scratch_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  std::string file(std::string_view name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const noexcept { return path_; }

private:
  std::filesystem::path path_;
};

/// The value of `r`, failing the test case with its error message when there is none.
template <class T>
T require_ok(result<T> r) {
  REQUIRE_MESSAGE(r.has_value(), (r.has_value() ? std::string{} : r.error().message));
  return std::move(*r);
}

inline void write_bytes(const std::string& path, std::string_view bytes) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

/// Whether hogar runs every operator of `m`; when not, the test case says which are missing
/// and the caller returns (the operator families land one by one).
inline bool runs_every_op(const onnx::model_graph& m) {
  std::set<std::string> missing;
  for (auto& n : m.nodes)
    if (!nn::find_op(n.op_type))
      missing.insert(n.op_type);
  if (missing.empty())
    return true;
  MESSAGE(fmt::format("skipped for model '{}': hogar does not run {} yet", m.name,
                      fmt::join(missing, ", ")));
  return false;
}

inline std::unique_ptr<onnx::executor> make_cpu_executor(const onnx::model_graph& m,
                                                         nn::device device) {
  onnx::executor_options options;
  options.device = device;
  return require_ok(onnx::make_executor(std::make_shared<const onnx::model_graph>(m), options));
}

/// Every field of two models but `source` (where each was read from) is the same.
inline void require_same_model(const onnx::model_graph& a, const onnx::model_graph& b) {
  CHECK(a.name == b.name);
  CHECK(a.producer == b.producer);
  CHECK(a.ir_version == b.ir_version);
  CHECK(a.opset == b.opset);
  auto same_values = [](const std::vector<onnx::value_info>& x,
                        const std::vector<onnx::value_info>& y) {
    REQUIRE(x.size() == y.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      CHECK(x[i].name == y[i].name);
      CHECK(x[i].type == y[i].type);
      CHECK(x[i].shape == y[i].shape);
    }
  };
  same_values(a.inputs, b.inputs);
  same_values(a.outputs, b.outputs);
  REQUIRE(a.initializers.size() == b.initializers.size());
  for (auto& [name, value] : a.initializers) {
    auto* other = b.find_initializer(name);
    REQUIRE_MESSAGE(other != nullptr, "initializer ", name);
    CHECK_MESSAGE(value == *other, "initializer ", name);
  }
  REQUIRE(a.nodes.size() == b.nodes.size());
  for (std::size_t i = 0; i < a.nodes.size(); ++i) {
    const auto& x = a.nodes[i];
    const auto& y = b.nodes[i];
    CHECK(x.op_type == y.op_type);
    CHECK(x.name == y.name);
    CHECK(x.inputs == y.inputs);
    CHECK(x.outputs == y.outputs);
    REQUIRE(x.attributes.size() == y.attributes.size());
    for (std::size_t k = 0; k < x.attributes.size(); ++k) {
      CHECK(x.attributes[k].name == y.attributes[k].name);
      CHECK_MESSAGE(x.attributes[k].value == y.attributes[k].value, x.describe(), ": attribute ",
                    x.attributes[k].name);
    }
  }
}

} // namespace hogar::test
