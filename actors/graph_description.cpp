#include "actors/graph_description.hpp"

#include <fmt/format.h>

#include "kernels/operation.hpp"
#include "kernels/ops/model.hpp"

namespace hogar {

graph_description describe_graph(const graph::topology& topo, const std::string& model_repository) {
  graph_description d;
  operation_context context{model_repository};
  try {
    auto signature = infer_graph_signature(topo, context);
    for (auto& a : signature.answers)
      d.outputs.push_back(tensor_decl{a.tensor.name, std::string{to_kserve_string(a.tensor.type)},
                                      a.tensor.shape});
    d.problems = std::move(signature.problems);
    for (auto o : signature.uninferred)
      d.uninferred_outputs.push_back(topo.spec->outputs[o].name);
    for (auto& op : topo.ops) {
      if (op.spec->kind != "model")
        continue;
      model_operator_info info;
      info.op = op.spec->name;
      if (auto served = ops::served_model(*op.spec, context)) {
        info.model = served->model;
        info.versions = served->versions;
        info.version_policy = served->version_policy;
        info.policy_versions = served->policy_versions;
      } else {
        info.problem = served.error().message;
      }
      d.models.push_back(std::move(info));
    }
  } catch (const std::exception& e) {
    d = graph_description{};
    d.problems.push_back(fmt::format("the signatures could not be inferred: {}", e.what()));
    for (auto& o : topo.spec->outputs)
      d.uninferred_outputs.push_back(o.name);
  }
  return d;
}

} // namespace hogar
