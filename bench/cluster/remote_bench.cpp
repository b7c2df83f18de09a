// remote_bench: CAF remoting as hogar uses it, against raw TCP on loopback in the same run.
//
//   - remote hop: an actor in this process asks an echo actor in a second process (a fork of
//     this one, its own actor system, over the io middleman on 127.0.0.1) and waits for the
//     answer; one request in flight. The floor: a TCP_NODELAY ping-pong of 64 bytes.
//   - tensor transfer: a 1 MiB and a 16 MiB tensor sent to the second process, which answers
//     with its size; one in flight. The floor: acknowledged TCP transfers of the same size.
//   - remote operator hop: two hogard daemons; a chain of two identity operators served with
//     both on the first daemon, then with the second moved to the other daemon. The remote
//     graph crosses the network twice more (there and back), so a remote hop costs half the
//     difference of the p50 latencies.
//   - the same hop over mutual TLS: two more daemons with certificates (tls-* keys, made by
//     scripts/make-certs.sh unless --certs names a folder), measured by a child process whose
//     actor system speaks TLS too. The plain and the TLS pair take short turns (--rounds) and
//     percentiles pool every turn, so that both see the same load; the table gives the ratio.
//
// CAF settings can be varied with --caf KEY=VALUE (applied in both processes), which is how
// the settings hogard uses were chosen; the table records the ones in force.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/program_options.hpp>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include "actors/actor_port.hpp"
#include "actors/load_driver.hpp"
#include "actors/messages.hpp"
#include "actors/system_config.hpp"
#include "bench/cluster/daemons.hpp"
#include "bench/cluster/tcp_floor.hpp"
#include "bench/report_header.hpp"
#include "scheduling/latency_summary.hpp"

namespace po = boost::program_options;
using namespace hogar;

namespace {

using clock_type = std::chrono::steady_clock;
using ping_atom = caf::atom_constant<caf::atom("ping")>;
using transfer_atom = caf::atom_constant<caf::atom("transfer")>;
using done_atom = caf::atom_constant<caf::atom("done")>;

/// Applies --caf KEY=VALUE settings (numbers, true/false, atoms for scheduler.policy).
void apply_settings(system_config& cfg, const std::vector<std::string>& settings) {
  for (auto& kv : settings) {
    auto eq = kv.find('=');
    if (eq == std::string::npos)
      throw std::invalid_argument("--caf wants KEY=VALUE, got " + kv);
    auto key = kv.substr(0, eq);
    auto value = kv.substr(eq + 1);
    if (value == "true" || value == "false")
      cfg.set(key, value == "true");
    else if (!value.empty() && std::all_of(value.begin(), value.end(), ::isdigit))
      cfg.set(key, static_cast<std::size_t>(std::stoull(value)));
    else if (key == "scheduler.policy")
      cfg.set(key, caf::atom_from_string(value));
    else
      cfg.set(key, value);
  }
}

/// The second process: publishes an echo actor, reports its port through `port_pipe`, and
/// serves until the parent closes `stop_pipe`.
[[noreturn]] void serve_peer(const std::vector<std::string>& settings, int port_pipe,
                             int stop_pipe) {
  system_config cfg;
  cfg.enable_networking(true);
  cfg.set("scheduler.policy", caf::atom("sharing")); // as hogard runs by default
  apply_settings(cfg, settings);
  {
    caf::actor_system sys{cfg};
    auto echo = sys.spawn([]() -> caf::behavior {
      return {
        [](ping_atom, std::uint64_t x) { return x; },
        [](transfer_atom, const tensor& t) { return static_cast<std::uint64_t>(t.byte_size()); },
      };
    });
    auto port = sys.middleman().publish(echo, 0, "127.0.0.1");
    std::uint16_t p = port ? *port : 0;
    if (::write(port_pipe, &p, sizeof(p)) != sizeof(p))
      std::_Exit(3);
    char byte;
    while (::read(stop_pipe, &byte, 1) > 0) {
    }
    caf::anon_send_exit(echo, caf::exit_reason::user_shutdown);
  }
  std::_Exit(0);
}

/// `count` requests to `target`, one in flight; the message is made by `make`.
template <class Make>
std::vector<std::int64_t> round_trips(caf::actor_system& sys, const caf::actor& target,
                                      std::size_t count, Make make, double* seconds) {
  struct shared_state {
    std::vector<std::int64_t> latencies;
    clock_type::time_point start;
    double seconds = 0;
  };
  auto s = std::make_shared<shared_state>();
  s->latencies.reserve(count);
  caf::scoped_actor waiter{sys};
  auto waiter_handle = caf::actor_cast<caf::actor>(waiter);
  sys.spawn([=](caf::event_based_actor* self) {
    auto next = std::make_shared<std::function<void()>>();
    *next = [=]() {
      auto at = clock_type::now();
      self->request(target, std::chrono::seconds(30), make())
        .then(
          [=](std::uint64_t) {
            s->latencies.push_back((clock_type::now() - at).count());
            if (s->latencies.size() < count) {
              (*next)();
              return;
            }
            s->seconds = std::chrono::duration<double>(clock_type::now() - s->start).count();
            self->send(waiter_handle, done_atom::value);
            *next = nullptr;
          },
          [=](caf::error& err) {
            std::cerr << "remote request failed: " << caf::to_string(err) << "\n";
            self->send(waiter_handle, done_atom::value);
            *next = nullptr;
          });
    };
    s->start = clock_type::now();
    (*next)();
  });
  waiter->receive([](done_atom) {});
  if (seconds != nullptr)
    *seconds = s->seconds;
  return s->latencies;
}

/// A chain of two identity operators, `a` on the daemon labelled `here`, `b` on `second`.
std::string chain_graph(const std::string& name, const std::string& second) {
  return fmt::format(R"(graph: {}
inputs: [{{name: x, dtype: float32, shape: [1]}}]
operators:
  - {{name: a, kind: identity, inputs: [x], placement: {{labels: [here]}}}}
  - {{name: b, kind: identity, inputs: [a], placement: {{labels: [{}]}}}}
outputs: [{{name: y, from: b}}]
)",
                     name, second);
}

/// Latencies of the chain with both operators on daemon 1, and with `b` on daemon 2.
struct hop_figures {
  scheduling::latency_summary local;
  scheduling::latency_summary remote;

  /// Half the p50 difference: the graph crosses the network twice more when `b` is remote.
  double hop_us() const { return (remote.p50_us - local.p50_us) / 2; }
};

/// The two chains deployed on one pair of daemons, measured a round at a time so that the
/// plain and the TLS pair can take turns (the load of a shared machine comes in bursts: short
/// turns give both pairs the same share of it), every sample kept for pooled percentiles.
class hop_meter {
public:
  /// Deploys both chains and warms each up with `warmup` requests.
  hop_meter(caf::actor_system& sys, cluster_client& client, std::size_t warmup)
    : sys_(sys), client_(client) {
    for (auto [name, second] :
         {std::pair{"hop_local", "here"}, std::pair{"hop_remote", "there"}}) {
      auto submitted = client_.ask<graph_summary>(std::chrono::seconds(30), submit_atom::value,
                                                  chain_graph(name, second),
                                                  std::string{"bench"});
      if (!submitted)
        throw std::runtime_error(submitted.error().message);
      run(name, warmup);
    }
  }

  /// `count` requests, one in flight, to each chain.
  void round(std::size_t count) {
    auto local = run("hop_local", count);
    local_ns_.insert(local_ns_.end(), local.begin(), local.end());
    auto remote = run("hop_remote", count);
    remote_ns_.insert(remote_ns_.end(), remote.begin(), remote.end());
  }

  /// Percentiles over every round so far.
  hop_figures pooled() {
    return {scheduling::summarize_latencies(local_ns_),
            scheduling::summarize_latencies(remote_ns_)};
  }

private:
  std::vector<std::int64_t> run(const std::string& graph, std::size_t count) {
    load_plan plan;
    plan.graph = graph;
    plan.inputs = {record{{"x", tensor::from_values<float>({1}, std::vector<float>{1.0f})}}};
    plan.concurrency = 1;
    plan.requests = count;
    return run_load(sys_, client_.node(), plan).latencies_ns();
  }

  caf::actor_system& sys_;
  cluster_client& client_;
  std::vector<std::int64_t> local_ns_;
  std::vector<std::int64_t> remote_ns_;
};

/// The flags that give a daemon the certificate NAME from `dir`.
std::vector<std::string> tls_flags(const std::filesystem::path& dir, const std::string& name) {
  return {"--tls-certificate=" + (dir / (name + ".pem")).string(),
          "--tls-key=" + (dir / (name + ".key")).string(),
          "--tls-ca=" + (dir / "ca.pem").string()};
}

/// The child process that measures the hop over mutual TLS, with the client certificate. It
/// reads one byte per step from `go`: the first deploys and warms up, each 'r' measures a
/// round, 'f' writes the pooled figures (p50 and p99 with both operators local, then with `b`
/// remote) and ends it; every other step is answered with one byte on `out`. It holds the
/// parent's copy of `cluster` and leaves with _Exit, so that the copy's destructor does not
/// stop the daemons.
[[noreturn]] void measure_tls_hop(const std::vector<std::string>& settings,
                                  const std::filesystem::path& certs,
                                  const bench::daemons& cluster, std::size_t warmup,
                                  std::size_t count, int go, int out) {
  char step = 0;
  if (::read(go, &step, 1) != 1)
    std::_Exit(0);
  {
    system_config cfg;
    cfg.enable_networking(true);
    cfg.enable_tls((certs / "client.pem").string(), (certs / "client.key").string(),
                   (certs / "ca.pem").string());
    cfg.set("scheduler.policy", caf::atom("sharing")); // as hogard runs by default
    apply_settings(cfg, settings);
    caf::actor_system sys{cfg};
    actor_port port{sys, actor_port_limits{}};
    auto client = cluster.connect(sys);
    if (!client) {
      std::cerr << "the TLS daemons did not come up\n";
      std::_Exit(1);
    }
    hop_meter meter{sys, *client, warmup};
    if (::write(out, "k", 1) != 1)
      std::_Exit(3);
    while (::read(go, &step, 1) == 1 && step == 'r') {
      meter.round(count);
      if (::write(out, "k", 1) != 1)
        std::_Exit(3);
    }
    if (step == 'f') {
      auto hop = meter.pooled();
      std::array<double, 4> figures{hop.local.p50_us, hop.local.p99_us, hop.remote.p50_us,
                                    hop.remote.p99_us};
      if (::write(out, figures.data(), sizeof(figures)) != static_cast<ssize_t>(sizeof(figures)))
        std::_Exit(3);
    }
  }
  std::_Exit(0);
}

} // namespace

int main(int argc, char** argv) {
  std::string output = "bench/results/cluster_remote.md";
  std::string hogard = "build/tools/hogard";
  std::uint16_t daemon_port = 7781;
  std::string certs_dir;
  std::size_t rounds = 100;
  std::vector<std::string> settings;
  double scale = 1.0;
  po::options_description desc{"remote_bench [options]"};
  desc.add_options()("help,h", "show this help")
    ("output", po::value(&output)->default_value(output), "where the markdown table goes")
    ("caf", po::value(&settings)->composing(),
     "a CAF setting KEY=VALUE for both processes (repeatable)")
    ("scale", po::value(&scale)->default_value(scale), "multiplies the counts")
    ("hogard", po::value(&hogard)->default_value(hogard), "the daemon binary")
    ("daemon-port", po::value(&daemon_port)->default_value(daemon_port),
     "first of the four daemons' actor ports (two plain, then two with mutual TLS)")
    ("rounds", po::value(&rounds)->default_value(rounds),
     "turns the plain and the TLS daemon pair take at the operator hop")
    ("certs", po::value(&certs_dir),
     "folder with ca.pem and the node1, node2 and client certificates "
     "(scripts/make-certs.sh); default: made in a temporary folder");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  std::filesystem::path certs{certs_dir};
  if (certs_dir.empty()) {
    certs = std::filesystem::temp_directory_path()
            / fmt::format("remote_bench_certs_{}", ::getpid());
    auto line = fmt::format("bash scripts/make-certs.sh --out '{}' node1 node2 client > /dev/null",
                            certs.string());
    if (std::system(line.c_str()) != 0) {
      std::cerr << "cannot make certificates (" << line << "); pass --certs DIR\n";
      return 1;
    }
  }
  auto n = [&](std::size_t base) {
    return std::max<std::size_t>(10, static_cast<std::size_t>(base * scale));
  };
  // The peer, the daemons and the TLS measurer are forked before any thread exists here.
  bench::daemons cluster{hogard, daemon_port, {"here", "there"}};
  bench::daemons tls_cluster{hogard, static_cast<std::uint16_t>(daemon_port + 2),
                             {"here", "there"},
                             {tls_flags(certs, "node1"), tls_flags(certs, "node2")}};
  int tls_go[2];
  int tls_out[2];
  if (::pipe(tls_go) != 0 || ::pipe(tls_out) != 0)
    return 1;
  auto tls_child = ::fork();
  if (tls_child == 0) {
    ::close(tls_go[1]);
    ::close(tls_out[0]);
    measure_tls_hop(settings, certs, tls_cluster, n(1'000), n(200), tls_go[0], tls_out[1]);
  }
  ::close(tls_go[0]);
  ::close(tls_out[1]);
  int port_pipe[2];
  int stop_pipe[2];
  if (::pipe(port_pipe) != 0 || ::pipe(stop_pipe) != 0)
    return 1;
  auto child = ::fork();
  if (child == 0) {
    ::close(port_pipe[0]);
    ::close(stop_pipe[1]);
    ::close(tls_go[1]);
    ::close(tls_out[0]);
    serve_peer(settings, port_pipe[1], stop_pipe[0]);
  }
  ::close(port_pipe[1]);
  ::close(stop_pipe[0]);
  std::uint16_t port = 0;
  if (::read(port_pipe[0], &port, sizeof(port)) != sizeof(port) || port == 0) {
    std::cerr << "the peer process did not start\n";
    return 1;
  }
  std::ostringstream md;
  {
    system_config cfg;
    cfg.enable_networking(true);
    cfg.set("scheduler.policy", caf::atom("sharing")); // as hogard runs by default
    apply_settings(cfg, settings);
    caf::actor_system sys{cfg};
    auto peer = sys.middleman().remote_actor("127.0.0.1", port);
    if (!peer) {
      std::cerr << "cannot reach the peer: " << sys.render(peer.error()) << "\n";
      return 1;
    }
    // The daemons have joined before anything is timed, so their start-up is not measured.
    auto client = cluster.connect(sys);
    if (!client) {
      std::cerr << "the daemons did not come up\n";
      return 1;
    }
    // Floors first, then CAF, all in this run.
    bench::tcp_pingpong_options ping_opts;
    ping_opts.round_trips = n(20'000);
    auto tcp_ping = bench::tcp_pingpong(ping_opts);
    round_trips(sys, *peer, n(2'000), [] { return caf::make_message(ping_atom::value, std::uint64_t{1}); }, nullptr);
    double hop_seconds = 0;
    auto hops = round_trips(sys, *peer, n(20'000),
                            [] { return caf::make_message(ping_atom::value, std::uint64_t{1}); },
                            &hop_seconds);
    auto hop = scheduling::summarize_latencies(hops);

    md << bench::report_header("bench/cluster: remote hops and tensor transfer", argc, argv);
    std::string extra = "none";
    if (!settings.empty()) {
      extra.clear();
      for (auto& kv : settings)
        extra += (extra.empty() ? "" : " ") + kv;
    }
    md << fmt::format("CAF settings: hogard's (middleman.workers=0, scheduler.policy=sharing), "
                      "then: {}\n\n", extra);
    md << "| case | p50 | p99 | ratio of p50 to the TCP floor |\n| --- | ---: | ---: | ---: |\n";
    md << fmt::format("| raw TCP ping-pong, 64 B, loopback (floor) | {} | {} | 1.00x |\n",
                      scheduling::format_duration_us(tcp_ping.round_trip.p50_us),
                      scheduling::format_duration_us(tcp_ping.round_trip.p99_us));
    md << fmt::format("| CAF remote request/response (two processes) | {} | {} | {:.2f}x |\n\n",
                      scheduling::format_duration_us(hop.p50_us),
                      scheduling::format_duration_us(hop.p99_us),
                      hop.p50_us / tcp_ping.round_trip.p50_us);

    md << "| tensor | TCP floor MiB/s | CAF tensor MiB/s | CAF / floor |\n| ---: | ---: | ---: | ---: |\n";
    for (std::size_t mib : {1, 16}) {
      bench::tcp_transfer_options t_opts;
      t_opts.message_bytes = mib << 20;
      t_opts.messages = n(mib == 1 ? 200 : 30);
      auto floor = bench::tcp_transfer(t_opts);
      auto t = tensor{dtype::uint8, shape_t{static_cast<std::int64_t>(mib << 20)}};
      round_trips(sys, *peer, 3, [&] { return caf::make_message(transfer_atom::value, t); }, nullptr);
      double seconds = 0;
      auto count = t_opts.messages;
      round_trips(sys, *peer, count, [&] { return caf::make_message(transfer_atom::value, t); },
                  &seconds);
      auto mibps = static_cast<double>(count * mib) / seconds;
      md << fmt::format("| {} MiB | {:.0f} | {:.0f} | {:.0f}% |\n", mib, floor.mib_per_second,
                        mibps, 100.0 * mibps / floor.mib_per_second);
    }
    // The plain pair (this process) and the TLS pair (the child) take turns, round by round.
    hop_meter plain_meter{sys, *client, n(1'000)};
    auto step = [&](char what) {
      char ack = 0;
      return ::write(tls_go[1], &what, 1) == 1 && ::read(tls_out[0], &ack, 1) == 1;
    };
    if (!step('s')) {
      std::cerr << "the TLS measurement did not start\n";
      return 1;
    }
    rounds = std::max<std::size_t>(rounds, 1);
    for (std::size_t r = 0; r < rounds; ++r) {
      plain_meter.round(n(200));
      if (!step('r')) {
        std::cerr << "the TLS measurement failed\n";
        return 1;
      }
    }
    std::array<double, 4> tls{};
    if (::write(tls_go[1], "f", 1) != 1
        || ::read(tls_out[0], tls.data(), sizeof(tls)) != static_cast<ssize_t>(sizeof(tls))) {
      std::cerr << "the TLS measurement failed\n";
      return 1;
    }
    auto plain = plain_meter.pooled();
    auto us = [](double x) { return scheduling::format_duration_us(x); };
    md << fmt::format("\n| hogar graph (client -> daemon 1); {} turns of {} requests each, "
                      "plain and TLS alternating | p50 | p99 |\n| --- | ---: | ---: |\n",
                      rounds, n(200));
    md << fmt::format("| a and b on daemon 1 | {} | {} |\n", us(plain.local.p50_us),
                      us(plain.local.p99_us));
    md << fmt::format("| a on daemon 1, b on daemon 2 | {} | {} |\n", us(plain.remote.p50_us),
                      us(plain.remote.p99_us));
    md << fmt::format("| mutual TLS: a and b on daemon 1 | {} | {} |\n", us(tls[0]), us(tls[1]));
    md << fmt::format("| mutual TLS: a on daemon 1, b on daemon 2 | {} | {} |\n\n", us(tls[2]),
                      us(tls[3]));
    auto plain_hop = plain.hop_us();
    auto tls_hop = (tls[2] - tls[0]) / 2;
    md << fmt::format("Remote operator hop (half the p50 difference): {} = {:.2f}x the TCP "
                      "round-trip floor (target: at most 4x).\n\n",
                      us(plain_hop), plain_hop / tcp_ping.round_trip.p50_us);
    md << fmt::format("Over mutual TLS (TLS 1.3, ECDSA P-256 certificates): {} = {:.2f}x the "
                      "plain hop of this run (target: at most 1.5x).\n",
                      us(tls_hop), tls_hop / plain_hop);
    ::close(tls_go[1]);
  }
  ::waitpid(tls_child, nullptr, 0);
  if (certs_dir.empty())
    std::filesystem::remove_all(certs);
  ::close(stop_pipe[1]);
  ::waitpid(child, nullptr, 0);
  std::cout << md.str();
  std::ofstream out{output};
  out << md.str();
  return out ? 0 : 1;
}
