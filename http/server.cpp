#include "http/server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "http/graph_layout.hpp"
#include "http/ui_assets.hpp"
#include "http/kserve.hpp"
#include "http/request_head.hpp"
#include "http/route.hpp"

#ifndef HOGAR_VERSION
#define HOGAR_VERSION "0.0.0"
#endif

namespace hogar::http {

namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = beast::error_code;

using request_t = bhttp::request<bhttp::string_body>;
using response_t = bhttp::response<bhttp::string_body>;
using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

constexpr std::string_view json_type = "application/json";
constexpr std::string_view server_name = "hogar/" HOGAR_VERSION;
/// Longest wait for a closing client to go away after its last answer (see close_gracefully).
constexpr std::chrono::milliseconds linger_max{2000};
/// Bodies up to this size are parsed on the connection's strand (simdjson reads 64 KiB in
/// tens of microseconds); larger ones on the parse threads.
constexpr std::size_t inline_parse_max_bytes = 64 * 1024;
/// How long the listener rests when the process is out of file descriptors: accepting again
/// at once would fail again at once (the spin of issue 8: 100% of a core, 21 MB/s of logs).
constexpr std::chrono::milliseconds accept_pause{100};
/// Connections the listener takes from the kernel's queue at once after each wake-up.
constexpr std::size_t accept_burst = 256;
/// TCP_DEFER_ACCEPT: the kernel queues a connection for accept() only once its first bytes
/// arrive (an HTTP or TLS client speaks first). A flood of connections that never send
/// anything then waits in the kernel's SYN queue instead of the accept queue, where it would
/// stand in front of every valid request, each to be accepted, registered and evicted first.
/// A connection still silent after this many seconds is queued anyway (when the client
/// answers the kernel's last SYN-ACK), so a slow client is served, only later.
constexpr int deferred_accept_seconds = 10;
/// Connections closed at once to make room at the cap: a sixteenth of the cap, at most 32
/// (nginx drains 32 at a time), at least one.
std::size_t evict_batch(std::size_t max_connections) {
  return std::clamp<std::size_t>(max_connections / 16, 1, 32);
}

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

/// A log line that may repeat thousands of times a second under attack: printed at most once
/// a second, with the number of lines held back since the last one. Thread-safe.
class rate_limited_log {
public:
  template <class... Ts>
  void print(fmt::format_string<Ts...> format, Ts&&... xs) {
    auto now = steady_now_ns();
    auto last = last_ns_.load(std::memory_order_relaxed);
    if (now - last < 1'000'000'000 ||
        !last_ns_.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
      held_back_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    auto held = held_back_.exchange(0, std::memory_order_relaxed);
    auto line = fmt::format(format, std::forward<Ts>(xs)...);
    if (held > 0)
      fmt::print(stderr, "hogar http: {} ({} more like it in the last second)\n", line, held);
    else
      fmt::print(stderr, "hogar http: {}\n", line);
  }

private:
  std::atomic<std::int64_t> last_ns_{-2'000'000'000};
  std::atomic<std::uint64_t> held_back_{0};
};

/// What the server's registry of connections knows of each, whatever its stream.
class session_base : public std::enable_shared_from_this<session_base> {
public:
  virtual ~session_base() = default;
  /// On the connection's strand: closes it now when it waits for a request or lingers after
  /// its last answer; otherwise it closes after the answer it owes.
  virtual void shut_down() = 0;
  /// The connection's strand.
  virtual asio::any_io_executor executor() = 0;

  // Guarded by server_core::sessions_mutex:
  /// Where the connection stands in server_core::waiting while it waits for a request, reads
  /// one or lingers after its last answer; empty while it answers one.
  std::optional<std::list<session_base*>::iterator> waiting_at;
  /// Chosen to make room (counted in server_core::closing until it is gone).
  bool evicted = false;
};

/// What the server and its connections share. Owned jointly (shared_ptr) so that a connection
/// finishing on some thread never outlives what it points at.
struct server_core {
  server_core(backend& b, server_options o) : served(b), options(std::move(o)) {}

  backend& served;
  const server_options options;
  /// The server's event loop (owned by server::impl, which outlives every connection): pending
  /// inferences hold work on it so that stop() waits for their answers.
  asio::io_context* ioc = nullptr;
  /// Threads that parse large bodies (owned by server::impl).
  asio::thread_pool* parse_pool = nullptr;
  /// Set once by stop(); connections read it on their strands before starting a read.
  std::atomic<bool> stopping{false};
  rate_limited_log accept_log;

  /// Registers a connection, waiting for its first request; called once by its start().
  void add(session_base* s) {
    std::lock_guard lock{sessions_mutex};
    sessions.emplace(s, s->weak_from_this());
    s->waiting_at = waiting.insert(waiting.end(), s);
  }

  /// Unregisters a connection; called by its destructor.
  void remove(session_base* s) {
    std::lock_guard lock{sessions_mutex};
    if (s->evicted)
      --closing;
    leave_waiting(s);
    sessions.erase(s);
  }

  /// The connection waits for a request (or lingers) from now on: it goes to the back of the
  /// queue of those to close first.
  void mark_waiting(session_base* s) {
    std::lock_guard lock{sessions_mutex};
    leave_waiting(s);
    if (!s->evicted)
      s->waiting_at = waiting.insert(waiting.end(), s);
  }

  /// The connection answers a request: it is not closed to make room until it has.
  void mark_answering(session_base* s) {
    std::lock_guard lock{sessions_mutex};
    leave_waiting(s);
  }

  /// Connections open now, not counting those already told to close.
  std::size_t open_connections() {
    std::lock_guard lock{sessions_mutex};
    return sessions.size() - closing;
  }

  /// Makes room for a new connection: under the cap there is room; at it (or, with `force`,
  /// always: the process ran out of file descriptors) the connections that have waited
  /// longest for a request are told to close. Returns whether the new one may stay.
  bool make_room(bool force = false) {
    std::vector<std::weak_ptr<session_base>> chosen;
    {
      std::lock_guard lock{sessions_mutex};
      if (!force && sessions.size() - closing < options.max_connections)
        return true;
      // The front of `waiting` has waited longest: taken in O(1) each, so that a flood at the
      // cap costs the listener no scan of every connection.
      for (auto n = evict_batch(options.max_connections); n > 0 && !waiting.empty(); --n) {
        auto* s = waiting.front();
        leave_waiting(s);
        s->evicted = true;
        ++closing;
        chosen.push_back(sessions[s]);
      }
    }
    // Told outside the lock: dropping the last reference to a session runs its destructor,
    // which takes the lock.
    for (auto& weak : chosen)
      if (auto s = weak.lock())
        asio::post(s->executor(), [s] { s->shut_down(); });
    return !chosen.empty();
  }

  /// Every live connection (for stop()).
  std::vector<std::shared_ptr<session_base>> all_sessions() {
    std::vector<std::shared_ptr<session_base>> open;
    std::lock_guard lock{sessions_mutex};
    for (auto& [key, weak] : sessions)
      if (auto s = weak.lock())
        open.push_back(std::move(s));
    return open;
  }

private:
  void leave_waiting(session_base* s) {
    if (s->waiting_at) {
      waiting.erase(*s->waiting_at);
      s->waiting_at.reset();
    }
  }

  std::mutex sessions_mutex;
  /// Live connections, so that stop() can close the idle ones and the listener can make room.
  std::unordered_map<const session_base*, std::weak_ptr<session_base>> sessions;
  /// Of `sessions`, those waiting for a request (or lingering), longest first.
  std::list<session_base*> waiting;
  /// Of `sessions`, those told to close that are not gone yet.
  std::size_t closing = 0;
};

/// Whether a route is open without a token when the server has tokens.
bool is_open(route_kind kind, const server_options& o) {
  switch (kind) {
    case route_kind::health_live:
    case route_kind::health_ready: return o.open_health;
    case route_kind::metrics: return o.open_metrics;
    // The page and its script carry no data: they must load to ask for the token.
    case route_kind::dashboard:
    case route_kind::ui_asset: return true;
    case route_kind::dashboard_json: return o.open_dashboard;
    default: return false;
  }
}

/// A client's text in a message: at most `longest` characters.
std::string cut(std::string_view text, std::size_t longest = 100) {
  if (text.size() <= longest)
    return std::string{text};
  return std::string{text.substr(0, longest)} + "...";
}

/// True for errors of the HTTP parser that mean the client sent something that is not HTTP
/// (answered 400), as opposed to a connection that ended or failed (closed without answer).
bool is_protocol_error(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message &&
         ec != bhttp::error::need_more && ec != bhttp::error::need_buffer;
}

/// One client connection over a plain TCP stream or TLS over one. It lives as long as an
/// operation or a pending inference holds a shared_ptr to it; everything below runs on its
/// strand (the stream's executor) except the constructor, the destructor and the callbacks of
/// the backend and the parse threads, which only post onto the strand.
template <class Stream>
class session final : public session_base {
public:
  static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;
  /// Bytes a connection reads at most per system call.
  static constexpr std::size_t read_buffer_bytes = 64 * 1024;

  template <class... TlsContext>
  session(tcp::socket socket, std::shared_ptr<server_core> core, TlsContext&... tls)
    : stream_(std::move(socket), tls...), core_(std::move(core)) {}

  ~session() override { core_->remove(this); }

  /// Registers the session with the server and starts on its first request (after the TLS
  /// handshake when the port speaks HTTPS).
  void start() {
    core_->add(this);
    asio::dispatch(executor(), [self = self()] {
      if constexpr (is_tls)
        self->handshake();
      else
        self->read_header();
    });
  }

  void shut_down() override {
    close_after_answer_ = true;
    if (phase_ == phase::reading || phase_ == phase::lingering)
      close_now();
  }

  asio::any_io_executor executor() override { return stream_.get_executor(); }

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

  /// A large body on its way through the parse threads: holds the session alive and the
  /// io_context running until the parsed request is posted back.
  struct pending_parse {
    pending_parse(asio::io_context& ioc, std::shared_ptr<session> s, std::string g,
                  request_t r, std::optional<std::size_t> length)
      : work(asio::make_work_guard(ioc)), self(std::move(s)), graph(std::move(g)),
        request(std::move(r)), json_length(length) {}

    asio::executor_work_guard<asio::io_context::executor_type> work;
    std::shared_ptr<session> self;
    std::string graph;
    request_t request;
    std::optional<std::size_t> json_length;
    std::optional<result<infer_request>> parsed;
  };

  std::shared_ptr<session> self() {
    return std::static_pointer_cast<session>(shared_from_this());
  }

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void expire_after_client_timeout() {
    lowest().expires_after(std::chrono::milliseconds{core_->options.client_timeout_ms});
  }

  void handshake() {
    expire_after_client_timeout();
    if constexpr (is_tls)
      stream_.async_handshake(ssl::stream_base::server,
                              [self = self()](error_code ec) {
                                // A client that is not speaking TLS, or stalls: nothing was
                                // accepted, nothing is owed.
                                if (ec)
                                  return self->close_now();
                                self->read_header();
                              });
  }

  void read_header() {
    phase_ = phase::reading;
    core_->mark_waiting(this);
    if (core_->stopping || close_after_answer_) {
      close_now();
      return;
    }
    parser_.emplace();
    parser_->body_limit(core_->options.max_body_bytes);
    expire_after_client_timeout();
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&session::on_header, self()));
  }

  void on_header(error_code ec, std::size_t) {
    if (ec)
      return on_read_error(ec);
    const auto& head = parser_->get();
    if (auto problem = check_request_head(head))
      return refuse(head.version(), problem->status, problem->message);
    const auto& auth = core_->options.auth;
    if (auth.enabled() && !is_open(resolve(head.target()).kind, core_->options) &&
        !auth.allows(head[bhttp::field::authorization]))
      return refuse(head.version(), 401, "unauthorized");
    // curl and others wait for "100 Continue" before sending a large body.
    auto expect = head[bhttp::field::expect];
    if (beast::iequals(expect, "100-continue") && !parser_->is_done()) {
      continue_.emplace(bhttp::status::continue_, head.version());
      expire_after_client_timeout();
      bhttp::async_write(stream_, *continue_, [self = self()](error_code ec, std::size_t) {
        if (ec)
          return self->close_now();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  /// Answers a request refused on its head without reading its body, and closes.
  void refuse(unsigned version, unsigned status, std::string_view message) {
    phase_ = phase::answering;
    core_->mark_answering(this);
    version_ = version;
    keep_alive_ = false;
    send_error(status, message);
  }

  void read_body() {
    // Beast reads at most the buffer's free capacity per call, and the parser empties the
    // buffer as it goes: without room reserved, a tensor body arrives 512 bytes per read (and
    // per timer re-arm), 72 system calls for one 96x128x3 image. Reserved only once a body
    // comes, so that a connection that sends nothing costs little more than its socket.
    if (!parser_->is_done())
      buffer_.reserve(read_buffer_bytes);
    expire_after_client_timeout();
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&session::on_body, self()));
  }

  void on_body(error_code ec, std::size_t) {
    if (ec)
      return on_read_error(ec);
    phase_ = phase::answering;
    core_->mark_answering(this);
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
      core_->mark_answering(this);
      keep_alive_ = false;
      return send_error(413, fmt::format("request body larger than the limit of {} bytes",
                                         core_->options.max_body_bytes));
    }
    if (ec == bhttp::error::header_limit) {
      phase_ = phase::answering;
      core_->mark_answering(this);
      keep_alive_ = false;
      return send_error(431, "request header too large");
    }
    if (is_protocol_error(ec)) {
      phase_ = phase::answering;
      core_->mark_answering(this);
      keep_alive_ = false;
      return send_error(400, fmt::format("malformed HTTP request: {}", ec.message()));
    }
    // The client closed, vanished or stalled past client_timeout_ms (beast::error::timeout):
    // nothing was accepted, nothing is owed.
    close_now();
  }

  void handle(request_t request) {
    auto found = resolve(request.target());
    if (found.kind == route_kind::none)
      return send_error(404, fmt::format("no route for {} {}", std::string{request.method_string()},
                                         cut(request.target())));
    if (found.kind == route_kind::malformed)
      return send_error(400, fmt::format("the path {} holds a malformed %XX escape or a control "
                                         "character",
                                         cut(request.target())));
    auto allowed = method_of(found.kind);
    if (request.method() != allowed) {
      auto res = make_response(bhttp::status::method_not_allowed, json_type,
                               error_body(fmt::format(
                                 "{} {} is not allowed; use {}", std::string{request.method_string()},
                                 cut(request.target()), std::string{bhttp::to_string(allowed)})));
      res.set(bhttp::field::allow, bhttp::to_string(allowed));
      return send(std::move(res));
    }
    backend& b = core_->served;
    switch (found.kind) {
      case route_kind::none:
      case route_kind::malformed:
        return; // answered above, before the method was checked
      case route_kind::dashboard:
        return send(make_response(bhttp::status::ok, ui_content_type("index.html"),
                                  std::string{ui_asset("index.html")}));
      case route_kind::ui_asset: {
        auto bytes = ui_asset(found.graph);
        if (bytes.empty() || found.graph == "index.html")
          return send_error(404, fmt::format("no such file of the web page: {}", cut(found.graph)));
        return send(make_response(bhttp::status::ok, ui_content_type(found.graph),
                                  std::string{bytes}));
      }
      case route_kind::repository_reload:
        return start_call<std::string>(
          [&b, model = found.graph](auto done) { b.repository_reload(model, std::move(done)); },
          [this](std::string& message) {
            send(make_response(bhttp::status::ok, json_type,
                               nlohmann::json{{"message", message}}.dump()));
          });
      case route_kind::graph_layout:
        return start_call<std::string>(
          [&b, graph = found.graph](auto done) {
            // Graphviz runs on the thread that answers, not on this connection's.
            b.graph_dot(graph, [done = std::move(done)](result<std::string> dot) mutable {
              done(dot ? svg_of_dot(*dot) : result<std::string>{dot.error()});
            });
          },
          [this](std::string& svg) {
            send(make_response(bhttp::status::ok, ui_content_type("layout.svg"), std::move(svg)));
          });
      case route_kind::graph_submit: {
        // A name for messages only: no folder, so that a graph's `path:` models cannot be
        // looked for anywhere but under the daemon's own folder.
        auto file = query_value(request.target(), "file");
        if (auto slash = file.find_last_of('/'); slash != std::string::npos)
          file.erase(0, slash + 1);
        if (file.empty() || file == "." || file == ".." || file.size() > 200)
          file = "graph.yaml";
        return start_call<deployed_graph>(
          [&b, yaml = std::string{request.body()}, file](auto done) mutable {
            b.submit_graph(std::move(yaml), file, std::move(done));
          },
          [this](deployed_graph& g) { send_deployed(g); });
      }
      case route_kind::graph_remove:
        return start_call<deployed_graph>(
          [&b, graph = found.graph](auto done) { b.remove_graph(graph, std::move(done)); },
          [this](deployed_graph& g) { send_deployed(g); });
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
        auto metadata = b.metadata(found.graph);
        if (!metadata)
          return send_error(404, unknown_graph(found.graph));
        return send(make_response(bhttp::status::ok, json_type, model_metadata_body(*metadata)));
      }
      case route_kind::model_ready: {
        auto metadata = b.metadata(found.graph);
        if (!metadata)
          return send_error(404, unknown_graph(found.graph));
        if (!metadata->ready)
          return send_error(503, fmt::format("graph '{}' is not ready", found.graph));
        return send(make_response(bhttp::status::ok, json_type, {}));
      }
      case route_kind::model_infer:
        return start_infer(std::move(found.graph), std::move(request));
      case route_kind::model_config:
        return start_call<model_config>(
          [&b, graph = found.graph](auto done) { b.configuration(graph, std::move(done)); },
          [this](model_config& config) {
            send(make_response(bhttp::status::ok, json_type, model_config_body(config)));
          });
      case route_kind::model_stats:
        return start_call<std::vector<model_statistics>>(
          [&b, graph = found.graph](auto done) { b.statistics(graph, std::move(done)); },
          [this, version = found.version](std::vector<model_statistics>& entries) {
            // /versions/{v}/stats: the entries of that version only.
            if (!version.empty())
              std::erase_if(entries, [&](auto& e) { return e.version != version; });
            send(no_store(make_response(bhttp::status::ok, json_type, statistics_body(entries))));
          });
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
        bool load = found.kind == route_kind::repository_load;
        return start_call<std::string>(
          [&b, load, model = found.graph](auto done) {
            if (load)
              b.repository_load(model, std::move(done));
            else
              b.repository_unload(model, std::move(done));
          },
          [this](std::string&) { send(make_response(bhttp::status::ok, json_type, "{}")); });
      }
      case route_kind::model_feedback: {
        auto parsed = read_feedback_request(request.body(), core_->options.json_max_depth);
        if (!parsed)
          return send_error(status_for(parsed.error().code),
                            fmt::format("graph '{}': {}", found.graph, parsed.error().message));
        return start_call<feedback_result>(
          [&b, graph = found.graph, req = std::move(*parsed)](auto done) mutable {
            b.feedback(graph, std::move(req), std::move(done));
          },
          [this](feedback_result& r) {
            send(make_response(bhttp::status::ok, json_type, feedback_body(r)));
          });
      }
      case route_kind::model_tuning: {
        auto parsed = read_tuning_request(request.body());
        if (!parsed)
          return send_error(status_for(parsed.error().code), parsed.error().message);
        return start_call<std::string>(
          [&b, graph = found.graph, req = std::move(*parsed)](auto done) mutable {
            b.tune(graph, req.op, std::move(req.knobs), std::move(done));
          },
          [this](std::string& lines) {
            nlohmann::json replicas = nlohmann::json::array();
            std::size_t start = 0;
            while (start < lines.size()) {
              auto end = std::min(lines.find('\n', start), lines.size());
              replicas.push_back(lines.substr(start, end - start));
              start = end + 1;
            }
            send(make_response(bhttp::status::ok, json_type,
                               nlohmann::json{{"replicas", replicas}}.dump()));
          });
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
    auto pending = std::make_shared<pending_call>(*core_->ioc, self());
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

  void send_deployed(const deployed_graph& g) {
    send(make_response(bhttp::status::ok, json_type,
                       nlohmann::json{{"graph", g.name},
                                      {"operators", g.operators},
                                      {"replicas", g.replicas}}
                         .dump()));
  }

  std::string unknown_graph(const std::string& graph) {
    std::string served;
    for (auto& name : core_->served.graphs())
      served += (served.empty() ? "" : ", ") + name;
    return fmt::format("graph '{}' is not served here (graphs: {})", graph,
                       served.empty() ? "none" : served);
  }

  void start_infer(std::string graph, request_t request) {
    std::optional<std::size_t> json_length;
    if (auto field = request.find(inference_header_length_field); field != request.end()) {
      auto text = field->value();
      std::size_t n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec != std::errc{} || end != text.data() + text.size())
        return send_error(400, fmt::format("request: {} '{}' is not a byte count",
                                           inference_header_length_field, cut(text, 40)));
      json_length = n;
    }
    if (request.body().size() <= inline_parse_max_bytes)
      return continue_infer(std::move(graph), parse(request.body(), json_length));
    // A large body is parsed on the parse threads: tens of milliseconds for megabytes of
    // JSON that the connections sharing this event loop do not wait for.
    auto pending = std::make_shared<pending_parse>(*core_->ioc, self(), std::move(graph),
                                                   std::move(request), json_length);
    asio::post(*core_->parse_pool, [pending] {
      pending->parsed.emplace(pending->self->parse(pending->request.body(), pending->json_length));
      pending->request = {};
      auto strand = pending->self->executor();
      asio::post(strand, [pending] {
        pending->self->continue_infer(std::move(pending->graph), std::move(*pending->parsed));
      });
    });
  }

  /// parse_infer_request with this server's limits; memory running out for a huge body fails
  /// that request alone.
  result<infer_request> parse(std::string_view body, std::optional<std::size_t> json_length) {
    try {
      return parse_infer_request(body, json_length, core_->options.json_max_depth);
    } catch (const std::bad_alloc&) {
      return fail(errc::overloaded,
                  fmt::format("request: not enough memory to read a body of {} bytes now",
                              body.size()));
    }
  }

  void continue_infer(std::string graph, result<infer_request> parsed) {
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
      std::make_shared<pending_infer>(*core_->ioc, self(), graph, std::move(*parsed));
    auto strand = executor();
    try {
      core_->served.infer(graph, std::move(inputs), timeout_ms,
                          pending->request.id.value_or(std::string{}),
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
    if (status == 401)
      res.set(bhttp::field::www_authenticate, "Bearer");
    send(std::move(res));
  }

  void send(response_t res) {
    res.keep_alive(keep_alive_ && !close_after_answer_ && !core_->stopping);
    res.prepare_payload();
    response_ = std::move(res);
    expire_after_client_timeout();
    bhttp::async_write(stream_, response_,
                       beast::bind_front_handler(&session::on_write, self()));
  }

  void on_write(error_code ec, std::size_t) {
    if (ec)
      return close_now();
    if (!response_.keep_alive() || core_->stopping)
      return close_gracefully();
    response_ = {};
    read_header();
  }

  /// Closes after the answer. Over TCP: shuts down our sending side, then reads and drops what
  /// the client still sends (the rest of a refused body) until it closes or linger_max
  /// passes; closing at once with unread bytes would make the kernel reset the connection,
  /// and the client could lose the answer (the 413) before reading it. Over TLS: sends
  /// close_notify and waits as long for the client's.
  void close_gracefully() {
    phase_ = phase::lingering;
    core_->mark_waiting(this);
    lowest().expires_after(
      std::min(linger_max, std::chrono::milliseconds{core_->options.client_timeout_ms}));
    if constexpr (is_tls) {
      stream_.async_shutdown([self = self()](error_code) { self->close_now(); });
    } else {
      error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      linger();
    }
  }

  void linger() {
    stream_.async_read_some(asio::buffer(drain_), [self = self()](error_code ec, std::size_t) {
      if (ec)
        return self->close_now();
      self->linger();
    });
  }

  void close_now() {
    error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
  }

  Stream stream_;
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
  /// Set by shut_down: the connection closes once it owes no answer.
  bool close_after_answer_ = false;
  phase phase_ = phase::reading;
  std::array<char, 4096> drain_{};
};

/// Loads the certificate and key of an HTTPS port; the error names the file and the reason.
result<std::unique_ptr<ssl::context>> make_tls_context(const server_options& o) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  // TLS 1.2 and newer only.
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  error_code ec;
  ctx->use_certificate_chain_file(o.tls_certificate, ec);
  if (ec)
    return fail(errc::io_error, fmt::format("http: cannot use the certificate {} (tls-certificate): "
                                            "{}",
                                            o.tls_certificate, ec.message()));
  ctx->use_private_key_file(o.tls_key, ssl::context::pem, ec);
  if (ec)
    return fail(errc::io_error,
                fmt::format("http: cannot use the key {} (tls-key): {}", o.tls_key, ec.message()));
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
    return fail(errc::invalid_argument,
                fmt::format("http: the key {} does not belong to the certificate {}", o.tls_key,
                            o.tls_certificate));
  return ctx;
}

/// Out of file descriptors or kernel memory: accepting again at once fails again at once.
bool is_resource_exhaustion(const error_code& ec) {
  return ec == asio::error::no_descriptors || ec.value() == ENFILE ||
         ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
}

/// SO_REUSEPORT: several sockets listen on one port and the kernel spreads the incoming
/// connections over their queues.
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
using defer_accept = asio::detail::socket_option::integer<IPPROTO_TCP, TCP_DEFER_ACCEPT>;

/// One listening socket with its own accept loop, on its own strand so that stop() can close it
/// while an accept completes on another thread. The server opens several on the same port
/// (SO_REUSEPORT, server_options::listeners): the kernel spreads connection attempts over
/// their queues, so a flood overflows no single queue of `somaxconn` entries, which would drop
/// the SYNs of valid clients too (they retry only a second later).
class listener {
public:
  using admit_fn = std::function<void(tcp::socket)>;

  listener(asio::io_context& ioc, server_core& core, admit_fn admit)
    : ioc_(ioc), core_(core), admit_(std::move(admit)), acceptor_(asio::make_strand(ioc)),
      pause_(acceptor_.get_executor()) {}

  /// Opens, binds and listens; `step` names what failed.
  error_code open(const tcp::endpoint& endpoint, bool shared, std::string_view& step) {
    error_code ec;
    step = "opening the socket";
    acceptor_.open(endpoint.protocol(), ec);
    if (ec)
      return ec;
    step = "setting SO_REUSEADDR";
    acceptor_.set_option(asio::socket_base::reuse_address{true}, ec);
    if (!ec && shared) {
      step = "setting SO_REUSEPORT";
      acceptor_.set_option(reuse_port{true}, ec);
    }
    if (!ec && shared) {
      step = "setting TCP_DEFER_ACCEPT";
      acceptor_.set_option(defer_accept{deferred_accept_seconds}, ec);
    }
    if (ec)
      return ec;
    step = "binding";
    acceptor_.bind(endpoint, ec);
    if (ec)
      return ec;
    step = "listening";
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return ec;
    // Bursts of accepts (accept()) must not block when the queue is empty.
    step = "making the socket non-blocking";
    acceptor_.non_blocking(true, ec);
    return ec;
  }

  std::uint16_t bound_port(error_code& ec) const { return acceptor_.local_endpoint(ec).port(); }

  /// Starts the accept loop.
  void start() {
    asio::dispatch(acceptor_.get_executor(), [this] { accept(); });
  }

  /// Closes the socket: connection attempts are refused from now on. Safe from any thread.
  void close() {
    asio::post(acceptor_.get_executor(), [this] {
      error_code ignored;
      acceptor_.close(ignored);
      pause_.cancel();
    });
  }

  /// Closes the socket at once; only while no thread runs the event loop.
  void close_now() {
    error_code ignored;
    acceptor_.close(ignored);
  }

private:
  void accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [this](error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || core_.stopping || !acceptor_.is_open())
        return;
      if (!ec) {
        admit_(std::move(socket));
        // Take whatever else waits in the kernel's accept queue now, without a trip through
        // the event loop per connection, so that the queue has room for the next SYNs.
        for (std::size_t i = 0; i < accept_burst; ++i) {
          tcp::socket next{asio::make_strand(ioc_)};
          acceptor_.accept(next, ec);
          if (ec)
            break;
          admit_(std::move(next));
        }
        if (!ec || ec == asio::error::would_block || ec == asio::error::try_again)
          return accept();
      }
      if (is_resource_exhaustion(ec)) {
        // Free descriptors by closing the connections that wait longest, and rest a moment
        // instead of spinning on an accept that cannot succeed.
        core_.accept_log.print("accept on {}:{} failed: {} ({} connections open); closing idle "
                               "connections and pausing accepts for {} ms",
                               core_.options.host, port_of(), ec.message(),
                               core_.open_connections(), accept_pause.count());
        core_.make_room(true);
        pause_.expires_after(accept_pause);
        pause_.async_wait([this](error_code wait_ec) {
          if (!wait_ec && !core_.stopping)
            accept();
        });
        return;
      }
      // A connection reset before it was taken costs that client only; the listener goes on.
      core_.accept_log.print("accept on {}:{} failed: {}", core_.options.host, port_of(),
                             ec.message());
      accept();
    });
  }

  std::uint16_t port_of() const {
    error_code ignored;
    return bound_port(ignored);
  }

  asio::io_context& ioc_;
  server_core& core_;
  admit_fn admit_;
  tcp::acceptor acceptor_;
  /// Wakes the listener after a pause for lack of file descriptors (on the acceptor's strand).
  asio::steady_timer pause_;
};

} // namespace

/// The server's state: the event loop, the listeners and the threads.
struct server::impl {
  impl(backend& served, server_options options)
    : core(std::make_shared<server_core>(served, std::move(options))),
      ioc(static_cast<int>(thread_count())),
      parse_pool(std::max<std::size_t>(1, core->options.parse_threads)) {
    core->ioc = &ioc;
    core->parse_pool = &parse_pool;
  }

  enum class state {
    /// Constructed; start() has not succeeded yet.
    created,
    /// Listening and answering.
    running,
    /// stop() ran: the threads are joined and the server cannot be started again.
    stopped,
  };

  std::size_t thread_count() const { return std::max<std::size_t>(1, core->options.threads); }

  /// Binds `endpoint` once without SO_REUSEPORT and lets it go: fails when anything listens
  /// there, another hogard with SO_REUSEPORT sockets included, which would otherwise share the
  /// port silently. For port 0 it picks the free port that the listeners then share.
  error_code probe(tcp::endpoint& endpoint, std::string_view& step) {
    listener probe_socket{ioc, *core, {}};
    auto ec = probe_socket.open(endpoint, false, step);
    if (!ec)
      endpoint.port(probe_socket.bound_port(ec));
    if (ec && step == "listening")
      step = "binding";
    probe_socket.close_now();
    return ec;
  }

  /// A connection just accepted: served, or closed at once when every connection is busy.
  void admit(tcp::socket socket) {
    if (core->make_room())
      return start_session(std::move(socket));
    // Every connection is busy answering: this one waits for no one.
    core->accept_log.print("refused a connection on {}:{}: {} connections are open and all are "
                           "answering (http-max-connections)",
                           core->options.host, port, core->options.max_connections);
  }

  void start_session(tcp::socket socket) {
    error_code ignored;
    socket.set_option(tcp::no_delay{true}, ignored);
    if (tls)
      std::make_shared<session<tls_stream>>(std::move(socket), core, *tls)->start();
    else
      std::make_shared<session<plain_stream>>(std::move(socket), core)->start();
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
  asio::thread_pool parse_pool;
  /// server_options::listeners of them, all on `port` (SO_REUSEPORT).
  std::vector<std::unique_ptr<listener>> listeners;
  /// Set when the port speaks HTTPS.
  std::unique_ptr<ssl::context> tls;
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
  if (!o.tls_certificate.empty() || !o.tls_key.empty()) {
    auto ctx = make_tls_context(o);
    if (!ctx)
      return ctx.error();
    d.tls = std::move(*ctx);
  }
  auto failed = [&](std::string_view step, const error_code& ec) {
    for (auto& l : d.listeners)
      l->close_now();
    d.listeners.clear();
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
  std::string_view step;
  if (ec = d.probe(endpoint, step); ec)
    return failed(step, ec);
  for (std::size_t i = 0; i < std::max<std::size_t>(1, o.listeners); ++i) {
    auto& l = d.listeners.emplace_back(std::make_unique<listener>(
      d.ioc, *d.core, [&d](tcp::socket socket) { d.admit(std::move(socket)); }));
    if (ec = l->open(endpoint, true, step); ec)
      return failed(step, ec);
  }
  d.port = endpoint.port();

  d.work.emplace(asio::make_work_guard(d.ioc));
  for (auto& l : d.listeners)
    l->start();
  auto n = d.thread_count();
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
  for (auto& l : d.listeners)
    l->close();
  for (auto& s : d.core->all_sessions())
    asio::post(s->executor(), [s] { s->shut_down(); });
  // The loop now runs until the last connection is closed and the last inference answered;
  // bodies still being parsed hold work on it too, so the parse threads are idle after it.
  d.work.reset();
  for (auto& t : d.threads)
    t.join();
  d.threads.clear();
  d.parse_pool.join();
}

} // namespace hogar::http
