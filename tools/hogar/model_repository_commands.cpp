// `hogar model list|load|unload|reload`: a daemon's model repository from the command line.
// Like the other cluster commands, each connects to one daemon (--cluster HOST:PORT) and asks
// its node actor; reload and load of a loaded model swap versions on every node.
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "actors/cluster_messages.hpp"
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
  return -1;
}

} // namespace hogar::cli
