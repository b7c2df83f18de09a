#include "scheduling/service_profile.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "scheduling/text_lines.hpp"

namespace hogar::scheduling {

namespace {

/// A measurement's weight in the fit: 1 / b^2. A batch's time grows about in proportion to b,
/// so this weighs each point by its relative error; unweighted, the largest batches rule the
/// line and it can miss batch 1, the time a lightly loaded operator sees, by tens of percent.
double weight(std::int64_t batch_size) {
  auto b = static_cast<double>(batch_size);
  return 1.0 / (b * b);
}

std::string quoted(std::string_view s) {
  if (s.size() > 40)
    return fmt::format("'{}...'", s.substr(0, 37));
  return fmt::format("'{}'", s);
}

template <class T>
bool parse_whole(std::string_view text, T& value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size();
}

/// One measurement line (comment already removed, not blank).
result<service_point> parse_point(std::string_view line, const std::string& where) {
  service_point p;
  bool seen[3] = {false, false, false};
  static constexpr std::string_view keys[3] = {"threads", "batch", "ms"};
  while (!line.empty()) {
    auto end = line.find_first_of(" \t");
    auto word = line.substr(0, end);
    line = end == std::string_view::npos ? std::string_view{} : trim(line.substr(end));
    auto eq = word.find('=');
    if (eq == std::string_view::npos)
      return fail(errc::invalid_argument,
                  fmt::format("{}: {} is not key=value (threads=T batch=B ms=M)", where,
                              quoted(word)));
    auto key = word.substr(0, eq);
    auto value = word.substr(eq + 1);
    auto k = static_cast<std::size_t>(std::find(keys, keys + 3, key) - keys);
    if (k == 3)
      return fail(errc::invalid_argument,
                  fmt::format("{}: unknown key {} (threads, batch or ms)", where, quoted(key)));
    if (seen[k])
      return fail(errc::invalid_argument, fmt::format("{}: {} given twice", where, key));
    seen[k] = true;
    if (k < 2) {
      std::int64_t n = 0;
      auto limit = k == 0 ? service_point_max_threads : service_point_max_batch;
      if (!parse_whole(value, n) || n < 1 || n > limit)
        return fail(errc::invalid_argument,
                    fmt::format("{}: {}={} must be a whole number from 1 to {}", where, key,
                                value, limit));
      (k == 0 ? p.intra_op_threads : p.batch_size) = n;
    } else {
      double ms = 0;
      if (!parse_whole(value, ms) || !std::isfinite(ms) || ms <= 0)
        return fail(errc::invalid_argument,
                    fmt::format("{}: ms={} must be a positive number of milliseconds", where,
                                value));
      p.ms = ms;
    }
  }
  for (std::size_t k = 0; k < 3; ++k)
    if (!seen[k])
      return fail(errc::invalid_argument, fmt::format("{}: {}= is missing", where, keys[k]));
  return p;
}

} // namespace

result<std::vector<service_point>> parse_service_points(std::string_view text,
                                                        std::string_view source_name) {
  std::vector<service_point> points;
  auto problem = for_each_content_line(text, [&](std::size_t line_no, std::string_view line)
                                                 -> std::optional<error_info> {
    auto p = parse_point(line, fmt::format("{}:{}", source_name, line_no));
    if (!p)
      return p.error();
    points.push_back(*p);
    return std::nullopt;
  });
  if (problem)
    return *problem;
  if (points.empty())
    return fail(errc::invalid_argument, fmt::format("{}: no measurements", source_name));
  return points;
}

result<std::vector<service_point>> read_service_points(const std::string& path) {
  auto text = read_text_file(path);
  if (!text)
    return text.error();
  return parse_service_points(*text, path);
}

std::string format_service_points(std::span<const service_point> points,
                                  const std::vector<std::string>& comments) {
  std::string out;
  for (auto& c : comments)
    out += fmt::format("# {}\n", c);
  for (auto& p : points)
    out += fmt::format("threads={} batch={} ms={}\n", p.intra_op_threads, p.batch_size, p.ms);
  return out;
}

double contention_stretch(double busy_threads, double cores) noexcept {
  if (cores <= 0)
    return 1.0;
  return std::max(1.0, busy_threads / cores);
}

result<service_profile> service_profile::fit(std::span<const service_point> points) {
  if (points.empty())
    return fail(errc::invalid_argument, "service profile: no measurements to fit");
  std::map<std::int64_t, std::vector<service_point>> by_threads;
  for (auto& p : points)
    by_threads[p.intra_op_threads].push_back(p);
  std::vector<service_line> lines;
  for (auto& [threads, group] : by_threads) {
    std::set<std::int64_t> sizes;
    for (auto& p : group)
      sizes.insert(p.batch_size);
    if (sizes.size() < 2)
      return fail(errc::invalid_argument,
                  fmt::format("service profile: threads={} is measured at one batch size ({}); "
                              "a line needs two",
                              threads, *sizes.begin()));
    // Weighted least squares of ms on the batch size, each point weighted by 1 / b^2, about
    // the weighted means (numerically stable).
    double total_weight = 0, mean_b = 0, mean_ms = 0;
    for (auto& p : group) {
      auto w = weight(p.batch_size);
      total_weight += w;
      mean_b += w * static_cast<double>(p.batch_size);
      mean_ms += w * p.ms;
    }
    mean_b /= total_weight;
    mean_ms /= total_weight;
    double sbb = 0, sbm = 0;
    for (auto& p : group) {
      auto w = weight(p.batch_size);
      auto db = static_cast<double>(p.batch_size) - mean_b;
      sbb += w * db * db;
      sbm += w * db * (p.ms - mean_ms);
    }
    service_line line;
    line.intra_op_threads = threads;
    line.per_item_ms = sbm / sbb;
    line.fixed_ms = mean_ms - line.per_item_ms * mean_b;
    line.points = group.size();
    double squares = 0;
    for (auto& p : group) {
      auto r = p.ms - line.batch_ms(p.batch_size);
      squares += r * r;
    }
    line.rms_residual_ms = std::sqrt(squares / static_cast<double>(group.size()));
    lines.push_back(line);
  }
  // A measured time that falls with the batch size, or a line below zero at batch 1, is
  // refused as a given line would be.
  return from_lines(std::move(lines));
}

result<service_profile> service_profile::read(const std::string& path) {
  auto points = read_service_points(path);
  if (!points)
    return points.error();
  auto profile = fit(*points);
  if (!profile)
    return fail(profile.error().code, fmt::format("{}: {}", path, profile.error().message));
  return profile;
}

result<service_profile> service_profile::from_lines(std::vector<service_line> lines) {
  if (lines.empty())
    return fail(errc::invalid_argument, "service profile: no lines");
  std::sort(lines.begin(), lines.end(), [](const service_line& a, const service_line& b) {
    return a.intra_op_threads < b.intra_op_threads;
  });
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto& l = lines[i];
    if (l.intra_op_threads < 1)
      return fail(errc::invalid_argument,
                  fmt::format("service profile: threads={} must be positive", l.intra_op_threads));
    if (i > 0 && lines[i - 1].intra_op_threads == l.intra_op_threads)
      return fail(errc::invalid_argument,
                  fmt::format("service profile: threads={} has two lines", l.intra_op_threads));
    if (!std::isfinite(l.fixed_ms) || !std::isfinite(l.per_item_ms) || l.per_item_ms < 0 ||
        l.batch_ms(1) <= 0)
      return fail(errc::invalid_argument,
                  fmt::format("service profile: threads={}: the line {} + {} * b ms must be "
                              "positive and not fall with the batch size",
                              l.intra_op_threads, l.fixed_ms, l.per_item_ms));
  }
  return service_profile{std::move(lines)};
}

double service_profile::batch_ms(std::int64_t batch_size,
                                 std::int64_t intra_op_threads) const noexcept {
  constexpr double floor_ms = 1e-3;
  auto hi = std::lower_bound(lines_.begin(), lines_.end(), intra_op_threads,
                             [](const service_line& l, std::int64_t t) {
                               return l.intra_op_threads < t;
                             });
  double ms = 0;
  if (hi == lines_.end())
    ms = lines_.back().batch_ms(batch_size);
  else if (hi->intra_op_threads == intra_op_threads || hi == lines_.begin())
    ms = hi->batch_ms(batch_size);
  else {
    auto lo = std::prev(hi);
    auto inv = [](std::int64_t t) { return 1.0 / static_cast<double>(t); };
    auto w = (inv(intra_op_threads) - inv(hi->intra_op_threads)) /
             (inv(lo->intra_op_threads) - inv(hi->intra_op_threads));
    ms = w * lo->batch_ms(batch_size) + (1 - w) * hi->batch_ms(batch_size);
  }
  return std::max(ms, floor_ms);
}

} // namespace hogar::scheduling
