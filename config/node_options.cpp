#include "config/node_options.hpp"

#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>

#include <boost/algorithm/string.hpp>
#include <boost/program_options.hpp>
#include <fmt/format.h>

namespace po = boost::program_options;

namespace hogar::config {

namespace {

// Lists are written comma-separated ("seeds = 127.0.0.1:7701, 127.0.0.1:7702"), so they are
// read as strings and split here.
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> parts;
  boost::split(parts, text, boost::is_any_of(","));
  std::vector<std::string> out;
  for (auto& p : parts) {
    boost::trim(p);
    if (!p.empty())
      out.push_back(p);
  }
  return out;
}

bool valid_name(const std::string& name) {
  if (name.empty())
    return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

/// The message of a Program_options error. Boost 1.74's what() fills in its placeholders
/// ("%value%", "%canonical_option%") and repeats until none is left, so a value or an option
/// name that holds a placeholder itself (`http-port = %value%`) made it loop forever on a
/// growing string (bench/fuzz/crashes/node_options). Where the settings hold a '%', the
/// message names the option and leaves out the text it would quote.
std::string message_of(const po::error& e, bool settings_hold_percent) {
  if (settings_hold_percent)
    if (auto* named = dynamic_cast<const po::error_with_option_name*>(&e))
      return fmt::format("option '{}' has an invalid name or value", named->get_option_name());
  return e.what();
}

} // namespace

result<endpoint> parse_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return fail(errc::invalid_argument, fmt::format("'{}' is not HOST:PORT", text));
  endpoint e;
  e.host = text.substr(0, colon);
  try {
    std::size_t used = 0;
    auto port = std::stoul(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || port == 0 || port > 65535)
      throw std::out_of_range("port");
    e.port = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    return fail(errc::invalid_argument,
                fmt::format("'{}': the port must be a number from 1 to 65535", text));
  }
  return e;
}

po::options_description describe(node_options& out) {
  po::options_description desc{"hogard --config FILE [--KEY=VALUE ...]\n\nsettings (INI keys "
                               "and flags)"};
  desc.add_options()
    ("name", po::value(&out.name), "node name, unique in the cluster (required)")
    ("host", po::value(&out.host)->default_value(out.host),
     "address the actor and HTTP ports listen on")
    // Ports are read as 32-bit numbers and range-checked in parse_node_options: Boost 1.74's
    // lexical_cast overflows `int` (undefined behaviour) on some digit strings when it reads
    // a 16-bit unsigned directly (bench/fuzz/crashes/node_options).
    ("actor-port", po::value<std::uint32_t>()->default_value(out.actor_port),
     "TCP port of the node actor (other nodes, CLI, inspector)")
    ("http-port", po::value<std::uint32_t>()->default_value(out.http_port),
     "TCP port of the HTTP server (KServe v2, /metrics, dashboard); 0: none")
    ("seeds", po::value<std::string>()->default_value(""),
     "comma-separated HOST:PORT actor ports of nodes to join through; empty: start a cluster")
    ("cpu-threads", po::value(&out.cpu_threads)->default_value(out.cpu_threads),
     "scheduler threads, and this node's capacity for placement; 0: one per core")
    ("gpus", po::value(&out.gpus)->default_value(out.gpus), "GPUs this node offers")
    ("labels", po::value<std::string>()->default_value(""),
     "comma-separated labels that operators' placement can ask for")
    ("heartbeat-interval-ms",
     po::value(&out.heartbeat_interval_ms)->default_value(out.heartbeat_interval_ms),
     "interval between heartbeats to every member, milliseconds")
    ("heartbeat-miss-count",
     po::value(&out.heartbeat_miss_count)->default_value(out.heartbeat_miss_count),
     "missed heartbeat intervals before a member is suspect; twice as many: dead")
    ("log-level", po::value(&out.log_level)->default_value(out.log_level),
     "quiet, error, warning, info or debug")
    ("scheduler-policy", po::value(&out.scheduler_policy)->default_value(out.scheduler_policy),
     "actor scheduler: sharing (lowest latency across nodes) or stealing")
    ("http-threads", po::value(&out.http_threads)->default_value(out.http_threads),
     "threads of the HTTP server (default: a quarter of the cores, at least 1)")
    ("http-max-body-bytes",
     po::value(&out.http_max_body_bytes)->default_value(out.http_max_body_bytes),
     "largest HTTP request body accepted, bytes (larger: 413)")
    ("http-client-timeout-ms",
     po::value(&out.http_client_timeout_ms)->default_value(out.http_client_timeout_ms),
     "how long the HTTP server waits on a client for the rest of a request, the next request "
     "on a kept-alive connection, or the reading of an answer, milliseconds; then it closes")
    ("http-json-max-depth",
     po::value(&out.http_json_max_depth)->default_value(out.http_json_max_depth),
     "arrays and objects nested deeper than this in a request's JSON are refused (400)")
    ("http-parse-threads",
     po::value(&out.http_parse_threads)->default_value(out.http_parse_threads),
     "threads that parse request bodies over 64 KiB, so that large JSON bodies never hold up "
     "other requests")
    ("http-max-connections",
     po::value(&out.http_max_connections)->default_value(out.http_max_connections),
     "HTTP connections open at once; at the cap the ones waiting longest for a request are "
     "closed to make room (lowered at start to fit the open-file limit)")
    ("auth-token-file", po::value(&out.auth_token_file)->default_value(out.auth_token_file),
     "file of bearer tokens, one per line ('#' comments): HTTP requests without "
     "'Authorization: Bearer TOKEN' are answered 401; empty: no authentication")
    ("auth-open-endpoints", po::value<std::string>()->default_value("health"),
     "comma-separated routes open without a token: health, metrics, dashboard; empty: none")
    ("request-timeout-ms",
     po::value(&out.request_timeout_ms)->default_value(out.request_timeout_ms),
     "deadline of a request that names none, milliseconds")
    ("max-in-flight", po::value(&out.max_in_flight)->default_value(out.max_in_flight),
     "requests in flight per graph on this node before new ones are shed (503)")
    ("feedback-retention-s",
     po::value(&out.feedback_retention_s)->default_value(out.feedback_retention_s),
     "seconds each graph keeps its answers for feedback (POST .../feedback); 0: none kept")
    ("feedback-max-answers",
     po::value(&out.feedback_max_answers)->default_value(out.feedback_max_answers),
     "answers each graph keeps for feedback at most, the oldest going first")
    ("feedback-max-bytes",
     po::value(&out.feedback_max_bytes)->default_value(out.feedback_max_bytes),
     "bytes of answer tensors each graph keeps for feedback at most")
    ("recovery", po::value(&out.recovery)->default_value(out.recovery),
     "ARG recovery: replace lost replicas and run the requests in flight again (true/false)")
    ("replay-buffer-bytes",
     po::value(&out.replay_buffer_bytes)->default_value(out.replay_buffer_bytes),
     "bytes of request inputs kept for replay on this node, all graphs together; beyond it "
     "new requests are shed (503)")
    ("drain-timeout-ms", po::value(&out.drain_timeout_ms)->default_value(out.drain_timeout_ms),
     "on SIGTERM, how long in-flight requests may take before exit, milliseconds")
    ("model-repository", po::value(&out.model_repository)->default_value(out.model_repository),
     "folder of versioned ONNX models (NAME/VERSION/model.onnx) that `model` operators and "
     "`hogar model load` name; relative to the daemon's working folder; empty: none")
    ("actor-max-message-bytes",
     po::value(&out.actor_max_message_bytes)->default_value(out.actor_max_message_bytes),
     "largest actor message a peer may send on the actor port, bytes; a peer that announces "
     "more is disconnected (before its handshake: 64 KiB)")
    ("actor-handshake-timeout-ms",
     po::value(&out.actor_handshake_timeout_ms)->default_value(out.actor_handshake_timeout_ms),
     "time a new actor-port connection has to finish its handshake (TLS included), "
     "milliseconds; then it is closed")
    ("actor-max-connections",
     po::value(&out.actor_max_connections)->default_value(out.actor_max_connections),
     "actor-port connections from peers held at once; more are closed when accepted")
    ("tls-certificate", po::value(&out.tls_certificate)->default_value(out.tls_certificate),
     "PEM certificate of this node, signed by the cluster's CA (tls-ca); with tls-key and "
     "tls-ca: mutual TLS on the actor port and HTTPS on the HTTP port; empty: plain TCP and "
     "HTTP, for loopback only")
    ("tls-key", po::value(&out.tls_key)->default_value(out.tls_key),
     "PEM private key of tls-certificate (unencrypted)")
    ("tls-ca", po::value(&out.tls_ca)->default_value(out.tls_ca),
     "PEM certificate of the cluster's CA: peers, CLI and inspector must present a "
     "certificate it signed (scripts/make-certs.sh makes them)");
  return desc;
}

result<parsed_node_options> parse_node_options(int argc, const char* const* argv) {
  parsed_node_options parsed;
  auto& out = parsed.options;
  auto settings = describe(out);
  po::options_description cli_only{"command line"};
  std::string config_file;
  cli_only.add_options()("config", po::value(&config_file), "the INI file to read")
    ("help,h", "show this help");
  po::options_description all;
  all.add(cli_only).add(settings);
  po::variables_map vm;
  bool percent = false;
  for (int i = 0; i < argc; ++i)
    percent = percent || std::string_view{argv[i]}.find('%') != std::string_view::npos;
  try {
    po::store(po::parse_command_line(argc, argv, all), vm);
  } catch (const po::error& e) {
    return fail(errc::invalid_argument, fmt::format("command line: {}", message_of(e, percent)));
  }
  if (vm.count("help")) {
    std::ostringstream help;
    help << all;
    parsed.help_requested = true;
    parsed.help = help.str();
    return parsed;
  }
  if (vm.count("config")) {
    config_file = vm["config"].as<std::string>();
    std::ifstream in{config_file};
    if (!in)
      return fail(errc::io_error, fmt::format("{}: cannot open the config file", config_file));
    std::string text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    percent = percent || text.find('%') != std::string::npos;
    std::istringstream file{text};
    try {
      // Values already given on the command line are kept: flags override the file.
      po::store(po::parse_config_file(file, settings, false), vm);
    } catch (const po::error& e) {
      return fail(errc::invalid_argument,
                  fmt::format("{}: {}", config_file, message_of(e, percent)));
    }
  }
  try {
    po::notify(vm);
  } catch (const po::error& e) {
    return fail(errc::invalid_argument,
                fmt::format("{}{}", config_file.empty() ? "" : config_file + ": ",
                            message_of(e, percent)));
  }
  auto where = config_file.empty() ? std::string{"command line"} : config_file;
  if (!valid_name(out.name))
    return fail(errc::invalid_argument,
                fmt::format("{}: 'name' must be set to letters, digits, '-', '_' or '.' (got "
                            "'{}')",
                            where, out.name));
  for (auto& text : split_list(vm["seeds"].as<std::string>())) {
    auto seed = parse_endpoint(text);
    if (!seed)
      return fail(errc::invalid_argument,
                  fmt::format("{}: 'seeds': {}", where, seed.error().message));
    out.seeds.push_back(*seed);
  }
  out.labels = split_list(vm["labels"].as<std::string>());
  out.auth_open_endpoints = split_list(vm["auth-open-endpoints"].as<std::string>());
  for (auto& open : out.auth_open_endpoints)
    if (open != "health" && open != "metrics" && open != "dashboard")
      return fail(errc::invalid_argument,
                  fmt::format("{}: 'auth-open-endpoints': '{}' is not health, metrics or "
                              "dashboard",
                              where, open));
  if (out.http_json_max_depth < 4 || out.http_json_max_depth > 10'000)
    return fail(errc::invalid_argument,
                fmt::format("{}: 'http-json-max-depth' must be from 4 to 10000 (got {})", where,
                            out.http_json_max_depth));
  if (out.http_client_timeout_ms < 1)
    return fail(errc::invalid_argument,
                fmt::format("{}: 'http-client-timeout-ms' must be at least 1", where));
  if (out.http_parse_threads < 1 || out.http_max_connections < 1)
    return fail(errc::invalid_argument,
                fmt::format("{}: 'http-parse-threads' and 'http-max-connections' must be at "
                            "least 1",
                            where));
  for (auto [key, port] : {std::pair{"actor-port", &out.actor_port},
                           std::pair{"http-port", &out.http_port}}) {
    auto value = vm[key].as<std::uint32_t>();
    if (value > 65535)
      return fail(errc::invalid_argument,
                  fmt::format("{}: '{}' must be a TCP port, 0 to 65535 (got {})", where, key,
                              value));
    *port = static_cast<std::uint16_t>(value);
  }
  if (out.actor_port == 0)
    return fail(errc::invalid_argument, fmt::format("{}: 'actor-port' must not be 0", where));
  if (out.http_port != 0 && out.http_port == out.actor_port)
    return fail(errc::invalid_argument,
                fmt::format("{}: 'http-port' and 'actor-port' are both {}", where, out.actor_port));
  if (out.heartbeat_interval_ms < 10)
    return fail(errc::invalid_argument,
                fmt::format("{}: 'heartbeat-interval-ms' must be at least 10 (got {})", where,
                            out.heartbeat_interval_ms));
  if (out.heartbeat_miss_count < 1)
    return fail(errc::invalid_argument,
                fmt::format("{}: 'heartbeat-miss-count' must be at least 1", where));
  static const std::vector<std::string> levels{"quiet", "error", "warning", "info", "debug"};
  if (std::find(levels.begin(), levels.end(), out.log_level) == levels.end())
    return fail(errc::invalid_argument,
                fmt::format("{}: 'log-level' must be one of quiet, error, warning, info, debug "
                            "(got '{}')",
                            where, out.log_level));
  if (out.scheduler_policy != "sharing" && out.scheduler_policy != "stealing")
    return fail(errc::invalid_argument,
                fmt::format("{}: 'scheduler-policy' must be sharing or stealing (got '{}')",
                            where, out.scheduler_policy));
  if (out.request_timeout_ms < 1 || out.drain_timeout_ms < 0 || out.max_in_flight < 1
      || out.http_threads < 1 || out.replay_buffer_bytes < 1)
    return fail(errc::invalid_argument,
                fmt::format("{}: 'request-timeout-ms', 'max-in-flight', 'http-threads' and "
                            "'replay-buffer-bytes' must be at least 1, 'drain-timeout-ms' at "
                            "least 0",
                            where));
  // A year at most: the retention in nanoseconds must fit the ledger's clock arithmetic.
  if (out.feedback_retention_s < 0 || out.feedback_retention_s > 366 * 86'400)
    return fail(errc::invalid_argument,
                fmt::format("{}: 'feedback-retention-s' must be 0 to 31622400 (a year), got {}",
                            where, out.feedback_retention_s));
  if (out.actor_max_message_bytes < 4096 || out.actor_max_message_bytes > 0xffffffffu)
    return fail(errc::invalid_argument,
                fmt::format("{}: 'actor-max-message-bytes' must be from 4096 to 4294967295 (got "
                            "{})",
                            where, out.actor_max_message_bytes));
  if (out.actor_handshake_timeout_ms < 10)
    return fail(errc::invalid_argument,
                fmt::format("{}: 'actor-handshake-timeout-ms' must be at least 10 (got {})",
                            where, out.actor_handshake_timeout_ms));
  if (out.actor_max_connections < 1)
    return fail(errc::invalid_argument,
                fmt::format("{}: 'actor-max-connections' must be at least 1", where));
  auto tls_set = !out.tls_certificate.empty() + !out.tls_key.empty() + !out.tls_ca.empty();
  if (tls_set != 0 && tls_set != 3)
    return fail(errc::invalid_argument,
                fmt::format("{}: 'tls-certificate', 'tls-key' and 'tls-ca' go together: set "
                            "all three (mutual TLS) or none (plain TCP, loopback only)",
                            where));
  for (auto [key, path] : {std::pair{"tls-certificate", &out.tls_certificate},
                           std::pair{"tls-key", &out.tls_key}, std::pair{"tls-ca", &out.tls_ca}})
    if (!path->empty() && !std::ifstream{*path})
      return fail(errc::io_error, fmt::format("{}: '{}': cannot open '{}'", where, key, *path));
  return parsed;
}

} // namespace hogar::config
