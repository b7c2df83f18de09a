// dot.cpp: Graphviz text for a compiled graph. Node ids carry a prefix ("in:", "op:", "out:")
// because outputs may reuse the name of an operator or input.
#include "graph/dot.hpp"

#include <fmt/format.h>

namespace hogar::graph {

namespace {

/// Text inside a DOT double-quoted string: quotes and backslashes escaped, and newlines
/// written as DOT's "\n" line break so a label stays on one source line.
std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string input_id(const graph_spec& spec, std::size_t i) {
  return fmt::format("\"in:{}\"", escape(spec.inputs[i].name));
}

std::string op_id(const topology& topo, std::size_t i) {
  return fmt::format("\"op:{}\"", escape(topo.ops[i].spec->name));
}

std::string source_id(const topology& topo, const edge_source& source) {
  if (source.from == edge_source::origin::input)
    return input_id(*topo.spec, source.index);
  return op_id(topo, source.index);
}

std::string shape_of(const op_node& node) {
  if (node.kind != nullptr && node.kind->name == "cache")
    return "cylinder";
  if (node.kind != nullptr && node.kind->is_condition)
    return "diamond";
  return "box";
}

} // namespace

std::string to_dot(const topology& topo) {
  auto& spec = *topo.spec;
  std::string out = fmt::format("digraph \"{}\" {{\n", escape(spec.name));
  out += "  rankdir=TB;\n";
  out += "  node [fontname=\"Helvetica\"];\n";
  out += "  edge [fontname=\"Helvetica\"];\n";
  for (std::size_t i = 0; i < spec.inputs.size(); ++i)
    out += fmt::format("  {} [shape=ellipse, label=\"{}\"];\n", input_id(spec, i),
                       escape(spec.inputs[i].name));
  for (std::size_t i = 0; i < topo.ops.size(); ++i) {
    auto& node = topo.ops[i];
    out += fmt::format("  {} [shape={}, label=\"{}\\n{}\"];\n", op_id(topo, i), shape_of(node),
                       escape(node.spec->name), escape(node.spec->kind));
  }
  for (std::size_t i = 0; i < spec.outputs.size(); ++i)
    out += fmt::format("  \"out:{}\" [shape=plaintext, label=\"{}\"];\n",
                       escape(spec.outputs[i].name), escape(spec.outputs[i].name));
  for (std::size_t i = 0; i < topo.ops.size(); ++i) {
    auto& node = topo.ops[i];
    for (auto& source : node.data_inputs)
      out += fmt::format("  {} -> {};\n", source_id(topo, source), op_id(topo, i));
    if (node.gate)
      out += fmt::format("  {} -> {} [style=dashed, label=\"{}\"];\n",
                         source_id(topo, *node.gate), op_id(topo, i),
                         node.gate_negated ? "no" : "yes");
    for (auto& fill : node.fills)
      out += fmt::format("  {} -> {} [style=dotted, label=\"{}\"];\n", op_id(topo, i),
                         op_id(topo, fill.op),
                         topo.ops[fill.op].spec->kind == "select" ? "answered" : "fill");
  }
  for (auto& output : spec.outputs) {
    auto from = spec.inputs.end();
    for (auto it = spec.inputs.begin(); it != spec.inputs.end(); ++it)
      if (it->name == output.from.name)
        from = it;
    auto source = from != spec.inputs.end()
                    ? fmt::format("\"in:{}\"", escape(output.from.name))
                    : fmt::format("\"op:{}\"", escape(output.from.name));
    auto label = output.tensor.empty()
                   ? std::string{}
                   : fmt::format(" [label=\"{}\"]", escape(output.tensor));
    out += fmt::format("  {} -> \"out:{}\"{};\n", source, escape(output.name), label);
  }
  out += "}\n";
  return out;
}

} // namespace hogar::graph
