// model_bench: throughput and latency of an ONNX model against the batch size, on hogar's
// executors and on peers in the same run.
//
//   - hogar's fast CPU path at batch 1..128 (and the GPU path when there is a GPU);
//   - hogar's reference twin at batch 1, the floor the fast path is measured against;
//   - onnxruntime (CPU, and CUDA when there is a GPU) and PyTorch (GPU: the same network in
//     eval mode, cuDNN benchmark on, fp32; once with the batch already on the GPU, once from
//     and back to host memory as a server's requests come) through bench/models/peers.py, one
//     after the other, never at the same time as hogar.
//   - with --gpu-heuristic, the GPU path again with cuDNN's heuristic choice of convolution
//     algorithms instead of timing them.
//
// Each point runs the model on one random batch: two warm-up runs (the first plans the shape),
// then as many as fit in --seconds (at least --min-runs). images/s = batch * runs / time;
// p50/p99 are per batch. The CPU path and onnxruntime (one process kept open, peers.py
// --serve) alternate slices of about half a second (each once the other runner's threads have
// stopped spinning after its last run) until each has run --seconds: this shared
// machine's speed drifts by a third within seconds, and a long turn each put one ratio 0.8x
// and the next 1.1x; paired slices keep the turns of one run within a few percent. With
// --rounds N there are N such turns a batch and the turn of median ratio stands in the table
// (every turn's ratio is listed under it). Writes a markdown table to bench/results/models.md
// (or --output).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <ranges>
#include <sstream>
#include <thread>

#include <unistd.h>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "bench/models/peer_process.hpp"
#include "bench/number_list.hpp"
#include "bench/report_header.hpp"
#include "kernels/nn/cpu_features.hpp"
#include "kernels/device.hpp"
#include "kernels/onnx/executor.hpp"
#include "kernels/onnx/model_store.hpp"
#include "kernels/random_tensor.hpp"
#include "scheduling/latency_summary.hpp"

namespace po = boost::program_options;
using namespace hogar;
using clock_type = std::chrono::steady_clock;

namespace {

struct point {
  std::string runner;
  std::int64_t batch = 0;
  double images_per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int runs = 0;
  std::string note;
};

struct options {
  std::string model = "build/models/resnet18/1/model.onnx";
  std::string output = "bench/results/models.md";
  std::vector<std::int64_t> batches{1, 2, 4, 8, 16, 32, 64, 128};
  double seconds = 3.0;
  /// The extent of an input's dynamic dimensions after the batch (a sequence length).
  std::int64_t sequence = 1;
  int min_runs = 3;
  std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
  std::string python = "python3";
  bool peers = true;
  bool reference = true;
  /// Which of hogar's paths run: "cpu", "reference", "gpu".
  std::vector<std::string> devices{"cpu", "reference", "gpu"};
  bool gpu_heuristic = false;
  /// Turns of the CPU path and onnxruntime per batch; the table keeps the turn of median ratio.
  int rounds = 1;
  /// Where every paired run's latency goes as CSV (empty: nowhere).
  std::string latencies;
};

bool wanted(const options& o, std::string_view device) {
  return std::find(o.devices.begin(), o.devices.end(), device) != o.devices.end();
}

/// The random inputs of one batch, after two warm-up runs of `exec` (the first plans the
/// shape); nullopt (with `error` set) on failure.
std::optional<std::vector<tensor>> warm_inputs(onnx::executor& exec,
                                               const onnx::model_graph& model,
                                               std::int64_t batch, const options& o,
                                               std::string& error) {
  std::vector<tensor> inputs;
  for (std::size_t i = 0; i < model.inputs.size(); ++i) {
    auto shape = model.inputs[i].shape;
    shape[0] = batch;
    for (auto& d : shape)
      if (d < 0)
        d = o.sequence;
    inputs.push_back(uniform_tensor(model.inputs[i].type, shape, 7919 * (i + 1) + batch, 256));
  }
  for (int w = 0; w < 2; ++w) {
    auto out = exec.run(inputs);
    if (!out) {
      error = out.error().message;
      return std::nullopt;
    }
  }
  return inputs;
}

/// Runs made so far of one runner at one batch: slices of runs add to it.
struct run_log {
  std::vector<std::int64_t> latencies_ns;
  double seconds = 0;
  /// Where each slice's runs begin in latencies_ns.
  std::vector<std::size_t> slice_starts;

  /// One CSV line per run: runner, batch, turn, slice, latency in ms.
  void write_csv(std::ostream& out, std::string_view runner, std::int64_t batch, int turn) const {
    std::size_t slice = 0;
    for (std::size_t i = 0; i < latencies_ns.size(); ++i) {
      while (slice + 1 < slice_starts.size() && slice_starts[slice + 1] <= i)
        ++slice;
      out << fmt::format("{},{},{},{},{:.4f}\n", runner, batch, turn, slice,
                         static_cast<double>(latencies_ns[i]) / 1e6);
    }
  }

  point to_point(std::string runner, std::int64_t batch) const {
    auto sorted = latencies_ns;
    auto s = scheduling::summarize_latencies(sorted);
    point p;
    p.runner = std::move(runner);
    p.batch = batch;
    p.runs = static_cast<int>(latencies_ns.size());
    p.images_per_s = seconds > 0 ? static_cast<double>(batch) * p.runs / seconds : 0;
    p.p50_ms = s.p50_us / 1000.0;
    p.p99_ms = s.p99_us / 1000.0;
    return p;
  }
};

/// Runs `exec` on `inputs` for `seconds` (at least `min_runs` times) into `log`; false (with
/// `error` set) on failure.
bool run_slice(onnx::executor& exec, const std::vector<tensor>& inputs, double seconds,
               int min_runs, run_log& log, std::string& error) {
  log.slice_starts.push_back(log.latencies_ns.size());
  int runs = 0;
  auto started = clock_type::now();
  while (runs < min_runs ||
         std::chrono::duration<double>(clock_type::now() - started).count() < seconds) {
    auto t0 = clock_type::now();
    auto out = exec.run(inputs);
    if (!out) {
      error = out.error().message;
      return false;
    }
    log.latencies_ns.push_back((clock_type::now() - t0).count());
    ++runs;
  }
  log.seconds += std::chrono::duration<double>(clock_type::now() - started).count();
  return true;
}

/// Runs `exec` on a batch of `batch` random inputs; nullopt (with `error` set) on failure.
std::optional<point> measure(onnx::executor& exec, const onnx::model_graph& model,
                             std::int64_t batch, const options& o, int min_runs,
                             std::string& error) {
  auto inputs = warm_inputs(exec, model, batch, o, error);
  run_log log;
  if (!inputs || !run_slice(exec, *inputs, o.seconds, min_runs, log, error))
    return std::nullopt;
  return log.to_point("", batch);
}

/// CPU time the threads of process `pid` have run so far, nanoseconds (their schedstat).
std::int64_t process_cpu_ns(int pid) {
  std::int64_t total = 0;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(
         fmt::format("/proc/{}/task", pid), ec)) {
    std::ifstream in{task.path() / "schedstat"};
    std::int64_t ns = 0;
    if (in >> ns)
      total += ns;
  }
  return total;
}

/// Returns once process `pid` has gone quiet after a runner's slice: 30 ms, then until it has
/// run less than a millisecond of CPU in 20 ms, or a second at most. Its threads spin for a
/// while after its last run (libgomp's wait policy, ~10 ms; onnxruntime's pool, longer than
/// 30 ms: a fixed 30 ms pause made hogar's first two runs of each slice twice as slow).
void wait_until_quiet(int pid) {
  std::this_thread::sleep_for(std::chrono::milliseconds{30});
  const auto deadline = clock_type::now() + std::chrono::seconds{1};
  auto before = process_cpu_ns(pid);
  while (clock_type::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
    const auto after = process_cpu_ns(pid);
    if (after - before < 1'000'000)
      return;
    before = after;
  }
}

/// onnxruntime's CPU session kept open beside model_bench (peers.py --serve) and its process
/// id; null, with `note` saying why, when it cannot run here.
std::unique_ptr<bench::peer_process> start_ort_peer(const options& o, int& pid,
                                                    std::string& note) {
  auto command = fmt::format("{} bench/models/peers.py --model '{}' --peers ort-cpu --serve "
                             "--threads {} --sequence {}",
                             o.python, o.model, o.threads, o.sequence);
  auto peer = std::make_unique<bench::peer_process>(command);
  auto first = peer->receive();
  if (!first) {
    note = "onnxruntime cpu: " + o.python + " bench/models/peers.py did not start";
    return nullptr;
  }
  auto j = nlohmann::json::parse(*first, nullptr, false);
  if (j.is_discarded() || !j.value("ready", false)) {
    note = j.is_object() && j.contains("skipped")
             ? "onnxruntime cpu: " + j["skipped"].get<std::string>()
             : "onnxruntime cpu: " + *first;
    return nullptr;
  }
  pid = j.value("pid", 0);
  return peer;
}

/// One slice of the onnxruntime peer into `log`; false (with `error` set) when it failed.
bool run_peer_slice(bench::peer_process& peer, std::int64_t batch, double seconds,
                    int min_runs, run_log& log, std::string& error) {
  std::optional<std::string> line;
  if (!peer.send(fmt::format("{} {} {}", batch, seconds, min_runs)) || !(line = peer.receive())) {
    error = "the onnxruntime peer exited";
    return false;
  }
  auto j = nlohmann::json::parse(*line, nullptr, false);
  if (j.is_discarded() || !j.contains("latencies_ms")) {
    error = "the onnxruntime peer answered: " + *line;
    return false;
  }
  log.slice_starts.push_back(log.latencies_ns.size());
  for (double ms : j["latencies_ms"])
    log.latencies_ns.push_back(static_cast<std::int64_t>(ms * 1e6));
  log.seconds += j["seconds"].get<double>();
  return true;
}

/// peers.py's points (one JSON object per line), or a note saying why there are none.
std::vector<point> run_peers(const options& o, const std::string& which,
                             const std::vector<std::int64_t>& sizes, std::string& note) {
  std::string batches;
  for (auto b : sizes)
    batches += (batches.empty() ? "" : ",") + std::to_string(b);
  auto command = fmt::format("{} bench/models/peers.py --model '{}' --peers {} --batches {} "
                             "--seconds {} --min-runs {} --threads {} --sequence {} 2>&1",
                             o.python, o.model, which, batches, o.seconds, o.min_runs, o.threads,
                             o.sequence);
  std::vector<point> out;
  auto* pipe = ::popen(command.c_str(), "r");
  if (!pipe) {
    note = "could not start " + o.python;
    return out;
  }
  char buffer[4096];
  std::string text;
  while (std::fgets(buffer, sizeof buffer, pipe))
    text += buffer;
  ::pclose(pipe);
  std::stringstream lines{text};
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.front() != '{') {
      if (!line.empty())
        note += (note.empty() ? "" : " ") + line;
      continue;
    }
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded())
      continue;
    if (j.contains("skipped")) {
      note += (note.empty() ? "" : "; ") + j["runner"].get<std::string>() + ": " +
              j["skipped"].get<std::string>();
      continue;
    }
    point p;
    p.runner = j["runner"].get<std::string>();
    p.batch = j["batch"].get<std::int64_t>();
    p.images_per_s = j["images_per_s"].get<double>();
    p.p50_ms = j["p50_ms"].get<double>();
    p.p99_ms = j["p99_ms"].get<double>();
    p.runs = j["runs"].get<int>();
    out.push_back(p);
  }
  return out;
}

std::string fmt_ms(double ms) {
  return ms < 10 ? fmt::format("{:.2f} ms", ms) : fmt::format("{:.1f} ms", ms);
}

} // namespace

int main(int argc, char** argv) {
  options o;
  std::string batches = "1,2,4,8,16,32,64,128";
  std::string devices = "cpu,reference,gpu";
  po::options_description desc{"model_bench [options]"};
  desc.add_options()("help,h", "show this help")
    ("model", po::value(&o.model)->default_value(o.model), "the ONNX model")
    ("output", po::value(&o.output)->default_value(o.output), "where the markdown table goes")
    ("batches", po::value(&batches)->default_value(batches), "batch sizes, comma-separated")
    ("seconds", po::value(&o.seconds)->default_value(o.seconds), "time per point, seconds")
    ("sequence", po::value(&o.sequence)->default_value(o.sequence),
     "the extent of the inputs' dynamic dimensions after the batch (a sequence length)")
    ("min-runs", po::value(&o.min_runs)->default_value(o.min_runs), "runs per point at least")
    ("threads", po::value(&o.threads)->default_value(o.threads),
     "CPU threads for hogar's fast path and the peers (intra-op)")
    ("python", po::value(&o.python)->default_value(o.python), "the python of the peers")
    ("no-peers", "skip onnxruntime and PyTorch")
    ("no-reference", "skip the reference twin")
    ("devices", po::value(&devices)->default_value(devices),
     "hogar's paths to run, comma-separated: cpu, reference, gpu (peers follow: onnxruntime "
     "CPU with cpu, the GPU peers with gpu)")
    ("gpu-heuristic", "also run the GPU path with cuDNN's heuristic convolution algorithms")
    ("rounds", po::value(&o.rounds)->default_value(o.rounds),
     "turns of the CPU path and onnxruntime per batch: the table shows the turn whose ratio is "
     "the median, and every turn's ratio is listed")
    ("latencies", po::value(&o.latencies),
     "write every run of the CPU path and onnxruntime to this CSV file (runner, batch, turn, "
     "slice, latency in ms): where the slow runs fall");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  o.peers = vm.count("no-peers") == 0;
  o.reference = vm.count("no-reference") == 0;
  o.gpu_heuristic = vm.count("gpu-heuristic") > 0;
  o.batches = bench::parse_number_list(batches);
  o.devices.clear();
  {
    std::stringstream in{devices};
    for (std::string d; std::getline(in, d, ',');) {
      if (d != "cpu" && d != "reference" && d != "gpu") {
        fmt::print(stderr, "model_bench: --devices: '{}' is not cpu, reference or gpu\n", d);
        return 1;
      }
      o.devices.push_back(d);
    }
  }
  auto model = onnx::load_shared(o.model);
  if (!model) {
    fmt::print(stderr, "model_bench: {}\n", model.error().message);
    return 1;
  }
  const bool gpu = cuda_device_count() > 0;
  std::vector<point> points;
  std::vector<std::string> notes;

  auto run_hogar = [&](nn::device device, const std::vector<std::int64_t>& sizes, int min_runs,
                       bool gpu_conv_benchmark = true) {
    onnx::executor_options options;
    options.device = device;
    options.gpu_conv_benchmark = gpu_conv_benchmark;
    options.intra_op_threads = o.threads;
    auto exec = onnx::make_executor(*model, options);
    auto name = fmt::format("hogar {}{}", nn::to_string(device),
                            gpu_conv_benchmark ? "" : " (cudnn heuristic)");
    if (!exec) {
      notes.push_back(fmt::format("{}: {}", name, exec.error().message));
      return;
    }
    for (auto b : sizes) {
      std::string error;
      fmt::print(stderr, "{} batch {} ...\n", name, b);
      auto p = measure(**exec, **model, b, o, min_runs, error);
      if (!p) {
        notes.push_back(fmt::format("{} batch {}: {}", name, b, error));
        continue;
      }
      p->runner = name;
      points.push_back(*p);
    }
  };
  // The CPU path and onnxruntime (kept open beside this process) alternate slices of half a
  // second until each has run --seconds, batch by batch: this shared machine's speed drifts by
  // a third within seconds, and a ratio is only fair between runs made side by side. With
  // --rounds there are several such turns, and the turn of median ratio stands for the batch.
  std::vector<std::string> round_notes;
  if (wanted(o, "cpu")) {
    std::unique_ptr<bench::peer_process> ort;
    int ort_pid = 0;
    if (o.peers) {
      std::string note;
      ort = start_ort_peer(o, ort_pid, note);
      if (!ort)
        notes.push_back("peers: " + note);
    }
    onnx::executor_options options;
    options.device = nn::device::cpu;
    options.intra_op_threads = o.threads;
    auto exec = onnx::make_executor(*model, options);
    if (!exec)
      notes.push_back(fmt::format("hogar cpu: {}", exec.error().message));
    std::optional<std::ofstream> latencies_csv;
    if (!o.latencies.empty()) {
      latencies_csv.emplace(o.latencies);
      *latencies_csv << "runner,batch,turn,slice,latency_ms\n";
    }
    const int slices = std::max(1, static_cast<int>(std::lround(o.seconds / 0.5)));
    const double slice_seconds = o.seconds / slices;
    const int slice_min_runs = (o.min_runs + slices - 1) / slices;
    for (auto b : exec ? o.batches : std::vector<std::int64_t>{}) {
      fmt::print(stderr, "hogar cpu{} batch {} ...\n", ort ? " and onnxruntime cpu" : "", b);
      std::string error;
      auto inputs = warm_inputs(**exec, **model, b, o, error);
      struct turn {
        run_log fast, peer;
        std::optional<double> ratio;
      };
      std::vector<turn> turns;
      for (int r = 0; inputs && error.empty() && r < std::max(1, o.rounds); ++r) {
        turn t;
        // Each slice starts once the other runner's process has gone quiet.
        for (int s = 0; s < slices && error.empty(); ++s) {
          if (ort)
            wait_until_quiet(ort_pid);
          if (!run_slice(**exec, *inputs, slice_seconds, slice_min_runs, t.fast, error))
            break;
          if (!ort)
            continue;
          wait_until_quiet(static_cast<int>(::getpid()));
          std::string peer_error;
          if (!run_peer_slice(*ort, b, slice_seconds, slice_min_runs, t.peer, peer_error)) {
            notes.push_back(fmt::format("onnxruntime cpu batch {}: {}", b, peer_error));
            ort.reset();
          }
        }
        if (!t.peer.latencies_ns.empty() && t.peer.seconds > 0 && t.fast.seconds > 0)
          t.ratio = (t.fast.latencies_ns.size() / t.fast.seconds) /
                    (t.peer.latencies_ns.size() / t.peer.seconds);
        turns.push_back(std::move(t));
      }
      if (!error.empty() || turns.empty()) {
        notes.push_back(fmt::format("hogar cpu batch {}: {}", b, error));
        continue;
      }
      if (latencies_csv)
        for (std::size_t r = 0; r < turns.size(); ++r) {
          turns[r].fast.write_csv(*latencies_csv, "hogar cpu", b, static_cast<int>(r));
          turns[r].peer.write_csv(*latencies_csv, "onnxruntime cpu", b, static_cast<int>(r));
        }
      std::vector<double> ratios;
      for (auto& t : turns)
        if (t.ratio)
          ratios.push_back(*t.ratio);
      std::size_t chosen = 0;
      if (turns.size() > 1 && ratios.size() == turns.size()) {
        std::vector<std::size_t> order(turns.size());
        for (std::size_t i = 0; i < order.size(); ++i)
          order[i] = i;
        std::sort(order.begin(), order.end(),
                  [&](auto x, auto y) { return *turns[x].ratio < *turns[y].ratio; });
        chosen = order[order.size() / 2];
        round_notes.push_back(fmt::format("batch {}: {:.2f}x (turns: {:.2f})", b,
                                          *turns[chosen].ratio, fmt::join(ratios, ", ")));
      }
      points.push_back(turns[chosen].fast.to_point("hogar cpu", b));
      if (!turns[chosen].peer.latencies_ns.empty())
        points.push_back(turns[chosen].peer.to_point("onnxruntime cpu", b));
    }
  }
  if (o.reference && wanted(o, "reference"))
    run_hogar(nn::device::reference, {1}, 1);
  if (gpu && wanted(o, "gpu")) {
    run_hogar(nn::device::gpu, o.batches, o.min_runs);
    if (o.gpu_heuristic)
      run_hogar(nn::device::gpu, o.batches, o.min_runs, false);
  } else if (wanted(o, "gpu")) {
    notes.push_back(fmt::format("GPU: none here ({}); GPU rows and GPU peers are missing (the "
                                "last measurement on a GPU: bench/results/models-gpu.md)",
                                cuda_device_summary()));
  }
  std::vector<std::string> peer_names;
  if (gpu && wanted(o, "gpu"))
    peer_names.insert(peer_names.end(), {"ort-cuda", "torch-cuda", "torch-cuda-host"});
  if (o.peers && !peer_names.empty()) {
    std::string note;
    std::string which;
    for (auto& n : peer_names)
      which += (which.empty() ? "" : ",") + n;
    auto peer_points = run_peers(o, which, o.batches, note);
    points.insert(points.end(), peer_points.begin(), peer_points.end());
    if (!note.empty())
      notes.push_back("peers: " + note);
  }

  // The table: one row per (runner, batch), with the ratio to onnxruntime's CPU throughput at
  // the same batch for CPU runners and to PyTorch's for GPU runners.
  std::map<std::pair<std::string, std::int64_t>, double> ips;
  for (auto& p : points)
    ips[{p.runner, p.batch}] = p.images_per_s;
  auto ratio_to = [&](const point& p) -> std::string {
    bool on_gpu = p.runner.find("gpu") != std::string::npos || p.runner.find("cuda") != std::string::npos;
    auto peer = on_gpu ? "torch cuda" : "onnxruntime cpu";
    auto it = ips.find({peer, p.batch});
    if (it == ips.end() || p.runner == peer)
      return "-";
    return fmt::format("{:.2f}x {}", p.images_per_s / it->second, peer);
  };
  std::string md = bench::report_header("bench/models: " + o.model, argc, argv);
  md += fmt::format("CPU: {}  \nFast CPU path here:  \n", nn::cpu_description());
  const auto kernels = nn::cpu_kernels_description();
  for (auto line : std::string_view{kernels} | std::views::split('\n'))
    md += fmt::format("- {}\n", std::string_view{line.begin(), line.end()});
  md += "\n";
  std::string inputs;
  for (auto& in : (*model)->inputs)
    inputs += (inputs.empty() ? "" : ", ") + onnx::to_string(in);
  md += fmt::format("Model: `{}` (inputs {}; dynamic extents after the batch: {}), {} CPU "
                    "thread(s) for every CPU runner.  \n",
                    o.model, inputs, o.sequence, o.threads);
  md += "Each point: two warm-up runs, then runs for the time given (at least the minimum); "
        "images/s over all runs, p50/p99 per batch. The CPU path and onnxruntime alternate "
        "slices of about half a second, batch by batch, so that each ratio is between runs "
        "made side by side.\n\n";
  // Rows grouped by runner, in the order the runners first ran, each by batch.
  std::vector<std::string> runner_order;
  for (auto& p : points)
    if (std::find(runner_order.begin(), runner_order.end(), p.runner) == runner_order.end())
      runner_order.push_back(p.runner);
  auto rank = [&](const point& p) {
    return std::find(runner_order.begin(), runner_order.end(), p.runner) - runner_order.begin();
  };
  std::stable_sort(points.begin(), points.end(),
                   [&](const point& a, const point& b) { return rank(a) < rank(b); });
  md += "| runner | batch | images/s | p50 | p99 | runs | images/s vs peer |\n";
  md += "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (auto& p : points)
    md += fmt::format("| {} | {} | {:.1f} | {} | {} | {} | {} |\n", p.runner, p.batch,
                      p.images_per_s, fmt_ms(p.p50_ms), fmt_ms(p.p99_ms), p.runs, ratio_to(p));
  md += "\n";
  auto get = [&](const std::string& runner, std::int64_t batch) -> std::optional<double> {
    auto it = ips.find({runner, batch});
    return it == ips.end() ? std::nullopt : std::optional{it->second};
  };
  md += "Targets:\n\n";
  if (auto fast = get("hogar cpu", 1), ref = get("hogar reference", 1); fast && ref)
    md += fmt::format("- CPU fast path vs the reference twin, batch 1: {:.1f}x (target: at least "
                      "20x)\n",
                      *fast / *ref);
  // Issue 12's target: at least onnxruntime's images/s at batch 1, 8 and 64, 2 threads each.
  std::vector<std::string> ratios;
  for (std::int64_t b : {1, 8, 64})
    if (auto fast = get("hogar cpu", b), ort = get("onnxruntime cpu", b); fast && ort)
      ratios.push_back(fmt::format("{:.2f}x at batch {}", *fast / *ort, b));
  if (!ratios.empty())
    md += fmt::format("- CPU fast path vs onnxruntime CPU: {} (target: at least 1.0x at batch 1, "
                      "8 and 64)\n",
                      fmt::join(ratios, ", "));
  if (!round_notes.empty())
    md += fmt::format("- CPU fast path vs onnxruntime CPU over {} turns each, the median turn "
                      "(shown above) and every turn's ratio: {}\n",
                      o.rounds, fmt::join(round_notes, "; "));
  if (auto g64 = get("hogar gpu", 64), t64 = get("torch cuda", 64); g64 && t64)
    md += fmt::format("- GPU batch 64 vs PyTorch: {:.2f}x (target: at least 1.0x)\n", *g64 / *t64);
  if (auto g64 = get("hogar gpu", 64), t64 = get("torch cuda (host tensors)", 64); g64 && t64)
    md += fmt::format("- GPU batch 64 vs PyTorch from and to host memory, as hogar serves: "
                      "{:.2f}x\n",
                      *g64 / *t64);
  if (auto g64 = get("hogar gpu", 64), g1 = get("hogar gpu", 1); g64 && g1)
    md += fmt::format("- GPU batch 64 vs batch 1 throughput: {:.1f}x (target: at least 10x)\n",
                      *g64 / *g1);
  for (auto& n : notes)
    md += fmt::format("- {}\n", n);
  std::cout << md;
  std::ofstream out{o.output};
  out << md;
  if (!out) {
    fmt::print(stderr, "model_bench: cannot write {}\n", o.output);
    return 1;
  }
  return 0;
}
