// bench/pipeline: the in-process overhead of hogar's dataflow, against raw CAF in the same run.
//
// Measures, at concurrency 1, 8 and 64 (closed loop):
//   - the floor: a client actor and an echo actor doing CAF request/response ping-pong;
//   - a chain of 1 and of 5 identity operators (the difference is the cost of 4 hops);
//   - the image-analysis example graph with every simulated cost set to zero.
// Prints a markdown table and writes it to bench/results/pipeline.md (or --output).
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include <boost/program_options.hpp>
#include <caf/all.hpp>
#include <fmt/format.h>

#include "actors/deployment.hpp"
#include "bench/report_header.hpp"
#include "actors/load_driver.hpp"
#include "actors/system_config.hpp"
#include "graph/loader.hpp"
#include "graph/topology.hpp"
#include "kernels/random_tensor.hpp"
#include "scheduling/latency_summary.hpp"

namespace po = boost::program_options;
using namespace hogar;

namespace {

using clock_type = std::chrono::steady_clock;
using ping_atom = caf::atom_constant<caf::atom("ping")>;

struct measurement {
  std::string name;
  std::size_t concurrency = 0;
  std::size_t requests = 0;
  std::size_t failures = 0;
  double requests_per_second = 0;
  scheduling::latency_summary latency;
};

/// Raw CAF: `concurrency` request/response round trips in flight between two actors.
measurement ping_pong(caf::actor_system& sys, std::size_t concurrency, std::size_t requests) {
  auto echo = sys.spawn([]() -> caf::behavior {
    return {[](ping_atom, std::uint64_t x) { return x; }};
  });
  struct shared {
    std::vector<std::int64_t> latencies;
    std::size_t sent = 0;
    clock_type::time_point start;
    std::int64_t wall_ns = 0;
  };
  auto s = std::make_shared<shared>();
  s->latencies.reserve(requests);
  caf::scoped_actor waiter{sys};
  auto waiter_handle = caf::actor_cast<caf::actor>(waiter);
  using done_atom = caf::atom_constant<caf::atom("done")>;
  sys.spawn([=](caf::event_based_actor* self) {
    auto next = std::make_shared<std::function<void()>>();
    *next = [=]() {
      auto at = clock_type::now();
      ++s->sent;
      self->request(echo, caf::infinite, ping_atom::value, std::uint64_t{1})
        .then([=](std::uint64_t) {
          s->latencies.push_back((clock_type::now() - at).count());
          if (s->sent < requests) {
            (*next)();
          } else if (s->latencies.size() == requests) {
            s->wall_ns = (clock_type::now() - s->start).count();
            self->send(waiter_handle, done_atom::value);
            *next = nullptr; // breaks the self-reference
            self->quit();
          }
        });
    };
    s->start = clock_type::now();
    for (std::size_t i = 0; i < concurrency; ++i)
      (*next)();
  });
  waiter->receive([](done_atom) {});
  caf::anon_send_exit(echo, caf::exit_reason::user_shutdown);
  measurement m;
  m.name = "raw CAF ping-pong (floor)";
  m.concurrency = concurrency;
  m.requests = requests;
  m.requests_per_second = static_cast<double>(requests) * 1e9 / static_cast<double>(s->wall_ns);
  m.latency = scheduling::summarize_latencies(s->latencies);
  return m;
}

std::shared_ptr<const graph::topology> compile_text(const std::string& yaml) {
  auto loaded = graph::load_graph_text(yaml, "bench");
  if (!loaded.ok())
    throw std::runtime_error(graph::to_string(loaded.errors));
  return std::make_shared<const graph::topology>(graph::build_topology(loaded.spec));
}

std::string identity_chain(int length) {
  std::string yaml = "graph: chain\ninputs: [{name: x, dtype: float32, shape: [1]}]\n"
                     "operators:\n";
  for (int i = 0; i < length; ++i)
    yaml += fmt::format("  - {{name: op{}, kind: identity, inputs: [{}]}}\n", i,
                        i == 0 ? std::string{"x"} : fmt::format("op{}", i - 1));
  yaml += fmt::format("outputs: [{{name: y, from: op{}}}]\n", length - 1);
  return yaml;
}

/// The example graph with every simulated cost set to zero: pure runtime overhead.
std::shared_ptr<const graph::topology> zero_cost(const std::string& path) {
  auto loaded = graph::load_graph_file(path);
  if (!loaded.ok())
    throw std::runtime_error(graph::to_string(loaded.errors));
  for (auto& op : loaded.spec->operators)
    for (auto& p : op.params)
      if (p.name == "cost_ms" || p.name == "cost_per_item_ms")
        p.value = 0.0;
  return std::make_shared<const graph::topology>(graph::build_topology(loaded.spec));
}

measurement run_graph(caf::actor_system& sys, const std::string& name,
                      std::shared_ptr<const graph::topology> topo, std::size_t concurrency,
                      std::size_t requests) {
  auto dep = deployment::start(sys, topo);
  if (!dep)
    throw std::runtime_error(dep.error().message);
  load_plan plan;
  auto& g = *topo->spec;
  for (std::uint64_t i = 0; i < 64; ++i) {
    record r;
    for (auto& in : g.inputs)
      r.push_back({in.name, random_tensor(in.type, in.shape, i + 1)});
    plan.inputs.push_back(std::move(r));
  }
  plan.concurrency = concurrency;
  // Warm up: first messages pay for allocation and thread wake-ups.
  plan.requests = std::min<std::size_t>(requests / 10 + concurrency, 5000);
  run_load(sys, (*dep)->ingress(), plan);
  plan.requests = requests;
  auto report = run_load(sys, (*dep)->ingress(), plan);
  (*dep)->stop();
  measurement m;
  m.name = name;
  m.concurrency = concurrency;
  m.requests = requests;
  m.failures = report.failures();
  m.requests_per_second = report.requests_per_second();
  auto lat = report.latencies_ns();
  m.latency = scheduling::summarize_latencies(lat);
  return m;
}

} // namespace

int main(int argc, char** argv) {
  std::string output = "bench/results/pipeline.md";
  std::string graph_path = "config/graphs/image-analysis-simulated.yaml";
  double scale = 1.0;
  po::options_description desc{"pipeline_bench [options]"};
  desc.add_options()("help,h", "show this help")
    ("output", po::value(&output)->default_value(output), "where the markdown table goes")
    ("graph", po::value(&graph_path)->default_value(graph_path), "the image-analysis graph")
    ("scale", po::value(&scale)->default_value(scale),
     "multiplies the request counts (0.1 for a quick look)");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  system_config cfg;
  cfg.set("logger.verbosity", caf::atom("quiet"));
  cfg.set("logger.console", caf::atom("none"));
  caf::actor_system sys{cfg};

  auto count = [&](std::size_t c) {
    auto base = c == 1 ? 20'000 : c == 8 ? 60'000 : 150'000;
    return std::max<std::size_t>(static_cast<std::size_t>(base * scale), c * 4);
  };
  auto chain1 = compile_text(identity_chain(1));
  auto chain5 = compile_text(identity_chain(5));
  auto image = zero_cost(graph_path);
  std::vector<measurement> rows;
  for (std::size_t c : {1, 8, 64}) {
    rows.push_back(ping_pong(sys, c, count(c)));
    rows.push_back(run_graph(sys, "chain of 1 identity operator", chain1, c, count(c)));
    rows.push_back(run_graph(sys, "chain of 5 identity operators", chain5, c, count(c)));
    rows.push_back(run_graph(sys, "image-analysis, zero cost", image, c, count(c)));
  }

  std::ostringstream md;
  md << bench::report_header("bench/pipeline", argc, argv);
  md << "| case | concurrency | requests | failed | requests/s | p50 | p99 |\n";
  md << "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (auto& r : rows)
    md << fmt::format("| {} | {} | {} | {} | {:.0f} | {} | {} |\n", r.name, r.concurrency,
                      r.requests, r.failures, r.requests_per_second,
                      scheduling::format_duration_us(r.latency.p50_us),
                      scheduling::format_duration_us(r.latency.p99_us));
  md << "\nPer-operator hop (p50 of the 5-chain minus p50 of the 1-chain, over 4 hops), "
        "against the floor's p50 round trip in the same run:\n\n";
  md << "| concurrency | hop p50 | floor p50 (round trip) | hop / floor |\n";
  md << "| ---: | ---: | ---: | ---: |\n";
  for (std::size_t i = 0; i + 3 < rows.size(); i += 4) {
    auto floor = rows[i].latency.p50_us;
    auto hop = (rows[i + 2].latency.p50_us - rows[i + 1].latency.p50_us) / 4;
    md << fmt::format("| {} | {} | {} | {:.2f}x |\n", rows[i].concurrency,
                      scheduling::format_duration_us(hop),
                      scheduling::format_duration_us(floor), hop / floor);
  }
  auto chain64 = rows[10].requests_per_second;
  md << fmt::format("\n5-operator chain at concurrency 64: {:.0f} requests/s (target: at least "
                    "100000 on the 2-core machine).\n",
                    chain64);
  std::cout << md.str();
  std::ofstream out{output};
  out << md.str();
  if (!out) {
    fmt::print(stderr, "cannot write {}\n", output);
    return 1;
  }
  return 0;
}
