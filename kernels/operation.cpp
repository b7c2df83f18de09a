#include "kernels/operation.hpp"

#include <exception>
#include <string_view>

#include <fmt/format.h>

#include "graph/spec.hpp"
#include "kernels/ops/cache.hpp"
#include "kernels/ops/classify.hpp"
#include "kernels/ops/ensemble.hpp"
#include "kernels/ops/identity.hpp"
#include "kernels/ops/image.hpp"
#include "kernels/ops/merge.hpp"
#include "kernels/ops/model.hpp"
#include "kernels/ops/simulate.hpp"

namespace hogar {

void operation::fill(std::uint64_t, const record&, std::chrono::steady_clock::time_point) {
}

namespace {

using factory = result<std::unique_ptr<operation>> (*)(const graph::operator_spec&,
                                                       const operation_context&);

/// Adapts the factories of kinds that need nothing but their spec.
template <result<std::unique_ptr<operation>> (*make)(const graph::operator_spec&)>
result<std::unique_ptr<operation>> spec_only(const graph::operator_spec& spec,
                                             const operation_context&) {
  return make(spec);
}

struct kind_factory {
  std::string_view kind;
  factory make;
};

/// One entry per built-in kind of graph/kinds.cpp.
constexpr kind_factory factories[] = {
  {"identity", spec_only<ops::make_identity>},   {"simulate", spec_only<ops::make_simulate>},
  {"resize", spec_only<ops::make_resize>},       {"normalize", spec_only<ops::make_normalize>},
  {"crop", spec_only<ops::make_crop>},           {"classify", spec_only<ops::make_classify>},
  {"threshold", spec_only<ops::make_threshold>}, {"merge", spec_only<ops::make_merge>},
  {"ensemble", spec_only<ops::make_ensemble>},   {"cache", spec_only<ops::make_cache>},
  {"model", ops::make_model},
};

} // namespace

result<std::unique_ptr<operation>> make_operation(const graph::operator_spec& spec,
                                                  const operation_context& context) {
  for (auto& entry : factories) {
    if (entry.kind != spec.kind)
      continue;
    try {
      return entry.make(spec, context);
    } catch (const std::exception& e) {
      // param_reader throws for a missing or mistyped parameter, which validation prevents.
      return fail(errc::invalid_argument,
                  fmt::format("operator '{}' ({}): bad parameters: {}", spec.name, spec.kind,
                              e.what()));
    }
  }
  return fail(errc::invalid_argument,
              fmt::format("operator '{}': unknown kind '{}'", spec.name, spec.kind));
}

} // namespace hogar
