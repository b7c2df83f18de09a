// result.hpp: the project's error codes and a value-or-error type, for the layers that know
// nothing of CAF (graph/, kernels/, scheduling/, http/). actors/ maps `errc` onto a CAF error
// category, so one enum names every failure a user can see.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace hogar {

/// Every failure hogar reports, in one enum. Values are stable: they cross process boundaries.
enum class errc : std::uint8_t {
  none = 0,
  /// The user gave something malformed: a request, an input tensor, a parameter.
  invalid_argument,
  /// A named thing (graph, operator, input, file) does not exist.
  not_found,
  /// An operator failed while running one request; the message names the operator.
  operator_failed,
  /// The request's deadline passed before every output arrived.
  deadline_exceeded,
  /// Admission refused the request: too much is in flight.
  overloaded,
  /// The graph or runtime is shutting down and no longer accepts or finishes work.
  unavailable,
  /// A file could not be read or parsed.
  io_error,
  /// A broken invariant inside hogar itself (a bug): never caused by user input.
  internal,
  /// Well-formed, but asks for something hogar does not do: an ONNX operator it does not run,
  /// a device it was built without.
  unsupported,
};

/// Short lowercase name of an error code, used in messages and metrics labels.
const char* to_string(errc code) noexcept;

/// An error: a code plus a message written for the user (names the operator, field or request).
struct error_info {
  errc code = errc::none;
  std::string message;
};

/// The value of a computation or the error that stopped it (std::expected arrives in C++23).
template <class T>
class result {
public:
  result(T value) : data_(std::move(value)) {}
  result(error_info error) : data_(std::move(error)) {}

  explicit operator bool() const noexcept { return data_.index() == 0; }
  bool has_value() const noexcept { return data_.index() == 0; }

  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const error_info& error() const { return std::get<1>(data_); }

private:
  std::variant<T, error_info> data_;
};

/// Shorthand for building an error result: `return fail(errc::invalid_argument, "...")`.
inline error_info fail(errc code, std::string message) {
  return error_info{code, std::move(message)};
}

} // namespace hogar
