// seed003_bench: the experiment of seed 003 (table 5.1) on hogar. n concurrent requests
// against 1, n/2 and n replicas of a fixed-cost model (sleep 200 ms) spread over three
// daemons; the total time until all n are answered, averaged over three trials. With n
// replicas for n requests the total should stay close to the time of one request.
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <boost/program_options.hpp>
#include <caf/actor_system.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include "actors/cluster_client.hpp"
#include "actors/cluster_messages.hpp"
#include "actors/load_driver.hpp"
#include "actors/system_config.hpp"
#include "bench/cluster/daemons.hpp"
#include "bench/report_header.hpp"

namespace po = boost::program_options;
using namespace hogar;
using namespace std::chrono_literals;

namespace {

std::string model_graph(const std::string& name, std::size_t replicas, double cost_ms) {
  return fmt::format(R"(graph: {}
inputs: [{{name: x, dtype: float32, shape: [1]}}]
operators:
  - {{name: model, kind: simulate, inputs: [x], replicas: {}, params: {{cost_ms: {}}}}}
outputs: [{{name: y, from: model}}]
)",
                     name, replicas, cost_ms);
}

} // namespace

int main(int argc, char** argv) {
  std::string hogard = "build/tools/hogard";
  std::string output = "bench/results/cluster_seed003.md";
  double cost_ms = 200;
  std::size_t trials = 3;
  std::uint16_t port = 7791;
  po::options_description desc{"seed003_bench [options]"};
  desc.add_options()("help,h", "show this help")
    ("hogard", po::value(&hogard)->default_value(hogard), "the daemon binary")
    ("output", po::value(&output)->default_value(output), "where the markdown table goes")
    ("cost-ms", po::value(&cost_ms)->default_value(cost_ms), "the model's cost, milliseconds")
    ("trials", po::value(&trials)->default_value(trials), "runs averaged per cell")
    ("port", po::value(&port)->default_value(port), "first of three actor ports to use");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  bench::daemons cluster{hogard, port, {"", "", ""}};
  system_config cfg;
  cfg.enable_networking(false);
  cfg.set("scheduler.max-threads", std::size_t{2});
  caf::actor_system sys{cfg};
  auto client = cluster.connect(sys);
  if (!client) {
    std::cerr << "the daemons did not come up\n";
    return 1;
  }
  struct cell {
    std::size_t n;
    std::size_t replicas;
    double seconds;
  };
  std::vector<cell> cells;
  record input{{"x", tensor::from_values<float>({1}, std::vector<float>{1.0f})}};
  for (std::size_t n : {1, 10, 50}) {
    std::vector<std::size_t> counts{1};
    if (n / 2 > 1)
      counts.push_back(n / 2);
    if (n > 1)
      counts.push_back(n);
    for (auto replicas : counts) {
      auto name = fmt::format("seed003_n{}_r{}", n, replicas);
      auto submitted = client->ask<graph_summary>(30s, submit_atom::value,
                                                  model_graph(name, replicas, cost_ms),
                                                  std::string{"seed003"});
      if (!submitted) {
        std::cerr << submitted.error().message << "\n";
        return 1;
      }
      load_plan plan;
      plan.graph = name;
      plan.inputs = {input};
      plan.timeout_ms = 60'000;
      // One request first: connections between the daemons are set up outside the timing.
      plan.requests = 1;
      plan.concurrency = 1;
      run_load(sys, client->node(), plan);
      double total = 0;
      for (std::size_t t = 0; t < trials; ++t) {
        plan.requests = n;
        plan.concurrency = n;
        auto report = run_load(sys, client->node(), plan);
        if (report.failures() > 0) {
          std::cerr << name << ": " << report.failures() << " failed requests\n";
          return 1;
        }
        total += static_cast<double>(report.wall_ns) / 1e9;
      }
      cells.push_back({n, replicas, total / static_cast<double>(trials)});
      client->ask<graph_summary>(30s, remove_atom::value, name);
    }
  }
  double one = cells.front().seconds;
  std::ostringstream md;
  md << bench::report_header("bench/cluster: the experiment of seed 003 (table 5.1)", argc, argv);
  md << fmt::format("Setup: three hogard daemons on this machine; a model that sleeps {} ms "
                    "(simulated, holds no thread) with R replicas spread over the daemons; n "
                    "concurrent requests; total time until all n are answered, mean of {} "
                    "trials.\n\n",
                    cost_ms, trials);
  md << "| n | replicas | total time | ratio to one request alone |\n| ---: | ---: | ---: | ---: |\n";
  for (auto& c : cells)
    md << fmt::format("| {} | {} | {:.3f} s | {:.2f}x |\n", c.n, c.replicas, c.seconds,
                      c.seconds / one);
  md << "\nTarget: with n replicas for n concurrent requests, at most 1.2x the time of one "
        "request.\n";
  std::cout << md.str();
  std::ofstream out{output};
  out << md.str();
  return out ? 0 : 1;
}
