// `hogar tune set|show`: the live knobs of a graph's model operators (issue 10).
//   hogar tune set GRAPH OP KEY=VALUE...   batch_size, queue_delay_us, instances,
//                                          intra_op_threads, within the tuning block's bounds
//   hogar tune show GRAPH                  per replica: configuration in force, the tuner's
//                                          best estimate, its last window and changes
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "actors/clock.hpp"
#include "actors/cluster_messages.hpp"
#include "actors/metrics.hpp"
#include "actors/model_tuning.hpp"
#include "tools/hogar/cluster_cli.hpp"

namespace hogar::cli {

namespace {

using ms = std::chrono::milliseconds;

int set(const args& argv) {
  int status = 0;
  auto cl = parse(argv, "hogar tune set GRAPH OP KEY=VALUE... [options]", "graph", {}, status,
                  "words");
  if (!cl)
    return status;
  if (cl->rest.size() < 2) {
    fmt::print(stderr, "hogar tune set GRAPH OP KEY=VALUE...: give the operator and at least one "
                       "knob, e.g. `hogar tune set {} classifier batch_size=16`\n",
               cl->positional);
    return 2;
  }
  auto op = cl->rest.front();
  auto knobs = parse_knob_words({cl->rest.begin() + 1, cl->rest.end()});
  if (!knobs)
    return report(knobs.error());
  session s;
  if (auto ok = s.open(cl->cluster); !ok)
    return report(ok.error());
  auto answer = s.client->ask<std::string>(ms(cl->cluster.timeout_ms), tune_atom::value,
                                           cl->positional, op,
                                           knob_request{*knobs, "hogar tune set"});
  if (!answer)
    return report(answer.error());
  if (cl->cluster.json)
    std::cout << nlohmann::json{{"graph", cl->positional}, {"operator", op}, {"result", *answer}}
                   .dump(2)
              << "\n";
  else
    fmt::print("{}\n", *answer);
  return 0;
}

int show(const args& argv) {
  int status = 0;
  auto cl = parse(argv, "hogar tune show GRAPH [options]", "graph", {}, status);
  if (!cl)
    return status;
  session s;
  if (auto ok = s.open(cl->cluster); !ok)
    return report(ok.error());
  auto answer = s.client->ask<graph_snapshot>(ms(cl->cluster.timeout_ms), status_atom::value,
                                              cl->positional);
  if (!answer)
    return report(answer.error());
  auto out = nlohmann::json::array();
  for (auto& r : answer->replicas)
    if (!r.stats.tuning.config.empty()) {
      auto j = to_json(r.stats.tuning);
      j["operator"] = r.op;
      j["replica"] = r.replica;
      j["node"] = r.node;
      out.push_back(std::move(j));
    }
  if (cl->cluster.json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (out.empty()) {
    fmt::print("graph '{}' has no model operator\n", cl->positional);
    return 0;
  }
  for (auto& r : answer->replicas) {
    auto& t = r.stats.tuning;
    if (t.config.empty())
      continue;
    fmt::print("{} replica {} on {}: {}\n", r.op, r.replica, r.node,
               t.policy.empty() ? std::string{"not tuned (no tuning block)"}
                                : fmt::format("policy {}", t.policy));
    fmt::print("  in force   {}\n", to_string(t.config));
    if (!t.policy.empty())
      fmt::print("  best now   {}   ({} configurations tried, {} windows, tuner {:.1f} ms CPU = "
                 "{:.2f}% of the operator's, {} restarts)\n",
                 to_string(t.best), t.tried, t.windows, static_cast<double>(t.tuner_cpu_ns) / 1e6,
                 t.operator_cpu_ns > 0 ? 100.0 * static_cast<double>(t.tuner_cpu_ns) /
                                           static_cast<double>(t.operator_cpu_ns)
                                       : 0.0,
                 t.tuner_restarts);
    auto& w = t.last_window;
    if (w.requests > 0)
      fmt::print("  last window {} requests in {:.2f} s: {:.1f} req/s, mean {:.2f} ms, p99 {:.2f} "
                 "ms, {:.1f}% over the SLO, batch {:.1f}, {:.2f} cores\n",
                 w.requests, w.seconds, w.arrival_rate, w.mean_latency_ms, w.p99_latency_ms,
                 100 * w.slo_violation_fraction, w.mean_batch_size, w.cpu_cores);
    for (auto& c : t.changes)
      fmt::print("  {}  {}  ({})\n", utc_clock(c.unix_ms), to_string(c.config), c.reason);
  }
  return 0;
}

} // namespace

int tune_command(const args& argv) {
  if (argv.empty() || (argv[0] != "set" && argv[0] != "show")) {
    fmt::print(stderr, "usage: hogar tune set GRAPH OP KEY=VALUE... | hogar tune show GRAPH\n");
    return 2;
  }
  args rest{argv.begin() + 1, argv.end()};
  return argv[0] == "set" ? set(rest) : show(rest);
}

} // namespace hogar::cli
