// `hogar model list|load|unload|reload|compare`: a daemon's model repository from the command
// line. Like the other cluster commands, each connects to one daemon (--cluster HOST:PORT) and
// asks its node actor; reload and load of a loaded model swap versions on every node; compare
// reads the feedback that daemon's answers got (actors/feedback_comparison.hpp).
#include <cmath>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "actors/cluster_messages.hpp"
#include "actors/feedback_comparison.hpp"
#include "tools/hogar/cluster_cli.hpp"

namespace hogar::cli {

namespace {

using ms = std::chrono::milliseconds;

int list(const args& argv) {
  int status = 0;
  auto cl = parse(argv, "hogar model list [options]", "", {}, status);
  if (!cl)
    return status;
  session s;
  if (auto ok = s.open(cl->cluster); !ok)
    return report(ok.error());
  auto answer = s.client->ask<std::vector<repository_entry>>(ms(cl->cluster.timeout_ms),
                                                             repo_index_atom::value);
  if (!answer)
    return report(answer.error());
  if (cl->cluster.json) {
    auto out = nlohmann::json::array();
    for (auto& e : *answer)
      out.push_back({{"name", e.name},
                     {"versions", e.versions},
                     {"state", e.state},
                     {"reason", e.reason},
                     {"used_by", e.used_by}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (answer->empty()) {
    fmt::print("the repository holds no model\n");
    return 0;
  }
  fmt::print("{:<20} {:<12} {:<12} {:<24} {}\n", "model", "versions", "state", "used by",
             "reason");
  for (auto& e : *answer)
    fmt::print("{:<20} {:<12} {:<12} {:<24} {}\n", e.name, fmt::format("{}", fmt::join(e.versions, ",")),
               e.state, fmt::format("{}", fmt::join(e.used_by, ",")), e.reason);
  return 0;
}

/// load, unload and reload: one model name, one line (or several) of answer.
template <class Atom>
int act(const args& argv, const std::string& verb) {
  int status = 0;
  auto cl = parse(argv, fmt::format("hogar model {} MODEL [options]", verb), "model", {}, status);
  if (!cl)
    return status;
  session s;
  if (auto ok = s.open(cl->cluster); !ok)
    return report(ok.error());
  auto answer = s.client->ask<std::string>(ms(cl->cluster.timeout_ms), Atom::value,
                                           cl->positional);
  if (!answer)
    return report(answer.error());
  if (cl->cluster.json)
    std::cout << nlohmann::json{{"model", cl->positional}, {"result", *answer}}.dump(2) << "\n";
  else
    fmt::print("{}\n", *answer);
  return 0;
}

/// "85.2% ± 2.2" (a proportion with its 95% half-width) or "-" without labels.
std::string accuracy_text(const version_outcome& v) {
  auto p = accuracy(v);
  if (!p)
    return "-";
  const double n = static_cast<double>(v.labelled);
  return fmt::format("{:.1f}% ± {:.1f}", 100 * *p, 100 * 1.96 * std::sqrt(*p * (1 - *p) / n));
}

int compare(const args& argv) {
  int status = 0;
  auto cl = parse(argv, "hogar model compare MODEL [options]", "model", {}, status);
  if (!cl)
    return status;
  session s;
  if (auto ok = s.open(cl->cluster); !ok)
    return report(ok.error());
  auto snap = s.client->ask<cluster_snapshot>(ms(cl->cluster.timeout_ms), snapshot_atom::value);
  if (!snap)
    return report(snap.error());
  std::vector<outcome_stats> rows;
  for (auto& g : snap->graphs)
    rows.insert(rows.end(), g.ingress.outcomes.begin(), g.ingress.outcomes.end());
  auto versions = outcomes_of(cl->positional, rows);
  auto diffs = compare_versions(versions);
  if (cl->cluster.json) {
    auto out = nlohmann::json{{"model", cl->positional}, {"node", snap->node}};
    out["versions"] = nlohmann::json::array();
    for (auto& v : versions) {
      nlohmann::json j{{"version", v.version}, {"answers", v.count},
                       {"labelled", v.labelled}, {"correct", v.correct},
                       {"scored", v.scored},     {"mean_latency_ms", mean_latency_ms(v)}};
      if (auto a = accuracy(v))
        j["accuracy"] = *a;
      if (auto e = mean_error(v))
        j["mean_absolute_error"] = *e;
      out["versions"].push_back(std::move(j));
    }
    out["differences"] = nlohmann::json::array();
    for (auto& d : diffs)
      if (d)
        out["differences"].push_back({{"baseline", d->baseline}, {"candidate", d->candidate},
                                      {"measure", d->measure}, {"difference", d->difference},
                                      {"low", d->low}, {"high", d->high},
                                      {"verdict", d->verdict}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (versions.empty()) {
    fmt::print("no feedback on answers of model '{}' at node {} yet (hogar feedback, or POST "
               "/v2/models/GRAPH/feedback)\n",
               cl->positional, snap->node);
    return 0;
  }
  fmt::print("model '{}', feedback on the answers of node {}:\n", cl->positional, snap->node);
  fmt::print("{:<8} {:>8} {:>9} {:>16} {:>14} {:>14}\n", "version", "answers", "labelled",
             "accuracy (95%)", "mean error", "mean latency");
  for (auto& v : versions)
    fmt::print("{:<8} {:>8} {:>9} {:>16} {:>14} {:>11.2f} ms\n", v.version, v.count, v.labelled,
               accuracy_text(v),
               mean_error(v) ? fmt::format("{:.4g}", *mean_error(v)) : std::string{"-"},
               mean_latency_ms(v));
  for (std::size_t i = 0; i < diffs.size(); ++i) {
    if (!diffs[i]) {
      fmt::print("version {} vs {}: too little feedback to compare\n", versions[i + 1].version,
                 versions[0].version);
      continue;
    }
    auto& d = *diffs[i];
    const double scale = d.measure == "accuracy" ? 100.0 : 1.0;
    const char* unit = d.measure == "accuracy" ? " points" : "";
    auto verdict = d.verdict > 0   ? fmt::format("version {} is better", d.candidate)
                   : d.verdict < 0 ? fmt::format("version {} is worse", d.candidate)
                                   : std::string{"no difference shown yet"};
    fmt::print("version {} - version {}, {}: {:+.2f}{}, 95% interval [{:+.2f}, {:+.2f}]: {}\n",
               d.candidate, d.baseline, d.measure, scale * d.difference, unit, scale * d.low,
               scale * d.high, verdict);
  }
  return 0;
}

} // namespace

int model_repository_command(const std::string& name, const args& argv) {
  if (name == "list")
    return list(argv);
  if (name == "load")
    return act<repo_load_atom>(argv, "load");
  if (name == "unload")
    return act<repo_unload_atom>(argv, "unload");
  if (name == "reload")
    return act<model_reload_atom>(argv, "reload");
  if (name == "compare")
    return compare(argv);
  return -1;
}

} // namespace hogar::cli
