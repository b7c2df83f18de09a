#include "kernels/tensor.hpp"

#include <stdexcept>

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

std::int64_t first_nan(const tensor& t) noexcept {
  auto scan = [](auto values) -> std::int64_t {
    for (std::size_t i = 0; i < values.size(); ++i)
      if (values[i] != values[i])
        return static_cast<std::int64_t>(i);
    return -1;
  };
  auto raw = t.bytes();
  if (t.type() == dtype::float32)
    return scan(std::span{reinterpret_cast<const float*>(raw.data()), raw.size() / 4});
  if (t.type() == dtype::float64)
    return scan(std::span{reinterpret_cast<const double*>(raw.data()), raw.size() / 8});
  return -1;
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
