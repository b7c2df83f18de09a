# HogarDependencies.cmake: finds every dependency (all Debian packages, installed by
# scripts/install-deps.sh) and wraps CAF, which ships no CMake config, in imported targets.

find_package(fmt REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(simdjson REQUIRED)
find_package(doctest REQUIRED)
find_package(Boost REQUIRED COMPONENTS program_options)
find_package(Threads REQUIRED)
find_package(OpenSSL REQUIRED)

# ONNX models: Debian's libonnx (its CMake config needs protobuf's targets first) and OpenBLAS
# (the fast CPU path's matrix products; the pthread build, found through pkg-config).
find_package(Protobuf REQUIRED)
find_package(ONNX REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)
# oneDNN: the fast CPU path's convolutions, JIT-compiled for the ISA the CPU's flags name
# (Debian's libdnnl, built on OpenMP: its threads are sized per call, see dnnl_support.hpp).
find_package(dnnl REQUIRED)
find_package(OpenMP REQUIRED)
# Graphviz's layout library: the web page's graph view (http/graph_layout.cpp).
pkg_check_modules(GVC REQUIRED IMPORTED_TARGET libgvc)

# CAF 0.17: headers in /usr/include/caf, libraries caf_core, caf_io and caf_openssl (mutual
# TLS on the actor port; its headers include OpenSSL's).
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
find_library(CAF_IO_LIBRARY caf_io REQUIRED)
find_library(CAF_OPENSSL_LIBRARY caf_openssl REQUIRED)
find_package(OpenSSL REQUIRED)
if(NOT TARGET CAF::core)
  add_library(CAF::core UNKNOWN IMPORTED)
  set_target_properties(CAF::core PROPERTIES
    IMPORTED_LOCATION ${CAF_CORE_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${CAF_INCLUDE_DIR}
    INTERFACE_LINK_LIBRARIES Threads::Threads)
  add_library(CAF::io UNKNOWN IMPORTED)
  set_target_properties(CAF::io PROPERTIES
    IMPORTED_LOCATION ${CAF_IO_LIBRARY}
    INTERFACE_LINK_LIBRARIES CAF::core)
  add_library(CAF::openssl UNKNOWN IMPORTED)
  set_target_properties(CAF::openssl PROPERTIES
    IMPORTED_LOCATION ${CAF_OPENSSL_LIBRARY}
    INTERFACE_LINK_LIBRARIES "CAF::io;OpenSSL::SSL;OpenSSL::Crypto")
endif()

# CUDA is optional: without nvcc every CPU part builds and every CPU test runs.
include(CheckLanguage)
check_language(CUDA)
if(CMAKE_CUDA_COMPILER AND NOT HOGAR_DISABLE_CUDA)
  if(NOT CMAKE_CUDA_ARCHITECTURES)
    # Hopper (the H200 benchmark machine) plus PTX for newer parts; `native` fails without a GPU.
    set(CMAKE_CUDA_ARCHITECTURES "90-real;90-virtual")
  endif()
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
  set(HOGAR_HAVE_CUDA ON)
  message(STATUS "hogar: CUDA ${CUDAToolkit_VERSION} found, GPU parts are built")
else()
  set(HOGAR_HAVE_CUDA OFF)
  message(STATUS "hogar: no CUDA compiler, building the CPU parts only")
endif()
