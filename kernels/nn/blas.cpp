#include "kernels/nn/blas.hpp"

#include <mutex>

namespace hogar::nn {

void single_threaded_blas() noexcept {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

} // namespace hogar::nn
