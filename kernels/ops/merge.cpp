#include "kernels/ops/merge.hpp"

#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "graph/spec.hpp"
#include "kernels/ops/common.hpp"

namespace hogar::ops {

namespace {

class merge_operation final : public guarded_operation {
public:
  explicit merge_operation(std::vector<std::string> input_names)
    : input_names_(std::move(input_names)) {}

protected:
  result<op_output> compute(const op_call& call) override {
    op_output out;
    std::unordered_set<std::string> taken;
    for (std::size_t i = 0; i < call.inputs.size(); ++i) {
      const record* in = call.inputs[i].get();
      if (in == nullptr)
        continue;
      for (auto& entry : *in) {
        if (entry.name == condition_tensor_name)
          continue;
        std::string name = entry.name;
        if (taken.count(name) != 0) {
          name = fmt::format("{}.{}", input_name(i), entry.name);
          if (taken.count(name) != 0)
            return fail(errc::invalid_argument,
                        fmt::format("merge: tensor '{}' of input '{}' clashes with a tensor "
                                    "already named '{}'",
                                    entry.name, input_name(i), name));
        }
        taken.insert(name);
        out.value.push_back({std::move(name), entry.value});
      }
    }
    return out;
  }

private:
  std::string input_name(std::size_t i) const {
    return i < input_names_.size() ? input_names_[i] : std::to_string(i);
  }

  /// spec.inputs[i].name: the operator or graph input behind data input i.
  std::vector<std::string> input_names_;
};

} // namespace

result<std::unique_ptr<operation>> make_merge(const graph::operator_spec& spec) {
  std::vector<std::string> names;
  names.reserve(spec.inputs.size());
  for (auto& input : spec.inputs)
    names.push_back(input.name);
  return std::unique_ptr<operation>{std::make_unique<merge_operation>(std::move(names))};
}

result<record_signature> merge_signature(const signature_call& call) {
  record_signature out;
  auto input_name = [&](std::size_t i) {
    return i < call.spec.inputs.size() ? call.spec.inputs[i].name : std::to_string(i);
  };
  auto add = [&](tensor_signature t) -> std::optional<error_info> {
    if (out.find(t.name))
      return fail(errc::invalid_argument,
                  fmt::format("merge: tensor name '{}' may be taken twice", t.name));
    out.tensors.push_back(std::move(t));
    return std::nullopt;
  };
  for (std::size_t i = 0; i < call.inputs.size(); ++i) {
    const auto& in = call.inputs[i];
    for (auto& entry : in.tensors) {
      if (entry.name == condition_tensor_name)
        continue;
      auto t = entry;
      t.optional = t.optional || in.may_be_absent;
      auto* taken = out.find(t.name);
      if (!taken) {
        out.tensors.push_back(std::move(t));
        continue;
      }
      // run() renames a tensor whose name is taken by a tensor present in this request.
      auto renamed = t;
      renamed.name = fmt::format("{}.{}", input_name(i), t.name);
      if (taken->optional) {
        // The earlier tensor may be missing: then this one takes the plain name.
        auto both = unify_alternatives(record_signature{{*taken}, false},
                                       record_signature{{t}, false},
                                       fmt::format("merge input '{}'", input_name(i)));
        if (!both)
          return both.error();
        auto plain = both->tensors.front();
        plain.optional = taken->optional && t.optional;
        for (auto& x : out.tensors)
          if (x.name == plain.name)
            x = plain;
        renamed.optional = true;
      }
      if (auto clash = add(std::move(renamed)))
        return *clash;
    }
  }
  return out;
}

} // namespace hogar::ops
