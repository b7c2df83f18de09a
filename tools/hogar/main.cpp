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
  graph kinds             list the operator kinds and their parameters

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
  } catch (const std::exception& e) {
    fmt::print(stderr, "hogar {}: {}\n", command, e.what());
    return 1;
  }
  fmt::print(stderr, "hogar: unknown command '{}'\n\n{}", command, usage);
  return 2;
}
