// `hogar model ops --model FILE` and `hogar model profile --model FILE`: one model's nodes as
// an executor runs them for given input shapes: what computes each (oneDNN and its kernel,
// OpenBLAS, hogar's own, or the reference standing in where the fast path has no kernel), the
// layouts between them, and with `profile` each node's time, as onnxruntime's profiler and
// Triton's perf_analyzer would tell a user where the time goes.
#include <algorithm>
#include <charconv>
#include <iostream>
#include <map>
#include <thread>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kernels/device.hpp"
#include "kernels/nn/cpu_features.hpp"
#include "kernels/onnx/executor.hpp"
#include "kernels/onnx/onnx_reader.hpp"
#include "kernels/random_tensor.hpp"
#include "tools/hogar/commands.hpp"

namespace po = boost::program_options;

namespace hogar::cli {

namespace {

struct report_options {
  std::string model_path;
  std::string device_name = "cpu";
  std::string precision = "fp32";
  std::int64_t batch = 1;
  std::vector<std::string> shapes;
  std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
  int runs = 0;
  bool json = false;
};

/// "3x224x224" or "1,3,224,224" as extents; nullopt when malformed.
std::optional<shape_t> parse_extents(std::string_view text) {
  shape_t out;
  while (!text.empty()) {
    auto end = text.find_first_of("x,");
    auto part = text.substr(0, end);
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc{} || ptr != part.data() + part.size() || v < 0)
      return std::nullopt;
    out.push_back(v);
    if (end == std::string_view::npos)
      break;
    text.remove_prefix(end + 1);
  }
  if (out.empty())
    return std::nullopt;
  return out;
}

/// The inputs to report on: each declared input with --shape's extents where given, else its
/// declared ones with the first dynamic extent --batch and the others random_dynamic_extent.
result<std::vector<tensor>> make_inputs(const onnx::model_graph& m, const report_options& o) {
  std::map<std::string, shape_t, std::less<>> given;
  for (auto& s : o.shapes) {
    auto eq = s.find('=');
    auto extents = eq == std::string::npos ? std::nullopt : parse_extents(s.substr(eq + 1));
    if (!extents)
      return fail(errc::invalid_argument,
                  fmt::format("--shape '{}': expected NAME=D1xD2x... (say input=1x3x224x224)", s));
    auto name = s.substr(0, eq);
    auto declared = std::find_if(m.inputs.begin(), m.inputs.end(),
                                 [&](auto& in) { return in.name == name; });
    if (declared == m.inputs.end())
      return fail(errc::invalid_argument,
                  fmt::format("--shape '{}': the model has no input '{}'", s, name));
    given[name] = *extents;
  }
  std::vector<tensor> inputs;
  for (std::size_t i = 0; i < m.inputs.size(); ++i) {
    const auto& in = m.inputs[i];
    auto it = given.find(in.name);
    const shape_t shape = it != given.end() ? it->second : batch_shape(in.shape, o.batch);
    if (!onnx::shape_within_limit(shape))
      return fail(errc::invalid_argument,
                  fmt::format("input '{}': shape {} is too large", in.name, to_string(shape)));
    try {
      inputs.push_back(random_tensor(in.type, shape, 1000 + i));
    } catch (const std::bad_alloc&) {
      return fail(errc::invalid_argument, fmt::format("input '{}': no memory for shape {}",
                                                      in.name, to_string(shape)));
    }
  }
  return inputs;
}

std::string shapes_line(const onnx::model_graph& m, const std::vector<tensor>& inputs) {
  std::string out;
  for (std::size_t i = 0; i < inputs.size(); ++i)
    out += fmt::format("{}'{}' {}{}", i ? ", " : "", m.inputs[i].name,
                       to_string(inputs[i].type()), to_string(inputs[i].shape()));
  return out;
}

int print_report(const report_options& o, std::string_view command) {
  auto device = nn::device_from_string(o.device_name);
  if (!device || *device == nn::device::gpu) {
    fmt::print(stderr, "hogar model {}: --device '{}': per-node reports are made for reference "
                       "or cpu\n",
               command, o.device_name);
    return 2;
  }
  if (o.batch < 1 || o.threads < 1) {
    fmt::print(stderr, "hogar model {}: --batch and --threads must be at least 1\n", command);
    return 2;
  }
  auto loaded = onnx::load_model(o.model_path);
  if (!loaded) {
    fmt::print(stderr, "hogar model {}: {}\n", command, loaded.error().message);
    return 1;
  }
  auto model = std::make_shared<const onnx::model_graph>(std::move(*loaded));
  auto inputs = make_inputs(*model, o);
  if (!inputs) {
    fmt::print(stderr, "hogar model {}: {}: {}\n", command, o.model_path, inputs.error().message);
    return 2;
  }
  auto precision = onnx::precision_from_string(o.precision);
  if (!precision) {
    fmt::print(stderr, "hogar model {}: --precision '{}' is not fp32 or bf16\n", command,
               o.precision);
    return 2;
  }
  onnx::executor_options options;
  options.device = *device;
  options.precision = *precision;
  options.intra_op_threads = o.threads;
  auto exec = onnx::make_executor(model, options);
  if (!exec) {
    fmt::print(stderr, "hogar model {}: {}\n", command, exec.error().message);
    return 1;
  }
  auto nodes = (*exec)->report(*inputs, o.runs);
  if (!nodes) {
    fmt::print(stderr, "hogar model {}: {}\n", command, nodes.error().message);
    return 1;
  }
  double total_ns = 0;
  std::size_t fallbacks = 0;
  for (auto& n : *nodes) {
    total_ns += n.mean_ns;
    fallbacks += n.fallback ? 1 : 0;
  }

  if (o.json) {
    auto doc = nlohmann::json{{"model", o.model_path},
                              {"device", o.device_name},
                              {"precision", o.precision},
                              {"intra_op_threads", o.threads},
                              {"inputs", shapes_line(*model, *inputs)},
                              {"cpu", nn::cpu_description()},
                              {"runs", o.runs},
                              {"nodes", nlohmann::json::array()}};
    for (auto& n : *nodes) {
      nlohmann::json entry{{"node", n.node},          {"op_type", n.op_type},
                           {"kernel", n.kernel},      {"fallback", n.fallback},
                           {"input_layout", n.input_layout},
                           {"output_layout", n.output_layout}};
      if (o.runs > 0)
        entry["mean_us"] = n.mean_ns / 1e3;
      doc["nodes"].push_back(std::move(entry));
    }
    if (o.runs > 0)
      doc["total_us"] = total_ns / 1e3;
    fmt::print("{}\n", doc.dump(2));
    return 0;
  }

  fmt::print("{}: {} on {} in {}, {} intra-op thread{}\nthis CPU: {}\n\n", o.model_path,
             shapes_line(*model, *inputs), o.device_name, o.precision, o.threads,
             o.threads == 1 ? "" : "s", nn::cpu_description());
  std::size_t width = 4, kernel_width = 6;
  for (auto& n : *nodes) {
    width = std::max(width, n.node.size());
    kernel_width = std::max(kernel_width, n.kernel.size());
  }
  width = std::min<std::size_t>(width, 60);
  kernel_width = std::min<std::size_t>(kernel_width, 60);
  if (o.runs > 0)
    fmt::print("{:>10} {:>6}  ", "mean us", "share");
  fmt::print("{:<{}}  {:<{}}  {}\n", "node", width, "kernel", kernel_width, "layout in -> out");
  for (auto& n : *nodes) {
    if (o.runs > 0)
      fmt::print("{:>10.1f} {:>5.1f}%  ", n.mean_ns / 1e3,
                 total_ns > 0 ? 100.0 * n.mean_ns / total_ns : 0.0);
    fmt::print("{:<{}}  {:<{}}  {} -> {}\n", n.node, width, n.kernel, kernel_width,
               n.input_layout, n.output_layout);
  }
  if (o.runs > 0) {
    // Where the time goes, by op type, the largest first.
    std::map<std::string, std::pair<double, int>> by_type;
    for (auto& n : *nodes) {
      by_type[n.op_type].first += n.mean_ns;
      ++by_type[n.op_type].second;
    }
    std::vector<std::pair<std::string, std::pair<double, int>>> sorted(by_type.begin(),
                                                                       by_type.end());
    std::sort(sorted.begin(), sorted.end(),
              [](auto& a, auto& b) { return a.second.first > b.second.first; });
    fmt::print("\n{:>10} {:>6}  {:<20} {}\n", "mean us", "share", "op type", "nodes");
    for (auto& [type, t] : sorted)
      fmt::print("{:>10.1f} {:>5.1f}%  {:<20} {}\n", t.first / 1e3,
                 total_ns > 0 ? 100.0 * t.first / total_ns : 0.0, type, t.second);
    fmt::print("{:>10.1f} {:>5.1f}%  all nodes, mean of {} runs after one to warm up\n",
               total_ns / 1e3, 100.0, o.runs);
  }
  fmt::print("\n{} nodes: {} on fast kernels, {} on the reference", nodes->size(),
             nodes->size() - fallbacks, fallbacks);
  if (*device == nn::device::reference)
    fmt::print(" (--device reference)");
  fmt::print("\n");
  for (auto& n : *nodes)
    if (n.fallback)
      fmt::print("  {}: {}\n", n.node, n.kernel);
  return 0;
}

po::options_description report_flags(report_options& o) {
  po::options_description desc;
  desc.add_options()("help,h", "show this help")
    ("model", po::value(&o.model_path), "the ONNX file")
    ("device", po::value(&o.device_name)->default_value(o.device_name),
     "cpu (the fast path) or reference")
    ("batch", po::value(&o.batch)->default_value(o.batch),
     "the extent of each input's first dynamic dimension")
    ("shape", po::value(&o.shapes)->multitoken(),
     "NAME=D1xD2x...: an input's whole shape (other dynamic extents are 8)")
    ("threads", po::value(&o.threads)->default_value(o.threads), "intra-op threads")
    ("precision", po::value(&o.precision)->default_value(o.precision),
     "fp32, or bf16 (Convs and fully connected Gemms in bfloat16, on a CPU with AMX or "
     "AVX512-BF16)")
    ("json", po::bool_switch(&o.json), "print JSON");
  return desc;
}

/// Reads the options of `hogar model ops --model` (runs: 0) or `hogar model profile`.
int report_command(const args& argv, std::string_view command, int runs) {
  report_options o;
  o.runs = runs;
  po::options_description desc{fmt::format("hogar model {} --model FILE [options]", command)};
  desc.add(report_flags(o));
  if (runs > 0)
    desc.add_options()("runs", po::value(&o.runs)->default_value(o.runs),
                       "timed runs (after one to warm up)");
  po::variables_map vm;
  po::store(po::command_line_parser(argv).options(desc).run(), vm);
  po::notify(vm);
  if (vm.count("help") || o.model_path.empty()) {
    std::cout << desc;
    return vm.count("help") ? 0 : 2;
  }
  if (runs > 0 && o.runs < 1) {
    fmt::print(stderr, "hogar model {}: --runs {}: at least 1\n", command, o.runs);
    return 2;
  }
  return print_report(o, command);
}

} // namespace

int model_ops_report(const args& argv) {
  return report_command(argv, "ops", 0);
}

int model_profile(const args& argv) {
  return report_command(argv, "profile", 20);
}

} // namespace hogar::cli
