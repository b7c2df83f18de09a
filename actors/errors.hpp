// errors.hpp: hogar's error codes (base/result.hpp) as a CAF error category, so that
// failures cross actor and process boundaries as caf::error values that keep their message.
#pragma once

#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

#include "base/result.hpp"

namespace hogar {

/// The category atom of every hogar error.
inline constexpr caf::atom_value error_category = caf::atom("hogar");

/// A caf::error of hogar's category carrying a message for the user.
inline caf::error make_error(errc code, std::string message) {
  return caf::error{static_cast<std::uint8_t>(code), error_category,
                    caf::make_message(std::move(message))};
}

inline caf::error make_error(const error_info& info) {
  return make_error(info.code, info.message);
}

/// The hogar code of an error (errc::internal for errors of other categories).
errc code_of(const caf::error& err);

/// The user-facing message of an error: the text a hogar error carries, or CAF's rendering of
/// any other error (a timeout of a request, a dead actor).
std::string message_of(const caf::error& err);

} // namespace hogar
