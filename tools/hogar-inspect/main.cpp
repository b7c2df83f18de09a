// hogar-inspect: attaches to a daemon's node actor and shows the live cluster in the
// terminal, in the three views of the web page: the graph (operators in topological order with
// their figures over all replicas), the nodes and what each hosts, and the recoveries (keys g,
// n, r; tab, ] and [ pick the graph; arrows, PgUp and PgDn scroll; q quits). The views are
// plain functions of the snapshot's JSON (views.hpp); this file keeps the connection, the keys
// and the scrolling (ncurses). --json prints one snapshot and exits, for scripts. --tls-* (or
// $HOGAR_TLS_*) attach to a cluster whose actor ports speak mutual TLS.
#include <algorithm>
#include <chrono>
#include <clocale>
#include <iostream>
#include <map>
#include <optional>

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
#include "tools/hogar-inspect/views.hpp"

namespace po = boost::program_options;
using namespace hogar;

namespace {

enum class view { graph, nodes, recoveries };

/// What the terminal shows. The graph view shows one graph at a time, picked with tab, ] and
/// [, rather than every graph one after the other: a graph of hundreds of operators would push
/// the others far down, and the header names the graph shown and how many there are.
struct screen {
  view shown = view::graph;
  std::string graph;
  /// The first line shown of each view's lines (scrolling).
  std::map<view, int> top;
};

/// The operators' inputs of each graph, from its metadata: the snapshot lacks them and the
/// topological order needs them. Asked once per graph, again when its file or operators change.
class edges_cache {
public:
  const inspector::operator_inputs* of(cluster_client& client, const nlohmann::json& snapshot,
                                     const std::string& graph) {
    std::string key;
    for (auto& g : snapshot["graphs"])
      if (g.value("name", std::string{}) == graph) {
        key = g.value("file", std::string{});
        for (auto& op : inspector::operator_order(g))
          key += "\n" + op;
      }
    auto& e = entries_[graph];
    if (!e.asked || e.key != key) {
      e = entry{true, key, std::nullopt};
      auto meta = client.ask<graph_metadata>(std::chrono::milliseconds(2000),
                                             metadata_atom::value, graph);
      if (meta) {
        e.inputs.emplace();
        for (auto& op : meta->operators)
          (*e.inputs)[op.op] = op.inputs;
      }
    }
    return e.inputs ? &*e.inputs : nullptr;
  }

private:
  struct entry {
    bool asked = false;
    std::string key;
    std::optional<inspector::operator_inputs> inputs;
  };
  std::map<std::string, entry> entries_;
};

/// The first line: the node, the views with their keys (the one shown in brackets), the keys.
std::string header(const nlohmann::json& now, const screen& s) {
  auto names = inspector::graph_names(now);
  auto at = std::find(names.begin(), names.end(), s.graph);
  auto graph = names.empty() ? std::string{"graph"}
                             : fmt::format("graph {} ({}/{})", inspector::one_line(s.graph),
                                           at - names.begin() + 1, names.size());
  auto mark = [&](view v, const std::string& label) {
    return s.shown == v ? fmt::format("[{}]", label) : fmt::format(" {} ", label);
  };
  return fmt::format("hogar-inspect {} ({} members)  {} {} {}   tab ] [: next graph  "
                     "arrows PgUp PgDn: scroll  q: quit",
                     inspector::one_line(now.value("node", std::string{})),
                     now.contains("nodes") ? now["nodes"].size() : 0,
                     mark(view::graph, "g " + graph), mark(view::nodes, "n nodes"),
                     mark(view::recoveries, "r recoveries"));
}

/// Runs the terminal view until q: a snapshot every interval, keys in between (a key redraws
/// without asking again, so the shares since the last refresh keep their interval).
int run_terminal(cluster_client& client, std::chrono::milliseconds interval) {
  using clock = std::chrono::steady_clock;
  std::setlocale(LC_ALL, "");
  initscr();
  cbreak();
  noecho();
  keypad(stdscr, TRUE);
  curs_set(0);
  screen s;
  edges_cache edges;
  nlohmann::json now;
  nlohmann::json before;
  std::string error;
  auto next_refresh = clock::now();
  for (;;) {
    if (clock::now() >= next_refresh) {
      auto snap = client.ask<cluster_snapshot>(std::chrono::milliseconds(5000),
                                               snapshot_atom::value);
      if (snap) {
        before = std::move(now);
        now = to_json(*snap);
        error.clear();
      } else {
        error = snap.error().message;
      }
      next_refresh = clock::now() + interval;
    }
    auto names = inspector::graph_names(now);
    if (std::find(names.begin(), names.end(), s.graph) == names.end())
      s.graph = names.empty() ? std::string{} : names.front();
    std::vector<std::string> lines;
    if (now.is_null())
      lines.emplace_back("waiting for the first snapshot");
    else if (s.shown == view::nodes)
      lines = inspector::nodes_view(now);
    else if (s.shown == view::recoveries)
      lines = inspector::recoveries_view(now);
    else if (names.empty())
      lines.emplace_back("no graph deployed");
    else
      lines = inspector::graph_view(now, before.is_null() ? nullptr : &before, s.graph,
                                  edges.of(client, now, s.graph));
    int body = std::max(1, LINES - 2);
    int last_top = std::max(0, static_cast<int>(lines.size()) - body);
    int& top = s.top[s.shown];
    top = std::clamp(top, 0, last_top);
    erase();
    attron(A_REVERSE);
    mvaddnstr(0, 0, fmt::format("{:<{}}", header(now, s), COLS).c_str(), COLS);
    attroff(A_REVERSE);
    auto shown_end = std::min(top + body, static_cast<int>(lines.size()));
    auto status = !error.empty()
                    ? fmt::format("{} (retrying)", inspector::one_line(error))
                    : fmt::format("lines {}-{} of {}", lines.empty() ? 0 : top + 1, shown_end,
                                  lines.size());
    mvaddnstr(1, 0, status.c_str(), COLS);
    for (int i = 0; top + i < shown_end; ++i)
      mvaddnstr(2 + i, 0, lines[static_cast<std::size_t>(top + i)].c_str(), COLS);
    refresh();
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_refresh - clock::now());
    timeout(static_cast<int>(std::max<std::int64_t>(wait.count(), 0)));
    int key = getch();
    auto step_graph = [&](long by) {
      if (names.empty())
        return;
      auto at = std::find(names.begin(), names.end(), s.graph) - names.begin();
      auto n = static_cast<long>(names.size());
      s.graph = names[static_cast<std::size_t>(((at + by) % n + n) % n)];
      s.shown = view::graph;
      s.top[view::graph] = 0;
    };
    switch (key) {
      case 'q':
      case 'Q':
        endwin();
        return 0;
      case 'g':
        s.shown = view::graph;
        break;
      case 'n':
        s.shown = view::nodes;
        break;
      case 'r':
        s.shown = view::recoveries;
        break;
      case '\t':
      case ']':
        step_graph(1);
        break;
      case KEY_BTAB:
      case '[':
        step_graph(-1);
        break;
      case KEY_UP:
        --top;
        break;
      case KEY_DOWN:
        ++top;
        break;
      case KEY_PPAGE:
        top -= body;
        break;
      case KEY_NPAGE:
        top += body;
        break;
      case KEY_HOME:
        top = 0;
        break;
      case KEY_END:
        top = last_top;
        break;
      default:
        break;
    }
  }
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
  return run_terminal(*client, std::chrono::milliseconds(interval_ms));
}
