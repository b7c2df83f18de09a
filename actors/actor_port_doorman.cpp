#include "actors/actor_port_doorman.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <exception>

#include <caf/io/abstract_broker.hpp>
#include <caf/openssl/session.hpp>
#include <openssl/err.h>
#include <fmt/format.h>

#include "actors/actor_port_scribe.hpp"
#include "actors/actor_port_tls_scribe.hpp"

namespace hogar {

namespace net = caf::io::network;

actor_port_accept_policy::actor_port_accept_policy(std::shared_ptr<actor_port_guard> guard)
  : guard_(std::move(guard)), spare_fd_(::open("/dev/null", O_RDONLY | O_CLOEXEC)) {}

actor_port_accept_policy::~actor_port_accept_policy() {
  if (spare_fd_ >= 0)
    ::close(spare_fd_);
}

bool actor_port_accept_policy::try_accept(net::native_socket& result,
                                          net::native_socket listener) {
  result = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (result >= 0)
    return true;
  result = net::invalid_native_socket;
  auto err = errno;
  if (err == EMFILE || err == ENFILE) {
    // Level-triggered polling reports the waiting connection again and again: take it off
    // the backlog with the spare descriptor so that the loop does not spin.
    if (spare_fd_ >= 0) {
      ::close(spare_fd_);
      spare_fd_ = -1;
      if (auto fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC); fd >= 0)
        ::close(fd);
      spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    guard_->note(actor_port_guard::note_kind::connection_limit,
                 "refused a connection: the process is out of file descriptors (raise "
                 "`ulimit -n`)");
    return true;
  }
  // Nothing waiting, or a connection that was reset before we took it.
  if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == ECONNABORTED
      || err == EPROTO)
    return true;
  return false;
}

actor_port_doorman::actor_port_doorman(net::default_multiplexer& mpx,
                                       net::native_socket listener,
                                       std::shared_ptr<actor_port_guard> guard, bool tls)
  : caf::io::doorman(net::accept_hdl_from_socket(listener)), guard_(guard), tls_(tls),
    acceptor_(mpx, listener, std::move(guard)) {}

bool actor_port_doorman::new_connection() {
  if (detached())
    // The broker let go of this doorman while the multiplexer still had an event for it.
    return false;
  auto& mpx = acceptor_.backend();
  auto fd = acceptor_.accepted_socket();
  if (!guard_->try_admit()) {
    ::close(fd);
    guard_->note(actor_port_guard::note_kind::connection_limit,
                 fmt::format("refused a connection: {} connections are open "
                             "(actor-max-connections)",
                             guard_->limits().max_connections));
    return true;
  }
  auto peer = peer_of(fd);
  caf::io::scribe_ptr scribe;
  if (!tls_) {
    scribe = make_actor_port_scribe(mpx, fd, guard_, true, std::move(peer));
  } else {
    net::nonblocking(fd, true);
    caf::openssl::session_ptr session;
    std::string failure;
    try {
      // Reads the certificate, key and CA files (CAF makes one OpenSSL context per
      // connection) and starts SSL_accept; it throws when a file went missing since start.
      ERR_clear_error(); // see actor_port_tls_policy::read_some
      session = caf::openssl::make_session(parent()->system(), fd, true);
    } catch (const std::exception& e) {
      failure = fmt::format("cannot start a TLS session: {}", e.what());
    }
    if (!session) {
      if (failure.empty())
        failure = "TLS handshake failed (" + take_openssl_error("at once") + ")";
      guard_->note(actor_port_guard::note_kind::tls, fmt::format("refused {}: {}", peer, failure));
      ::close(fd);
      guard_->release();
      return true;
    }
    scribe = make_actor_port_tls_scribe(mpx, fd, std::move(session), guard_, true,
                                        std::move(peer));
  }
  auto hdl = scribe->hdl();
  parent()->add_scribe(std::move(scribe));
  return caf::io::doorman::new_connection(&mpx, hdl);
}

void actor_port_doorman::graceful_shutdown() {
  acceptor_.graceful_shutdown();
  detach(&acceptor_.backend(), false);
}

void actor_port_doorman::launch() {
  acceptor_.start(this);
}

std::string actor_port_doorman::addr() const {
  auto x = net::local_addr_of_fd(acceptor_.fd());
  return x ? *x : std::string{};
}

std::uint16_t actor_port_doorman::port() const {
  auto x = net::local_port_of_fd(acceptor_.fd());
  return x ? *x : std::uint16_t{0};
}

void actor_port_doorman::add_to_loop() {
  acceptor_.activate(this);
}

void actor_port_doorman::remove_from_loop() {
  acceptor_.passivate();
}

} // namespace hogar
