#include "actors/metrics.hpp"

#include <fmt/format.h>

#include "actors/feedback_comparison.hpp"
#include "scheduling/latency_histogram.hpp"

namespace hogar {

namespace {

using scheduling::latency_histogram;

/// Label values are quoted; backslashes, quotes and newlines escaped (Prometheus rules).
std::string label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

/// The lines of one Prometheus histogram series over latency_histogram's buckets.
void histogram_lines(std::string& out, const char* name, const std::string& labels,
                     const std::vector<std::uint64_t>& buckets, std::int64_t sum_ns) {
  std::uint64_t cumulative = 0;
  for (std::size_t k = 0; k < latency_histogram::bounds_ns.size(); ++k) {
    cumulative += k < buckets.size() ? buckets[k] : 0;
    out += fmt::format("{}_bucket{{{},le=\"{:g}\"}} {}\n", name, labels,
                       static_cast<double>(latency_histogram::bounds_ns[k]) / 1e9, cumulative);
  }
  std::uint64_t total = 0;
  for (auto c : buckets)
    total += c;
  out += fmt::format("{}_bucket{{{},le=\"+Inf\"}} {}\n", name, labels, total);
  out += fmt::format("{}_sum{{{}}} {:g}\n", name, labels, static_cast<double>(sum_ns) / 1e9);
  out += fmt::format("{}_count{{{}}} {}\n", name, labels, total);
}

double p_us(const operator_stats& s, double p) {
  return latency_histogram::percentile_us(s.latency_buckets, p);
}

/// The replica's latencies since it started, bucketed: upper bounds in microseconds (the last
/// bucket, above every bound, has null) and counts.
nlohmann::json histogram_json(const operator_stats& s) {
  auto bounds = nlohmann::json::array();
  for (auto ns : scheduling::latency_histogram::bounds_ns)
    bounds.push_back(static_cast<double>(ns) / 1000.0);
  bounds.push_back(nullptr);
  auto counts = nlohmann::json::array();
  for (std::size_t i = 0; i < scheduling::latency_histogram::bucket_count; ++i)
    counts.push_back(i < s.latency_buckets.size() ? s.latency_buckets[i] : 0);
  return {{"upper_bounds_us", std::move(bounds)}, {"counts", std::move(counts)}};
}

nlohmann::json knobs_json(const std::vector<knob_value>& knobs) {
  auto out = nlohmann::json::object();
  for (auto& k : knobs)
    out[k.name] = k.value;
  return out;
}

nlohmann::json window_json(const window_stats& w) {
  return {{"requests", w.requests},
          {"seconds", w.seconds},
          {"arrival_rate", w.arrival_rate},
          {"mean_latency_ms", w.mean_latency_ms},
          {"p99_latency_ms", w.p99_latency_ms},
          {"slo_violation_fraction", w.slo_violation_fraction},
          {"mean_batch_size", w.mean_batch_size},
          {"cpu_cores", w.cpu_cores},
          {"config", knobs_json(w.config)}};
}

} // namespace

std::string tuning_line(const nlohmann::json& tuning) {
  // In the tuning grid's order (a JSON object's keys come back sorted).
  auto config = [](const nlohmann::json& knobs) {
    std::string out;
    for (auto name : {"batch_size", "queue_delay_us", "instances", "intra_op_threads"})
      if (knobs.contains(name))
        out += fmt::format("{}{}={}", out.empty() ? "" : " ", name, knobs[name].get<std::int64_t>());
    return out;
  };
  auto policy = tuning.value("policy", std::string{});
  if (policy.empty())
    return {};
  auto line = fmt::format("tuning {}: {}", policy, config(tuning["config"]));
  if (policy != "static")
    line += fmt::format("; best {} ({} tried, {} windows)", config(tuning["best"]),
                        tuning.value("configurations_tried", 0), tuning.value("windows", 0));
  auto& changes = tuning["changes"];
  if (!changes.empty())
    line += fmt::format("; last change: {}", changes.back().value("reason", std::string{}));
  return line;
}

nlohmann::json to_json(const tuning_status& t) {
  auto changes = nlohmann::json::array();
  for (auto& c : t.changes)
    changes.push_back({{"unix_ms", c.unix_ms}, {"config", knobs_json(c.config)}, {"reason", c.reason}});
  return {{"policy", t.policy},
          {"config", knobs_json(t.config)},
          {"best", knobs_json(t.best)},
          {"configurations_tried", t.tried},
          {"windows", t.windows},
          {"tuner_restarts", t.tuner_restarts},
          {"tuner_cpu_ms", static_cast<double>(t.tuner_cpu_ns) / 1e6},
          {"operator_cpu_ms", static_cast<double>(t.operator_cpu_ns) / 1e6},
          {"last_window", window_json(t.last_window)},
          {"changes", changes}};
}

namespace {

} // namespace

std::string prometheus_text(const cluster_snapshot& snap) {
  std::string out;
  header(out, "hogar_node_members", "gauge", "Cluster members by state, as this node sees them.");
  std::size_t counts[3] = {0, 0, 0};
  for (auto& m : snap.members)
    ++counts[static_cast<int>(m.state)];
  for (int s = 0; s < 3; ++s)
    out += fmt::format("hogar_node_members{{node=\"{}\",state=\"{}\"}} {}\n", label(snap.node),
                       to_string(static_cast<member_state>(s)), counts[s]);
  header(out, "hogar_node_peer_alive", "gauge", "1 if the member is alive, else 0.");
  for (auto& m : snap.members)
    out += fmt::format("hogar_node_peer_alive{{node=\"{}\",peer=\"{}\"}} {}\n", label(snap.node),
                       label(m.info.name), m.state == member_state::alive ? 1 : 0);

  header(out, "hogar_ingress_requests_total", "counter",
         "Requests seen by this node's ingress, by outcome.");
  for (auto& g : snap.graphs) {
    auto& i = g.ingress;
    auto graph = label(g.summary.name);
    for (auto [outcome, value] : {std::pair{"accepted", i.accepted}, {"completed", i.completed},
                                  {"failed", i.failed}, {"timed_out", i.timed_out},
                                  {"rejected", i.rejected}})
      out += fmt::format("hogar_ingress_requests_total{{graph=\"{}\",outcome=\"{}\"}} {}\n",
                         graph, outcome, value);
  }
  header(out, "hogar_ingress_in_flight", "gauge", "Requests in flight at this node's ingress.");
  for (auto& g : snap.graphs)
    out += fmt::format("hogar_ingress_in_flight{{graph=\"{}\"}} {}\n", label(g.summary.name),
                       g.ingress.in_flight);

  // Feedback on this node's answers: per graph (operator="") and per model version.
  auto feedback = [&](const char* name, const char* help, auto value) {
    header(out, name, "counter", help);
    for (auto& g : snap.graphs)
      for (auto& o : g.ingress.outcomes)
        out += fmt::format("{}{{graph=\"{}\",operator=\"{}\",model=\"{}\",version=\"{}\"}} {}\n",
                           name, label(g.summary.name), label(o.op), label(o.model), o.version,
                           value(o));
  };
  feedback("hogar_feedback_answers_total", "Answers given feedback, per model version.",
           [](const outcome_stats& o) { return o.count; });
  feedback("hogar_feedback_labelled_total", "Answers given a label.",
           [](const outcome_stats& o) { return o.labelled; });
  feedback("hogar_feedback_correct_total", "Labelled answers that predicted the label.",
           [](const outcome_stats& o) { return o.correct; });
  feedback("hogar_feedback_scored_total", "Answers given expected values.",
           [](const outcome_stats& o) { return o.scored; });
  feedback("hogar_feedback_error_sum", "Sum of the mean absolute errors of the scored answers.",
           [](const outcome_stats& o) { return o.error_sum; });
  feedback("hogar_feedback_latency_seconds_sum",
           "Sum of the latencies of the answers given feedback.",
           [](const outcome_stats& o) { return static_cast<double>(o.latency_ns) / 1e9; });

  // Selects: their ensemble's members as the feedback labels judged them.
  auto per_member = [&](const char* name, const char* type, const char* help, auto value) {
    header(out, name, type, help);
    for (auto& g : snap.graphs)
      for (auto& r : g.replicas)
        for (auto& m : r.stats.members)
          out += fmt::format(
            "{}{{graph=\"{}\",operator=\"{}\",replica=\"{}\",member=\"{}\"}} {}\n", name,
            label(g.summary.name), label(r.op), r.replica, label(m.member), value(m));
  };
  per_member("hogar_feedback_member_labelled_total", "counter",
             "Labels told about requests an ensemble member answered.",
             [](const member_outcome& m) { return m.labelled; });
  per_member("hogar_feedback_member_correct_total", "counter",
             "Of those, the member predicted the label.",
             [](const member_outcome& m) { return m.correct; });
  per_member("hogar_feedback_member_accuracy", "gauge",
             "The member's accuracy its select uses: the prior, moved by the labels.",
             [](const member_outcome& m) { return m.accuracy; });

  auto per_replica = [&](const char* name, const char* type, const char* help, auto value) {
    header(out, name, type, help);
    for (auto& g : snap.graphs)
      for (auto& r : g.replicas)
        out += fmt::format("{}{{graph=\"{}\",operator=\"{}\",replica=\"{}\",node=\"{}\"}} {}\n",
                           name, label(g.summary.name), label(r.op), r.replica, label(r.node),
                           value(r.stats));
  };
  per_replica("hogar_operator_requests_total", "counter", "Calls of the operation.",
              [](const operator_stats& s) { return s.calls; });
  per_replica("hogar_operator_errors_total", "counter", "Requests that failed in the operator.",
              [](const operator_stats& s) { return s.failed; });
  per_replica("hogar_operator_skipped_total", "counter",
              "Requests for which the operator was skipped (false condition).",
              [](const operator_stats& s) { return s.skipped; });
  per_replica("hogar_operator_queue_depth", "gauge", "Requests waiting for the replica.",
              [](const operator_stats& s) { return s.queued; });
  per_replica("hogar_operator_in_flight", "gauge", "Requests inside the replica.",
              [](const operator_stats& s) { return s.in_flight; });
  per_replica("hogar_operator_batch_size", "gauge", "Largest batch the replica forms.",
              [](const operator_stats& s) { return s.batch_size_max; });
  per_replica("hogar_operator_batches_total", "counter", "Batches a model replica ran.",
              [](const operator_stats& s) { return s.batches; });
  per_replica("hogar_operator_batched_requests_total", "counter",
              "Requests in those batches (over batches: the mean batch size).",
              [](const operator_stats& s) { return s.batched_requests; });

  // Online tuning (issue 10): every model replica's knobs and windows.
  auto per_model = [&](const char* name, const char* help, auto value) {
    header(out, name, "gauge", help);
    for (auto& g : snap.graphs)
      for (auto& r : g.replicas)
        if (!r.stats.tuning.config.empty())
          out += fmt::format("{}{{graph=\"{}\",operator=\"{}\",replica=\"{}\",node=\"{}\",policy=\"{}\"}} {}\n",
                             name, label(g.summary.name), label(r.op), r.replica, label(r.node),
                             label(r.stats.tuning.policy), value(r.stats.tuning));
  };
  auto per_knob = [&](const char* name, const char* help, auto knobs_of) {
    header(out, name, "gauge", help);
    for (auto& g : snap.graphs)
      for (auto& r : g.replicas)
        for (auto& k : knobs_of(r.stats.tuning))
          out += fmt::format("{}{{graph=\"{}\",operator=\"{}\",replica=\"{}\",node=\"{}\",knob=\"{}\"}} {}\n",
                             name, label(g.summary.name), label(r.op), r.replica, label(r.node),
                             label(k.name), k.value);
  };
  per_knob("hogar_tuning_knob", "A model replica's knob value in force.",
           [](const tuning_status& t) { return t.config; });
  per_knob("hogar_tuning_best_knob", "The tuner's estimate of the best value of the knob.",
           [](const tuning_status& t) { return t.best; });
  per_model("hogar_tuning_configurations_tried", "Distinct configurations the tuner measured.",
            [](const tuning_status& t) { return t.tried; });
  per_model("hogar_tuning_windows", "Statistics windows closed.",
            [](const tuning_status& t) { return t.windows; });
  per_model("hogar_tuning_tuner_restarts", "Times the tuner crashed and was started again.",
            [](const tuning_status& t) { return t.tuner_restarts; });
  per_model("hogar_tuning_window_mean_latency_seconds", "Mean latency of the last window.",
            [](const tuning_status& t) { return t.last_window.mean_latency_ms / 1e3; });
  per_model("hogar_tuning_window_p99_latency_seconds", "p99 latency of the last window.",
            [](const tuning_status& t) { return t.last_window.p99_latency_ms / 1e3; });
  per_model("hogar_tuning_window_arrival_rate", "Requests per second in the last window.",
            [](const tuning_status& t) { return t.last_window.arrival_rate; });
  per_model("hogar_tuning_window_slo_violation_ratio",
            "Share of the last window's answers over the operator's slo_ms.",
            [](const tuning_status& t) { return t.last_window.slo_violation_fraction; });
  per_model("hogar_tuning_tuner_cpu_seconds", "CPU time the tuner used.",
            [](const tuning_status& t) { return static_cast<double>(t.tuner_cpu_ns) / 1e9; });
  per_model("hogar_tuning_operator_cpu_seconds", "CPU time the replica's workers used.",
            [](const tuning_status& t) { return static_cast<double>(t.operator_cpu_ns) / 1e9; });

  const char* hist = "hogar_operator_latency_seconds";
  header(out, hist, "histogram", "Time from complete inputs to released output.");
  for (auto& g : snap.graphs)
    for (auto& r : g.replicas)
      histogram_lines(out, hist,
                      fmt::format("graph=\"{}\",operator=\"{}\",replica=\"{}\",node=\"{}\"",
                                  label(g.summary.name), label(r.op), r.replica, label(r.node)),
                      r.stats.latency_buckets, r.stats.latency_sum_ns);

  // ARG recovery (actors/graph_supervisor.hpp).
  header(out, "hogar_graph_epoch", "gauge",
         "Epoch of the graph's wiring; every rewire after a failure raises it.");
  for (auto& g : snap.graphs)
    out += fmt::format("hogar_graph_epoch{{graph=\"{}\"}} {}\n", label(g.summary.name), g.epoch);
  header(out, "hogar_recoveries_total", "counter", "Lost replicas the graph's supervisor recovered.");
  for (auto& g : snap.graphs)
    out += fmt::format("hogar_recoveries_total{{graph=\"{}\"}} {}\n", label(g.summary.name),
                       g.recovery.total);
  const char* recovery = "hogar_recovery_seconds";
  header(out, recovery, "histogram", "Time from detecting a lost replica to its replacement wired in.");
  for (auto& g : snap.graphs)
    histogram_lines(out, recovery, fmt::format("graph=\"{}\"", label(g.summary.name)),
                    g.recovery.seconds_buckets, g.recovery.seconds_sum_ns);
  header(out, "hogar_replayed_total", "counter",
         "Messages sent again to a replacement after a rewire: inputs by this node's ingress, "
         "outputs by the graph's replicas.");
  for (auto& g : snap.graphs)
    out += fmt::format("hogar_replayed_total{{graph=\"{}\"}} {}\n", label(g.summary.name),
                       replayed_messages(g));
  header(out, "hogar_replay_buffer_bytes", "gauge",
         "Bytes of request inputs this node keeps for replay (limit: replay-buffer-bytes).");
  out += fmt::format("hogar_replay_buffer_bytes{{node=\"{}\"}} {}\n", label(snap.node),
                     snap.replay_buffer_bytes);
  return out;
}

nlohmann::json to_json(const member& m) {
  return {{"name", m.info.name},
          {"state", to_string(m.state)},
          {"host", m.info.host},
          {"actor_port", m.info.actor_port},
          {"http_port", m.info.http_port},
          {"cpu_threads", m.info.cpu_threads},
          {"gpus", m.info.gpus},
          {"labels", m.info.labels},
          {"incarnation", m.info.incarnation}};
}

nlohmann::json to_json(const graph_snapshot& g) {
  nlohmann::json replicas = nlohmann::json::array();
  for (auto& r : g.replicas) {
    auto& s = r.stats;
    replicas.push_back({{"operator", r.op},
                        {"kind", r.kind},
                        {"replica", r.replica},
                        {"node", r.node},
                        {"state", r.state},
                        {"calls", s.calls},
                        {"skipped", s.skipped},
                        {"failed", s.failed},
                        {"queue_depth", s.queued},
                        {"in_flight", s.in_flight},
                        {"batch_size_max", s.batch_size_max},
                        {"batch_delay_max_us", s.batch_delay_max_us},
                        {"batches", s.batches},
                        {"batch_size_mean", s.batches > 0 ? static_cast<double>(s.batched_requests) /
                                                              static_cast<double>(s.batches)
                                                        : 0.0},
                        {"versions", s.versions},
                        {"device", s.device},
                        {"latency_p50_us", p_us(s, 50)},
                        {"latency_p99_us", p_us(s, 99)},
                        {"throughput_rps", s.calls_per_second},
                        {"role", s.role},
                        {"backup_in_sync", s.backup_in_sync},
                        {"unacknowledged", s.unacknowledged},
                        {"replayed", s.replayed},
                        {"slo_ms", r.slo_ms},
                        {"latency_histogram", histogram_json(s)}});
    // Model replicas: their windows, and their tuning when they have a tuning block.
    if (!s.tuning.config.empty())
      replicas.back()["tuning"] = to_json(s.tuning);
    if (!s.members.empty()) {
      auto& members = replicas.back()["members"] = nlohmann::json::array();
      for (auto& m : s.members)
        members.push_back({{"member", m.member},
                           {"labelled", m.labelled},
                           {"correct", m.correct},
                           {"accuracy", m.accuracy}});
    }
  }
  nlohmann::json recoveries = nlohmann::json::array();
  for (auto& r : g.recovery.latest)
    recoveries.push_back({{"operator", r.op},
                          {"replica", r.replica},
                          {"failed_node", r.failed_node},
                          {"reason", r.reason},
                          {"detected_unix_ms", r.detected_unix_ms},
                          {"replaced_unix_ms", r.replaced_unix_ms},
                          {"first_answer_unix_ms", r.first_answer_unix_ms},
                          {"backup", r.backup},
                          {"new_node", r.new_node},
                          {"epoch", r.epoch}});
  nlohmann::json inputs = nlohmann::json::array();
  for (auto& in : g.inputs)
    inputs.push_back({{"name", in.name}, {"datatype", in.datatype}, {"shape", in.shape}});
  auto& i = g.ingress;
  nlohmann::json outcomes = nlohmann::json::array();
  for (auto& o : i.outcomes) {
    nlohmann::json row{{"operator", o.op},       {"model", o.model},
                       {"version", o.version},   {"answers", o.count},
                       {"labelled", o.labelled}, {"correct", o.correct},
                       {"scored", o.scored},     {"error_sum", o.error_sum},
                       {"latency_ms_mean", mean_latency_ms(o)}};
    if (auto a = accuracy(o))
      row["accuracy"] = *a;
    if (auto e = mean_error(o))
      row["mean_absolute_error"] = *e;
    outcomes.push_back(std::move(row));
  }
  return {{"name", g.summary.name},
          {"file", g.summary.file},
          {"operators", g.summary.operators},
          {"replica_count", g.summary.replicas},
          {"inputs", inputs},
          {"outputs", g.outputs},
          {"ingress",
           {{"accepted", i.accepted},
            {"completed", i.completed},
            {"failed", i.failed},
            {"timed_out", i.timed_out},
            {"rejected", i.rejected},
            {"in_flight", i.in_flight},
            {"replayed", i.replayed}}},
          {"replicas", replicas},
          {"feedback", outcomes},
          {"epoch", g.epoch},
          {"recoveries_total", g.recovery.total},
          {"replayed_messages", replayed_messages(g)},
          {"recoveries", recoveries}};
}

nlohmann::json to_json(const cluster_snapshot& snap) {
  nlohmann::json members = nlohmann::json::array();
  for (std::size_t i = 0; i < snap.members.size(); ++i) {
    members.push_back(to_json(snap.members[i]));
    if (i < snap.members_since_unix_ms.size() && snap.members_since_unix_ms[i] > 0)
      members.back()["state_since_unix_ms"] = snap.members_since_unix_ms[i];
  }
  nlohmann::json graphs = nlohmann::json::array();
  for (auto& g : snap.graphs)
    graphs.push_back(to_json(g));
  return {{"node", snap.node},
          {"taken_at_ns", snap.taken_at_ns},
          {"replay_buffer_bytes", snap.replay_buffer_bytes},
          {"replay_buffer_limit", snap.replay_buffer_limit},
          {"nodes", members},
          {"graphs", graphs}};
}

} // namespace hogar
