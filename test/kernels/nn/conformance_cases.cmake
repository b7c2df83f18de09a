# conformance_cases.cmake: the ONNX backend test cases (Debian's libonnx-testdata, ONNX 1.12)
# that hogar passes, in one place: test/kernels/nn/CMakeLists.txt makes one ctest of each, and
# `cmake -P test/kernels/nn/conformance_cases.cmake` prints them as a markdown list (for the
# README).
#
# hogar_conformance_cases run through `hogar model test CASE --device all`: reference and fast
# CPU path (and the GPU where there is one) must each match the expected outputs; the integer
# ones (hogar_conformance_cpu_only_cases) run on the reference and the fast CPU path only.
#
# hogar_conformance_constant_input_cases feed Reshape's shape, Resize's roi, scales and sizes,
# Upsample's scales, ReduceSum's axes, Slice's starts, ends, axes and steps, Split's split,
# Expand's shape, Tile's repeats, Pad's pads, TopK's K, Range's start, limit and delta or
# NonMaxSuppression's max_output_boxes_per_class from a data set file, as request inputs; hogar
# plans every shape before the first request, so it needs those inputs as constants. nn_test
# runs them with the file's values made initializers.
#
# Left out, because they need something hogar does not run:
#   test_*_expanded                  the same ops spelled with operators hogar lacks
#                                    (GatherElements, RandomUniformLike, Loop (Range's),
#                                    sequences, ...); the Celu, HardSwish, Softmax, LogSoftmax,
#                                    MeanVarianceNormalization, LessOrEqual, GreaterOrEqual and
#                                    CastLike (float32 <-> float64) ones are in; the window
#                                    ones (Hann, Hamming, Blackman) feed Range a limit computed
#                                    from a request input, which plans cannot fold
#   test_cast_* and test_castlike_* to or from FLOAT16, BFLOAT16 or STRING: types hogar has no
#                                    dtype for, refused when the model loads
#   test_*_float16, test_*_int16, test_*_uint16, _uint32, _uint64 (Max, Min, Pow's exponent):
#                                    element types hogar has no dtype for (it runs float32,
#                                    float64, int8, uint8, int32, int64 and bool), refused when
#                                    the model loads
#   test_training_dropout*           training-mode Dropout (random; training_mode a request
#                                    input)
#   test_maxpool_with_argmax_*       MaxPool's second output (Indices)
#   test_batchnorm_*_training_mode   training-mode BatchNormalization (running statistics)
#   test_identity_opt, _sequence     optional and sequence values (tensors only)
#   test_basic_convinteger, test_convinteger_*, test_matmulinteger,
#   test_constantofshape_*: other operators (ConvInteger, MatMulInteger, ConstantOfShape)

set(hogar_conformance_cases
  # Add, Sub, Mul, Div
  test_add test_add_bcast test_add_uint8
  test_sub test_sub_bcast test_sub_example test_sub_uint8
  test_mul test_mul_bcast test_mul_example test_mul_uint8
  test_div test_div_bcast test_div_example test_div_uint8
  # Pow (integer bases and exponents too)
  test_pow test_pow_bcast_array test_pow_bcast_scalar test_pow_example
  test_pow_types_float test_pow_types_float32_int32 test_pow_types_float32_int64
  test_pow_types_int test_pow_types_int32_float32 test_pow_types_int32_int32
  test_pow_types_int64_float32 test_pow_types_int64_int64
  # Comparisons, And, Or, Xor and Not (bool out, broadcasting), Where, Cast and CastLike
  # (float32 <-> float64; the other Cast cases convert to or from float16, bfloat16 or string)
  test_equal test_equal_bcast test_greater test_greater_bcast test_greater_equal
  test_greater_equal_bcast test_less test_less_bcast test_less_equal test_less_equal_bcast
  test_greater_equal_expanded test_greater_equal_bcast_expanded test_less_equal_expanded
  test_less_equal_bcast_expanded
  test_and2d test_and3d test_and4d test_and_bcast3v1d test_and_bcast3v2d test_and_bcast4v2d
  test_and_bcast4v3d test_and_bcast4v4d
  test_or2d test_or3d test_or4d test_or_bcast3v1d test_or_bcast3v2d test_or_bcast4v2d
  test_or_bcast4v3d test_or_bcast4v4d
  test_xor2d test_xor3d test_xor4d test_xor_bcast3v1d test_xor_bcast3v2d test_xor_bcast4v2d
  test_xor_bcast4v3d test_xor_bcast4v4d
  test_not_2d test_not_3d test_not_4d
  test_where_example test_where_long_example
  test_cast_DOUBLE_to_FLOAT test_cast_FLOAT_to_DOUBLE
  test_castlike_DOUBLE_to_FLOAT test_castlike_DOUBLE_to_FLOAT_expanded
  test_castlike_FLOAT_to_DOUBLE test_castlike_FLOAT_to_DOUBLE_expanded
  # Sum, Max, Min, Mean
  test_sum_example test_sum_one_input test_sum_two_inputs
  test_max_example test_max_float32 test_max_float64 test_max_int8 test_max_int32
  test_max_int64 test_max_one_input test_max_two_inputs test_max_uint8
  test_min_example test_min_float32 test_min_float64 test_min_int8 test_min_int32
  test_min_int64 test_min_one_input test_min_two_inputs test_min_uint8
  test_mean_example test_mean_one_input test_mean_two_inputs
  # Activations
  test_relu
  test_leakyrelu test_leakyrelu_default test_leakyrelu_example
  test_sigmoid test_sigmoid_example
  test_tanh test_tanh_example
  test_clip test_clip_default_inbounds test_clip_default_int8_inbounds
  test_clip_default_int8_max test_clip_default_int8_min test_clip_default_max
  test_clip_default_min test_clip_example test_clip_inbounds test_clip_outbounds
  test_clip_splitbounds
  # Element-wise unary math
  test_sqrt test_sqrt_example test_exp test_exp_example test_log test_log_example
  test_neg test_neg_example test_abs test_reciprocal test_reciprocal_example test_erf
  test_ceil test_ceil_example test_floor test_floor_example test_round test_sign
  test_sin test_sin_example test_cos test_cos_example
  test_hardsigmoid test_hardsigmoid_default test_hardsigmoid_example
  test_hardswish test_hardswish_expanded
  test_selu test_selu_default test_selu_example test_elu test_elu_default test_elu_example
  test_celu test_celu_expanded test_softplus test_softplus_example
  test_softsign test_softsign_example
  test_thresholdedrelu test_thresholdedrelu_default test_thresholdedrelu_example
  # PRelu
  test_prelu_broadcast test_prelu_example
  # Conv
  test_basic_conv_with_padding test_basic_conv_without_padding
  test_conv_with_autopad_same test_conv_with_strides_and_asymmetric_padding
  test_conv_with_strides_no_padding test_conv_with_strides_padding
  # ConvTranspose (W a request input: the sgemm path on the CPU)
  test_convtranspose test_convtranspose_1d test_convtranspose_3d test_convtranspose_autopad_same
  test_convtranspose_dilations test_convtranspose_kernel_shape test_convtranspose_output_shape
  test_convtranspose_pad test_convtranspose_pads test_convtranspose_with_kernel
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
  test_globalmaxpool test_globalmaxpool_precomputed
  # InstanceNormalization
  test_instancenorm_epsilon test_instancenorm_example
  # LRN
  test_lrn test_lrn_default
  # LayerNormalization (Mean and InvStdDev too)
  test_layer_normalization_2d_axis0 test_layer_normalization_2d_axis1
  test_layer_normalization_2d_axis_negative_1 test_layer_normalization_2d_axis_negative_2
  test_layer_normalization_3d_axis0_epsilon test_layer_normalization_3d_axis1_epsilon
  test_layer_normalization_3d_axis2_epsilon test_layer_normalization_3d_axis_negative_1_epsilon
  test_layer_normalization_3d_axis_negative_2_epsilon
  test_layer_normalization_3d_axis_negative_3_epsilon
  test_layer_normalization_4d_axis0 test_layer_normalization_4d_axis1
  test_layer_normalization_4d_axis2 test_layer_normalization_4d_axis3
  test_layer_normalization_4d_axis_negative_1 test_layer_normalization_4d_axis_negative_2
  test_layer_normalization_4d_axis_negative_3 test_layer_normalization_4d_axis_negative_4
  test_layer_normalization_default_axis
  # ... and spelled with Cast, Slice, ReduceMean, Sqrt, Reciprocal and the shape ops
  test_layer_normalization_2d_axis0_expanded test_layer_normalization_2d_axis1_expanded
  test_layer_normalization_2d_axis_negative_1_expanded
  test_layer_normalization_2d_axis_negative_2_expanded
  test_layer_normalization_3d_axis0_epsilon_expanded
  test_layer_normalization_3d_axis1_epsilon_expanded
  test_layer_normalization_3d_axis2_epsilon_expanded
  test_layer_normalization_3d_axis_negative_1_epsilon_expanded
  test_layer_normalization_3d_axis_negative_2_epsilon_expanded
  test_layer_normalization_3d_axis_negative_3_epsilon_expanded
  test_layer_normalization_4d_axis0_expanded test_layer_normalization_4d_axis1_expanded
  test_layer_normalization_4d_axis2_expanded test_layer_normalization_4d_axis3_expanded
  test_layer_normalization_4d_axis_negative_1_expanded
  test_layer_normalization_4d_axis_negative_2_expanded
  test_layer_normalization_4d_axis_negative_3_expanded
  test_layer_normalization_4d_axis_negative_4_expanded
  test_layer_normalization_default_axis_expanded
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
  test_softmax_axis_0_expanded test_softmax_axis_1_expanded test_softmax_axis_2_expanded
  test_softmax_default_axis_expanded test_softmax_example_expanded
  test_softmax_large_number_expanded test_softmax_negative_axis_expanded
  test_logsoftmax_axis_0_expanded test_logsoftmax_axis_1_expanded
  test_logsoftmax_axis_2_expanded test_logsoftmax_default_axis_expanded
  test_logsoftmax_example_1_expanded test_logsoftmax_large_number_expanded
  test_logsoftmax_negative_axis_expanded
  # MeanVarianceNormalization spelled with ReduceMean, Pow, Sqrt, Sub and Div
  test_mvn_expanded
  # ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceSumSquare, ReduceL1, ReduceL2,
  # ReduceLogSum, ReduceLogSumExp (axes an attribute at opset 13 and before)
  test_reduce_l1_default_axes_keepdims_example test_reduce_l1_default_axes_keepdims_random
  test_reduce_l1_do_not_keepdims_example test_reduce_l1_do_not_keepdims_random
  test_reduce_l1_keep_dims_example test_reduce_l1_keep_dims_random
  test_reduce_l1_negative_axes_keep_dims_example test_reduce_l1_negative_axes_keep_dims_random
  test_reduce_l2_default_axes_keepdims_example test_reduce_l2_default_axes_keepdims_random
  test_reduce_l2_do_not_keepdims_example test_reduce_l2_do_not_keepdims_random
  test_reduce_l2_keep_dims_example test_reduce_l2_keep_dims_random
  test_reduce_l2_negative_axes_keep_dims_example test_reduce_l2_negative_axes_keep_dims_random
  test_reduce_log_sum test_reduce_log_sum_asc_axes test_reduce_log_sum_default
  test_reduce_log_sum_desc_axes test_reduce_log_sum_exp_default_axes_keepdims_example
  test_reduce_log_sum_exp_default_axes_keepdims_random
  test_reduce_log_sum_exp_do_not_keepdims_example test_reduce_log_sum_exp_do_not_keepdims_random
  test_reduce_log_sum_exp_keepdims_example test_reduce_log_sum_exp_keepdims_random
  test_reduce_log_sum_exp_negative_axes_keepdims_example
  test_reduce_log_sum_exp_negative_axes_keepdims_random test_reduce_log_sum_negative_axes
  test_reduce_max_default_axes_keepdim_example test_reduce_max_default_axes_keepdims_random
  test_reduce_max_do_not_keepdims_example test_reduce_max_do_not_keepdims_random
  test_reduce_max_keepdims_example test_reduce_max_keepdims_random
  test_reduce_max_negative_axes_keepdims_example test_reduce_max_negative_axes_keepdims_random
  test_reduce_mean_default_axes_keepdims_example test_reduce_mean_default_axes_keepdims_random
  test_reduce_mean_do_not_keepdims_example test_reduce_mean_do_not_keepdims_random
  test_reduce_mean_keepdims_example test_reduce_mean_keepdims_random
  test_reduce_mean_negative_axes_keepdims_example test_reduce_mean_negative_axes_keepdims_random
  test_reduce_min_default_axes_keepdims_example test_reduce_min_default_axes_keepdims_random
  test_reduce_min_do_not_keepdims_example test_reduce_min_do_not_keepdims_random
  test_reduce_min_keepdims_example test_reduce_min_keepdims_random
  test_reduce_min_negative_axes_keepdims_example test_reduce_min_negative_axes_keepdims_random
  test_reduce_prod_default_axes_keepdims_example test_reduce_prod_default_axes_keepdims_random
  test_reduce_prod_do_not_keepdims_example test_reduce_prod_do_not_keepdims_random
  test_reduce_prod_keepdims_example test_reduce_prod_keepdims_random
  test_reduce_prod_negative_axes_keepdims_example test_reduce_prod_negative_axes_keepdims_random
  test_reduce_sum_square_default_axes_keepdims_example
  test_reduce_sum_square_default_axes_keepdims_random
  test_reduce_sum_square_do_not_keepdims_example test_reduce_sum_square_do_not_keepdims_random
  test_reduce_sum_square_keepdims_example test_reduce_sum_square_keepdims_random
  test_reduce_sum_square_negative_axes_keepdims_example
  test_reduce_sum_square_negative_axes_keepdims_random
  # ArgMax, ArgMin
  test_argmax_default_axis_example test_argmax_default_axis_example_select_last_index
  test_argmax_default_axis_random test_argmax_default_axis_random_select_last_index
  test_argmax_keepdims_example test_argmax_keepdims_example_select_last_index
  test_argmax_keepdims_random test_argmax_keepdims_random_select_last_index
  test_argmax_negative_axis_keepdims_example
  test_argmax_negative_axis_keepdims_example_select_last_index
  test_argmax_negative_axis_keepdims_random
  test_argmax_negative_axis_keepdims_random_select_last_index test_argmax_no_keepdims_example
  test_argmax_no_keepdims_example_select_last_index test_argmax_no_keepdims_random
  test_argmax_no_keepdims_random_select_last_index test_argmin_default_axis_example
  test_argmin_default_axis_example_select_last_index test_argmin_default_axis_random
  test_argmin_default_axis_random_select_last_index test_argmin_keepdims_example
  test_argmin_keepdims_example_select_last_index test_argmin_keepdims_random
  test_argmin_keepdims_random_select_last_index test_argmin_negative_axis_keepdims_example
  test_argmin_negative_axis_keepdims_example_select_last_index
  test_argmin_negative_axis_keepdims_random
  test_argmin_negative_axis_keepdims_random_select_last_index test_argmin_no_keepdims_example
  test_argmin_no_keepdims_example_select_last_index test_argmin_no_keepdims_random
  test_argmin_no_keepdims_random_select_last_index
  # Flatten, Transpose, Concat, Constant, Identity
  test_flatten_axis0 test_flatten_axis1 test_flatten_axis2 test_flatten_axis3
  test_flatten_default_axis test_flatten_negative_axis1 test_flatten_negative_axis2
  test_flatten_negative_axis3 test_flatten_negative_axis4
  test_gather_0 test_gather_1 test_gather_2d_indices test_gather_negative_indices
  test_shape test_shape_clip_end test_shape_clip_start test_shape_end_1 test_shape_end_negative_1
  test_shape_example test_shape_start_1 test_shape_start_1_end_2 test_shape_start_1_end_negative_1
  test_shape_start_negative_1 test_size test_size_example
  test_unsqueeze_axis_3
  test_depthtospace_crd_mode test_depthtospace_crd_mode_example test_depthtospace_dcr_mode
  test_depthtospace_example test_spacetodepth test_spacetodepth_example
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
  # Split into equal parts (the split an input from opset 13: the others are below)
  test_split_equal_parts_1d test_split_equal_parts_2d test_split_equal_parts_default_axis
  # Dropout at inference (mask too, and the ratio input or attribute, which changes nothing)
  test_dropout_default test_dropout_default_ratio test_dropout_default_old
  test_dropout_random_old test_dropout_default_mask test_dropout_default_mask_ratio
)

# Cases of integer dtypes, among the ones above, that the GPU does not run (it answers
# "unsupported"): most ops run float32 there; Add, Sub, Mul, Max and Min int32 and int64 but not
# the 8-bit types; Pow float bases only. They run on the reference and the fast CPU path alone.
set(hogar_conformance_cpu_only_cases
  test_add_uint8 test_sub_uint8 test_mul_uint8 test_div_uint8
  test_clip_default_int8_inbounds test_clip_default_int8_max test_clip_default_int8_min
  test_maxpool_2d_uint8
  test_max_int8 test_max_uint8 test_min_int8 test_min_uint8
  test_pow_types_float test_pow_types_int32_float32 test_pow_types_int32_int32
  test_pow_types_int64_float32 test_pow_types_int64_int64
)

set(hogar_conformance_constant_input_cases
  test_reshape_allowzero_reordered test_reshape_extended_dims test_reshape_negative_dim
  test_reshape_negative_extended_dims test_reshape_one_dim test_reshape_reduced_dims
  test_reshape_reordered_all_dims test_reshape_reordered_last_dims
  test_reshape_zero_and_negative_dim test_reshape_zero_dim
  # Unsqueeze and Squeeze (axes as an input, opset 13), ConstantOfShape
  test_unsqueeze_axis_0 test_unsqueeze_axis_1 test_unsqueeze_axis_2
  test_unsqueeze_negative_axes test_unsqueeze_three_axes test_unsqueeze_two_axes
  test_unsqueeze_unsorted_axes test_squeeze test_squeeze_negative_axes
  test_constantofshape_float_ones test_constantofshape_int_shape_zero
  test_constantofshape_int_zeros
  # ReduceSum (axes an input from opset 13; noop_with_empty_axes too)
  test_reduce_sum_default_axes_keepdims_example test_reduce_sum_default_axes_keepdims_random
  test_reduce_sum_do_not_keepdims_example test_reduce_sum_do_not_keepdims_random
  test_reduce_sum_empty_axes_input_noop_example test_reduce_sum_empty_axes_input_noop_random
  test_reduce_sum_keepdims_example test_reduce_sum_keepdims_random
  test_reduce_sum_negative_axes_keepdims_example test_reduce_sum_negative_axes_keepdims_random
  # Resize (every mode and coordinate transformation of opset 13) and Upsample (opset 9)
  test_resize_downsample_scales_cubic test_resize_downsample_scales_cubic_A_n0p5_exclude_outside
  test_resize_downsample_scales_cubic_align_corners test_resize_downsample_scales_linear
  test_resize_downsample_scales_linear_align_corners test_resize_downsample_scales_nearest
  test_resize_downsample_sizes_cubic test_resize_downsample_sizes_linear_pytorch_half_pixel
  test_resize_downsample_sizes_nearest test_resize_downsample_sizes_nearest_tf_half_pixel_for_nn
  test_resize_tf_crop_and_resize test_resize_upsample_scales_cubic
  test_resize_upsample_scales_cubic_A_n0p5_exclude_outside
  test_resize_upsample_scales_cubic_align_corners test_resize_upsample_scales_cubic_asymmetric
  test_resize_upsample_scales_linear test_resize_upsample_scales_linear_align_corners
  test_resize_upsample_scales_nearest test_resize_upsample_sizes_cubic
  test_resize_upsample_sizes_nearest test_resize_upsample_sizes_nearest_ceil_half_pixel
  test_resize_upsample_sizes_nearest_floor_align_corners
  test_resize_upsample_sizes_nearest_round_prefer_ceil_asymmetric test_upsample_nearest
  # Slice (starts, ends, axes and steps), Split's split, Expand's shape, Tile's repeats, Pad's
  # pads (its constant_value stays a request input), Range's start, limit and delta
  test_slice test_slice_default_axes test_slice_default_steps test_slice_end_out_of_bounds
  test_slice_neg test_slice_neg_steps test_slice_negative_axes test_slice_start_out_of_bounds
  test_split_variable_parts_1d test_split_variable_parts_2d
  test_split_variable_parts_default_axis test_split_zero_size_splits
  test_expand_dim_changed test_expand_dim_unchanged test_tile test_tile_precomputed
  test_constant_pad test_edge_pad test_reflect_pad
  test_range_float_type_positive_delta test_range_int32_type_negative_delta
  # TopK (K an input from opset 10; Values and Indices)
  test_top_k test_top_k_negative_axis test_top_k_smallest
  # NonMaxSuppression (max_output_boxes_per_class; the thresholds stay request inputs)
  test_nonmaxsuppression_center_point_box_format test_nonmaxsuppression_flipped_coordinates
  test_nonmaxsuppression_identical_boxes test_nonmaxsuppression_limit_output_size
  test_nonmaxsuppression_single_box test_nonmaxsuppression_suppress_by_IOU
  test_nonmaxsuppression_suppress_by_IOU_and_scores test_nonmaxsuppression_two_batches
  test_nonmaxsuppression_two_classes
)

# hogar_conformance_opset6_cases: the models PyTorch exported at opset 6 (the pytorch-operator
# and pytorch-converted folders beside node/), for the attributes and inputs of old opsets:
# Add's broadcast and axis, BatchNormalization's is_test and spatial, Clip's min and max as
# attributes, Softmax's 2-D coercion, Reshape's shape as an attribute. Paths are relative to
# libonnx-testdata's data/ folder. Left out there: models with other operators (ReduceMean,
# InstanceNormalization, ...).
set(hogar_conformance_opset6_cases
  pytorch-operator/test_operator_add_broadcast pytorch-operator/test_operator_add_size1_broadcast
  pytorch-operator/test_operator_add_size1_right_broadcast
  pytorch-operator/test_operator_add_size1_singleton_broadcast
  pytorch-operator/test_operator_addconstant pytorch-operator/test_operator_addmm
  pytorch-operator/test_operator_clip pytorch-operator/test_operator_concat2
  pytorch-operator/test_operator_conv pytorch-operator/test_operator_convtranspose
  pytorch-operator/test_operator_flatten
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
  pytorch-converted/test_ConvTranspose2d pytorch-converted/test_ConvTranspose2d_no_bias
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
  # Element-wise math at opset 6 (Elu's and Selu's old attributes, Pow and Sum without
  # broadcasting, Softsign and Softmin as PyTorch spelled them)
  pytorch-operator/test_operator_exp pytorch-operator/test_operator_sqrt
  pytorch-operator/test_operator_pow pytorch-operator/test_operator_selu
  pytorch-operator/test_operator_max pytorch-operator/test_operator_min
  pytorch-operator/test_operator_basic pytorch-operator/test_operator_params
  pytorch-operator/test_operator_symbolic_override_nested
  pytorch-converted/test_ELU pytorch-converted/test_SELU pytorch-converted/test_Softplus
  pytorch-converted/test_Softsign pytorch-converted/test_Softmin
  pytorch-converted/test_PoissonNLLLLoss_no_reduce
  # Split (its split an attribute), Slice (starts, ends and axes attributes), Pad (pads an
  # attribute; constant, reflect and edge), Tile
  pytorch-operator/test_operator_chunk pytorch-operator/test_operator_index
  pytorch-operator/test_operator_pad pytorch-operator/test_operator_repeat
  pytorch-operator/test_operator_repeat_dim_overflow
  pytorch-converted/test_GLU pytorch-converted/test_GLU_dim
  pytorch-converted/test_ConstantPad2d pytorch-converted/test_ReflectionPad2d
  pytorch-converted/test_ReplicationPad2d pytorch-converted/test_ZeroPad2d
)

if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  cmake_policy(SET CMP0057 NEW) # if(IN_LIST), which a script has not by default
  list(LENGTH hogar_conformance_cases run_count)
  list(LENGTH hogar_conformance_constant_input_cases constant_count)
  message("ONNX backend cases hogar passes (${run_count} through `hogar model test`, "
          "${constant_count} with their planned inputs made constants):\n")
  foreach(c IN LISTS hogar_conformance_cases)
    if(c IN_LIST hogar_conformance_cpu_only_cases)
      message("- `${c}` (reference and fast CPU path)")
    else()
      message("- `${c}`")
    endif()
  endforeach()
  foreach(c IN LISTS hogar_conformance_constant_input_cases)
    message("- `${c}` (planned inputs as constants)")
  endforeach()
  list(LENGTH hogar_conformance_opset6_cases old_count)
  message("\nOpset-6 models exported by PyTorch (${old_count}):\n")
  foreach(c IN LISTS hogar_conformance_opset6_cases)
    message("- `${c}`")
  endforeach()
endif()
