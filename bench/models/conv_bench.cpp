// bench/models/conv_bench: how fast the fast CPU path convolves, against its floor and its
// oracle in the same run.
//
// Three tables:
//   - the floor: OpenBLAS sgemm on one thread, on the product shape of a mid-network layer;
//   - every distinct Conv of ResNet-18 (bias and fused Relu, as optimize() leaves them), as a
//     one-node model: GFLOP/s of the fast path on one thread and on --threads, of the
//     reference, the fast path's speed-up over the reference and its share of the sgemm floor;
//   - the whole ResNet-18 (kernels/onnx/example_models.hpp, batch norms folded by the fast
//     path) per batch size: images per second on both paths and the speed-up.
// Absolute numbers on a shared machine are noise; the ratios are the result. Prints markdown
// and writes it to bench/results/conv.md (or --output).
#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <iostream>
#include <ranges>
#include <sstream>
#include <thread>
#include <vector>

#include <cblas.h>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "bench/number_list.hpp"
#include "bench/report_header.hpp"
#include "kernels/nn/cpu_features.hpp"
#include "kernels/onnx/example_models.hpp"
#include "kernels/onnx/executor.hpp"
#include "kernels/onnx/onnx_writer.hpp"
#include "kernels/random_tensor.hpp"

namespace po = boost::program_options;
using namespace hogar;

namespace {

using clock_type = std::chrono::steady_clock;

/// Seconds per call of `f`: with `warm_up`, one untimed call first (plans, warms caches);
/// then calls until `budget_s` has passed (at least `min_calls`); the fastest call counts (the
/// least disturbed by the machine's other work).
double time_call(const std::function<void()>& f, double budget_s, int min_calls,
                 bool warm_up = true) {
  if (warm_up)
    f();
  double best = 1e300, spent = 0;
  for (int calls = 0; calls < min_calls || spent < budget_s; ++calls) {
    auto start = clock_type::now();
    f();
    const double s = std::chrono::duration<double>(clock_type::now() - start).count();
    best = std::min(best, s);
    spent += s;
  }
  return best;
}

/// Uniform values in [-1, 1).
tensor random_floats(const shape_t& shape, std::uint64_t seed) {
  tensor t{dtype::float32, shape};
  splitmix64 rng{seed};
  for (auto& v : t.mutable_values<float>())
    v = static_cast<float>(2.0 * rng.next_unit() - 1.0);
  return t;
}

struct conv_layer {
  std::string name;
  std::int64_t in_channels, out_channels, size, kernel, stride;

  std::int64_t out_size() const { return (size + 2 * (kernel / 2) - kernel) / stride + 1; }
  /// Multiply-adds times two, per image.
  double flops() const {
    return 2.0 * static_cast<double>(out_channels * in_channels * kernel * kernel * out_size() *
                                      out_size());
  }
};

/// Every distinct Conv of ResNet-18 (torchvision), with how often it occurs per image.
const std::vector<std::pair<conv_layer, int>> resnet18_convs = {
  {{"conv1 7x7/2 3->64 @224", 3, 64, 224, 7, 2}, 1},
  {{"layer1 3x3 64->64 @56", 64, 64, 56, 3, 1}, 4},
  {{"layer2.0 3x3/2 64->128 @56", 64, 128, 56, 3, 2}, 1},
  {{"layer2 3x3 128->128 @28", 128, 128, 28, 3, 1}, 3},
  {{"layer2 downsample 1x1/2 64->128", 64, 128, 56, 1, 2}, 1},
  {{"layer3.0 3x3/2 128->256 @28", 128, 256, 28, 3, 2}, 1},
  {{"layer3 3x3 256->256 @14", 256, 256, 14, 3, 1}, 3},
  {{"layer3 downsample 1x1/2 128->256", 128, 256, 28, 1, 2}, 1},
  {{"layer4.0 3x3/2 256->512 @14", 256, 512, 14, 3, 2}, 1},
  {{"layer4 3x3 512->512 @7", 512, 512, 7, 3, 1}, 3},
  {{"layer4 downsample 1x1/2 256->512", 256, 512, 14, 1, 2}, 1},
};

/// A one-node model: Conv with bias and a fused Relu, weights as initializers.
std::shared_ptr<const onnx::model_graph> conv_model(const conv_layer& l) {
  onnx::model_graph m;
  m.source = l.name;
  m.opset = 13;
  m.inputs.push_back({"x", dtype::float32, {-1, l.in_channels, l.size, l.size}});
  m.outputs.push_back({"y", dtype::float32, {-1, l.out_channels, l.out_size(), l.out_size()}});
  m.initializers.emplace("w",
                         random_floats({l.out_channels, l.in_channels, l.kernel, l.kernel}, 1));
  m.initializers.emplace("b", random_floats({l.out_channels}, 2));
  const auto p = l.kernel / 2;
  onnx::node n;
  n.op_type = "Conv";
  n.name = "conv";
  n.inputs = {"x", "w", "b"};
  n.outputs = {"y"};
  n.attributes = {{"pads", std::vector<std::int64_t>{p, p, p, p}},
                  {"strides", std::vector<std::int64_t>{l.stride, l.stride}},
                  {"hogar_activation", std::string{"Relu"}}};
  m.nodes.push_back(std::move(n));
  return std::make_shared<const onnx::model_graph>(std::move(m));
}

std::unique_ptr<onnx::executor> executor_for(std::shared_ptr<const onnx::model_graph> model,
                                             nn::device d, std::size_t threads) {
  onnx::executor_options options;
  options.device = d;
  options.intra_op_threads = threads;
  auto exec = onnx::make_executor(std::move(model), options);
  if (!exec)
    throw std::runtime_error(exec.error().message);
  return std::move(*exec);
}

/// Seconds per run of `model` on `inputs`. The reference (slow) runs once, its planning
/// included; the fast path after a warm-up run.
double time_model(std::shared_ptr<const onnx::model_graph> model, nn::device d,
                  std::size_t threads, const std::vector<tensor>& inputs, double budget_s,
                  int min_calls) {
  auto exec = executor_for(std::move(model), d, threads);
  const bool reference = d == nn::device::reference;
  return time_call(
    [&] {
      auto r = exec->run(inputs);
      if (!r)
        throw std::runtime_error(r.error().message);
    },
    reference ? 0.0 : budget_s, reference ? 1 : min_calls, !reference);
}

/// What computes the Conv of a one-node model on the fast path ("oneDNN jit:avx2", "hogar
/// Winograd F(4x4,3x3), AVX2").
std::string conv_kernel(std::shared_ptr<const onnx::model_graph> model,
                        const std::vector<tensor>& inputs) {
  auto exec = executor_for(std::move(model), nn::device::cpu, 1);
  auto nodes = exec->report(inputs, 0);
  if (!nodes || nodes->empty())
    return "?";
  return nodes->front().kernel;
}

/// GFLOP/s of single-threaded sgemm for C[m, n] = A[m, k] B[k, n].
double sgemm_gflops(int m, int n, int k, double budget_s) {
  auto a = random_floats({m, k}, 3), b = random_floats({k, n}, 4);
  std::vector<float> c(static_cast<std::size_t>(m) * n);
  const float* pa = a.values<float>().data();
  const float* pb = b.values<float>().data();
  const double s = time_call(
    [&] {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, pa, k, pb, n, 0.0f,
                  c.data(), n);
    },
    budget_s, 3);
  return 2.0 * m * n * k / s / 1e9;
}

/// The machine's 1-minute load average: this machine is shared, and a load above its core
/// count means the timings below shared the cores.
std::string load_average() {
  std::ifstream in{"/proc/loadavg"};
  std::string one_minute = "?";
  in >> one_minute;
  return one_minute;
}

/// Writes each layer as a Conv (with bias) + Relu model for peers, which know no hogar_
/// attributes, and lists "path channels size flops" on stdout.
int write_models(const std::string& dir) {
  for (auto& [layer, count] : resnet18_convs) {
    auto name = fmt::format("{}_{}x{}s{}_{}_{}", layer.name.substr(0, layer.name.find(' ')),
                            layer.kernel, layer.kernel, layer.stride, layer.in_channels,
                            layer.out_channels);
    auto model = *conv_model(layer);
    model.nodes[0].attributes.pop_back();
    model.nodes[0].outputs = {"conv"};
    onnx::node relu;
    relu.op_type = "Relu";
    relu.name = "relu";
    relu.inputs = {"conv"};
    relu.outputs = {"y"};
    model.nodes.push_back(std::move(relu));
    auto path = dir + "/" + name + ".onnx";
    if (auto problem = onnx::save_model(model, path)) {
      fmt::print(stderr, "{}\n", problem->message);
      return 1;
    }
    fmt::print("{} {} {} {}\n", path, layer.in_channels, layer.size, layer.flops());
  }
  return 0;
}

/// The floor table; returns the GFLOP/s of the Conv-shaped product.
double floor_table(const std::function<void(const std::string&)>& emit) {
  // The product of layer3's 3x3 Conv: M = 256 filters, K = 256 * 9, N = 14 * 14.
  const double conv_shaped = sgemm_gflops(256, 196, 2304, 0.2);
  const double square = sgemm_gflops(512, 512, 512, 0.2);
  emit(fmt::format("## Floor: OpenBLAS sgemm, one thread\n\n"
                   "| product | GFLOP/s |\n| --- | ---: |\n"
                   "| 256 x 196 x 2304 (layer3 3x3 Conv as one sgemm) | {:.1f} |\n"
                   "| 512 x 512 x 512 | {:.1f} |\n\n",
                   conv_shaped, square));
  return conv_shaped;
}

void layer_table(const std::function<void(const std::string&)>& emit,
                 const std::vector<std::int64_t>& batches, const std::string& only,
                 std::size_t threads, double budget_s, double floor_gflops) {
  emit(fmt::format(
    "## ResNet-18's Conv layers (bias + fused Relu), one-node models\n\n"
    "Fast path on 1 and on {} thread(s); the reference on one. Speed-up: fast ({} threads) "
    "over reference; of floor: fast (1 thread) over the sgemm floor. GFLOP counts a direct "
    "Conv's multiply-adds: a Winograd kernel does fewer, so its share of the floor can pass "
    "100%.\n\n"
    "| layer | kernel | batch | GFLOP | fast 1T GFLOP/s | fast {}T GFLOP/s | reference GFLOP/s | "
    "speed-up | of floor |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    threads, threads, threads));
  for (auto batch : batches) {
    for (auto& [layer, count] : resnet18_convs) {
      if (layer.name.find(only) == std::string::npos)
        continue;
      auto model = conv_model(layer);
      std::vector<tensor> inputs{
        random_floats({batch, layer.in_channels, layer.size, layer.size}, 5)};
      const double flops = layer.flops() * static_cast<double>(batch);
      const double fast1 = time_model(model, nn::device::cpu, 1, inputs, budget_s, 3);
      const double fast = time_model(model, nn::device::cpu, threads, inputs, budget_s, 3);
      const double ref = time_model(model, nn::device::reference, 1, inputs, 0, 1);
      emit(fmt::format("| {} | {} | {} | {:.3f} | {:.1f} | {:.1f} | {:.2f} | {:.0f}x | {:.0f}% |\n",
                       layer.name, conv_kernel(model, inputs), batch, flops / 1e9, flops / fast1 / 1e9, flops / fast / 1e9,
                       flops / ref / 1e9, ref / fast,
                       100.0 * flops / fast1 / 1e9 / floor_gflops));
    }
  }
  emit("\n");
}

void network_table(const std::function<void(const std::string&)>& emit,
                   const std::vector<std::int64_t>& batches, std::int64_t reference_batch_max,
                   std::size_t threads, double budget_s) {
  emit(fmt::format("## ResNet-18 (example_models.hpp), 224x224\n\n"
                   "Fast path on {} thread(s) (batch norms folded, Relus fused); the reference "
                   "as written, on one thread, up to batch {}.\n\n"
                   "| batch | fast ms | fast images/s | fast GFLOP/s | reference ms | speed-up |\n"
                   "| ---: | ---: | ---: | ---: | ---: | ---: |\n",
                   threads, reference_batch_max));
  auto resnet = std::make_shared<const onnx::model_graph>(onnx::resnet18_model());
  double flops = 2.0 * 512 * 1000; // the classifier
  for (auto& [layer, count] : resnet18_convs)
    flops += layer.flops() * count;
  for (auto batch : batches) {
    std::vector<tensor> inputs{onnx::random_normalized_images(batch, 224, 224, 7)};
    const double fast = time_model(resnet, nn::device::cpu, threads, inputs, budget_s, 2);
    std::string ref_ms = "-", speedup = "-";
    if (batch <= reference_batch_max) {
      const double ref = time_model(resnet, nn::device::reference, 1, inputs, 0, 1);
      ref_ms = fmt::format("{:.0f}", ref * 1e3);
      speedup = fmt::format("{:.0f}x", ref / fast);
    }
    emit(fmt::format("| {} | {:.1f} | {:.1f} | {:.1f} | {} | {} |\n", batch, fast * 1e3,
                     static_cast<double>(batch) / fast,
                     flops * static_cast<double>(batch) / fast / 1e9, ref_ms, speedup));
  }
  emit("\n");
}

} // namespace

int main(int argc, char** argv) {
  std::string output = "bench/results/conv.md";
  std::string layer_batches = "1,8";
  std::string network_batches = "1,8,64";
  std::int64_t reference_batch_max = 8;
  std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
  double budget_s = 0.5;
  std::string only;
  std::string models_dir;
  po::options_description desc{"conv_bench [options]"};
  desc.add_options()("help,h", "show this help")
    ("output", po::value(&output)->default_value(output), "where the markdown tables go")
    ("layer-batches", po::value(&layer_batches)->default_value(layer_batches),
     "batch sizes of the per-layer table, comma-separated (empty: no layer table)")
    ("only", po::value(&only), "time only the layers whose name contains this text")
    ("network-batches", po::value(&network_batches)->default_value(network_batches),
     "batch sizes of the ResNet-18 table, comma-separated (empty: no network table)")
    ("reference-batch-max", po::value(&reference_batch_max)->default_value(reference_batch_max),
     "largest batch the (slow) reference runs the network at")
    ("threads", po::value(&threads)->default_value(threads),
     "intra-op threads of the fast path (default: the machine's cores)")
    ("budget", po::value(&budget_s)->default_value(budget_s),
     "seconds spent timing each fast-path entry (the fastest call counts)")
    ("write-models", po::value(&models_dir),
     "write each layer as a one-node ONNX file DIR/NAME.onnx, list them, and exit (for "
     "ort_conv_layers.py)");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  if (!models_dir.empty())
    return write_models(models_dir);
  // As the fast path does: hogar parallelises itself.
  openblas_set_num_threads(1);

  std::string report = bench::report_header("bench/models: Conv on the fast CPU path", argc, argv);
  report += fmt::format("CPU: {}  \nFast CPU path here:  \n", nn::cpu_description());
  const auto kernels = nn::cpu_kernels_description();
  for (auto line : std::string_view{kernels} | std::views::split('\n'))
    report += fmt::format("- {}\n", std::string_view{line.begin(), line.end()});
  report += "\n";
  std::function<void(const std::string&)> emit = [&](const std::string& text) {
    std::cout << text << std::flush;
    report += text;
  };
  emit(fmt::format("Load average (1 min) at the start: {}\n\n", load_average()));
  const double floor_gflops = floor_table(emit);
  if (auto batches = bench::parse_number_list(layer_batches); !batches.empty())
    layer_table(emit, batches, only, threads, budget_s, floor_gflops);
  if (auto batches = bench::parse_number_list(network_batches); !batches.empty())
    network_table(emit, batches, reference_batch_max, threads, budget_s * 4);

  emit(fmt::format("Load average (1 min) at the end: {}\n", load_average()));

  std::ofstream out{output};
  if (!out) {
    fmt::print(stderr, "cannot write {}\n", output);
    return 1;
  }
  out << report;
  fmt::print("written to {}\n", output);
  return 0;
}
