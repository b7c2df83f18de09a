// fuzz_check.hpp: what a harness does when an input breaks a promise of the code under test
// that no sanitizer sees (a client's mistake answered as a server error, an import that writes
// a graph the reader refuses, an exception escaping a function that reports errors as values):
// it prints what broke and aborts. libFuzzer then keeps the input as a crash, and the replay
// test of the normal suite fails on it with the same message.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "base/result.hpp"

namespace hogar::fuzz {

[[noreturn]] inline void broken(std::string_view promise, std::string_view detail) {
  std::fprintf(stderr, "fuzz: broken promise: %.*s\n  %.*s\n", static_cast<int>(promise.size()),
               promise.data(), static_cast<int>(detail.size()), detail.data());
  std::abort();
}

inline void require(bool kept, std::string_view promise, std::string_view detail = {}) {
  if (!kept)
    broken(promise, detail);
}

/// errc::internal means "a bug in hogar" (base/result.hpp): no input may produce it.
inline void require_not_internal(const error_info& error, std::string_view what) {
  require(error.code != errc::internal, what, error.message);
}

} // namespace hogar::fuzz
