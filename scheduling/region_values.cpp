#include "scheduling/region_values.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hogar::scheduling {

region_values::region_values(const tuning_grid& grid, double initial)
  : grid_(&grid), values_(grid.size(), initial), visits_(grid.size(), 0) {}

void region_values::observe(std::size_t tried, double measured) {
  values_[tried] = measured;
  ++visits_[tried];
}

std::size_t region_values::best() const {
  std::size_t best = 0;
  for (std::size_t c = 1; c < values_.size(); ++c)
    if (values_[c] < values_[best] || (values_[c] == values_[best] && visits_[c] > visits_[best]))
      best = c;
  return best;
}

std::size_t boltzmann_sampler::pick(std::span<const double> values, double temperature) {
  auto lowest = *std::min_element(values.begin(), values.end());
  temperature = std::max(temperature, 1e-9);
  // exp((p - 1) / T) with p = lowest / value <= 1: the best weighs 1, nothing overflows.
  std::vector<double> weights(values.size());
  double total = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    auto preference = values[i] > 0 ? lowest / values[i] : 1.0;
    weights[i] = std::exp((preference - 1.0) / temperature);
    total += weights[i];
  }
  auto target = uniform() * total;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (target < weights[i])
      return i;
    target -= weights[i];
  }
  return weights.size() - 1;
}

} // namespace hogar::scheduling
