// The actor port without TLS (loopback only), tried as an attacker would: the exact inputs of
// issue 8's defects 3 (a message header that claims 4 GiB) and 4 (handshakes that never
// finish), a connected peer over the message limit, and the loud warning for a daemon whose
// actor port listens beyond loopback without TLS.
#include "test/cluster/cluster_fixture.hpp"

using namespace hogar::test;

namespace {

/// A BASP header as CAF 0.17 reads it (32 bytes, network byte order): operation
/// client_handshake (1), two padding bytes, flags 0, payload_len 0xffffffff, then
/// operation_data, source and destination actor, all 0. CAF checks that it is valid and then
/// reserves the announced 4 GiB.
std::string header_claiming_4_gib() {
  std::string header(32, '\0');
  header[0] = 1;
  for (int i = 4; i < 8; ++i)
    header[i] = '\xff';
  return header;
}

bool all_closed(const std::vector<int>& fds) {
  return std::all_of(fds.begin(), fds.end(), [](int fd) { return closed_by_peer(fd); });
}

void close_all(std::vector<int>& fds) {
  for (int fd : fds)
    ::close(fd);
  fds.clear();
}

} // namespace

TEST_CASE("a message header that claims 4 GiB closes its connection and reserves nothing") {
  local_cluster cluster{1};
  REQUIRE(cluster.converged());
  auto pid = cluster[0].pid;
  auto before_kib = resident_kib(pid);
  // Six at once: before the fix, each made the daemon zero-fill 4 GiB.
  std::vector<int> fds;
  auto header = header_claiming_4_gib();
  for (int i = 0; i < 6; ++i) {
    int fd = connect_loopback(cluster[0].actor_port);
    REQUIRE(fd >= 0);
    CHECK(::send(fd, header.data(), header.size(), MSG_NOSIGNAL) == 32);
    fds.push_back(fd);
  }
  INFO(cluster.logs());
  CHECK(eventually([&] { return all_closed(fds); }, 5s));
  CHECK(resident_kib(pid) < before_kib + 64 * 1024);
  CHECK(cluster.logs().find("announced a message of 4294967295 bytes before its handshake")
        != std::string::npos);
  CHECK(cluster.view(0)["node1"] == "alive");
  close_all(fds);
}

TEST_CASE("a connected peer that sends more than actor-max-message-bytes is disconnected") {
  local_cluster cluster{1, 100, HOGAR_MODEL_REPOSITORY,
                        daemon_options{{"--actor-max-message-bytes=65536"}, {}, {}}};
  REQUIRE(cluster.converged());
  // The CLI completes its handshake, then sends the graph's text in one message.
  auto big = std::filesystem::temp_directory_path()
             / (std::to_string(::getpid()) + "_big_graph.yaml");
  std::ofstream{big} << "graph: big\ndescription: " << std::string(200'000, 'x') << "\n"
                     << "inputs: [{name: x, dtype: float32, shape: [1]}]\n"
                     << "operators:\n  - {name: a, kind: identity, inputs: [x]}\n"
                     << "outputs: [{name: y, from: a}]\n";
  auto refused = hogar_cli("submit " + big.string() + " --timeout-ms 2000 " + cluster[0].cluster());
  INFO(refused.err, cluster.logs());
  CHECK(refused.exit_code == 1);
  CHECK(eventually([&] {
    return cluster.logs().find("over the limit of 65536 bytes (actor-max-message-bytes)")
           != std::string::npos;
  }, 5s));
  // The daemon is unharmed, and messages under the limit pass.
  auto small = hogar_cli("submit config/graphs/sentiment.yaml " + cluster[0].cluster());
  CHECK(small.exit_code == 0);
  CHECK(cluster.view(0)["node1"] == "alive");
  std::filesystem::remove(big);
}

TEST_CASE("2000 connections that send 10 bytes each are closed when the handshake times out") {
  const int wanted = 2000;
  auto limit = raise_fd_limit(wanted + 256);
  const int count = std::min<int>(wanted, static_cast<int>(limit) - 256);
  if (count < wanted)
    MESSAGE("open-file limit " << limit << ": " << count << " connections instead of " << wanted);
  local_cluster cluster{2, 100, HOGAR_MODEL_REPOSITORY,
                        daemon_options{{"--actor-handshake-timeout-ms=1000"}, {}, {}}};
  REQUIRE(cluster.converged());
  auto pid = cluster[0].pid;
  auto fds_before = open_fds(pid);
  std::vector<int> fds;
  for (int i = 0; i < count; ++i) {
    int fd = connect_loopback(cluster[0].actor_port);
    REQUIRE(fd >= 0);
    ::send(fd, "0123456789", 10, MSG_NOSIGNAL);
    fds.push_back(fd);
  }
  INFO(cluster.logs());
  // The daemon holds at most actor-max-connections of them and closes those after 1 s.
  CHECK(eventually([&] { return all_closed(fds); }, 10s));
  CHECK(eventually([&] { return open_fds(pid) <= fds_before + 2; }, 5s));
  auto logs = cluster.logs();
  CHECK(logs.find("no handshake within 1000 ms (actor-handshake-timeout-ms)") != std::string::npos);
  CHECK(logs.find("connections are open (actor-max-connections)") != std::string::npos);
  // The established connection between the nodes kept working, and new clients get in.
  CHECK(cluster.view(1)["node1"] == "alive");
  CHECK(cluster.view(0)["node2"] == "alive");
  close_all(fds);
}

TEST_CASE("hogard --help lists the actor port's limits with their defaults") {
  auto r = run_command(std::string{"'"} + HOGARD_BIN + "' --help");
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("--actor-max-message-bytes arg (=134217728)") != std::string::npos);
  CHECK(r.out.find("--actor-handshake-timeout-ms arg (=5000)") != std::string::npos);
  CHECK(r.out.find("--actor-max-connections arg (=256)") != std::string::npos);
  CHECK(r.out.find("--tls-certificate") != std::string::npos);
  auto bad = run_command(std::string{"'"} + HOGARD_BIN
                         + "' --name=n --actor-max-message-bytes=100 --http-port=0");
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("actor-max-message-bytes") != std::string::npos);
}

TEST_CASE("an actor port on a non-loopback address without TLS warns loudly at start") {
  auto log = std::filesystem::temp_directory_path()
             / ("hogar_exposed_" + std::to_string(::getpid()) + ".log");
  auto port = free_port();
  auto pid = spawn_process({HOGARD_BIN, "--name=exposed", "--host=0.0.0.0",
                            "--actor-port=" + std::to_string(port), "--http-port=0",
                            "--cpu-threads=1"},
                           log);
  auto started = eventually(
    [&] { return slurp(log).find("hogard exposed: actor port") != std::string::npos; }, 10s);
  auto text = slurp(log);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  std::filesystem::remove(log);
  INFO(text);
  REQUIRE(started);
  CHECK(text.find("WARNING: the actor port listens on 0.0.0.0, which is not a loopback "
                  "address, without TLS")
        != std::string::npos);
  CHECK(text.find("(plain TCP)") != std::string::npos);
}
