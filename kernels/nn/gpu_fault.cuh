// gpu_fault.cuh: what a kernel found wrong in a node's inputs (Gather's index outside its
// axis), recorded on the device, where nothing can throw. The GPU executor hands each kernel
// that checks its inputs a record zeroed for the batch (gpu_buffers::fault), reads the records
// back with the outputs and fails the batch with the first such node's account of its record
// (gpu_kernel::describe_fault). Plain C++17, like gpu_common.cuh, for the launchers.
#pragma once

#include <cstdint>

namespace hogar::nn::cuda {

/// One node's record; all zero bytes: nothing found.
struct fault {
  /// ~j for the lowest offending element j of the checked input: report_fault keeps the
  /// largest complement, and 0 (the complement of no element) means none. Read it with
  /// fault_element().
  unsigned long long lowest_complement = 0;
  /// What element fault_element() holds (the offending index), written by the launcher once
  /// the check is done.
  std::int64_t value = 0;
};

inline bool has_fault(const fault& f) { return f.lowest_complement != 0; }

/// The lowest offending element, when has_fault(f).
inline std::int64_t fault_element(const fault& f) {
  return static_cast<std::int64_t>(~f.lowest_complement);
}

#ifdef __CUDACC__

/// Records element `j` of the checked input as offending; of all recorded, the lowest stays,
/// whatever the order the threads ran in.
__device__ __forceinline__ void report_fault(fault* f, std::int64_t j) {
  atomicMax(&f->lowest_complement, ~static_cast<unsigned long long>(j));
}

#endif

} // namespace hogar::nn::cuda
