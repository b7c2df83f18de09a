// hogard: the node daemon. Reads its settings (config/node_options.hpp), publishes its node
// actor on the actor port (actors/actor_port.hpp: limits, and mutual TLS with the tls-* keys),
// joins the cluster through its seeds, serves HTTP, and on SIGTERM or SIGINT drains:
// in-flight requests are answered before it exits.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ranges>
#include <string_view>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <fmt/format.h>

#include "actors/actor_port.hpp"
#include "actors/errors.hpp"
#include "actors/node_actor.hpp"
#include "actors/node_backend.hpp"
#include "actors/system_config.hpp"
#include "config/node_options.hpp"
#include "http/server.hpp"
#include "kernels/nn/cpu_features.hpp"

namespace {

/// Why main wakes up: the byte written to wake_pipe.
constexpr char woke_by_sigterm = 'T';
constexpr char woke_by_sigint = 'I';
/// The node actor ended before main stopped it.
constexpr char woke_by_node = 'N';

/// main waits on the read end; signal handlers and the node actor's end write one byte.
int wake_pipe[2] = {-1, -1};

/// Set before main stops the node actor itself: its end is then expected, not news.
std::atomic<bool> stopping_node{false};

/// SIGTERM and SIGINT may land on any thread: OpenBLAS starts threads before main runs, with
/// every signal unblocked, so masking signals and sigwait() in main cannot catch them all. The
/// handler only writes a byte, which is async-signal-safe.
extern "C" void on_stop_signal(int sig) {
  int saved = errno;
  char byte = sig == SIGTERM ? woke_by_sigterm : woke_by_sigint;
  (void)::write(wake_pipe[1], &byte, 1);
  errno = saved;
}

/// Blocks until a signal or the node actor's end wakes main; returns why.
char wait_for_wake() {
  char byte = 0;
  while (::read(wake_pipe[0], &byte, 1) < 0 && errno == EINTR) {
  }
  return byte;
}

/// The HTTP connection cap that fits the open-file limit: the soft limit is raised to the hard
/// one first (Debian's default soft limit of 1024 is too few for a server), and 256
/// descriptors stay for the actor port, models and logs.
std::size_t connection_cap(const std::string& name, std::size_t wanted) {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0)
    return wanted;
  if (files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
    ::getrlimit(RLIMIT_NOFILE, &files);
  }
  if (files.rlim_cur == RLIM_INFINITY)
    return wanted;
  auto room = files.rlim_cur > 512 ? static_cast<std::size_t>(files.rlim_cur - 256)
                                   : static_cast<std::size_t>(files.rlim_cur / 2);
  if (wanted <= room)
    return wanted;
  fmt::print(stderr, "hogard {}: http-max-connections lowered from {} to {}: the open-file limit "
                     "is {}\n",
             name, wanted, room, files.rlim_cur);
  return room;
}

} // namespace

int main(int argc, char** argv) {
  if (::pipe2(wake_pipe, O_CLOEXEC) != 0) {
    fmt::print(stderr, "hogard: cannot make a pipe: {}\n", std::strerror(errno));
    return 1;
  }
  struct sigaction stop{};
  stop.sa_handler = on_stop_signal;
  stop.sa_flags = SA_RESTART;
  sigemptyset(&stop.sa_mask);
  ::sigaction(SIGTERM, &stop, nullptr);
  ::sigaction(SIGINT, &stop, nullptr);
  // A client that goes away mid-answer must cost an error code, not the process.
  std::signal(SIGPIPE, SIG_IGN);

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
  // No CAF automatic connections: the membership connects to every member itself, through
  // the actor port (its limits, TLS, connection handles CAF cannot confuse); CAF would open
  // plain sockets of its own beside them.
  cfg.enable_networking(false);
  hogar::tls_files tls{opts.tls_certificate, opts.tls_key, opts.tls_ca};
  if (tls.requested()) {
    if (auto checked = hogar::check_tls_files(tls); !checked) {
      fmt::print(stderr, "hogard {}: {}\n", opts.name, checked.error().message);
      return 1;
    }
    cfg.enable_tls(tls.certificate, tls.key, tls.ca);
  }
  auto threads = opts.cpu_threads > 0 ? opts.cpu_threads : std::thread::hardware_concurrency();
  cfg.set("scheduler.max-threads", static_cast<std::size_t>(threads));
  cfg.set("scheduler.policy", caf::atom_from_string(opts.scheduler_policy));
  caf::actor_system sys{cfg};
  // Started before the node actor, whose first tick connects to the seeds through it.
  hogar::actor_port_limits limits;
  limits.max_message_bytes = opts.actor_max_message_bytes;
  limits.handshake_timeout_ms = opts.actor_handshake_timeout_ms;
  limits.max_connections = opts.actor_max_connections;
  auto port_log = [name = opts.name, level = opts.log_level](const std::string& text) {
    if (level == "quiet" || level == "error")
      return;
    fmt::print("[{}] warning: actor port: {}\n", name, text);
    std::fflush(stdout);
  };
  hogar::actor_port port{sys, limits, port_log};
  if (!tls.requested() && !hogar::is_loopback(opts.host))
    fmt::print(stderr,
               "hogard {0}: WARNING: the actor port listens on {1}, which is not a loopback "
               "address, without TLS: anyone who can reach {1}:{2} can deploy graphs, read "
               "results and stop work on this node. Set tls-certificate, tls-key and tls-ca "
               "(scripts/make-certs.sh), or host = 127.0.0.1.\n",
               opts.name, opts.host, opts.actor_port);

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
  node_cfg.ingress.feedback.retention_ms = opts.feedback_retention_s * 1000;
  node_cfg.ingress.feedback.max_answers = opts.feedback_max_answers;
  node_cfg.ingress.feedback.max_bytes = opts.feedback_max_bytes;
  if (opts.recovery)
    node_cfg.ingress.replay = std::make_shared<hogar::replay_budget>(opts.replay_buffer_bytes);
  auto node = sys.spawn(hogar::node_actor, node_cfg);
  // Wakes main below if the node actor ends before main stops it.
  caf::actor_cast<caf::abstract_actor*>(node)->attach_functor(
    [] {
      if (!stopping_node)
        (void)::write(wake_pipe[1], &woke_by_node, 1);
    });
  auto stop_node = [&] {
    stopping_node = true;
    caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
  };

  auto published = port.publish(node, opts.actor_port, opts.host);
  if (!published) {
    fmt::print(stderr, "hogard {}: cannot listen on {}:{} (actor-port): {}\n", opts.name,
               opts.host, opts.actor_port, published.error().message);
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
    http_opts.client_timeout_ms = opts.http_client_timeout_ms;
    http_opts.json_max_depth = opts.http_json_max_depth;
    http_opts.parse_threads = opts.http_parse_threads;
    http_opts.max_connections = connection_cap(opts.name, opts.http_max_connections);
    if (!opts.auth_token_file.empty()) {
      auto tokens = hogar::http::bearer_tokens::load(opts.auth_token_file);
      if (!tokens) {
        fmt::print(stderr, "hogard {}: auth-token-file: {}\n", opts.name, tokens.error().message);
        stop_node();
        return 1;
      }
      http_opts.auth = std::move(*tokens);
    }
    auto open = [&](std::string_view route) {
      return std::find(opts.auth_open_endpoints.begin(), opts.auth_open_endpoints.end(), route) !=
             opts.auth_open_endpoints.end();
    };
    http_opts.open_health = open("health");
    http_opts.open_metrics = open("metrics");
    http_opts.open_dashboard = open("dashboard");
    // HTTPS with the node's certificate and key (HTTP clients are not asked for certificates:
    // they present bearer tokens).
    http_opts.tls_certificate = opts.tls_certificate;
    http_opts.tls_key = opts.tls_key;
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
  fmt::print("hogard {}: actor port {}:{} ({}), HTTP {}, {}\n", opts.name, opts.host, *published,
             port.tls() ? "mutual TLS" : "plain TCP",
             opts.http_port != 0 ? fmt::format("http://{}:{}", opts.host, opts.http_port)
                                 : std::string{"off"},
             seeds.empty() ? std::string{"starting a cluster"} : "joining through " + seeds);
  // Which kernels a model on the CPU runs here: chosen by the CPU's flags, not its name.
  fmt::print("hogard {}: CPU {}\n", opts.name, hogar::nn::cpu_description());
  const auto kernels = hogar::nn::cpu_kernels_description();
  for (auto line : std::string_view{kernels} | std::views::split('\n'))
    fmt::print("hogard {}: fast CPU path: {}\n", opts.name, std::string_view{line.begin(), line.end()});
  std::fflush(stdout);

  auto woke = wait_for_wake();
  stopping_node = true;
  if (woke == woke_by_node) {
    // The node actor ended on its own (a bug it could not survive): serving on as a node that
    // answers nothing would be worse than exiting for a supervisor to restart.
    fmt::print(stderr, "hogard {}: the node actor stopped; exiting\n", opts.name);
    if (http)
      http->stop();
    return 2;
  }
  fmt::print("hogard {}: {} received, draining\n", opts.name,
             woke == woke_by_sigterm ? "SIGTERM" : "SIGINT");
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
  std::fflush(stdout);
  // What is left is the actor system's destructor, which waits for every detached actor to be
  // released. After heavy churn (hundreds of recoveries) one was seen never to be: drained and
  // stopped, the daemon must still exit rather than hang its supervisor's restart.
  std::thread{[name = opts.name] {
    std::this_thread::sleep_for(std::chrono::seconds(10));
    fmt::print(stderr, "hogard {}: the actor system did not shut down within 10 s; exiting\n",
               name);
    std::fflush(stderr);
    std::_Exit(0);
  }}.detach();
  return 0;
}
