#include "actors/node_log.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <string_view>

#include <caf/actor_ostream.hpp>
#include <fmt/format.h>

#include "actors/clock.hpp"

namespace hogar {

void node_log(caf::local_actor* self, const std::string& node, const std::string& threshold,
              const std::string& level, const std::string& text) {
  static constexpr std::array<std::string_view, 5> order{"quiet", "error", "warning", "info",
                                                         "debug"};
  auto wanted = std::find(order.begin(), order.end(), threshold);
  auto given = std::find(order.begin(), order.end(), level);
  if (given > wanted || level == "quiet")
    return;
  auto ms = unix_ms_now();
  std::time_t seconds = ms / 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  caf::aout(self) << fmt::format("[{} {:02}:{:02}:{:02}.{:03}] {}: {}\n", node, utc.tm_hour,
                                 utc.tm_min, utc.tm_sec, ms % 1000, level, text);
}

} // namespace hogar
