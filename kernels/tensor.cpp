#include "kernels/tensor.hpp"

#include <algorithm>
#include <stdexcept>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <fmt/format.h>

namespace hogar {

namespace {

// FNV-1a over bytes, folded in 8-byte words for speed; only needs to be stable and well mixed.
std::uint64_t mix(std::uint64_t h, std::uint64_t v) noexcept {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

std::uint64_t hash_bytes(std::span<const char> bytes, std::uint64_t h) noexcept {
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    h = mix(h, word * 0xff51afd7ed558ccdULL);
  }
  for (; i < bytes.size(); ++i)
    h = (h ^ static_cast<unsigned char>(bytes[i])) * 0x100000001b3ULL;
  return h;
}

std::size_t checked_byte_size(dtype type, const shape_t& shape) {
  for (auto extent : shape)
    if (extent < 0)
      throw std::invalid_argument(
        fmt::format("tensor shape {} has a negative extent", to_string(shape)));
  return static_cast<std::size_t>(element_count(shape)) * dtype_size(type);
}

} // namespace

std::int64_t element_count(const shape_t& shape) noexcept {
  std::int64_t n = 1;
  for (auto extent : shape)
    n *= extent;
  return n;
}

std::string to_string(const shape_t& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

tensor::tensor() : type_(dtype::float32), shape_{0} {
}

tensor::tensor(dtype type, shape_t shape)
  : type_(type),
    shape_(std::move(shape)),
    bytes_(std::make_shared<std::vector<char>>(checked_byte_size(type_, shape_))) {
}

tensor::tensor(dtype type, shape_t shape, std::vector<char> bytes)
  : type_(type), shape_(std::move(shape)) {
  auto expected = checked_byte_size(type_, shape_);
  if (bytes.size() != expected)
    throw std::invalid_argument(fmt::format("{} tensor of shape {} needs {} bytes, got {}",
                                            hogar::to_string(type_), to_string(shape_),
                                            expected, bytes.size()));
  bytes_ = std::make_shared<std::vector<char>>(std::move(bytes));
}

std::int64_t tensor::element_count() const noexcept {
  return hogar::element_count(shape_);
}

std::span<const char> tensor::bytes() const noexcept {
  if (!bytes_)
    return {};
  return {bytes_->data(), bytes_->size()};
}

std::span<char> tensor::mutable_bytes() {
  if (!bytes_)
    return {};
  if (bytes_.use_count() > 1)
    bytes_ = std::make_shared<std::vector<char>>(*bytes_);
  return {bytes_->data(), bytes_->size()};
}

void tensor::check_type(dtype expected) const {
  if (type_ != expected)
    throw std::logic_error(fmt::format("tensor holds {}, read as {}", hogar::to_string(type_),
                                       hogar::to_string(expected)));
}

double tensor::value_as_double(std::int64_t index) const {
  auto raw = bytes().data() + index * static_cast<std::int64_t>(dtype_size(type_));
  auto read = [raw](auto zero) {
    decltype(zero) v;
    std::memcpy(&v, raw, sizeof(v));
    return static_cast<double>(v);
  };
  switch (type_) {
    case dtype::float32: return read(float{});
    case dtype::float64: return read(double{});
    case dtype::int8: return read(std::int8_t{});
    case dtype::int32: return read(std::int32_t{});
    case dtype::int64: return read(std::int64_t{});
    case dtype::uint8: return read(std::uint8_t{});
    case dtype::boolean: return read(std::uint8_t{}) != 0 ? 1.0 : 0.0;
  }
  return 0;
}

tensor tensor::reshaped(shape_t shape) const {
  if (hogar::element_count(shape) != element_count())
    throw std::invalid_argument(fmt::format("cannot reshape {} elements to {}", element_count(),
                                            to_string(shape)));
  tensor result = *this;
  result.shape_ = std::move(shape);
  return result;
}

std::uint64_t tensor::content_hash() const noexcept {
  std::uint64_t h = mix(0xcbf29ce484222325ULL, static_cast<std::uint64_t>(type_));
  for (auto extent : shape_)
    h = mix(h, static_cast<std::uint64_t>(extent));
  return hash_bytes(bytes(), h);
}

bool operator==(const tensor& a, const tensor& b) noexcept {
  if (a.type_ != b.type_ || a.shape_ != b.shape_)
    return false;
  auto x = a.bytes();
  auto y = b.bytes();
  // memcmp takes no null pointer, even for 0 bytes (an empty tensor has no storage).
  return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size()) == 0);
}

namespace {

/// Index of the first NaN of `values`, -1 when none. A NaN is the one value unequal to itself;
/// blocks are tested whole (no early exit inside, so the compare vectorises) and only a block
/// that holds one is searched element by element.
template <typename T>
std::int64_t first_nan_in(std::span<const T> values) noexcept {
  constexpr std::size_t block = 1024;
  for (std::size_t start = 0; start < values.size(); start += block) {
    const std::size_t end = std::min(values.size(), start + block);
    bool any = false;
#if defined(__SSE2__)
    std::size_t i = start;
    if constexpr (std::is_same_v<T, float>) {
      __m128 acc0 = _mm_setzero_ps(), acc1 = _mm_setzero_ps();
      for (; i + 8 <= end; i += 8) {
        const __m128 a = _mm_loadu_ps(values.data() + i), b = _mm_loadu_ps(values.data() + i + 4);
        acc0 = _mm_or_ps(acc0, _mm_cmpunord_ps(a, a));
        acc1 = _mm_or_ps(acc1, _mm_cmpunord_ps(b, b));
      }
      any = _mm_movemask_ps(_mm_or_ps(acc0, acc1)) != 0;
    } else {
      __m128d acc0 = _mm_setzero_pd(), acc1 = _mm_setzero_pd();
      for (; i + 4 <= end; i += 4) {
        const __m128d a = _mm_loadu_pd(values.data() + i), b = _mm_loadu_pd(values.data() + i + 2);
        acc0 = _mm_or_pd(acc0, _mm_cmpunord_pd(a, a));
        acc1 = _mm_or_pd(acc1, _mm_cmpunord_pd(b, b));
      }
      any = _mm_movemask_pd(_mm_or_pd(acc0, acc1)) != 0;
    }
    for (; i < end; ++i)
      any = any || values[i] != values[i];
#else
    for (std::size_t i = start; i < end; ++i)
      any = any || values[i] != values[i];
#endif
    if (any)
      for (std::size_t i = start; i < end; ++i)
        if (values[i] != values[i])
          return static_cast<std::int64_t>(i);
  }
  return -1;
}

} // namespace

std::int64_t first_nan(dtype type, std::span<const char> raw) noexcept {
  if (type == dtype::float32)
    return first_nan_in(std::span{reinterpret_cast<const float*>(raw.data()), raw.size() / 4});
  if (type == dtype::float64)
    return first_nan_in(std::span{reinterpret_cast<const double*>(raw.data()), raw.size() / 8});
  return -1;
}

std::int64_t first_nan(const tensor& t) noexcept {
  auto raw = t.bytes();
  return first_nan(t.type(), std::span<const char>{raw.data(), raw.size()});
}

std::string shapes_of(std::span<const tensor> tensors) {
  std::string out;
  for (auto& t : tensors)
    out += (out.empty() ? "" : ", ") + to_string(t.shape());
  return out;
}

std::string summarize(const tensor& t, std::size_t max_values) {
  std::string out = fmt::format("{}{}", to_string(t.type()), to_string(t.shape()));
  auto n = static_cast<std::size_t>(t.element_count());
  out += " {";
  for (std::size_t i = 0; i < n && i < max_values; ++i) {
    if (i > 0)
      out += ", ";
    out += fmt::format("{:g}", t.value_as_double(static_cast<std::int64_t>(i)));
  }
  if (n > max_values)
    out += ", ...";
  out += "}";
  return out;
}

const tensor* find_tensor(const record& r, std::string_view name) noexcept {
  for (auto& entry : r)
    if (entry.name == name)
      return &entry.value;
  return nullptr;
}

std::uint64_t content_hash(const record& r) noexcept {
  std::uint64_t h = 0x84222325cbf29ce4ULL;
  for (auto& entry : r) {
    h = hash_bytes({entry.name.data(), entry.name.size()}, h);
    h = mix(h, entry.value.content_hash());
  }
  return h;
}

} // namespace hogar
