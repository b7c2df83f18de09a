// clock.hpp: an actor's clock reading in nanoseconds, the unit of request deadlines. Reading
// it through the actor (not std::chrono directly) lets CAF's test coordinator drive time.
// And the wall clock, for what users read as a date (last inference, a recovery's steps).
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

#include <fmt/format.h>

namespace hogar {

template <class Self>
std::int64_t now_ns(Self* self) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           self->clock().now().time_since_epoch())
    .count();
}

/// Wall clock now, milliseconds since the Unix epoch.
inline std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// "10:44:07.605 UTC": a wall-clock time as status lines show it.
inline std::string utc_clock(std::int64_t unix_ms) {
  std::time_t seconds = unix_ms / 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:02}:{:02}:{:02}.{:03} UTC", utc.tm_hour, utc.tm_min, utc.tm_sec,
                     unix_ms % 1000);
}

} // namespace hogar
