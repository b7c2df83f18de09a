// hams_import.cpp: HAMS/EARG deployment files -> UDGL text. HAMS describes a graph of model
// containers; here each node becomes a `simulate` operator with the node's cost, so the
// imported graph runs (and can be measured) before real models replace the simulated ones.
#include "graph/hams_import.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include <fmt/format.h>

namespace hogar::graph {

namespace {

/// The name of the one graph input every source node reads, unless a node has it.
constexpr std::string_view input_name = "input";

struct hams_node {
  std::string name;
  std::string version;
  std::string image;
  bool stateful = false;
  std::int64_t batch_size = 1;
  int line = 0;
  /// Producers, in the order the edges name them, without repeats.
  std::vector<std::size_t> inputs;
  std::vector<std::size_t> consumers;
};

struct numbered_line {
  std::string_view text;
  int number = 0;
};

/// Thrown inside this file only, caught by import_hams: keeps the parser readable.
struct import_error {
  std::string message;
};

std::string_view trim(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!text.empty() && is_space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_space(text.back()))
    text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    auto at = text.find(separator);
    parts.push_back(trim(text.substr(0, at)));
    if (at == std::string_view::npos)
      return parts;
    text.remove_prefix(at + 1);
  }
}

std::optional<std::int64_t> to_integer(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

/// A valid UDGL name ([A-Za-z_][A-Za-z0-9_-]*) for a HAMS node name: other characters become
/// '_', and a name that does not start with a letter gets a "node_" prefix.
std::string sanitize(std::string_view name) {
  std::string out;
  for (char c : name) {
    bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '-';
    out += keep ? c : '_';
  }
  if (out.empty() || !((out[0] >= 'A' && out[0] <= 'Z') || (out[0] >= 'a' && out[0] <= 'z') ||
                       out[0] == '_'))
    out = "node_" + out;
  return out;
}

/// A word that YAML reads as null or a bool rather than as a string when it is not quoted.
bool is_yaml_word(std::string_view name) {
  static const std::set<std::string_view> yaml_words = {
    "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"};
  return yaml_words.count(name) > 0;
}

/// The graph's name, written unquoted: a YAML word gets the prefix too.
std::string graph_name_for(std::string_view name) {
  auto out = sanitize(name);
  return is_yaml_word(out) ? "node_" + out : out;
}

/// A node's name as YAML text: quoted where YAML would read it as null or a bool (a node named
/// "null" must keep its name through `graph export` and back).
std::string yaml_name(const std::string& name) {
  return is_yaml_word(name) ? fmt::format("\"{}\"", name) : name;
}

/// A YAML double-quoted scalar.
std::string yaml_quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
      continue;
    }
    out += c;
  }
  return out + "\"";
}

/// Text for a YAML comment: one line, whatever the file name holds.
std::string comment_text(std::string_view text) {
  std::string out{text};
  std::replace_if(out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return out;
}

class hams_parser {
public:
  hams_parser(std::string_view text, const std::string& file) : file_(file) {
    int number = 0;
    while (!text.empty() || number == 0) {
      auto end = text.find('\n');
      auto line = trim(text.substr(0, end));
      ++number;
      if (!line.empty() && line.front() != '#')
        lines_.push_back({line, number});
      if (end == std::string_view::npos)
        break;
      text.remove_prefix(end + 1);
    }
    last_line_ = std::max(number, 1);
  }

  void parse() {
    auto count_line = next("the number of nodes");
    auto count = to_integer(count_line.text);
    if (!count || *count < 1)
      fail(count_line, fmt::format("the node count must be a positive integer, got '{}'",
                                   count_line.text));
    if (*count > hams_max_nodes)
      fail(count_line, fmt::format("the node count {} is more than the {} a deployment may have",
                                   *count, hams_max_nodes));
    auto format_line = next("the format number");
    auto format = to_integer(format_line.text);
    if (!format)
      fail(format_line,
           fmt::format("the format line must be an integer, got '{}'", format_line.text));
    format_ = *format;
    for (std::int64_t i = 0; i < *count; ++i) {
      if (at_ == lines_.size() || is_edge_line(lines_[at_].text))
        fail(count_line, fmt::format("{} nodes declared, but {} node {} follow", *count, i,
                                     i == 1 ? "line" : "lines"));
      read_node(lines_[at_++]);
    }
    while (at_ < lines_.size())
      read_edges(lines_[at_++]);
    check_acyclic();
  }

  std::string to_udgl(const hams_import_options& options) const {
    auto graph_name = options.graph_name;
    if (graph_name.empty()) {
      auto stem = std::filesystem::path{file_}.stem().string();
      graph_name = stem.empty() || stem.front() == '<' ? "imported" : graph_name_for(stem);
    }
    // Names made unique: two HAMS nodes may sanitize to the same word; a clash gets the node's
    // number appended. Valid names are kept as they are, and the graph input yields to them.
    std::vector<std::string> names;
    std::set<std::string> taken;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      auto name = sanitize(nodes_[i].name);
      if (taken.count(name) > 0)
        name = fmt::format("{}_{}", name, i + 1);
      while (taken.count(name) > 0)
        name += "_";
      taken.insert(name);
      names.push_back(yaml_name(name));
    }
    auto input = std::string{input_name};
    while (taken.count(input) > 0)
      input += "_";
    std::string out;
    out += fmt::format("# Imported from {} (HAMS deployment format {}) by `hogar graph import`.\n",
                       comment_text(file_), format_);
    out += fmt::format("# Each HAMS node is a simulated operator costing {} ms; replace its kind\n"
                       "# and params with a real model to serve it.\n",
                       options.cost_ms);
    out += fmt::format("graph: {}\n", graph_name);
    out += fmt::format("description: {}\n",
                       yaml_quoted(fmt::format("imported from the HAMS deployment {}", file_)));
    out += "\ninputs:\n";
    out += fmt::format("  - name: {}\n    dtype: float32\n    shape: [-1]\n", input);
    out += "\noperators:\n";
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      auto& node = nodes_[i];
      out += fmt::format("  - name: {}\n", names[i]);
      out += "    kind: simulate\n";
      out += fmt::format("    params: {{cost_ms: {}}}\n", options.cost_ms);
      std::string inputs;
      if (node.inputs.empty()) {
        inputs = input;
      } else {
        for (auto producer : node.inputs) {
          if (!inputs.empty())
            inputs += ", ";
          inputs += names[producer];
        }
      }
      out += fmt::format("    inputs: [{}]\n", inputs);
      out += fmt::format("    image: {{name: {}, version: {}}}\n", yaml_quoted(node.image),
                         yaml_quoted(node.version));
      if (node.stateful)
        out += "    stateful: true\n";
      if (node.batch_size > 1)
        out += fmt::format("    batching: {{policy: static, max_batch_size: {}}}\n",
                           node.batch_size);
    }
    out += "\noutputs:\n";
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      if (nodes_[i].consumers.empty())
        out += fmt::format("  - name: {}\n    from: {}\n", names[i], names[i]);
    return out;
  }

private:
  [[noreturn]] void fail(const numbered_line& line, std::string message) const {
    fail_at(line.number, std::move(message));
  }

  [[noreturn]] void fail_at(int line, std::string message) const {
    throw import_error{fmt::format("{}:{}: {}", file_, line, message)};
  }

  numbered_line next(std::string_view what) {
    if (at_ == lines_.size())
      fail_at(last_line_, fmt::format("expected {}, found the end of the file", what));
    return lines_[at_++];
  }

  static bool is_edge_line(std::string_view text) {
    return text.starts_with("dist[") || text.starts_with("reduce[");
  }

  void read_node(const numbered_line& line) {
    auto fields = split(line.text, ',');
    if (fields.size() != 5)
      fail(line, fmt::format("a node line has 5 fields (name,version,image,stateful,batch_size), "
                             "got {}: '{}'",
                             fields.size(), line.text));
    hams_node node;
    node.name = std::string{fields[0]};
    node.version = std::string{fields[1]};
    node.image = std::string{fields[2]};
    node.line = line.number;
    if (node.name.empty())
      fail(line, "a node needs a name (the first field)");
    // Version and image are kept as written (names are made valid instead): they must be words
    // that `hogar graph export` can write back on one line.
    auto check_kept = [&](std::string_view field, std::string_view text) {
      if (text.empty())
        fail(line, fmt::format("node '{}': the {} field is empty", node.name, field));
      if (std::any_of(text.begin(), text.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
        fail(line, fmt::format("node '{}': the {} field holds a control character", node.name,
                               field));
    };
    check_kept("second (version)", node.version);
    check_kept("third (image)", node.image);
    if (fields[3] == "true")
      node.stateful = true;
    else if (fields[3] != "false")
      fail(line, fmt::format("node '{}': stateful must be true or false, got '{}'", node.name,
                             fields[3]));
    // Real deployments write 0 for a node that does not batch (as HAMS reads it).
    auto batch = to_integer(fields[4]);
    if (!batch || *batch < 0)
      fail(line, fmt::format("node '{}': the batch size must be a whole number (0 or 1: no "
                             "batching), got '{}'",
                             node.name, fields[4]));
    node.batch_size = std::max<std::int64_t>(*batch, 1);
    nodes_.push_back(std::move(node));
  }

  /// `dist[1->2,3;3->4]`: each group is one producer feeding several consumers.
  /// `reduce[2,3->4]`: each group is several producers feeding one consumer.
  void read_edges(const numbered_line& line) {
    auto text = line.text;
    bool fan_out = text.starts_with("dist[");
    bool fan_in = text.starts_with("reduce[");
    if ((!fan_out && !fan_in) || !text.ends_with(']'))
      fail(line, fmt::format("unknown edge syntax '{}'; expected dist[a->b,c;...] or "
                             "reduce[a,b->c;...]",
                             text));
    text.remove_prefix(fan_out ? 5 : 7);
    text.remove_suffix(1);
    for (auto group : split(text, ';')) {
      auto arrow = group.find("->");
      if (arrow == std::string_view::npos || group.find("->", arrow + 2) != std::string_view::npos)
        fail(line, fmt::format("unknown edge syntax '{}' in '{}'; a group is {}", group,
                               line.text, fan_out ? "a->b,c" : "a,b->c"));
      auto left = split(group.substr(0, arrow), ',');
      auto right = split(group.substr(arrow + 2), ',');
      if ((fan_out && left.size() != 1) || (fan_in && right.size() != 1))
        fail(line, fmt::format("unknown edge syntax '{}' in '{}'; {} takes {}", group,
                               line.text, fan_out ? "dist" : "reduce",
                               fan_out ? "one producer: a->b,c" : "one consumer: a,b->c"));
      for (auto producer : left)
        for (auto consumer : right)
          add_edge(line, node_number(line, producer), node_number(line, consumer));
    }
  }

  std::size_t node_number(const numbered_line& line, std::string_view text) {
    auto number = to_integer(text);
    if (!number)
      fail(line, fmt::format("'{}' is not a node number in '{}'", text, line.text));
    if (*number < 1 || *number > static_cast<std::int64_t>(nodes_.size()))
      fail(line, fmt::format("node number {} is out of range 1..{}", *number, nodes_.size()));
    return static_cast<std::size_t>(*number - 1);
  }

  void add_edge(const numbered_line& line, std::size_t producer, std::size_t consumer) {
    if (producer == consumer)
      fail(line, fmt::format("node {} ('{}') feeds itself", producer + 1, nodes_[producer].name));
    auto& inputs = nodes_[consumer].inputs;
    if (std::find(inputs.begin(), inputs.end(), producer) != inputs.end())
      return;  // the same edge written twice is still one edge
    inputs.push_back(producer);
    nodes_[producer].consumers.push_back(consumer);
    edge_lines_[{producer, consumer}] = line.number;
  }

  /// Kahn's algorithm; what it cannot order lies on or behind a cycle, and a walk back along
  /// inputs among those nodes finds one to name.
  void check_acyclic() const {
    std::vector<std::size_t> pending(nodes_.size());
    std::vector<std::size_t> ready;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      pending[i] = nodes_[i].inputs.size();
      if (pending[i] == 0)
        ready.push_back(i);
    }
    std::size_t ordered = 0;
    while (!ready.empty()) {
      auto i = ready.back();
      ready.pop_back();
      ++ordered;
      for (auto c : nodes_[i].consumers)
        if (--pending[c] == 0)
          ready.push_back(c);
    }
    if (ordered == nodes_.size())
      return;
    // Every unordered node has an unordered input; walking inputs must revisit a node.
    auto start = static_cast<std::size_t>(
      std::find_if(pending.begin(), pending.end(), [](auto p) { return p > 0; }) -
      pending.begin());
    std::vector<std::size_t> walk;
    std::vector<int> seen_at(nodes_.size(), -1);
    auto at = start;
    while (seen_at[at] < 0) {
      seen_at[at] = static_cast<int>(walk.size());
      walk.push_back(at);
      auto& inputs = nodes_[at].inputs;
      at = *std::find_if(inputs.begin(), inputs.end(), [&](auto p) { return pending[p] > 0; });
    }
    // walk[seen_at[at]..] runs against the data flow: reversed, it runs along it.
    std::vector<std::size_t> cycle(walk.begin() + seen_at[at], walk.end());
    std::reverse(cycle.begin(), cycle.end());
    // The edge written last closes the cycle: rotate the path so that it is the last arrow,
    // and point at its line.
    std::size_t closing = 0;
    int line = 0;
    for (std::size_t k = 0; k < cycle.size(); ++k) {
      auto edge_line = edge_lines_.at({cycle[k], cycle[(k + 1) % cycle.size()]});
      if (edge_line > line) {
        line = edge_line;
        closing = k;
      }
    }
    std::rotate(cycle.begin(), cycle.begin() + static_cast<std::ptrdiff_t>((closing + 1) % cycle.size()),
                cycle.end());
    std::string path;
    for (auto node : cycle)
      path += fmt::format("{} -> ", nodes_[node].name);
    path += nodes_[cycle.front()].name;
    fail_at(line, fmt::format("the edges make a cycle: {}", path));
  }

  const std::string& file_;
  std::vector<numbered_line> lines_;
  std::size_t at_ = 0;
  int last_line_ = 1;
  std::int64_t format_ = 0;
  std::vector<hams_node> nodes_;
  /// The line that wrote each edge, to point at when the edge closes a cycle.
  std::map<std::pair<std::size_t, std::size_t>, int> edge_lines_;
};

} // namespace

result<std::string> import_hams(std::string_view text, const std::string& file,
                                const hams_import_options& options) {
  if (!std::isfinite(options.cost_ms) || options.cost_ms < 0)
    return fail(errc::invalid_argument,
                fmt::format("the simulated cost must be a non-negative number of ms, got {}",
                            options.cost_ms));
  if (!options.graph_name.empty() && graph_name_for(options.graph_name) != options.graph_name)
    return fail(errc::invalid_argument,
                fmt::format("graph name '{}' is not a valid name: use letters, digits, '_' "
                            "and '-', starting with a letter or '_'",
                            options.graph_name));
  try {
    hams_parser parser{text, file};
    parser.parse();
    return parser.to_udgl(options);
  } catch (const import_error& e) {
    return fail(errc::invalid_argument, e.message);
  } catch (const std::exception& e) {
    return fail(errc::internal, fmt::format("{}: cannot import: {}", file, e.what()));
  }
}

} // namespace hogar::graph
