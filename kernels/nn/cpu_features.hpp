// cpu_features.hpp: what this machine's CPU can do, read from its feature flags (cpuid), and
// which kernels the fast CPU path runs on it. A library's name for the CPU model is never
// trusted (Debian's OpenBLAS calls an AVX-512 Xeon "Prescott"); `hogar model ops`, the
// daemon's start-up log and the benchmark tables print this.
#pragma once

#include <string>

namespace hogar::nn {

/// "Intel(R) Xeon(R) Processor; avx2 fma avx512f avx512bw avx512vl avx512_vnni avx512_bf16
/// (no amx)": the CPU's model name and the SIMD flags the kernels care about.
std::string cpu_description();

/// Which library and ISA run each part of the fast CPU path here, one line each, with the
/// environment variables the user set that change them ("ONEDNN_MAX_CPU_ISA=avx2").
std::string cpu_kernels_description();

} // namespace hogar::nn
