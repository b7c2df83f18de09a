// clock.hpp: an actor's clock reading in nanoseconds, the unit of request deadlines. Reading
// it through the actor (not std::chrono directly) lets CAF's test coordinator drive time.
// And the wall clock, for what users read as a date (last inference, a recovery's steps).
#pragma once

#include <chrono>
#include <cstdint>

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

} // namespace hogar
