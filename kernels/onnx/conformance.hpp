// conformance.hpp: runs ONNX backend test cases (`hogar model test`, and the test suite over
// Debian's libonnx-testdata). A case is a folder with model.onnx and test_data_set_N/ folders
// of input_K.pb and output_K.pb (serialized TensorProtos); every output is compared with the
// expected one under a tolerance suited to its dtype.
#pragma once

#include <string>
#include <vector>

#include "kernels/nn/op.hpp"

namespace hogar::onnx {

enum class verdict {
  pass,
  /// An output differs beyond the tolerance (or in dtype or shape).
  fail,
  /// The model needs an operator, attribute or device hogar does not have.
  unsupported,
  /// The case folder is broken, or running failed.
  error,
};

std::string_view to_string(verdict v) noexcept;

struct case_result {
  std::string case_dir;
  nn::device device = nn::device::cpu;
  verdict outcome = verdict::error;
  /// Largest |actual - expected| over every compared element (0 for exact dtypes).
  double max_abs_error = 0;
  /// What failed, or why it is unsupported; empty on a pass.
  std::string message;
  /// Data sets compared.
  int data_sets = 0;
};

/// Absolute and relative tolerance for float outputs: |actual - expected| <= atol + rtol *
/// |expected| (ONNX's own backend tests use rtol 1e-3; atol is looser than their 1e-7 because
/// the fast paths sum in another order).
struct tolerance {
  double rtol = 1e-3;
  double atol = 1e-5;
};

case_result run_case(const std::string& case_dir, nn::device device, tolerance tol = {});

/// "test_add [cpu]: pass (2 data sets, max error 0)" and the like, one line.
std::string describe(const case_result& r);

} // namespace hogar::onnx
