// hogar-inspect: attaches to a daemon's node actor and shows the live cluster: nodes and their
// health, graphs, and every operator replica with its node, state, queue depth, in-flight
// requests, batch settings, latency percentiles and throughput. Refreshes in the terminal
// (ncurses; q quits); --json prints one snapshot and exits, for scripts. --tls-* (or
// $HOGAR_TLS_*) attach to a cluster whose actor ports speak mutual TLS.
#include <chrono>
#include <iostream>

#include <boost/program_options.hpp>
#include <caf/actor_system.hpp>
#include <fmt/format.h>
#include <ncurses.h>

#include "actors/actor_port.hpp"
#include "actors/cluster_client.hpp"
#include "actors/cluster_messages.hpp"
#include "actors/metrics.hpp"
#include "actors/system_config.hpp"
#include "config/cluster_options.hpp"
#include "config/node_options.hpp"
#include "scheduling/latency_summary.hpp"

namespace po = boost::program_options;
using namespace hogar;

namespace {

std::vector<std::string> render(const cluster_snapshot& snap) {
  std::vector<std::string> lines;
  auto doc = to_json(snap);
  lines.push_back(fmt::format("hogar-inspect: node {}  ({} members, {} graphs)   q: quit",
                              snap.node, snap.members.size(), snap.graphs.size()));
  lines.emplace_back();
  lines.push_back(fmt::format("{:<14} {:<8} {:<22} {:<22} {:>5} {:>5}", "NODE", "STATE",
                              "ACTOR PORT", "HTTP", "CPUS", "GPUS"));
  for (auto& m : snap.members)
    lines.push_back(fmt::format("{:<14} {:<8} {:<22} {:<22} {:>5} {:>5}", m.info.name,
                                to_string(m.state),
                                fmt::format("{}:{}", m.info.host, m.info.actor_port),
                                fmt::format("{}:{}", m.info.host, m.info.http_port),
                                m.info.cpu_threads, m.info.gpus));
  for (auto& g : doc["graphs"]) {
    lines.emplace_back();
    auto& in = g["ingress"];
    lines.push_back(fmt::format(
      "GRAPH {}  ingress here: {} accepted, {} completed, {} failed, {} timed out, {} in flight",
      g["name"].get<std::string>(), in["accepted"].get<std::uint64_t>(),
      in["completed"].get<std::uint64_t>(), in["failed"].get<std::uint64_t>(),
      in["timed_out"].get<std::uint64_t>(), in["in_flight"].get<std::uint64_t>()));
    lines.push_back(fmt::format("{:<18} {:>3} {:<10} {:<11} {:>6} {:>8} {:>11} {:>6} {:>10} "
                                "{:>10} {:>8} {:>8}  {}",
                                "OPERATOR", "REP", "NODE", "STATE", "QUEUE", "IN FLIGHT",
                                "BATCH", "MEAN", "P50", "P99", "REQ/S", "FAILED", "MODEL"));
    for (auto& r : g["replicas"]) {
      auto versions = r.value("versions", std::string{});
      auto device = r.value("device", std::string{});
      auto mean = r.value("batch_size_mean", 0.0);
      lines.push_back(fmt::format(
        "{:<18} {:>3} {:<10} {:<11} {:>6} {:>8} {:>11} {:>6} {:>10} {:>10} {:>8.1f} {:>8}  {}",
        r["operator"].get<std::string>(), r["replica"].get<int>(), r["node"].get<std::string>(),
        r["state"].get<std::string>(), r["queue_depth"].get<std::uint64_t>(),
        r["in_flight"].get<std::uint64_t>(),
        fmt::format("{}/{}us", r["batch_size_max"].get<std::int64_t>(),
                    r["batch_delay_max_us"].get<std::int64_t>()),
        mean > 0 ? fmt::format("{:.1f}", mean) : std::string{"-"},
        scheduling::format_duration_us(r["latency_p50_us"].get<double>()),
        scheduling::format_duration_us(r["latency_p99_us"].get<double>()),
        r["throughput_rps"].get<double>(), r["failed"].get<std::uint64_t>(),
        versions.empty() ? std::string{} : fmt::format("{} on {}", versions, device)));
      if (r.contains("tuning"))
        if (auto line = tuning_line(r["tuning"]); !line.empty())
          lines.push_back("    " + line);
    }
    lines.push_back(fmt::format("epoch {}: {} recoveries, {} messages sent again",
                                g["epoch"].get<std::uint32_t>(),
                                g["recoveries_total"].get<std::uint64_t>(),
                                g["replayed_messages"].get<std::uint64_t>()));
    // The last few recoveries, newest last.
    auto& recoveries = g["recoveries"];
    for (std::size_t k = recoveries.size() > 3 ? recoveries.size() - 3 : 0; k < recoveries.size();
         ++k) {
      auto& r = recoveries[k];
      auto detected = r["detected_unix_ms"].get<std::int64_t>();
      auto replaced = r["replaced_unix_ms"].get<std::int64_t>();
      lines.push_back(fmt::format(
        "  {} replica {} on {}: {}; {}", r["operator"].get<std::string>(),
        r["replica"].get<int>(), r["failed_node"].get<std::string>(),
        r["reason"].get<std::string>(),
        replaced == 0 ? std::string{"not replaced yet"}
                      : fmt::format("replaced on {} after {} ms", r["new_node"].get<std::string>(),
                                    replaced - detected)));
    }
  }
  lines.emplace_back();
  lines.push_back(fmt::format("replay buffer: {} of {} bytes", snap.replay_buffer_bytes,
                              snap.replay_buffer_limit));
  return lines;
}

} // namespace

int main(int argc, char** argv) {
  std::string target;
  bool json = false;
  std::int64_t interval_ms = 1000;
  config::client_tls_options tls_options;
  po::options_description desc{"hogar-inspect HOST:PORT [options]"};
  desc.add_options()("help,h", "show this help")
    ("json", po::bool_switch(&json), "print one snapshot as JSON and exit")
    ("interval-ms", po::value(&interval_ms)->default_value(interval_ms),
     "refresh interval of the terminal view, milliseconds");
  desc.add(config::describe(tls_options));
  po::options_description hidden;
  hidden.add_options()("target", po::value(&target));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("target", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "hogar-inspect: " << e.what() << "\n" << desc;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  if (target.empty())
    target = "127.0.0.1:7701";
  auto where = config::parse_endpoint(target);
  if (!where) {
    fmt::print(stderr, "hogar-inspect: {}\n", where.error().message);
    return 2;
  }
  system_config cfg;
  cfg.enable_networking(false);
  cfg.set("scheduler.max-threads", std::size_t{2});
  tls_files tls{tls_options.certificate, tls_options.key, tls_options.ca};
  if (tls.requested()) {
    if (auto checked = check_tls_files(tls); !checked) {
      fmt::print(stderr, "hogar-inspect: {}\n", checked.error().message);
      return 2;
    }
    cfg.enable_tls(tls.certificate, tls.key, tls.ca);
  }
  caf::actor_system sys{cfg};
  actor_port port{sys, actor_port_limits{}};
  auto client = cluster_client::connect(sys, where->host, where->port);
  if (!client) {
    fmt::print(stderr, "hogar-inspect: {}\n", client.error().message);
    return 1;
  }
  auto timeout = std::chrono::milliseconds(5000);
  if (json) {
    auto snap = client->ask<cluster_snapshot>(timeout, snapshot_atom::value);
    if (!snap) {
      fmt::print(stderr, "hogar-inspect: {}\n", snap.error().message);
      return 1;
    }
    std::cout << to_json(*snap).dump(2) << "\n";
    return 0;
  }
  initscr();
  cbreak();
  noecho();
  curs_set(0);
  timeout(static_cast<int>(interval_ms));
  int status = 0;
  for (;;) {
    auto snap = client->ask<cluster_snapshot>(timeout, snapshot_atom::value);
    erase();
    if (!snap) {
      mvprintw(0, 0, "hogar-inspect: %s (retrying; q quits)", snap.error().message.c_str());
    } else {
      auto lines = render(*snap);
      for (int i = 0; i < static_cast<int>(lines.size()) && i < LINES; ++i)
        mvprintw(i, 0, "%s", lines[static_cast<std::size_t>(i)].substr(0, COLS).c_str());
    }
    refresh();
    int key = getch();
    if (key == 'q' || key == 'Q')
      break;
  }
  endwin();
  return status;
}
