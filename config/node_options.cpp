#include "config/node_options.hpp"

#include <fstream>
#include <sstream>

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
    ("actor-port", po::value(&out.actor_port)->default_value(out.actor_port),
     "TCP port of the node actor (other nodes, CLI, inspector)")
    ("http-port", po::value(&out.http_port)->default_value(out.http_port),
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
    ("request-timeout-ms",
     po::value(&out.request_timeout_ms)->default_value(out.request_timeout_ms),
     "deadline of a request that names none, milliseconds")
    ("max-in-flight", po::value(&out.max_in_flight)->default_value(out.max_in_flight),
     "requests in flight per graph on this node before new ones are shed (503)")
    ("drain-timeout-ms", po::value(&out.drain_timeout_ms)->default_value(out.drain_timeout_ms),
     "on SIGTERM, how long in-flight requests may take before exit, milliseconds")
    ("model-repository", po::value(&out.model_repository)->default_value(out.model_repository),
     "folder of versioned ONNX models (NAME/VERSION/model.onnx) that `model` operators and "
     "`hogar model load` name; relative to the daemon's working folder; empty: none");
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
  try {
    po::store(po::parse_command_line(argc, argv, all), vm);
  } catch (const po::error& e) {
    return fail(errc::invalid_argument, fmt::format("command line: {}", e.what()));
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
    try {
      // Values already given on the command line are kept: flags override the file.
      po::store(po::parse_config_file(in, settings, false), vm);
    } catch (const po::error& e) {
      return fail(errc::invalid_argument, fmt::format("{}: {}", config_file, e.what()));
    }
  }
  try {
    po::notify(vm);
  } catch (const po::error& e) {
    return fail(errc::invalid_argument,
                fmt::format("{}{}", config_file.empty() ? "" : config_file + ": ", e.what()));
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
      || out.http_threads < 1)
    return fail(errc::invalid_argument,
                fmt::format("{}: 'request-timeout-ms', 'max-in-flight' and 'http-threads' must "
                            "be at least 1, 'drain-timeout-ms' at least 0",
                            where));
  return parsed;
}

} // namespace hogar::config
