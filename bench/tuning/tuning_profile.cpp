// tuning_profile: measures how long one batch of an ONNX model takes on this machine's fast
// CPU path, for each batch size and intra-op thread count, and writes the measurements in the
// service profile format (scheduling/service_profile.hpp) that the serving simulator
// (scheduling/serving_simulator.hpp) reads to study online tuners (issue 10).
//
// Each point runs one random batch: one warm-up run (it plans the shape), then as many runs as
// fit in --seconds (at least --min-runs); the line's ms is the median run. The machine should
// be otherwise idle: the profile is "alone on the machine", and the simulator adds contention
// between instances itself. The file starts with '#' lines naming the model, the machine, the
// date and the command, and ends with the fitted lines as comments.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "bench/report_header.hpp"
#include "kernels/onnx/executor.hpp"
#include "kernels/onnx/model_store.hpp"
#include "kernels/random_tensor.hpp"
#include "scheduling/service_profile.hpp"

namespace po = boost::program_options;
using clock_type = std::chrono::steady_clock;

namespace {

struct options {
  std::string model = "build/models/resnet18/1/model.onnx";
  std::string output = "bench/results/tuning_profile.txt";
  std::vector<std::int64_t> batches{1, 2, 4, 8, 16, 32, 64};
  std::vector<std::int64_t> threads{1, 2};
  double seconds = 0.5;
  int min_runs = 2;
};

/// "1,2,4" -> {1, 2, 4}; an empty result for anything that is not a list of positive integers.
std::vector<std::int64_t> parse_list(const std::string& text) {
  std::vector<std::int64_t> out;
  std::stringstream in{text};
  for (std::string item; std::getline(in, item, ',');) {
    std::size_t used = 0;
    long long n = 0;
    try {
      n = std::stoll(item, &used);
    } catch (const std::exception&) {
      return {};
    }
    if (used != item.size() || n < 1)
      return {};
    out.push_back(n);
  }
  return out;
}

/// The median time of one batch of `batch` random inputs, milliseconds, and the runs it took;
/// or an error message.
hogar::result<std::pair<double, int>> measure(hogar::onnx::executor& exec,
                                              const hogar::onnx::model_graph& model,
                                              std::int64_t batch, const options& o) {
  std::vector<hogar::tensor> inputs;
  for (std::size_t i = 0; i < model.inputs.size(); ++i) {
    auto shape = model.inputs[i].shape;
    shape[0] = batch;
    for (auto& d : shape)
      if (d < 0)
        d = 1;
    inputs.push_back(
      hogar::uniform_tensor(model.inputs[i].type, shape, 7919 * (i + 1) + batch, 256));
  }
  if (auto warm = exec.run(inputs); !warm)
    return warm.error();
  std::vector<double> ms;
  auto started = clock_type::now();
  while (static_cast<int>(ms.size()) < o.min_runs ||
         std::chrono::duration<double>(clock_type::now() - started).count() < o.seconds) {
    auto t0 = clock_type::now();
    auto out = exec.run(inputs);
    if (!out)
      return out.error();
    ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  auto n = ms.size();
  auto median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
  return std::pair{median, static_cast<int>(n)};
}

} // namespace

int main(int argc, char** argv) {
  using namespace hogar;
  options o;
  std::string batches = "1,2,4,8,16,32,64";
  std::string threads = "1,2";
  po::options_description desc{"tuning_profile [options]"};
  desc.add_options()("help,h", "show this help")
    ("model", po::value(&o.model)->default_value(o.model), "the ONNX model")
    ("output", po::value(&o.output)->default_value(o.output),
     "where the profile goes (the service profile format)")
    ("batches", po::value(&batches)->default_value(batches), "batch sizes, comma-separated")
    ("threads", po::value(&threads)->default_value(threads),
     "intra-op thread counts, comma-separated")
    ("seconds", po::value(&o.seconds)->default_value(o.seconds),
     "time per point after its warm-up run, seconds")
    ("min-runs", po::value(&o.min_runs)->default_value(o.min_runs), "runs per point at least");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    fmt::print(stderr, "tuning_profile: {}\n", e.what());
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  o.batches = parse_list(batches);
  o.threads = parse_list(threads);
  if (o.batches.empty() || o.threads.empty() || o.min_runs < 1 || !(o.seconds >= 0)) {
    fmt::print(stderr, "tuning_profile: --batches and --threads take positive integers "
                       "separated by commas, --min-runs at least 1, --seconds 0 or more\n");
    return 2;
  }
  auto model = onnx::load_shared(o.model);
  if (!model) {
    fmt::print(stderr, "tuning_profile: {}\n", model.error().message);
    return 1;
  }

  std::vector<scheduling::service_point> points;
  for (auto t : o.threads) {
    onnx::executor_options eo;
    eo.device = nn::device::cpu;
    eo.intra_op_threads = static_cast<std::size_t>(t);
    auto exec = onnx::make_executor(*model, eo);
    if (!exec) {
      fmt::print(stderr, "tuning_profile: threads={}: {}\n", t, exec.error().message);
      return 1;
    }
    for (auto b : o.batches) {
      auto m = measure(**exec, **model, b, o);
      if (!m) {
        fmt::print(stderr, "tuning_profile: threads={} batch={}: {}\n", t, b, m.error().message);
        return 1;
      }
      fmt::print(stderr, "threads={} batch={} ms={:.2f} ({} runs)\n", t, b, m->first, m->second);
      // To the microsecond: more digits are noise.
      points.push_back({t, b, std::round(m->first * 1000) / 1000});
    }
  }

  std::string command;
  for (int i = 0; i < argc; ++i)
    command += (i ? " " : "") + std::string{argv[i]};
  std::vector<std::string> header{
    "service profile (scheduling/service_profile.hpp): one batch's time alone on the machine",
    fmt::format("model: {}", o.model),
    fmt::format("machine: {}", bench::machine_description()),
    fmt::format("date: {:%Y-%m-%d %H:%M} UTC",
                fmt::gmtime(
                  std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()))),
    fmt::format("command: {}", command),
    fmt::format("each line: the median of the runs in {} s after one warm-up run (at least {} "
                "runs)",
                o.seconds, o.min_runs)};
  auto text = scheduling::format_service_points(points, header);
  // The fitted lines, as comments: what the simulator will use.
  auto profile = scheduling::service_profile::fit(points);
  std::string fitted;
  if (profile) {
    for (auto& l : profile->lines())
      fitted += fmt::format("# fit threads={}: batch_ms(b) = {:.3f} + {:.3f} * b (rms residual "
                            "{:.3f} ms over {} points)\n",
                            l.intra_op_threads, l.fixed_ms, l.per_item_ms, l.rms_residual_ms,
                            l.points);
  } else {
    fitted = fmt::format("# no fit: {}\n", profile.error().message);
  }
  text += fitted;
  std::ofstream out{o.output};
  out << text;
  if (!out) {
    fmt::print(stderr, "tuning_profile: {}: cannot write the profile\n", o.output);
    return 1;
  }
  fmt::print("{}wrote {}\n", fitted, o.output);
  return 0;
}
