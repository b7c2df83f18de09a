// layout_pass.hpp: which values of a planned model stay in a layout of oneDNN's between two
// kernels instead of plain NCHW, so that a chain of oneDNN Convs and pooling, with the
// element-wise ops between them (ResNet's residual Add and Relu), reorders its activations
// only where the chain begins and ends.
//
// A value keeps layout T when the kernel that writes it writes T natively (a Conv: the layout
// its oneDNN kernel chose; MaxPool and element-wise ops: the layout of their input) and every
// kernel that reads it reads T natively (a Conv whose kernel reads T; pooling on oneDNN,
// which reads any; an element-wise op all of whose inputs and output keep T). Model inputs,
// constants, graph outputs and views (Reshape, Flatten) stay plain. Starting from what the
// writers offer, values are turned back to plain until every reader agrees; each kernel is
// then told the layouts of its input 0 and output 0 (layout_traits::use).
#pragma once

#include <span>
#include <vector>

#include "kernels/nn/op.hpp"
#include "kernels/onnx/plan.hpp"

namespace hogar::onnx {

/// Chooses a layout per value of `p` (indices as p.values()), tells `kernels` (one per node of
/// `p`), and returns the choice.
std::vector<nn::layout_tag> choose_layouts(const plan& p, std::span<nn::cpu_kernel> kernels);

} // namespace hogar::onnx
