// make_trace: writes an arrival trace (one inter-arrival time in seconds per line) for
// `hogar load --trace FILE` and the tuning benchmark, from one of the generators of
// scheduling/arrival_trace.hpp:
//   make_trace dynamic --out F [--means 0.07,0.06,0.07,0.10,0.12] [--seconds-per-step 60]
//                      [--scale 1]          RRL's step-Poisson trace; --scale divides every mean
//                                           inter-arrival time (2: twice the rate)
//   make_trace diurnal --out F --mean-rate R [--amplitude 0.5] [--period 120] --duration S
//   make_trace bursty  --out F --base-rate R --burst-rate B [--mean-burst 2] [--mean-gap 8]
//                      --duration S
// Every kind takes --seed (the same seed, the same trace on any machine).
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "scheduling/arrival_trace.hpp"

namespace po = boost::program_options;
using namespace hogar;

namespace {

std::vector<double> parse_means(const std::string& text) {
  std::vector<double> out;
  std::stringstream in{text};
  for (std::string item; std::getline(in, item, ',');)
    out.push_back(std::stod(item));
  return out;
}

} // namespace

int main(int argc, char** argv) {
  std::string kind, out_path, means = "0.07,0.06,0.07,0.10,0.12";
  double seconds_per_step = 60, scale = 1, mean_rate = 0, amplitude = 0.5, period = 120;
  double duration = 0, base_rate = 0, burst_rate = 0, mean_burst = 2, mean_gap = 8;
  std::uint64_t seed = 1;
  po::options_description opts{"make_trace dynamic|diurnal|bursty --out FILE [options]"};
  opts.add_options()("help,h", "show this help")
    ("out", po::value(&out_path), "the trace file to write")
    ("seed", po::value(&seed)->default_value(seed), "seed of the arrivals")
    ("means", po::value(&means)->default_value(means),
     "dynamic: mean inter-arrival time of each step, seconds, comma-separated")
    ("seconds-per-step", po::value(&seconds_per_step)->default_value(seconds_per_step),
     "dynamic: length of each step, seconds")
    ("scale", po::value(&scale)->default_value(scale),
     "dynamic: rate multiplier (every mean inter-arrival time is divided by it)")
    ("mean-rate", po::value(&mean_rate), "diurnal: mean requests per second")
    ("amplitude", po::value(&amplitude)->default_value(amplitude), "diurnal: sine amplitude, 0..1")
    ("period", po::value(&period)->default_value(period), "diurnal: sine period, seconds")
    ("duration", po::value(&duration), "diurnal, bursty: length of the trace, seconds")
    ("base-rate", po::value(&base_rate), "bursty: requests per second between bursts")
    ("burst-rate", po::value(&burst_rate), "bursty: requests per second during a burst")
    ("mean-burst", po::value(&mean_burst)->default_value(mean_burst), "bursty: mean burst length, s")
    ("mean-gap", po::value(&mean_gap)->default_value(mean_gap), "bursty: mean gap length, s");
  po::options_description all;
  all.add(opts).add_options()("kind", po::value(&kind));
  po::positional_options_description pos;
  pos.add("kind", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "make_trace: " << e.what() << "\n" << opts;
    return 2;
  }
  if (vm.count("help") || kind.empty() || out_path.empty()) {
    std::cerr << opts;
    return vm.count("help") ? 0 : 2;
  }
  result<scheduling::arrival_trace> trace = error_info{errc::invalid_argument, ""};
  if (kind == "dynamic") {
    std::vector<double> steps;
    try {
      steps = parse_means(means);
    } catch (const std::exception&) {
      std::cerr << fmt::format("make_trace: --means '{}' is not a list of numbers\n", means);
      return 2;
    }
    if (!(scale > 0)) {
      std::cerr << "make_trace: --scale must be positive\n";
      return 2;
    }
    for (auto& m : steps)
      m /= scale;
    trace = scheduling::step_poisson_trace(steps, seconds_per_step, seed);
  } else if (kind == "diurnal") {
    trace = scheduling::diurnal_trace(mean_rate, amplitude, period, duration, seed);
  } else if (kind == "bursty") {
    trace = scheduling::bursty_trace(base_rate, burst_rate, mean_burst, mean_gap, duration, seed);
  } else {
    std::cerr << fmt::format("make_trace: unknown kind '{}' (dynamic, diurnal or bursty)\n", kind);
    return 2;
  }
  if (!trace) {
    std::cerr << "make_trace: " << trace.error().message << "\n";
    return 1;
  }
  std::ofstream out{out_path};
  out << scheduling::format_arrival_trace(*trace);
  if (!out) {
    std::cerr << fmt::format("make_trace: cannot write {}\n", out_path);
    return 1;
  }
  std::cerr << fmt::format("{}: {} arrivals over {:.1f} s, {:.2f} per second\n", out_path,
                           trace->size(), trace->duration_s(), trace->mean_rate());
  return 0;
}
