#include "graph/topology.hpp"

#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>

namespace hogar::graph {

std::size_t topology::op_index(std::string_view name) const {
  for (std::size_t i = 0; i < ops.size(); ++i)
    if (ops[i].spec->name == name)
      return i;
  return npos;
}

topology build_topology(std::shared_ptr<const graph_spec> spec) {
  topology topo;
  topo.spec = spec;
  const auto& g = *spec;
  std::unordered_map<std::string_view, edge_source> sources;
  for (std::size_t i = 0; i < g.inputs.size(); ++i)
    sources.emplace(g.inputs[i].name, edge_source{edge_source::origin::input, i});
  for (std::size_t i = 0; i < g.operators.size(); ++i)
    sources.emplace(g.operators[i].name, edge_source{edge_source::origin::op, i});
  auto resolve = [&](const std::string& name) {
    auto i = sources.find(name);
    if (i == sources.end())
      throw std::logic_error(fmt::format("build_topology: unresolved name '{}' (graph was "
                                         "not validated)",
                                         name));
    return i->second;
  };
  topo.input_consumers.resize(g.inputs.size());
  topo.input_output_slots.resize(g.inputs.size());
  topo.ops.resize(g.operators.size());
  auto add_edge = [&](edge_source from, consumer to) {
    if (from.from == edge_source::origin::input)
      topo.input_consumers[from.index].push_back(to);
    else
      topo.ops[from.index].consumers.push_back(to);
  };
  for (std::size_t i = 0; i < g.operators.size(); ++i) {
    auto& op = g.operators[i];
    auto& node = topo.ops[i];
    node.spec = &op;
    node.kind = find_kind(op.kind);
    if (node.kind == nullptr)
      throw std::logic_error(fmt::format("build_topology: unknown kind '{}'", op.kind));
    node.stateful = op.stateful || node.kind->stateful;
    for (auto& in : op.inputs)
      node.data_inputs.push_back(resolve(in.name));
  }
  // Edges are added after every node knows its inputs so that slot numbers are final.
  for (std::size_t i = 0; i < g.operators.size(); ++i) {
    auto& node = topo.ops[i];
    for (std::size_t slot = 0; slot < node.data_inputs.size(); ++slot)
      add_edge(node.data_inputs[slot], consumer{i, slot});
    if (auto& when = node.spec->when) {
      node.gate = resolve(when->name);
      node.gate_negated = when->negated;
      node.gate_per_member = node.gate->from == edge_source::origin::op &&
                             g.operators[node.gate->index].kind == "select";
      add_edge(*node.gate, consumer{i, node.data_inputs.size()});
    }
    if (node.spec->kind == "cache") {
      auto target = param_reader{*node.spec}.get_string("fill_from");
      auto filler = resolve(target);
      topo.ops[filler.index].fills.push_back({i, 0});
    }
    if (node.spec->kind == "select") {
      auto ensemble = resolve(param_reader{*node.spec}.get_string("ensemble"));
      auto& members = g.operators[ensemble.index].inputs;
      for (std::size_t slot = 0; slot < members.size(); ++slot) {
        auto member = resolve(members[slot].name);
        if (member.from == edge_source::origin::op)
          topo.ops[member.index].fills.push_back({i, slot});
      }
    }
  }
  for (std::size_t out = 0; out < g.outputs.size(); ++out) {
    auto from = resolve(g.outputs[out].from.name);
    if (from.from == edge_source::origin::input)
      topo.input_output_slots[from.index].push_back(out);
    else
      topo.ops[from.index].output_slots.push_back(out);
  }
  // Operators whose messages for one request must all reach the same replica.
  for (std::size_t i = 0; i < topo.ops.size(); ++i) {
    auto& node = topo.ops[i];
    bool is_join = node.slot_count() > 1;
    bool is_filled = node.spec->kind == "cache" || node.spec->kind == "select";
    if ((is_join || is_filled) && node.spec->replicas > 1)
      node.route_index = topo.routed_count++;
  }
  // Kahn's algorithm over operator-to-operator edges; inputs are always ready.
  std::vector<std::size_t> pending(topo.ops.size(), 0);
  for (std::size_t i = 0; i < topo.ops.size(); ++i)
    for (auto& c : topo.ops[i].consumers)
      ++pending[c.op];
  std::vector<std::size_t> ready;
  for (std::size_t i = 0; i < topo.ops.size(); ++i)
    if (pending[i] == 0)
      ready.push_back(i);
  while (!ready.empty()) {
    auto i = ready.back();
    ready.pop_back();
    topo.order.push_back(i);
    for (auto& c : topo.ops[i].consumers)
      if (--pending[c.op] == 0)
        ready.push_back(c.op);
  }
  if (topo.order.size() != topo.ops.size())
    throw std::logic_error("build_topology: the graph has a cycle (graph was not validated)");
  return topo;
}

} // namespace hogar::graph
