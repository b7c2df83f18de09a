// signature_conformance_test.cpp: the inferred signatures of every example graph
// (config/graphs/*.yaml, with the build's example models) against the answers the running
// graph really gives. Each answer tensor must be one the signature lists, with its dtype and its
// fixed extents; every tensor the signature says is always there must be there. KServe model
// metadata lists exactly these tensors (actors/node_actor.cpp describe_graph), so a kind whose
// signature function drifts from what its run() emits fails here.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "kernels/operation.hpp"
#include "kernels/random_tensor.hpp"
#include "runtime_fixture.hpp"

using namespace hogar;
using namespace hogar::test;

namespace {

namespace fs = std::filesystem;

std::string slurp_file(const fs::path& path) {
  std::ifstream in{path};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string describe(const tensor_signature& t) {
  return fmt::format("{} {}{}{}", t.name, to_string(t.type), to_string(t.shape),
                     t.optional ? " (optional)" : "");
}

/// Whether `shape` fits `declared` (-1: any extent).
bool fits(const shape_t& shape, const shape_t& declared) {
  if (shape.size() != declared.size())
    return false;
  for (std::size_t d = 0; d < shape.size(); ++d)
    if (declared[d] >= 0 && declared[d] != shape[d])
      return false;
  return true;
}

/// The requests sent to a graph: random inputs from its declared ones, each seed twice so that
/// a cache sees hits as well as misses.
std::vector<record> requests_for(const graph::graph_spec& g, int distinct) {
  std::vector<record> out;
  for (int round = 0; round < 2; ++round)
    for (int seed = 1; seed <= distinct; ++seed) {
      record inputs;
      for (std::size_t i = 0; i < g.inputs.size(); ++i)
        inputs.push_back({g.inputs[i].name,
                          random_tensor(g.inputs[i].type, g.inputs[i].shape,
                                        static_cast<std::uint64_t>(seed * 31 + i))});
      out.push_back(std::move(inputs));
    }
  return out;
}

} // namespace

TEST_CASE("every example graph's answers carry exactly the tensors its signature infers") {
  operation_context context{HOGAR_MODEL_REPOSITORY};
  std::vector<fs::path> files;
  for (auto& entry : fs::directory_iterator{fs::path{HOGAR_SOURCE_DIR} / "config" / "graphs"})
    if (entry.path().extension() == ".yaml")
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 6);
  // Tensors seen optional-and-present and optional-and-missing across the whole run: the
  // requests must reach both sides of a branch, or the optional flags go untested.
  std::set<std::string> optional_seen, optional_missed;
  for (auto& file : files) {
    CAPTURE(file);
    auto loaded = graph::load_graph_file(file.string());
    INFO(graph::to_string(loaded.errors));
    REQUIRE(loaded.ok());
    auto topo = std::make_shared<const graph::topology>(graph::build_topology(loaded.spec));
    auto signature = infer_graph_signature(*topo, context);
    INFO(fmt::format("problems: {}", fmt::join(signature.problems, "; ")));
    CHECK(signature.problems.empty());
    REQUIRE_FALSE(signature.answers.empty());
    std::map<std::string, tensor_signature> declared;
    for (auto& a : signature.answers) {
      CHECK_MESSAGE(declared.count(a.tensor.name) == 0, "listed twice: ", a.tensor.name);
      declared[a.tensor.name] = a.tensor;
    }
    std::string listed;
    for (auto& [name, t] : declared)
      listed += describe(t) + "; ";
    INFO("signature: ", listed);

    threaded_runtime rt;
    rt.deploy(slurp_file(file), {}, context);
    // The ResNet-18 graph is slow on two cores: fewer requests there.
    int distinct = loaded.spec->name == "image-classification" ? 1 : 12;
    for (auto& inputs : requests_for(*loaded.spec, distinct)) {
      auto answer = rt.infer(std::move(inputs), 60'000);
      INFO(answer.error);
      REQUIRE(answer.ok);
      std::set<std::string> present;
      for (auto& t : answer.reply.outputs) {
        CAPTURE(t.name);
        present.insert(t.name);
        auto it = declared.find(t.name);
        REQUIRE_MESSAGE(it != declared.end(), "an answer carries '", t.name,
                        "', which the signature does not list");
        CHECK(t.value.type() == it->second.type);
        CHECK_MESSAGE(fits(t.value.shape(), it->second.shape), t.name, " has shape ",
                      to_string(t.value.shape()), ", the signature says ",
                      to_string(it->second.shape));
      }
      for (auto& [name, t] : declared) {
        auto key = loaded.spec->name + "/" + name;
        if (!t.optional)
          CHECK_MESSAGE(present.count(name) == 1, "a required tensor is missing: ", name);
        else if (present.count(name) == 1)
          optional_seen.insert(key);
        else
          optional_missed.insert(key);
      }
    }
  }
  // image-analysis reads the plate only when it saw a car; stock-prediction's cache hits on the
  // second round of seeds.
  CHECK(optional_seen.count("image-analysis/analysis.characters") == 1);
  CHECK(optional_missed.count("image-analysis/analysis.characters") == 1);
}

TEST_CASE("the image-analysis answers are typed as metadata lists them") {
  operation_context context{HOGAR_MODEL_REPOSITORY};
  auto loaded = graph::load_graph_file(HOGAR_SOURCE_DIR "/config/graphs/image-analysis.yaml");
  REQUIRE(loaded.ok());
  auto topo = graph::build_topology(loaded.spec);
  auto signature = infer_graph_signature(topo, context);
  std::vector<std::string> listed;
  for (auto& a : signature.answers)
    listed.push_back(describe(a.tensor));
  // The detector's 252 candidate boxes and their scores for 4 classes (the batch dimension
  // dropped: a request is one image), the rows of the boxes it kept (as many as it kept), the
  // car check's count and best score, and the plate reader's 7 x 36 characters when there was
  // a car.
  CHECK(listed == std::vector<std::string>{"analysis.boxes float32[252, 4]",
                                           "analysis.scores float32[4, 252]",
                                           "analysis.selected int64[-1, 3]",
                                           "analysis.detections int64[]",
                                           "analysis.score float32[]",
                                           "analysis.characters float32[7, 36] (optional)"});
}
