#include "bench/cluster/tcp_floor.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace hogar::bench {

namespace {

using clock_type = std::chrono::steady_clock;

/// Owns one file descriptor; closing it is what tells the other end we are done.
class socket_fd {
public:
  socket_fd() = default;
  explicit socket_fd(int fd) noexcept : fd_(fd) {}
  socket_fd(socket_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  socket_fd& operator=(socket_fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  socket_fd(const socket_fd&) = delete;
  socket_fd& operator=(const socket_fd&) = delete;
  ~socket_fd() { reset(); }

  int get() const noexcept { return fd_; }

  void reset() noexcept {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }

private:
  int fd_ = -1;
};

/// Throws std::system_error for the current errno; `what` names the call and the endpoint.
/// A timeout (SO_RCVTIMEO / SO_SNDTIMEO expired) is said in words: EAGAIN alone misleads.
[[noreturn]] void throw_errno(const std::string& what, int timeout_ms) {
  int err = errno;
  if (err == EAGAIN || err == EWOULDBLOCK)
    throw std::system_error(err, std::generic_category(),
                            fmt::format("{} (no progress for io_timeout_ms={})", what, timeout_ms));
  throw std::system_error(err, std::generic_category(), what);
}

std::string endpoint(std::uint16_t port) { return fmt::format("127.0.0.1:{}", port); }

/// TCP_NODELAY (small messages leave at once, as remote actors need) and send/receive
/// timeouts, so that a peer that stops answering fails the run instead of hanging it.
void configure(int fd, int timeout_ms, const std::string& who) {
  int one = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
    throw_errno(fmt::format("setsockopt(TCP_NODELAY) on {}", who), timeout_ms);
  timeval tv{};
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = static_cast<suseconds_t>(timeout_ms % 1000) * 1000;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0)
    throw_errno(fmt::format("setsockopt(SO_RCVTIMEO) on {}", who), timeout_ms);
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0)
    throw_errno(fmt::format("setsockopt(SO_SNDTIMEO) on {}", who), timeout_ms);
}

/// One end of an established connection: blocking, whole-buffer reads and writes.
class connection {
public:
  connection(socket_fd fd, std::string who, int timeout_ms)
    : fd_(std::move(fd)), who_(std::move(who)), timeout_ms_(timeout_ms) {}

  /// Sends all n bytes. MSG_NOSIGNAL: a peer that went away is an EPIPE error, not SIGPIPE.
  /// `more` (MSG_MORE) holds a small header back so that it leaves with the payload after it
  /// instead of as a segment of its own (TCP_NODELAY would otherwise push it alone).
  void send_all(const void* data, std::size_t n, bool more = false) {
    auto p = static_cast<const char*>(data);
    int flags = MSG_NOSIGNAL | (more ? MSG_MORE : 0);
    while (n > 0) {
      ssize_t sent = ::send(fd_.get(), p, n, flags);
      if (sent < 0) {
        if (errno == EINTR)
          continue;
        throw_errno(fmt::format("send of {} bytes by the {}", n, who_), timeout_ms_);
      }
      p += sent;
      n -= static_cast<std::size_t>(sent);
    }
  }

  /// Receives exactly n bytes. Returns false when the peer closed the connection cleanly
  /// before the first byte (the end of its messages); a close in the middle is an error.
  bool recv_all(void* data, std::size_t n) {
    auto p = static_cast<char*>(data);
    std::size_t got = 0;
    while (got < n) {
      ssize_t r = ::recv(fd_.get(), p + got, n - got, 0);
      if (r < 0) {
        if (errno == EINTR)
          continue;
        throw_errno(fmt::format("recv of {} bytes by the {}", n - got, who_), timeout_ms_);
      }
      if (r == 0) {
        if (got == 0)
          return false;
        throw std::runtime_error(fmt::format(
          "the {}'s peer closed the connection after {} of {} bytes", who_, got, n));
      }
      got += static_cast<std::size_t>(r);
    }
    return true;
  }

  /// recv_all for a message that must come: an early close is an error.
  void expect(void* data, std::size_t n, std::string_view what) {
    if (!recv_all(data, n))
      throw std::runtime_error(
        fmt::format("the {}'s peer closed the connection before sending {}", who_, what));
  }

private:
  socket_fd fd_;
  std::string who_;
  int timeout_ms_;
};

struct listener {
  socket_fd fd;
  std::uint16_t port = 0;
};

/// Listens on an ephemeral port of 127.0.0.1 (never on all interfaces). Created in the calling
/// thread, so the client knows the port before the server thread runs and cannot race it.
listener open_listener(int timeout_ms) {
  listener l;
  l.fd = socket_fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (l.fd.get() < 0)
    throw_errno("socket() for the server", timeout_ms);
  // SO_RCVTIMEO on a listening socket bounds accept() on Linux.
  timeval tv{};
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = static_cast<suseconds_t>(timeout_ms % 1000) * 1000;
  if (::setsockopt(l.fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0)
    throw_errno("setsockopt(SO_RCVTIMEO) on the listening socket", timeout_ms);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(l.fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw_errno("bind to 127.0.0.1:0", timeout_ms);
  if (::listen(l.fd.get(), 1) != 0)
    throw_errno("listen on 127.0.0.1", timeout_ms);
  socklen_t len = sizeof addr;
  if (::getsockname(l.fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw_errno("getsockname of the listening socket", timeout_ms);
  l.port = ntohs(addr.sin_port);
  return l;
}

connection accept_one(const listener& l, int timeout_ms, std::string who) {
  int fd;
  do {
    fd = ::accept4(l.fd.get(), nullptr, nullptr, SOCK_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0)
    throw_errno(fmt::format("accept on {} by the {}", endpoint(l.port), who), timeout_ms);
  socket_fd s{fd};
  configure(s.get(), timeout_ms, who);
  return connection{std::move(s), std::move(who), timeout_ms};
}

connection connect_to(std::uint16_t port, int timeout_ms, std::string who) {
  socket_fd s{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (s.get() < 0)
    throw_errno(fmt::format("socket() for the {}", who), timeout_ms);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  int rc;
  do {
    rc = ::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0)
    throw_errno(fmt::format("connect to {} by the {}", endpoint(port), who), timeout_ms);
  configure(s.get(), timeout_ms, who);
  return connection{std::move(s), std::move(who), timeout_ms};
}

std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

/// Runs `serve(connection&)` in a server thread on a fresh listener and `client(connection&)`
/// here, and returns what the client returns. The server ends when the client closes its end.
/// When one side fails, the other is released (its peer's socket closes, or the listener is
/// shut down under a pending accept) so the join never hangs; the error names whichever side
/// failed, both when both did (the first is usually the cause, the second its echo).
template <class Serve, class Client>
auto run_pair(const std::string& name, int timeout_ms, Serve serve, Client client) {
  auto l = open_listener(timeout_ms);
  std::exception_ptr server_error;
  std::thread server{[&] {
    try {
      auto conn = accept_one(l, timeout_ms, name + " server");
      serve(conn);
    } catch (...) {
      server_error = std::current_exception();
    }
  }};
  std::exception_ptr client_error;
  decltype(client(std::declval<connection&>())) result{};
  try {
    auto conn = connect_to(l.port, timeout_ms, name + " client");
    result = client(conn);
  } catch (...) {
    client_error = std::current_exception();
    // Wakes an accept() that is still waiting (the client never connected).
    ::shutdown(l.fd.get(), SHUT_RDWR);
  }
  server.join();
  if (client_error && server_error)
    throw std::runtime_error(fmt::format("{} on {}: client: {}; server: {}", name,
                                         endpoint(l.port), describe(client_error),
                                         describe(server_error)));
  if (client_error)
    std::rethrow_exception(client_error);
  if (server_error)
    std::rethrow_exception(server_error);
  return result;
}

void put_u64_be(unsigned char* out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8)
    out[i] = static_cast<unsigned char>(v & 0xff);
}

std::uint64_t get_u64_be(const unsigned char* in) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | in[i];
  return v;
}

double seconds_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

} // namespace

tcp_pingpong_result tcp_pingpong(const tcp_pingpong_options& options) {
  // The round trip's index travels in the first 8 bytes, so the client can check that each
  // echo is the answer to its own message.
  if (options.message_bytes < 8)
    throw std::invalid_argument(fmt::format(
      "tcp_pingpong: message_bytes must be at least 8, got {}", options.message_bytes));
  const std::size_t bytes = options.message_bytes;
  auto serve = [bytes](connection& conn) {
    std::vector<unsigned char> buffer(bytes);
    while (conn.recv_all(buffer.data(), bytes))
      conn.send_all(buffer.data(), bytes);
  };
  auto client = [&options, bytes](connection& conn) {
    std::vector<unsigned char> out(bytes, 0x5a);
    std::vector<unsigned char> in(bytes);
    std::vector<std::int64_t> samples_ns;
    samples_ns.reserve(options.round_trips);
    const std::size_t total = options.warmup_round_trips + options.round_trips;
    clock_type::time_point measured_start = clock_type::now();
    for (std::size_t i = 0; i < total; ++i) {
      if (i == options.warmup_round_trips)
        measured_start = clock_type::now();
      put_u64_be(out.data(), i);
      auto start = clock_type::now();
      conn.send_all(out.data(), bytes);
      conn.expect(in.data(), bytes, fmt::format("the echo of round trip {}", i));
      auto end = clock_type::now();
      if (get_u64_be(in.data()) != i)
        throw std::runtime_error(fmt::format("tcp_pingpong: round trip {} was answered with "
                                             "the echo of round trip {}",
                                             i, get_u64_be(in.data())));
      if (i >= options.warmup_round_trips)
        samples_ns.push_back((end - start).count());
    }
    tcp_pingpong_result r;
    r.message_bytes = bytes;
    r.round_trips = options.round_trips;
    r.seconds = seconds_between(measured_start, clock_type::now());
    r.round_trip = scheduling::summarize_latencies(samples_ns);
    return r;
  };
  return run_pair("tcp ping-pong", options.io_timeout_ms, serve, client);
}

tcp_transfer_result tcp_transfer(const tcp_transfer_options& options) {
  const std::size_t bytes = options.message_bytes;
  auto serve = [bytes](connection& conn) {
    // Sized for the largest message the client announced; a larger length is a framing bug.
    std::vector<unsigned char> buffer(bytes);
    unsigned char header[8];
    while (conn.recv_all(header, sizeof header)) {
      std::uint64_t length = get_u64_be(header);
      if (length > bytes)
        throw std::runtime_error(fmt::format("tcp_transfer server: length prefix {} exceeds "
                                             "message_bytes={} (framing lost)",
                                             length, bytes));
      conn.expect(buffer.data(), static_cast<std::size_t>(length),
                  fmt::format("a {}-byte payload", length));
      // The acknowledgement carries the length received: the client checks it.
      conn.send_all(header, sizeof header);
    }
  };
  auto client = [&options, bytes](connection& conn) {
    // A pattern rather than zeros, so nothing along the way can special-case empty pages.
    std::vector<unsigned char> payload(bytes);
    for (std::size_t i = 0; i < bytes; ++i)
      payload[i] = static_cast<unsigned char>(i * 131 + 7);
    unsigned char header[8];
    put_u64_be(header, bytes);
    unsigned char ack[8];
    std::vector<std::int64_t> samples_ns;
    samples_ns.reserve(options.messages);
    const std::size_t total = options.warmup_messages + options.messages;
    clock_type::time_point measured_start = clock_type::now();
    for (std::size_t i = 0; i < total; ++i) {
      if (i == options.warmup_messages)
        measured_start = clock_type::now();
      auto start = clock_type::now();
      conn.send_all(header, sizeof header, true);
      conn.send_all(payload.data(), bytes);
      conn.expect(ack, sizeof ack, fmt::format("the acknowledgement of message {}", i));
      auto end = clock_type::now();
      if (get_u64_be(ack) != bytes)
        throw std::runtime_error(fmt::format("tcp_transfer: message {} of {} bytes was "
                                             "acknowledged as {} bytes",
                                             i, bytes, get_u64_be(ack)));
      if (i >= options.warmup_messages)
        samples_ns.push_back((end - start).count());
    }
    tcp_transfer_result r;
    r.message_bytes = bytes;
    r.messages = options.messages;
    r.seconds = seconds_between(measured_start, clock_type::now());
    r.mib_per_second = r.seconds > 0 ? static_cast<double>(bytes) * static_cast<double>(r.messages)
                                         / (1024.0 * 1024.0) / r.seconds
                                     : 0;
    r.per_message = scheduling::summarize_latencies(samples_ns);
    return r;
  };
  return run_pair("tcp transfer", options.io_timeout_ms, serve, client);
}

} // namespace hogar::bench
