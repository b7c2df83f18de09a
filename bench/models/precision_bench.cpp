// precision_bench: what `precision: bf16` changes on the fast CPU path, per example model:
//
//   - accuracy against fp32 on --inputs random inputs (batches of --batch): the largest and
//     the mean absolute difference of every output element, and top-1 agreement, the share
//     of items whose largest entry along the last axis of output 0 is the same entry;
//   - speed: images/s of bf16 and fp32 at each of --speed-batches, the two taking turns batch
//     by batch for --seconds each (paired, so that the machine's noise hits both alike), and
//     their ratio.
//
// On a CPU without AMX or AVX512-BF16 every row says bf16 was refused, and why. Writes a
// markdown table to bench/results/precision.md (or --output).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "bench/number_list.hpp"
#include "bench/report_header.hpp"
#include "kernels/nn/cpu_features.hpp"
#include "kernels/onnx/executor.hpp"
#include "kernels/onnx/model_store.hpp"
#include "kernels/random_tensor.hpp"

namespace po = boost::program_options;
using namespace hogar;
using clock_type = std::chrono::steady_clock;

namespace {

struct options {
  std::string repository = "build/models";
  std::vector<std::string> models{"resnet18", "classifier", "detector", "plate_reader"};
  std::string output = "bench/results/precision.md";
  int inputs = 1000;
  std::int64_t batch = 50;
  std::vector<std::int64_t> speed_batches{1, 8, 64};
  double seconds = 3.0;
  std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
};

/// The model's inputs for one batch: declared shapes with the batch extent `batch`.
std::vector<tensor> batch_inputs(const onnx::model_graph& m, std::int64_t batch, std::uint64_t seed) {
  std::vector<tensor> out;
  for (std::size_t i = 0; i < m.inputs.size(); ++i)
    out.push_back(random_tensor(m.inputs[i].type, batch_shape(m.inputs[i].shape, batch),
                                seed * 131 + i));
  return out;
}

struct accuracy {
  double max_abs = 0, sum_abs = 0;
  std::int64_t elements = 0, items = 0, same_top1 = 0;
};

void compare(const tensor& fp32, const tensor& bf16, accuracy& a) {
  auto x = fp32.values<float>();
  auto y = bf16.values<float>();
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double d = std::abs(static_cast<double>(x[i]) - static_cast<double>(y[i]));
    a.max_abs = std::max(a.max_abs, d);
    a.sum_abs += d;
  }
  a.elements += static_cast<std::int64_t>(x.size());
  const auto classes = fp32.shape().empty() ? 1 : fp32.shape().back();
  for (std::size_t row = 0; classes > 0 && row + static_cast<std::size_t>(classes) <= x.size();
       row += static_cast<std::size_t>(classes)) {
    auto top = [&](std::span<const float> v) {
      return std::max_element(v.begin() + static_cast<std::ptrdiff_t>(row),
                              v.begin() + static_cast<std::ptrdiff_t>(row) + classes) -
             v.begin();
    };
    ++a.items;
    if (top(x) == top(y))
      ++a.same_top1;
  }
}

/// images/s of each executor at `batch`, taking turns batch by batch for `seconds`.
std::pair<double, double> paired_speed(onnx::executor& fp32, onnx::executor& bf16,
                                       const std::vector<tensor>& inputs, std::int64_t batch,
                                       double seconds) {
  for (int warm = 0; warm < 2; ++warm) {
    (void)fp32.run(inputs);
    (void)bf16.run(inputs);
  }
  double t_fp32 = 0, t_bf16 = 0;
  int runs = 0;
  auto start = clock_type::now();
  while (runs < 3 || std::chrono::duration<double>(clock_type::now() - start).count() < seconds) {
    auto a = clock_type::now();
    (void)fp32.run(inputs);
    auto b = clock_type::now();
    (void)bf16.run(inputs);
    auto c = clock_type::now();
    t_fp32 += std::chrono::duration<double>(b - a).count();
    t_bf16 += std::chrono::duration<double>(c - b).count();
    ++runs;
  }
  const double items = static_cast<double>(batch * runs);
  return {items / t_fp32, items / t_bf16};
}

} // namespace

int main(int argc, char** argv) {
  options o;
  std::string speed_batches = "1,8,64";
  po::options_description desc{"precision_bench [options]"};
  desc.add_options()("help,h", "show this help")
    ("repository", po::value(&o.repository)->default_value(o.repository),
     "the model repository (hogar model generate)")
    ("models", po::value(&o.models)->multitoken(), "the models (default: all four examples)")
    ("inputs", po::value(&o.inputs)->default_value(o.inputs), "random inputs for accuracy")
    ("batch", po::value(&o.batch)->default_value(o.batch), "batch size of the accuracy runs")
    ("speed-batches", po::value(&speed_batches)->default_value(speed_batches),
     "batch sizes of the speed runs, comma-separated")
    ("seconds", po::value(&o.seconds)->default_value(o.seconds), "time per speed point")
    ("threads", po::value(&o.threads)->default_value(o.threads), "intra-op threads")
    ("output", po::value(&o.output)->default_value(o.output), "where the markdown goes");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  o.speed_batches = bench::parse_number_list(speed_batches);

  std::string md = bench::report_header("bench/models: precision bf16 against fp32", argc, argv);
  md += fmt::format("CPU: {}  \nintra-op threads: {}\n\n", nn::cpu_description(), o.threads);
  md += "| model | max abs diff | mean abs diff | top-1 agreement | speed (images/s bf16 / "
        "fp32 = ratio) |\n|---|---|---|---|---|\n";
  int failures = 0;
  for (auto& name : o.models) {
    auto path = o.repository + "/" + name + "/1/model.onnx";
    auto model = onnx::load_shared(path);
    if (!model) {
      fmt::print(stderr, "precision_bench: {}\n", model.error().message);
      return 1;
    }
    onnx::executor_options fp32_options;
    fp32_options.intra_op_threads = o.threads;
    auto bf16_options = fp32_options;
    bf16_options.precision = onnx::precision::bf16;
    auto fp32 = onnx::make_executor(*model, fp32_options);
    auto bf16 = onnx::make_executor(*model, bf16_options);
    if (!fp32 || !bf16) {
      auto why = !fp32 ? fp32.error().message : bf16.error().message;
      md += fmt::format("| {} | - | - | - | {} |\n", name, why);
      fmt::print("{}: {}\n", name, why);
      continue;
    }
    accuracy a;
    for (int done = 0, round = 0; done < o.inputs; done += static_cast<int>(o.batch), ++round) {
      const auto n = std::min<std::int64_t>(o.batch, o.inputs - done);
      auto inputs = batch_inputs(**model, n, static_cast<std::uint64_t>(round) + 1);
      auto x = (*fp32)->run(inputs);
      auto y = (*bf16)->run(inputs);
      if (!x || !y) {
        fmt::print(stderr, "precision_bench: {}: {}\n", name,
                   !x ? x.error().message : y.error().message);
        ++failures;
        break;
      }
      compare(x->front(), y->front(), a);
    }
    std::string speeds;
    for (auto b : o.speed_batches) {
      auto inputs = batch_inputs(**model, b, 7);
      auto [f, h] = paired_speed(**fp32, **bf16, inputs, b, o.seconds);
      speeds += fmt::format("{}batch {}: {:.1f} / {:.1f} = **{:.2f}x**", speeds.empty() ? "" : "; ",
                            b, h, f, h / f);
    }
    auto line = fmt::format("| {} | {:.3g} | {:.3g} | {:.2f}% ({} of {}) | {} |\n", name,
                            a.max_abs, a.elements ? a.sum_abs / static_cast<double>(a.elements) : 0.0,
                            a.items ? 100.0 * static_cast<double>(a.same_top1) / static_cast<double>(a.items) : 0.0,
                            a.same_top1, a.items, speeds);
    md += line;
    fmt::print("{}", line);
  }
  md += fmt::format("\nAccuracy: {} random inputs per model (uniform [0, 1), the models' "
                    "deterministic random weights), bf16 against fp32 on the same fast CPU "
                    "path; top-1 over the last axis of output 0.\n",
                    o.inputs);
  std::ofstream{o.output} << md;
  fmt::print("wrote {}\n", o.output);
  return failures == 0 ? 0 : 1;
}
