// service_profile.hpp: how long one batch of a model takes on this machine's CPU path, fitted
// from measurements, for the serving simulator (scheduling/serving_simulator.hpp; issue 10).
//
// bench/tuning/tuning_profile measures a model at a few batch sizes and intra-op thread
// counts and writes one line per measurement:
//   # model: build/models/resnet18/1/model.onnx
//   threads=2 batch=8 ms=195.3
// For each thread count the profile fits a least-squares line batch_ms(b) = fixed_ms +
// per_item_ms * b, weighing each point by 1 / b^2 (its relative error: the time grows about in
// proportion to b, and an unweighted line, ruled by the largest batches, can miss batch 1 by
// tens of percent). There is no built-in profile: the figures only mean something for the model
// and the machine they were measured on.
//
// Contention between instances. Each instance running a batch keeps its intra_op_threads
// threads busy. While the busy threads of all running batches together exceed the machine's
// cores, the cores are shared evenly (processor sharing): every running batch advances at
// cores / busy_threads of its speed alone, i.e. it is stretched by busy_threads / cores
// (contention_stretch). The simulator applies the stretch between events, so a batch that
// started under contention speeds up as soon as another one finishes. This ignores memory
// bandwidth and cache sharing, which make real contention somewhat worse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace hogar::scheduling {

/// One measurement: a batch of batch_size items took ms milliseconds on intra_op_threads
/// threads, with the machine otherwise idle.
struct service_point {
  std::int64_t intra_op_threads = 1;
  std::int64_t batch_size = 1;
  double ms = 0;
};

/// The fitted line of one thread count.
struct service_line {
  std::int64_t intra_op_threads = 1;
  double fixed_ms = 0;
  double per_item_ms = 0;
  /// Measurements it was fitted to (0 for a line given directly), and the root-mean-square
  /// distance of them from the line, milliseconds.
  std::size_t points = 0;
  double rms_residual_ms = 0;

  double batch_ms(std::int64_t batch_size) const noexcept {
    return fixed_ms + per_item_ms * static_cast<double>(batch_size);
  }
};

/// The largest thread count and batch size a measurement line may name.
inline constexpr std::int64_t service_point_max_threads = 1024;
inline constexpr std::int64_t service_point_max_batch = 1 << 20;

/// Reads the measurement format: one `threads=T batch=B ms=M` per line (keys in any order,
/// separated by blanks; T and B positive integers, M a positive number), blank lines and
/// everything after a '#' ignored. Refused (invalid_argument), as "SOURCE:LINE: ...": a word
/// that is not key=value, an unknown or repeated key, a missing key, a value out of range;
/// and a text with no measurements ("SOURCE: no measurements").
result<std::vector<service_point>> parse_service_points(std::string_view text,
                                                        std::string_view source_name);

/// parse_service_points on the file at `path`; io_error naming the path when it cannot be read.
result<std::vector<service_point>> read_service_points(const std::string& path);

/// The file format: each of `comments` as a '#' line, then one line per measurement (ms with
/// the fewest digits that read back to the same double).
std::string format_service_points(std::span<const service_point> points,
                                  const std::vector<std::string>& comments = {});

/// max(1, busy_threads / cores): how much slower a batch runs while `busy_threads` threads
/// share `cores` cores.
double contention_stretch(double busy_threads, double cores) noexcept;

class service_profile {
public:
  /// A least-squares line per thread count, weighted by 1 / b^2. Refused, naming the thread
  /// count: one measured at fewer than two distinct batch sizes (a line needs two), a line
  /// that from_lines refuses (time falling with the batch size); no points at all.
  static result<service_profile> fit(std::span<const service_point> points);

  /// read_service_points, then fit.
  static result<service_profile> read(const std::string& path);

  /// A profile from lines given directly (tests, what-if studies). Refused: no lines, a
  /// repeated or non-positive thread count, a line whose batch_ms(1) is not positive, a
  /// negative per_item_ms.
  static result<service_profile> from_lines(std::vector<service_line> lines);

  /// One line per thread count, ascending.
  const std::vector<service_line>& lines() const noexcept { return lines_; }

  /// Milliseconds for a batch of batch_size items on intra_op_threads threads, alone on the
  /// machine. A thread count between two measured ones interpolates the two lines linearly in
  /// 1 / threads (the parallel share of the work scales with it); below the smallest or above
  /// the largest measured it takes that line (more threads than were measured gain nothing).
  /// Never less than a microsecond, whatever the fit says.
  double batch_ms(std::int64_t batch_size, std::int64_t intra_op_threads) const noexcept;

private:
  explicit service_profile(std::vector<service_line> lines) : lines_(std::move(lines)) {}
  std::vector<service_line> lines_;
};

} // namespace hogar::scheduling
