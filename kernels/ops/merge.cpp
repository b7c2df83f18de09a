#include "kernels/ops/merge.hpp"

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

} // namespace hogar::ops
