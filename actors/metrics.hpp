// metrics.hpp: renderings of a cluster snapshot: Prometheus text for GET /metrics, and JSON
// for the dashboard, `hogar status --json` and `hogar-inspect --json`.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "actors/cluster_messages.hpp"

namespace hogar {

/// The Prometheus text exposition (version 0.0.4) of a snapshot: per operator replica
/// requests, errors, skips, queue depth, in-flight, batch size and a latency histogram; per
/// graph the ingress counters of this node; per node the members alive.
std::string prometheus_text(const cluster_snapshot& snap);

/// Latency percentiles and rates are derived here, so every consumer shows the same figures.
nlohmann::json to_json(const cluster_snapshot& snap);
nlohmann::json to_json(const graph_snapshot& g);
nlohmann::json to_json(const member& m);
nlohmann::json to_json(const tuning_status& t);

/// One line for a tuned replica (its to_json(tuning_status)): policy, configuration in force,
/// best estimate, the last change's reason; empty when the replica has no tuning block.
std::string tuning_line(const nlohmann::json& tuning);

} // namespace hogar
