#include "config/run_options.hpp"

#include <cstdlib>

#include <boost/program_options/value_semantic.hpp>

namespace po = boost::program_options;

namespace hogar::config {

po::options_description describe(run_options& out) {
  if (const char* env = std::getenv("HOGAR_MODEL_REPOSITORY"); env && out.model_repository.empty())
    out.model_repository = env;
  po::options_description desc{"hogar run GRAPH [options]"};
  desc.add_options()
    ("input", po::value(&out.input),
     "request inputs as KServe v2 JSON ({\"inputs\": [{\"name\", \"datatype\", \"shape\", "
     "\"data\"}]}), or @FILE to read it from FILE; default: random inputs generated from the "
     "graph's declared inputs")
    ("requests,n", po::value(&out.requests)->default_value(out.requests),
     "number of requests to send")
    ("concurrency,c", po::value(&out.concurrency)->default_value(out.concurrency),
     "requests kept in flight at once")
    ("timeout-ms", po::value(&out.timeout_ms)->default_value(out.timeout_ms),
     "deadline of each request, milliseconds")
    ("show", po::value(&out.show)->default_value(out.show),
     "number of requests whose outputs are printed")
    ("seed", po::value(&out.seed)->default_value(out.seed), "seed of the generated inputs")
    ("threads", po::value(&out.threads)->default_value(out.threads),
     "scheduler threads of the embedded runtime; 0: one per core")
    ("json", po::bool_switch(&out.json), "print one machine-readable JSON document")
    ("model-repository", po::value(&out.model_repository)->default_value(out.model_repository),
     "folder of versioned ONNX models (NAME/VERSION/model.onnx) that `model` operators name; "
     "default: $HOGAR_MODEL_REPOSITORY");
  return desc;
}

} // namespace hogar::config
