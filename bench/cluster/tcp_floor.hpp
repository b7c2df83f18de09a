// tcp_floor.hpp: raw TCP over loopback, the physical floor that remote actors are compared
// against. Each function starts a server thread on an ephemeral port of 127.0.0.1, runs the
// client in the calling thread with plain POSIX sockets, and returns what the client measured.
// tcp_floor_bench prints these on their own; the cluster benchmark links them to put the floor
// and hogar's remote hops in the same run (absolute times on the shared machines are noise).
#pragma once

#include <cstddef>
#include <cstdint>

#include "scheduling/latency_summary.hpp"

namespace hogar::bench {

/// Ping-pong: the client sends a message, the server echoes it, one in flight at a time.
struct tcp_pingpong_options {
  /// Bytes of each message, each way (at least 8: the round trip's index travels in them).
  std::size_t message_bytes = 64;
  /// Measured round trips.
  std::size_t round_trips = 10'000;
  /// Round trips before measuring (connection set-up, page faults, wake-up paths).
  std::size_t warmup_round_trips = 1'000;
  /// A send or receive that blocks this long fails the run instead of hanging it (0: no limit).
  int io_timeout_ms = 10'000;
};

struct tcp_pingpong_result {
  std::size_t message_bytes = 0;
  std::size_t round_trips = 0;
  /// Wall time of the measured round trips.
  double seconds = 0;
  /// Per round trip, as the client saw it (send start to echo fully received).
  scheduling::latency_summary round_trip;
};

/// One-way transfer: the client sends length-prefixed messages (8-byte big-endian length, then
/// the payload); the server reads each one completely and answers with an 8-byte acknowledgement
/// carrying the length it received. Only then is the next message sent, so every measured
/// transfer is a completed one, as for a request that ships a tensor and waits for its answer.
struct tcp_transfer_options {
  /// Payload bytes per message (the 8-byte length prefix comes on top).
  std::size_t message_bytes = std::size_t{1} << 20;
  /// Measured messages.
  std::size_t messages = 100;
  /// Messages before measuring (lets TCP grow its windows and buffers).
  std::size_t warmup_messages = 5;
  /// A send or receive that blocks this long fails the run instead of hanging it (0: no limit).
  int io_timeout_ms = 10'000;
};

struct tcp_transfer_result {
  std::size_t message_bytes = 0;
  std::size_t messages = 0;
  /// Wall time of the measured messages, acknowledgements included.
  double seconds = 0;
  /// Payload MiB (2^20 bytes) per second of wall time.
  double mib_per_second = 0;
  /// Per message: first byte sent to acknowledgement received.
  scheduling::latency_summary per_message;
};

/// Runs the ping-pong over a fresh loopback connection with TCP_NODELAY on both ends.
/// Throws std::system_error naming the call that failed and its errno text, or
/// std::runtime_error for a protocol violation (early close, wrong echo); when both ends fail,
/// the message carries both.
tcp_pingpong_result tcp_pingpong(const tcp_pingpong_options& options);

/// Runs the one-way transfer over a fresh loopback connection with TCP_NODELAY on both ends.
/// Throws as tcp_pingpong does.
tcp_transfer_result tcp_transfer(const tcp_transfer_options& options);

} // namespace hogar::bench
