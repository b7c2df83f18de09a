// gemm_ref.cpp: Gemm's and MatMul's parameters and shape rules, and their reference twins:
// the textbook triple loop, summed in double (integers in int64).
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

#include "kernels/nn/activation.hpp"
#include "kernels/nn/broadcast.hpp"
#include "kernels/nn/gemm.hpp"
#include "kernels/ops/common.hpp"

namespace hogar::nn {

result<gemm_params> gemm_params_of(const node_view& view) {
  if (view.inputs.size() < 2 || view.inputs.size() > 3 || !view.has(0) || !view.has(1))
    return view.error("needs inputs A and B, and optionally C");
  const auto& a = view.inputs[0];
  const auto& b = view.inputs[1];
  if (a.type != dtype::float32 && a.type != dtype::float64)
    return view.error(fmt::format("input A is {}; Gemm takes float32 or float64",
                                  to_string(a.type)));
  if (b.type != a.type)
    return view.error(fmt::format("input B is {} but A is {}", to_string(b.type),
                                  to_string(a.type)));
  if (a.shape.size() != 2 || b.shape.size() != 2)
    return view.error(fmt::format("inputs A {} and B {} must both be matrices (rank 2)",
                                  to_string(a.shape), to_string(b.shape)));
  auto attrs = view.attributes();
  auto trans_a = attrs.get_int("transA", 0);
  auto trans_b = attrs.get_int("transB", 0);
  auto alpha = attrs.get_float("alpha", 1.0f);
  auto beta = attrs.get_float("beta", 1.0f);
  auto broadcast = attrs.get_int("broadcast", 0);
  if (!trans_a) return trans_a.error();
  if (!trans_b) return trans_b.error();
  if (!alpha) return alpha.error();
  if (!beta) return beta.error();
  if (!broadcast) return broadcast.error();
  gemm_params p;
  p.trans_a = *trans_a != 0;
  p.trans_b = *trans_b != 0;
  p.alpha = *alpha;
  p.beta = *beta;
  p.m = p.trans_a ? a.shape[1] : a.shape[0];
  p.k = p.trans_a ? a.shape[0] : a.shape[1];
  const auto kb = p.trans_b ? b.shape[1] : b.shape[0];
  p.n = p.trans_b ? b.shape[0] : b.shape[1];
  if (kb != p.k)
    return view.error(fmt::format("A {} (transA {}) and B {} (transB {}) do not multiply: {} "
                                  "columns against {} rows",
                                  to_string(a.shape), *trans_a, to_string(b.shape), *trans_b,
                                  p.k, kb));
  if (view.has(2)) {
    const auto& c = view.inputs[2];
    if (c.type != a.type)
      return view.error(fmt::format("input C is {} but A is {}", to_string(c.type),
                                    to_string(a.type)));
    const shape_t out{p.m, p.n};
    // Opsets before 7: C broadcasts only when `broadcast` is 1; otherwise it is [M, N].
    const bool may_broadcast = view.opset >= 7 || *broadcast != 0;
    auto joint = broadcast_shape(c.shape, out);
    if (c.shape.size() > 2 || !joint || *joint != out || (!may_broadcast && c.shape != out))
      return view.error(fmt::format("input C {} does not broadcast to the output [{}, {}]{}",
                                    to_string(c.shape), p.m, p.n,
                                    may_broadcast ? "" : " (attribute 'broadcast' is 0)"));
    p.has_c = true;
    p.c_shape = c.shape;
  }
  auto post = epilogue_of(view.node);
  if (!post)
    return post.error();
  p.post = *post;
  return p;
}

namespace {

/// shape and strides of Transpose(x, perm) read in x's storage; false unless perm is a
/// permutation of x's dimensions.
bool permute(const std::vector<std::int64_t>& perm, shape_t& shape,
             std::vector<std::int64_t>& strides) {
  if (perm.size() != shape.size())
    return false;
  std::vector<bool> seen(perm.size(), false);
  shape_t s;
  std::vector<std::int64_t> t;
  for (auto d : perm) {
    if (d < 0 || d >= static_cast<std::int64_t>(perm.size()) || seen[static_cast<std::size_t>(d)])
      return false;
    seen[static_cast<std::size_t>(d)] = true;
    s.push_back(shape[static_cast<std::size_t>(d)]);
    t.push_back(strides[static_cast<std::size_t>(d)]);
  }
  shape = std::move(s);
  strides = std::move(t);
  return true;
}

/// An operand's element step for each output batch dimension: its own dimension's stride
/// where it has one of extent above 1 (numpy's alignment from the right), else 0.
std::vector<std::int64_t> batch_strides(const shape_t& operand_batch,
                                        const std::vector<std::int64_t>& strides,
                                        const shape_t& batch) {
  std::vector<std::int64_t> out(batch.size(), 0);
  const auto skip = batch.size() - operand_batch.size();
  for (std::size_t d = skip; d < batch.size(); ++d)
    if (operand_batch[d - skip] != 1)
      out[d] = strides[d - skip];
  return out;
}

} // namespace

result<matmul_params> matmul_params_of(const node_view& view) {
  auto fused_bias = view.attributes().get_int(fused_bias_attr, 0);
  if (!fused_bias)
    return fused_bias.error();
  auto fused_mask = view.attributes().get_int(fused_mask_attr, 0);
  if (!fused_mask)
    return fused_mask.error();
  auto fused_residual = view.attributes().get_int(fused_residual_attr, 0);
  if (!fused_residual)
    return fused_residual.error();
  const bool has_bias = *fused_bias != 0;
  const bool has_mask = *fused_mask != 0;
  const bool has_residual = *fused_residual != 0;
  if (has_mask && has_residual)
    return view.error("carries a fused mask and a fused residual; hogar fuses one or the other");
  // A, B, then the bias, then the mask; a residual is input 3 whether or not a bias is fused.
  const std::size_t mask_input = has_bias ? 3 : 2;
  const std::size_t inputs = has_residual ? residual_input + 1 : mask_input + (has_mask ? 1 : 0);
  if (view.inputs.size() != inputs || !view.has(0) || !view.has(1) ||
      (has_bias && !view.has(2)) || (has_mask && !view.has(mask_input)) ||
      (has_residual && !view.has(residual_input)) || (!has_bias && has_residual && view.has(2)))
    return view.error(has_residual         ? "needs A, B, the fused bias if any, and the fused "
                                             "residual as input 3"
                      : has_bias && has_mask ? "needs four inputs, A, B, the fused bias and mask"
                      : has_bias             ? "needs three inputs, A, B and the fused bias"
                      : has_mask             ? "needs three inputs, A, B and the fused mask"
                                             : "needs two inputs, A and B");
  const auto& a = view.inputs[0];
  const auto& b = view.inputs[1];
  if (a.type != dtype::float32 && a.type != dtype::float64 && a.type != dtype::int32 &&
      a.type != dtype::int64)
    return view.error(fmt::format("input A is {}; MatMul takes float32, float64, int32 or int64",
                                  to_string(a.type)));
  if (b.type != a.type)
    return view.error(fmt::format("input B is {} but A is {}", to_string(b.type),
                                  to_string(a.type)));
  if (a.shape.empty() || b.shape.empty())
    return view.error(fmt::format("inputs A {} and B {} must have rank 1 or more",
                                  to_string(a.shape), to_string(b.shape)));
  // Transposes the CPU plan folded in (hogar_perm_a, _b, _y): the operand is the Transpose's
  // input, read through the permuted strides.
  auto perm_a = view.attributes().get_ints(fused_perm_a_attr);
  auto perm_b = view.attributes().get_ints(fused_perm_b_attr);
  auto perm_y = view.attributes().get_ints(fused_perm_y_attr);
  for (auto* perm : {&perm_a, &perm_b, &perm_y})
    if (!*perm)
      return perm->error();
  // numpy: a vector A is a row [1, K], a vector B a column [K, 1]; the added dimension is
  // removed from the output again.
  shape_t sa = a.shape, sb = b.shape;
  auto ta = row_major_strides(sa), tb = row_major_strides(sb);
  auto fold = [&](const std::vector<std::int64_t>& perm, shape_t& shape,
                  std::vector<std::int64_t>& strides,
                  std::string_view operand) -> std::optional<error_info> {
    const auto given = shape;
    if (perm.empty() || (permute(perm, shape, strides) && shape.size() >= 2))
      return std::nullopt;
    return view.error(fmt::format("folded transpose of {} {}: {} is no permutation of its "
                                  "dimensions",
                                  operand, to_string(given), to_string(perm)));
  };
  if (auto problem = fold(*perm_a, sa, ta, "A"))
    return *problem;
  if (auto problem = fold(*perm_b, sb, tb, "B"))
    return *problem;
  if (sa.size() == 1) {
    sa.insert(sa.begin(), 1);
    ta.insert(ta.begin(), 0);
  }
  if (sb.size() == 1) {
    sb.push_back(1);
    tb.push_back(1);
  }
  matmul_params p;
  p.m = sa[sa.size() - 2];
  p.k = sa[sa.size() - 1];
  p.n = sb[sb.size() - 1];
  if (sb[sb.size() - 2] != p.k)
    return view.error(fmt::format("A {} and B {} do not multiply: {} columns against {} rows",
                                  to_string(sa), to_string(sb), p.k, sb[sb.size() - 2]));
  const shape_t batch_a(sa.begin(), sa.end() - 2), batch_b(sb.begin(), sb.end() - 2);
  auto batch = broadcast_shape(batch_a, batch_b);
  if (!batch)
    return view.error(fmt::format("the batch dimensions of A {} and B {} do not broadcast",
                                  to_string(sa), to_string(sb)));
  p.batch = *batch;
  p.a_batch_strides = batch_strides(batch_a, ta, p.batch);
  p.b_batch_strides = batch_strides(batch_b, tb, p.batch);
  p.a_row_stride = ta[ta.size() - 2];
  p.a_col_stride = ta.back();
  p.b_row_stride = tb[tb.size() - 2];
  p.b_col_stride = tb.back();
  // Y as the product lays it out, and the output as the graph sees it.
  shape_t product = p.batch;
  product.push_back(p.m);
  product.push_back(p.n);
  auto ty = row_major_strides(product);
  p.out_shape = p.batch;
  if (a.shape.size() > 1)
    p.out_shape.push_back(p.m);
  if (b.shape.size() > 1)
    p.out_shape.push_back(p.n);
  if (!perm_y->empty()) {
    // Output dimension j is the product's dimension perm[j]: the product's strides are the
    // output's, permuted back.
    shape_t out = product;
    std::vector<std::int64_t> unused(out.size(), 0);
    if (a.shape.size() < 2 || b.shape.size() < 2 || !permute(*perm_y, out, unused))
      return view.error(fmt::format("folded transpose of the product {}: {} is no permutation "
                                    "of its dimensions",
                                    to_string(product), to_string(*perm_y)));
    const auto out_strides = row_major_strides(out);
    for (std::size_t j = 0; j < out.size(); ++j)
      ty[static_cast<std::size_t>((*perm_y)[j])] = out_strides[j];
    p.out_shape = out;
  }
  p.y_batch_strides.assign(ty.begin(), ty.end() - 2);
  p.y_row_stride = ty[ty.size() - 2];
  p.y_col_stride = ty.back();
  p.permuted = !perm_a->empty() || !perm_b->empty() || !perm_y->empty();
  auto post = epilogue_of(view.node);
  if (!post)
    return post.error();
  if (post->kind != activation::none && a.type != dtype::float32)
    return view.error("carries a fused activation, which MatMul applies to float32 only");
  p.post = *post;
  if (has_bias) {
    const auto& bias = view.inputs[2];
    if (a.type != dtype::float32 || bias.type != dtype::float32)
      return view.error("carries a fused bias, which MatMul adds to float32 products only");
    if (bias.shape != shape_t{p.n})
      return view.error(fmt::format("fused bias {} must hold one value per output column ({})",
                                    to_string(bias.shape), p.n));
    p.has_bias = true;
  }
  auto scale = view.attributes().get_float(fused_scale_attr, 1.0f);
  if (!scale)
    return scale.error();
  auto softmax = view.attributes().get_int(fused_softmax_attr, 0);
  if (!softmax)
    return softmax.error();
  p.scale = *scale;
  p.softmax = *softmax != 0;
  if (p.has_row_epilogue()) {
    if (a.type != dtype::float32)
      return view.error("carries a fused scale, mask or softmax, which MatMul applies to "
                        "float32 products only");
    if (has_bias || p.post.kind != activation::none)
      return view.error("carries a fused scale, mask or softmax with a fused bias or "
                        "activation; hogar fuses them apart only");
  }
  if (has_residual) {
    const auto& residual = view.inputs[residual_input];
    if (a.type != dtype::float32 || residual.type != dtype::float32 ||
        residual.shape != p.out_shape || p.permuted || p.has_row_epilogue())
      return view.error(fmt::format("fused residual {} {} must be float32 of the product's "
                                    "shape {}, with no folded transpose, scale, mask or softmax",
                                    to_string(residual.type), to_string(residual.shape),
                                    to_string(p.out_shape)));
    p.has_residual = true;
  }
  if (has_mask && !perm_y->empty())
    return view.error("carries a fused mask and a folded transpose of its product; hogar "
                      "fuses one or the other");
  if (has_mask) {
    // Against the product's shape: with a 1-D operand numpy drops a dimension from the output.
    const auto& mask = view.inputs[mask_input];
    auto joint = broadcast_shape(mask.shape, p.out_shape);
    if (mask.type != dtype::float32 || a.shape.size() < 2 || b.shape.size() < 2 || !joint ||
        *joint != p.out_shape)
      return view.error(fmt::format("fused mask {} {} must be float32 and broadcast to the "
                                    "product's shape {}",
                                    to_string(mask.type), to_string(mask.shape),
                                    to_string(p.out_shape)));
    auto strides = broadcast_strides(mask.shape, p.out_shape);
    p.mask_batch_strides.assign(strides.begin(), strides.end() - 2);
    p.mask_row_stride = strides[strides.size() - 2];
    p.mask_col_stride = strides.back();
    p.has_mask = true;
  }
  return p;
}

result<std::vector<value_type>> infer_gemm(const node_view& view) {
  auto p = gemm_params_of(view);
  if (!p)
    return p.error();
  return std::vector<value_type>{{view.inputs[0].type, shape_t{p->m, p->n}}};
}

result<std::vector<value_type>> infer_matmul(const node_view& view) {
  auto p = matmul_params_of(view);
  if (!p)
    return p.error();
  return std::vector<value_type>{{view.inputs[0].type, p->out_shape}};
}

namespace {

/// double for floating types, int64 for integers.
template <class T>
using accumulator_t = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;

template <class T>
void gemm_reference(const gemm_params& p, const cpu_buffers& io) {
  const T* a = static_cast<const T*>(io.inputs[0]);
  const T* b = static_cast<const T*>(io.inputs[1]);
  const T* c = p.has_c ? static_cast<const T*>(io.inputs[2]) : nullptr;
  T* y = static_cast<T*>(io.outputs[0]);
  std::vector<std::int64_t> c_strides{0, 0};
  if (p.has_c)
    c_strides = broadcast_strides(p.c_shape, shape_t{p.m, p.n});
  for (std::int64_t i = 0; i < p.m; ++i) {
    for (std::int64_t j = 0; j < p.n; ++j) {
      double sum = 0;
      for (std::int64_t k = 0; k < p.k; ++k) {
        const double av = p.trans_a ? a[k * p.m + i] : a[i * p.k + k];
        const double bv = p.trans_b ? b[j * p.k + k] : b[k * p.n + j];
        sum += av * bv;
      }
      double v = static_cast<double>(p.alpha) * sum;
      if (c)
        v += static_cast<double>(p.beta) * c[i * c_strides[0] + j * c_strides[1]];
      y[i * p.n + j] = activate(p.post, static_cast<T>(v));
    }
  }
}

/// matmul_params' scale, mask and row softmax on output matrix `batch` (ym), in double.
void row_epilogue_reference(const matmul_params& p, std::int64_t batch, const float* mask,
                            float* ym) {
  const float* mm = p.has_mask ? mask + matmul_mask_offset(p, batch) : nullptr;
  std::vector<double> row(static_cast<std::size_t>(p.n));
  for (std::int64_t i = 0; i < p.m; ++i) {
    float* yr = ym + i * p.y_row_stride;
    double max = -std::numeric_limits<double>::infinity();
    for (std::int64_t j = 0; j < p.n; ++j) {
      double v = static_cast<double>(p.scale) * yr[j];
      if (mm)
        v += mm[i * p.mask_row_stride + j * p.mask_col_stride];
      row[static_cast<std::size_t>(j)] = v;
      max = std::max(max, v);
    }
    if (!p.softmax) {
      for (std::int64_t j = 0; j < p.n; ++j)
        yr[j] = static_cast<float>(row[static_cast<std::size_t>(j)]);
      continue;
    }
    double sum = 0;
    for (auto& v : row)
      sum += v = std::exp(v - max);
    for (std::int64_t j = 0; j < p.n; ++j)
      yr[j] = static_cast<float>(row[static_cast<std::size_t>(j)] / sum);
  }
}

template <class T>
void matmul_reference(const matmul_params& p, const cpu_buffers& io) {
  const T* a = static_cast<const T*>(io.inputs[0]);
  const T* b = static_cast<const T*>(io.inputs[1]);
  const T* bias = p.has_bias ? static_cast<const T*>(io.inputs[2]) : nullptr;
  const T* residual =
    p.has_residual ? static_cast<const T*>(io.inputs[residual_input]) : nullptr;
  T* y = static_cast<T*>(io.outputs[0]);
  const auto batches = element_count(p.batch);
  for (std::int64_t batch = 0; batch < batches; ++batch) {
    const auto offset = matmul_offsets(p, batch);
    const T* am = a + offset.a;
    const T* bm = b + offset.b;
    T* ym = y + offset.y;
    for (std::int64_t i = 0; i < p.m; ++i) {
      for (std::int64_t j = 0; j < p.n; ++j) {
        accumulator_t<T> sum = 0;
        for (std::int64_t k = 0; k < p.k; ++k)
          sum += static_cast<accumulator_t<T>>(am[i * p.a_row_stride + k * p.a_col_stride]) *
                 static_cast<accumulator_t<T>>(bm[k * p.b_row_stride + j * p.b_col_stride]);
        if (bias)
          sum += static_cast<accumulator_t<T>>(bias[j]);
        if (residual)
          sum += static_cast<accumulator_t<T>>(residual[offset.y + i * p.n + j]);
        ym[i * p.y_row_stride + j * p.y_col_stride] = activate(p.post, static_cast<T>(sum));
      }
    }
    if constexpr (std::is_same_v<T, float>)
      if (p.has_row_epilogue())
        row_epilogue_reference(p, batch, static_cast<const float*>(io.inputs.back()), ym);
  }
}

} // namespace

result<cpu_kernel> bind_gemm_reference(const node_view& view,
                                       std::span<const value_type> outputs) {
  auto p = gemm_params_of(view);
  if (!p)
    return p.error();
  cpu_kernel k;
  const bool is_double = outputs[0].type == dtype::float64;
  k.run = [p = *p, is_double](const cpu_buffers& io) {
    if (is_double)
      gemm_reference<double>(p, io);
    else
      gemm_reference<float>(p, io);
  };
  return k;
}

result<cpu_kernel> bind_matmul_reference(const node_view& view,
                                         std::span<const value_type> outputs) {
  auto p = matmul_params_of(view);
  if (!p)
    return p.error();
  cpu_kernel k;
  const auto type = outputs[0].type;
  k.run = [p = *p, type](const cpu_buffers& io) {
    ops::visit_dtype(type, [&](auto zero) {
      using T = decltype(zero);
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> ||
                    std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t>)
        matmul_reference<T>(p, io);
    });
  };
  return k;
}

} // namespace hogar::nn
