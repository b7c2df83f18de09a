#include "actors/system_config.hpp"

#include <chrono>

#include <caf/atom.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include "actors/errors.hpp"
#include "actors/cluster_messages.hpp"
#include "actors/edge_ledger.hpp"
#include "actors/messages.hpp"

namespace hogar {

system_config::system_config() {
  // The scheduler's idle workers poll less than CAF's defaults: 10 polls 50 us apart instead
  // of 500 (25 ms of wake-ups after every message), then a sleep that a new message ends, at
  // most 1 ms long (CAF's 10 ms lets a message wait that long in a sleeping worker's queue).
  // Every wake-up takes a core from the OpenMP team of a model that computes meanwhile, and
  // the team waits for its slowest thread: ResNet-18 at one request at a time took 18 ms per
  // request in `hogar run` against 11 ms for the bare executor; now 13 ms. The dataflow's own
  // hops stay as fast (bench/results/pipeline.md).
  set("work-stealing.moderate-poll-attempts", std::size_t{10});
  set("work-stealing.relaxed-sleep-duration", caf::timespan{std::chrono::milliseconds(1)});
  add_message_type<tensor>("hogar::tensor");
  add_message_type<named_tensor>("hogar::named_tensor");
  add_message_type<record>("hogar::record");
  add_message_type<edge_value>("hogar::edge_value");
  add_message_type<edge_ack>("hogar::edge_ack");
  add_message_type<std::vector<edge_ack>>("hogar::edge_ack_list");
  add_message_type<state_replication>("hogar::state_replication");
  add_message_type<backup_sync>("hogar::backup_sync");
  add_message_type<infer_request>("hogar::infer_request");
  add_message_type<infer_reply>("hogar::infer_reply");
  add_message_type<operator_stats>("hogar::operator_stats");
  add_message_type<std::vector<operator_stats>>("hogar::operator_stats_list");
  add_message_type<knob_request>("hogar::knob_request");
  add_message_type<ingress_stats>("hogar::ingress_stats");
  add_message_type<feedback>("hogar::feedback");
  add_message_type<feedback_receipt>("hogar::feedback_receipt");
  add_message_type<outcome_stats>("hogar::outcome_stats");
  add_message_type<node_info>("hogar::node_info");
  add_message_type<member>("hogar::member");
  add_message_type<std::vector<member>>("hogar::member_list");
  add_message_type<replica_placement>("hogar::replica_placement");
  add_message_type<spawn_request>("hogar::spawn_request");
  add_message_type<std::vector<caf::actor>>("hogar::actor_list");
  add_message_type<graph_deployment>("hogar::graph_deployment");
  add_message_type<graph_summary>("hogar::graph_summary");
  add_message_type<std::vector<graph_summary>>("hogar::graph_summary_list");
  add_message_type<replica_snapshot>("hogar::replica_snapshot");
  add_message_type<tensor_decl>("hogar::tensor_decl");
  add_message_type<graph_snapshot>("hogar::graph_snapshot");
  add_message_type<graph_metadata>("hogar::graph_metadata");
  add_message_type<cluster_snapshot>("hogar::cluster_snapshot");
  add_message_type<repository_entry>("hogar::repository_entry");
  add_message_type<std::vector<repository_entry>>("hogar::repository_entry_list");
  add_error_category(error_category, [](std::uint8_t code, caf::atom_value,
                                        const caf::message& context) -> std::string {
    std::string text = std::string{"hogar::"} + to_string(static_cast<errc>(code));
    if (context.match_elements<std::string>())
      text += ": " + context.get_as<std::string>(0);
    return text;
  });
}

void system_config::enable_networking(bool direct_connections) {
  load<caf::io::middleman>();
  set("middleman.enable-automatic-connections", direct_connections);
  // Deserialize on the I/O thread instead of handing each message to a worker pool: one
  // thread hand-off less per remote message (bench/results/cluster_remote.md).
  set("middleman.workers", std::size_t{0});
  set("logger.verbosity", caf::atom("quiet"));
  set("logger.console", caf::atom("none"));
}

void system_config::enable_tls(const std::string& certificate, const std::string& key,
                               const std::string& ca) {
  load<caf::openssl::manager>();
  // CAF 0.17 reads these members (the openssl.* settings) when it makes each session.
  openssl_certificate = certificate;
  openssl_key = key;
  openssl_cafile = ca;
  set("middleman.enable-automatic-connections", false);
}

void system_config::use_test_coordinator(caf::actor_system_config& cfg) {
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.verbosity", caf::atom("quiet"));
}

} // namespace hogar
