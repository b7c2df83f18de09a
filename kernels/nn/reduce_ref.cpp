// reduce_ref.cpp: the reductions' and ArgMax's / ArgMin's parameters and shape rules, and
// their reference twins: plain loops over the kept and reduced runs of reduce.hpp, floats
// accumulated in double, integers wrapping as numpy's do.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

#include "kernels/nn/reduce.hpp"

namespace hogar::nn {

namespace {

std::optional<reduce_kind> reduce_kind_of(std::string_view op_type) {
  if (op_type == "ReduceSum") return reduce_kind::sum;
  if (op_type == "ReduceMean") return reduce_kind::mean;
  if (op_type == "ReduceMax") return reduce_kind::max;
  if (op_type == "ReduceMin") return reduce_kind::min;
  if (op_type == "ReduceProd") return reduce_kind::prod;
  if (op_type == "ReduceSumSquare") return reduce_kind::sum_square;
  if (op_type == "ReduceL1") return reduce_kind::l1;
  if (op_type == "ReduceL2") return reduce_kind::l2;
  if (op_type == "ReduceLogSum") return reduce_kind::log_sum;
  if (op_type == "ReduceLogSumExp") return reduce_kind::log_sum_exp;
  return std::nullopt;
}

bool takes_integers(reduce_kind k) {
  return k == reduce_kind::sum || k == reduce_kind::max || k == reduce_kind::min ||
         k == reduce_kind::prod;
}

/// The axes a node names: the attribute, or from ReduceSum's opset 13 and the others' opset
/// 18 the optional input 1, which must be a constant.
result<std::vector<std::int64_t>> reduce_axes(const node_view& view, bool axes_input) {
  auto attrs = view.attributes();
  if (!axes_input) {
    if (view.inputs.size() != 1 || !view.has(0))
      return view.error(fmt::format("takes one input at opset {} (the axes are an attribute)",
                                    view.opset));
    return attrs.get_ints("axes");
  }
  if (view.inputs.empty() || view.inputs.size() > 2 || !view.has(0))
    return view.error("takes the data and optionally the axes as inputs");
  if (attrs.has("axes"))
    return attrs.error("axes", fmt::format("is an input at opset {}, not an attribute",
                                           view.opset));
  if (!view.has(1))
    return std::vector<std::int64_t>{};
  const auto& a = view.inputs[1];
  if (a.type != dtype::int64 || a.shape.size() != 1)
    return view.error(fmt::format("input 1 ('{}', the axes) is {}{}; it must be a 1-D int64 "
                                  "tensor",
                                  view.node.inputs[1], to_string(a.type), to_string(a.shape)));
  const tensor* axes = view.constant(1);
  if (!axes)
    return view.error(fmt::format("input 1 ('{}', the axes) must be a constant (an "
                                  "initializer, or computed from constants only): hogar plans "
                                  "every shape before the first request",
                                  view.node.inputs[1]));
  auto values = axes->values<std::int64_t>();
  return std::vector<std::int64_t>(values.begin(), values.end());
}

/// Row-major input offset of index `i` of `dims`' elements.
std::int64_t offset_of(std::span<const reduce_dim> dims, std::int64_t i) {
  std::int64_t offset = 0;
  for (auto d = dims.size(); d-- > 0;) {
    offset += i % dims[d].extent * dims[d].stride;
    i /= dims[d].extent;
  }
  return offset;
}

} // namespace

result<reduce_params> reduce_params_of(const node_view& view) {
  const auto kind = reduce_kind_of(view.node.op_type);
  if (!kind)
    return view.error("is not a reduction");
  const bool axes_input = view.opset >= (*kind == reduce_kind::sum ? 13 : 18);
  auto axes = reduce_axes(view, axes_input);
  if (!axes)
    return axes.error();
  const auto& x = view.inputs[0];
  const bool floating = x.type == dtype::float32 || x.type == dtype::float64;
  const bool integer = x.type == dtype::int32 || x.type == dtype::int64;
  if (!floating && !(integer && takes_integers(*kind)))
    return view.error(fmt::format("input is {}; {} takes {}", to_string(x.type),
                                  view.node.op_type,
                                  takes_integers(*kind) ? "float32, float64, int32 or int64"
                                                        : "float32 or float64"));
  auto attrs = view.attributes();
  auto keepdims = attrs.get_int("keepdims", 1);
  if (!keepdims)
    return keepdims.error();
  // Before the axes became an input the attribute does not exist (empty axes: all).
  auto noop = axes_input ? attrs.get_int("noop_with_empty_axes", 0) : result<std::int64_t>{0};
  if (!noop)
    return noop.error();

  reduce_params p;
  p.kind = *kind;
  const auto& s = x.shape;
  const auto rank = static_cast<std::int64_t>(s.size());
  std::vector<bool> reduced(s.size(), axes->empty());
  for (auto axis : *axes) {
    const auto a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank)
      return view.error(fmt::format("axis {} is outside [{}, {}] for an input of rank {}", axis,
                                    -rank, rank - 1, rank));
    if (reduced[static_cast<std::size_t>(a)])
      return view.error(fmt::format("axis {} is named twice", axis));
    reduced[static_cast<std::size_t>(a)] = true;
  }
  if (axes->empty() && *noop != 0) {
    p.copy = true;
    p.output_shape = s;
    p.output_count = element_count(s);
    p.outer = p.output_count;
    p.one_run = true;
    return p;
  }
  // Runs from the innermost dimension out: extent-1 dimensions add nothing to an index, so
  // they are dropped and their neighbours may merge.
  struct run {
    reduce_dim dim;
    bool reduced;
  };
  std::vector<run> runs;
  std::int64_t stride = 1;
  for (auto d = s.size(); d-- > 0;) {
    const auto e = s[d];
    if (e != 1) {
      if (!runs.empty() && runs.back().reduced == reduced[d])
        runs.back().dim.extent *= e;
      else
        runs.push_back({{e, stride}, reduced[d]});
      // A merged run keeps the stride of its innermost dimension.
    }
    stride *= e;
  }
  std::reverse(runs.begin(), runs.end());
  int reduced_runs = 0;
  for (auto& r : runs) {
    if (r.reduced) {
      p.reduced.push_back(r.dim);
      p.reduced_count *= r.dim.extent;
      ++reduced_runs;
    } else {
      p.kept.push_back(r.dim);
      p.output_count *= r.dim.extent;
      (reduced_runs == 0 ? p.outer : p.inner) *= r.dim.extent;
    }
  }
  p.one_run = reduced_runs <= 1;
  if (reduced_runs == 0) {
    p.outer = p.output_count;
    p.inner = 1;
  }
  for (std::size_t d = 0; d < s.size(); ++d)
    if (!reduced[d])
      p.output_shape.push_back(s[d]);
    else if (*keepdims != 0)
      p.output_shape.push_back(1);
  return p;
}

result<std::vector<value_type>> infer_reduce(const node_view& view) {
  auto p = reduce_params_of(view);
  if (!p)
    return p.error();
  return std::vector<value_type>{{view.inputs[0].type, p->output_shape}};
}

namespace {

/// One output of a floating reduction, in double.
template <class T>
double reduce_floating(const reduce_params& p, const T* x) {
  const auto n = p.reduced_count;
  auto at = [&](std::int64_t r) { return static_cast<double>(x[offset_of(p.reduced, r)]); };
  switch (p.kind) {
    case reduce_kind::max:
    case reduce_kind::min: {
      const bool is_max = p.kind == reduce_kind::max;
      double m = is_max ? -std::numeric_limits<double>::infinity()
                        : std::numeric_limits<double>::infinity();
      for (std::int64_t r = 0; r < n; ++r) {
        const double v = at(r);
        if (std::isnan(v))
          return v;
        m = is_max ? std::max(m, v) : std::min(m, v);
      }
      return m;
    }
    case reduce_kind::prod: {
      double acc = 1;
      for (std::int64_t r = 0; r < n; ++r)
        acc *= at(r);
      return acc;
    }
    case reduce_kind::log_sum_exp: {
      // Shifted by the maximum, so that exp cannot overflow.
      double m = -std::numeric_limits<double>::infinity();
      for (std::int64_t r = 0; r < n; ++r) {
        const double v = at(r);
        if (std::isnan(v))
          return v;
        m = std::max(m, v);
      }
      if (std::isinf(m))
        return m;
      double sum = 0;
      for (std::int64_t r = 0; r < n; ++r)
        sum += std::exp(at(r) - m);
      return m + std::log(sum);
    }
    default: break;
  }
  double acc = 0;
  for (std::int64_t r = 0; r < n; ++r) {
    const double v = at(r);
    switch (p.kind) {
      case reduce_kind::sum_square:
      case reduce_kind::l2: acc += v * v; break;
      case reduce_kind::l1: acc += std::fabs(v); break;
      default: acc += v; break;
    }
  }
  switch (p.kind) {
    case reduce_kind::mean: return acc / static_cast<double>(n);
    case reduce_kind::l2: return std::sqrt(acc);
    case reduce_kind::log_sum: return std::log(acc);
    default: return acc;
  }
}

/// One output of an integer reduction (Sum, Prod, Max, Min); sums and products wrap.
template <class T>
T reduce_integer(const reduce_params& p, const T* x) {
  const auto n = p.reduced_count;
  auto at = [&](std::int64_t r) { return x[offset_of(p.reduced, r)]; };
  switch (p.kind) {
    case reduce_kind::max: {
      T m = std::numeric_limits<T>::lowest();
      for (std::int64_t r = 0; r < n; ++r)
        m = std::max(m, at(r));
      return m;
    }
    case reduce_kind::min: {
      T m = std::numeric_limits<T>::max();
      for (std::int64_t r = 0; r < n; ++r)
        m = std::min(m, at(r));
      return m;
    }
    case reduce_kind::prod: {
      std::uint64_t acc = 1;
      for (std::int64_t r = 0; r < n; ++r)
        acc *= static_cast<std::uint64_t>(static_cast<std::int64_t>(at(r)));
      return static_cast<T>(static_cast<std::int64_t>(acc));
    }
    default: {
      std::uint64_t acc = 0;
      for (std::int64_t r = 0; r < n; ++r)
        acc += static_cast<std::uint64_t>(static_cast<std::int64_t>(at(r)));
      return static_cast<T>(static_cast<std::int64_t>(acc));
    }
  }
}

template <class T>
void reduce_reference(const reduce_params& p, const T* x, T* y) {
  for (std::int64_t o = 0; o < p.output_count; ++o) {
    const T* base = x + offset_of(p.kept, o);
    if constexpr (std::is_floating_point_v<T>)
      y[o] = static_cast<T>(reduce_floating(p, base));
    else
      y[o] = reduce_integer(p, base);
  }
}

} // namespace

result<cpu_kernel> bind_reduce_reference(const node_view& view,
                                         std::span<const value_type> outputs) {
  auto params = reduce_params_of(view);
  if (!params)
    return params.error();
  cpu_kernel k;
  const auto type = outputs[0].type;
  k.run = [p = std::move(*params), type](const cpu_buffers& io) {
    if (p.copy) {
      std::memcpy(io.outputs[0], io.inputs[0],
                  static_cast<std::size_t>(p.output_count) * dtype_size(type));
      return;
    }
    auto run = [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      reduce_reference(p, static_cast<const T*>(io.inputs[0]), static_cast<T*>(io.outputs[0]));
    };
    switch (type) {
      case dtype::float64: run(static_cast<double*>(nullptr)); break;
      case dtype::int32: run(static_cast<std::int32_t*>(nullptr)); break;
      case dtype::int64: run(static_cast<std::int64_t*>(nullptr)); break;
      default: run(static_cast<float*>(nullptr)); break;
    }
  };
  return k;
}

result<arg_reduce_params> arg_reduce_params_of(const node_view& view) {
  if (view.inputs.size() != 1 || !view.has(0))
    return view.error("needs exactly one input");
  const auto& x = view.inputs[0];
  if (x.type != dtype::float32 && x.type != dtype::float64 && x.type != dtype::int32 &&
      x.type != dtype::int64)
    return view.error(fmt::format("input is {}; {} takes float32, float64, int32 or int64",
                                  to_string(x.type), view.node.op_type));
  const auto rank = static_cast<std::int64_t>(x.shape.size());
  if (rank == 0)
    return view.error("input is a scalar; it needs rank 1 or more");
  auto attrs = view.attributes();
  auto axis = attrs.get_int("axis", 0);
  if (!axis)
    return axis.error();
  auto keepdims = attrs.get_int("keepdims", 1);
  if (!keepdims)
    return keepdims.error();
  auto last = attrs.get_int("select_last_index", 0);
  if (!last)
    return last.error();
  const auto a = *axis < 0 ? *axis + rank : *axis;
  if (a < 0 || a >= rank)
    return attrs.error("axis", fmt::format("is {}, outside [{}, {}] for an input of rank {}",
                                           *axis, -rank, rank - 1, rank));
  const auto& s = x.shape;
  const auto ua = static_cast<std::size_t>(a);
  if (s[ua] == 0)
    return view.error(fmt::format("input {} has no elements along axis {}: no index to return",
                                  to_string(s), *axis));
  arg_reduce_params p;
  p.is_max = view.node.op_type == "ArgMax";
  p.select_last = *last != 0;
  p.outer = element_count(shape_t(s.begin(), s.begin() + a));
  p.axis_size = s[ua];
  p.inner = element_count(shape_t(s.begin() + a + 1, s.end()));
  for (std::size_t d = 0; d < s.size(); ++d)
    if (d != ua)
      p.output_shape.push_back(s[d]);
    else if (*keepdims != 0)
      p.output_shape.push_back(1);
  return p;
}

result<std::vector<value_type>> infer_arg_reduce(const node_view& view) {
  auto p = arg_reduce_params_of(view);
  if (!p)
    return p.error();
  return std::vector<value_type>{{dtype::int64, p->output_shape}};
}

namespace {

template <class T>
void arg_reduce_reference(const arg_reduce_params& p, const T* x, std::int64_t* y) {
  for (std::int64_t o = 0; o < p.outer; ++o)
    for (std::int64_t i = 0; i < p.inner; ++i) {
      const T* s = x + o * p.axis_size * p.inner + i;
      T best = s[0];
      std::int64_t index = 0;
      for (std::int64_t j = 1; j < p.axis_size; ++j) {
        const T v = s[j * p.inner];
        if constexpr (std::is_floating_point_v<T>) {
          // NaN is the extreme: the first one wins (the last with select_last_index).
          if (std::isnan(best)) {
            if (p.select_last && std::isnan(v))
              index = j;
            continue;
          }
          if (std::isnan(v)) {
            best = v;
            index = j;
            continue;
          }
        }
        if ((p.is_max ? v > best : v < best) || (p.select_last && v == best)) {
          best = v;
          index = j;
        }
      }
      y[o * p.inner + i] = index;
    }
}

} // namespace

result<cpu_kernel> bind_arg_reduce_reference(const node_view& view,
                                             std::span<const value_type>) {
  auto params = arg_reduce_params_of(view);
  if (!params)
    return params.error();
  cpu_kernel k;
  const auto type = view.inputs[0].type;
  k.run = [p = *params, type](const cpu_buffers& io) {
    auto* y = static_cast<std::int64_t*>(io.outputs[0]);
    switch (type) {
      case dtype::float64:
        arg_reduce_reference(p, static_cast<const double*>(io.inputs[0]), y);
        break;
      case dtype::int32:
        arg_reduce_reference(p, static_cast<const std::int32_t*>(io.inputs[0]), y);
        break;
      case dtype::int64:
        arg_reduce_reference(p, static_cast<const std::int64_t*>(io.inputs[0]), y);
        break;
      default: arg_reduce_reference(p, static_cast<const float*>(io.inputs[0]), y); break;
    }
  };
  return k;
}

} // namespace hogar::nn
