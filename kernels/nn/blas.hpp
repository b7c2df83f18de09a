// blas.hpp: OpenBLAS for the fast CPU kernels (Conv, Gemm, MatMul). hogar splits work over
// each executor instance's own thread pool, so OpenBLAS must not start threads of its own:
// every kernel that calls it first calls single_threaded_blas() once when it is bound.
#pragma once

#include <cblas.h>

namespace hogar::nn {

/// Sets OpenBLAS to one thread (per process, the first call only; thread-safe).
void single_threaded_blas() noexcept;

} // namespace hogar::nn
