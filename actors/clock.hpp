// clock.hpp: an actor's clock reading in nanoseconds, the unit of request deadlines. Reading
// it through the actor (not std::chrono directly) lets CAF's test coordinator drive time.
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

} // namespace hogar
