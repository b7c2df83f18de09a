#include "http/route.hpp"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <vector>

namespace hogar::http {

namespace bhttp = boost::beast::http;

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
  for (unsigned char c : out)
    if (c < 0x20 || c == 0x7f)
      return std::nullopt;
  return out;
}

route resolve(std::string_view target) {
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
      return route{route_kind::malformed, {}};
    parts.push_back(std::move(*part));
    target.remove_prefix(end);
  }
  auto is = [&](std::initializer_list<std::string_view> expected) {
    return std::equal(parts.begin(), parts.end(), expected.begin(), expected.end());
  };
  if (parts.empty() || is({"dashboard"}))
    return route{route_kind::dashboard, {}};
  if (parts.size() == 2 && parts[0] == "ui")
    return route{route_kind::ui_asset, parts[1]};
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
  // /v2/repository/models/{model}/load|unload|reload
  if (parts.size() == 5 && parts[0] == "v2" && parts[1] == "repository" && parts[2] == "models") {
    if (parts[4] == "load")
      return route{route_kind::repository_load, parts[3]};
    if (parts[4] == "unload")
      return route{route_kind::repository_unload, parts[3]};
    if (parts[4] == "reload")
      return route{route_kind::repository_reload, parts[3]};
    return route{route_kind::none, {}};
  }
  // /v2/ui/graphs[/{graph}[/layout.svg]]: the web page's graph operations.
  if (parts.size() >= 3 && parts[0] == "v2" && parts[1] == "ui" && parts[2] == "graphs") {
    if (parts.size() == 3)
      return route{route_kind::graph_submit, {}};
    if (parts.size() == 4)
      return route{route_kind::graph_remove, parts[3]};
    if (parts.size() == 5 && parts[4] == "layout.svg")
      return route{route_kind::graph_layout, parts[3]};
    return route{route_kind::none, {}};
  }
  // /v2/models/stats: every graph's statistics (as in Triton, before a graph named "stats").
  if (is({"v2", "models", "stats"}))
    return route{route_kind::model_stats, {}};
  if (parts.size() < 3 || parts[0] != "v2" || parts[1] != "models")
    return route{route_kind::none, {}};
  // /v2/models/{graph}[/versions/{v}][/ready|/infer|/config|/stats]
  std::size_t next = 3;
  std::string version;
  if (parts.size() >= 5 && parts[3] == "versions") {
    next = 5;
    version = parts[4];
  }
  if (parts.size() == next)
    return route{route_kind::model_metadata, parts[2], version};
  if (parts.size() == next + 1 && parts[next] == "ready")
    return route{route_kind::model_ready, parts[2], version};
  if (parts.size() == next + 1 && parts[next] == "infer")
    return route{route_kind::model_infer, parts[2], version};
  if (parts.size() == next + 1 && parts[next] == "config")
    return route{route_kind::model_config, parts[2], version};
  if (parts.size() == next + 1 && parts[next] == "stats")
    return route{route_kind::model_stats, parts[2], version};
  if (parts.size() == 4 && parts[3] == "tuning")
    return route{route_kind::model_tuning, parts[2]};
  if (parts.size() == 4 && parts[3] == "feedback")
    return route{route_kind::model_feedback, parts[2]};
  return route{route_kind::none, {}};
}

std::string query_value(std::string_view target, std::string_view key) {
  auto q = target.find('?');
  if (q == std::string_view::npos)
    return {};
  auto query = target.substr(q + 1);
  while (!query.empty()) {
    auto end = std::min(query.find('&'), query.size());
    auto pair = query.substr(0, end);
    query.remove_prefix(std::min(end + 1, query.size()));
    auto eq = pair.find('=');
    if (pair.substr(0, eq) != key)
      continue;
    if (eq == std::string_view::npos)
      return {};
    // '+' is a space in a form-encoded query.
    std::string value{pair.substr(eq + 1)};
    std::replace(value.begin(), value.end(), '+', ' ');
    return percent_decode(value).value_or(std::string{});
  }
  return {};
}

bhttp::verb method_of(route_kind kind) {
  switch (kind) {
    case route_kind::model_infer:
    case route_kind::repository_index:
    case route_kind::repository_load:
    case route_kind::repository_unload:
    case route_kind::repository_reload:
    case route_kind::graph_submit:
    case route_kind::model_tuning:
    case route_kind::model_feedback: return bhttp::verb::post;
    case route_kind::graph_remove: return bhttp::verb::delete_;
    default: return bhttp::verb::get;
  }
}

} // namespace hogar::http
