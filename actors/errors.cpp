#include "actors/errors.hpp"

#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace hogar {

errc code_of(const caf::error& err) {
  if (err.category() != error_category)
    return err.category() == caf::atom("system")
               && err.code() == static_cast<std::uint8_t>(caf::sec::request_timeout)
             ? errc::deadline_exceeded
             : errc::internal;
  return static_cast<errc>(err.code());
}

std::string message_of(const caf::error& err) {
  if (err.category() == error_category && err.context().match_elements<std::string>())
    return err.context().get_as<std::string>(0);
  if (err.category() == caf::atom("system")
      && err.code() == static_cast<std::uint8_t>(caf::sec::request_timeout))
    return "no answer before the client's timeout";
  return caf::to_string(err);
}

} // namespace hogar
