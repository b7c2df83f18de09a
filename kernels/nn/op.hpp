// op.hpp: the contract every ONNX operator family in kernels/nn fulfils.
//
// Per op type there is one definition (op_registry.cpp): shape and type inference, which also
// validates the attributes; a reference twin that every op has (plain loops, the oracle of the
// tests); optionally a fast CPU kernel; and whether the GPU executor runs it. Kernels are bound
// once per input shape (planning), so a call only moves data: no parsing, no allocation.
//
// A family's files share its stem: `conv.hpp` (parameters and shape rules), `conv_ref.cpp`
// (reference), `conv_cpu.cpp` (fast CPU path), `conv_gpu.cpp` + `conv.cu` (GPU).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/onnx/model_graph.hpp"
#include "base/result.hpp"
#include "kernels/tensor.hpp"

namespace hogar::nn {

// The to_string overloads of hogar (shapes, dtypes) stay visible next to nn's own.
using hogar::to_string;

class thread_pool;

/// Where a model runs.
enum class device : std::uint8_t {
  /// The plain CPU twins: slow, obviously right; the oracle of the tests.
  reference,
  /// The fast CPU path (BLAS-backed convolution and matrix products, fused epilogues); ops
  /// without a fast kernel run their reference twin.
  cpu,
  /// cuDNN, cuBLAS and hogar's CUDA kernels.
  gpu,
};

std::string_view to_string(device d) noexcept;
std::optional<device> device_from_string(std::string_view name) noexcept;

/// A value's type once the input shapes are known.
struct value_type {
  dtype type = dtype::float32;
  shape_t shape;
};

/// What an op sees of one node while a model is planned for concrete input shapes.
struct node_view {
  const onnx::node& node;
  /// The model's opset for the default domain (attribute defaults, inputs vs attributes).
  std::int64_t opset = 0;
  /// One entry per node input (an omitted optional input: see has()).
  std::span<const value_type> inputs;
  /// The values of inputs known before any request (initializers, folded constants); null
  /// for the others. Same length as `inputs`.
  std::span<const tensor* const> constants;
  /// Whether a kernel before this one in the plan runs on oneDNN's OpenMP team, whose threads
  /// then spin on the cores: a small product is faster on that team than on the pool.
  bool after_openmp = false;

  /// Whether optional input i is given.
  bool has(std::size_t i) const noexcept { return node.has_input(i) && i < inputs.size(); }
  const tensor* constant(std::size_t i) const noexcept {
    return i < constants.size() ? constants[i] : nullptr;
  }
  onnx::attribute_reader attributes() const { return onnx::attribute_reader{node}; }
  /// errc::invalid_argument: "node 'conv1' (Conv): MESSAGE".
  error_info error(std::string_view message) const;
};

/// The host buffers of one call of a bound CPU kernel.
struct cpu_buffers {
  /// One per node input, in node order (null for an omitted optional input).
  std::span<const void* const> inputs;
  /// One per node output.
  std::span<void* const> outputs;
  /// workspace_bytes of scratch, 64-byte aligned, owned by the caller.
  void* workspace = nullptr;
  /// Intra-op parallelism; kernels run on the calling thread when null.
  thread_pool* pool = nullptr;
};

/// A layout a value can have between two kernels besides plain row-major (NCHW): one of
/// oneDNN's, as its format tag (dnnl_format_tag_t: channels last, channels blocked by 8 or
/// 16), always one with exactly the plain layout's bytes (no padding). 0: plain.
using layout_tag = int;
inline constexpr layout_tag plain_layout = 0;

/// "plain", or oneDNN's name of the layout ("nChw16c", "nhwc").
std::string layout_name(layout_tag tag);

/// How a kernel can meet its neighbours in a layout of oneDNN's instead of plain NCHW, so
/// that a chain of oneDNN ops (Conv, pooling) and the element-wise ops between them keeps
/// activations in oneDNN's layout and reorders only at its ends (cpu_executor's layout pass).
struct layout_traits {
  /// Input 0 read natively in this layout (a Conv's, fixed when it was bound); plain: none.
  layout_tag reads = plain_layout;
  /// Output 0 written natively in this layout; plain: none.
  layout_tag writes = plain_layout;
  /// Other layouts input 0 is read in natively (pooling on oneDNN: those it has a fast kernel
  /// for on this CPU, channels blocked by 8 but not by 16 on an AVX2 machine, say).
  std::vector<layout_tag> reads_also;
  /// Writes output 0 in the layout input 0 came in (MaxPool, element-wise ops).
  bool writes_as_input = false;
  /// Element-wise on equal shapes: every input and the output share one layout, whichever.
  bool elementwise = false;
  /// Another input read in whatever layout it comes in (a Conv's fused residual); -1: none.
  int any_layout_input = -1;
  /// An input whose storage the output may take (a Conv's fused residual, which oneDNN adds
  /// to what the output already holds): when this node reads it last and both have one
  /// layout, the executor places them at one address and the kernel skips its copy; -1: none.
  int in_place_input = -1;
  /// Told the layouts the pass chose before the first run (one per node input, plain for an
  /// omitted one; output 0); null for kernels that need not know (element-wise ones). Answers
  /// whether the kernel then runs on oneDNN's OpenMP team (cpu_kernel::runs_on_openmp).
  std::function<bool(std::span<const layout_tag> inputs, layout_tag output)> use;
};

/// A node bound to its shapes for a CPU path.
struct cpu_kernel {
  std::function<void(const cpu_buffers&)> run;
  std::size_t workspace_bytes = 0;
  layout_traits layouts;
  /// What computes it, as `hogar model ops --model` and `hogar model profile` say: "oneDNN
  /// brg:avx512_core", "OpenBLAS sgemm"; empty: hogar's own kernel.
  std::string name;
  /// Runs on oneDNN's OpenMP team rather than the instance's pool: the executor lets the
  /// pool's spinning workers sleep first (thread_pool::rest), and runs the kernels after it on
  /// the calling thread alone while that team's threads spin. Set when bound, or by
  /// layouts.use once the layouts are known.
  bool runs_on_openmp = false;
};

/// Which element types the GPU executor runs an op with.
enum class gpu_support : std::uint8_t {
  none,
  /// float32 compute (cuDNN, cuBLAS, hogar's kernels).
  float32,
  /// float32 and float64 (Div).
  floating,
  /// float32, float64, int32 and int64 (Add, Sub, Mul).
  arithmetic,
  /// Data movement only (transpose, concat, views): every dtype.
  any_dtype,
  /// Element-wise compute on every numeric dtype and bool: float32, float64, int8, uint8,
  /// int32, int64, bool (comparisons, And/Or/Xor/Not, Where, Cast). Unlike any_dtype it
  /// names the types its kernels compute on: a dtype hogar gains later is not in it.
  numeric_and_bool,
};

/// Whether the GPU runs an op of support `s` on `type`.
constexpr bool gpu_runs(gpu_support s, dtype type) noexcept {
  switch (s) {
    case gpu_support::none: return false;
    case gpu_support::float32: return type == dtype::float32;
    case gpu_support::floating: return type == dtype::float32 || type == dtype::float64;
    case gpu_support::arithmetic:
      return type == dtype::float32 || type == dtype::float64 || type == dtype::int32 ||
             type == dtype::int64;
    case gpu_support::any_dtype: return true;
    case gpu_support::numeric_and_bool:
      return type == dtype::float32 || type == dtype::float64 || type == dtype::int8 ||
             type == dtype::uint8 || type == dtype::int32 || type == dtype::int64 ||
             type == dtype::boolean;
  }
  return false;
}

/// The dtypes `s` stands for, as `hogar model ops` and errors say them: "float32, float64".
std::string_view to_string(gpu_support s) noexcept;

struct op_definition {
  std::string_view op_type;
  /// Output types from input types; checks attributes and inputs, and fails naming the node,
  /// the attribute or the input at fault.
  result<std::vector<value_type>> (*infer)(const node_view& view);
  /// The reference twin, for every op and every dtype infer accepts.
  result<cpu_kernel> (*bind_reference)(const node_view& view,
                                       std::span<const value_type> outputs);
  /// The fast CPU kernel, or nullopt (also: a null pointer) where the reference serves.
  result<std::optional<cpu_kernel>> (*bind_cpu)(const node_view& view,
                                                std::span<const value_type> outputs) = nullptr;
  gpu_support gpu = gpu_support::none;
  /// Output 0 shares the storage of this input (Reshape, Flatten, Identity, Dropout): no kernel
  /// runs and nothing is copied, unless the node names other outputs too (Dropout's mask):
  /// then its kernel runs and writes them all. -1: the op writes its own output.
  int alias_input = -1;
  /// The outputs depend on the inputs' types and shapes only (Shape, Size): plans fold the
  /// node into constants as soon as the shapes are known, whatever the inputs hold.
  bool reads_shapes_only = false;
  /// Output 0 has as many rows as the kernel selects, known only when it runs
  /// (NonMaxSuppression's selected boxes): an int64 matrix whose first extent, as infer gives
  /// it, is a bound; the kernel fills its rows from the top and sets every element of the rows
  /// after them to -1 (filled_rows() counts them), and each filled row names its batch item in
  /// column 0, so that a batch's rows can be dealt back to its requests. Plans take such an
  /// output as a model output only, never as the input of another node.
  bool selects_rows = false;
};

/// The rows of a selects_rows output that its kernel filled: those before the first row that
/// begins with -1 (of `rows` rows of `columns` int64 each).
std::int64_t filled_rows(const std::int64_t* data, std::int64_t rows, std::int64_t columns) noexcept;

/// The definition of `op_type`, or nullptr when hogar does not run it.
const op_definition* find_op(std::string_view op_type) noexcept;

/// Every supported op, sorted by name.
std::span<const op_definition> all_ops() noexcept;

/// "Add, AveragePool, BatchNormalization, ...": for messages and `hogar model ops`.
std::string supported_op_list();

/// Whether an op runs on a device with a given element type, and why not.
struct support {
  bool ok = true;
  std::string reason;
};
support supports(std::string_view op_type, device d, dtype type);

} // namespace hogar::nn
