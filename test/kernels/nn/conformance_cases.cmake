# conformance_cases.cmake: the ONNX backend test cases (Debian's libonnx-testdata, ONNX 1.12)
# that hogar passes, in one place: test/kernels/nn/CMakeLists.txt makes one ctest of each, and
# `cmake -P test/kernels/nn/conformance_cases.cmake` prints them as a markdown list (for the
# README).
#
# hogar_conformance_cases run through `hogar model test CASE --device all`: reference and fast
# CPU path (and the GPU where there is one) must each match the expected outputs; the integer
# ones (hogar_conformance_cpu_only_cases) run on the reference and the fast CPU path only.
#
# hogar_conformance_constant_input_cases feed the value Reshape's shape from a data set file,
# as a request input; hogar plans every shape before the first request, so it needs that input
# as a constant. nn_test runs them with the file's value made an initializer.
#
# Left out, because they need something hogar does not run:
#   test_*_expanded                  the same ops spelled with ReduceMax, Exp, ReduceSum, ...
#   test_maxpool_with_argmax_*       MaxPool's second output (Indices)
#   test_batchnorm_*_training_mode   training-mode BatchNormalization (running statistics)
#   test_identity_opt, _sequence     optional and sequence values (tensors only)
#   test_basic_convinteger, test_convinteger_*, test_convtranspose*, test_matmulinteger,
#   test_constant_pad, test_constantofshape_*: other operators (ConvInteger, ConvTranspose,
#                                    MatMulInteger, Pad, ConstantOfShape)

set(hogar_conformance_cases
  # Add, Sub, Mul, Div
  test_add test_add_bcast test_add_uint8
  test_sub test_sub_bcast test_sub_example test_sub_uint8
  test_mul test_mul_bcast test_mul_example test_mul_uint8
  test_div test_div_bcast test_div_example test_div_uint8
  # Activations
  test_relu
  test_leakyrelu test_leakyrelu_default test_leakyrelu_example
  test_sigmoid test_sigmoid_example
  test_tanh test_tanh_example
  test_clip test_clip_default_inbounds test_clip_default_int8_inbounds
  test_clip_default_int8_max test_clip_default_int8_min test_clip_default_max
  test_clip_default_min test_clip_example test_clip_inbounds test_clip_outbounds
  test_clip_splitbounds
  # Conv
  test_basic_conv_with_padding test_basic_conv_without_padding
  test_conv_with_autopad_same test_conv_with_strides_and_asymmetric_padding
  test_conv_with_strides_no_padding test_conv_with_strides_padding
  # MaxPool, AveragePool, GlobalAveragePool
  test_maxpool_1d_default test_maxpool_2d_ceil test_maxpool_2d_default
  test_maxpool_2d_dilations test_maxpool_2d_pads test_maxpool_2d_precomputed_pads
  test_maxpool_2d_precomputed_same_upper test_maxpool_2d_precomputed_strides
  test_maxpool_2d_same_lower test_maxpool_2d_same_upper test_maxpool_2d_strides
  test_maxpool_2d_uint8 test_maxpool_3d_default
  test_averagepool_1d_default test_averagepool_2d_ceil test_averagepool_2d_default
  test_averagepool_2d_pads test_averagepool_2d_pads_count_include_pad
  test_averagepool_2d_precomputed_pads
  test_averagepool_2d_precomputed_pads_count_include_pad
  test_averagepool_2d_precomputed_same_upper test_averagepool_2d_precomputed_strides
  test_averagepool_2d_same_lower test_averagepool_2d_same_upper
  test_averagepool_2d_strides test_averagepool_3d_default
  test_globalaveragepool test_globalaveragepool_precomputed
  # BatchNormalization
  test_batchnorm_epsilon test_batchnorm_example
  # Gemm, MatMul
  test_gemm_all_attributes test_gemm_alpha test_gemm_beta test_gemm_default_matrix_bias
  test_gemm_default_no_bias test_gemm_default_scalar_bias
  test_gemm_default_single_elem_vector_bias test_gemm_default_vector_bias
  test_gemm_default_zero_bias test_gemm_transposeA test_gemm_transposeB
  test_matmul_2d test_matmul_3d test_matmul_4d
  # Softmax, LogSoftmax
  test_softmax_axis_0 test_softmax_axis_1 test_softmax_axis_2 test_softmax_default_axis
  test_softmax_example test_softmax_large_number test_softmax_negative_axis
  test_logsoftmax_axis_0 test_logsoftmax_axis_1 test_logsoftmax_axis_2
  test_logsoftmax_default_axis test_logsoftmax_example_1 test_logsoftmax_large_number
  test_logsoftmax_negative_axis
  # Flatten, Transpose, Concat, Constant, Identity
  test_flatten_axis0 test_flatten_axis1 test_flatten_axis2 test_flatten_axis3
  test_flatten_default_axis test_flatten_negative_axis1 test_flatten_negative_axis2
  test_flatten_negative_axis3 test_flatten_negative_axis4
  test_transpose_all_permutations_0 test_transpose_all_permutations_1
  test_transpose_all_permutations_2 test_transpose_all_permutations_3
  test_transpose_all_permutations_4 test_transpose_all_permutations_5
  test_transpose_default
  test_concat_1d_axis_0 test_concat_1d_axis_negative_1 test_concat_2d_axis_0
  test_concat_2d_axis_1 test_concat_2d_axis_negative_1 test_concat_2d_axis_negative_2
  test_concat_3d_axis_0 test_concat_3d_axis_1 test_concat_3d_axis_2
  test_concat_3d_axis_negative_1 test_concat_3d_axis_negative_2
  test_concat_3d_axis_negative_3
  test_constant
  test_identity
)

# Cases of integer dtypes, among the ones above: the GPU runs these ops in float32 only (it
# answers "unsupported"), so they run on the reference and the fast CPU path alone.
set(hogar_conformance_cpu_only_cases
  test_add_uint8 test_sub_uint8 test_mul_uint8 test_div_uint8
  test_clip_default_int8_inbounds test_clip_default_int8_max test_clip_default_int8_min
  test_maxpool_2d_uint8
)

set(hogar_conformance_constant_input_cases
  test_reshape_allowzero_reordered test_reshape_extended_dims test_reshape_negative_dim
  test_reshape_negative_extended_dims test_reshape_one_dim test_reshape_reduced_dims
  test_reshape_reordered_all_dims test_reshape_reordered_last_dims
  test_reshape_zero_and_negative_dim test_reshape_zero_dim
)

# hogar_conformance_opset6_cases: the models PyTorch exported at opset 6 (the pytorch-operator
# and pytorch-converted folders beside node/), for the attributes and inputs of old opsets:
# Add's broadcast and axis, BatchNormalization's is_test and spatial, Clip's min and max as
# attributes, Softmax's 2-D coercion, Reshape's shape as an attribute. Paths are relative to
# libonnx-testdata's data/ folder. Left out there: models with other operators (Exp, Pow,
# Neg, ReduceMean, Pad, ConvTranspose, ...).
set(hogar_conformance_opset6_cases
  pytorch-operator/test_operator_add_broadcast pytorch-operator/test_operator_add_size1_broadcast
  pytorch-operator/test_operator_add_size1_right_broadcast
  pytorch-operator/test_operator_add_size1_singleton_broadcast
  pytorch-operator/test_operator_addconstant pytorch-operator/test_operator_addmm
  pytorch-operator/test_operator_clip pytorch-operator/test_operator_concat2
  pytorch-operator/test_operator_conv pytorch-operator/test_operator_flatten
  pytorch-operator/test_operator_maxpool pytorch-operator/test_operator_mm
  pytorch-operator/test_operator_non_float_params pytorch-operator/test_operator_permute2
  pytorch-operator/test_operator_view
  pytorch-converted/test_AvgPool2d pytorch-converted/test_AvgPool2d_stride
  pytorch-converted/test_AvgPool3d pytorch-converted/test_AvgPool3d_stride
  pytorch-converted/test_AvgPool3d_stride1_pad0_gpu_input
  pytorch-converted/test_BatchNorm1d_3d_input_eval pytorch-converted/test_BatchNorm2d_eval
  pytorch-converted/test_BatchNorm2d_momentum_eval pytorch-converted/test_BatchNorm3d_eval
  pytorch-converted/test_BatchNorm3d_momentum_eval pytorch-converted/test_Conv1d
  pytorch-converted/test_Conv1d_dilated pytorch-converted/test_Conv1d_groups
  pytorch-converted/test_Conv1d_pad1 pytorch-converted/test_Conv1d_pad1size1
  pytorch-converted/test_Conv1d_pad2 pytorch-converted/test_Conv1d_pad2size1
  pytorch-converted/test_Conv1d_stride pytorch-converted/test_Conv2d
  pytorch-converted/test_Conv2d_depthwise pytorch-converted/test_Conv2d_depthwise_padded
  pytorch-converted/test_Conv2d_depthwise_strided
  pytorch-converted/test_Conv2d_depthwise_with_multiplier pytorch-converted/test_Conv2d_dilated
  pytorch-converted/test_Conv2d_groups pytorch-converted/test_Conv2d_groups_thnn
  pytorch-converted/test_Conv2d_no_bias pytorch-converted/test_Conv2d_padding
  pytorch-converted/test_Conv2d_strided pytorch-converted/test_Conv3d
  pytorch-converted/test_Conv3d_dilated pytorch-converted/test_Conv3d_dilated_strided
  pytorch-converted/test_Conv3d_groups pytorch-converted/test_Conv3d_no_bias
  pytorch-converted/test_Conv3d_stride pytorch-converted/test_Conv3d_stride_padding
  pytorch-converted/test_LeakyReLU pytorch-converted/test_LeakyReLU_with_negval
  pytorch-converted/test_Linear pytorch-converted/test_Linear_no_bias
  pytorch-converted/test_LogSoftmax pytorch-converted/test_MaxPool1d
  pytorch-converted/test_MaxPool1d_stride
  pytorch-converted/test_MaxPool1d_stride_padding_dilation pytorch-converted/test_MaxPool2d
  pytorch-converted/test_MaxPool2d_stride_padding_dilation pytorch-converted/test_MaxPool3d
  pytorch-converted/test_MaxPool3d_stride pytorch-converted/test_MaxPool3d_stride_padding
  pytorch-converted/test_PixelShuffle pytorch-converted/test_ReLU pytorch-converted/test_Sigmoid
  pytorch-converted/test_Softmax pytorch-converted/test_Tanh
  pytorch-converted/test_log_softmax_dim3 pytorch-converted/test_log_softmax_lastdim
  pytorch-converted/test_softmax_functional_dim3 pytorch-converted/test_softmax_lastdim
)

if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  cmake_policy(SET CMP0057 NEW) # if(IN_LIST), which a script has not by default
  list(LENGTH hogar_conformance_cases run_count)
  list(LENGTH hogar_conformance_constant_input_cases constant_count)
  message("ONNX backend cases hogar passes (${run_count} through `hogar model test`, "
          "${constant_count} with Reshape's shape made a constant):\n")
  foreach(c IN LISTS hogar_conformance_cases)
    if(c IN_LIST hogar_conformance_cpu_only_cases)
      message("- `${c}` (reference and fast CPU path)")
    else()
      message("- `${c}`")
    endif()
  endforeach()
  foreach(c IN LISTS hogar_conformance_constant_input_cases)
    message("- `${c}` (shape as a constant)")
  endforeach()
  list(LENGTH hogar_conformance_opset6_cases old_count)
  message("\nOpset-6 models exported by PyTorch (${old_count}):\n")
  foreach(c IN LISTS hogar_conformance_opset6_cases)
    message("- `${c}`")
  endforeach()
endif()
