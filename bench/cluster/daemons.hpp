// daemons.hpp: hogard processes for the cluster benchmarks: started on given ports, joined
// into one cluster, stopped with SIGTERM when the object goes away.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <fmt/format.h>

#include "actors/cluster_client.hpp"
#include "actors/cluster_messages.hpp"

namespace hogar::bench {

class daemons {
public:
  /// Starts one daemon per entry of `labels` (its placement labels), on actor ports
  /// first_port, first_port + 1, ...; the first is the seed of the others. `extra_args[i]`,
  /// when given, are more flags of daemon i (its tls-* files, for instance).
  daemons(const std::string& hogard, std::uint16_t first_port,
          const std::vector<std::string>& labels,
          const std::vector<std::vector<std::string>>& extra_args = {}) {
    for (std::size_t i = 0; i < labels.size(); ++i) {
      auto port = static_cast<std::uint16_t>(first_port + i);
      ports_.push_back(port);
      std::vector<std::string> args{hogard,
                                    fmt::format("--name=bench{}", i + 1),
                                    fmt::format("--actor-port={}", port),
                                    "--http-port=0",
                                    "--cpu-threads=2",
                                    "--heartbeat-interval-ms=200",
                                    "--log-level=warning"};
      if (!labels[i].empty())
        args.push_back("--labels=" + labels[i]);
      if (i > 0)
        args.push_back(fmt::format("--seeds=127.0.0.1:{}", first_port));
      if (i < extra_args.size())
        args.insert(args.end(), extra_args[i].begin(), extra_args[i].end());
      auto pid = ::fork();
      if (pid == 0) {
        std::vector<char*> argv;
        for (auto& a : args)
          argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        std::_Exit(127);
      }
      pids_.push_back(pid);
    }
  }

  ~daemons() {
    for (auto pid : pids_)
      ::kill(pid, SIGTERM);
    for (auto pid : pids_)
      ::waitpid(pid, nullptr, 0);
  }

  /// Connects to the seed and waits until it sees every daemon alive (30 s at most).
  std::optional<cluster_client> connect(caf::actor_system& sys) const {
    using namespace std::chrono_literals;
    std::optional<cluster_client> client;
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!client)
        if (auto c = cluster_client::connect(sys, "127.0.0.1", ports_.front()))
          client.emplace(std::move(*c));
      if (client) {
        auto view = client->ask<std::vector<member>>(2000ms, nodes_atom::value);
        if (view && static_cast<std::size_t>(std::count_if(view->begin(), view->end(), [](const member& m) {
              return m.state == member_state::alive;
            })) == pids_.size())
          return client;
      }
      std::this_thread::sleep_for(100ms);
    }
    return std::nullopt;
  }

private:
  std::vector<std::uint16_t> ports_;
  std::vector<pid_t> pids_;
};

} // namespace hogar::bench
