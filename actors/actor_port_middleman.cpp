#include "actors/actor_port_middleman.hpp"

#include <unistd.h>

#include <exception>

#include <caf/io/middleman.hpp>
#include <caf/io/network/default_multiplexer.hpp>
#include <caf/make_counted.hpp>
#include <caf/openssl/session.hpp>
#include <openssl/err.h>
#include <caf/sec.hpp>
#include <fmt/format.h>

#include "actors/actor_port_doorman.hpp"
#include "actors/actor_port_scribe.hpp"

namespace hogar {

namespace net = caf::io::network;

namespace {

net::default_multiplexer& multiplexer_of(caf::actor_system& sys) {
  // CAF's openssl module makes the same assumption: hogar never replaces the default backend.
  return static_cast<net::default_multiplexer&>(sys.middleman().backend());
}

} // namespace

actor_port_middleman::actor_port_middleman(caf::actor_config& cfg, caf::actor broker,
                                           std::shared_ptr<actor_port_guard> guard, bool tls)
  : caf::io::middleman_actor_impl(cfg, std::move(broker)), guard_(std::move(guard)),
    tls_(tls) {}

const char* actor_port_middleman::name() const {
  return "hogar::actor_port_middleman";
}

caf::expected<caf::io::scribe_ptr> actor_port_middleman::connect(const std::string& host,
                                                                 std::uint16_t port) {
  auto fd = net::new_tcp_connection(host, port);
  if (!fd)
    return std::move(fd.error());
  auto peer = fmt::format("{}:{}", host, port);
  auto& mpx = multiplexer_of(system());
  if (!tls_)
    return make_actor_port_scribe(mpx, *fd, guard_, false, std::move(peer));
  net::nonblocking(*fd, true);
  caf::openssl::session_ptr session;
  try {
    ERR_clear_error(); // see actor_port_tls_policy::read_some
    session = caf::openssl::make_session(system(), *fd, false);
  } catch (const std::exception& e) {
    guard_->note(actor_port_guard::note_kind::tls,
                 fmt::format("cannot start a TLS session with {}: {}", peer, e.what()));
  }
  if (!session) {
    ::close(*fd);
    return caf::make_error(caf::sec::cannot_connect_to_node,
                           fmt::format("TLS handshake with {} failed", peer));
  }
  return make_actor_port_tls_scribe(mpx, *fd, std::move(session), guard_, false,
                                    std::move(peer));
}

caf::expected<caf::io::doorman_ptr> actor_port_middleman::open(std::uint16_t port,
                                                               const char* addr, bool reuse) {
  auto fd = net::new_tcp_acceptor_impl(port, addr, reuse);
  if (!fd)
    return std::move(fd.error());
  return caf::make_counted<actor_port_doorman>(multiplexer_of(system()), *fd, guard_, tls_);
}

} // namespace hogar
