// `hogar model test|ops|generate`: ONNX models from the command line.
#include <iostream>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "kernels/device.hpp"
#include "kernels/nn/cpu_features.hpp"
#include "kernels/nn/op.hpp"
#include "kernels/onnx/conformance.hpp"
#include "kernels/onnx/example_models.hpp"
#include "tools/hogar/commands.hpp"

namespace po = boost::program_options;

namespace hogar::cli {

namespace {

constexpr const char* model_usage = R"(usage:
  hogar model test CASE_DIR... [--device reference|cpu|gpu|all]
                     run ONNX backend test cases (model.onnx + test_data_set_N/): one line per
                     case and device; exit 0 only when every case that ran passed
  hogar model ops    the ONNX operators hogar runs, and where
  hogar model ops --model FILE [--device cpu|reference] [--batch N] [--shape NAME=1x3x224x224]
                     [--precision fp32|bf16]
                     every node of that model and what computes it there: oneDNN (and its
                     kernel), OpenBLAS, hogar's own, or the reference where the fast path has
                     no kernel for it; the layouts between them
  hogar model profile --model FILE [the same options] [--runs R] [--threads T] [--json]
                     the same with each node's mean time and share, and the time by op type
  hogar model generate --output DIR [--model NAME...] [--seed S]
                     write the example models (detector, plate_reader, classifier, resnet18,
                     mobilenet_v2, bert, yolo; deterministic random weights) as a model
                     repository:
                     DIR/NAME/1/model.onnx and DIR/NAME/config.yaml

repository commands (each takes --cluster HOST:PORT, default 127.0.0.1:7701, and --json):
  hogar model list   the models of the daemon's repository, their versions and state
  hogar model load MODEL
                     serve MODEL on its own at /v2/models/MODEL (a loaded model: reload it)
  hogar model unload MODEL
                     stop serving MODEL on its own
  hogar model reload MODEL
                     hot swap: every graph serving MODEL, on every node, switches to the
                     versions the repository serves now (no request fails)
  hogar model compare MODEL
                     its versions side by side from the feedback on the daemon's answers
                     (accuracy or mean absolute error, latency), each against the lowest
                     with a 95% interval on the difference
)";

int test(const args& argv) {
  std::vector<std::string> cases;
  std::string device_name = "all";
  double rtol = onnx::tolerance{}.rtol;
  double atol = onnx::tolerance{}.atol;
  po::options_description desc{"hogar model test CASE_DIR... [options]"};
  desc.add_options()("help,h", "show this help")
    ("device", po::value(&device_name)->default_value(device_name),
     "reference (the plain twins), cpu (the fast path), gpu, or all three (the GPU is skipped, "
     "saying why, when there is none)")
    ("rtol", po::value(&rtol)->default_value(rtol), "relative tolerance for float outputs")
    ("atol", po::value(&atol)->default_value(atol), "absolute tolerance for float outputs");
  po::options_description hidden;
  hidden.add_options()("case", po::value(&cases));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("case", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(argv).options(all).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help") || cases.empty()) {
    std::cout << model_usage << "\n" << desc;
    return vm.count("help") ? 0 : 2;
  }
  std::vector<nn::device> devices;
  bool skip_gpu_quietly = false;
  if (device_name == "all") {
    devices = {nn::device::reference, nn::device::cpu, nn::device::gpu};
    skip_gpu_quietly = true;
  } else if (auto d = nn::device_from_string(device_name)) {
    devices = {*d};
  } else {
    fmt::print(stderr, "hogar model test: --device '{}' is not reference, cpu, gpu or all\n",
               device_name);
    return 2;
  }
  if (skip_gpu_quietly && cuda_device_count() == 0) {
    fmt::print("gpu: skipped ({})\n", cuda_device_summary());
    devices.pop_back();
  }
  int passed = 0, failed = 0, unsupported = 0, errors = 0;
  for (auto& dir : cases) {
    for (auto d : devices) {
      auto r = onnx::run_case(dir, d, onnx::tolerance{rtol, atol});
      fmt::print("{}\n", onnx::describe(r));
      switch (r.outcome) {
        case onnx::verdict::pass: ++passed; break;
        case onnx::verdict::fail: ++failed; break;
        case onnx::verdict::unsupported: ++unsupported; break;
        case onnx::verdict::error: ++errors; break;
      }
    }
  }
  fmt::print("{} passed, {} failed, {} unsupported, {} errors\n", passed, failed, unsupported,
             errors);
  return failed + unsupported + errors == 0 ? 0 : 1;
}

int ops() {
  fmt::print("this CPU: {}\n{}\n\n", nn::cpu_description(), nn::cpu_kernels_description());
  fmt::print("{:<20} {:<10} {:<9} {}\n", "operator", "reference", "fast cpu", "gpu");
  for (auto& op : nn::all_ops()) {
    const auto gpu = nn::to_string(op.gpu);
    fmt::print("{:<20} {:<10} {:<9} {}\n", op.op_type, "yes", op.bind_cpu ? "yes" : "reference",
               gpu);
  }
  return 0;
}

int generate(const args& argv) {
  std::string output;
  std::vector<std::string> names;
  std::uint64_t seed = onnx::example_seed_default;
  po::options_description desc{"hogar model generate --output DIR [options]"};
  desc.add_options()("help,h", "show this help")
    ("output", po::value(&output), "the model repository to write (created if missing)")
    ("model", po::value(&names)->multitoken(),
     "the models to write (default: all): detector, plate_reader, classifier, resnet18, "
     "mobilenet_v2, bert, yolo")
    ("seed", po::value(&seed)->default_value(seed), "seed of the weights");
  po::variables_map vm;
  po::store(po::command_line_parser(argv).options(desc).run(), vm);
  po::notify(vm);
  if (vm.count("help") || output.empty()) {
    std::cout << model_usage << "\n" << desc;
    return vm.count("help") ? 0 : 2;
  }
  auto written = onnx::generate_example_repository(output, names, seed);
  if (!written) {
    fmt::print(stderr, "hogar model generate: {}\n", written.error().message);
    return 1;
  }
  for (auto& m : *written)
    fmt::print("{}: {} ({} bytes), {}\n", m.name, m.model_path, m.model_bytes, m.config_path);
  return 0;
}

} // namespace

int model_command(const args& argv) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
    std::cout << model_usage;
    return argv.empty() ? 2 : 0;
  }
  args rest(argv.begin() + 1, argv.end());
  if (argv[0] == "test")
    return test(rest);
  if (argv[0] == "ops")
    return rest.empty() ? ops() : model_ops_report(rest);
  if (argv[0] == "profile")
    return model_profile(rest);
  if (argv[0] == "generate")
    return generate(rest);
  if (auto status = model_repository_command(argv[0], rest); status >= 0)
    return status;
  fmt::print(stderr, "hogar model: unknown subcommand '{}'\n{}", argv[0], model_usage);
  return 2;
}

} // namespace hogar::cli
