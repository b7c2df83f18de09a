// server.hpp: the HTTP front end of a node: the KServe v2 / Open Inference Protocol, Prometheus
// metrics and the dashboard page, served from a `backend` (backend.hpp). It knows nothing of
// actors; the daemon hands it a backend implemented over its actors.
//
// Routes (anything else is 404; a known path with another method is 405):
//   GET  /v2/health/live                            200, or 503 when the backend is not live
//   GET  /v2/health/ready                           200, or 503 until the node can serve
//   GET  /v2                                        server metadata
//   GET  /v2/models/{graph}[/versions/{v}]          model metadata, 404 for an unknown graph
//   GET  /v2/models/{graph}[/versions/{v}]/ready    200, 503 when not ready, 404 when unknown
//   POST /v2/models/{graph}[/versions/{v}]/infer    inference (JSON or binary tensor extension)
//   GET  /metrics                                   backend.metrics_text(), Prometheus text
//   GET  / and /dashboard                           the dashboard page
//   GET  /v2/dashboard.json                         backend.snapshot_json(), what the page shows
// The version segment is accepted and ignored: a graph has one version. Every error answer has
// the body {"error": "..."}; status_for() (kserve.hpp) maps error codes to statuses, and
// overloaded/unavailable answers carry `Retry-After: 1`.
//
// Threads: `threads` threads run one io_context; every connection is served on its own strand
// with asynchronous reads and writes, so no thread blocks on a client. An inference is started
// with backend::infer and the connection waits (holding no thread) until its callback, called
// from any thread, posts the answer back onto the connection's strand. Bodies larger than
// 64 KiB are parsed on `parse_threads` threads of their own, so that a large JSON body never
// stalls the connections of the event loop.
//
// What a client can make the server hold is bounded: connections (`max_connections`; at the
// cap the ones waiting longest for a request make room, as nginx reuses idle connections),
// time (`client_timeout_ms` for every read and write, the TLS handshake included), bodies
// (`max_body_bytes`), heads (Beast's 8 KiB), JSON nesting (`json_max_depth`). When the process
// runs out of file descriptors, accepting pauses briefly instead of spinning. Several sockets
// listen on the port (`listeners`, SO_REUSEPORT), so that a flood of connection attempts does
// not overflow the kernel's accept queue and drop the attempts of valid clients with it, and
// a connection is accepted only once its client has sent something (TCP_DEFER_ACCEPT), so that
// connections opened and left silent wait in the kernel, not in front of valid requests.
//
// Security: with `auth` tokens, every route but the open ones needs `Authorization: Bearer
// TOKEN` (401 otherwise, with no detail); with a certificate and key, the port speaks HTTPS.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/result.hpp"
#include "http/backend.hpp"
#include "http/bearer_tokens.hpp"
#include "kernels/tensor_json.hpp"

namespace hogar::http {

struct server_options {
  /// Address or host name to listen on.
  std::string host = "127.0.0.1";
  /// TCP port; 0 picks any free port (start() returns the one bound).
  std::uint16_t port = 0;
  /// Threads running the network event loop (at least 1 is used).
  std::size_t threads = 2;
  /// Largest request body accepted; a larger one is answered 413 and the connection closed.
  std::size_t max_body_bytes = 64 * 1024 * 1024;
  /// Deadline of an inference whose request sets no parameters.timeout_ms.
  std::int64_t default_timeout_ms = 30000;
  /// How long the server waits on a client: for the rest of a request it started, for the next
  /// request on a kept-alive connection, and for it to read an answer. A client that stalls
  /// longer is disconnected, so a slow or vanished client holds no more than its socket.
  std::int64_t client_timeout_ms = 30000;
  /// Arrays and objects nested deeper than this in a request's JSON are refused (400).
  std::size_t json_max_depth = default_json_max_depth;
  /// Sockets listening on the port together (SO_REUSEPORT), at least 1. The kernel spreads
  /// connection attempts over their accept queues, each `somaxconn` long: a flood that fills
  /// one queue makes the kernel drop the SYNs of valid clients too, who retry only a second
  /// later. Every thread serves every listener.
  std::size_t listeners = 4;
  /// Threads that parse request bodies larger than 64 KiB (at least 1 is used).
  std::size_t parse_threads = 1;
  /// Connections open at once, at most. At the cap, the connections that have waited longest
  /// for a request are closed to make room; when none waits, a new connection is closed at
  /// once. Keep it under the process's open-file limit.
  std::size_t max_connections = 10'000;
  /// Bearer tokens clients must present; none: no authentication.
  bearer_tokens auth;
  /// Routes open without a token when `auth` has tokens: health (/v2/health/live and ready),
  /// metrics (/metrics), dashboard (/, /dashboard, /v2/dashboard.json).
  bool open_health = true;
  bool open_metrics = false;
  bool open_dashboard = false;
  /// HTTPS: PEM files of the server's certificate (chain) and private key; both empty: HTTP.
  std::string tls_certificate;
  std::string tls_key;
};

/// Serves one backend over HTTP/1.1 with keep-alive. The backend must outlive the server.
class server {
public:
  server(backend& served, server_options options);
  server(const server&) = delete;
  server& operator=(const server&) = delete;
  /// Calls stop().
  ~server();

  /// Binds host:port, starts the threads and accepts connections; returns the bound port.
  /// Fails with errc::io_error naming host:port and the reason ("address already in use"), or
  /// the certificate or key file that cannot be used, or when the server was started before.
  result<std::uint16_t> start();

  /// Stops accepting connections, closes idle ones, lets every inference already started be
  /// answered, then joins the threads. Waits for the backend to call every pending infer
  /// callback (backend::infer promises one call per request). Idempotent; must not be called
  /// from a handler running on the server's own threads.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace hogar::http
