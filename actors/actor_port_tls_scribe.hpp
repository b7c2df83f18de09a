// actor_port_tls_scribe.hpp: a CAF scribe (one TCP connection of the BASP broker) whose bytes
// go through a TLS session of CAF's openssl module (caf::openssl::session: mutual
// certificates from openssl.certificate/key/cafile, SSL_VERIFY_PEER|FAIL_IF_NO_PEER_CERT).
// CAF's own TLS scribe is private to libcaf_openssl, so the actor port brings this one, which
// actor_port_scribe.hpp then wraps with the port's limits. A peer whose certificate does not
// verify fails SSL_accept/SSL_connect, before any BASP byte is read; the failure is reported
// through the port's guard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/io/network/default_multiplexer.hpp>
#include <caf/io/network/rw_state.hpp>
#include <caf/io/network/stream_impl.hpp>
#include <caf/io/scribe.hpp>
#include <caf/openssl/session.hpp>

#include "actors/actor_port_guard.hpp"

namespace hogar {

/// The newest OpenSSL error of this thread as text, or `fallback` when there is none; empties
/// the thread's error queue.
std::string take_openssl_error(const char* fallback);

/// The stream policy of a TLS connection: reads and writes through the session (small reads
/// from one decrypted record at a time), and reports a failure that happens before any
/// application data arrived as a failed TLS handshake.
class actor_port_tls_policy {
public:
  actor_port_tls_policy(caf::openssl::session_ptr session,
                        std::shared_ptr<actor_port_guard> guard, std::string peer,
                        bool accepted);

  caf::io::network::rw_state read_some(std::size_t& result, caf::io::network::native_socket fd,
                                       void* buf, std::size_t len);
  caf::io::network::rw_state write_some(std::size_t& result,
                                        caf::io::network::native_socket fd, const void* buf,
                                        std::size_t len);
  bool must_read_more(caf::io::network::native_socket fd, std::size_t threshold);

private:
  /// One TLS record holds at most 16 KiB of data.
  static constexpr std::size_t record_bytes = 16 * 1024;

  void on_failure();

  caf::openssl::session_ptr session_;
  /// The last record read for a small request, sized on first use (record_bytes);
  /// [record_pos_, record_len_) is still to be handed to the stream.
  std::vector<char> record_;
  std::size_t record_len_ = 0;
  std::size_t record_pos_ = 0;
  std::shared_ptr<actor_port_guard> guard_;
  std::string peer_;
  bool accepted_;
  /// Application data has arrived: the TLS handshake is behind us.
  bool established_ = false;
  bool reported_ = false;
};

class actor_port_tls_scribe : public caf::io::scribe {
public:
  actor_port_tls_scribe(caf::io::network::default_multiplexer& mpx,
                        caf::io::network::native_socket fd, caf::openssl::session_ptr session,
                        std::shared_ptr<actor_port_guard> guard, std::string peer,
                        bool accepted);

  void configure_read(caf::io::receive_policy::config config) override;
  void ack_writes(bool enable) override;
  std::vector<char>& wr_buf() override;
  std::vector<char>& rd_buf() override;
  void graceful_shutdown() override;
  void flush() override;
  std::string addr() const override;
  std::uint16_t port() const override;
  void add_to_loop() override;
  void remove_from_loop() override;

protected:
  /// Starts reading, and asks for one write event even with nothing to send: the session
  /// continues SSL_accept/SSL_connect only from inside its reads and writes, so the side
  /// that must speak first in the TLS handshake needs a write event before it has data.
  void launch();

  bool launched_ = false;
  caf::io::network::stream_impl<actor_port_tls_policy> stream_;
};

} // namespace hogar
