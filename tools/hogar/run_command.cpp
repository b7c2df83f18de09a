// `hogar run GRAPH`: serves a graph inside this process (an embedded actor system, no daemon),
// sends it requests, and prints the results and a latency summary.
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <boost/program_options.hpp>
#include <caf/actor_system.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "actors/deployment.hpp"
#include "actors/load_driver.hpp"
#include "actors/system_config.hpp"
#include "config/run_options.hpp"
#include "graph/loader.hpp"
#include "graph/topology.hpp"
#include "kernels/random_tensor.hpp"
#include "kernels/tensor_json.hpp"
#include "scheduling/latency_summary.hpp"
#include "tools/hogar/commands.hpp"

namespace po = boost::program_options;

namespace hogar::cli {

namespace {

/// The request inputs: parsed from --input, or generated from the declared inputs.
result<std::vector<record>> make_inputs(const config::run_options& opts,
                                        const graph::graph_spec& g) {
  if (!opts.input.empty()) {
    std::string text = opts.input;
    std::string origin = "--input";
    if (text.front() == '@') {
      origin = text.substr(1);
      std::ifstream in{origin};
      if (!in)
        return fail(errc::io_error, fmt::format("{}: cannot open the input file", origin));
      std::stringstream buf;
      buf << in.rdbuf();
      text = buf.str();
    }
    auto inputs = record_from_kserve_request(std::string_view{text});
    if (!inputs)
      return fail(errc::invalid_argument,
                  fmt::format("{}: {}", origin, inputs.error().message));
    return std::vector<record>{std::move(*inputs)};
  }
  // A pool of distinct random inputs, so that conditions take both branches.
  std::vector<record> pool;
  auto pool_size = std::min<std::size_t>(opts.requests, 64);
  for (std::size_t i = 0; i < pool_size; ++i) {
    record r;
    for (std::size_t k = 0; k < g.inputs.size(); ++k)
      r.push_back({g.inputs[k].name,
                   random_tensor(g.inputs[k].type, g.inputs[k].shape, opts.seed * 7919 + i * 31 + k)});
    pool.push_back(std::move(r));
  }
  return pool;
}

void print_human(const config::run_options& opts, const graph::graph_spec& g,
                 load_report& report, const std::vector<operator_stats>& stats) {
  fmt::print("graph '{}' ({}): {} operator{}, served in-process\n\n", g.name, g.file,
             g.operators.size(), g.operators.size() == 1 ? "" : "s");
  std::vector<const request_outcome*> ordered(report.outcomes.size());
  for (auto& o : report.outcomes)
    ordered[o.index] = &o;
  std::size_t shown = 0;
  for (auto* o : ordered) {
    if (shown >= opts.show)
      break;
    ++shown;
    if (!o->ok) {
      fmt::print("request {}: error: {}\n", o->index + 1, o->error);
      continue;
    }
    fmt::print("request {}: {}\n", o->index + 1,
               scheduling::format_duration_us(static_cast<double>(o->latency_ns) / 1000));
    if (o->reply) {
      for (auto& out : o->reply->outputs)
        fmt::print("  {:<16} {}\n", out.name, summarize(out.value));
      print_trace(o->reply->served);
    }
  }
  std::size_t errors_printed = 0;
  for (auto* o : ordered)
    if (!o->ok && o->index >= opts.show && errors_printed++ < 5)
      fmt::print("request {}: error: {}\n", o->index + 1, o->error);
  auto latencies = report.latencies_ns();
  auto summary = scheduling::summarize_latencies(latencies);
  fmt::print("\n{} requests, concurrency {}: {} ok, {} failed, {:.0f} requests/s\n",
             report.outcomes.size(), opts.concurrency, summary.count, report.failures(),
             report.requests_per_second());
  if (summary.count > 0)
    fmt::print("latency: {}\n", to_string(summary));
  fmt::print("\n{:<20} {:>8} {:>9} {:>9} {:>9} {:>11}  {}\n", "operator", "replica", "calls",
             "skipped", "failed", "mean batch", "model");
  for (auto& s : stats) {
    auto batch = s.batches > 0 ? fmt::format("{:.1f}", static_cast<double>(s.batched_requests) /
                                                          static_cast<double>(s.batches))
                               : std::string{"-"};
    auto model = s.versions.empty() ? std::string{} : fmt::format("{} on {}", s.versions, s.device);
    fmt::print("{:<20} {:>8} {:>9} {:>9} {:>9} {:>11}  {}\n", s.op, s.replica, s.calls,
               s.skipped, s.failed, batch, model);
  }
}

void print_json(const config::run_options& opts, const graph::graph_spec& g, load_report& report,
                const std::vector<operator_stats>& stats) {
  nlohmann::json doc;
  doc["graph"] = g.name;
  doc["file"] = g.file;
  doc["requests"] = report.outcomes.size();
  doc["concurrency"] = opts.concurrency;
  doc["failed"] = report.failures();
  doc["requests_per_second"] = report.requests_per_second();
  auto latencies = report.latencies_ns();
  auto s = scheduling::summarize_latencies(latencies);
  doc["latency_us"] = {{"min", s.min_us}, {"mean", s.mean_us}, {"p50", s.p50_us},
                       {"p90", s.p90_us}, {"p99", s.p99_us},   {"max", s.max_us}};
  auto results = nlohmann::json::array();
  auto errors = nlohmann::json::array();
  for (auto& o : report.outcomes) {
    if (!o.ok)
      errors.push_back({{"request", o.index + 1}, {"error", o.error}});
    else if (o.reply)
    {
      nlohmann::json result{{"request", o.index + 1},
                            {"latency_us", static_cast<double>(o.latency_ns) / 1000},
                            {"outputs", kserve_outputs_json(o.reply->outputs)},
                            {"served_by", nlohmann::json::array()}};
      add_trace_json(result, o.reply->served);
      results.push_back(std::move(result));
    }
  }
  doc["results"] = std::move(results);
  doc["errors"] = std::move(errors);
  auto ops = nlohmann::json::array();
  for (auto& st : stats)
    ops.push_back({{"operator", st.op},
                   {"replica", st.replica},
                   {"calls", st.calls},
                   {"skipped", st.skipped},
                   {"failed", st.failed},
                   {"batches", st.batches},
                   {"batched_requests", st.batched_requests},
                   {"versions", st.versions},
                   {"device", st.device}});
  doc["operators"] = std::move(ops);
  std::cout << doc.dump(2) << "\n";
}

} // namespace

void add_trace_json(nlohmann::json& doc, const std::vector<served_by>& trace) {
  for (auto& by : trace) {
    if (by.branch)
      doc["branches"].push_back(by.op);
    else
      doc["served_by"].push_back({{"operator", by.op}, {"model", by.model}, {"version", by.version}});
  }
}

void print_trace(const std::vector<served_by>& trace) {
  for (auto& by : trace) {
    if (by.branch)
      fmt::print("  branch taken at {}\n", by.op);
    else
      fmt::print("  served by {} {}\n", by.op, label(by));
  }
}

int run_command(const args& argv) {
  config::run_options opts;
  auto desc = config::describe(opts);
  desc.add_options()("help,h", "show this help");
  po::options_description hidden;
  hidden.add_options()("graph", po::value(&opts.graph));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("graph", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    fmt::print(stderr, "hogar run: {}\n", e.what());
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  if (opts.graph.empty()) {
    std::cerr << "hogar run: name a graph file\n" << desc;
    return 2;
  }
  if (opts.requests == 0 || opts.concurrency == 0) {
    fmt::print(stderr, "hogar run: --requests and --concurrency must be at least 1\n");
    return 2;
  }
  auto loaded = graph::load_graph_file(opts.graph);
  if (!loaded.ok()) {
    std::cerr << graph::to_string(loaded.errors);
    return 1;
  }
  auto topo = std::make_shared<const graph::topology>(graph::build_topology(loaded.spec));
  auto inputs = make_inputs(opts, *loaded.spec);
  if (!inputs) {
    fmt::print(stderr, "hogar run: {}\n", inputs.error().message);
    return 1;
  }
  system_config cfg;
  cfg.set("logger.verbosity", caf::atom("quiet"));
  cfg.set("logger.console", caf::atom("none"));
  if (opts.threads > 0)
    cfg.set("scheduler.max-threads", opts.threads);
  caf::actor_system sys{cfg};
  auto dep = deployment::start(sys, topo, ingress_options{opts.timeout_ms},
                               operation_context{opts.model_repository});
  if (!dep) {
    fmt::print(stderr, "hogar run: {}\n", dep.error().message);
    return 1;
  }
  load_plan plan{std::move(*inputs), opts.requests, opts.concurrency, opts.timeout_ms,
                 opts.json ? opts.requests : opts.show};
  auto report = run_load(sys, (*dep)->ingress(), std::move(plan));
  auto stats = (*dep)->collect_operator_stats(sys);
  (*dep)->stop();
  if (opts.json)
    print_json(opts, *loaded.spec, report, stats);
  else
    print_human(opts, *loaded.spec, report, stats);
  return report.failures() == 0 ? 0 : 1;
}

} // namespace hogar::cli
