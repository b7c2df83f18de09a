// tcp_floor_bench: the raw TCP floor on loopback, on its own. Prints a markdown table of the
// ping-pong round trip (p50/p99) and of one-way 1 MiB and 16 MiB transfers (MiB/s), and writes
// it to bench/results/tcp_floor.md (or --output). The cluster benchmark runs the same functions
// next to hogar's remote hops; this binary is the quick look at what the machine gives.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/program_options.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include "bench/cluster/tcp_floor.hpp"
#include "bench/report_header.hpp"

namespace po = boost::program_options;
using namespace hogar;

namespace {

std::string bytes_label(std::size_t bytes) {
  if (bytes >= (std::size_t{1} << 20) && bytes % (std::size_t{1} << 20) == 0)
    return fmt::format("{} MiB", bytes >> 20);
  if (bytes >= 1024 && bytes % 1024 == 0)
    return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} B", bytes);
}

} // namespace

int main(int argc, char** argv) {
  std::string output = "bench/results/tcp_floor.md";
  double scale = 1.0;
  std::size_t message_bytes = 64;
  int io_timeout_ms = 10'000;
  po::options_description desc{"tcp_floor_bench [options]"};
  desc.add_options()("help,h", "show this help")
    ("output", po::value(&output)->default_value(output), "where the markdown table goes")
    ("scale", po::value(&scale)->default_value(scale),
     "multiplies the round-trip and message counts (0.1 for a quick look)")
    ("message-bytes", po::value(&message_bytes)->default_value(message_bytes),
     "ping-pong message size, each way (at least 8)")
    ("io-timeout-ms", po::value(&io_timeout_ms)->default_value(io_timeout_ms),
     "a send or receive blocked this long fails the run");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    fmt::print(stderr, "tcp_floor_bench: {}\n{}", e.what(), [&] {
      std::ostringstream s;
      s << desc;
      return s.str();
    }());
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  auto scaled = [scale](std::size_t base, std::size_t at_least) {
    return std::max<std::size_t>(static_cast<std::size_t>(static_cast<double>(base) * scale),
                                 at_least);
  };

  bench::tcp_pingpong_result ping;
  std::vector<bench::tcp_transfer_result> transfers;
  try {
    bench::tcp_pingpong_options p;
    p.message_bytes = message_bytes;
    p.round_trips = scaled(50'000, 100);
    p.warmup_round_trips = scaled(2'000, 10);
    p.io_timeout_ms = io_timeout_ms;
    ping = bench::tcp_pingpong(p);
    // Counts chosen so each size moves about 2-3 GiB at scale 1: enough to average out
    // scheduling noise, a few seconds on loopback.
    for (auto [bytes, count] : {std::pair<std::size_t, std::size_t>{std::size_t{1} << 20, 2'000},
                                std::pair<std::size_t, std::size_t>{std::size_t{16} << 20, 150}}) {
      bench::tcp_transfer_options t;
      t.message_bytes = bytes;
      t.messages = scaled(count, 5);
      t.warmup_messages = scaled(count / 20, 2);
      t.io_timeout_ms = io_timeout_ms;
      transfers.push_back(bench::tcp_transfer(t));
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "tcp_floor_bench: {}\n", e.what());
    return 1;
  }

  using scheduling::format_duration_us;
  std::ostringstream md;
  md << bench::report_header("bench/cluster: raw TCP floor on loopback", argc, argv);
  md << "Ping-pong: one message in flight, echoed, TCP_NODELAY on both ends. Transfer: "
        "length-prefixed messages, each acknowledged by the receiver before the next is sent; "
        "latency is per message, send start to acknowledgement.\n\n";
  md << "| case | message | count | p50 | p99 | throughput |\n";
  md << "| --- | ---: | ---: | ---: | ---: | ---: |\n";
  md << fmt::format("| ping-pong round trip | {} | {} | {} | {} | {:.0f} round trips/s |\n",
                    bytes_label(ping.message_bytes), ping.round_trips,
                    format_duration_us(ping.round_trip.p50_us),
                    format_duration_us(ping.round_trip.p99_us),
                    static_cast<double>(ping.round_trips) / ping.seconds);
  for (auto& t : transfers)
    md << fmt::format("| one-way transfer | {} | {} | {} | {} | {:.0f} MiB/s |\n",
                      bytes_label(t.message_bytes), t.messages,
                      format_duration_us(t.per_message.p50_us),
                      format_duration_us(t.per_message.p99_us), t.mib_per_second);
  std::cout << md.str();
  std::ofstream out{output};
  out << md.str();
  if (!out) {
    fmt::print(stderr, "tcp_floor_bench: cannot write {}: {}\n", output, std::strerror(errno));
    return 1;
  }
  return 0;
}
