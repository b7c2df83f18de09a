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
// from any thread, posts the answer back onto the connection's strand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "http/backend.hpp"
#include "base/result.hpp"

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
  /// when the server was started before.
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
