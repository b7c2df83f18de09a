#include "kernels/nn/cpu_features.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "kernels/nn/blas.hpp"
#include "kernels/nn/conv.hpp"
#include "kernels/nn/dnnl_support.hpp"
#include "kernels/nn/simd.hpp"

namespace hogar::nn {

namespace {

std::string model_name() {
  std::ifstream info{"/proc/cpuinfo"};
  for (std::string line; std::getline(info, line);)
    if (line.rfind("model name", 0) == 0)
      return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

/// The user's settings that steer the libraries, as NAME=VALUE.
std::vector<std::string> steering_environment() {
  std::vector<std::string> out;
  for (const char* name : {"ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "ONEDNN_CPU_ISA_HINTS",
                           "OPENBLAS_CORETYPE", "OMP_NUM_THREADS", "OMP_WAIT_POLICY", "HOGAR_WINOGRAD"})
    if (const char* value = std::getenv(name))
      out.push_back(fmt::format("{}={}", name, value));
  return out;
}

} // namespace

bool simd::avx2_loops() noexcept {
#if defined(__x86_64__)
  static const bool runs = [] {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
      return false;
    for (const char* name : {"ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"})
      if (const char* value = std::getenv(name)) {
        std::string isa = value;
        for (auto& c : isa)
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (isa == "sse41" || isa == "avx")
          return false;
      }
    return true;
  }();
  return runs;
#else
  return false;
#endif
}

std::string cpu_description() {
  std::vector<std::string> flags;
  __builtin_cpu_init();
  // The flags the kernels choose by, oldest first.
#define HOGAR_FLAG(name, shown) \
  if (__builtin_cpu_supports(name)) \
    flags.push_back(shown);
  HOGAR_FLAG("sse4.2", "sse4.2")
  HOGAR_FLAG("avx", "avx")
  HOGAR_FLAG("avx2", "avx2")
  HOGAR_FLAG("fma", "fma")
  HOGAR_FLAG("avx512f", "avx512f")
  HOGAR_FLAG("avx512bw", "avx512bw")
  HOGAR_FLAG("avx512vl", "avx512vl")
  HOGAR_FLAG("avx512vnni", "avx512_vnni")
  HOGAR_FLAG("avx512bf16", "avx512_bf16")
#undef HOGAR_FLAG
  // AMX has no __builtin_cpu_supports name in GCC 12: the kernel's flags say it.
  bool amx = false;
  std::ifstream info{"/proc/cpuinfo"};
  for (std::string line; std::getline(info, line);)
    if (line.rfind("flags", 0) == 0) {
      amx = line.find(" amx_tile") != std::string::npos;
      break;
    }
  flags.push_back(amx ? "amx_tile" : "(no amx)");
  return fmt::format("{}; {}", model_name(), fmt::join(flags, " "));
}

std::string cpu_kernels_description() {
  auto text = fmt::format(
    "Conv, fully connected Gemm, and pooling between oneDNN Convs: oneDNN, kernels for {}\n"
    "other MatMuls and Gemms: OpenBLAS, its {} kernels (OpenBLAS's own name for this CPU)\n"
    "the other ops: hogar's kernels, four-float vectors (SSE2, every x86-64){}",
    dnnl_isa_description(), openblas_get_corename(),
    simd::avx2_loops()
      ? "; Gelu, SiLU, sigmoid, softmax and LayerNorm rows eight at a time (AVX2, FMA)"
      : "");
  if (simd::avx2_loops())
    text += "\nMatMul by constant weights (dense layers): hogar's packed-weight product, AVX2 and "
            "FMA\nattention's MatMuls: the same product, B packed per call, the scale, mask and "
            "softmax and the heads' Transposes fused";
  if (conv_winograd_runs_here())
    text += "\n3x3 stride-1 Convs with channels in eights: hogar's Winograd F(4x4,3x3) or "
            "F(2x2,3x3), AVX2 and FMA, in oneDNN's 8-channel blocks";
  auto env = steering_environment();
  if (!env.empty())
    text += fmt::format("\nset by the environment: {}", fmt::join(env, " "));
  return text;
}

} // namespace hogar::nn
