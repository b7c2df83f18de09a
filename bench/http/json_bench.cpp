// json_bench: reading KServe inference requests, as the HTTP server does, against nlohmann's
// DOM parser (what the server used before issue 8) on the same bodies, in the same run:
//   - the 96x128x3 UINT8 image of the image-analysis graph as JSON data (about 140 KB), and
//   - a 30 MB FP32 body (the size that used to stall every connection for 1.8 s).
// The nlohmann column parses the text and reads every value of "data" into a float buffer,
// the least the old reader did; the hogar column is parse_infer_request, whole (simdjson, the
// depth limit, every check and the typed tensor). Writes bench/results/json.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/report_header.hpp"
#include "http/kserve.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

std::string image_body(std::mt19937& rng) {
  std::string body = R"({"inputs": [{"name": "image", "datatype": "UINT8", "shape": [96, 128, 3], "data": [)";
  for (int i = 0; i < 96 * 128 * 3; ++i)
    body += fmt::format("{}{}", i ? "," : "", rng() % 256);
  return body + "]}]}";
}

std::string float_body(std::mt19937& rng, std::size_t bytes) {
  std::uniform_real_distribution<float> value{-1, 1};
  std::string data;
  std::size_t n = 0;
  while (data.size() < bytes) {
    data += fmt::format("{}{:.6f}", n ? "," : "", value(rng));
    ++n;
  }
  return fmt::format(R"({{"inputs": [{{"name": "x", "datatype": "FP32", "shape": [{}], "data": [{}]}}]}})",
                     n, data);
}

/// Median milliseconds of `runs` calls of f.
template <class F>
double median_ms(int runs, F&& f) {
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    auto start = clock_type::now();
    f();
    times.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

double nlohmann_read(const std::string& body) {
  auto doc = nlohmann::json::parse(body);
  auto& data = doc["inputs"][0]["data"];
  std::vector<float> values;
  values.reserve(data.size());
  for (auto& v : data)
    values.push_back(v.get<float>());
  return values.empty() ? 0 : values.back();
}

double hogar_read(const std::string& body) {
  auto request = hogar::http::parse_infer_request(body, std::nullopt);
  if (!request)
    throw std::runtime_error(request.error().message);
  return static_cast<double>(request->inputs.front().value.byte_size());
}

} // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  int runs = 21;
  std::string out = "bench/results/json.md";
  po::options_description desc{"json_bench [options]"};
  desc.add_options()("runs", po::value(&runs)->default_value(runs), "runs per body (median)")(
    "out", po::value(&out)->default_value(out), "markdown report");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  po::notify(vm);

  std::mt19937 rng{42};
  struct body_case {
    std::string label;
    std::string text;
  };
  std::vector<body_case> bodies{{"96x128x3 UINT8 image", image_body(rng)},
                                {"30 MB FP32", float_body(rng, 30'000'000)}};
  std::string report = hogar::bench::report_header("Reading KServe JSON requests", argc, argv);
  report += "| body | bytes | nlohmann parse + read | hogar parse_infer_request | speed-up |\n";
  report += "|---|---:|---:|---:|---:|\n";
  for (auto& b : bodies) {
    volatile double sink = 0;
    int n = b.text.size() > 1'000'000 ? std::max(3, runs / 4) : runs;
    auto old_ms = median_ms(n, [&] { sink = nlohmann_read(b.text); });
    auto new_ms = median_ms(n, [&] { sink = hogar_read(b.text); });
    report += fmt::format("| {} | {} | {:.2f} ms | {:.2f} ms | {:.1f}x |\n", b.label,
                          b.text.size(), old_ms, new_ms, old_ms / new_ms);
    fmt::print("{}: nlohmann {:.2f} ms, hogar {:.2f} ms\n", b.label, old_ms, new_ms);
  }
  report += "\nMedians of the runs. A body over 64 KiB is parsed on the server's parse threads, "
            "so even the 30 MB one holds up no other connection (test/http/"
            "server_hardening_test.cpp measures the health latency meanwhile).\n";
  std::ofstream{out} << report;
  fmt::print("wrote {}\n", out);
}
