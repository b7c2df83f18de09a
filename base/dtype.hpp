// dtype.hpp: element types of tensors, with the names used in graph files and in the KServe
// v2 protocol. graph/ names them in graph files and kernels/ stores tensors of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace hogar {

enum class dtype : std::uint8_t {
  float32,
  float64,
  int8,
  int32,
  int64,
  uint8,
  boolean,
};

inline constexpr dtype all_dtypes[] = {dtype::float32, dtype::float64, dtype::int8,
                                       dtype::int32,   dtype::int64,   dtype::uint8,
                                       dtype::boolean};

/// Bytes per element.
constexpr std::size_t dtype_size(dtype t) noexcept {
  switch (t) {
    case dtype::float32: return 4;
    case dtype::float64: return 8;
    case dtype::int8: return 1;
    case dtype::int32: return 4;
    case dtype::int64: return 8;
    case dtype::uint8: return 1;
    case dtype::boolean: return 1;
  }
  return 0;
}

/// The graph-language name: "float32", "uint8", "bool", ...
constexpr std::string_view to_string(dtype t) noexcept {
  switch (t) {
    case dtype::float32: return "float32";
    case dtype::float64: return "float64";
    case dtype::int8: return "int8";
    case dtype::int32: return "int32";
    case dtype::int64: return "int64";
    case dtype::uint8: return "uint8";
    case dtype::boolean: return "bool";
  }
  return "?";
}

/// The KServe v2 datatype name: "FP32", "UINT8", "BOOL", ...
constexpr std::string_view to_kserve_string(dtype t) noexcept {
  switch (t) {
    case dtype::float32: return "FP32";
    case dtype::float64: return "FP64";
    case dtype::int8: return "INT8";
    case dtype::int32: return "INT32";
    case dtype::int64: return "INT64";
    case dtype::uint8: return "UINT8";
    case dtype::boolean: return "BOOL";
  }
  return "?";
}

/// Parses either spelling ("float32" or "FP32"); nullopt for anything else.
constexpr std::optional<dtype> dtype_from_string(std::string_view name) noexcept {
  for (auto t : all_dtypes)
    if (name == to_string(t) || name == to_kserve_string(t))
      return t;
  return std::nullopt;
}

} // namespace hogar
