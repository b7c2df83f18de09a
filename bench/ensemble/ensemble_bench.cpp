// ensemble_bench: which members of an ensemble to run, per batch, under a sine-modulated load
// (issue 14 item 4; the Rafiki paper's inference experiment). The five competing models of
// the stock-prediction service (seed 003, figure 1.1: C7-C11) are simulated members of
// different cost and accuracy behind one queue (scheduling/ensemble_simulator.hpp); the same
// arrivals are served with selection all, greedy and rafiki (scheduling/ensemble_policy.hpp,
// rafiki_policy.hpp), unchanged from what the engine's select operator runs.
//
// Simulated time: the figures are a deterministic function of the options and the seeds, not
// of this machine (a shared 2-core VM whose timings are noise). Reported per selection, over
// every request, and over the requests that arrived in the sine's peak and trough quarters
// (the quarter period around its maximum and its minimum): the mean accuracy of the answers
// (the probability each was right, by the members' accuracies), the share of requests answered
// after the objective (overdue), and the mean latency.
#include <array>
#include <cmath>
#include <fstream>
#include <iostream>
#include <numbers>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "bench/report_header.hpp"
#include "scheduling/ensemble_simulator.hpp"
#include "scheduling/rafiki_policy.hpp"

namespace po = boost::program_options;
using namespace hogar;
using namespace hogar::scheduling;

namespace {

struct options {
  std::string output = "bench/results/ensemble.md";
  double mean_rate = 220;
  double amplitude = 0.8;
  double period_s = 60;
  int periods = 4;
  double slo_ms = 120;
  double beta = 0.5;
  double noise = 0.1;
  int seeds = 5;
  /// Study aids: Rafiki's learner (rafiki_options; defaults as the engine runs it).
  rafiki_options rafiki;
};

/// C7-C11 of figure 1.1. Costs per batch on each model's own device: fixed + per item, ms.
std::vector<ensemble_member_profile> stock_models() {
  return {
    {"arima", {1, 1.5, 0.4}, 0.60},
    {"lstm", {1, 6.0, 1.2}, 0.66},
    {"prophet", {1, 4.0, 0.8}, 0.62},
    {"gbm", {1, 2.0, 0.5}, 0.64},
    {"transformer", {1, 12.0, 2.5}, 0.70},
  };
}

/// Sums over the requests of one part of the trace.
struct tally {
  std::size_t requests = 0;
  std::size_t overdue = 0;
  double accuracy = 0;
  double latency_ms = 0;
  double members = 0;
  double batch = 0;

  void add(const served_request& r, double slo_ms) {
    ++requests;
    double ms = static_cast<double>(r.latency_ns) * 1e-6;
    overdue += ms > slo_ms ? 1 : 0;
    accuracy += r.accuracy;
    latency_ms += ms;
    members += static_cast<double>(member_count(r.members));
    batch += static_cast<double>(r.batch);
  }
  double mean(double sum) const { return requests ? sum / static_cast<double>(requests) : 0; }
  double overdue_share() const {
    return requests ? static_cast<double>(overdue) / static_cast<double>(requests) : 0;
  }
};

struct result_row {
  std::string selection;
  tally whole, peak, trough;
};

} // namespace

int main(int argc, char** argv) {
  options o;
  po::options_description desc{"ensemble_bench [options]"};
  desc.add_options()("help,h", "show this help")
    ("output", po::value(&o.output)->default_value(o.output), "markdown results")
    ("rate", po::value(&o.mean_rate)->default_value(o.mean_rate), "mean arrivals per second")
    ("amplitude", po::value(&o.amplitude)->default_value(o.amplitude),
     "the sine's amplitude, relative to the mean rate, in [0, 1]")
    ("period-s", po::value(&o.period_s)->default_value(o.period_s), "the sine's period, seconds")
    ("periods", po::value(&o.periods)->default_value(o.periods), "periods per run")
    ("slo-ms", po::value(&o.slo_ms)->default_value(o.slo_ms),
     "latency objective from arrival to answer, milliseconds")
    ("beta", po::value(&o.beta)->default_value(o.beta), "Rafiki's penalty for an overdue request")
    ("noise", po::value(&o.noise)->default_value(o.noise), "members' batch-time noise, relative")
    ("seeds", po::value(&o.seeds)->default_value(o.seeds),
     "runs per selection (each seeds the trace, the noise and Rafiki's choices)")
    ("temperature", po::value(&o.rafiki.temperature)->default_value(o.rafiki.temperature),
     "study aid: Rafiki's softmax temperature")
    ("actor-rate", po::value(&o.rafiki.actor_rate)->default_value(o.rafiki.actor_rate),
     "study aid: Rafiki's actor learning rate (0: the starting policy, never learning)")
    ("critic-rate", po::value(&o.rafiki.critic_rate)->default_value(o.rafiki.critic_rate),
     "study aid: Rafiki's critic learning rate")
    ("discount", po::value(&o.rafiki.discount)->default_value(o.rafiki.discount),
     "study aid: Rafiki's discount per decision");
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

  auto members = stock_models();
  ensemble_config config;
  for (auto& m : members)
    config.accuracy.push_back(m.accuracy);
  config.slo_us = std::llround(o.slo_ms * 1000);
  config.beta = o.beta;

  // Where a request's arrival falls in the sine: peak quarter, trough quarter or neither.
  auto phase_of = [&](std::int64_t arrival_ns) {
    double phase = std::fmod(static_cast<double>(arrival_ns) * 1e-9 / o.period_s, 1.0);
    if (phase >= 0.125 && phase < 0.375)
      return 1;
    if (phase >= 0.625 && phase < 0.875)
      return -1;
    return 0;
  };

  std::vector<result_row> rows;
  std::array<double, rafiki_policy::action_features> learned{};
  for (std::string selection : {"all", "greedy", "rafiki"}) {
    result_row row{selection, {}, {}, {}};
    for (int seed = 1; seed <= o.seeds; ++seed) {
      auto trace = diurnal_trace(o.mean_rate, o.amplitude, o.period_s, o.period_s * o.periods,
                                 static_cast<std::uint64_t>(seed));
      if (!trace) {
        std::cerr << "ensemble_bench: " << trace.error().message << "\n";
        return 1;
      }
      auto sim = ensemble_simulator::make(members, std::move(*trace),
                                          {o.slo_ms, o.noise, static_cast<std::uint64_t>(seed)});
      config.seed = static_cast<std::uint64_t>(seed);
      auto policy = make_ensemble_policy(selection, config);
      // Checked by the factory; the study aids need the class itself.
      if (policy && selection == "rafiki")
        *policy = std::make_unique<rafiki_policy>(config, o.rafiki);
      if (!sim || !policy) {
        std::cerr << "ensemble_bench: "
                  << (!sim ? sim.error().message : policy.error().message) << "\n";
        return 1;
      }
      auto served = sim->run(**policy);
      if (!served) {
        std::cerr << "ensemble_bench: " << served.error().message << "\n";
        return 1;
      }
      if (auto* rafiki = dynamic_cast<rafiki_policy*>(policy->get()); rafiki && seed == 1)
        learned = rafiki->actor_weights();
      for (auto& r : *served) {
        row.whole.add(r, o.slo_ms);
        auto phase = phase_of(r.arrival_ns);
        if (phase > 0)
          row.peak.add(r, o.slo_ms);
        else if (phase < 0)
          row.trough.add(r, o.slo_ms);
      }
    }
    std::cerr << fmt::format("{}: accuracy {:.4f}, overdue {:.2f}%, mean {:.1f} ms\n", selection,
                             row.whole.mean(row.whole.accuracy),
                             100 * row.whole.overdue_share(),
                             row.whole.mean(row.whole.latency_ms));
    rows.push_back(std::move(row));
  }

  std::string md = bench::report_header("bench/ensemble: which ensemble members run, per batch, "
                                        "under a sine load",
                                        argc, argv);
  md += fmt::format(
    "Simulated time (scheduling/ensemble_simulator.hpp): every figure is a deterministic "
    "function of the options and seeds, not a measurement of this machine. Members: the five "
    "competing models of seed 003's stock-prediction service (figure 1.1, C7-C11), each on its "
    "own device, batch time fixed + per item (ms), noise ±{:.0f}%:\n\n",
    100 * o.noise);
  md += "| member | fixed ms | per item ms | accuracy |\n| --- | ---: | ---: | ---: |\n";
  for (auto& m : members)
    md += fmt::format("| {} | {} | {} | {:.2f} |\n", m.name, m.cost.fixed_ms, m.cost.per_item_ms,
                      m.accuracy);
  ensemble_accuracy model{config.accuracy};
  md += fmt::format(
    "\nA subset's accuracy: a log-odds weighted vote of independent members (all five: {:.4f}; "
    "the transformer alone: {:.4f}). Arrivals: Rafiki's sine, rate {} x (1 + {} sin(2 pi t / "
    "{} s)) requests/s, {} periods, {} seeds (each seeds the trace, the noise and Rafiki's "
    "sampling; every selection sees the same arrivals). Objective {} ms from arrival to answer; "
    "beta {}; batch sizes 1, 2, 4, 8, 16. Peak: requests arriving in the quarter period around "
    "the sine's maximum ({:.0f}/s); trough: around its minimum ({:.0f}/s). all and greedy form "
    "batches with the engine's SLO-greedy batching (they wait for a fuller batch while the "
    "oldest request could still make it); rafiki chooses its batch size and never waits. Rafiki "
    "learns online from its first batch; every request counts, the first period's too.\n\n",
    model.of(0x1f), model.of(0x10), o.mean_rate, o.amplitude, o.period_s, o.periods, o.seeds,
    o.slo_ms, o.beta, o.mean_rate * (1 + o.amplitude), o.mean_rate * (1 - o.amplitude));
  md += "| selection | requests | accuracy | peak | trough | overdue | peak | trough | mean "
        "latency | peak | trough | members run | mean batch |\n";
  md += "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
        "---: |\n";
  for (auto& r : rows)
    md += fmt::format("| {} | {} | {:.4f} | {:.4f} | {:.4f} | {:.2f}% | {:.2f}% | {:.2f}% | "
                      "{:.1f} ms | {:.1f} ms | {:.1f} ms | {:.2f} | {:.1f} |\n",
                      r.selection, r.whole.requests, r.whole.mean(r.whole.accuracy),
                      r.peak.mean(r.peak.accuracy), r.trough.mean(r.trough.accuracy),
                      100 * r.whole.overdue_share(), 100 * r.peak.overdue_share(),
                      100 * r.trough.overdue_share(), r.whole.mean(r.whole.latency_ms),
                      r.peak.mean(r.peak.latency_ms), r.trough.mean(r.trough.latency_ms),
                      r.whole.mean(r.whole.members), r.whole.mean(r.whole.batch));
  auto& all = rows[0];
  auto& rafiki = rows[2];
  double overdue_ratio = all.peak.overdue
                           ? static_cast<double>(rafiki.peak.overdue) /
                               static_cast<double>(all.peak.overdue)
                           : 0.0;
  double trough_points =
    100 * (all.trough.mean(all.trough.accuracy) - rafiki.trough.mean(rafiki.trough.accuracy));
  bool met = all.peak.overdue > 0 && overdue_ratio <= 0.5 && trough_points <= 2;
  md += fmt::format(
    "\nTargets (issue 14), Rafiki against all: at the peak, {} overdue requests against {} "
    "({:.3f}x; target at most 0.5x); at the trough, accuracy {:.2f} points below all's "
    "(target at most 2). {}\n",
    rafiki.peak.overdue, all.peak.overdue, overdue_ratio, trough_points,
    met ? "Both met." : "NOT MET.");
  md += fmt::format("\nRafiki's actor weights after seed 1's run (they start at [1, -beta, "
                    "-beta, -beta]): accuracy served {:.3f}, predicted late in the batch {:.3f}, "
                    "predicted late left behind {:.3f}, arrivals it cannot keep up with {:.3f} "
                    "(scheduling/rafiki_policy.hpp).\n",
                    learned[0], learned[1], learned[2], learned[3]);
  std::ofstream out{o.output};
  out << md;
  std::cout << md;
  return met ? 0 : 1;
}
