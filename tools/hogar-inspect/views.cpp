#include "tools/hogar-inspect/views.hpp"

#include <algorithm>
#include <ctime>
#include <set>

#include <fmt/format.h>

#include "actors/metrics.hpp"
#include "scheduling/latency_summary.hpp"

namespace hogar::inspector {

namespace {

using json = nlohmann::json;

/// Wider names are cut (and end in '~') so the columns after them stay in place.
constexpr std::size_t operator_width_max = 32;
/// Hosted replicas are listed several to a line, up to this many characters.
constexpr std::size_t list_width = 100;

std::string text(const json& j, const char* key) {
  auto i = j.find(key);
  return i != j.end() && i->is_string() ? one_line(i->get<std::string>()) : std::string{};
}

template <class T>
T number(const json& j, const char* key) {
  auto i = j.find(key);
  return i != j.end() && i->is_number() ? i->get<T>() : T{};
}

/// `s` cut to `width` characters (at a UTF-8 character boundary), '~' marking the cut.
std::string fit(std::string s, std::size_t width) {
  if (s.size() <= width)
    return s;
  auto cut = width > 0 ? width - 1 : 0;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80)
    --cut;
  return s.substr(0, cut) + "~";
}

bool is_backup(const json& replica) { return text(replica, "role") == "backup"; }

bool is_running(const json& replica) { return text(replica, "state") == "running"; }

const json* find_graph(const json& snapshot, const std::string& name) {
  auto i = snapshot.find("graphs");
  if (i == snapshot.end() || !i->is_array())
    return nullptr;
  for (auto& g : *i)
    if (text(g, "name") == one_line(name))
      return &g;
  return nullptr;
}

const json& replicas_of(const json& graph) {
  static const json none = json::array();
  auto i = graph.find("replicas");
  return i != graph.end() && i->is_array() ? *i : none;
}

/// The same replica (operator, replica number, backup or not) in the previous snapshot.
const json* previous(const json* before, const json& replica) {
  if (before == nullptr)
    return nullptr;
  for (auto& r : replicas_of(*before))
    if (text(r, "operator") == text(replica, "operator") &&
        number<int>(r, "replica") == number<int>(replica, "replica") &&
        is_backup(r) == is_backup(replica))
      return &r;
  return nullptr;
}

/// Calls, skipped and failed since the previous snapshot; since the replica started when
/// there is none or when a counter went back (the replica was replaced meanwhile).
struct call_counts {
  std::uint64_t calls = 0;
  std::uint64_t skipped = 0;
  std::uint64_t failed = 0;
};

call_counts counts_since(const json& replica, const json* then) {
  call_counts now{number<std::uint64_t>(replica, "calls"), number<std::uint64_t>(replica, "skipped"),
                  number<std::uint64_t>(replica, "failed")};
  if (then == nullptr)
    return now;
  call_counts old{number<std::uint64_t>(*then, "calls"), number<std::uint64_t>(*then, "skipped"),
                  number<std::uint64_t>(*then, "failed")};
  if (now.calls < old.calls || now.skipped < old.skipped || now.failed < old.failed)
    return now;
  return {now.calls - old.calls, now.skipped - old.skipped, now.failed - old.failed};
}

/// A replica's own health: its state when it is not running, else as operator_state().
std::string replica_state(const json& replica, const json* then) {
  if (!is_running(replica))
    return text(replica, "state");
  if (then != nullptr && counts_since(replica, then).failed > 0)
    return to_string(health::failing);
  auto slo_ms = number<double>(replica, "slo_ms");
  if (slo_ms > 0 && number<double>(replica, "latency_p99_us") > slo_ms * 1000)
    return to_string(health::slow);
  return to_string(health::healthy);
}

std::string duration(double us) { return us > 0 ? scheduling::format_duration_us(us) : "-"; }

std::string share(std::uint64_t part, std::uint64_t whole) {
  return whole > 0 ? fmt::format("{:.1f}%", 100.0 * static_cast<double>(part) /
                                              static_cast<double>(whole))
                   : std::string{"-"};
}

/// Distinct non-empty values, in order of first appearance, joined with ", ".
std::string distinct(const std::vector<std::string>& values) {
  std::vector<std::string> seen;
  for (auto& v : values)
    if (!v.empty() && std::find(seen.begin(), seen.end(), v) == seen.end())
      seen.push_back(v);
  return fmt::format("{}", fmt::join(seen, ", "));
}

/// Wall clock of a Unix time in milliseconds, local time: "16:32:14.707".
std::string clock_time(std::int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm local{};
  localtime_r(&seconds, &local);
  return fmt::format("{:02}:{:02}:{:02}.{:03}", local.tm_hour, local.tm_min, local.tm_sec,
                     unix_ms % 1000);
}

/// `items` joined with ", " on lines of at most list_width characters, each after `indent`.
void wrap(std::vector<std::string>& lines, const std::string& indent,
          const std::vector<std::string>& items) {
  std::string line;
  for (auto& item : items) {
    if (!line.empty() && line.size() + 2 + item.size() > list_width) {
      lines.push_back(indent + line + ",");
      line.clear();
    }
    line += (line.empty() ? "" : ", ") + item;
  }
  if (!line.empty())
    lines.push_back(indent + line);
}

/// The figures columns of an operator or replica line, over `replicas`.
struct figures {
  double rps = 0;
  double p50_us = 0;
  double p99_us = 0;
  std::uint64_t queue = 0;
  std::uint64_t in_flight = 0;
  double batched = 0;  // sum of batch_size_mean * batches: the requests in those batches
  std::uint64_t batches = 0;
  call_counts counts;
};

figures add_up(const std::vector<const json*>& replicas, const json* before) {
  figures f;
  for (auto* r : replicas) {
    f.rps += number<double>(*r, "throughput_rps");
    // The worst replica's percentiles: the ones a request may meet.
    f.p50_us = std::max(f.p50_us, number<double>(*r, "latency_p50_us"));
    f.p99_us = std::max(f.p99_us, number<double>(*r, "latency_p99_us"));
    f.queue += number<std::uint64_t>(*r, "queue_depth");
    f.in_flight += number<std::uint64_t>(*r, "in_flight");
    auto batches = number<std::uint64_t>(*r, "batches");
    f.batched += number<double>(*r, "batch_size_mean") * static_cast<double>(batches);
    f.batches += batches;
    auto c = counts_since(*r, previous(before, *r));
    f.counts.calls += c.calls;
    f.counts.skipped += c.skipped;
    f.counts.failed += c.failed;
  }
  return f;
}

std::string figures_columns(const figures& f) {
  // The mean batch over all replicas weighs each replica by its batches, which makes it the
  // pooled ratio (requests in batches / batches), the figure one replica shows of itself.
  auto batch = f.batches > 0 ? fmt::format("{:.1f}", f.batched / static_cast<double>(f.batches))
                             : std::string{"-"};
  return fmt::format("{:>8.1f} {:>9} {:>9} {:>6} {:>6} {:>6} {:>6} {:>6}", f.rps,
                     duration(f.p50_us), duration(f.p99_us), f.queue, f.in_flight, batch,
                     share(f.counts.skipped, f.counts.calls + f.counts.skipped),
                     share(f.counts.failed, f.counts.calls));
}

} // namespace

const char* to_string(health h) {
  switch (h) {
    case health::dead:
      return "dead";
    case health::recovering:
      return "recovering";
    case health::failing:
      return "failing";
    case health::slow:
      return "slow";
    case health::healthy:
      return "healthy";
  }
  return "?";
}

std::string one_line(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (u < 0x20 || u == 0x7f)
      out += fmt::format("\\x{:02x}", u);
    else
      out += c;
  }
  return out;
}

std::vector<std::string> graph_names(const nlohmann::json& now) {
  std::vector<std::string> names;
  if (auto i = now.find("graphs"); i != now.end() && i->is_array())
    for (auto& g : *i)
      names.push_back(g.value("name", std::string{}));
  return names;
}

// The snapshot lists a graph's replicas in its placement's order (node_actor.cpp,
// collect_graphs), which the graph's supervisor builds over topology::ops
// (graph_supervisor.cpp, place), that is in the order the graph file writes its operators;
// backups are appended when they start. The validator accepts a file in any order, so that
// order is topological only when the file lists producers first (every example graph does).
// Hence the edges from the graph's metadata when the caller has them.
std::vector<std::string> operator_order(const nlohmann::json& graph,
                                        const operator_inputs* inputs) {
  std::vector<std::string> order;
  std::set<std::string> known;
  for (auto& r : replicas_of(graph)) {
    auto op = r.value("operator", std::string{});
    if (known.insert(op).second)
      order.push_back(op);
  }
  if (inputs == nullptr)
    return order;
  // Kahn's algorithm, taking at each step the first ready operator in the replicas' order,
  // so a graph already in topological order keeps its order.
  std::vector<std::string> sorted;
  std::set<std::string> placed;
  std::vector<bool> taken(order.size(), false);
  auto ready = [&](const std::string& op) {
    auto i = inputs->find(op);
    if (i == inputs->end())
      return true;
    return std::all_of(i->second.begin(), i->second.end(), [&](const std::string& in) {
      return known.count(in) == 0 || in == op || placed.count(in) > 0;
    });
  };
  while (sorted.size() < order.size()) {
    bool found = false;
    for (std::size_t k = 0; k < order.size(); ++k)
      if (!taken[k] && ready(order[k])) {
        taken[k] = true;
        placed.insert(order[k]);
        sorted.push_back(order[k]);
        found = true;
        break;
      }
    if (!found) {
      // A cycle, which a validated graph cannot have: the rest in the replicas' order.
      for (std::size_t k = 0; k < order.size(); ++k)
        if (!taken[k])
          sorted.push_back(order[k]);
      break;
    }
  }
  return sorted;
}

health operator_state(const nlohmann::json& graph, const nlohmann::json* before,
                      const std::string& op) {
  std::size_t running = 0;
  std::size_t total = 0;
  bool failing = false;
  double p99_us = 0;
  double slo_ms = 0;
  for (auto& r : replicas_of(graph)) {
    if (r.value("operator", std::string{}) != op)
      continue;
    ++total;
    if (!is_running(r))
      continue;
    ++running;
    if (auto* then = previous(before, r); then != nullptr && counts_since(r, then).failed > 0)
      failing = true;
    p99_us = std::max(p99_us, number<double>(r, "latency_p99_us"));
    slo_ms = std::max(slo_ms, number<double>(r, "slo_ms"));
  }
  if (running == 0)
    return health::dead;
  if (running < total)
    return health::recovering;
  if (failing)
    return health::failing;
  if (slo_ms > 0 && p99_us > slo_ms * 1000)
    return health::slow;
  return health::healthy;
}

std::vector<std::string> graph_view(const nlohmann::json& now, const nlohmann::json* before,
                                    const std::string& graph, const operator_inputs* inputs) {
  std::vector<std::string> lines;
  const json* g = find_graph(now, graph);
  if (g == nullptr) {
    lines.push_back(fmt::format("graph '{}' is not deployed", one_line(graph)));
    return lines;
  }
  const json* then = before != nullptr ? find_graph(*before, graph) : nullptr;
  const json in = g->value("ingress", json::object());
  lines.push_back(fmt::format("GRAPH {}  ({})", text(*g, "name"), text(*g, "file")));
  lines.push_back(fmt::format(
    "ingress at {}: {} accepted, {} completed, {} failed, {} timed out, {} rejected, {} in "
    "flight",
    text(now, "node"), number<std::uint64_t>(in, "accepted"),
    number<std::uint64_t>(in, "completed"), number<std::uint64_t>(in, "failed"),
    number<std::uint64_t>(in, "timed_out"), number<std::uint64_t>(in, "rejected"),
    number<std::uint64_t>(in, "in_flight")));
  lines.push_back(fmt::format("epoch {}, {} recoveries (r: recoveries view)",
                              number<std::uint32_t>(*g, "epoch"),
                              number<std::uint64_t>(*g, "recoveries_total")));
  lines.emplace_back();

  auto order = operator_order(*g, inputs);
  std::size_t width = 8;
  for (auto& op : order)
    width = std::max(width, std::min(one_line(op).size(), operator_width_max));
  lines.push_back(fmt::format("{:<{}} {:<10} {:<11} {:>4} {:>8} {:>9} {:>9} {:>6} {:>6} {:>6} "
                              "{:>6} {:>6}  {}",
                              "OPERATOR", width, "KIND", "STATE", "REPS", "REQ/S", "P50", "P99",
                              "QUEUE", "INFL", "BATCH", "SKIP", "ERR", "NODES  MODEL"));
  auto skip_note = then != nullptr ? "since the last refresh" : "since the replicas started";
  for (auto& op : order) {
    std::vector<const json*> replicas;
    for (auto& r : replicas_of(*g))
      if (r.value("operator", std::string{}) == op)
        replicas.push_back(&r);
    std::vector<std::string> nodes;
    std::vector<std::string> backups;
    std::vector<std::string> models;
    std::vector<std::string> devices;
    std::size_t primaries = 0;
    for (auto* r : replicas) {
      (is_backup(*r) ? backups : nodes).push_back(text(*r, "node"));
      primaries += is_backup(*r) ? 0 : 1;
      models.push_back(text(*r, "versions"));
      devices.push_back(text(*r, "device"));
    }
    auto where = distinct(nodes);
    if (!backups.empty())
      where += " +backup " + distinct(backups);
    auto model = distinct(models);
    if (!model.empty() && !distinct(devices).empty())
      model += " on " + distinct(devices);
    auto kind = replicas.empty() ? std::string{} : text(*replicas.front(), "kind");
    lines.push_back(fmt::format("{:<{}} {:<10} {:<11} {:>4} {}  {}{}", fit(one_line(op), width),
                                width, fit(kind, 10), to_string(operator_state(*g, then, op)),
                                primaries, figures_columns(add_up(replicas, then)), where,
                                model.empty() ? "" : "  " + model));
    // One line per replica when there are several; a single replica's figures are the
    // operator's. Tuning lines follow the replica they belong to.
    for (auto* r : replicas) {
      auto* previous_replica = previous(then, *r);
      if (replicas.size() > 1)
        lines.push_back(fmt::format(
          "{:<{}} {:<10} {:<11} {:>4} {}  {}",
          fit(fmt::format("  #{}", number<int>(*r, "replica")), width), width,
          fit(is_backup(*r) ? "backup" : "", 10), fit(replica_state(*r, previous_replica), 11), "", figures_columns(add_up({r}, then)),
          text(*r, "node")));
      if (auto t = r->find("tuning"); t != r->end())
        if (auto line = one_line(tuning_line(*t)); !line.empty())
          lines.push_back(fmt::format("{:<{}} {}", "", width, fit(line, 200)));
    }
  }
  lines.emplace_back();
  lines.push_back(fmt::format("REQ/S: calls per second over the last 10 s; P50, P99: the worst "
                              "replica's; SKIP, ERR: shares of calls {}",
                              skip_note));
  return lines;
}

std::vector<std::string> nodes_view(const nlohmann::json& now) {
  std::vector<std::string> lines;
  lines.push_back(fmt::format("replay buffer of {}: {} of {} bytes", text(now, "node"),
                              number<std::int64_t>(now, "replay_buffer_bytes"),
                              number<std::int64_t>(now, "replay_buffer_limit")));
  auto nodes = now.find("nodes");
  if (nodes == now.end() || !nodes->is_array())
    return lines;
  static const json none = json::array();
  auto graphs = now.find("graphs");
  const json& all_graphs = graphs != now.end() && graphs->is_array() ? *graphs : none;
  for (auto& n : *nodes) {
    auto name = text(n, "name");
    lines.emplace_back();
    std::vector<std::string> labels;
    if (auto l = n.find("labels"); l != n.end() && l->is_array())
      for (auto& label : *l)
        labels.push_back(label.is_string() ? one_line(label.get<std::string>()) : label.dump());
    lines.push_back(fmt::format(
      "NODE {}{}  {}  {}:{} (actor), {}:{} (http)  {} cpus  {} gpus  labels: {}", name,
      name == text(now, "node") ? " (this node)" : "", text(n, "state"), text(n, "host"),
      number<int>(n, "actor_port"), text(n, "host"), number<int>(n, "http_port"),
      number<std::uint32_t>(n, "cpu_threads"), number<std::uint32_t>(n, "gpus"),
      labels.empty() ? std::string{"-"} : fmt::format("{}", fmt::join(labels, ", "))));
    std::vector<std::string> hosted;
    std::vector<std::string> moved;
    for (auto& g : all_graphs) {
      auto graph = text(g, "name");
      for (auto& r : replicas_of(g))
        if (text(r, "node") == name) {
          auto item = fmt::format("{}/{}#{}", graph, text(r, "operator"), number<int>(r, "replica"));
          if (is_backup(r))
            item += " (backup)";
          if (!is_running(r))
            item += fmt::format(" ({})", text(r, "state"));
          hosted.push_back(item);
        }
      if (auto rs = g.find("recoveries"); rs != g.end() && rs->is_array())
        for (auto& rec : *rs)
          if (text(rec, "failed_node") == name) {
            auto to = text(rec, "new_node");
            moved.push_back(fmt::format("{}/{}#{}{} -> {}", graph, text(rec, "operator"),
                                        number<int>(rec, "replica"),
                                        rec.value("backup", false) ? " (backup)" : "",
                                        to.empty() ? "not replaced yet" : to));
          }
    }
    if (hosted.empty())
      lines.push_back("  hosts no replica");
    else {
      lines.push_back(fmt::format("  hosts {} replica{}:", hosted.size(),
                                  hosted.size() == 1 ? "" : "s"));
      wrap(lines, "    ", hosted);
    }
    if (!moved.empty()) {
      lines.push_back(fmt::format("  moved away after it failed ({}):", moved.size()));
      wrap(lines, "    ", moved);
    }
  }
  return lines;
}

std::vector<std::string> recoveries_view(const nlohmann::json& now) {
  std::vector<std::string> lines;
  auto graphs = now.find("graphs");
  if (graphs == now.end() || !graphs->is_array() || graphs->empty()) {
    lines.push_back("no graph deployed");
    return lines;
  }
  for (auto& g : *graphs) {
    if (!lines.empty())
      lines.emplace_back();
    static const json none = json::array();
    auto rs = g.find("recoveries");
    const json& recoveries = rs != g.end() && rs->is_array() ? *rs : none;
    auto total = number<std::uint64_t>(g, "recoveries_total");
    lines.push_back(fmt::format("GRAPH {}: epoch {}, {} recoveries, {} messages sent again{}",
                                text(g, "name"), number<std::uint32_t>(g, "epoch"), total,
                                number<std::uint64_t>(g, "replayed_messages"),
                                total > recoveries.size()
                                  ? fmt::format(" (the latest {} below)", recoveries.size())
                                  : ""));
    if (recoveries.empty()) {
      lines.push_back("  no recovery");
      continue;
    }
    std::size_t width = 8;
    for (auto& rec : recoveries)
      width = std::max(width, std::min(text(rec, "operator").size() + 8, operator_width_max));
    // Both durations count from the detection of the loss: the first answer is when the
    // graph served through the replacement again.
    for (auto& rec : recoveries) {
      auto detected = number<std::int64_t>(rec, "detected_unix_ms");
      auto replaced = number<std::int64_t>(rec, "replaced_unix_ms");
      auto first = number<std::int64_t>(rec, "first_answer_unix_ms");
      bool backup = rec.value("backup", false);
      auto new_node = text(rec, "new_node");
      lines.push_back(fmt::format(
        "  {:<{}} {:<10} -> {:<10} detected {}  {:<24} {:<27} {:<9} epoch {}: {}",
        fit(fmt::format("{}#{}", text(rec, "operator"), number<int>(rec, "replica")), width),
        width, fit(text(rec, "failed_node"), 10), fit(new_node.empty() ? "-" : new_node, 10),
        detected > 0 ? clock_time(detected) : "-",
        replaced > 0 ? fmt::format("replaced after {} ms", replaced - detected)
                     : std::string{"not replaced yet"},
        first > 0  ? fmt::format("first answer after {} ms", first - detected)
        : backup   ? std::string{"first answer: none"}
                   : std::string{"first answer: waiting"},
        backup ? "backup" : "primary", number<std::uint32_t>(rec, "epoch"),
        text(rec, "reason")));
    }
  }
  return lines;
}

} // namespace hogar::inspector
