// hogar: the command-line interface. Dispatches to the subcommands in commands.hpp.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tools/hogar/commands.hpp"

namespace {

constexpr const char* usage = R"(usage: hogar COMMAND [ARGS]

commands:
  run GRAPH [--input JSON|@FILE] [--requests N] [--concurrency C] [--json]
                          serve GRAPH inside this process and send it requests
  graph check FILE...     validate graph files; every error with file:line:column
  graph dot FILE          print the graph in Graphviz format
  graph import FILE       convert a HAMS/EARG deployment file to the graph language
  graph export FILE [--format hams]
                          write a graph as a HAMS/EARG deployment file
  graph kinds             list the operator kinds and their parameters
  model test CASE_DIR...  run ONNX backend test cases on the reference, CPU and GPU paths
  model ops               the ONNX operators hogar runs, and where
  model ops --model FILE  every node of a model and what computes it (fallbacks named)
  model profile --model FILE
                          each node's time on the CPU paths, and the time by op type

cluster commands (each takes --cluster HOST:PORT, default 127.0.0.1:7701, and --json):
  submit GRAPH            place GRAPH on the cluster's nodes and start serving it
  list                    the deployed graphs
  status GRAPH            placement and live figures of every replica
  remove GRAPH            stop serving GRAPH (its queued requests are answered with an error)
  nodes                   the cluster's members and their state
  feedback GRAPH --id ID (--label N [--output T] | --expected JSON|@FILE)
                          the true outcome of an answer: counted per model version
  infer GRAPH [--input JSON|@FILE]
                          send one request (random inputs by default)
  load GRAPH [--concurrency C | --rate R | --trace FILE] [--requests N] [--duration S]
                          [--csv FILE]
                          load generator: closed loop, Poisson arrivals or a trace replayed,
                          latency summary
  tune set GRAPH OP KEY=VALUE...
                          change a model operator's batch_size, queue_delay_us, instances or
                          intra_op_threads while it serves (within its tuning bounds)
  tune show GRAPH         each tuned operator's configuration, the tuner's best estimate and
                          its last changes

`hogar COMMAND --help` shows a command's options.
)";

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(usage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  auto command = args[0];
  args.erase(args.begin());
  try {
    if (command == "run")
      return hogar::cli::run_command(args);
    if (command == "graph")
      return hogar::cli::graph_command(args);
    if (command == "model")
      return hogar::cli::model_command(args);
    if (auto status = hogar::cli::cluster_command(command, args); status >= 0)
      return status;
  } catch (const std::exception& e) {
    fmt::print(stderr, "hogar {}: {}\n", command, e.what());
    return 1;
  }
  fmt::print(stderr, "hogar: unknown command '{}'\n\n{}", command, usage);
  return 2;
}
