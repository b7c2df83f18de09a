// route.hpp: which of the server's routes a request target names, as pure functions of the
// target (so that they are tested and fuzzed without sockets). Path segments are
// percent-decoded; a segment with a malformed escape or a control character makes the whole
// target `malformed` (a NUL would cut a model name short on its way to the file system).
//
// Routes (anything else is `none`):
//   /, /dashboard, /ui/{asset}, /v2/dashboard.json, /metrics, /v2, /v2/health/live,
//   /v2/health/ready, /v2/repository/index, /v2/repository/models/{model}/load|unload|reload,
//   /v2/models/stats, /v2/models/{graph}[/versions/{v}][/ready|/infer|/config|/stats|/tuning|/feedback],
//   /v2/ui/graphs (POST: submit), /v2/ui/graphs/{graph} (DELETE: remove),
//   /v2/ui/graphs/{graph}/layout.svg
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/verb.hpp>

namespace hogar::http {

/// What a route resolves to, before the method is checked.
enum class route_kind {
  /// No such path (404).
  none,
  /// A path segment with a malformed %XX escape or a control character (400).
  malformed,
  dashboard,
  dashboard_json,
  metrics,
  server_metadata,
  health_live,
  health_ready,
  model_metadata,
  model_ready,
  model_infer,
  /// /v2/models/{graph}/config: Triton's model configuration extension.
  model_config,
  /// /v2/models/{graph}/stats, and /v2/models/stats for every graph: Triton's statistics.
  model_stats,
  repository_index,
  repository_load,
  repository_unload,
  /// POST /v2/models/{graph}/tuning: live knobs of a model operator (hogar's extension).
  model_tuning,
  /// POST /v2/models/{graph}/feedback: the true outcome of an answer (hogar's extension).
  model_feedback,
  /// GET /ui/{asset}: the web page's script and style (route::graph holds the asset's name).
  ui_asset,
  /// POST /v2/repository/models/{model}/reload: hot swap (hogar's extension).
  repository_reload,
  /// GET /v2/ui/graphs/{graph}/layout.svg: the graph laid out by Graphviz.
  graph_layout,
  /// POST /v2/ui/graphs: submit a graph (its YAML is the body).
  graph_submit,
  /// DELETE /v2/ui/graphs/{graph}: remove a graph.
  graph_remove,
};

struct route {
  route_kind kind;
  /// The graph named in /v2/models/{graph}/...; empty for other routes (and for the
  /// statistics of every graph).
  std::string graph;
  /// The version named in /v2/models/{graph}/versions/{version}/...; empty when none.
  std::string version = {};
};

/// Decodes %XX escapes of one path segment; nullopt for a malformed escape or a control
/// character.
std::optional<std::string> percent_decode(std::string_view segment);

/// The percent-decoded value of query parameter `key` in a request target ("/x?file=a.yaml"):
/// empty when it is absent, malformed or holds a control character.
std::string query_value(std::string_view target, std::string_view key);

/// Maps a request target (query string ignored) onto a route.
route resolve(std::string_view target);

/// The method a route takes (another one is answered 405).
boost::beast::http::verb method_of(route_kind kind);

} // namespace hogar::http
