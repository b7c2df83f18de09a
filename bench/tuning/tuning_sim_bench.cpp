// tuning_sim_bench: RRL against plain Q-learning in the serving simulator (issue 10, item 8):
// how many windows each needs before the configuration it believes best is within 10% of the
// oracle's latency (the best static configuration, found by measuring every grid point), over
// 20 seeds, at each arrival rate of the dynamic trace. The simulator's service times come from
// a profile measured on this machine by tuning_profile (bench/results/tuning_profile.txt).
//
// Both policies run unchanged (scheduling/rrl_policy.hpp, q_learning_policy.hpp), stepped one
// window at a time by the simulator as the tuner actor steps them in the engine. A window's
// latency is measured (noisy: Poisson arrivals, service-time noise); "within 10%" is judged
// on each configuration's steady-state latency, computed once per rate with common random
// numbers, so that luck in one window cannot make a policy look converged.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "bench/report_header.hpp"
#include "scheduling/serving_simulator.hpp"
#include "scheduling/tuning_policy.hpp"

namespace po = boost::program_options;
using namespace hogar;
using namespace hogar::scheduling;

namespace {

struct options {
  std::string profile = "bench/results/tuning_profile.txt";
  std::string output = "bench/results/tuning_sim.md";
  std::vector<double> interarrival_s{0.06, 0.07, 0.10, 0.12};
  double scale = 1;
  int seeds = 20;
  std::size_t window = 20;
  std::size_t max_windows = 2000;
  double cores = 2;
  double noise = 0.1;
  double slo_ms = 0;
  std::int64_t points = 11;
  /// --oracle-trace: print the best static configuration for this trace (JSON) and stop.
  std::string oracle_trace;
  std::int64_t batch_max = 64;
  std::int64_t instances_max = 4;
  /// With --oracle-trace: also replay the trace under each policy (a study aid), on stderr.
  std::string replay_policy;
  /// Study aids: RRL's starting temperature, its decay and the level ratio (0: the default).
  double temperature = 0;
  double decay = 0;
  double level_ratio = 0;
  /// --headroom: the load scales studied (rate multipliers of the dynamic trace's levels).
  std::vector<double> headroom_scales;
  std::int64_t threads_max = 2;
};

/// Mean latency over a whole trace, served window by window under `policy` (its decisions
/// applied between windows, as the tuner actor applies them), from `initial`.
double replay(const options& o, const service_profile& profile, const tuning_grid& grid,
              const arrival_trace& trace, const std::string& policy,
              const std::vector<std::int64_t>& initial, std::uint64_t seed) {
  tuning_policy_config config;
  config.policy = policy;
  config.knobs = grid.knobs();
  config.points = static_cast<std::size_t>(o.points);
  config.initial = initial;
  config.seed = seed;
  if (o.temperature > 0)
    config.rrl.temperature = o.temperature;
  if (o.decay > 0)
    config.rrl.temperature_decay = o.decay;
  if (o.level_ratio > 0)
    config.level_ratio = o.level_ratio;
  auto tuner = make_tuning_policy(config);
  auto sim = serving_simulator::make(profile, trace, {o.cores, o.noise, 0, seed});
  if (!tuner || !sim)
    throw std::runtime_error(!tuner ? tuner.error().message : sim.error().message);
  auto decision = (*tuner)->start();
  double latency_sum = 0;
  std::uint64_t answered = 0;
  while (answered < trace.size()) {
    auto w = sim->run_window(decision.config, o.window);
    if (!w)
      throw std::runtime_error(w.error().message);
    latency_sum += w->mean_latency_ms * static_cast<double>(w->requests);
    answered += w->requests;
    decision = (*tuner)->next(*w);
  }
  return latency_sum / static_cast<double>(answered);
}

/// The best static configuration for a whole trace: every grid point serves the trace in the
/// simulator, the lowest mean latency wins (what tuning_bench.py deploys as "oracle").
int oracle_for_trace(const options& o, const service_profile& profile) {
  auto grid = tuning_grid::make({{"batch_size", 1, o.batch_max},
                                 {"queue_delay_us", 0, 20000},
                                 {"instances", 1, o.instances_max},
                                 {"intra_op_threads", 1, 2}},
                                static_cast<std::size_t>(o.points));
  auto trace = read_arrival_trace(o.oracle_trace);
  if (!grid || !trace) {
    std::cerr << "tuning_sim_bench: " << (grid ? trace.error() : grid.error()).message << "\n";
    return 1;
  }
  double best_ms = 1e300;
  std::vector<std::int64_t> best;
  for (std::size_t c = 0; c < grid->size(); ++c) {
    auto sim = serving_simulator::make(profile, *trace, {o.cores, o.noise, 0, 1});
    if (!sim)
      return std::cerr << sim.error().message << "\n", 1;
    auto w = sim->run_window(grid->values(c), trace->size());
    if (w && w->mean_latency_ms < best_ms) {
      best_ms = w->mean_latency_ms;
      best = grid->values(c);
    }
  }
  if (!o.replay_policy.empty()) {
    // What each policy's tuning costs over this trace, against the oracle.
    std::vector<std::int64_t> start{8, 5000, 1, 2};
    for (std::size_t k = 0; k < start.size(); ++k)
      start[k] = std::min(start[k], grid->knobs()[k].hi);
    for (auto& policy : {std::string{"static"}, std::string{"q_learning"}, std::string{"rrl"}}) {
      double sum = 0;
      for (int seed = 1; seed <= o.seeds; ++seed)
        sum += replay(o, profile, *grid, *trace, policy, start, static_cast<std::uint64_t>(seed));
      std::cerr << fmt::format("{}: {:.1f} ms, mean of {} seeds (oracle {:.1f} ms)\n", policy,
                               sum / o.seeds, o.seeds, best_ms);
    }
  }
  std::cout << fmt::format("{{\"config\": {{\"batch_size\": {}, \"queue_delay_us\": {}, "
                           "\"instances\": {}, \"intra_op_threads\": {}}}, "
                           "\"mean_latency_ms\": {:.3f}}}\n",
                           best[0], best[1], best[2], best[3], best_ms);
  return 0;
}

/// How much any tuner can gain over the best single static configuration on the dynamic
/// trace: every grid configuration's steady-state latency at each of the trace's levels
/// (0.07, 0.06, 0.07, 0.10, 0.12 s, equally long, so each weighs by its rate), then the best
/// static configuration (the lowest request-weighted mean over the levels) against the
/// per-level oracle (each level under its own best configuration, switched at no cost). No
/// tuner beats the per-level oracle but in transients, so their ratio bounds what tuning can
/// give on this service profile: the target asks for 0.7.
int headroom(const options& o, const service_profile& profile, int argc, char** argv) {
  auto grid = tuning_grid::make({{"batch_size", 1, o.batch_max},
                                 {"queue_delay_us", 0, 20000},
                                 {"instances", 1, o.instances_max},
                                 {"intra_op_threads", 1, o.threads_max}},
                                static_cast<std::size_t>(o.points));
  if (!grid) {
    std::cerr << "tuning_sim_bench: " << grid.error().message << "\n";
    return 1;
  }
  const std::vector<double> levels{0.07, 0.06, 0.07, 0.10, 0.12};
  std::string md = bench::report_header(
    "bench/tuning: what tuning can gain over the best static configuration", argc, argv);
  md += fmt::format(
    "Service times: `{}`, {} cores shared by the instances, noise ±{:.0f}%. Grid: batch_size "
    "[1, {}], queue_delay_us [0, 20000] ({} points each), instances [1, {}], intra_op_threads "
    "[1, {}]: {} configurations, each measured at each level on 20,000 Poisson requests "
    "(common random numbers). Levels: the dynamic trace's mean inter-arrival times 0.07, 0.06, "
    "0.07, 0.10, 0.12 s divided by the scale, equally long. Headroom = per-level oracle / best "
    "static: no tuner does better but in transients (the target asks RRL for 0.7x the best "
    "static).\n\n",
    o.profile, o.cores, 100 * o.noise, o.batch_max, o.points, o.instances_max, o.threads_max,
    grid->size());
  md += "| scale | peak rate | best static | its mean | per-level oracle (configurations) | its "
        "mean | headroom |\n| ---: | ---: | --- | ---: | --- | ---: | ---: |\n";
  auto describe = [&](std::size_t c) {
    auto v = grid->values(c);
    return fmt::format("b{} d{} i{} t{}", v[0], v[1], v[2], v[3]);
  };
  for (double scale : o.headroom_scales) {
    serving_options steady{o.cores, o.noise, 0, 1};
    std::vector<std::vector<double>> ms(levels.size(), std::vector<double>(grid->size(), 1e300));
    double weight_sum = 0;
    for (std::size_t l = 0; l < levels.size(); ++l) {
      weight_sum += scale / levels[l];
      for (std::size_t c = 0; c < grid->size(); ++c)
        if (auto m = expected_latency_ms(profile, steady, grid->values(c), scale / levels[l]))
          ms[l][c] = *m;
    }
    std::size_t best_static = 0;
    double best_static_ms = 1e300;
    for (std::size_t c = 0; c < grid->size(); ++c) {
      double mean = 0;
      for (std::size_t l = 0; l < levels.size(); ++l)
        mean += (scale / levels[l]) / weight_sum * ms[l][c];
      if (mean < best_static_ms) {
        best_static_ms = mean;
        best_static = c;
      }
    }
    double oracle_ms = 0;
    std::string chosen;
    for (std::size_t l = 0; l < levels.size(); ++l) {
      auto it = std::min_element(ms[l].begin(), ms[l].end());
      oracle_ms += (scale / levels[l]) / weight_sum * *it;
      chosen += (chosen.empty() ? "" : ", ") +
                describe(static_cast<std::size_t>(it - ms[l].begin()));
    }
    md += fmt::format("| {:g} | {:.1f}/s | {} | {:.1f} ms | {} | {:.1f} ms | {:.2f}x |\n", scale,
                      scale / 0.06, describe(best_static), best_static_ms, chosen, oracle_ms,
                      oracle_ms / best_static_ms);
    std::cerr << "scale " << scale << " done\n";
  }
  std::ofstream out{o.output, std::ios::app};
  out << "\n" << md;
  std::cout << md;
  return 0;
}

/// Windows until best_estimate() is within 10% of the oracle (max_windows + 1: never).
struct run_result {
  std::size_t windows = 0;
  bool reached = false;
  /// Mean of the windows' measured latencies over the run, ms.
  double mean_latency_ms = 0;
};

run_result study(const options& o, const service_profile& profile, const tuning_grid& grid,
                 const std::vector<double>& steady_ms, double oracle_ms, double rate,
                 const std::string& policy, std::uint64_t seed) {
  tuning_policy_config config;
  config.policy = policy;
  config.knobs = grid.knobs();
  config.points = static_cast<std::size_t>(o.points);
  // A random grid point, the same for both policies under one seed (a start that is already
  // good would measure nothing).
  splitmix64 pick{seed * 1'000'003};
  config.initial = grid.values(static_cast<std::size_t>(pick.uniform() * static_cast<double>(grid.size())));
  config.seed = seed;
  auto made = make_tuning_policy(config);
  if (!made)
    throw std::runtime_error(made.error().message);
  auto& tuner = **made;
  // A long stationary trace; the simulator wraps it if a run needs more.
  auto trace = step_poisson_trace({1.0 / rate}, 600, seed * 7 + 1);
  if (!trace)
    throw std::runtime_error(trace.error().message);
  serving_options sim_options{o.cores, o.noise, o.slo_ms, seed};
  auto sim = serving_simulator::make(profile, std::move(*trace), sim_options);
  if (!sim)
    throw std::runtime_error(sim.error().message);
  run_result out;
  auto decision = tuner.start();
  double latency_sum = 0;
  for (std::size_t w = 1; w <= o.max_windows; ++w) {
    auto observed = sim->run_window(decision.config, o.window);
    if (!observed)
      throw std::runtime_error(observed.error().message);
    latency_sum += observed->mean_latency_ms;
    decision = tuner.next(*observed);
    auto best = grid.nearest(tuner.best_estimate());
    if (!out.reached && steady_ms[best] <= 1.1 * oracle_ms) {
      out.reached = true;
      out.windows = w;
      // The rest of the run only serves the mean latency: stop early past 3x the windows.
      if (w * 3 < o.max_windows) {
        out.mean_latency_ms = latency_sum / static_cast<double>(w);
        return out;
      }
    }
  }
  if (!out.reached)
    out.windows = o.max_windows + 1;
  out.mean_latency_ms = latency_sum / static_cast<double>(o.max_windows);
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

} // namespace

int main(int argc, char** argv) {
  options o;
  po::options_description desc{"tuning_sim_bench [options]"};
  desc.add_options()("help,h", "show this help")
    ("profile", po::value(&o.profile)->default_value(o.profile), "service profile (tuning_profile)")
    ("output", po::value(&o.output)->default_value(o.output), "markdown results")
    ("interarrival", po::value(&o.interarrival_s)->multitoken(),
     "mean inter-arrival times studied, seconds (default: the dynamic trace's 0.06 0.07 0.10 0.12)")
    ("scale", po::value(&o.scale)->default_value(o.scale), "rate multiplier")
    ("seeds", po::value(&o.seeds)->default_value(o.seeds), "seeds per policy and rate")
    ("window", po::value(&o.window)->default_value(o.window), "requests per window")
    ("max-windows", po::value(&o.max_windows)->default_value(o.max_windows), "windows per run")
    ("cores", po::value(&o.cores)->default_value(o.cores), "cores the instances share")
    ("noise", po::value(&o.noise)->default_value(o.noise), "service-time noise, relative")
    ("points", po::value(&o.points)->default_value(o.points), "grid points per wide knob")
    ("oracle-trace", po::value(&o.oracle_trace),
     "print the best static configuration for this trace file as JSON, and stop")
    ("replay", po::value(&o.replay_policy),
     "--oracle-trace: also serve the trace under static, q_learning and rrl (any value), "
     "printing each mean latency on stderr")
    ("temperature", po::value(&o.temperature), "--replay: RRL's starting temperature")
    ("decay", po::value(&o.decay), "--replay: RRL's temperature decay per window")
    ("level-ratio", po::value(&o.level_ratio), "--replay: the workload levels' width")
    ("batch-max", po::value(&o.batch_max)->default_value(o.batch_max),
     "--oracle-trace, --headroom: the batch size bound")
    ("instances-max", po::value(&o.instances_max)->default_value(o.instances_max),
     "--oracle-trace, --headroom: the instances bound")
    ("threads-max", po::value(&o.threads_max)->default_value(o.threads_max),
     "--headroom: the intra_op_threads bound")
    ("headroom", po::value(&o.headroom_scales)->multitoken(),
     "the load scales at which to compare the best static configuration with a per-level "
     "oracle on the dynamic trace (appended to --output), and stop");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n" << desc;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  auto profile = service_profile::read(o.profile);
  if (!profile) {
    std::cerr << "tuning_sim_bench: " << profile.error().message << "\n";
    return 1;
  }
  if (!o.oracle_trace.empty())
    return oracle_for_trace(o, *profile);
  if (!o.headroom_scales.empty())
    return headroom(o, *profile, argc, argv);
  // The bounds: batch size [1, 64], queue delay [0, 20000] us, instances [1, 4],
  // intra-op threads [1, 2]; 11 points on the wide knobs, one per value on the narrow ones.
  auto grid = tuning_grid::make({{"batch_size", 1, 64},
                                 {"queue_delay_us", 0, 20000},
                                 {"instances", 1, 4},
                                 {"intra_op_threads", 1, 2}},
                                static_cast<std::size_t>(o.points));
  if (!grid) {
    std::cerr << grid.error().message << "\n";
    return 1;
  }
  std::string md = bench::report_header("bench/tuning: RRL against plain Q-learning in the serving simulator", argc, argv);
  md += fmt::format(
    "Service times: `{}` (measured on this machine by tuning_profile), {} cores shared by the "
    "instances, service-time noise ±{:.0f}%.  \nGrid: batch_size [1, 64], queue_delay_us "
    "[0, 20000] ({} points each), instances [1, 4], intra_op_threads [1, 2]: {} "
    "configurations. Start: a random grid point per seed, the same for both policies.  \nA window is {} "
    "requests; a run ends at {} windows. Reached: the first window after which the policy's "
    "best estimate has a steady-state latency within 10% of the oracle's (the best of all "
    "{} configurations, each measured on 20,000 requests with common random numbers).\n\n",
    o.profile, o.cores, 100 * o.noise, o.points, grid->size(), o.window, o.max_windows,
    grid->size());
  md += "| mean inter-arrival | rate | oracle | oracle latency | RRL windows to 10% (median, "
        "p90) | Q-learning windows to 10% (median, p90) | Q / RRL | RRL reached | Q reached |\n"
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  std::vector<double> ratios;
  for (auto ia : o.interarrival_s) {
    double rate = o.scale / ia;
    serving_options steady{o.cores, o.noise, o.slo_ms, 1};
    std::vector<double> steady_ms(grid->size());
    double oracle_ms = 1e300;
    std::size_t oracle_index = 0;
    for (std::size_t c = 0; c < grid->size(); ++c) {
      auto ms = expected_latency_ms(*profile, steady, grid->values(c), rate);
      steady_ms[c] = ms ? *ms : 1e300;
      if (steady_ms[c] < oracle_ms) {
        oracle_ms = steady_ms[c];
        oracle_index = c;
      }
    }
    std::map<std::string, std::vector<double>> windows;
    std::map<std::string, int> reached;
    for (auto& policy : {std::string{"rrl"}, std::string{"q_learning"}})
      for (int seed = 1; seed <= o.seeds; ++seed) {
        auto r = study(o, *profile, *grid, steady_ms, oracle_ms, rate, policy,
                       static_cast<std::uint64_t>(seed));
        windows[policy].push_back(static_cast<double>(r.windows));
        reached[policy] += r.reached ? 1 : 0;
        std::cerr << fmt::format("rate {:.1f}/s {} seed {}: {} windows\n", rate, policy, seed,
                                 r.reached ? std::to_string(r.windows) : "never");
      }
    auto p90 = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[static_cast<std::size_t>(std::ceil(0.9 * static_cast<double>(v.size()))) - 1];
    };
    auto show = [&](double w) {
      return w > static_cast<double>(o.max_windows) ? fmt::format("> {}", o.max_windows)
                                                    : fmt::format("{:g}", w);
    };
    auto rrl_median = median(windows["rrl"]), q_median = median(windows["q_learning"]);
    ratios.push_back(q_median / rrl_median);
    auto values = grid->values(oracle_index);
    md += fmt::format("| {:.3f} s | {:.1f}/s | batch {} delay {} us, {} inst x {} thr | {:.1f} ms "
                      "| {}, {} | {}, {} | {}{:.1f}x | {}/{} | {}/{} |\n",
                      ia / o.scale, rate, values[0], values[1], values[2], values[3], oracle_ms,
                      show(rrl_median), show(p90(windows["rrl"])), show(q_median),
                      show(p90(windows["q_learning"])),
                      q_median > static_cast<double>(o.max_windows) ? "> " : "",
                      q_median / rrl_median, reached["rrl"], o.seeds, reached["q_learning"],
                      o.seeds);
  }
  md += fmt::format("\nTarget: RRL reaches within 10% of the oracle at least 8x sooner than plain "
                    "Q-learning (median over {} seeds). Worst ratio here: {:.1f}x{}.\n",
                    o.seeds, *std::min_element(ratios.begin(), ratios.end()),
                    " (a \"> \" ratio is a lower bound: Q-learning did not reach it in the run)");
  std::ofstream out{o.output};
  out << md;
  std::cout << md;
  return 0;
}
