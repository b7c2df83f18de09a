// The cluster commands of the CLI: submit, list, status, remove, nodes, infer (load is in
// load_command.cpp). Each connects to one daemon (--cluster HOST:PORT), asks its node actor,
// and prints the answer as a table or, with --json, as JSON.
#include <fstream>
#include <ctime>
#include <iostream>
#include <sstream>

#include <boost/program_options.hpp>
#include <caf/actor_system.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "actors/cluster_client.hpp"
#include "actors/cluster_messages.hpp"
#include "actors/clock.hpp"
#include "actors/metrics.hpp"
#include "actors/system_config.hpp"
#include "config/cluster_options.hpp"
#include "config/node_options.hpp"
#include "kernels/random_tensor.hpp"
#include "kernels/tensor_json.hpp"
#include "scheduling/latency_histogram.hpp"
#include "scheduling/latency_summary.hpp"
#include "tools/hogar/cluster_cli.hpp"

namespace po = boost::program_options;

namespace hogar::cli {

std::optional<command_line> parse(const args& argv, const std::string& usage,
                                  const std::string& positional_name,
                                  po::options_description extra, int& status,
                                  const std::string& rest_name) {
  command_line cl;
  po::options_description visible{usage};
  visible.add(describe(cl.cluster)).add(extra);
  visible.add_options()("help,h", "show this help");
  po::options_description all;
  all.add(visible);
  po::positional_options_description pos;
  if (!positional_name.empty()) {
    all.add_options()(positional_name.c_str(), po::value(&cl.positional));
    pos.add(positional_name.c_str(), 1);
    if (!rest_name.empty()) {
      all.add_options()(rest_name.c_str(), po::value(&cl.rest));
      pos.add(rest_name.c_str(), -1);
    }
  }
  try {
    po::store(po::command_line_parser(argv).options(all).positional(pos).run(), cl.vm);
    po::notify(cl.vm);
  } catch (const po::error& e) {
    fmt::print(stderr, "{}\n{}", e.what(), [&] {
      std::ostringstream s;
      s << visible;
      return s.str();
    }());
    status = 2;
    return std::nullopt;
  }
  if (cl.vm.count("help")) {
    std::cout << visible;
    status = 0;
    return std::nullopt;
  }
  if (!positional_name.empty() && cl.positional.empty()) {
    fmt::print(stderr, "{}: missing {}\n", usage, positional_name);
    status = 2;
    return std::nullopt;
  }
  return cl;
}

result<bool> session::open(const config::cluster_options& options) {
  auto where = config::parse_endpoint(options.cluster);
  if (!where)
    return fail(errc::invalid_argument, fmt::format("--cluster: {}", where.error().message));
  cfg.enable_networking(false);
  cfg.set("scheduler.max-threads", std::size_t{2});
  tls_files tls{options.tls.certificate, options.tls.key, options.tls.ca};
  if (tls.requested()) {
    if (auto checked = check_tls_files(tls); !checked)
      return checked.error();
    cfg.enable_tls(tls.certificate, tls.key, tls.ca);
  }
  sys = std::make_unique<caf::actor_system>(cfg);
  port.emplace(*sys, actor_port_limits{});
  auto c = cluster_client::connect(*sys, where->host, where->port);
  if (!c)
    return c.error();
  client.emplace(std::move(*c));
  return true;
}

int report(const error_info& err) {
  fmt::print(stderr, "error: {}\n", err.message);
  return 1;
}

namespace {

using ms = std::chrono::milliseconds;

std::string read_text(const std::string& path, std::string& error) {
  std::ifstream in{path};
  if (!in) {
    error = fmt::format("{}: cannot open the file", path);
    return {};
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

void print_placement(const graph_summary& s) {
  fmt::print("{:<20} {:>7}  {}\n", "operator", "replica", "node");
  for (auto& p : s.placement)
    fmt::print("{:<20} {:>7}  {}\n", p.op, p.replica, p.node);
}

nlohmann::json summary_json(const graph_summary& s) {
  nlohmann::json placement = nlohmann::json::array();
  for (auto& p : s.placement)
    placement.push_back({{"operator", p.op}, {"replica", p.replica}, {"node", p.node}});
  return {{"name", s.name},
          {"file", s.file},
          {"operators", s.operators},
          {"replicas", s.replicas},
          {"placement", placement}};
}

int submit(const args& argv) {
  int status = 0;
  auto cl = parse(argv, "hogar submit GRAPH [options]", "graph", {}, status);
  if (!cl)
    return status;
  std::string error;
  auto yaml = read_text(cl->positional, error);
  if (!error.empty())
    return report({errc::io_error, error});
  session s;
  if (auto ok = s.open(cl->cluster); !ok)
    return report(ok.error());
  auto answer = s.client->ask<graph_summary>(ms(cl->cluster.timeout_ms), submit_atom::value,
                                             yaml, cl->positional);
  if (!answer)
    return report(answer.error());
  if (cl->cluster.json) {
    std::cout << summary_json(*answer).dump(2) << "\n";
  } else {
    fmt::print("graph '{}' deployed: {} operators, {} replicas\n", answer->name,
               answer->operators, answer->replicas);
    print_placement(*answer);
  }
  return 0;
}

int list(const args& argv) {
  int status = 0;
  auto cl = parse(argv, "hogar list [options]", "", {}, status);
  if (!cl)
    return status;
  session s;
  if (auto ok = s.open(cl->cluster); !ok)
    return report(ok.error());
  auto answer = s.client->ask<std::vector<graph_summary>>(ms(cl->cluster.timeout_ms),
                                                          list_atom::value);
  if (!answer)
    return report(answer.error());
  if (cl->cluster.json) {
    nlohmann::json out = nlohmann::json::array();
    for (auto& g : *answer)
      out.push_back(summary_json(g));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (answer->empty()) {
    fmt::print("no graphs deployed\n");
    return 0;
  }
  fmt::print("{:<24} {:>9} {:>9}  {}\n", "graph", "operators", "replicas", "file");
  for (auto& g : *answer)
    fmt::print("{:<24} {:>9} {:>9}  {}\n", g.name, g.operators, g.replicas, g.file);
  return 0;
}

/// A replica's state, and for a stateful operator its role: "running, primary" (its backup
/// holds its state), "running, unprotected" (no backup holds it), "running, backup".
std::string state_with_role(const nlohmann::json& replica) {
  auto state = replica["state"].get<std::string>();
  auto role = replica.value("role", std::string{});
  if (role == "primary")
    return state + (replica.value("backup_in_sync", false) ? ", primary" : ", unprotected");
  if (role == "backup")
    return state + ", backup";
  return state;
}

/// The graph's epoch and its recoveries, newest last: what failed, when it was detected, and
/// how long until the replacement was wired in.
void print_recoveries(const graph_snapshot& g) {
  auto replayed = replayed_messages(g);
  fmt::print("\nepoch {}: {} recover{} so far, {} message{} sent again to replacements\n",
             g.epoch, g.recovery.total, g.recovery.total == 1 ? "y" : "ies", replayed,
             replayed == 1 ? "" : "s");
  for (auto& r : g.recovery.latest) {
    auto replaced = r.replaced_unix_ms == 0
                      ? std::string{"not replaced yet"}
                      : fmt::format("replaced on {} after {} ms (epoch {}){}", r.new_node,
                                    r.replaced_unix_ms - r.detected_unix_ms, r.epoch,
                                    r.first_answer_unix_ms == 0
                                      ? std::string{}
                                      : fmt::format(", first answer after {} ms",
                                                    r.first_answer_unix_ms - r.detected_unix_ms));
    fmt::print("  {}  {} {} {} on {}: {}; {}\n", utc_clock(r.detected_unix_ms), r.op,
               r.backup ? "backup of replica" : "replica", r.replica, r.failed_node, r.reason,
               replaced);
  }
}

int status_command(const args& argv) {
  int status = 0;
  auto cl = parse(argv, "hogar status GRAPH [options]", "graph", {}, status);
  if (!cl)
    return status;
  session s;
  if (auto ok = s.open(cl->cluster); !ok)
    return report(ok.error());
  auto answer = s.client->ask<graph_snapshot>(ms(cl->cluster.timeout_ms), status_atom::value,
                                              cl->positional);
  if (!answer)
    return report(answer.error());
  auto doc = to_json(*answer);
  if (cl->cluster.json) {
    std::cout << doc.dump(2) << "\n";
    return 0;
  }
  auto& in = answer->ingress;
  fmt::print("graph '{}' ({}): {} operators, {} replicas\n", answer->summary.name,
             answer->summary.file, answer->summary.operators, answer->summary.replicas);
  fmt::print("ingress here: {} accepted, {} completed, {} failed, {} timed out, {} rejected, "
             "{} in flight\n\n",
             in.accepted, in.completed, in.failed, in.timed_out, in.rejected, in.in_flight);
  fmt::print("{:<18} {:>3} {:<10} {:<21} {:>8} {:>6} {:>6} {:>10} {:>10} {:>8} {:>6}  {}\n",
             "operator", "rep", "node", "state", "calls", "failed", "queue", "p50", "p99",
             "req/s", "batch", "model");
  for (auto& r : doc["replicas"]) {
    auto mean = r.value("batch_size_mean", 0.0);
    auto versions = r.value("versions", std::string{});
    fmt::print("{:<18} {:>3} {:<10} {:<21} {:>8} {:>6} {:>6} {:>10} {:>10} {:>8.1f} {:>6}  {}\n",
               r["operator"].get<std::string>(), r["replica"].get<int>(),
               r["node"].get<std::string>(), state_with_role(r),
               r["calls"].get<std::uint64_t>(), r["failed"].get<std::uint64_t>(),
               r["queue_depth"].get<std::uint64_t>(),
               scheduling::format_duration_us(r["latency_p50_us"].get<double>()),
               scheduling::format_duration_us(r["latency_p99_us"].get<double>()),
               r["throughput_rps"].get<double>(),
               mean > 0 ? fmt::format("{:.1f}", mean) : std::string{"-"},
               versions.empty() ? std::string{}
                                : fmt::format("{} on {}", versions, r.value("device", std::string{})));
    if (r.contains("tuning"))
      if (auto line = tuning_line(r["tuning"]); !line.empty())
        fmt::print("    {}\n", line);
    if (r.contains("members")) {
      std::vector<std::string> parts;
      for (auto& m : r["members"])
        parts.push_back(fmt::format("{} {:.1f}% ({} of {} labels)", m["member"].get<std::string>(),
                                    100 * m["accuracy"].get<double>(),
                                    m["correct"].get<std::uint64_t>(),
                                    m["labelled"].get<std::uint64_t>()));
      fmt::print("    members' accuracy from feedback: {}\n", fmt::join(parts, ", "));
    }
  }
  print_recoveries(*answer);
  if (!in.outcomes.empty()) {
    fmt::print("\nfeedback on the answers given here:\n");
    for (auto& o : doc["feedback"]) {
      auto who = o["operator"].get<std::string>().empty()
                   ? std::string{"the graph"}
                   : fmt::format("{} ({}:{})", o["operator"].get<std::string>(),
                                 o["model"].get<std::string>(), o["version"].get<std::int64_t>());
      std::string measures;
      if (o.contains("accuracy"))
        measures += fmt::format(", accuracy {:.1f}% of {}", 100 * o["accuracy"].get<double>(),
                                o["labelled"].get<std::uint64_t>());
      if (o.contains("mean_absolute_error"))
        measures += fmt::format(", mean absolute error {:.4g} over {}",
                                o["mean_absolute_error"].get<double>(),
                                o["scored"].get<std::uint64_t>());
      fmt::print("  {:<28} {} answers{}, mean latency {:.2f} ms\n", who,
                 o["answers"].get<std::uint64_t>(), measures, o["latency_ms_mean"].get<double>());
    }
  }
  return 0;
}

int remove(const args& argv) {
  int status = 0;
  auto cl = parse(argv, "hogar remove GRAPH [options]", "graph", {}, status);
  if (!cl)
    return status;
  session s;
  if (auto ok = s.open(cl->cluster); !ok)
    return report(ok.error());
  auto answer = s.client->ask<graph_summary>(ms(cl->cluster.timeout_ms), remove_atom::value,
                                             cl->positional);
  if (!answer)
    return report(answer.error());
  if (cl->cluster.json)
    std::cout << summary_json(*answer).dump(2) << "\n";
  else
    fmt::print("graph '{}' removed ({} replicas stopped)\n", answer->name, answer->replicas);
  return 0;
}

int nodes(const args& argv) {
  int status = 0;
  auto cl = parse(argv, "hogar nodes [options]", "", {}, status);
  if (!cl)
    return status;
  session s;
  if (auto ok = s.open(cl->cluster); !ok)
    return report(ok.error());
  auto answer = s.client->ask<std::vector<member>>(ms(cl->cluster.timeout_ms),
                                                   nodes_atom::value);
  if (!answer)
    return report(answer.error());
  if (cl->cluster.json) {
    nlohmann::json out = nlohmann::json::array();
    for (auto& m : *answer)
      out.push_back(to_json(m));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  fmt::print("{:<12} {:<8} {:<22} {:<22} {:>4} {:>4}  {}\n", "node", "state", "actor port",
             "http", "cpus", "gpus", "labels");
  for (auto& m : *answer)
    fmt::print("{:<12} {:<8} {:<22} {:<22} {:>4} {:>4}  {}\n", m.info.name, to_string(m.state),
               fmt::format("{}:{}", m.info.host, m.info.actor_port),
               m.info.http_port ? fmt::format("{}:{}", m.info.host, m.info.http_port) : "off",
               m.info.cpu_threads, m.info.gpus, fmt::join(m.info.labels, ","));
  return 0;
}

int infer(const args& argv) {
  int status = 0;
  std::string input, id;
  std::uint64_t seed = 1;
  po::options_description extra{"infer options"};
  extra.add_options()
    ("input", po::value(&input),
     "KServe v2 request JSON, or @FILE; default: random inputs from the graph's declaration")
    ("id", po::value(&id), "the request's id, by which feedback names its answer; default: "
                           "the number hogar gives it")
    ("seed", po::value(&seed)->default_value(seed), "seed of the generated inputs");
  auto cl = parse(argv, "hogar infer GRAPH [options]", "graph", extra, status);
  if (!cl)
    return status;
  session s;
  if (auto ok = s.open(cl->cluster); !ok)
    return report(ok.error());
  record inputs;
  if (!input.empty()) {
    auto parsed = parse_input_flag(input);
    if (!parsed)
      return report(parsed.error());
    inputs = std::move(*parsed);
  } else {
    auto generated = random_inputs(*s.client, cl->positional, cl->cluster.timeout_ms, seed, 1);
    if (!generated)
      return report(generated.error());
    inputs = std::move(generated->front());
  }
  auto started = std::chrono::steady_clock::now();
  auto answer = s.client->ask<infer_reply>(ms(cl->cluster.timeout_ms + 5000), infer_atom::value,
                                           cl->positional,
                                           infer_request{std::move(inputs), cl->cluster.timeout_ms, id});
  auto elapsed_us = std::chrono::duration<double, std::micro>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  if (!answer)
    return report(answer.error());
  if (cl->cluster.json) {
    nlohmann::json doc{{"model_name", cl->positional},
                       {"id", id.empty() ? std::to_string(answer->id) : id},
                       {"outputs", kserve_outputs_json(answer->outputs)}};
    add_trace_json(doc, answer->served);
    std::cout << doc.dump(2) << "\n";
    return 0;
  }
  fmt::print("request {} on '{}': {}\n", id.empty() ? std::to_string(answer->id) : id,
             cl->positional, scheduling::format_duration_us(elapsed_us));
  for (auto& out : answer->outputs)
    fmt::print("  {:<16} {}\n", out.name, summarize(out.value));
  print_trace(answer->served);
  return 0;
}

/// `hogar feedback GRAPH --id ID (--label N [--output NAME] | --expected JSON|@FILE)`.
int feedback_command(const args& argv) {
  int status = 0;
  std::string id, output, expected;
  std::int64_t true_label = -1;
  po::options_description extra{"feedback options"};
  extra.add_options()
    ("id", po::value(&id), "the answer's id (its \"id\": the request's, or the one hogar gave)")
    ("label", po::value(&true_label), "the true class")
    ("output", po::value(&output), "with --label: the answer's tensor holding the prediction")
    ("expected", po::value(&expected),
     "the expected tensors, KServe v2 JSON {\"inputs\": [...]} or @FILE");
  auto cl = parse(argv, "hogar feedback GRAPH --id ID (--label N | --expected JSON) [options]",
                  "graph", extra, status);
  if (!cl)
    return status;
  if (id.empty())
    return report(error_info{errc::invalid_argument, "feedback: --id names the answer"});
  if ((true_label >= 0) == !expected.empty())
    return report(error_info{errc::invalid_argument,
                             "feedback: give either --label (a class, 0 or more) or --expected"});
  feedback f;
  f.id = id;
  f.has_label = true_label >= 0;
  f.label = true_label;
  f.output = output;
  if (!expected.empty()) {
    auto parsed = parse_input_flag(expected);
    if (!parsed)
      return report(parsed.error());
    f.expected = std::move(*parsed);
  }
  session s;
  if (auto ok = s.open(cl->cluster); !ok)
    return report(ok.error());
  auto receipt = s.client->ask<feedback_receipt>(ms(cl->cluster.timeout_ms), feedback_atom::value,
                                                 cl->positional, std::move(f));
  if (!receipt)
    return report(receipt.error());
  std::vector<std::string> versions;
  for (auto& v : receipt->served)
    versions.push_back(label(v));
  if (cl->cluster.json) {
    nlohmann::json doc{{"id", receipt->id}, {"served_by", versions}};
    if (receipt->has_label) {
      doc["predicted"] = receipt->predicted;
      doc["correct"] = receipt->correct;
    } else {
      doc["mean_absolute_error"] = receipt->error;
    }
    std::cout << doc.dump(2) << "\n";
    return 0;
  }
  auto outcome = receipt->has_label
                   ? fmt::format("predicted {}, {}", receipt->predicted,
                                 receipt->correct ? "right" : "wrong")
                   : fmt::format("mean absolute error {:.6g}", receipt->error);
  fmt::print("request {} on '{}': {}{}\n", receipt->id, cl->positional, outcome,
             versions.empty() ? std::string{}
                              : fmt::format(" (counted for {})", fmt::join(versions, ", ")));
  return 0;
}

} // namespace

result<record> parse_input_flag(const std::string& input) {
  std::string origin = "--input";
  std::string text = input;
  if (!text.empty() && text.front() == '@') {
    origin = text.substr(1);
    std::string error;
    text = read_text(origin, error);
    if (!error.empty())
      return fail(errc::io_error, error);
  }
  auto parsed = record_from_kserve_request(std::string_view{text});
  if (!parsed)
    return fail(errc::invalid_argument, fmt::format("{}: {}", origin, parsed.error().message));
  return std::move(*parsed);
}

result<std::vector<record>> random_inputs(cluster_client& client, const std::string& graph,
                                          std::int64_t timeout_ms, std::uint64_t seed,
                                          std::size_t count) {
  auto snapshot = client.ask<graph_snapshot>(ms(timeout_ms), status_atom::value, graph);
  if (!snapshot)
    return snapshot.error();
  std::vector<dtype> types;
  for (auto& in : snapshot->inputs) {
    auto type = dtype_from_string(in.datatype);
    if (!type)
      return fail(errc::internal, fmt::format("graph '{}', input '{}': unknown datatype {}",
                                              graph, in.name, in.datatype));
    types.push_back(*type);
  }
  std::vector<record> pool;
  for (std::uint64_t i = 0; i < count; ++i) {
    record r;
    for (std::uint64_t k = 0; k < types.size(); ++k) {
      auto& in = snapshot->inputs[k];
      r.push_back({in.name, random_tensor(types[k], in.shape, seed * 7919 + i * 31 + k)});
    }
    pool.push_back(std::move(r));
  }
  return pool;
}

int cluster_command(const std::string& name, const args& argv) {
  if (name == "submit")
    return submit(argv);
  if (name == "list")
    return list(argv);
  if (name == "status")
    return status_command(argv);
  if (name == "remove")
    return remove(argv);
  if (name == "nodes")
    return nodes(argv);
  if (name == "infer")
    return infer(argv);
  if (name == "feedback")
    return feedback_command(argv);
  if (name == "load")
    return load_command(argv);
  if (name == "tune")
    return tune_command(argv);
  return -1;
}

} // namespace hogar::cli
