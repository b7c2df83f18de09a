// `hogar graph check|dot|import|export|kinds`: the graph language from the command line.
#include <fstream>
#include <optional>
#include <iostream>
#include <sstream>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "graph/dot.hpp"
#include "graph/hams_export.hpp"
#include "graph/hams_import.hpp"
#include "graph/kinds.hpp"
#include "graph/loader.hpp"
#include "graph/topology.hpp"
#include "tools/hogar/commands.hpp"

namespace po = boost::program_options;

namespace hogar::cli {

namespace {

constexpr const char* graph_usage = R"(usage:
  hogar graph check FILE...                 exit 0 when every file is valid, 1 otherwise
  hogar graph dot FILE                      Graphviz DOT on standard output
  hogar graph import FILE [--cost-ms MS] [--name NAME] [--output OUT]
                                            HAMS/EARG deployment file -> graph YAML
  hogar graph export [--format hams] FILE [--output OUT]
                                            graph YAML -> HAMS/EARG deployment file
  hogar graph kinds                         operator kinds and their parameters
)";

int check(const args& files) {
  if (files.empty()) {
    std::cerr << graph_usage;
    return 2;
  }
  int status = 0;
  for (auto& file : files) {
    auto loaded = graph::load_graph_file(file);
    if (!loaded.ok()) {
      std::cerr << graph::to_string(loaded.errors);
      fmt::print(stderr, "{}: {} error{}\n", file, loaded.errors.size(),
                 loaded.errors.size() == 1 ? "" : "s");
      status = 1;
      continue;
    }
    auto& g = *loaded.spec;
    fmt::print("{}: ok: graph '{}', {} input{}, {} operator{}, {} output{}\n", file, g.name,
               g.inputs.size(), g.inputs.size() == 1 ? "" : "s", g.operators.size(),
               g.operators.size() == 1 ? "" : "s", g.outputs.size(),
               g.outputs.size() == 1 ? "" : "s");
  }
  return status;
}

int dot(const args& files) {
  if (files.size() != 1) {
    std::cerr << graph_usage;
    return 2;
  }
  auto loaded = graph::load_graph_file(files[0]);
  if (!loaded.ok()) {
    std::cerr << graph::to_string(loaded.errors);
    return 1;
  }
  std::cout << graph::to_dot(graph::build_topology(loaded.spec));
  return 0;
}

/// `text` to standard output, or to the file `output` when one is given.
int write_output(const std::string& text, const std::string& output) {
  if (output.empty()) {
    std::cout << text;
    return 0;
  }
  std::ofstream out{output};
  out << text;
  if (!out) {
    fmt::print(stderr, "{}: cannot write the file\n", output);
    return 1;
  }
  fmt::print(stderr, "wrote {}\n", output);
  return 0;
}

/// Parses `desc`'s options and one positional FILE into `file`: nullopt to go on, else the
/// exit status (help shown, or no file).
std::optional<int> parse_file_options(const args& argv, const po::options_description& desc,
                                      std::string& file) {
  po::options_description hidden;
  hidden.add_options()("file", po::value(&file));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(argv).options(all).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help") || file.empty()) {
    std::cout << desc;
    return vm.count("help") ? 0 : 2;
  }
  return std::nullopt;
}

int import(const args& argv) {
  std::string file;
  std::string output;
  graph::hams_import_options options;
  po::options_description desc{"hogar graph import FILE [options]"};
  desc.add_options()("help,h", "show this help")
    ("cost-ms", po::value(&options.cost_ms)->default_value(options.cost_ms),
     "cost of each simulated node, milliseconds")
    ("name", po::value(&options.graph_name), "graph name; default: from the file name")
    ("output,o", po::value(&output), "write the YAML here instead of standard output");
  if (auto status = parse_file_options(argv, desc, file))
    return *status;
  std::ifstream in{file};
  if (!in) {
    fmt::print(stderr, "{}: cannot open the file\n", file);
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto yaml = graph::import_hams(text.str(), file, options);
  if (!yaml) {
    fmt::print(stderr, "{}\n", yaml.error().message);
    return 1;
  }
  return write_output(*yaml, output);
}

int export_graph(const args& argv) {
  std::string file;
  std::string format = "hams";
  std::string output;
  po::options_description desc{"hogar graph export FILE [options]"};
  desc.add_options()("help,h", "show this help")
    ("format", po::value(&format)->default_value(format),
     "hams: the HAMS/EARG deployment format `graph import` reads")
    ("output,o", po::value(&output), "write the deployment here instead of standard output");
  if (auto status = parse_file_options(argv, desc, file))
    return *status;
  if (format != "hams") {
    fmt::print(stderr, "hogar graph export: unknown format '{}'; known formats: hams\n", format);
    return 2;
  }
  auto loaded = graph::load_graph_file(file);
  if (!loaded.ok()) {
    std::cerr << graph::to_string(loaded.errors);
    return 1;
  }
  auto deployment = graph::to_hams(graph::build_topology(loaded.spec));
  if (!deployment.ok()) {
    std::cerr << graph::to_string(deployment.errors);
    fmt::print(stderr, "{}: {} error{}; nothing exported\n", file, deployment.errors.size(),
               deployment.errors.size() == 1 ? "" : "s");
    return 1;
  }
  return write_output(graph::write_hams(deployment.nodes, file), output);
}

std::string format_default(const std::optional<graph::param_value>& value) {
  if (!value)
    return "required";
  auto text = graph::to_string(*value);
  return text.empty() ? "\"\"" : text;
}

int kinds() {
  for (auto& kind : graph::all_kinds()) {
    auto inputs = kind.max_inputs < 0 ? fmt::format("{} or more", kind.min_inputs)
                  : kind.min_inputs == kind.max_inputs
                    ? fmt::format("{}", kind.min_inputs)
                    : fmt::format("{} to {}", kind.min_inputs, kind.max_inputs);
    fmt::print("{}{}: {}\n  inputs: {}\n", kind.name, kind.is_condition ? " (condition)" : "",
               kind.summary, inputs);
    for (auto& p : kind.params) {
      auto type = p.type == graph::param_type::choice
                    ? fmt::format("one of {}", fmt::join(p.choices, "|"))
                    : std::string{graph::to_string(p.type)};
      fmt::print("  {:<18} {:<10} {}\n    {}\n", p.name, format_default(p.default_value), type,
                 p.help);
    }
  }
  return 0;
}

} // namespace

int graph_command(const args& argv) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
    std::cout << graph_usage;
    return argv.empty() ? 2 : 0;
  }
  args rest(argv.begin() + 1, argv.end());
  if (argv[0] == "check")
    return check(rest);
  if (argv[0] == "dot")
    return dot(rest);
  if (argv[0] == "import")
    return import(rest);
  if (argv[0] == "export")
    return export_graph(rest);
  if (argv[0] == "kinds")
    return kinds();
  fmt::print(stderr, "hogar graph: unknown subcommand '{}'\n{}", argv[0], graph_usage);
  return 2;
}

} // namespace hogar::cli
