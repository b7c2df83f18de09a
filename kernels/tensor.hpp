// tensor.hpp: an n-dimensional array of one dtype in contiguous row-major bytes.
//
// A tensor is a value with shared, immutable storage: copying it (as when an operator hands
// its output to several consumers inside one process) copies a pointer, never the bytes.
// Writing through `mutable_bytes()` first takes a private copy if the storage is shared
// (copy-on-write). Across processes a tensor travels as dtype, shape and one byte string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "base/dtype.hpp"

namespace hogar {

using shape_t = std::vector<std::int64_t>;

/// Number of elements of a fully known shape (the product of its extents; 1 for a scalar).
std::int64_t element_count(const shape_t& shape) noexcept;

/// "[1, 3, 224, 224]"
std::string to_string(const shape_t& shape);

/// Maps a C++ element type to its dtype; `bool` maps to dtype::boolean (stored as one byte).
template <class T>
constexpr dtype dtype_of() noexcept {
  if constexpr (std::is_same_v<T, float>) return dtype::float32;
  else if constexpr (std::is_same_v<T, double>) return dtype::float64;
  else if constexpr (std::is_same_v<T, std::int8_t>) return dtype::int8;
  else if constexpr (std::is_same_v<T, std::int32_t>) return dtype::int32;
  else if constexpr (std::is_same_v<T, std::int64_t>) return dtype::int64;
  else if constexpr (std::is_same_v<T, std::uint8_t>) return dtype::uint8;
  else {
    static_assert(std::is_same_v<T, bool>, "no dtype for this C++ type");
    return dtype::boolean;
  }
}

class tensor {
public:
  /// An empty float32 tensor of shape [0].
  tensor();

  /// A zero-filled tensor. Extents must be non-negative.
  tensor(dtype type, shape_t shape);

  /// Takes ownership of `bytes`, whose size must be element_count(shape) * dtype_size(type).
  tensor(dtype type, shape_t shape, std::vector<char> bytes);

  /// A tensor holding a copy of `values` (which must have element_count(shape) entries).
  template <class T>
  static tensor from_values(shape_t shape, std::span<const T> values) {
    tensor result{dtype_of<T>(), std::move(shape)};
    // An empty tensor's storage may be null, which memcpy must not be given even for 0 bytes.
    if (!values.empty())
      std::memcpy(result.mutable_bytes().data(), values.data(), values.size_bytes());
    return result;
  }
  template <class T>
  static tensor from_values(shape_t shape, const std::vector<T>& values) {
    return from_values<T>(std::move(shape), std::span<const T>{values.data(), values.size()});
  }
  /// A rank-0 tensor holding one value.
  template <class T>
  static tensor scalar(T value) {
    return from_values<T>(shape_t{}, std::span<const T>{&value, 1});
  }

  dtype type() const noexcept { return type_; }
  const shape_t& shape() const noexcept { return shape_; }
  std::size_t rank() const noexcept { return shape_.size(); }
  std::int64_t element_count() const noexcept;
  std::size_t byte_size() const noexcept { return bytes_ ? bytes_->size() : 0; }

  /// The raw bytes, row-major.
  std::span<const char> bytes() const noexcept;
  /// Writable bytes; copies the storage first if another tensor shares it.
  std::span<char> mutable_bytes();

  /// Typed read access; the dtype must match T (checked, throws std::logic_error: a bug).
  template <class T>
  std::span<const T> values() const {
    check_type(dtype_of<T>());
    auto raw = bytes();
    return {reinterpret_cast<const T*>(raw.data()), raw.size() / sizeof(T)};
  }
  template <class T>
  std::span<T> mutable_values() {
    check_type(dtype_of<T>());
    auto raw = mutable_bytes();
    return {reinterpret_cast<T*>(raw.data()), raw.size() / sizeof(T)};
  }

  /// Element i converted to double, whatever the dtype (for summaries, thresholds, votes).
  double value_as_double(std::int64_t index) const;

  /// The same storage seen with another shape of equal element count.
  tensor reshaped(shape_t shape) const;

  /// 64-bit content hash over dtype, shape and bytes (cache keys, deterministic simulation).
  std::uint64_t content_hash() const noexcept;

  /// True when both share one storage buffer (no copy was made).
  bool shares_storage_with(const tensor& other) const noexcept { return bytes_ == other.bytes_; }

  /// Same dtype, shape and bytes.
  friend bool operator==(const tensor& a, const tensor& b) noexcept;

  /// The storage buffer, for serialization (actors/ ships it as one byte string).
  const std::shared_ptr<std::vector<char>>& storage() const noexcept { return bytes_; }

private:
  void check_type(dtype expected) const;

  dtype type_;
  shape_t shape_;
  /// Shared between copies; never written while shared (see mutable_bytes).
  std::shared_ptr<std::vector<char>> bytes_;
};

/// The index of the first NaN among the elements of a float32 or float64 tensor; -1 when there
/// is none (and for the other dtypes).
std::int64_t first_nan(const tensor& t) noexcept;
/// The same over raw elements of `type` (whole elements only: a trailing partial one is not
/// looked at). Scans in blocks with SSE2 where the machine has it: about memory speed.
std::int64_t first_nan(dtype type, std::span<const char> raw) noexcept;

/// "[1, 3, 224, 224], [1, 10]": the shapes of several tensors, for messages.
std::string shapes_of(std::span<const tensor> tensors);

/// "float32[1, 3] {0.5, 0.25, 1}": dtype, shape and the first `max_values` elements.
std::string summarize(const tensor& t, std::size_t max_values = 6);

/// One named tensor of an operator's output.
struct named_tensor {
  std::string name;
  tensor value;
};

/// What an operator produces for one request: named tensors in a stable order.
using record = std::vector<named_tensor>;

/// Records travel between operators behind a shared pointer so that fan-out copies nothing.
using record_ptr = std::shared_ptr<const record>;

/// The tensor called `name`, or nullptr.
const tensor* find_tensor(const record& r, std::string_view name) noexcept;

/// The name every condition operator gives its boolean verdict tensor.
inline constexpr std::string_view condition_tensor_name = "condition";

/// Hash over every tensor of a record, names included.
std::uint64_t content_hash(const record& r) noexcept;

} // namespace hogar
