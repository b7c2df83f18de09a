#include "scheduling/tuning_grid.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace hogar::scheduling {

result<tuning_grid> tuning_grid::make(std::vector<knob_range> knobs, std::size_t points,
                                      std::size_t max_size) {
  if (knobs.empty())
    return fail(errc::invalid_argument, "a tuning grid needs at least one knob");
  if (points < 1)
    return fail(errc::invalid_argument, "a tuning grid needs at least one point per knob");
  tuning_grid g;
  g.size_ = 1;
  for (auto& k : knobs) {
    if (k.name.empty())
      return fail(errc::invalid_argument, "a tuning knob has no name");
    if (k.lo > k.hi)
      return fail(errc::invalid_argument,
                  fmt::format("tuning knob '{}': the bounds [{}, {}] are reversed (the lower "
                              "bound is above the upper)",
                              k.name, k.lo, k.hi));
    // Evenly spaced between the bounds, rounded to integers, without repeats.
    std::vector<std::int64_t> values;
    auto span = static_cast<long double>(k.hi) - static_cast<long double>(k.lo);
    for (std::size_t i = 0; i < points; ++i) {
      auto at = points == 1 ? 0.0L : span * static_cast<long double>(i) /
                                       static_cast<long double>(points - 1);
      auto v = k.lo + static_cast<std::int64_t>(std::llround(at));
      if (values.empty() || values.back() != v)
        values.push_back(v);
    }
    if (g.size_ > max_size / values.size())
      return fail(errc::invalid_argument,
                  fmt::format("tuning knob '{}': the grid would have more than {} "
                              "configurations",
                              k.name, max_size));
    g.size_ *= values.size();
    g.values_.push_back(std::move(values));
  }
  g.knobs_ = std::move(knobs);
  return g;
}

std::vector<std::size_t> tuning_grid::coords(std::size_t index) const {
  std::vector<std::size_t> c(values_.size());
  for (std::size_t k = values_.size(); k-- > 0;) {
    c[k] = index % values_[k].size();
    index /= values_[k].size();
  }
  return c;
}

std::vector<std::int64_t> tuning_grid::values(std::size_t index) const {
  auto c = coords(index);
  std::vector<std::int64_t> v(c.size());
  for (std::size_t k = 0; k < c.size(); ++k)
    v[k] = values_[k][c[k]];
  return v;
}

std::size_t tuning_grid::index_of(const std::vector<std::size_t>& coords) const {
  std::size_t index = 0;
  for (std::size_t k = 0; k < values_.size(); ++k)
    index = index * values_[k].size() + std::min(coords[k], values_[k].size() - 1);
  return index;
}

std::size_t tuning_grid::nearest(const std::vector<std::int64_t>& wanted) const {
  std::vector<std::size_t> c(values_.size(), 0);
  for (std::size_t k = 0; k < values_.size() && k < wanted.size(); ++k) {
    auto& vs = values_[k];
    std::size_t best = 0;
    for (std::size_t i = 1; i < vs.size(); ++i)
      if (std::llabs(vs[i] - wanted[k]) < std::llabs(vs[best] - wanted[k]))
        best = i;
    c[k] = best;
  }
  return index_of(c);
}

double tuning_grid::distance(std::size_t a, std::size_t b) const {
  auto ca = coords(a);
  auto cb = coords(b);
  double sum = 0;
  for (std::size_t k = 0; k < ca.size(); ++k) {
    auto d = static_cast<double>(ca[k]) - static_cast<double>(cb[k]);
    sum += d * d;
  }
  return std::sqrt(sum);
}

std::vector<std::size_t> tuning_grid::within(std::size_t center, double radius) const {
  // Only the box around the center can be within the radius: walk it, not the whole grid.
  auto c = coords(center);
  auto reach = static_cast<std::size_t>(std::floor(std::max(radius, 0.0)));
  std::vector<std::size_t> lo(c.size()), hi(c.size());
  for (std::size_t k = 0; k < c.size(); ++k) {
    lo[k] = c[k] > reach ? c[k] - reach : 0;
    hi[k] = std::min(c[k] + reach, values_[k].size() - 1);
  }
  std::vector<std::size_t> out;
  auto at = lo;
  while (true) {
    double sum = 0;
    for (std::size_t k = 0; k < at.size(); ++k) {
      auto d = static_cast<double>(at[k]) - static_cast<double>(c[k]);
      sum += d * d;
    }
    if (sum <= radius * radius + 1e-9)
      out.push_back(index_of(at));
    // Next point of the box, last knob fastest.
    std::size_t k = at.size();
    while (k > 0) {
      --k;
      if (at[k] < hi[k]) {
        ++at[k];
        break;
      }
      at[k] = lo[k];
      if (k == 0) {
        std::sort(out.begin(), out.end());
        return out;
      }
    }
  }
}

} // namespace hogar::scheduling
