// countdown.hpp: the answers of a fan-out (a request to every node, to every replica),
// counted inside one actor; `done` runs after the last one, answer or error.
#pragma once

#include <cstddef>
#include <functional>

namespace hogar {

struct countdown {
  std::size_t remaining = 0;
  std::function<void()> done;

  void tick() {
    if (remaining > 0 && --remaining == 0 && done)
      done();
  }
};

} // namespace hogar
