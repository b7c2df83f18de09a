#include "kernels/onnx/conformance.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "kernels/onnx/executor.hpp"
#include "kernels/onnx/onnx_reader.hpp"
#include "kernels/ops/common.hpp"

namespace hogar::onnx {

namespace fs = std::filesystem;

namespace {

/// The files `prefix`N.pb of a data set folder, by N.
std::vector<fs::path> numbered_files(const fs::path& dir, std::string_view prefix) {
  std::vector<std::pair<int, fs::path>> found;
  for (auto& entry : fs::directory_iterator(dir)) {
    auto name = entry.path().filename().string();
    if (name.size() <= prefix.size() + 3 || name.compare(0, prefix.size(), prefix) != 0 ||
        entry.path().extension() != ".pb")
      continue;
    auto number = name.substr(prefix.size(), name.size() - prefix.size() - 3);
    if (number.empty() || !std::all_of(number.begin(), number.end(), ::isdigit))
      continue;
    found.emplace_back(std::stoi(number), entry.path());
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> out;
  for (auto& f : found)
    out.push_back(f.second);
  return out;
}

/// Compares one output; empty when it matches.
std::string compare(const tensor& actual, const tensor& expected, const std::string& name,
                    tolerance tol, double& max_abs) {
  if (actual.type() != expected.type() || actual.shape() != expected.shape())
    return fmt::format("output '{}': got {}{}, expected {}{}", name, to_string(actual.type()),
                       to_string(actual.shape()), to_string(expected.type()),
                       to_string(expected.shape()));
  std::string problem;
  ops::visit_dtype(actual.type(), [&](auto zero) {
    using T = decltype(zero);
    auto* a = ops::raw_values<T>(actual);
    auto* e = ops::raw_values<T>(expected);
    for (std::int64_t i = 0; i < actual.element_count(); ++i) {
      if constexpr (std::is_floating_point_v<T>) {
        double x = a[i], y = e[i];
        if (std::isnan(y) ? std::isnan(x) : (std::isinf(y) && x == y))
          continue;
        double d = std::fabs(x - y);
        if (!(d <= tol.atol + tol.rtol * std::fabs(y))) {
          if (problem.empty())
            problem = fmt::format("output '{}': element {} is {}, expected {} (error {:.3g})",
                                  name, i, x, y, d);
        }
        if (std::isfinite(d))
          max_abs = std::max(max_abs, d);
        else if (problem.empty())
          problem = fmt::format("output '{}': element {} is {}, expected {}", name, i, x, y);
      } else if (a[i] != e[i] && problem.empty()) {
        problem = fmt::format("output '{}': element {} is {}, expected {}", name, i,
                              static_cast<std::int64_t>(a[i]), static_cast<std::int64_t>(e[i]));
      }
    }
  });
  return problem;
}

} // namespace

std::string_view to_string(verdict v) noexcept {
  switch (v) {
    case verdict::pass: return "pass";
    case verdict::fail: return "FAIL";
    case verdict::unsupported: return "unsupported";
    case verdict::error: return "ERROR";
  }
  return "?";
}

case_result run_case(const std::string& case_dir, nn::device device, tolerance tol) {
  case_result r;
  r.case_dir = case_dir;
  r.device = device;
  auto finish = [&](verdict v, std::string message) {
    r.outcome = v;
    r.message = std::move(message);
    return r;
  };
  std::error_code ec;
  fs::path dir{case_dir};
  if (!fs::is_directory(dir, ec))
    return finish(verdict::error, "not a folder");
  auto model = load_model((dir / "model.onnx").string());
  if (!model)
    return finish(model.error().code == errc::unsupported ? verdict::unsupported : verdict::error,
                  model.error().message);
  auto shared = std::make_shared<const model_graph>(std::move(*model));
  executor_options options;
  options.device = device;
  options.reject_nan_inputs = false;
  auto exec = make_executor(shared, options);
  if (!exec)
    return finish(exec.error().code == errc::unsupported ? verdict::unsupported : verdict::error,
                  exec.error().message);
  std::vector<fs::path> sets;
  for (auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_directory() && entry.path().filename().string().rfind("test_data_set_", 0) == 0)
      sets.push_back(entry.path());
  std::sort(sets.begin(), sets.end());
  if (sets.empty())
    return finish(verdict::error, "no test_data_set_N folder");
  for (auto& set : sets) {
    std::vector<tensor> inputs;
    for (auto& file : numbered_files(set, "input_")) {
      auto t = load_tensor_proto(file.string());
      if (!t)
        return finish(verdict::error, t.error().message);
      inputs.push_back(std::move(t->value));
    }
    // Optional inputs left out of a case are not among the files: a model may declare more.
    auto outputs = (*exec)->run(inputs);
    if (!outputs)
      return finish(outputs.error().code == errc::unsupported ? verdict::unsupported
                                                               : verdict::error,
                    outputs.error().message);
    auto expected_files = numbered_files(set, "output_");
    if (expected_files.size() > outputs->size())
      return finish(verdict::fail, fmt::format("{} outputs expected, the model made {}",
                                               expected_files.size(), outputs->size()));
    for (std::size_t k = 0; k < expected_files.size(); ++k) {
      auto expected = load_tensor_proto(expected_files[k].string());
      if (!expected)
        return finish(verdict::error, expected.error().message);
      const auto& name = shared->outputs[k].name;
      auto problem = compare((*outputs)[k], expected->value, name, tol, r.max_abs_error);
      if (!problem.empty())
        return finish(verdict::fail, fmt::format("{}: {}", set.filename().string(), problem));
    }
    ++r.data_sets;
  }
  return finish(verdict::pass, "");
}

std::string describe(const case_result& r) {
  auto name = fs::path{r.case_dir}.filename().string();
  if (name.empty())
    name = fs::path{r.case_dir}.parent_path().filename().string();
  switch (r.outcome) {
    case verdict::pass:
      return fmt::format("{} [{}]: pass ({} data set{}, max error {:.3g})", name,
                         nn::to_string(r.device), r.data_sets, r.data_sets == 1 ? "" : "s",
                         r.max_abs_error);
    case verdict::fail:
      return fmt::format("{} [{}]: FAIL (max error {:.3g}): {}", name, nn::to_string(r.device),
                         r.max_abs_error, r.message);
    default:
      return fmt::format("{} [{}]: {}: {}", name, nn::to_string(r.device), to_string(r.outcome),
                         r.message);
  }
}

} // namespace hogar::onnx
