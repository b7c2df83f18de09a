#include "http/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "http/dashboard.hpp"
#include "http/kserve.hpp"

#ifndef HOGAR_VERSION
#define HOGAR_VERSION "0.0.0"
#endif

namespace hogar::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = beast::error_code;

using request_t = bhttp::request<bhttp::string_body>;
using response_t = bhttp::response<bhttp::string_body>;

constexpr std::string_view json_type = "application/json";
constexpr std::string_view server_name = "hogar/" HOGAR_VERSION;
/// Longest wait for a closing client to go away after its last answer (see close_gracefully).
constexpr std::chrono::milliseconds linger_max{2000};

class session;

/// What the server and its connections share. Owned jointly (shared_ptr) so that a connection
/// finishing on some thread never outlives what it points at.
struct server_core {
  server_core(backend& b, server_options o) : served(b), options(std::move(o)) {}

  backend& served;
  const server_options options;
  /// The server's event loop (owned by server::impl, which outlives every connection): pending
  /// inferences hold work on it so that stop() waits for their answers.
  asio::io_context* ioc = nullptr;
  /// Set once by stop(); connections read it on their strands before starting a read.
  std::atomic<bool> stopping{false};
  /// Live connections, so that stop() can close the idle ones. Guarded by sessions_mutex;
  /// entries are added by a session's constructor and removed by its destructor.
  std::mutex sessions_mutex;
  std::unordered_map<const session*, std::weak_ptr<session>> sessions;
};

/// What a route resolves to, before the method is checked.
enum class route_kind {
  dashboard,
  dashboard_json,
  metrics,
  server_metadata,
  health_live,
  health_ready,
  model_metadata,
  model_ready,
  model_infer,
  repository_index,
  repository_load,
  repository_unload,
};

struct route {
  route_kind kind;
  /// The graph named in /v2/models/{graph}/...; empty for other routes.
  std::string graph;
};

/// Decodes %XX escapes of one path segment; nullopt for a malformed escape.
std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size())
      return std::nullopt;
    unsigned value = 0;
    auto [end, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, value, 16);
    if (ec != std::errc{} || end != s.data() + i + 3)
      return std::nullopt;
    out.push_back(static_cast<char>(value));
    i += 2;
  }
  return out;
}

/// Maps a request target (query string ignored) onto a route; nullopt: no such path.
std::optional<route> resolve(std::string_view target) {
  target = target.substr(0, target.find('?'));
  std::vector<std::string> parts;
  while (!target.empty()) {
    if (target.front() == '/') {
      target.remove_prefix(1);
      continue;
    }
    auto end = std::min(target.find('/'), target.size());
    auto part = percent_decode(target.substr(0, end));
    if (!part)
      return std::nullopt;
    parts.push_back(std::move(*part));
    target.remove_prefix(end);
  }
  auto is = [&](std::initializer_list<std::string_view> expected) {
    return std::equal(parts.begin(), parts.end(), expected.begin(), expected.end());
  };
  if (parts.empty() || is({"dashboard"}))
    return route{route_kind::dashboard, {}};
  if (is({"metrics"}))
    return route{route_kind::metrics, {}};
  if (is({"v2"}))
    return route{route_kind::server_metadata, {}};
  if (is({"v2", "health", "live"}))
    return route{route_kind::health_live, {}};
  if (is({"v2", "health", "ready"}))
    return route{route_kind::health_ready, {}};
  if (is({"v2", "dashboard.json"}))
    return route{route_kind::dashboard_json, {}};
  if (is({"v2", "repository", "index"}))
    return route{route_kind::repository_index, {}};
  // /v2/repository/models/{model}/load|unload
  if (parts.size() == 5 && parts[0] == "v2" && parts[1] == "repository" && parts[2] == "models") {
    if (parts[4] == "load")
      return route{route_kind::repository_load, parts[3]};
    if (parts[4] == "unload")
      return route{route_kind::repository_unload, parts[3]};
    return std::nullopt;
  }
  if (parts.size() < 3 || parts[0] != "v2" || parts[1] != "models")
    return std::nullopt;
  // /v2/models/{graph}[/versions/{v}][/ready|/infer]
  std::size_t next = 3;
  if (parts.size() >= 5 && parts[3] == "versions")
    next = 5;
  if (parts.size() == next)
    return route{route_kind::model_metadata, parts[2]};
  if (parts.size() == next + 1 && parts[next] == "ready")
    return route{route_kind::model_ready, parts[2]};
  if (parts.size() == next + 1 && parts[next] == "infer")
    return route{route_kind::model_infer, parts[2]};
  return std::nullopt;
}

bhttp::verb method_of(route_kind kind) {
  switch (kind) {
    case route_kind::model_infer:
    case route_kind::repository_index:
    case route_kind::repository_load:
    case route_kind::repository_unload: return bhttp::verb::post;
    default: return bhttp::verb::get;
  }
}

/// True for errors of the HTTP parser that mean the client sent something that is not HTTP
/// (answered 400), as opposed to a connection that ended or failed (closed without answer).
bool is_protocol_error(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message &&
         ec != bhttp::error::need_more && ec != bhttp::error::need_buffer;
}

/// One client connection. It lives as long as an operation or a pending inference holds a
/// shared_ptr to it; everything below runs on its strand (the stream's executor) except the
/// constructor, the destructor and the infer callback, which only posts onto the strand.
class session : public std::enable_shared_from_this<session> {
public:
  /// Bytes a connection reads at most per system call.
  static constexpr std::size_t read_buffer_bytes = 64 * 1024;

  session(tcp::socket socket, std::shared_ptr<server_core> core)
    : stream_(std::move(socket)), core_(std::move(core)) {
    // Beast reads at most the buffer's free capacity per call, and the parser empties the
    // buffer as it goes: without room reserved, a tensor body arrives 512 bytes per read (and
    // per timer re-arm), 72 system calls for one 96x128x3 image.
    buffer_.reserve(read_buffer_bytes);
  }

  ~session() {
    std::lock_guard lock{core_->sessions_mutex};
    core_->sessions.erase(this);
  }

  /// Registers the session with the server and starts reading its first request.
  void start() {
    {
      std::lock_guard lock{core_->sessions_mutex};
      core_->sessions.emplace(this, weak_from_this());
    }
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&session::read_header, shared_from_this()));
  }

  /// Called by server::stop on the strand: an idle connection (waiting for a request, or only
  /// part of one) is closed now; one whose inference or answer is in flight closes after it.
  void shut_down() {
    if (phase_ == phase::reading || phase_ == phase::lingering) {
      error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      stream_.close();
    }
  }

  /// The connection's strand.
  asio::any_io_executor executor() { return stream_.get_executor(); }

private:
  /// What the connection is doing; decides what shut_down may cut.
  enum class phase {
    /// Waiting for a request or reading one: nothing accepted yet.
    reading,
    /// A request was read: it is being answered (inference pending or answer being written).
    answering,
    /// The last answer is written; waiting briefly for the client to close.
    lingering,
  };

  /// An inference in flight: what the answer needs once the backend calls back. Holds the
  /// session alive and the io_context running (work guard) until the answer is posted.
  struct pending_infer {
    pending_infer(asio::io_context& ioc, std::shared_ptr<session> s, std::string g,
                  infer_request r)
      : work(asio::make_work_guard(ioc)), self(std::move(s)), graph(std::move(g)),
        request(std::move(r)) {}

    asio::executor_work_guard<asio::io_context::executor_type> work;
    std::shared_ptr<session> self;
    std::string graph;
    infer_request request;
    /// backend::infer calls back exactly once, but a throwing backend may also have called:
    /// the first of the two answers wins.
    std::atomic<bool> answered{false};
  };

  void read_header() {
    phase_ = phase::reading;
    if (core_->stopping) {
      close_now();
      return;
    }
    parser_.emplace();
    parser_->body_limit(core_->options.max_body_bytes);
    stream_.expires_after(std::chrono::milliseconds{core_->options.client_timeout_ms});
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&session::on_header, shared_from_this()));
  }

  void on_header(error_code ec, std::size_t) {
    if (ec)
      return on_read_error(ec);
    // curl and others wait for "100 Continue" before sending a large body.
    auto expect = parser_->get()[bhttp::field::expect];
    if (beast::iequals(expect, "100-continue") && !parser_->is_done()) {
      continue_.emplace(bhttp::status::continue_, parser_->get().version());
      stream_.expires_after(std::chrono::milliseconds{core_->options.client_timeout_ms});
      bhttp::async_write(stream_, *continue_,
                         [self = shared_from_this()](error_code ec, std::size_t) {
                           if (ec)
                             return self->close_now();
                           self->read_body();
                         });
      return;
    }
    read_body();
  }

  void read_body() {
    stream_.expires_after(std::chrono::milliseconds{core_->options.client_timeout_ms});
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&session::on_body, shared_from_this()));
  }

  void on_body(error_code ec, std::size_t) {
    if (ec)
      return on_read_error(ec);
    phase_ = phase::answering;
    request_t request = parser_->release();
    parser_.reset();
    version_ = request.version();
    keep_alive_ = request.keep_alive();
    // A request fails alone: whatever a handler or the backend throws becomes a 500 answer.
    try {
      handle(std::move(request));
    } catch (const std::exception& e) {
      send_error(500, fmt::format("internal error while answering the request: {}", e.what()));
    } catch (...) {
      send_error(500, "internal error while answering the request");
    }
  }

  void on_read_error(const error_code& ec) {
    if (ec == bhttp::error::body_limit) {
      phase_ = phase::answering;
      keep_alive_ = false;
      return send_error(413, fmt::format("request body larger than the limit of {} bytes",
                                         core_->options.max_body_bytes));
    }
    if (ec == bhttp::error::header_limit) {
      phase_ = phase::answering;
      keep_alive_ = false;
      return send_error(431, "request header too large");
    }
    if (is_protocol_error(ec)) {
      phase_ = phase::answering;
      keep_alive_ = false;
      return send_error(400, fmt::format("malformed HTTP request: {}", ec.message()));
    }
    // The client closed, vanished or stalled past client_timeout_ms (beast::error::timeout):
    // nothing was accepted, nothing is owed.
    close_now();
  }

  void handle(request_t request) {
    auto found = resolve(request.target());
    if (!found)
      return send_error(404, fmt::format("no route for {} {}", std::string{request.method_string()},
                                         std::string{request.target()}));
    auto allowed = method_of(found->kind);
    if (request.method() != allowed) {
      auto res = make_response(bhttp::status::method_not_allowed, json_type,
                               error_body(fmt::format(
                                 "{} {} is not allowed; use {}", std::string{request.method_string()},
                                 std::string{request.target()}, std::string{bhttp::to_string(allowed)})));
      res.set(bhttp::field::allow, bhttp::to_string(allowed));
      return send(std::move(res));
    }
    backend& b = core_->served;
    switch (found->kind) {
      case route_kind::dashboard:
        return send(make_response(bhttp::status::ok, "text/html; charset=utf-8",
                                  std::string{dashboard_html()}));
      case route_kind::dashboard_json:
        return send(no_store(make_response(bhttp::status::ok, json_type, b.snapshot_json())));
      case route_kind::metrics:
        return send(no_store(
          make_response(bhttp::status::ok, "text/plain; version=0.0.4", b.metrics_text())));
      case route_kind::server_metadata:
        return send(make_response(bhttp::status::ok, json_type,
                                  server_metadata_body(HOGAR_VERSION)));
      case route_kind::health_live:
        if (b.live())
          return send(make_response(bhttp::status::ok, json_type, {}));
        return send_error(503, "the node is not live");
      case route_kind::health_ready:
        if (b.ready())
          return send(make_response(bhttp::status::ok, json_type, {}));
        return send_error(503, "the node is not ready to serve");
      case route_kind::model_metadata: {
        auto metadata = b.metadata(found->graph);
        if (!metadata)
          return send_error(404, unknown_graph(found->graph));
        return send(make_response(bhttp::status::ok, json_type, model_metadata_body(*metadata)));
      }
      case route_kind::model_ready: {
        auto metadata = b.metadata(found->graph);
        if (!metadata)
          return send_error(404, unknown_graph(found->graph));
        if (!metadata->ready)
          return send_error(503, fmt::format("graph '{}' is not ready", found->graph));
        return send(make_response(bhttp::status::ok, json_type, {}));
      }
      case route_kind::model_infer:
        return start_infer(std::move(found->graph), request);
      case route_kind::repository_index: {
        auto body = request.body();
        return start_call<std::vector<repository_model_entry>>(
          [&b](auto done) { b.repository_index(std::move(done)); },
          [this, body](std::vector<repository_model_entry>& models) {
            auto text = repository_index_body(body, models);
            if (!text)
              return send_error(status_for(text.error().code), text.error().message);
            send(make_response(bhttp::status::ok, json_type, std::move(*text)));
          });
      }
      case route_kind::repository_load:
      case route_kind::repository_unload: {
        bool load = found->kind == route_kind::repository_load;
        return start_call<std::string>(
          [&b, load, model = found->graph](auto done) {
            if (load)
              b.repository_load(model, std::move(done));
            else
              b.repository_unload(model, std::move(done));
          },
          [this](std::string&) { send(make_response(bhttp::status::ok, json_type, "{}")); });
      }
    }
  }

  /// A backend call that answers later (repository operations): `start(done)` starts it,
  /// `on_value` writes the answer on this connection's strand; an error answers
  /// {"error": ...} with the status its code maps to.
  template <class T, class Start, class OnValue>
  void start_call(Start start, OnValue on_value) {
    // Keeps the session and the event loop alive until the answer is written.
    struct pending_call {
      pending_call(asio::io_context& ioc, std::shared_ptr<session> s)
        : work(asio::make_work_guard(ioc)), self(std::move(s)) {}
      asio::executor_work_guard<asio::io_context::executor_type> work;
      std::shared_ptr<session> self;
      std::atomic<bool> answered{false};
    };
    auto pending = std::make_shared<pending_call>(*core_->ioc, shared_from_this());
    auto strand = executor();
    try {
      start([pending, strand, on_value](result<T> answer) mutable {
        if (pending->answered.exchange(true))
          return;
        asio::post(strand, [pending, on_value, answer = std::move(answer)]() mutable {
          if (!answer)
            return pending->self->send_error(status_for(answer.error().code),
                                             answer.error().message);
          on_value(*answer);
        });
      });
    } catch (const std::exception& e) {
      if (!pending->answered.exchange(true))
        send_error(500, fmt::format("the backend failed: {}", e.what()));
    }
  }

  std::string unknown_graph(const std::string& graph) {
    std::string served;
    for (auto& name : core_->served.graphs())
      served += (served.empty() ? "" : ", ") + name;
    return fmt::format("graph '{}' is not served here (graphs: {})", graph,
                       served.empty() ? "none" : served);
  }

  void start_infer(std::string graph, const request_t& request) {
    std::optional<std::size_t> json_length;
    if (auto field = request.find(inference_header_length_field); field != request.end()) {
      auto text = field->value();
      std::size_t n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec != std::errc{} || end != text.data() + text.size())
        return send_error(400, fmt::format("request: {} '{}' is not a byte count",
                                           inference_header_length_field, std::string{text}));
      json_length = n;
    }
    auto parsed = parse_infer_request(request.body(), json_length);
    if (!parsed)
      return send_error(status_for(parsed.error().code),
                        fmt::format("graph '{}': {}", graph, parsed.error().message));
    // Only a request that names its outputs pays for a metadata lookup.
    if (!parsed->outputs.empty()) {
      auto metadata = core_->served.metadata(graph);
      if (!metadata)
        return send_error(404, unknown_graph(graph));
      if (auto problem = check_requested_outputs(*parsed, *metadata))
        return send_error(status_for(problem->code), problem->message);
    }
    auto timeout_ms = parsed->timeout_ms.value_or(core_->options.default_timeout_ms);
    auto inputs = std::move(parsed->inputs);
    auto pending =
      std::make_shared<pending_infer>(*core_->ioc, shared_from_this(), graph, std::move(*parsed));
    auto strand = executor();
    try {
      core_->served.infer(graph, std::move(inputs), timeout_ms,
                          [pending, strand](infer_outcome outcome) {
                            if (pending->answered.exchange(true))
                              return;
                            asio::post(strand, [pending, outcome = std::move(outcome)]() mutable {
                              pending->self->finish_infer(*pending, std::move(outcome));
                            });
                          });
    } catch (const std::exception& e) {
      if (!pending->answered.exchange(true))
        send_error(500, fmt::format("graph '{}': the backend failed to start the inference: {}",
                                    graph, e.what()));
    } catch (...) {
      if (!pending->answered.exchange(true))
        send_error(500, fmt::format("graph '{}': the backend failed to start the inference",
                                    graph));
    }
  }

  void finish_infer(pending_infer& pending, infer_outcome outcome) {
    // Any exception here (encoding, allocation) still owes the client an answer.
    try {
      if (outcome.error.code != errc::none || !outcome.outputs) {
        auto message = outcome.error.code != errc::none
                         ? outcome.error.message
                         : fmt::format("graph '{}': the backend answered with neither outputs "
                                       "nor an error",
                                       pending.graph);
        return send_error(status_for(outcome.error.code), message);
      }
      auto id = pending.request.id.value_or(std::to_string(outcome.request_id));
      auto encoded = encode_infer_response(pending.graph, id, *outcome.outputs, pending.request,
                                           outcome.served);
      auto res = make_response(bhttp::status::ok,
                               encoded.json_length ? "application/octet-stream" : json_type,
                               std::move(encoded.body));
      if (encoded.json_length)
        res.set(inference_header_length_field, std::to_string(*encoded.json_length));
      send(std::move(res));
    } catch (const std::exception& e) {
      send_error(500, fmt::format("graph '{}': cannot encode the answer: {}", pending.graph,
                                  e.what()));
    }
  }

  response_t make_response(bhttp::status status, std::string_view content_type,
                           std::string body) {
    response_t res{status, version_};
    res.set(bhttp::field::server, server_name);
    res.set(bhttp::field::content_type, content_type);
    res.body() = std::move(body);
    return res;
  }

  static response_t no_store(response_t res) {
    res.set(bhttp::field::cache_control, "no-store");
    return res;
  }

  void send_error(unsigned status, std::string_view message) {
    auto res = make_response(static_cast<bhttp::status>(status), json_type, error_body(message));
    // Admission said no for now: clients should come back shortly, not give up.
    if (status == 503)
      res.set(bhttp::field::retry_after, "1");
    send(std::move(res));
  }

  void send(response_t res) {
    res.keep_alive(keep_alive_ && !core_->stopping);
    res.prepare_payload();
    response_ = std::move(res);
    stream_.expires_after(std::chrono::milliseconds{core_->options.client_timeout_ms});
    bhttp::async_write(stream_, response_,
                       beast::bind_front_handler(&session::on_write, shared_from_this()));
  }

  void on_write(error_code ec, std::size_t) {
    if (ec)
      return close_now();
    if (!response_.keep_alive() || core_->stopping)
      return close_gracefully();
    response_ = {};
    read_header();
  }

  /// Closes after the answer: shuts down our sending side, then reads and drops what the client
  /// still sends (the rest of a refused body) until it closes or linger_max passes. Closing at
  /// once with unread bytes would make the kernel reset the connection, and the client could
  /// lose the answer (the 413) before reading it.
  void close_gracefully() {
    phase_ = phase::lingering;
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::min(linger_max, std::chrono::milliseconds{
                                                 core_->options.client_timeout_ms}));
    linger();
  }

  void linger() {
    stream_.async_read_some(asio::buffer(drain_),
                            [self = shared_from_this()](error_code ec, std::size_t) {
                              if (ec)
                                return self->close_now();
                              self->linger();
                            });
  }

  void close_now() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<server_core> core_;
  /// The request being read; reset between requests (a parser reads one message).
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  /// The "100 Continue" interim answer while it is written.
  std::optional<bhttp::response<bhttp::empty_body>> continue_;
  /// The answer being written: one at a time, requests are not pipelined.
  response_t response_;
  /// Of the request being answered: the answer uses its HTTP version and keep-alive choice.
  unsigned version_ = 11;
  bool keep_alive_ = true;
  phase phase_ = phase::reading;
  std::array<char, 4096> drain_{};
};

} // namespace

/// The server's state: the event loop, the acceptor and the threads. The acceptor lives on its
/// own strand so that stop() can close it while an accept completes on another thread.
struct server::impl {
  impl(backend& served, server_options options)
    : core(std::make_shared<server_core>(served, std::move(options))),
      ioc(static_cast<int>(std::max<std::size_t>(1, core->options.threads))),
      acceptor(asio::make_strand(ioc)) {
    core->ioc = &ioc;
  }

  enum class state {
    /// Constructed; start() has not succeeded yet.
    created,
    /// Listening and answering.
    running,
    /// stop() ran: the threads are joined and the server cannot be started again.
    stopped,
  };

  void accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || core->stopping || !acceptor.is_open())
        return;
      if (!ec) {
        error_code ignored;
        socket.set_option(tcp::no_delay{true}, ignored);
        std::make_shared<session>(std::move(socket), core)->start();
      } else {
        // A failed accept (out of file descriptors, a connection reset before it was taken)
        // costs that client only; the listener goes on.
        fmt::print(stderr, "hogar http: accept on {}:{} failed: {}\n", core->options.host,
                   port, ec.message());
      }
      accept();
    });
  }

  void run_loop() {
    // A handler that throws is a bug, but one request's bug must not stop the node's HTTP.
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        fmt::print(stderr, "hogar http: a handler threw: {}\n", e.what());
      } catch (...) {
        fmt::print(stderr, "hogar http: a handler threw\n");
      }
    }
  }

  std::shared_ptr<server_core> core;
  asio::io_context ioc;
  tcp::acceptor acceptor;
  /// Keeps the threads running while no connection is open; released by stop().
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  /// Guards state against concurrent start()/stop() calls.
  std::mutex state_mutex;
  state current = state::created;
};

server::server(backend& served, server_options options)
  : impl_(std::make_unique<impl>(served, std::move(options))) {}

server::~server() {
  stop();
}

result<std::uint16_t> server::start() {
  std::lock_guard lock{impl_->state_mutex};
  auto& d = *impl_;
  const auto& o = d.core->options;
  auto where = fmt::format("{}:{}", o.host, o.port);
  if (d.current != impl::state::created)
    return fail(errc::io_error, fmt::format("http: cannot listen on {}: the server was already "
                                            "started",
                                            where));
  auto failed = [&](std::string_view step, const error_code& ec) {
    error_code ignored;
    d.acceptor.close(ignored);
    return fail(errc::io_error,
                fmt::format("http: cannot listen on {}: {} ({})", where, ec.message(), step));
  };

  error_code ec;
  tcp::resolver resolver{d.ioc};
  auto endpoints = resolver.resolve(o.host, std::to_string(o.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec)
    return failed("resolving the host", ec);
  if (endpoints.empty())
    return failed("resolving the host", asio::error::host_not_found);
  tcp::endpoint endpoint = endpoints.begin()->endpoint();
  d.acceptor.open(endpoint.protocol(), ec);
  if (ec)
    return failed("opening the socket", ec);
  d.acceptor.set_option(asio::socket_base::reuse_address{true}, ec);
  if (ec)
    return failed("setting SO_REUSEADDR", ec);
  d.acceptor.bind(endpoint, ec);
  if (ec)
    return failed("binding", ec);
  d.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return failed("listening", ec);
  d.port = d.acceptor.local_endpoint(ec).port();
  if (ec)
    return failed("reading the bound port", ec);

  d.work.emplace(asio::make_work_guard(d.ioc));
  d.accept();
  auto n = std::max<std::size_t>(1, o.threads);
  d.threads.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    d.threads.emplace_back([&d] { d.run_loop(); });
  d.current = impl::state::running;
  return d.port;
}

void server::stop() {
  std::lock_guard lock{impl_->state_mutex};
  auto& d = *impl_;
  if (d.current == impl::state::stopped)
    return;
  if (d.current == impl::state::created) {
    d.current = impl::state::stopped;
    return;
  }
  d.current = impl::state::stopped;
  // Sessions accepted from here on see `stopping` before their first read and close; those
  // registered already are told below. Together they cover every connection.
  d.core->stopping = true;
  asio::post(d.acceptor.get_executor(), [&d] {
    error_code ignored;
    d.acceptor.close(ignored);
  });
  // Taken under the lock, told outside it: dropping the last reference to a session runs its
  // destructor, which takes the same lock.
  std::vector<std::shared_ptr<session>> open;
  {
    std::lock_guard sessions_lock{d.core->sessions_mutex};
    for (auto& [key, weak] : d.core->sessions)
      if (auto s = weak.lock())
        open.push_back(std::move(s));
  }
  for (auto& s : open)
    asio::post(s->executor(), [s] { s->shut_down(); });
  open.clear();
  // The loop now runs until the last connection is closed and the last inference answered.
  d.work.reset();
  for (auto& t : d.threads)
    t.join();
  d.threads.clear();
}

} // namespace hogar::http
