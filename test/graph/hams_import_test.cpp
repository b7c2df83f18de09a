#include "graph/hams_import.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

#include "graph/loader.hpp"
#include "test/graph/fixture.hpp"

namespace hogar::graph {

namespace {

using test::read_source_file;

const hams_import_options defaults{};

/// The error message of importing `text` as "d.hams", which must fail.
std::string rejection(std::string_view text) {
  auto result = import_hams(text, "d.hams", defaults);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == errc::invalid_argument);
  return result.error().message;
}

constexpr std::string_view diamond = R"(# a diamond: 1 feeds 2 and 3, both feed 4
4
1
frontend,1,hogar/frontend:1,false,1
left model,2,hogar/left:2,true,8
right,1,hogar/right:1,false,1
join,1,hogar/join:1,false,1

dist[1->2,3]
reduce[2,3->4]
)";

} // namespace

TEST_CASE("a HAMS deployment becomes simulated operators wired as its edges say") {
  auto yaml = import_hams(diamond, "deploy/diamond.hams", {2.5, ""});
  REQUIRE(yaml.has_value());
  CHECK(*yaml == R"(# Imported from deploy/diamond.hams (HAMS deployment format 1) by `hogar graph import`.
# Each HAMS node is a simulated operator costing 2.5 ms; replace its kind
# and params with a real model to serve it.
graph: diamond
description: "imported from the HAMS deployment deploy/diamond.hams"

inputs:
  - name: input
    dtype: float32
    shape: [-1]

operators:
  - name: frontend
    kind: simulate
    params: {cost_ms: 2.5}
    inputs: [input]
    image: {name: "hogar/frontend:1", version: "1"}
  - name: left_model
    kind: simulate
    params: {cost_ms: 2.5}
    inputs: [frontend]
    image: {name: "hogar/left:2", version: "2"}
    stateful: true
    batching: {policy: static, max_batch_size: 8}
  - name: right
    kind: simulate
    params: {cost_ms: 2.5}
    inputs: [frontend]
    image: {name: "hogar/right:1", version: "1"}
  - name: join
    kind: simulate
    params: {cost_ms: 2.5}
    inputs: [left_model, right]
    image: {name: "hogar/join:1", version: "1"}

outputs:
  - name: join
    from: join
)");
  auto loaded = load_graph_text(*yaml, "diamond.yaml");
  INFO(to_string(loaded.errors));
  REQUIRE(loaded.ok());
  auto& ops = loaded.spec->operators;
  REQUIRE(ops.size() == 4);
  CHECK(ops[1].stateful);
  CHECK(ops[1].batching->max_batch_size == 8);
  CHECK(param_reader{ops[0]}.get_number("cost_ms") == 2.5);
  REQUIRE(ops[1].image);
  CHECK(ops[1].image->name == "hogar/left:2");
  CHECK(ops[1].image->version == "2");
}

TEST_CASE("imported names are made valid and unique, and the graph may be named") {
  // A node called "input" keeps its name (an export must get it back); the graph input yields.
  auto yaml = import_hams("3\n1\ninput,1,i,false,1\n9lives,1,i,false,1\n9lives,1,i,false,1\n"
                          "dist[1->2,3]\n",
                          "x.hams", {1, "custom"});
  REQUIRE(yaml.has_value());
  CHECK(yaml->find("graph: custom\n") != std::string::npos);
  CHECK(yaml->find("  - name: input\n    kind: simulate\n") != std::string::npos);
  CHECK(yaml->find("inputs:\n  - name: input_\n") != std::string::npos);
  CHECK(yaml->find("    inputs: [input_]\n") != std::string::npos);
  CHECK(yaml->find("  - name: node_9lives\n") != std::string::npos);
  CHECK(yaml->find("  - name: node_9lives_3\n") != std::string::npos);
  CHECK(load_graph_text(*yaml).ok());
  auto bad_name = import_hams("1\n1\na,1,i,false,1\n", "x.hams", {1, "my graph"});
  REQUIRE_FALSE(bad_name.has_value());
  CHECK(bad_name.error().message ==
        "graph name 'my graph' is not a valid name: use letters, digits, '_' and '-', starting "
        "with a letter or '_'");
}

TEST_CASE("nodes named like YAML's null and bools keep their names, quoted, so that the graph "
          "loads") {
  // bench/fuzz/crashes/hams/crash-a095...: a node named "null" became `name: null`, which the
  // reader reads as no name at all.
  auto yaml = import_hams("3\n1\nnull,1,i,false,1\nTrue,1,i,false,1\nFALSE,1,i,false,1\n"
                          "dist[1->2,3]\n",
                          "null.hams", {});
  REQUIRE(yaml.has_value());
  CHECK(yaml->find("graph: node_null\n") != std::string::npos);
  CHECK(yaml->find("  - name: \"null\"\n") != std::string::npos);
  CHECK(yaml->find("  - name: \"True\"\n") != std::string::npos);
  CHECK(yaml->find("    inputs: [\"null\"]\n") != std::string::npos);
  CHECK(yaml->find("  - name: \"FALSE\"\n") != std::string::npos);
  auto loaded = load_graph_text(*yaml);
  INFO(to_string(loaded.errors));
  REQUIRE(loaded.ok());
  CHECK(loaded.spec->operators[0].name == "null");
  CHECK(loaded.spec->operators[2].inputs[0].name == "null");
  CHECK_FALSE(import_hams("1\n1\na,1,i,false,1\n", "x.hams", {1, "true"}).has_value());
}

TEST_CASE("a deployment as HAMS writes them: batch size 0 (no batching), a version 'test', a "
          "stateful node") {
  auto yaml = import_hams("2\n1\nfront,test,hams/front:test,false,0\nstate,test,hams/lstm:test,"
                          "true,4\ndist[1->2]\n",
                          "deploy/real.hams", {1, ""});
  REQUIRE(yaml.has_value());
  INFO(*yaml);
  CHECK(yaml->find("image: {name: \"hams/front:test\", version: \"test\"}") != std::string::npos);
  auto loaded = load_graph_text(*yaml);
  INFO(to_string(loaded.errors));
  REQUIRE(loaded.ok());
  const auto& ops = loaded.spec->operators;
  REQUIRE(ops.size() == 2);
  CHECK_FALSE(ops[0].batching.has_value());
  CHECK_FALSE(ops[0].stateful);
  CHECK(ops[1].stateful);
  REQUIRE(ops[1].batching.has_value());
  CHECK(ops[1].batching->max_batch_size == 4);
}

TEST_CASE("every rejection of a malformed HAMS file names its line") {
  CHECK(rejection("") == "d.hams:1: expected the number of nodes, found the end of the file");
  CHECK(rejection("# nodes\nfive\n1\n") ==
        "d.hams:2: the node count must be a positive integer, got 'five'");
  CHECK(rejection("0\n1\n") == "d.hams:1: the node count must be a positive integer, got '0'");
  CHECK(rejection("2\n") == "d.hams:1: expected the format number, found the end of the file");
  CHECK(rejection("2\nv1\n") == "d.hams:2: the format line must be an integer, got 'v1'");
  CHECK(rejection("1\n1\na,1,img,false\n") ==
        "d.hams:3: a node line has 5 fields (name,version,image,stateful,batch_size), got 4: "
        "'a,1,img,false'");
  CHECK(rejection("1\n1\na,1,img,yes,1\n") ==
        "d.hams:3: node 'a': stateful must be true or false, got 'yes'");
  CHECK(rejection("1\n1\n\na,1,img,false,-1\n") ==
        "d.hams:4: node 'a': the batch size must be a whole number (0 or 1: no batching), got "
        "'-1'");
  CHECK(rejection("1\n1\na,,img,false,1\n") ==
        "d.hams:3: node 'a': the second (version) field is empty");
  CHECK(rejection("1\n1\na,1, ,false,1\n") ==
        "d.hams:3: node 'a': the third (image) field is empty");
  // What an export could not write back on one line.
  using namespace std::string_view_literals;
  CHECK(rejection("1\n1\na,1,i\0mg,false,1\n"sv) ==
        "d.hams:3: node 'a': the third (image) field holds a control character");
  CHECK(rejection("1\n1\na,1,img,false,many\n") ==
        "d.hams:3: node 'a': the batch size must be a whole number (0 or 1: no batching), got "
        "'many'");
  CHECK(rejection("3\n1\na,1,img,false,1\nb,1,img,false,1\n") ==
        "d.hams:1: 3 nodes declared, but 2 node lines follow");
  CHECK(rejection("3\n1\na,1,img,false,1\ndist[1->2]\n") ==
        "d.hams:1: 3 nodes declared, but 1 node line follow");
  CHECK(rejection("2\n1\na,1,i,false,1\nb,1,i,false,1\nlink[1->2]\n") ==
        "d.hams:5: unknown edge syntax 'link[1->2]'; expected dist[a->b,c;...] or "
        "reduce[a,b->c;...]");
  CHECK(rejection("2\n1\na,1,i,false,1\nb,1,i,false,1\ndist[1,2->2]\n") ==
        "d.hams:5: unknown edge syntax '1,2->2' in 'dist[1,2->2]'; dist takes one producer: "
        "a->b,c");
  CHECK(rejection("2\n1\na,1,i,false,1\nb,1,i,false,1\ndist[1-2]\n") ==
        "d.hams:5: unknown edge syntax '1-2' in 'dist[1-2]'; a group is a->b,c");
  CHECK(rejection("2\n1\na,1,i,false,1\nb,1,i,false,1\ndist[1->3]\n") ==
        "d.hams:5: node number 3 is out of range 1..2");
  CHECK(rejection("2\n1\na,1,i,false,1\nb,1,i,false,1\nreduce[0->2]\n") ==
        "d.hams:5: node number 0 is out of range 1..2");
  CHECK(rejection("2\n1\na,1,i,false,1\nb,1,i,false,1\ndist[1->x]\n") ==
        "d.hams:5: 'x' is not a node number in 'dist[1->x]'");
  CHECK(rejection("2\n1\na,1,i,false,1\nb,1,i,false,1\ndist[2->2]\n") ==
        "d.hams:5: node 2 ('b') feeds itself");
  CHECK(rejection("3\n1\na,1,i,false,1\nb,1,i,false,1\nc,1,i,false,1\n"
                  "dist[1->2;2->3]\n# closes the loop\nreduce[3->2]\n") ==
        "d.hams:8: the edges make a cycle: b -> c -> b");
}

TEST_CASE("a negative simulated cost is refused") {
  auto result = import_hams(diamond, "d.hams", {-1, ""});
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().message ==
        "the simulated cost must be a non-negative number of ms, got -1");
}

TEST_CASE("the HAMS examples in config/hams import into graphs that load cleanly") {
  for (auto name : {"image-analysis", "stock-prediction"}) {
    INFO(name);
    auto file = std::string{"config/hams/"} + name + ".hams";
    auto yaml = import_hams(read_source_file(file), file, {});
    REQUIRE(yaml.has_value());
    auto loaded = load_graph_text(*yaml, name);
    INFO(to_string(loaded.errors));
    CHECK(loaded.ok());
  }
}

TEST_CASE("the committed import of image-analysis.hams is what the importer writes") {
  auto file = std::string{"config/hams/image-analysis.hams"};
  auto yaml = import_hams(read_source_file(file), file, {});
  REQUIRE(yaml.has_value());
  // HOGAR_REGENERATE_IMPORTS=1 rewrites the committed file instead of comparing with it.
  auto committed = std::filesystem::path{HOGAR_SOURCE_DIR} / "config/graphs/"
                                                             "image-analysis-imported.yaml";
  if (std::getenv("HOGAR_REGENERATE_IMPORTS") != nullptr) {
    std::ofstream{committed} << *yaml;
    MESSAGE("rewrote " << committed.string());
  }
  CHECK(read_source_file("config/graphs/image-analysis-imported.yaml") == *yaml);
}

} // namespace hogar::graph
