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
#include "kernels/ops/simulate.hpp"

namespace hogar {

void operation::fill(std::uint64_t, const record&, std::chrono::steady_clock::time_point) {
}

namespace {

using factory = result<std::unique_ptr<operation>> (*)(const graph::operator_spec&);

struct kind_factory {
  std::string_view kind;
  factory make;
};

/// One entry per built-in kind of graph/kinds.cpp.
constexpr kind_factory factories[] = {
  {"identity", ops::make_identity},   {"simulate", ops::make_simulate},
  {"resize", ops::make_resize},       {"normalize", ops::make_normalize},
  {"crop", ops::make_crop},           {"classify", ops::make_classify},
  {"threshold", ops::make_threshold}, {"merge", ops::make_merge},
  {"ensemble", ops::make_ensemble},   {"cache", ops::make_cache},
};

} // namespace

result<std::unique_ptr<operation>> make_operation(const graph::operator_spec& spec) {
  for (auto& entry : factories) {
    if (entry.kind != spec.kind)
      continue;
    try {
      return entry.make(spec);
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
