#include "scheduling/arrival_trace.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <string>

#include <unistd.h>

#include <doctest/doctest.h>

using namespace hogar;
using namespace hogar::scheduling;

namespace {

/// Absolute arrival times of a trace, seconds.
std::vector<double> arrival_times(const arrival_trace& t) {
  std::vector<double> out;
  double now = 0;
  for (auto x : t.interarrival_s)
    out.push_back(now += x);
  return out;
}

std::size_t arrivals_between(const std::vector<double>& times, double from, double to) {
  std::size_t n = 0;
  for (auto t : times)
    n += t >= from && t < to;
  return n;
}

} // namespace

TEST_CASE("a trace file holds one time per line, with blank lines and comments") {
  auto t = parse_arrival_trace(
    "# measured on the front end\n0.5\n\n  0.25   # a burst\n1e-3\r\n0\n", "t.txt");
  REQUIRE(t);
  CHECK(t->interarrival_s == std::vector<double>{0.5, 0.25, 0.001, 0.0});
  CHECK(t->duration_s() == doctest::Approx(0.751));
  CHECK(t->mean_rate() == doctest::Approx(4 / 0.751));
}

TEST_CASE("a bad trace line is refused naming the file, the line and the problem") {
  struct bad_case {
    const char* line;
    const char* says;
  };
  for (auto [line, says] : {bad_case{"abc", "not one number"},
                            bad_case{"0.5 0.5", "not one number"},
                            bad_case{"-0.1", "negative"}, bad_case{"nan", "not a finite"},
                            bad_case{"inf", "not a finite"}, bad_case{"3601", "more than an hour"},
                            bad_case{"1,5", "not one number"}}) {
    CAPTURE(line);
    auto t = parse_arrival_trace(std::string{"0.1\n# comment\n"} + line + "\n0.2\n", "t.txt");
    REQUIRE_FALSE(t);
    CHECK(t.error().code == errc::invalid_argument);
    CHECK(t.error().message.find("t.txt:3: ") == 0);
    CHECK(t.error().message.find(says) != std::string::npos);
  }
  auto empty = parse_arrival_trace("# nothing\n\n", "e.txt");
  REQUIRE_FALSE(empty);
  CHECK(empty.error().message == "e.txt: no inter-arrival times");
}

TEST_CASE("a trace file that cannot be opened is an io_error naming the path") {
  auto t = read_arrival_trace("/nonexistent/trace.txt");
  REQUIRE_FALSE(t);
  CHECK(t.error().code == errc::io_error);
  CHECK(t.error().message.find("/nonexistent/trace.txt") == 0);
}

TEST_CASE("a trace written in the file format reads back to the same doubles") {
  auto t = step_poisson_trace({0.07, 0.01}, 5.0, 11);
  REQUIRE(t);
  REQUIRE(t->size() > 100);
  t->interarrival_s.push_back(0.0);
  t->interarrival_s.push_back(1.0 / 3.0);
  t->interarrival_s.push_back(1e-9);
  auto text = format_arrival_trace(*t);
  CHECK(text.front() == '#');
  auto back = parse_arrival_trace(text, "round trip");
  REQUIRE(back);
  CHECK(back->interarrival_s == t->interarrival_s);

  auto path = std::filesystem::temp_directory_path() /
              ("hogar_arrival_trace_" + std::to_string(::getpid()) + ".txt");
  std::ofstream{path} << text;
  auto read = read_arrival_trace(path.string());
  std::filesystem::remove(path);
  REQUIRE(read);
  CHECK(read->interarrival_s == t->interarrival_s);
}

TEST_CASE("a step Poisson trace's rate follows its steps, the same for a seed") {
  std::vector<double> means{0.07, 0.06, 0.07, 0.10, 0.12};
  auto t = step_poisson_trace(means, 2000.0, 42);
  REQUIRE(t);
  auto times = arrival_times(*t);
  CHECK(times.back() < 5 * 2000.0);
  for (std::size_t i = 0; i < means.size(); ++i) {
    CAPTURE(i);
    auto n = arrivals_between(times, 2000.0 * static_cast<double>(i),
                              2000.0 * static_cast<double>(i + 1));
    // About 20-33 thousand arrivals a step: 3% is more than 4 standard deviations.
    CHECK(static_cast<double>(n) / 2000.0 == doctest::Approx(1 / means[i]).epsilon(0.03));
  }
  auto again = step_poisson_trace(means, 2000.0, 42);
  REQUIRE(again);
  CHECK(again->interarrival_s == t->interarrival_s);
  auto other = step_poisson_trace(means, 2000.0, 43);
  REQUIRE(other);
  CHECK(other->interarrival_s != t->interarrival_s);
  // Exponential inter-arrival times: the standard deviation equals the mean.
  auto first = step_poisson_trace({0.05}, 5000.0, 5);
  REQUIRE(first);
  double mean = 0, squares = 0;
  for (auto x : first->interarrival_s)
    mean += x / static_cast<double>(first->size());
  for (auto x : first->interarrival_s)
    squares += (x - mean) * (x - mean) / static_cast<double>(first->size());
  CHECK(mean == doctest::Approx(0.05).epsilon(0.02));
  CHECK(std::sqrt(squares) == doctest::Approx(0.05).epsilon(0.03));
}

TEST_CASE("a diurnal trace's rate follows its sine around the mean rate") {
  auto t = diurnal_trace(50.0, 0.5, 100.0, 10'000.0, 7);
  REQUIRE(t);
  CHECK(t->mean_rate() == doctest::Approx(50.0).epsilon(0.02));
  // Near the crest (phase 0.15-0.35) against near the trough (0.65-0.85): the sine's mean
  // over those spans is +-(cos 0.3pi - cos 0.7pi) / 0.4pi.
  std::size_t crest = 0, trough = 0;
  for (auto s : arrival_times(*t)) {
    auto phase = std::fmod(s, 100.0) / 100.0;
    crest += phase >= 0.15 && phase < 0.35;
    trough += phase >= 0.65 && phase < 0.85;
  }
  auto mean_sine = (std::cos(0.3 * std::numbers::pi) - std::cos(0.7 * std::numbers::pi)) /
                   (0.4 * std::numbers::pi);
  auto expected = (1 + 0.5 * mean_sine) / (1 - 0.5 * mean_sine);
  CHECK(static_cast<double>(crest) / static_cast<double>(trough) ==
        doctest::Approx(expected).epsilon(0.05));
  auto again = diurnal_trace(50.0, 0.5, 100.0, 10'000.0, 7);
  REQUIRE(again);
  CHECK(again->interarrival_s == t->interarrival_s);
}

TEST_CASE("a bursty trace keeps its long-run rate and is far burstier than Poisson") {
  auto t = bursty_trace(10.0, 100.0, 2.0, 8.0, 50'000.0, 3);
  REQUIRE(t);
  // (10 * 8 + 100 * 2) / (8 + 2) = 28 requests/s; about 5000 on/off cycles.
  CHECK(t->mean_rate() == doctest::Approx(28.0).epsilon(0.05));
  // Counts per second: a Poisson process has variance / mean = 1.
  std::vector<double> counts(50'000, 0.0);
  for (auto s : arrival_times(*t))
    counts[std::min<std::size_t>(counts.size() - 1, static_cast<std::size_t>(s))] += 1;
  double mean = 0, var = 0;
  for (auto c : counts)
    mean += c / static_cast<double>(counts.size());
  for (auto c : counts)
    var += (c - mean) * (c - mean) / static_cast<double>(counts.size());
  CHECK(var / mean > 5.0);
  auto again = bursty_trace(10.0, 100.0, 2.0, 8.0, 50'000.0, 3);
  REQUIRE(again);
  CHECK(again->interarrival_s == t->interarrival_s);
}

TEST_CASE("a generator refuses a parameter out of range, naming it") {
  auto a = diurnal_trace(50.0, 1.5, 100.0, 100.0, 1);
  REQUIRE_FALSE(a);
  CHECK(a.error().message.find("amplitude") != std::string::npos);
  auto b = step_poisson_trace({0.1, 0.0}, 10.0, 1);
  REQUIRE_FALSE(b);
  CHECK(b.error().message.find("mean_interarrival_s[1]") != std::string::npos);
  auto c = bursty_trace(-1.0, 10.0, 1.0, 1.0, 10.0, 1);
  REQUIRE_FALSE(c);
  CHECK(c.error().message.find("base_rate") != std::string::npos);
  auto huge = step_poisson_trace({1e-6}, 1e6, 1);
  REQUIRE_FALSE(huge);
  CHECK(huge.error().message.find("limit") != std::string::npos);
}
