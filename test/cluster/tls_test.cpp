// Mutual TLS on the actor port (issue 8, deliverable 2): a cluster whose daemons, CLI and
// inspector present certificates from one CA (made by scripts/make-certs.sh); peers without
// one are refused during the TLS handshake, before any actor message is read, so the attacks
// of defects 3 and 4 cannot be reached without a certificate; and unfinished TLS handshakes
// are closed like unfinished BASP handshakes.
#include "test/cluster/cluster_fixture.hpp"

#include <set>

using namespace hogar::test;

namespace {

daemon_options with_tls(std::vector<std::string> extra_args = {}) {
  return daemon_options{std::move(extra_args), test_certificates(), {}};
}

/// Certificates from a CA of their own: what a stranger to the cluster would have.
const std::filesystem::path& stranger_certificates() {
  static const certificate_folder folder{"hogar_stranger_certs_", "client"};
  return folder.path();
}

std::string inspect(const std::string& args) {
  return std::string{"'"} + HOGAR_INSPECT_BIN + "' " + args;
}

bool all_closed(const std::vector<int>& fds) {
  return std::all_of(fds.begin(), fds.end(), [](int fd) { return closed_by_peer(fd); });
}

} // namespace

TEST_CASE("three daemons form a cluster over mutual TLS, serve a graph and survive a loss") {
  local_cluster cluster{3, 100, HOGAR_MODEL_REPOSITORY, with_tls()};
  INFO(cluster.logs());
  REQUIRE(cluster.converged());
  CHECK(cluster.logs().find("(mutual TLS)") != std::string::npos);
  auto submit =
    cluster.cli("submit config/graphs/image-analysis.yaml --json " + cluster[0].cluster());
  INFO(submit.err);
  REQUIRE(submit.exit_code == 0);
  CHECK(placement_nodes(submit.out).size() == 3);
  auto infer = cluster.cli("infer image-analysis --json " + cluster[2].cluster());
  INFO(infer.err);
  CHECK(infer.exit_code == 0);
  // node2 and node3 learned of each other through node1 and connected themselves (CAF's
  // automatic connections are plain TCP, off with TLS): losing node1 leaves them together.
  cluster.stop(0, SIGKILL);
  CHECK(eventually([&] { return cluster.view(1)["node1"] == "dead"; }, 5s));
  CHECK(eventually([&] { return cluster.view(2)["node1"] == "dead"; }, 5s));
  CHECK(cluster.view(1)["node3"] == "alive");
  CHECK(cluster.view(2)["node2"] == "alive");
  // A restarted node1 rejoins over TLS.
  cluster.start(0);
  CHECK(cluster.converged(20s));
}

TEST_CASE("a client without a certificate from the cluster's CA is refused in the handshake") {
  local_cluster cluster{1, 100, HOGAR_MODEL_REPOSITORY, with_tls()};
  REQUIRE(cluster.converged());
  auto pid = cluster[0].pid;
  auto before_kib = resident_kib(pid);

  // Plain BASP (no TLS at all).
  auto plain = hogar_cli("nodes --timeout-ms 3000 " + cluster[0].cluster());
  CHECK(plain.exit_code == 1);
  CHECK(plain.err.find("cannot reach a hogar daemon") != std::string::npos);
  // A whole set from another CA: the CLI does not trust the daemon either.
  auto stranger = hogar_cli("nodes --timeout-ms 3000 " + cluster[0].cluster()
                            + tls_client_flags(stranger_certificates()));
  CHECK(stranger.exit_code == 1);
  // A certificate from another CA, trusting the daemon's: the daemon refuses it. And TLS
  // without any client certificate.
  auto s_client = [&](const std::string& more) {
    return run_command("openssl s_client -connect 127.0.0.1:"
                       + std::to_string(cluster[0].actor_port) + " -CAfile '"
                       + (test_certificates() / "ca.pem").string() + "'" + more + " < /dev/null");
  };
  auto foreign = s_client(" -cert '" + (stranger_certificates() / "client.pem").string()
                          + "' -key '" + (stranger_certificates() / "client.key").string() + "'");
  auto no_cert = s_client("");
  // Defect 3's header, sent without TLS: it is no TLS record, so the handshake fails at once.
  int fd = connect_loopback(cluster[0].actor_port);
  REQUIRE(fd >= 0);
  std::string header(32, '\0');
  header[0] = 1;
  for (int i = 4; i < 8; ++i)
    header[i] = '\xff';
  ::send(fd, header.data(), header.size(), MSG_NOSIGNAL);
  INFO(cluster.logs());
  CHECK(eventually([&] { return closed_by_peer(fd); }, 5s));
  ::close(fd);
  CHECK(resident_kib(pid) < before_kib + 64 * 1024);
  auto logs = cluster.logs();
  CHECK(logs.find("TLS handshake failed") != std::string::npos);
  CHECK(logs.find("certificate verify failed") != std::string::npos);
  CHECK(logs.find("peer did not return a certificate") != std::string::npos);
  // No actor message was read from any of them, and members with certificates still get in.
  CHECK(cluster.view(0)["node1"] == "alive");
}

TEST_CASE("unfinished TLS handshakes are closed when actor-handshake-timeout-ms passes") {
  local_cluster cluster{1, 100, HOGAR_MODEL_REPOSITORY,
                        with_tls({"--actor-handshake-timeout-ms=500"})};
  REQUIRE(cluster.converged());
  auto pid = cluster[0].pid;
  auto fds_before = open_fds(pid);
  // The first 10 bytes of a ClientHello (record header, then the handshake header), and
  // connections that send nothing: both leave SSL_accept waiting for more.
  const char hello[] = "\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03";
  std::vector<int> fds;
  for (int i = 0; i < 200; ++i) {
    int fd = connect_loopback(cluster[0].actor_port);
    REQUIRE(fd >= 0);
    if (i % 2 == 0)
      ::send(fd, hello, 10, MSG_NOSIGNAL);
    fds.push_back(fd);
  }
  INFO(cluster.logs());
  CHECK(eventually([&] { return all_closed(fds); }, 10s));
  CHECK(eventually([&] { return open_fds(pid) <= fds_before + 2; }, 5s));
  CHECK(cluster.logs().find("no handshake within 500 ms") != std::string::npos);
  for (int fd : fds)
    ::close(fd);
  CHECK(cluster.view(0)["node1"] == "alive");
}

TEST_CASE("the inspector and the CLI take the TLS flags, or HOGAR_TLS_* from the environment") {
  local_cluster cluster{1, 100, HOGAR_MODEL_REPOSITORY, with_tls()};
  REQUIRE(cluster.converged());
  auto& certs = test_certificates();
  auto snapshot = run_command(inspect("--json" + tls_client_flags(certs) + " 127.0.0.1:"
                                      + std::to_string(cluster[0].actor_port)));
  INFO(snapshot.err);
  REQUIRE(snapshot.exit_code == 0);
  CHECK(nlohmann::json::parse(snapshot.out)["nodes"].size() == 1);
  auto env = "env HOGAR_TLS_CERTIFICATE='" + (certs / "client.pem").string()
             + "' HOGAR_TLS_KEY='" + (certs / "client.key").string() + "' HOGAR_TLS_CA='"
             + (certs / "ca.pem").string() + "' ";
  auto nodes = run_command(env + "'" + HOGAR_CLI + "' nodes --json " + cluster[0].cluster());
  INFO(nodes.err);
  CHECK(nodes.exit_code == 0);
}

TEST_CASE("TLS files that do not fit stop the daemon and the clients, naming the key") {
  auto& certs = test_certificates();
  auto daemon = [&](const std::string& cert, const std::string& key, const std::string& ca) {
    return run_command(std::string{"'"} + HOGARD_BIN + "' --name=t --http-port=0 --actor-port="
                       + std::to_string(free_port()) + " --tls-certificate='" + cert
                       + "' --tls-key='" + key + "' --tls-ca='" + ca + "'");
  };
  auto pem = [&](const std::string& name) { return (certs / name).string(); };
  auto missing = daemon(pem("nope.pem"), pem("node1.key"), pem("ca.pem"));
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("'tls-certificate': cannot open") != std::string::npos);
  auto wrong_key = daemon(pem("node1.pem"), pem("node2.key"), pem("ca.pem"));
  CHECK(wrong_key.exit_code == 1);
  CHECK(wrong_key.err.find("tls-key:") != std::string::npos);
  CHECK(wrong_key.err.find("does not belong to the certificate") != std::string::npos);
  auto other_ca = daemon(pem("node1.pem"), pem("node1.key"),
                         (stranger_certificates() / "ca.pem").string());
  CHECK(other_ca.exit_code == 1);
  CHECK(other_ca.err.find("does not verify against the CA") != std::string::npos);
  auto two_of_three = run_command(std::string{"'"} + HOGARD_BIN
                                  + "' --name=t --http-port=0 --tls-certificate='"
                                  + pem("node1.pem") + "' --tls-key='" + pem("node1.key") + "'");
  CHECK(two_of_three.exit_code == 1);
  CHECK(two_of_three.err.find("go together") != std::string::npos);
  auto client = hogar_cli("nodes --cluster 127.0.0.1:1 --tls-certificate='" + pem("client.pem")
                          + "' --tls-key='" + pem("node1.key") + "' --tls-ca='" + pem("ca.pem")
                          + "'");
  CHECK(client.exit_code == 1);
  CHECK(client.err.find("tls-key:") != std::string::npos);
}
