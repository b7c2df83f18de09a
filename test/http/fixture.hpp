// fixture.hpp: the one fixture of the HTTP tests: a fake backend made of plain objects and a
// small synchronous-looking HTTP client whose every exchange has a deadline.
//
// The fake serves two graphs:
//   "double": input x (FP32, any shape) -> "doubled" (2x, FP32) and "count" (INT64 scalar, x's
//             element count); answered from a thread of its own, as a real node answers from an
//             actor's thread. The first value of x injects errors: -1 overloaded, -2 deadline
//             exceeded, -3 operator failed, -4 infer throws, -5 unavailable, -6 internal.
//   "slow":   echoes x as "y" once the test calls release_slow(), or fails with
//             deadline_exceeded when the request's timeout_ms passes first. Not ready.
// Its configuration and statistics (Triton's extensions) describe "double" as a model served
// with a batch dimension, and count what "double" answered.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "http/backend.hpp"
#include "http/server.hpp"
#include "kernels/tensor.hpp"

namespace hogar::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

/// How long any single wait in these tests may take before it counts as a failure.
inline constexpr std::chrono::seconds deadline{10};

/// Waits until `condition` holds or `deadline` passes; returns whether it held.
inline bool wait_until(const std::function<bool()>& condition) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > until)
      return false;
    std::this_thread::yield();
  }
  return true;
}

class fake_backend : public http::backend {
public:
  ~fake_backend() override {
    release_slow();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock{mutex_};
      threads.swap(threads_);
    }
    for (auto& t : threads)
      t.join();
  }

  bool live() override { return true; }
  bool ready() override { return ready_; }
  std::vector<std::string> graphs() override { return {"double", "slow"}; }

  std::optional<http::model_metadata> metadata(const std::string& graph) override {
    if (graph == "double")
      return http::model_metadata{"double",
                                  {"1"},
                                  "hogar",
                                  {{"x", "FP32", {-1}}},
                                  {{"doubled", "FP32", {-1}}, {"count", "INT64", {}}},
                                  true,
                                  {}};
    if (graph == "slow")
      return http::model_metadata{"slow", {"1"}, "hogar", {{"x", "FP32", {-1}}},
                                  {{"y", "FP32", {-1}}}, false, {}};
    return std::nullopt;
  }

  void configuration(const std::string& graph,
                     std::function<void(result<http::model_config>)> done) override {
    std::lock_guard lock{mutex_};
    threads_.emplace_back([graph, done = std::move(done)] { done(config_of(graph)); });
  }

  static result<http::model_config> config_of(const std::string& graph) {
    if (graph != "double" && graph != "slow")
      return fail(errc::not_found, fmt::format("graph '{}' is not deployed", graph));
    http::model_config c;
    c.name = graph;
    c.max_batch_size = graph == "double" ? 4 : 0;
    c.inputs = {{"x", "FP32", {-1}}};
    c.outputs = {{"doubled", "FP32", {-1}}, {"count", "INT64", {}}};
    if (graph == "double")
      c.batching = http::model_config::dynamic_batching{500, {4}};
    c.instance_groups = {{"twice", "KIND_CPU", 2}};
    c.version_policy = "specific";
    c.specific_versions = {1};
    c.parameters = {{"operator.twice", R"({"kind": "model"})"}};
    return c;
  }

  // "double" answered doubled_ok_ times and failed doubled_failed_ times.
  void statistics(const std::string& graph,
                  std::function<void(result<std::vector<http::model_statistics>>)> done) override {
    std::lock_guard lock{mutex_};
    threads_.emplace_back([this, graph, done = std::move(done)] {
      if (!graph.empty() && graph != "double" && graph != "slow")
        return done(fail(errc::not_found, fmt::format("graph '{}' is not deployed", graph)));
      std::vector<http::model_statistics> entries;
      if (graph.empty() || graph == "double") {
        http::model_statistics e;
        e.name = "double";
        e.version = "1";
        e.last_inference_ms = doubled_ok_ > 0 ? 1'700'000'000'000 : 0;
        e.inference_count = e.execution_count = doubled_ok_;
        e.success = {static_cast<std::uint64_t>(doubled_ok_.load()), 1000 * doubled_ok_};
        e.fail = {static_cast<std::uint64_t>(doubled_failed_.load()), 10 * doubled_failed_};
        e.batches = {{1, {2, 20}, {2, 40}, {2, 60}}};
        entries.push_back(e);
        auto v2 = e;
        v2.version = "2";
        entries.push_back(v2);
      }
      if (graph.empty() || graph == "slow") {
        http::model_statistics slow;
        slow.name = "slow";
        slow.version = "1";
        entries.push_back(slow);
      }
      done(std::move(entries));
    });
  }

  void infer(const std::string& graph, record inputs, std::int64_t timeout_ms,
             std::string client_id, std::function<void(http::infer_outcome)> done) override {
    auto id = ++requests_;
    last_timeout_ms_ = timeout_ms;
    {
      std::lock_guard lock{mutex_};
      last_client_id_ = std::move(client_id);
    }
    if (graph == "double" && first_value(inputs) == -4)
      throw std::runtime_error("injected failure in infer");
    std::lock_guard lock{mutex_};
    threads_.emplace_back([this, graph, inputs = std::move(inputs), timeout_ms, id,
                           done = std::move(done)]() mutable {
      done(answer(graph, std::move(inputs), timeout_ms, id));
    });
  }

  // Feedback: "known" is an answer of "double" that predicted class 1; every other id is
  // unknown. Records what reached it.
  void feedback(const std::string& graph, http::feedback_request request,
                std::function<void(result<http::feedback_result>)> done) override {
    {
      std::lock_guard lock{mutex_};
      last_feedback_ = request;
    }
    if (graph != "double")
      return done(error_info{errc::not_found, fmt::format("graph '{}' is not deployed", graph)});
    if (request.id != "known")
      return done(error_info{errc::not_found,
                             fmt::format("feedback for request '{}': no answer with this id "
                                         "is kept here",
                                         request.id)});
    http::feedback_result r;
    r.id = request.id;
    if (request.label) {
      r.predicted = 1;
      r.correct = *request.label == 1;
    } else {
      r.mean_absolute_error = 0.25;
    }
    r.served.push_back(served_by{"twice", "double", 2});
    done(std::move(r));
  }

  std::string metrics_text() override {
    return fmt::format("# TYPE hogar_requests_total counter\nhogar_requests_total {}\n",
                       requests_.load());
  }

  std::string snapshot_json() override {
    return R"({"nodes": [{"name": "n1", "ready": true}], "graphs": [{"name": "double"}], )"
           R"("operators": [{"graph": "double", "name": "twice", "calls": 3}]})";
  }

  // A repository of two models: "double" (served on its own) and "spare" (not loaded).
  void repository_index(
    std::function<void(result<std::vector<http::repository_model_entry>>)> done) override {
    std::lock_guard lock{mutex_};
    std::vector<http::repository_model_entry> models{
      {"double", "1", "READY", ""},
      {"spare", "3", spare_loaded_ ? "READY" : "UNAVAILABLE", spare_loaded_ ? "" : "not loaded"}};
    threads_.emplace_back([models, done = std::move(done)] { done(models); });
  }

  void repository_load(const std::string& model,
                       std::function<void(result<std::string>)> done) override {
    std::lock_guard lock{mutex_};
    threads_.emplace_back([this, model, done = std::move(done)] {
      if (model != "double" && model != "spare")
        return done(fail(errc::not_found, fmt::format("model '{}' is not in the repository", model)));
      if (model == "spare")
        spare_loaded_ = true;
      done(fmt::format("model '{}' loaded", model));
    });
  }

  void repository_unload(const std::string& model,
                         std::function<void(result<std::string>)> done) override {
    std::lock_guard lock{mutex_};
    threads_.emplace_back([this, model, done = std::move(done)] {
      if (model != "spare" || !spare_loaded_)
        return done(fail(errc::not_found, fmt::format("model '{}' is not loaded", model)));
      spare_loaded_ = false;
      done(fmt::format("model '{}' unloaded", model));
    });
  }

  void repository_reload(const std::string& model,
                         std::function<void(result<std::string>)> done) override {
    if (model != "double")
      return done(fail(errc::not_found, fmt::format("model '{}' is not served", model)));
    done(std::string{"model 'double' reloaded: version 1 on 1 replica"});
  }

  /// `double` is drawn with an operator whose name holds markup and quotes.
  void graph_dot(const std::string& graph, std::function<void(result<std::string>)> done) override {
    if (graph != "double")
      return done(fail(errc::not_found, fmt::format("graph '{}' is not deployed", graph)));
    done(std::string{R"(digraph "double" {
  "in:x" [shape=ellipse, label="x"];
  "op:<b>twice</b> \"q\"" [shape=box, label="<b>twice</b> \"q\"\nmodel"];
  "in:x" -> "op:<b>twice</b> \"q\"";
}
)"});
  }

  /// A body holding "broken" fails with two diagnostics; else graph `submitted` is deployed.
  void submit_graph(std::string yaml, std::string file,
                    std::function<void(result<http::deployed_graph>)> done) override {
    {
      std::lock_guard lock{mutex_};
      submitted_files_.push_back(file);
    }
    if (yaml.find("broken") != std::string::npos)
      return done(fail(errc::invalid_argument,
                       fmt::format("{}:2:3: unknown field 'opertors'\n{}:7:5: operator 'b': "
                                   "input 'nope' is not an input or operator",
                                   file, file)));
    done(http::deployed_graph{"submitted", 2, 3});
  }

  void remove_graph(const std::string& graph,
                    std::function<void(result<http::deployed_graph>)> done) override {
    if (graph != "double")
      return done(fail(errc::not_found, fmt::format("graph '{}' is not deployed", graph)));
    done(http::deployed_graph{"double", 1, 1});
  }

  /// The file names submit_graph was given, in order.
  std::vector<std::string> submitted_files() {
    std::lock_guard lock{mutex_};
    return submitted_files_;
  }

  /// Knobs of `pipeline`'s operator `model`: batch_size in [1, 64]; the last set kept.
  void tune(const std::string& graph, const std::string& op,
            std::vector<std::pair<std::string, std::int64_t>> knobs,
            std::function<void(result<std::string>)> done) override {
    if (graph != "pipeline")
      return done(fail(errc::not_found, fmt::format("graph '{}' is not deployed", graph)));
    if (op != "model")
      return done(fail(errc::not_found, fmt::format("graph '{}' has no operator '{}'", graph, op)));
    std::string line = "model replica 0:";
    for (auto& [name, value] : knobs) {
      if (name != "batch_size" || value < 1 || value > 64)
        return done(fail(errc::invalid_argument,
                         fmt::format("operator 'model': {}={} is outside the bounds", name, value)));
      line += fmt::format(" {}={}", name, value);
    }
    std::lock_guard lock{mutex_};
    last_tuning_ = line;
    done(line);
  }

  std::atomic<bool> spare_loaded_{false};
  std::string last_tuning_;

  /// Lets every waiting and future "slow" request finish.
  void release_slow() {
    std::lock_guard lock{slow_mutex_};
    slow_released_ = true;
    slow_cv_.notify_all();
  }

  std::atomic<bool> ready_{true};
  /// Requests that reached infer(), of either graph.
  std::atomic<int> requests_{0};
  /// "slow" requests waiting to be released.
  std::atomic<int> slow_waiting_{0};
  std::atomic<std::int64_t> last_timeout_ms_{0};
  /// The "id" of the last inference, and the last feedback.
  std::string last_client_id() {
    std::lock_guard lock{mutex_};
    return last_client_id_;
  }
  http::feedback_request last_feedback() {
    std::lock_guard lock{mutex_};
    return last_feedback_;
  }
  /// "double" requests answered with outputs, and with an error.
  std::atomic<std::int64_t> doubled_ok_{0};
  std::atomic<std::int64_t> doubled_failed_{0};

private:
  std::vector<std::string> submitted_files_;

  static double first_value(const record& inputs) {
    auto* x = find_tensor(inputs, "x");
    return x && x->element_count() > 0 ? x->value_as_double(0) : 0;
  }

  http::infer_outcome answer(const std::string& graph, record inputs, std::int64_t timeout_ms,
                             std::uint64_t id) {
    http::infer_outcome out;
    out.request_id = id;
    auto* x = find_tensor(inputs, "x");
    if (graph != "double" && graph != "slow") {
      out.error = fail(errc::not_found, fmt::format("graph '{}' is not served here", graph));
      return out;
    }
    if (!x) {
      out.error = fail(errc::invalid_argument, fmt::format("graph '{}': input 'x' is missing",
                                                           graph));
      return out;
    }
    if (x->type() != dtype::float32) {
      out.error = fail(errc::invalid_argument,
                       fmt::format("graph '{}': input 'x' must be FP32, got {}", graph,
                                   to_kserve_string(x->type())));
      return out;
    }
    if (graph == "slow") {
      ++slow_waiting_;
      std::unique_lock lock{slow_mutex_};
      bool released = slow_cv_.wait_for(lock, std::chrono::milliseconds{timeout_ms},
                                        [&] { return slow_released_; });
      --slow_waiting_;
      if (!released)
        out.error = fail(errc::deadline_exceeded,
                         fmt::format("graph 'slow': deadline of {} ms passed", timeout_ms));
      else
        out.outputs = record{{"y", *x}};
      return out;
    }
    auto code = static_cast<int>(first_value(inputs));
    (code <= -1 && code >= -6 && code != -4 ? doubled_failed_ : doubled_ok_)++;
    switch (code) {
      case -1: out.error = fail(errc::overloaded, "graph 'double': too many requests"); return out;
      case -2: out.error = fail(errc::deadline_exceeded, "graph 'double': too late"); return out;
      case -3:
        out.error = fail(errc::operator_failed, "graph 'double': operator 'twice' failed");
        return out;
      case -5: out.error = fail(errc::unavailable, "graph 'double': shutting down"); return out;
      case -6: out.error = fail(errc::internal, "graph 'double': broken"); return out;
      default: break;
    }
    tensor doubled{dtype::float32, x->shape()};
    auto in = x->values<float>();
    auto o = doubled.mutable_values<float>();
    for (std::size_t i = 0; i < in.size(); ++i)
      o[i] = in[i] * 2;
    out.outputs = record{{"doubled", std::move(doubled)},
                         {"count", tensor::scalar<std::int64_t>(x->element_count())}};
    return out;
  }

  std::mutex mutex_;
  std::string last_client_id_;
  http::feedback_request last_feedback_;
  /// One per inference; joined by the destructor.
  std::vector<std::thread> threads_;
  std::mutex slow_mutex_;
  std::condition_variable slow_cv_;
  bool slow_released_ = false;
};

using response = bhttp::response<bhttp::string_body>;

/// One keep-alive HTTP/1.1 connection to 127.0.0.1:port. Each call runs its own io_context
/// for at most `deadline`, so a server that never answers fails the test instead of hanging it.
class client {
public:
  explicit client(std::uint16_t port) : stream_(ioc_) {
    beast::error_code ec;
    stream_.socket().connect(tcp::endpoint{asio::ip::address_v4::loopback(), port}, ec);
    REQUIRE_MESSAGE(!ec, "cannot connect to port ", port, ": ", ec.message());
  }

  /// Sends one request and reads the answer; an empty optional when none came (connection
  /// closed, or `deadline` passed).
  std::optional<response> request(bhttp::verb method, std::string target, std::string body = {},
                                  std::map<std::string, std::string> headers = {}) {
    bhttp::request<bhttp::string_body> req{method, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    for (auto& [name, value] : headers)
      req.set(name, value);
    req.body() = std::move(body);
    req.prepare_payload();
    std::optional<response> answer;
    response res;
    bool failed = false;
    bhttp::async_write(stream_, req, [&](beast::error_code ec, std::size_t) {
      // A refused body may be cut short by the server closing: read its answer anyway.
      bhttp::async_read(stream_, buffer_, res, [&](beast::error_code ec2, std::size_t) {
        if (ec2)
          failed = true;
        else
          answer = std::move(res);
      });
      (void)ec;
    });
    run();
    return failed ? std::nullopt : std::move(answer);
  }

  std::optional<response> get(std::string target) {
    return request(bhttp::verb::get, std::move(target));
  }
  std::optional<response> post(std::string target, std::string body,
                               std::map<std::string, std::string> headers = {}) {
    return request(bhttp::verb::post, std::move(target), std::move(body), std::move(headers));
  }

  /// Writes raw bytes (a partial request, say).
  void send_raw(const std::string& bytes) {
    beast::error_code ec;
    asio::write(stream_.socket(), asio::buffer(bytes), ec);
    REQUIRE_MESSAGE(!ec, "cannot write: ", ec.message());
  }

  /// Reads one answer (to bytes sent with send_raw); empty when none came within `deadline`.
  std::optional<response> read() {
    std::optional<response> answer;
    response res;
    bhttp::async_read(stream_, buffer_, res, [&](beast::error_code ec, std::size_t) {
      if (!ec)
        answer = std::move(res);
    });
    run();
    return answer;
  }

  /// True when the server closes the connection within `deadline`.
  bool closed_by_server() {
    bool closed = false;
    char byte;
    stream_.socket().async_read_some(asio::buffer(&byte, 1),
                                     [&](beast::error_code ec, std::size_t) { closed = !!ec; });
    run();
    return closed;
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

private:
  void run() {
    ioc_.restart();
    ioc_.run_for(deadline);
    if (!ioc_.stopped()) {
      // Deadline passed: cancel what is pending so the handlers referring to locals run now.
      beast::error_code ignored;
      stream_.socket().cancel(ignored);
      ioc_.restart();
      ioc_.run();
    }
  }

  asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

/// A fake backend with a server in front of it, listening on a port the kernel picked.
struct served {
  explicit served(http::server_options options = {}) : server(backend, std::move(options)) {
    auto bound = server.start();
    REQUIRE_MESSAGE(bound.has_value(), (bound ? "" : bound.error().message));
    port = *bound;
  }

  fake_backend backend;
  http::server server;
  std::uint16_t port = 0;
};

} // namespace hogar::test
