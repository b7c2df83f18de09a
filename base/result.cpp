#include "base/result.hpp"

namespace hogar {

const char* to_string(errc code) noexcept {
  switch (code) {
    case errc::none: return "none";
    case errc::invalid_argument: return "invalid_argument";
    case errc::not_found: return "not_found";
    case errc::operator_failed: return "operator_failed";
    case errc::deadline_exceeded: return "deadline_exceeded";
    case errc::overloaded: return "overloaded";
    case errc::unavailable: return "unavailable";
    case errc::io_error: return "io_error";
    case errc::internal: return "internal";
    case errc::unsupported: return "unsupported";
  }
  return "unknown";
}

} // namespace hogar
