// attention_fusion.hpp: the fast CPU path's plan-time fusion of attention's scores, as every
// BERT-style encoder exported by torch.onnx computes them:
//
//     p = Softmax(Add(Div(MatMul(q, k), c), mask))   becomes   p = MatMul(q, k) with
//                                                         hogar_scale 1/c, hogar_mask (input 2
//                                                         = mask) and hogar_softmax
//
// so that each block of rows of the product is scaled, masked and normalised while it is in
// L1 (packed_gemm.cpp's per-call kernel), instead of in three more passes over a tensor of
// batch x heads x sequence^2 floats that no longer fits in L2. The Div (or a Mul by a
// constant) and the Add are optional; the Softmax is not. It runs on a plan because it needs
// the shapes: the Softmax must normalise each last-axis row on its own (axis -1, or the last
// axis; before opset 13 also an axis whose 2-D view is those rows), the constant must be one
// float32 value, the mask float32 and broadcast to the product's shape, computed before the
// MatMul runs, and every value in between read by the next node alone (no graph output).
//
// The GPU executor does not run them (cuBLAS's batched product has no row softmax): only
// cpu_executor calls it.
#pragma once

#include "kernels/onnx/plan.hpp"

namespace hogar::onnx {

/// Rewrites `p` in place; returns the number of MatMuls that took a softmax.
std::size_t fuse_attention_softmax(plan& p);

/// The Transposes around attention's products folded into the MatMuls: an operand that is a
/// Transpose's output (read by nothing else) is read in the Transpose's input through the
/// permuted strides (hogar_perm_a, hogar_perm_b), and a product whose one reader is a
/// Transpose is written where the Transpose would have put it (hogar_perm_y):
///
///     q' = Transpose(q, 0 2 1 3), k' = Transpose(k, 0 2 3 1): MatMul(q', k')  reads q and k
///     Transpose(MatMul(p, v'), 0 2 1 3)                         writes [batch, seq, heads, d]
///
/// as BERT's heads are split and merged. A's and the product's last axis must stay last (their
/// rows contiguous); B may be read by rows or by columns; a MatMul by constant weights (a dense
/// layer, packed once) is left alone. Returns the MatMuls rewritten.
std::size_t fuse_attention_transposes(plan& p);

} // namespace hogar::onnx
