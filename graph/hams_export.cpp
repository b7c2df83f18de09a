// hams_export.cpp: a validated graph -> HAMS/EARG deployment text. Every loop runs over the
// operators and their inputs once; nothing recurses, whatever the graph's depth.
#include "graph/hams_export.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "graph/hams_import.hpp"

namespace hogar::graph {

namespace {

/// `text` as a path component of an image reference: lowercase letters, digits, '.', '_' and
/// '-' kept, anything else '-'.
std::string image_word(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
    bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                c == '-';
    out += keep ? c : '-';
  }
  return out;
}

std::string image_of(const op_node& node) {
  auto& op = *node.spec;
  if (op.image && !op.image->name.empty())
    return op.image->name;
  if (node.kind->name == "model") {
    param_reader params{op};
    auto model = params.get_string("model");
    if (model.empty())
      model = std::filesystem::path{params.get_string("path")}.stem().string();
    if (!model.empty())
      return "hogar/" + image_word(model);
  }
  return fmt::format("hogar/{}", node.kind->name);
}

std::string version_of(const op_node& node) {
  auto& op = *node.spec;
  if (op.image && !op.image->version.empty())
    return op.image->version;
  if (node.kind->name != "model")
    return "1";
  auto version = param_reader{op}.get_int("version");
  return version > 0 ? std::to_string(version) : "latest";
}

/// Why `text` cannot be a field of a node line, or nullptr when it can.
const char* unwritable(std::string_view text) {
  if (text.find(',') != std::string_view::npos)
    return "it holds a ',', which separates the fields of a node line";
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return "it holds a control character, and a node is one line";
  if (!text.empty() && (text.front() == ' ' || text.back() == ' '))
    return "it starts or ends with a space, which HAMS drops";
  return nullptr;
}

/// "2,3,4" for the nodes at indices 1, 2, 3: HAMS numbers nodes from 1.
std::string numbers(const std::vector<std::size_t>& indices) {
  std::string out;
  for (auto i : indices)
    out += fmt::format("{}{}", out.empty() ? "" : ",", i + 1);
  return out;
}

/// Text for a comment: one line, whatever the file name holds.
std::string comment_text(std::string_view text) {
  std::string out{text};
  std::replace_if(out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return out;
}

} // namespace

hams_deployment to_hams(const topology& topo) {
  auto& spec = *topo.spec;
  hams_deployment out;
  if (topo.ops.size() > static_cast<std::size_t>(hams_max_nodes)) {
    out.errors.push_back({spec.where,
                          fmt::format("graph '{}' has {} operators, more than the {} a HAMS "
                                      "deployment may have",
                                      spec.name, topo.ops.size(), hams_max_nodes),
                          ""});
    return out;
  }
  // read_by[p] == i once operator i has p as an input: finds an input read twice in one pass.
  std::vector<std::size_t> read_by(topo.ops.size(), topology::npos);
  for (std::size_t i = 0; i < topo.ops.size(); ++i) {
    auto& node = topo.ops[i];
    auto& op = *node.spec;
    auto refuse = [&](const source_position& where, std::string reason, std::string hint) {
      out.errors.push_back({where, fmt::format("operator '{}': {}", op.name, reason),
                            std::move(hint)});
    };
    if (node.kind->name == "cache")
      refuse(op.where,
             "a cache answers a hit itself and skips the operators behind its `when`, but "
             "HAMS runs every node on every request",
             "export the graph without its cache");
    if (op.when)
      refuse(op.when->where,
             fmt::format("runs only when condition '{}' says {} (`when`), but HAMS has no "
                         "conditional edges",
                         op.when->name, op.when->negated ? "no" : "yes"),
             "remove the `when` to export the graph; the operator then runs on every request");
    hams_node hams{op.name, version_of(node), image_of(node), node.stateful,
                   op.batching ? op.batching->max_batch_size : 1, {}};
    const name_ref* graph_input = nullptr;
    const name_ref* producer = nullptr;
    for (std::size_t slot = 0; slot < node.data_inputs.size(); ++slot) {
      auto& source = node.data_inputs[slot];
      auto& ref = op.inputs[slot];
      if (source.from == edge_source::origin::input) {
        graph_input = graph_input != nullptr ? graph_input : &ref;
        continue;
      }
      producer = producer != nullptr ? producer : &ref;
      if (read_by[source.index] == i) {
        refuse(ref.where,
               fmt::format("reads '{}' twice, but HAMS has one edge from a node to another",
                           ref.name),
               "read it once");
        continue;
      }
      read_by[source.index] = i;
      hams.inputs.push_back(source.index);
    }
    if (graph_input != nullptr && producer != nullptr)
      refuse(graph_input->where,
             fmt::format("reads graph input '{}' and operator '{}', but HAMS gives the request "
                         "only to the nodes no other node feeds",
                         graph_input->name, producer->name),
             "read the input through an operator of its own, or from operators only");
    auto check_field = [&](std::string_view field, const std::string& text) {
      if (auto problem = unwritable(text))
        refuse(op.image->where,
               fmt::format("image {} cannot be written in HAMS: {}", field, problem),
               "");
    };
    if (op.image) {
      check_field("name", hams.image);
      check_field("version", hams.version);
    }
    out.nodes.push_back(std::move(hams));
  }
  return out;
}

std::string write_hams(const std::vector<hams_node>& nodes, std::string_view source) {
  std::string out = fmt::format(
    "# Exported by `hogar graph export` from {}.\n"
    "# HAMS keeps the nodes and the edges between them; params, replicas, batching delays,\n"
    "# inputs and outputs stay in the graph file.\n",
    comment_text(source));
  out += fmt::format("{}\n{}\n", nodes.size(), hams_format);
  out += "# name,version,image,stateful,batch_size\n";
  for (auto& node : nodes)
    out += fmt::format("{},{},{},{},{}\n", node.name, node.version, node.image, node.stateful,
                       node.batch_size);
  // A node with one producer is in its producer's fan-out group; a node with several has a
  // fan-in group of its own listing them in input order, which is the order the importer
  // gives them back.
  std::vector<std::vector<std::size_t>> single_consumers(nodes.size());
  std::vector<std::string> fan_in;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    auto& inputs = nodes[i].inputs;
    if (inputs.size() == 1)
      single_consumers[inputs.front()].push_back(i);
    else if (inputs.size() > 1)
      fan_in.push_back(fmt::format("{}->{}", numbers(inputs), i + 1));
  }
  std::vector<std::string> fan_out;
  for (std::size_t p = 0; p < nodes.size(); ++p)
    if (!single_consumers[p].empty())
      fan_out.push_back(fmt::format("{}->{}", p + 1, numbers(single_consumers[p])));
  if (!fan_out.empty())
    out += fmt::format("dist[{}]\n", fmt::join(fan_out, ";"));
  if (!fan_in.empty())
    out += fmt::format("reduce[{}]\n", fmt::join(fan_in, ";"));
  return out;
}

} // namespace hogar::graph
