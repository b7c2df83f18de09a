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
  return route{route_kind::none, {}};
}

bhttp::verb method_of(route_kind kind) {
  switch (kind) {
    case route_kind::model_infer:
    case route_kind::repository_index:
    case route_kind::repository_load:
    case route_kind::repository_unload:
    case route_kind::model_tuning: return bhttp::verb::post;
    default: return bhttp::verb::get;
  }
}

} // namespace hogar::http
