// `hogar load GRAPH`: the load generator of the CLI. Sends requests for GRAPH to one daemon's
// node actor, which forwards them to its ingress: closed loop (--concurrency C requests in
// flight) or open loop (--rate R Poisson arrivals per second, sent whether or not earlier ones
// have answered). Draws a progress bar on a terminal, prints a latency summary (or --json),
// and writes one CSV row per request (--csv).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "actors/load_driver.hpp"
#include "scheduling/arrival_trace.hpp"
#include "scheduling/latency_summary.hpp"
#include "tools/hogar/cluster_cli.hpp"

namespace po = boost::program_options;

namespace hogar::cli {

namespace {

constexpr const char* usage = "hogar load GRAPH [options]";
/// Closed loop with neither --requests nor --duration sends this many.
constexpr std::size_t default_requests = 1000;
/// Distinct random requests generated from the declared inputs, used in turn; enough that
/// conditions take both branches, few enough that generating them costs nothing.
constexpr std::size_t input_pool_max = 64;
/// Distinct error messages printed by the human summary; --json lists up to json_errors_max.
constexpr std::size_t errors_shown = 5;
constexpr std::size_t json_errors_max = 20;

/// The options of `hogar load` beyond the common cluster ones. Those without a default are
/// told apart from the given ones by the variables map.
struct load_options {
  std::size_t concurrency = 1;
  double rate_per_second = 0;
  std::size_t requests = 0;
  double duration_s = 0;
  std::string input;
  std::uint64_t seed = 1;
  std::string csv;
  std::string trace;
  bool no_progress = false;
};

po::options_description describe(load_options& out) {
  po::options_description desc{"load options (--timeout-ms is also each request's deadline)"};
  desc.add_options()
    ("concurrency", po::value(&out.concurrency),
     "closed loop: keep C requests in flight (default 1)")
    ("rate", po::value(&out.rate_per_second),
     "open loop: send R requests per second, Poisson arrivals, without waiting for answers; "
     "needs --duration or --requests")
    ("requests", po::value(&out.requests),
     "stop sending after N requests (closed loop default: 1000 when no --duration)")
    ("duration", po::value(&out.duration_s), "stop sending after S seconds")
    ("trace", po::value(&out.trace),
     "open loop replaying FILE: one inter-arrival time in seconds per line ('#' comments), "
     "the first before the first request; sending ends with the file (or --requests, "
     "--duration); make traces with bench/tuning/make_trace")
    ("input", po::value(&out.input),
     "KServe v2 request JSON, or @FILE; default: random inputs from the graph's declaration")
    ("seed", po::value(&out.seed)->default_value(out.seed),
     "seed of the generated inputs and of the open loop's arrival times")
    ("csv", po::value(&out.csv),
     "write index,send_offset_us,latency_us,ok,error of every request to FILE")
    ("no-progress", po::bool_switch(&out.no_progress), "draw no progress bar");
  return desc;
}

/// Checks the combination of flags and fills the defaults; returns a message naming the flag
/// at fault, or "" when the flags make sense.
std::string validate(const po::variables_map& vm, load_options& opts) {
  auto given = [&](const char* name) { return vm.count(name) > 0; };
  if (given("concurrency") + given("rate") + given("trace") > 1)
    return "give one of --concurrency (closed loop), --rate or --trace (open loop)";
  if (given("concurrency") && opts.concurrency == 0)
    return "--concurrency must be at least 1";
  if (given("rate") && !(opts.rate_per_second > 0 && std::isfinite(opts.rate_per_second)))
    return "--rate must be a positive number of requests per second";
  if (given("requests") && opts.requests == 0)
    return "--requests must be at least 1";
  if (given("duration") && !(opts.duration_s > 0 && std::isfinite(opts.duration_s)))
    return "--duration must be a positive number of seconds";
  if (given("rate") && !given("requests") && !given("duration"))
    return "--rate needs --duration or --requests: an open loop has no end of its own";
  if (!given("requests") && !given("duration") && !given("trace"))
    opts.requests = default_requests;
  return {};
}

/// One line on stderr, redrawn in place: "[#####.....] 120/200 sent, 118 ok, 0 failed,
/// 96 req/s". Drawn on the load driver's actor, so it only formats and writes.
class progress_bar {
public:
  progress_bar(std::size_t requests, std::chrono::milliseconds duration)
    : requests_(requests), duration_(duration) {}

  void draw(const load_progress& p) {
    auto elapsed_s = std::chrono::duration<double>(p.elapsed).count();
    double done = 0;
    if (requests_ > 0)
      done = static_cast<double>(p.sent) / static_cast<double>(requests_);
    if (duration_.count() > 0)
      done = std::max(done, elapsed_s / std::chrono::duration<double>(duration_).count());
    done = std::clamp(done, 0.0, 1.0);
    auto filled = static_cast<std::size_t>(std::lround(done * width));
    std::string bar(filled, '#');
    bar.append(width - filled, '.');
    auto sent = requests_ > 0 ? fmt::format("{}/{}", p.sent, requests_) : std::to_string(p.sent);
    auto rate = elapsed_s > 0 ? static_cast<double>(p.answered) / elapsed_s : 0.0;
    // \r returns to the line's start, \033[K clears what a longer previous line left.
    fmt::print(stderr, "\r[{}] {} sent, {} ok, {} failed, {:.0f} req/s, {:.1f} s\033[K", bar,
               sent, p.answered - p.failed, p.failed, rate, elapsed_s);
    std::fflush(stderr);
    drawn_ = true;
  }

  /// Ends the line so that the summary starts on its own.
  void finish() {
    if (drawn_)
      std::fputs("\n", stderr);
  }

private:
  static constexpr std::size_t width = 30;
  std::size_t requests_;
  std::chrono::milliseconds duration_;
  bool drawn_ = false;
};

/// A distinct error message and how many requests failed with it.
struct error_kind {
  std::string message;
  std::size_t count = 0;
};

struct load_summary {
  std::size_t requests = 0;
  std::size_t failed = 0;
  double wall_s = 0;
  double requests_per_second = 0;
  double sent_per_second = 0;
  scheduling::latency_summary latency;
  /// In the order their first request was sent.
  std::vector<error_kind> errors;
};

/// The report's outcomes in send order (the driver records them in completion order).
std::vector<const request_outcome*> in_send_order(const load_report& report) {
  std::vector<const request_outcome*> out;
  out.reserve(report.outcomes.size());
  for (auto& o : report.outcomes)
    out.push_back(&o);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->index < b->index; });
  return out;
}

load_summary summarize(const load_report& report,
                       const std::vector<const request_outcome*>& ordered) {
  load_summary s;
  s.requests = report.outcomes.size();
  s.failed = report.failures();
  s.wall_s = static_cast<double>(report.wall_ns) / 1e9;
  s.requests_per_second = report.requests_per_second();
  s.sent_per_second = report.sent_per_second();
  auto latencies = report.latencies_ns();
  s.latency = scheduling::summarize_latencies(latencies);
  for (auto* o : ordered) {
    if (o->ok)
      continue;
    auto kind = std::find_if(s.errors.begin(), s.errors.end(),
                             [&](auto& k) { return k.message == o->error; });
    if (kind == s.errors.end())
      s.errors.push_back({o->error, 1});
    else
      ++kind->count;
  }
  return s;
}

/// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos)
    return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"')
      out += '"';
    out += c;
  }
  out += '"';
  return out;
}

void write_csv(std::ostream& out, const std::vector<const request_outcome*>& ordered) {
  out << "index,send_offset_us,latency_us,ok,error\n";
  for (auto* o : ordered)
    out << fmt::format("{},{:.3f},{:.3f},{},{}\n", o->index,
                       static_cast<double>(o->send_offset_ns) / 1000,
                       static_cast<double>(o->latency_ns) / 1000, o->ok ? 1 : 0,
                       csv_field(o->error));
}

std::string describe_mode(const load_plan& plan) {
  if (!plan.trace_gaps_s.empty())
    return fmt::format("open loop replaying a trace of {} arrivals", plan.trace_gaps_s.size());
  return plan.rate_per_second > 0
           ? fmt::format("open loop at {:g} requests/s", plan.rate_per_second)
           : fmt::format("closed loop, concurrency {}", plan.concurrency);
}

void print_human(const std::string& graph, const std::string& cluster, const load_plan& plan,
                 const load_summary& s) {
  fmt::print("graph '{}' via {}, {}: {} requests in {:.2f} s\n", graph, cluster,
             describe_mode(plan), s.requests, s.wall_s);
  fmt::print("{} ok, {} failed, {:.1f} requests/s answered", s.requests - s.failed, s.failed,
             s.requests_per_second);
  if (plan.rate_per_second > 0 || !plan.trace_gaps_s.empty())
    fmt::print(", {:.1f}/s sent", s.sent_per_second);
  fmt::print("\n");
  if (s.latency.count > 0)
    fmt::print("latency: {}\n", to_string(s.latency));
  if (s.errors.empty())
    return;
  fmt::print("errors ({} distinct):\n", s.errors.size());
  for (std::size_t i = 0; i < s.errors.size() && i < errors_shown; ++i)
    fmt::print("  {:>6} x {}\n", s.errors[i].count, s.errors[i].message);
  if (s.errors.size() > errors_shown)
    fmt::print("  ... and {} more\n", s.errors.size() - errors_shown);
}

void print_json(const std::string& graph, const std::string& cluster, const load_plan& plan,
                const load_summary& s) {
  nlohmann::json doc;
  doc["graph"] = graph;
  doc["cluster"] = cluster;
  if (!plan.trace_gaps_s.empty()) {
    doc["mode"] = "trace";
    doc["trace_arrivals"] = plan.trace_gaps_s.size();
  } else if (plan.rate_per_second > 0) {
    doc["mode"] = "open";
    doc["rate_per_second"] = plan.rate_per_second;
  } else {
    doc["mode"] = "closed";
    doc["concurrency"] = plan.concurrency;
  }
  doc["requests"] = s.requests;
  doc["ok"] = s.requests - s.failed;
  doc["failed"] = s.failed;
  doc["wall_s"] = s.wall_s;
  doc["requests_per_second"] = s.requests_per_second;
  doc["sent_per_second"] = s.sent_per_second;
  doc["latency_us"] = {{"min", s.latency.min_us}, {"mean", s.latency.mean_us},
                       {"p50", s.latency.p50_us}, {"p90", s.latency.p90_us},
                       {"p99", s.latency.p99_us}, {"max", s.latency.max_us}};
  auto errors = nlohmann::json::array();
  for (std::size_t i = 0; i < s.errors.size() && i < json_errors_max; ++i)
    errors.push_back({{"message", s.errors[i].message}, {"count", s.errors[i].count}});
  doc["errors"] = std::move(errors);
  doc["error_kinds"] = s.errors.size();
  std::cout << doc.dump(2) << "\n";
}

} // namespace

int load_command(const args& argv) {
  int status = 0;
  load_options opts;
  auto cl = parse(argv, usage, "graph", describe(opts), status);
  if (!cl)
    return status;
  if (auto problem = validate(cl->vm, opts); !problem.empty()) {
    fmt::print(stderr, "hogar load: {}\n", problem);
    return 2;
  }
  auto& graph = cl->positional;
  // Read the trace before connecting: a bad line is the user's to fix, named with its number.
  scheduling::arrival_trace trace;
  if (!opts.trace.empty()) {
    auto read = scheduling::read_arrival_trace(opts.trace);
    if (!read)
      return report({read.error().code, fmt::format("--trace: {}", read.error().message)});
    trace = std::move(*read);
  }
  // Open the CSV before the run: a bad path should not cost the whole load.
  std::ofstream csv;
  if (!opts.csv.empty()) {
    csv.open(opts.csv);
    if (!csv)
      return report({errc::io_error, fmt::format("--csv {}: cannot open the file for writing",
                                                 opts.csv)});
  }
  session s;
  if (auto ok = s.open(cl->cluster); !ok)
    return report(ok.error());

  load_plan plan;
  if (!opts.input.empty()) {
    auto parsed = parse_input_flag(opts.input);
    if (!parsed)
      return report(parsed.error());
    plan.inputs.push_back(std::move(*parsed));
  } else {
    auto wanted = opts.requests > 0 ? opts.requests
                  : trace.size() > 0  ? trace.size()
                                      : input_pool_max;
    auto pool_size = std::min(wanted, input_pool_max);
    auto pool = random_inputs(*s.client, graph, cl->cluster.timeout_ms, opts.seed, pool_size);
    if (!pool)
      return report(pool.error());
    plan.inputs = std::move(*pool);
  }
  plan.requests = opts.requests;
  plan.concurrency = opts.concurrency;
  plan.timeout_ms = cl->cluster.timeout_ms;
  plan.graph = graph;
  plan.rate_per_second = opts.rate_per_second;
  plan.duration = std::chrono::milliseconds(
    opts.duration_s > 0 ? std::max<std::int64_t>(std::llround(opts.duration_s * 1000), 1) : 0);
  plan.seed = opts.seed;
  plan.trace_gaps_s = std::move(trace.interarrival_s);
  progress_bar bar{plan.requests > 0 ? plan.requests : plan.trace_gaps_s.size(), plan.duration};
  if (!opts.no_progress && !cl->cluster.json && ::isatty(::fileno(stderr)) != 0)
    plan.on_progress = [&bar](const load_progress& p) { bar.draw(p); };

  auto ran = run_load(*s.sys, s.client->node(), plan);
  bar.finish();

  auto ordered = in_send_order(ran);
  auto summary = summarize(ran, ordered);
  if (csv.is_open()) {
    write_csv(csv, ordered);
    csv.close();
    if (!csv)
      return report({errc::io_error, fmt::format("--csv {}: writing failed", opts.csv)});
  }
  if (cl->cluster.json)
    print_json(graph, cl->cluster.cluster, plan, summary);
  else
    print_human(graph, cl->cluster.cluster, plan, summary);
  return summary.failed == 0 ? 0 : 1;
}

} // namespace hogar::cli
