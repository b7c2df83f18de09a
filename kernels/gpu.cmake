# gpu.cmake: the GPU path of ONNX models (kernels/nn/*_gpu.cpp with their CUDA kernels, and the
# GPU executor), included by kernels/CMakeLists.txt only when CUDA is found. cuDNN ships no
# CMake config: its header and library are found by hand next to the CUDA toolkit (override
# with -DCUDNN_INCLUDE_DIR=... -DCUDNN_LIBRARY=...). Without cuDNN the GPU executor is left
# out, and make_executor says that hogar was built without it.

find_path(CUDNN_INCLUDE_DIR cudnn.h
  HINTS ${CUDAToolkit_INCLUDE_DIRS} ${CUDAToolkit_LIBRARY_ROOT}/include /usr/local/cuda/include
  DOC "directory of cudnn.h")
find_library(CUDNN_LIBRARY cudnn
  HINTS ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_LIBRARY_ROOT}/lib64 /usr/local/cuda/lib64
  DOC "libcudnn.so (cuDNN 8 or 9)")
if(NOT CUDNN_INCLUDE_DIR OR NOT CUDNN_LIBRARY OR NOT TARGET CUDA::cublas)
  message(WARNING "hogar: cuDNN or cuBLAS not found (CUDNN_INCLUDE_DIR=${CUDNN_INCLUDE_DIR}, "
                  "CUDNN_LIBRARY=${CUDNN_LIBRARY}): the GPU executor is not built")
  return()
endif()
message(STATUS "hogar: cuDNN ${CUDNN_LIBRARY}, the GPU executor is built")

if(NOT TARGET hogar::cudnn)
  add_library(hogar::cudnn UNKNOWN IMPORTED)
  set_target_properties(hogar::cudnn PROPERTIES
    IMPORTED_LOCATION ${CUDNN_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${CUDNN_INCLUDE_DIR})
endif()

target_sources(hogar_kernels PRIVATE
  # The contract and dispatch (gpu.hpp), then one binder per family, each with its kernels.
  nn/op_gpu.cpp
  nn/binary_gpu.cpp
  nn/binary.cu
  nn/activation_gpu.cpp
  nn/activation.cu
  nn/unary_gpu.cpp
  nn/unary.cu
  nn/nary_gpu.cpp
  nn/nary.cu
  nn/pow_gpu.cpp
  nn/pow.cu
  nn/compare_gpu.cpp
  nn/compare.cu
  nn/where_gpu.cpp
  nn/where.cu
  nn/cast_gpu.cpp
  nn/cast.cu
  nn/dropout_gpu.cpp
  nn/dropout.cu
  nn/conv_gpu.cpp
  nn/conv.cu
  nn/conv_transpose_gpu.cpp
  nn/conv_transpose.cu
  nn/pool_gpu.cpp
  nn/pool.cu
  nn/instance_norm_gpu.cpp
  nn/instance_norm.cu
  nn/lrn_gpu.cpp
  nn/lrn.cu
  nn/prelu_gpu.cpp
  nn/prelu.cu
  nn/resize_gpu.cpp
  nn/resize.cu
  nn/batch_norm_gpu.cpp
  nn/batch_norm.cu
  nn/gemm_gpu.cpp
  nn/gemm.cu
  nn/softmax_gpu.cpp
  nn/softmax.cu
  nn/reduce_gpu.cpp
  nn/reduce.cu
  nn/shape_ops_gpu.cpp
  nn/shape_ops.cu
  nn/strided_copy_gpu.cpp
  nn/pad_gpu.cpp
  nn/pad.cu
  nn/layer_norm_gpu.cpp
  nn/layer_norm.cu
  nn/gelu_gpu.cpp
  nn/gelu.cu
  nn/top_k_gpu.cpp
  nn/nms_gpu.cpp
  nn/nms.cu
  nn/top_k.cu
  nn/gather_gpu.cpp
  nn/gather.cu
  onnx/gpu_executor.cpp
)
# cpu_executor.cpp's make_executor hands device::gpu to make_gpu_executor.
target_compile_definitions(hogar_kernels PRIVATE HOGAR_GPU_EXECUTOR=1)
target_link_libraries(hogar_kernels PRIVATE CUDA::cublas hogar::cudnn)
# Tests elsewhere in the tree ask whether the GPU executor is in (test/kernels/onnx).
set_property(GLOBAL PROPERTY hogar_gpu_executor ON)
