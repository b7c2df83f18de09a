// cluster_fixture.hpp: real daemons for the multi-process tests. Starts `hogard` processes on
// free loopback ports, waits until they are ready (never a fixed sleep), runs CLI commands
// against them, speaks plain HTTP to them, and always stops what it started. Daemons can speak
// mutual TLS on their actor ports, with certificates made by scripts/make-certs.sh.
#pragma once

#include <arpa/inet.h>
#include <csignal>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <atomic>
#include <map>
#include <set>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

namespace hogar::test {

using namespace std::chrono_literals;

/// Whether 127.0.0.1:port can be bound now (nothing listens there, nothing lingers on it).
inline bool bindable(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

/// A TCP port nobody listens on right now, for a daemon to listen on. Taken below the
/// kernel's ephemeral range: a port the kernel picks for bind(0) is free only until an
/// outgoing connection (a CLI call, a daemon dialling a peer) takes it as its source port,
/// which then stops the daemon started on it ("port in use"). Each call gets another port;
/// test processes start at places of their own (by pid).
inline std::uint16_t free_port() {
  unsigned ephemeral_low = 32768;
  std::ifstream{"/proc/sys/net/ipv4/ip_local_port_range"} >> ephemeral_low;
  const unsigned first = ephemeral_low > 11024 ? ephemeral_low - 10000 : 1024;
  const unsigned count = std::max(1u, ephemeral_low - first);
  static std::atomic<unsigned> next{static_cast<unsigned>(::getpid()) * 97u};
  for (unsigned tries = 0; tries < count; ++tries) {
    auto port = static_cast<std::uint16_t>(first + next++ % count);
    if (bindable(port))
      return port;
  }
  // Every port below the range is taken: let the kernel pick one.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

struct command_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in{p};
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

/// Runs a shell command line from the source directory and captures its output.
inline command_result run_command(const std::string& line) {
  static std::atomic<int> counter{0};
  auto err_file = std::filesystem::temp_directory_path()
                  / ("hogar_cluster_cmd_" + std::to_string(::getpid()) + "_"
                     + std::to_string(counter++) + ".err");
  // `timeout` turns a hung command into a failed check instead of a hung test run.
  auto command = std::string{"cd '"} + HOGAR_SOURCE_DIR + "' && timeout 60 " + line + " 2>'"
                 + err_file.string() + "'";
  command_result r;
  auto* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr)
    return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0)
    r.out.append(buf.data(), n);
  auto status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = slurp(err_file);
  std::filesystem::remove(err_file);
  return r;
}

/// `hogar ARGS` (the CLI).
inline command_result hogar_cli(const std::string& args) {
  return run_command(std::string{"env HOGAR_MODEL_REPOSITORY='"} + HOGAR_MODEL_REPOSITORY +
                     "' '" + HOGAR_CLI + "' " + args);
}

/// Waits until `condition` holds, checking every 20 ms, for at most `limit`.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = 20s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition())
      return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

/// A test's figures as one line on stdout, outside doctest's report. A MESSAGE would repeat
/// every INFO in scope (whole daemon logs) and push the line of a failing check out of the
/// part of the output that CI shows.
template <class... Parts>
void say(const Parts&... parts) {
  ((std::cout << parts), ...) << std::endl;
}

/// One HTTP/1.1 exchange over a fresh connection; returns status code and body.
struct http_answer {
  int status = 0;
  std::string headers;
  std::string body;
};

/// The nodes that the answer of `hogar submit --json` placed the graph's replicas on.
inline std::set<std::string> placement_nodes(const std::string& submit_json) {
  std::set<std::string> nodes;
  auto answer = nlohmann::json::parse(submit_json); // outlives the loop over its placement
  for (auto& p : answer["placement"])
    nodes.insert(p["node"].get<std::string>());
  return nodes;
}

/// One HTTP/1.1 exchange over the connected socket `fd` (which the server then closes).
inline http_answer http_exchange(int fd, const std::string& method, const std::string& target,
                                 const std::string& body = "") {
  http_answer answer;
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Connection: close\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string raw;
  std::array<char, 8192> buf{};
  ssize_t n = 0;
  while ((n = ::recv(fd, buf.data(), buf.size(), 0)) > 0)
    raw.append(buf.data(), static_cast<std::size_t>(n));
  auto end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || end == std::string::npos)
    return answer;
  answer.status = std::stoi(raw.substr(9, 3));
  answer.headers = raw.substr(0, end);
  answer.body = raw.substr(end + 4);
  return answer;
}

/// A TCP connection to 127.0.0.1:port, blocking (-1 when it fails).
inline int connect_loopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (fd >= 0)
      ::close(fd);
    return -1;
  }
  return fd;
}

/// One HTTP/1.1 exchange over a fresh connection; returns status code and body (status 0
/// when the connection failed).
inline http_answer http_request(std::uint16_t port, const std::string& method,
                                const std::string& target, const std::string& body = "") {
  int fd = connect_loopback(port);
  if (fd < 0)
    return {};
  auto answer = http_exchange(fd, method, target, body);
  ::close(fd);
  return answer;
}

/// Starts `args` (args[0]: the binary) with stdout and stderr appended to `log`; returns its
/// pid.
inline pid_t spawn_process(const std::vector<std::string>& args, const std::filesystem::path& log) {
  auto pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

/// A folder of certificates made by `bash scripts/make-certs.sh --out FOLDER NAMES`, removed
/// when the test process exits.
class certificate_folder {
public:
  certificate_folder(const std::string& prefix, const std::string& names)
    : dir_(std::filesystem::temp_directory_path() / (prefix + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir_);
    auto line = "bash scripts/make-certs.sh --out '" + dir_.string() + "' " + names;
    auto r = run_command(line);
    REQUIRE_MESSAGE(r.exit_code == 0, (line + ": " + r.err));
  }
  ~certificate_folder() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::filesystem::path& path() const { return dir_; }

private:
  std::filesystem::path dir_;
};

/// The certificates of mutual TLS for tests: a CA, node1..node3 and client; made once per
/// test process.
inline const std::filesystem::path& test_certificates() {
  static const certificate_folder folder{"hogar_certs_", "node1 node2 node3 client"};
  return folder.path();
}

/// The flags that give a client the certificate NAME from `dir` (see test_certificates).
inline std::string tls_client_flags(const std::filesystem::path& dir,
                                    const std::string& name = "client") {
  return " --tls-certificate='" + (dir / (name + ".pem")).string() + "' --tls-key='"
         + (dir / (name + ".key")).string() + "' --tls-ca='" + (dir / "ca.pem").string() + "'";
}

/// Whether the other end closed `fd`: reads (without blocking) what it sent until the end of
/// the stream, an error, or nothing more for now.
inline bool closed_by_peer(int fd) {
  std::array<char, 4096> buf{};
  for (;;) {
    auto n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n > 0)
      continue;
    if (n == 0)
      return true;
    return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
  }
}

/// Resident memory of process `pid`, KiB (0 when it is gone).
inline long resident_kib(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stol(line.substr(6));
  return 0;
}

/// Open file descriptors of process `pid`.
inline std::size_t open_fds(pid_t pid) {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator{"/proc/" + std::to_string(pid) + "/fd", ec};
       !ec && it != std::filesystem::directory_iterator{}; it.increment(ec))
    ++n;
  return n;
}

/// Raises this process's soft limit on open files towards `wanted` (up to the hard limit);
/// returns the limit in force. Daemons started afterwards inherit it.
inline rlim_t raise_fd_limit(rlim_t wanted) {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < wanted) {
    lim.rlim_cur = std::min(wanted, lim.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &lim);
    ::getrlimit(RLIMIT_NOFILE, &lim);
  }
  return lim.rlim_cur;
}

/// How the daemons of a local_cluster start, beyond the fixture's own flags.
struct daemon_options {
  /// More hogard flags for every daemon (each key once: the fixture sets name, host, ports,
  /// threads, heartbeats, log level, model repository and seeds).
  std::vector<std::string> extra_args;
  /// A folder from test_certificates(): daemon i gets nodeI+1.pem/.key and ca.pem (mutual
  /// TLS), and cli() passes the client's certificate.
  std::filesystem::path tls_dir;
  /// More flags of daemon i alone (its labels, say).
  std::vector<std::vector<std::string>> node_args;
};

/// A running hogard process.
struct daemon {
  std::string name;
  std::uint16_t actor_port = 0;
  std::uint16_t http_port = 0;
  pid_t pid = -1;
  std::filesystem::path log;

  std::string cluster() const { return "--cluster 127.0.0.1:" + std::to_string(actor_port); }
};

/// N daemons forming one cluster; the first is the seed of the others.
class local_cluster {
public:
  /// `model_repository`: the daemons' model-repository (the build's example models unless
  /// a test brings its own).
  explicit local_cluster(std::size_t size, std::int64_t heartbeat_ms = 100,
                         std::string model_repository = HOGAR_MODEL_REPOSITORY,
                         daemon_options options = {})
    : model_repository_(std::move(model_repository)), options_(std::move(options)) {
    for (std::size_t i = 0; i < size; ++i) {
      daemon d;
      d.name = "node" + std::to_string(i + 1);
      d.actor_port = free_port();
      d.http_port = free_port();
      d.log = std::filesystem::temp_directory_path()
              / ("hogar_cluster_" + std::to_string(::getpid()) + "_" + d.name + ".log");
      nodes_.push_back(d);
    }
    heartbeat_ms_ = heartbeat_ms;
    for (std::size_t i = 0; i < size; ++i)
      start(i);
  }

  ~local_cluster() {
    for (auto& d : nodes_)
      if (d.pid > 0) {
        ::kill(d.pid, SIGKILL);
        ::waitpid(d.pid, nullptr, 0);
      }
    for (auto& d : nodes_)
      std::filesystem::remove(d.log);
  }

  daemon& operator[](std::size_t i) { return nodes_[i]; }
  std::size_t size() const { return nodes_.size(); }

  /// (Re)starts daemon i with its ports and name.
  void start(std::size_t i) {
    auto& d = nodes_[i];
    std::vector<std::string> args{
      HOGARD_BIN,
      "--name=" + d.name,
      "--host=127.0.0.1",
      "--actor-port=" + std::to_string(d.actor_port),
      "--http-port=" + std::to_string(d.http_port),
      "--cpu-threads=2",
      "--heartbeat-interval-ms=" + std::to_string(heartbeat_ms_),
      "--heartbeat-miss-count=3",
      "--drain-timeout-ms=10000",
      "--log-level=debug",
      "--model-repository=" + model_repository_};
    if (i > 0)
      args.push_back("--seeds=127.0.0.1:" + std::to_string(nodes_[0].actor_port));
    if (!options_.tls_dir.empty()) {
      auto& dir = options_.tls_dir;
      auto name = "node" + std::to_string(i + 1);
      args.push_back("--tls-certificate=" + (dir / (name + ".pem")).string());
      args.push_back("--tls-key=" + (dir / (name + ".key")).string());
      args.push_back("--tls-ca=" + (dir / "ca.pem").string());
    }
    args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
    if (i < options_.node_args.size())
      args.insert(args.end(), options_.node_args[i].begin(), options_.node_args[i].end());
    d.pid = spawn_process(args, d.log);
  }

  /// `hogar ARGS`, with the client's certificate when the daemons speak TLS.
  command_result cli(const std::string& args) const {
    return hogar_cli(args + (options_.tls_dir.empty() ? std::string{}
                                                      : tls_client_flags(options_.tls_dir)));
  }

  /// Sends `sig` and, for SIGTERM, waits for the exit; returns the exit status (-1 on a
  /// signal death).
  int stop(std::size_t i, int sig = SIGTERM) {
    auto& d = nodes_[i];
    if (d.pid <= 0)
      return -1;
    ::kill(d.pid, sig);
    int status = 0;
    ::waitpid(d.pid, &status, 0);
    d.pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  /// The member states daemon i reports, by name ("" when it does not answer).
  std::map<std::string, std::string> view(std::size_t i) {
    std::map<std::string, std::string> states;
    auto r = cli("nodes --json --timeout-ms 2000 " + nodes_[i].cluster());
    if (r.exit_code != 0)
      return states;
    auto doc = nlohmann::json::parse(r.out, nullptr, false);
    if (doc.is_discarded())
      return states;
    for (auto& m : doc)
      states[m["name"].get<std::string>()] = m["state"].get<std::string>();
    return states;
  }

  /// Waits until every running daemon sees every running daemon alive.
  /// Whether every running daemon sees every running daemon alive within `limit`; when not,
  /// says what each one saw last and shows the daemons' logs (a test REQUIREs this first).
  bool converged(std::chrono::milliseconds limit = 30s) {
    std::string last;
    bool ok = eventually(
      [this, &last] {
        last.clear();
        bool all = true;
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
          if (nodes_[i].pid <= 0)
            continue;
          auto v = view(i);
          last += nodes_[i].name + " sees:";
          for (auto& d : nodes_) {
            last += " " + d.name + "=" + (v.count(d.name) ? v[d.name] : std::string{"?"});
            all = all && (d.pid <= 0 || v[d.name] == "alive");
          }
          last += "\n";
        }
        return all;
      },
      limit);
    if (!ok)
      MESSAGE("the daemons did not converge:\n", last, logs());
    return ok;
  }

  std::string logs() const {
    std::string all;
    for (auto& d : nodes_)
      all += "---- " + d.name + " ----\n" + slurp(d.log);
    return all;
  }

private:
  std::string model_repository_;
  daemon_options options_;
  std::vector<daemon> nodes_;
  std::int64_t heartbeat_ms_ = 100;
};

} // namespace hogar::test
