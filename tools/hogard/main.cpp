// hogard: the node daemon. Reads its settings (config/node_options.hpp), publishes its node
// actor on the actor port, joins the cluster through its seeds, serves HTTP, and on SIGTERM
// or SIGINT drains: in-flight requests are answered before it exits.
#include <csignal>
#include <cstdio>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <fmt/format.h>

#include "actors/errors.hpp"
#include "actors/node_actor.hpp"
#include "actors/node_backend.hpp"
#include "actors/system_config.hpp"
#include "config/node_options.hpp"
#include "http/server.hpp"

int main(int argc, char** argv) {
  // Signals are taken by sigwait below; every thread started from here on inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto parsed = hogar::config::parse_node_options(argc, argv);
  if (!parsed) {
    fmt::print(stderr, "hogard: {}\n", parsed.error().message);
    return 1;
  }
  if (parsed->help_requested) {
    fmt::print("{}", parsed->help);
    return 0;
  }
  auto& opts = parsed->options;
  hogar::system_config cfg;
  cfg.enable_networking(true);
  auto threads = opts.cpu_threads > 0 ? opts.cpu_threads : std::thread::hardware_concurrency();
  cfg.set("scheduler.max-threads", static_cast<std::size_t>(threads));
  cfg.set("scheduler.policy", caf::atom_from_string(opts.scheduler_policy));
  caf::actor_system sys{cfg};

  hogar::node_config node_cfg;
  node_cfg.options = opts;
  node_cfg.self.name = opts.name;
  node_cfg.self.host = opts.host;
  node_cfg.self.actor_port = opts.actor_port;
  node_cfg.self.http_port = opts.http_port;
  node_cfg.self.cpu_threads = threads;
  node_cfg.self.gpus = opts.gpus;
  node_cfg.self.labels = opts.labels;
  node_cfg.self.incarnation = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
  node_cfg.ingress.default_timeout_ms = opts.request_timeout_ms;
  node_cfg.ingress.max_in_flight = opts.max_in_flight;
  auto node = sys.spawn(hogar::node_actor, node_cfg);
  auto stop_node = [&] { caf::anon_send_exit(node, caf::exit_reason::user_shutdown); };

  auto published = sys.middleman().publish(node, opts.actor_port, opts.host.c_str(), true);
  if (!published) {
    fmt::print(stderr, "hogard {}: cannot listen on {}:{} (actor-port): {}\n", opts.name,
               opts.host, opts.actor_port, sys.render(published.error()));
    stop_node();
    return 1;
  }
  hogar::node_backend backend{sys, node};
  std::unique_ptr<hogar::http::server> http;
  if (opts.http_port != 0) {
    hogar::http::server_options http_opts;
    http_opts.host = opts.host;
    http_opts.port = opts.http_port;
    http_opts.threads = opts.http_threads;
    http_opts.max_body_bytes = opts.http_max_body_bytes;
    http_opts.default_timeout_ms = opts.request_timeout_ms;
    http = std::make_unique<hogar::http::server>(backend, http_opts);
    auto bound = http->start();
    if (!bound) {
      fmt::print(stderr, "hogard {}: cannot serve HTTP on {}:{} (http-port): {}\n", opts.name,
                 opts.host, opts.http_port, bound.error().message);
      stop_node();
      return 1;
    }
  }
  std::string seeds;
  for (auto& s : opts.seeds)
    seeds += fmt::format("{}{}:{}", seeds.empty() ? "" : ", ", s.host, s.port);
  fmt::print("hogard {}: actor port {}:{}, HTTP {}, {}\n", opts.name, opts.host, *published,
             opts.http_port != 0 ? fmt::format("http://{}:{}", opts.host, opts.http_port)
                                 : std::string{"off"},
             seeds.empty() ? std::string{"starting a cluster"} : "joining through " + seeds);
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  fmt::print("hogard {}: {} received, draining\n", opts.name,
             received == SIGTERM ? "SIGTERM" : "SIGINT");
  std::fflush(stdout);
  {
    caf::scoped_actor self{sys};
    self
      ->request(node, std::chrono::milliseconds(opts.drain_timeout_ms + 1000),
                hogar::drain_atom::value)
      .receive([](hogar::drain_atom) {}, [](caf::error&) {});
  }
  if (http)
    http->stop();
  stop_node();
  fmt::print("hogard {}: stopped\n", opts.name);
  return 0;
}
