#include "actors/actor_port_scribe.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include <caf/binary_deserializer.hpp>
#include <caf/io/basp/header.hpp>
#include <caf/io/network/operation.hpp>
#include <caf/make_counted.hpp>
#include <fmt/format.h>

namespace hogar {

namespace net = caf::io::network;
using caf::io::basp::message_type;

namespace {

/// CAF names a connection after its socket's number (conn_hdl_from_socket), and its BASP
/// broker forgets a closed connection later, through its own mailbox: by then a new
/// connection may hold the same number, and the cleanup removes the new one's route and
/// endpoint state instead. A member whose route went that way stayed unreachable for good:
/// the table still named a connection that no longer existed, so every later connection to
/// the member looked redundant and was closed (a 3-node cluster did not converge in CI).
/// The actor port's connections get numbers that no connection ever had: above any socket
/// number, counting up for the life of the process.
caf::io::connection_handle unique_connection_handle() {
  static std::atomic<std::int64_t> next{std::int64_t{1} << 40};
  return caf::io::connection_handle::from_int(next.fetch_add(1, std::memory_order_relaxed));
}

} // namespace

template <class Base>
template <class... Ts>
actor_port_scribe<Base>::actor_port_scribe(std::shared_ptr<actor_port_guard> guard,
                                           bool accepted, std::string peer, Ts&&... xs)
  : Base(std::forward<Ts>(xs)...), guard_(std::move(guard)), accepted_(accepted),
    peer_(std::move(peer)) {
  // Before the broker sees this scribe: the handle names it and every message it delivers.
  this->hdl_ = unique_connection_handle();
  this->msg().handle = this->hdl_;
}

template <class Base>
actor_port_scribe<Base>::~actor_port_scribe() {
  // Before the stream member closes the socket: a sweep that holds the guard's lock may be
  // about to shut this socket down.
  stop_watching();
  if (accepted_)
    guard_->release();
}

template <class Base>
void actor_port_scribe<Base>::configure_read(caf::io::receive_policy::config config) {
  if (phase_ == phase::refused)
    return;
  auto& limits = guard_->limits();
  auto limit = phase_ == phase::established
                 ? limits.max_message_bytes
                 : std::min(limits.max_handshake_bytes, limits.max_message_bytes);
  if (config.second > limit) {
    refuse(config.second, limit);
    return;
  }
  // The first configure_read launches the stream: the deadline starts with the first read.
  if (phase_ == phase::handshaking && !watched_) {
    guard_->watch(this, peer_);
    watched_ = true;
  }
  Base::configure_read(config);
}

template <class Base>
bool actor_port_scribe<Base>::consume(caf::execution_unit* ctx, const void* buf,
                                      std::size_t num_bytes) {
  if (phase_ == phase::refused) {
    // Bytes the peer sent after the refused header: never hand them to the broker.
    this->io_failure(ctx, net::operation::read);
    return false;
  }
  if (phase_ == phase::handshaking) {
    if (expecting_header_) {
      caf::io::basp::header header;
      caf::binary_deserializer source{ctx, static_cast<const char*>(buf), num_bytes};
      // A header that does not parse is the broker's to reject (it closes the connection).
      if (num_bytes == caf::io::basp::header_size && !source(header)) {
        if (header.payload_len > 0) {
          expecting_header_ = false;
          pending_operation_ = header.operation;
        } else {
          on_message(header.operation);
        }
      }
    } else {
      expecting_header_ = true;
      on_message(pending_operation_);
    }
  }
  auto more = Base::consume(ctx, buf, num_bytes);
  if (auto& buffer = this->rd_buf(); buffer.capacity() > keep_buffer_bytes)
    std::vector<char>{}.swap(buffer);
  return more;
}

template <class Base>
void actor_port_scribe<Base>::abort_handshake() {
  ::shutdown(this->stream_.fd(), SHUT_RDWR);
}

template <class Base>
void actor_port_scribe<Base>::on_message(message_type operation) {
  // The server's first message is its handshake, and a client answers it with its own; any
  // other message first leaves the connection handshaking (the broker closes it anyway).
  auto expected = accepted_ ? message_type::client_handshake : message_type::server_handshake;
  if (operation != expected)
    return;
  phase_ = phase::established;
  stop_watching();
}

template <class Base>
void actor_port_scribe<Base>::refuse(std::size_t announced, std::size_t limit) {
  auto established = phase_ == phase::established;
  phase_ = phase::refused;
  stop_watching();
  guard_->note(
    actor_port_guard::note_kind::message_size,
    established
      ? fmt::format("closed the connection of {}: it announced a message of {} bytes, over "
                    "the limit of {} bytes (actor-max-message-bytes)",
                    peer_, announced, limit)
      : fmt::format("closed the connection of {}: it announced a message of {} bytes before "
                    "its handshake, over the limit of {} bytes",
                    peer_, announced, limit));
  // The broker still expects a payload; shutting the socket down makes the multiplexer's
  // next read fail, and the usual failure path tells the broker and frees the connection.
  ::shutdown(this->stream_.fd(), SHUT_RDWR);
}

template <class Base>
void actor_port_scribe<Base>::stop_watching() {
  if (watched_) {
    guard_->unwatch(this);
    watched_ = false;
  }
}

caf::io::scribe_ptr make_actor_port_scribe(net::default_multiplexer& mpx, net::native_socket fd,
                                           std::shared_ptr<actor_port_guard> guard,
                                           bool accepted, std::string peer) {
  return caf::make_counted<actor_port_scribe<net::scribe_impl>>(std::move(guard), accepted,
                                                                std::move(peer), mpx, fd);
}

caf::io::scribe_ptr make_actor_port_tls_scribe(net::default_multiplexer& mpx,
                                               net::native_socket fd,
                                               caf::openssl::session_ptr session,
                                               std::shared_ptr<actor_port_guard> guard,
                                               bool accepted, std::string peer) {
  auto base_guard = guard;
  auto base_peer = peer;
  return caf::make_counted<actor_port_scribe<actor_port_tls_scribe>>(
    std::move(guard), accepted, std::move(peer), mpx, fd, std::move(session),
    std::move(base_guard), std::move(base_peer), accepted);
}

std::string peer_of(net::native_socket fd) {
  auto addr = net::remote_addr_of_fd(fd);
  auto port = net::remote_port_of_fd(fd);
  if (!addr || !port)
    return "an unknown peer";
  return fmt::format("{}:{}", *addr, *port);
}

} // namespace hogar
