#include "actors/actor_port_tls_scribe.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <openssl/err.h>

#include <fmt/format.h>

namespace hogar {

namespace net = caf::io::network;

std::string take_openssl_error(const char* fallback) {
  std::string text = fallback;
  if (auto code = ERR_peek_last_error(); code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    text = buf;
  }
  ERR_clear_error();
  return text;
}

actor_port_tls_policy::actor_port_tls_policy(caf::openssl::session_ptr session,
                                             std::shared_ptr<actor_port_guard> guard,
                                             std::string peer, bool accepted)
  : session_(std::move(session)), guard_(std::move(guard)), peer_(std::move(peer)),
    accepted_(accepted) {}

net::rw_state actor_port_tls_policy::read_some(std::size_t& result, net::native_socket fd,
                                               void* buf, std::size_t len) {
  // Bytes decrypted by an earlier call first.
  if (record_pos_ < record_len_) {
    result = std::min(len, record_len_ - record_pos_);
    std::memcpy(buf, record_.data() + record_pos_, result);
    record_pos_ += result;
    return net::rw_state::success;
  }
  // The stream reads until a read yields nothing, and every call into CAF's session costs
  // three system calls besides the read (it blocks SIGPIPE around the call, then drains it).
  // Once established, answer "nothing" ourselves when OpenSSL holds no decrypted bytes and the
  // socket holds none either: one recv instead of four calls after every message.
  if (established_ && !session_->must_read_more(fd, 1)) {
    char probe = 0;
    if (::recv(fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT) < 0
        && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      result = 0;
      return net::rw_state::success;
    }
  }
  // SSL_get_error, which the session consults after every call, reads this thread's OpenSSL
  // error queue, and OpenSSL requires it to be empty before the call. CAF's session only
  // drains it in log statements, which Debian's build compiles out: an error left by one
  // connection (a peer that closed without close_notify) made the next WANT_READ of another,
  // healthy connection on the same I/O thread look fatal, and CAF closed it.
  ERR_clear_error();
  // The broker asks for a 32-byte header, then for the payload: for small messages, decrypt
  // a whole record in one call and serve both reads from it.
  if (!established_ || len >= record_bytes) {
    auto state = session_->read_some(result, fd, buf, len);
    if (state == net::rw_state::success && result > 0)
      established_ = true;
    else if (state == net::rw_state::failure)
      on_failure();
    return state;
  }
  record_.resize(record_bytes);
  std::size_t got = 0;
  auto state = session_->read_some(got, fd, record_.data(), record_.size());
  record_len_ = state == net::rw_state::success ? got : 0;
  record_pos_ = std::min(len, record_len_);
  std::memcpy(buf, record_.data(), record_pos_);
  result = record_pos_;
  if (state == net::rw_state::failure)
    on_failure();
  return state;
}

net::rw_state actor_port_tls_policy::write_some(std::size_t& result, net::native_socket fd,
                                                const void* buf, std::size_t len) {
  ERR_clear_error();
  auto state = session_->write_some(result, fd, buf, len);
  if (state == net::rw_state::failure)
    on_failure();
  return state;
}

bool actor_port_tls_policy::must_read_more(net::native_socket fd, std::size_t) {
  // Keep the stream reading while anything decrypted waits here or in OpenSSL: no socket event
  // would announce it.
  return record_pos_ < record_len_ || session_->must_read_more(fd, 1);
}

void actor_port_tls_policy::on_failure() {
  // After the handshake a failure is a closed connection like any other; before it, the peer
  // was refused (or refused us), which an operator wants to see.
  if (established_ || reported_) {
    ERR_clear_error();
    return;
  }
  reported_ = true;
  auto reason = take_openssl_error("the connection closed during the handshake");
  guard_->note(actor_port_guard::note_kind::tls,
               accepted_
                 ? fmt::format("refused {}: TLS handshake failed ({}); a peer needs a "
                               "certificate from the CA in tls-ca",
                               peer_, reason)
                 : fmt::format("TLS handshake with {} failed ({}); its certificate must come "
                               "from the CA in tls-ca",
                               peer_, reason));
}

actor_port_tls_scribe::actor_port_tls_scribe(net::default_multiplexer& mpx, net::native_socket fd,
                                             caf::openssl::session_ptr session,
                                             std::shared_ptr<actor_port_guard> guard,
                                             std::string peer, bool accepted)
  : caf::io::scribe(net::conn_hdl_from_socket(fd)),
    stream_(mpx, fd, std::move(session), std::move(guard), std::move(peer), accepted) {}

void actor_port_tls_scribe::configure_read(caf::io::receive_policy::config config) {
  stream_.configure_read(config);
  if (!launched_)
    launch();
}

void actor_port_tls_scribe::ack_writes(bool enable) {
  stream_.ack_writes(enable);
}

std::vector<char>& actor_port_tls_scribe::wr_buf() {
  return stream_.wr_buf();
}

std::vector<char>& actor_port_tls_scribe::rd_buf() {
  return stream_.rd_buf();
}

void actor_port_tls_scribe::graceful_shutdown() {
  stream_.graceful_shutdown();
  detach(&stream_.backend(), false);
}

void actor_port_tls_scribe::flush() {
  stream_.flush(this);
}

std::string actor_port_tls_scribe::addr() const {
  auto x = net::remote_addr_of_fd(stream_.fd());
  return x ? *x : std::string{};
}

std::uint16_t actor_port_tls_scribe::port() const {
  auto x = net::remote_port_of_fd(stream_.fd());
  return x ? *x : std::uint16_t{0};
}

void actor_port_tls_scribe::add_to_loop() {
  stream_.activate(this);
}

void actor_port_tls_scribe::remove_from_loop() {
  stream_.passivate();
}

void actor_port_tls_scribe::launch() {
  launched_ = true;
  stream_.start(this);
  stream_.force_empty_write(this);
}

} // namespace hogar
