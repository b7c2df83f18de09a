// number_list.hpp: "1,8,64" from a benchmark's command line as numbers.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace hogar::bench {

/// The comma-separated integers of `text`; std::stoll's exception for one that is not.
inline std::vector<std::int64_t> parse_number_list(const std::string& text) {
  std::vector<std::int64_t> out;
  std::stringstream in{text};
  for (std::string item; std::getline(in, item, ',');)
    out.push_back(std::stoll(item));
  return out;
}

} // namespace hogar::bench
