// node_backend.hpp: the HTTP front end's view of a daemon (http/backend.hpp implemented over
// the node actor). Inference is asynchronous: each request is a short-lived actor that asks
// the node and calls back; metadata, configuration and metrics ask the node and wait (the node
// answers them from what it keeps); statistics ask every replica, asynchronously.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "http/backend.hpp"

namespace hogar {

class node_backend final : public http::backend {
public:
  node_backend(caf::actor_system& sys, caf::actor node);

  bool live() override;
  bool ready() override;
  std::vector<std::string> graphs() override;
  std::optional<http::model_metadata> metadata(const std::string& graph) override;
  void configuration(const std::string& graph,
                     std::function<void(result<http::model_config>)> done) override;
  void statistics(const std::string& graph,
                  std::function<void(result<std::vector<http::model_statistics>>)> done) override;
  void infer(const std::string& graph, record inputs, std::int64_t timeout_ms,
             std::string client_id, std::function<void(http::infer_outcome)> done) override;
  void feedback(const std::string& graph, http::feedback_request request,
                std::function<void(result<http::feedback_result>)> done) override;
  std::string metrics_text() override;
  std::string snapshot_json() override;
  void repository_index(
    std::function<void(result<std::vector<http::repository_model_entry>>)> done) override;
  void repository_load(const std::string& model,
                       std::function<void(result<std::string>)> done) override;
  void repository_unload(const std::string& model,
                         std::function<void(result<std::string>)> done) override;
  void tune(const std::string& graph, const std::string& op,
            std::vector<std::pair<std::string, std::int64_t>> knobs,
            std::function<void(result<std::string>)> done) override;
  void repository_reload(const std::string& model,
                         std::function<void(result<std::string>)> done) override;
  void graph_dot(const std::string& graph,
                 std::function<void(result<std::string>)> done) override;
  void submit_graph(std::string yaml, std::string file,
                    std::function<void(result<http::deployed_graph>)> done) override;
  void remove_graph(const std::string& graph,
                    std::function<void(result<http::deployed_graph>)> done) override;

  /// Snapshots younger than this are answered again instead of asking every replica anew:
  /// twenty open pages polling once a second cost the replicas two snapshots a second, not
  /// twenty (the page skips a snapshot it has seen).
  static constexpr std::chrono::milliseconds snapshot_reuse{500};

private:
  caf::actor_system& sys_;
  caf::actor node_;
  std::mutex snapshot_mutex_;
  std::string snapshot_;
  std::chrono::steady_clock::time_point snapshot_at_;
  /// Cleared when the node actor terminates: the daemon is no longer live.
  std::shared_ptr<std::atomic<bool>> node_alive_ = std::make_shared<std::atomic<bool>>(true);
};

} // namespace hogar
