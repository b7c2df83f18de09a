// dnnl_support.hpp: what the fast CPU kernels share of oneDNN (Debian's libdnnl, OpenMP
// runtime). oneDNN picks its kernels from the CPU's feature flags (cpuid) and JIT-compiles
// them for the ISA it finds, so the same binary runs AVX-512 code on a Xeon and AVX2 code on
// an EPYC; ONEDNN_MAX_CPU_ISA set by the user caps it, and is respected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/nn/epilogue.hpp"
#include "kernels/tensor.hpp"

namespace hogar::nn {

/// The CPU engine every oneDNN primitive of the process is made for.
const dnnl::engine& dnnl_cpu_engine();

/// Sets this thread's OpenMP thread count, which oneDNN reads when it makes and runs a
/// primitive, for the scope; the caller's count is back afterwards.
class omp_threads_scope {
public:
  explicit omp_threads_scope(int threads);
  ~omp_threads_scope();
  omp_threads_scope(const omp_threads_scope&) = delete;
  omp_threads_scope& operator=(const omp_threads_scope&) = delete;

private:
  int saved_;
};

/// The variants of one bound kernel by thread count: oneDNN fixes a primitive's threads and
/// its split of the work when it is made, so each intra-op thread count an instance runs it
/// with gets one, made on first use (under the scope of that count). A variant whose making
/// throws is not kept: the next call tries again and throws again.
template <class Variant>
class variants_by_threads {
public:
  template <class Make>
  const Variant& get(int threads, Make&& make) {
    std::lock_guard lock{mutex_};
    auto& slot = variants_[threads];
    if (!slot) {
      omp_threads_scope scope{threads};
      slot = make(threads);
    }
    return *slot;
  }

private:
  std::mutex mutex_;
  std::map<int, std::unique_ptr<Variant>> variants_;
};

/// `weights` (a constant, laid out as `plain`) reordered into `wanted`, shared by every kernel
/// that asks for the same constant in the same layout: the plans of one model for different
/// batch sizes, and the variants of one kernel, keep one copy between them.
std::shared_ptr<dnnl::memory> reordered_weights(const tensor& weights,
                                                const dnnl::memory::desc& plain,
                                                const dnnl::memory::desc& wanted);

/// "avx512_core_bf16 (oneDNN 2.6.3)": the ISA oneDNN's kernels are compiled for here, from
/// the CPU's flags and capped by ONEDNN_MAX_CPU_ISA / DNNL_MAX_CPU_ISA when set.
std::string dnnl_isa_description();

/// The layout_tag of a memory desc of oneDNN's when it is channels last or channels blocked by
/// 8 or 16 and takes exactly the bytes of the plain layout of its type (the layouts float32
/// values may keep between kernels, op.hpp; a bfloat16 desc in such a layout names the same
/// tag); plain_layout otherwise (plain itself included).
int dnnl_layout_tag(const dnnl::memory::desc& desc);

/// The memory desc of `dims` in layout `tag` (plain_layout: plain row-major), float32 unless
/// told otherwise.
dnnl::memory::desc dnnl_desc(const dnnl::memory::dims& dims, int tag,
                             dnnl::memory::data_type type = dnnl::memory::data_type::f32);

/// The workspace a kernel asks for when its variant for every core needs `bytes`: half as much
/// again, room for a variant of more threads than cores (a pool the user oversized).
inline std::size_t reserved_workspace(std::size_t bytes) { return bytes + bytes / 2; }

/// Where a variant needing `needed` bytes works: the caller's workspace (`reserved` bytes)
/// when it fits, else `own`, grown and 64-byte aligned, for this call.
inline std::byte* variant_workspace(void* given, std::size_t reserved, std::size_t needed,
                                    std::vector<std::byte>& own) {
  if (needed <= reserved)
    return static_cast<std::byte*>(given);
  own.resize(needed + 64);
  return reinterpret_cast<std::byte*>((reinterpret_cast<std::uintptr_t>(own.data()) + 63) / 64 * 64);
}

/// A fused epilogue as oneDNN post-ops, after a sum of what the output holds when the kernel
/// starts (a residual copied there first) when `sum` is set.
dnnl::post_ops dnnl_post_ops(const epilogue& e, bool sum);

/// Whether oneDNN runs bfloat16 convolutions and products natively here (AVX512-BF16 or AMX).
bool dnnl_has_bf16();

} // namespace hogar::nn
