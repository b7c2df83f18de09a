// `hogar load` end to end: a real daemon serving the image-analysis graph, the CLI as a
// separate process, its JSON summary and CSV checked. Rates are real time on a shared 2-core
// machine, so they are checked within wide bands.
#include "test/cluster/cluster_fixture.hpp"

using namespace hogar::test;

namespace {

std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path()
         / ("hogar_load_" + std::to_string(::getpid()) + "_" + name);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

/// One daemon serving config/graphs/image-analysis.yaml.
struct serving_cluster {
  local_cluster cluster{1};

  serving_cluster() {
    REQUIRE(cluster.converged());
    auto submit = hogar_cli("submit config/graphs/image-analysis.yaml " + cluster[0].cluster());
    INFO(submit.err, cluster.logs());
    REQUIRE(submit.exit_code == 0);
  }

  command_result load(const std::string& flags) {
    return hogar_cli("load " + flags + " " + cluster[0].cluster());
  }
};

} // namespace

TEST_CASE("hogar load answers every request of a closed loop and writes one CSV row per request") {
  serving_cluster serving;
  auto csv = temp_path("closed.csv");
  auto r = serving.load("image-analysis --requests 200 --concurrency 8 --json --csv "
                        + csv.string());
  INFO(r.err, r.out);
  REQUIRE(r.exit_code == 0);
  auto doc = nlohmann::json::parse(r.out);
  CHECK(doc["graph"] == "image-analysis");
  CHECK(doc["mode"] == "closed");
  CHECK(doc["concurrency"] == 8);
  CHECK(doc["requests"] == 200);
  CHECK(doc["ok"] == 200);
  CHECK(doc["failed"] == 0);
  CHECK(doc["errors"].empty());
  CHECK(doc["latency_us"]["p50"].get<double>() > 0);
  CHECK(doc["latency_us"]["p99"].get<double>() >= doc["latency_us"]["p50"].get<double>());
  CHECK(doc["requests_per_second"].get<double>() > 0);

  auto lines = lines_of(slurp(csv));
  REQUIRE(lines.size() == 201);
  CHECK(lines[0] == "index,send_offset_us,latency_us,ok,error");
  // Rows in send order, every one a success with no error text.
  for (std::size_t i = 1; i < lines.size(); ++i) {
    INFO(lines[i]);
    CHECK(lines[i].rfind(std::to_string(i - 1) + ",", 0) == 0);
    CHECK(lines[i].substr(lines[i].size() - 3) == ",1,");
  }
  std::filesystem::remove(csv);
}

TEST_CASE("hogar load at a rate sends about that many requests per second") {
  serving_cluster serving;
  auto r = serving.load("image-analysis --rate 200 --duration 1 --json");
  INFO(r.err, r.out);
  REQUIRE(r.exit_code == 0);
  auto doc = nlohmann::json::parse(r.out);
  CHECK(doc["mode"] == "open");
  CHECK(doc["failed"] == 0);
  auto sent = doc["requests"].get<int>();
  auto rate = doc["requests_per_second"].get<double>();
  CHECK(sent >= 120);
  CHECK(sent <= 280);
  CHECK(rate >= 120);
  CHECK(rate <= 280);
}

TEST_CASE("hogar load against a graph that is not deployed exits 1 and names the graph") {
  serving_cluster serving;
  auto r = serving.load("no-such-graph --requests 10");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("'no-such-graph'") != std::string::npos);
  CHECK(r.err.find("not deployed") != std::string::npos);
}

TEST_CASE("hogar load refuses contradictory or incomplete flags with exit status 2") {
  // Usage errors are found before any daemon is asked, so none is started.
  auto both = hogar_cli("load image-analysis --concurrency 4 --rate 10 --duration 1");
  CHECK(both.exit_code == 2);
  CHECK(both.err.find("--concurrency") != std::string::npos);
  auto endless = hogar_cli("load image-analysis --rate 10");
  CHECK(endless.exit_code == 2);
  CHECK(endless.err.find("--rate needs --duration or --requests") != std::string::npos);
  auto zero = hogar_cli("load image-analysis --concurrency 0");
  CHECK(zero.exit_code == 2);
  CHECK(zero.err.find("--concurrency must be at least 1") != std::string::npos);
}

TEST_CASE("hogar load replays a trace file, one request per line, on its schedule") {
  serving_cluster serving;
  auto trace = temp_path("trace.txt");
  {
    std::ofstream out{trace};
    out << "# 50 arrivals 20 ms apart, then a burst of 10 at once\n";
    for (int i = 0; i < 50; ++i)
      out << "0.02\n";
    for (int i = 0; i < 10; ++i)
      out << "0\n";
  }
  auto r = serving.load("image-analysis --trace " + trace.string() + " --json");
  INFO(r.err, r.out);
  REQUIRE(r.exit_code == 0);
  auto doc = nlohmann::json::parse(r.out);
  CHECK(doc["mode"] == "trace");
  CHECK(doc["trace_arrivals"] == 60);
  CHECK(doc["requests"] == 60);
  CHECK(doc["failed"] == 0);
  // About one second of sending (50 x 20 ms), not 60 requests as fast as possible.
  CHECK(doc["wall_s"].get<double>() >= 0.9);
  std::filesystem::remove(trace);
}

TEST_CASE("hogar load refuses a trace with a negative or non-numeric line, naming the line") {
  auto trace = temp_path("bad_trace.txt");
  {
    std::ofstream out{trace};
    out << "0.1\n0.2\n-0.5\n";
  }
  // The trace is read before any daemon is asked.
  auto negative = hogar_cli("load image-analysis --trace " + trace.string());
  CHECK(negative.exit_code == 1);
  CHECK(negative.err.find(trace.string() + ":3:") != std::string::npos);
  {
    std::ofstream out{trace};
    out << "0.1\nfast\n";
  }
  auto word = hogar_cli("load image-analysis --trace " + trace.string());
  CHECK(word.exit_code == 1);
  CHECK(word.err.find(":2:") != std::string::npos);
  auto both = hogar_cli("load image-analysis --trace " + trace.string() + " --rate 5");
  CHECK(both.exit_code == 2);
  auto missing = hogar_cli("load image-analysis --trace /no/such/trace");
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("/no/such/trace") != std::string::npos);
  std::filesystem::remove(trace);
}
