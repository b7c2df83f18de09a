// run_options.hpp: the options of `hogar run`, with names, defaults, units and help in one
// place (the table that --help prints).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <boost/program_options/options_description.hpp>

namespace hogar::config {

struct run_options {
  /// The graph file.
  std::string graph;
  /// KServe v2 request JSON, or @FILE to read it from a file; empty: random inputs.
  std::string input;
  std::size_t requests = 100;
  std::size_t concurrency = 1;
  /// Per-request deadline, milliseconds.
  std::int64_t timeout_ms = 10'000;
  /// Requests whose outputs are printed in full (human output) or listed (--json).
  std::size_t show = 3;
  /// Seed of the generated inputs.
  std::uint64_t seed = 1;
  /// Scheduler threads of the embedded actor system; 0: one per core.
  std::size_t threads = 0;
  bool json = false;
  /// Folder of versioned ONNX models (NAME/VERSION/model.onnx) for `model` operators that name
  /// one; default: $HOGAR_MODEL_REPOSITORY.
  std::string model_repository;
};

/// The options of `hogar run`, bound to `out`.
boost::program_options::options_description describe(run_options& out);

} // namespace hogar::config
