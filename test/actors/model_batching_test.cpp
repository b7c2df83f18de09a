// Model operators in the runtime: batching, per-request failures, deadlines, hot swap and
// traffic split. The models are tiny ONNX files made here (y = x + k, k per version), so that
// every answer says which version computed it.
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <sstream>

#include <caf/scoped_actor.hpp>

#include "actors/model_batching.hpp"
#include "kernels/nn/dnnl_support.hpp"
#include "kernels/onnx/example_models.hpp"
#include "test/actors/adder_repository.hpp"
#include "test/actors/runtime_fixture.hpp"

using namespace hogar;
using namespace hogar::test;
namespace fs = std::filesystem;

namespace {

std::string model_graph_yaml(std::string batching, std::string params = "model: adder") {
  return "graph: g\n"
         "inputs: [{name: x, dtype: float32, shape: [4]}]\n"
         "operators:\n"
         "  - {name: m, kind: model, inputs: [x], params: {" + params + "}" +
         (batching.empty() ? "" : ", batching: " + batching) + "}\n"
         "outputs: [{name: y, from: m.y}]\n";
}

operator_stats stats_of(threaded_runtime& rt) {
  auto all = rt.dep->collect_operator_stats(rt.sys);
  REQUIRE(all.size() == 1);
  return all.front();
}

/// The statistics of operator `name` of a graph with several.
operator_stats stats_of(threaded_runtime& rt, const std::string& name) {
  for (auto& s : rt.dep->collect_operator_stats(rt.sys))
    if (s.op == name)
      return s;
  FAIL("no operator ", name);
  return {};
}

} // namespace

TEST_CASE("a model operator combines concurrent requests into batches and splits the answers") {
  repository repo{{1}};
  threaded_runtime rt;
  rt.deploy(model_graph_yaml("{max_batch_size: 8, max_queue_delay_us: 20000}"), {},
            operation_context{repo.root.string()});
  std::vector<std::future<outcome>> answers;
  for (int i = 0; i < 16; ++i)
    answers.push_back(std::async(std::launch::async, [&rt, i] { return rt.infer(features(10.0f * i)); }));
  for (int i = 0; i < 16; ++i) {
    auto o = answers[i].get();
    INFO(o.error);
    REQUIRE(o.ok);
    auto y = o.output("y")->values<float>();
    REQUIRE(y.size() == 4);
    CHECK(y[0] == 10.0f * i + 1);
    CHECK(y[3] == 10.0f * i + 4);
    REQUIRE(o.reply.served.size() == 1);
    CHECK(o.reply.served.front().version == 1);
  }
  auto s = stats_of(rt);
  CHECK(s.batched_requests == 16);
  CHECK(s.batches < 16); // at least one batch held more than one request
  CHECK(s.batch_size_max == 8);
  CHECK(s.versions == "adder:1");
  // Triton's statistics of the version: per request, and per batch size.
  REQUIRE(s.model_versions.size() == 1);
  const auto& v = s.model_versions.front();
  CHECK(v.model == "adder");
  CHECK(v.version == 1);
  CHECK(v.success == 16);
  CHECK(v.fail == 0);
  CHECK(v.inference_count == 16);
  CHECK(v.execution_count == s.batches);
  CHECK(v.queued == 16);
  CHECK(v.queue_ns > 0); // they waited up to 20 ms for their batches
  CHECK(v.success_ns >= v.queue_ns);
  CHECK(v.compute_infer_ns > 0);
  CHECK(v.last_inference_unix_ms > 1'600'000'000'000);
  std::uint64_t items = 0, batches = 0;
  std::int64_t previous_size = 0;
  for (auto& b : v.batches) {
    CHECK(b.batch_size > previous_size); // ascending, one entry per size
    previous_size = b.batch_size;
    items += b.count * static_cast<std::uint64_t>(b.batch_size);
    batches += b.count;
    CHECK(b.compute_infer_ns > 0);
  }
  CHECK(items == 16);
  CHECK(batches == s.batches);
  CHECK(s.queue_ns == v.queue_ns);
}

TEST_CASE("a request the model cannot take fails alone, as the client's error") {
  repository repo{{1}};
  threaded_runtime rt;
  rt.deploy(model_graph_yaml("{max_batch_size: 4, max_queue_delay_us: 1000}"), {},
            operation_context{repo.root.string()});
  auto wrong = rt.infer(record{{"x", tensor::from_values<float>({5}, std::vector<float>(5, 1))}});
  // The graph declares [4]: the ingress refuses [5] before the model sees it.
  CHECK_FALSE(wrong.ok);
  CHECK(wrong.code == errc::invalid_argument);
  auto nan = rt.infer(record{{"x", tensor::from_values<float>({4}, {1.0f, NAN, 2.0f, 3.0f})}});
  CHECK_FALSE(nan.ok);
  CHECK(nan.code == errc::invalid_argument);
  CHECK(nan.error.find("holds NaN (element 1)") != std::string::npos);
  CHECK(nan.error.find("operator 'm' (model) refused") != std::string::npos);
  auto fine = rt.infer(features(0));
  CHECK(fine.ok);
  // The NaN reached the model and failed there; the [5] never did.
  auto s = stats_of(rt);
  REQUIRE(s.model_versions.size() == 1);
  CHECK(s.model_versions.front().fail == 1);
  CHECK(s.model_versions.front().success == 1);
  CHECK(s.model_versions.front().inference_count == 1);
}

TEST_CASE("a request carrying more items than the batch limit is refused with both numbers") {
  repository repo{{1}};
  threaded_runtime rt;
  rt.deploy("graph: g\n"
            "inputs: [{name: x, dtype: float32, shape: [-1, 4]}]\n"
            "operators:\n"
            "  - {name: m, kind: model, inputs: [x], params: {model: adder}, batching: "
            "{max_batch_size: 2}}\n"
            "outputs: [{name: y, from: m.y}]\n",
            {}, operation_context{repo.root.string()});
  auto big = rt.infer(record{{"x", tensor::from_values<float>({3, 4}, std::vector<float>(12, 0))}});
  CHECK_FALSE(big.ok);
  CHECK(big.error.find("carries 3 items") != std::string::npos);
  CHECK(big.error.find("max_batch_size is 2") != std::string::npos);
  auto pair = rt.infer(record{{"x", tensor::from_values<float>({2, 4}, std::vector<float>(8, 0))}});
  REQUIRE(pair.ok);
  CHECK(pair.output("y")->shape() == shape_t{2, 4});
}

TEST_CASE("a request whose deadline passes while it waits for its batch gets the deadline error") {
  repository repo{{1}};
  threaded_runtime rt;
  // A batch waits up to a second for company; the request may wait 50 ms.
  rt.deploy(model_graph_yaml("{max_batch_size: 8, max_queue_delay_us: 1000000}"), {},
            operation_context{repo.root.string()});
  auto late = rt.infer(features(1), 50);
  CHECK_FALSE(late.ok);
  CHECK(late.code == errc::deadline_exceeded);
}

TEST_CASE("a reload swaps to the new version and no request fails on the way") {
  repository repo{{1}};
  threaded_runtime rt;
  rt.deploy(model_graph_yaml("{max_batch_size: 4, max_queue_delay_us: 500}", "model: adder, instances: 2"),
            {}, operation_context{repo.root.string()});
  std::atomic<bool> stop{false};
  std::atomic<int> failed{0};
  std::atomic<int> answered{0};
  auto traffic = std::async(std::launch::async, [&] {
    while (!stop) {
      auto o = rt.infer(features(0));
      ++answered;
      if (!o.ok)
        ++failed;
    }
  });
  repo.add(2);
  caf::scoped_actor self{rt.sys};
  std::string summary;
  auto replica = rt.dep->replicas(0).front();
  self->request(replica, std::chrono::seconds(30), reload_atom::value)
    .receive([&](std::string& s) { summary = s; },
             [&](caf::error& err) { FAIL("reload failed: " << message_of(err)); });
  CHECK(summary.find("adder:1 -> adder:2") != std::string::npos);
  auto after = rt.infer(features(0));
  REQUIRE(after.ok);
  CHECK(after.output("y")->values<float>()[0] == 2.0f);
  CHECK(after.reply.served.front().version == 2);
  stop = true;
  traffic.get();
  CHECK(answered > 0);
  CHECK(failed == 0);
}

TEST_CASE("a reload to a broken version leaves the old one serving") {
  repository repo{{1}};
  threaded_runtime rt;
  rt.deploy(model_graph_yaml(""), {}, operation_context{repo.root.string()});
  fs::create_directories(repo.root / "adder" / "2");
  std::ofstream{repo.root / "adder" / "2" / "model.onnx"} << "garbage";
  caf::scoped_actor self{rt.sys};
  bool failed = false;
  self->request(rt.dep->replicas(0).front(), std::chrono::seconds(30), reload_atom::value)
    .receive([&](std::string&) {}, [&](caf::error& err) {
      failed = true;
      CHECK(message_of(err).find("not an ONNX model") != std::string::npos);
    });
  CHECK(failed);
  auto o = rt.infer(features(0));
  REQUIRE(o.ok);
  CHECK(o.reply.served.front().version == 1);
}

TEST_CASE("a traffic split sends each version its share, the same version for the same request") {
  repository repo{{1, 2}, "traffic: {1: 1, 2: 1}\n"};
  threaded_runtime rt;
  rt.deploy(model_graph_yaml("{max_batch_size: 8, max_queue_delay_us: 200}"), {},
            operation_context{repo.root.string()});
  std::map<std::int64_t, int> served;
  for (int i = 0; i < 200; ++i) {
    auto o = rt.infer(features(0));
    REQUIRE(o.ok);
    auto version = o.reply.served.front().version;
    // The answer is the one that version computes.
    CHECK(o.output("y")->values<float>()[0] == static_cast<float>(version));
    ++served[version];
  }
  CHECK(served[1] > 60);
  CHECK(served[2] > 60);
  auto s = stats_of(rt);
  CHECK(s.versions == "adder:1 (50%), adder:2 (50%)");
  // Each version counts the requests it served.
  REQUIRE(s.model_versions.size() == 2);
  for (auto& v : s.model_versions) {
    CAPTURE(v.version);
    CHECK(v.success == static_cast<std::uint64_t>(served[v.version]));
    CHECK(v.inference_count == static_cast<std::uint64_t>(served[v.version]));
  }
}

TEST_CASE("precision: bf16 serves where the CPU runs bfloat16, and is refused naming the "
          "operator and the reason where it does not") {
  repository repo{{1}};
  threaded_runtime rt;
  auto bf16 = model_graph_yaml("", "model: adder, device: cpu, precision: bf16");
  if (nn::dnnl_has_bf16()) {
    rt.deploy(bf16, {}, operation_context{repo.root.string()});
    auto o = rt.infer(features(10.0f));
    INFO(o.error);
    REQUIRE(o.ok);
    CHECK(o.output("y")->values<float>()[0] == 11.0f);
  } else {
    auto refused = deployment::start(rt.sys, compile(bf16), {}, operation_context{repo.root.string()});
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().message.find("operator 'm'") != std::string::npos);
    CHECK(refused.error().message.find("neither AMX nor AVX512-BF16") != std::string::npos);
  }
  // The reference twins are the oracle: they run fp32 only.
  threaded_runtime other;
  auto on_reference = deployment::start(
    other.sys, compile(model_graph_yaml("", "model: adder, device: reference, precision: bf16")),
    {}, operation_context{repo.root.string()});
  REQUIRE_FALSE(on_reference.has_value());
  CHECK(on_reference.error().message.find("precision bf16 runs on the fast CPU path") !=
        std::string::npos);
}

namespace {

/// y[N, S] = x[N, S] + 1 and total[N, 1] = the sum of x over S: a model over sequences of any
/// length, written as model "seq" into `root`.
void write_sequence_model(const fs::path& root) {
  onnx::model_graph m;
  m.name = "seq";
  m.opset = 13;
  m.inputs = {{"x", dtype::float32, {-1, -1}}};
  m.outputs = {{"y", dtype::float32, {-1, -1}}, {"total", dtype::float32, {-1, 1}}};
  m.initializers.emplace("one", tensor::scalar(1.0f));
  m.initializers.emplace("axis1", tensor::from_values<std::int64_t>({1}, std::vector<std::int64_t>{1}));
  onnx::node add;
  add.op_type = "Add";
  add.name = "add";
  add.inputs = {"x", "one"};
  add.outputs = {"y"};
  onnx::node sum;
  sum.op_type = "ReduceSum";
  sum.name = "sum";
  sum.inputs = {"x", "axis1"};
  sum.outputs = {"total"};
  m.nodes = {add, sum};
  fs::create_directories(root / "seq" / "1");
  REQUIRE_FALSE(onnx::save_model(m, (root / "seq" / "1" / "model.onnx").string()));
}

std::string sequence_graph_yaml(const std::string& params) {
  return "graph: g\n"
         "inputs: [{name: x, dtype: float32, shape: [-1]}]\n"
         "operators:\n"
         "  - {name: m, kind: model, inputs: [x], params: {" + params + "}, "
         "batching: {max_batch_size: 8, max_queue_delay_us: 100000}}\n"
         "outputs: [{name: y, from: m.y}, {name: total, from: m.total}]\n";
}

} // namespace

TEST_CASE("requests of different sequence lengths share a padded batch and get their own "
          "lengths back") {
  repository repo{{1}};
  write_sequence_model(repo.root);
  threaded_runtime rt;
  rt.deploy(sequence_graph_yaml("model: seq, pad_inputs: [x], pad_value: 0"), {},
            operation_context{repo.root.string()});
  std::vector<std::future<outcome>> answers;
  for (int length = 1; length <= 8; ++length)
    answers.push_back(std::async(std::launch::async, [&rt, length] {
      std::vector<float> x(static_cast<std::size_t>(length));
      for (int i = 0; i < length; ++i)
        x[static_cast<std::size_t>(i)] = static_cast<float>(10 * length + i);
      return rt.infer(record{{"x", tensor::from_values<float>({length}, x)}});
    }));
  for (int length = 1; length <= 8; ++length) {
    auto o = answers[static_cast<std::size_t>(length - 1)].get();
    INFO("length ", length, ": ", o.error);
    REQUIRE(o.ok);
    // The element-wise output is cut back to the request's own length; the padding (0) does
    // not change the sum.
    auto y = o.output("y");
    REQUIRE(y->shape() == shape_t{length});
    float expected_total = 0;
    for (int i = 0; i < length; ++i) {
      CHECK(y->values<float>()[static_cast<std::size_t>(i)] == static_cast<float>(10 * length + i + 1));
      expected_total += static_cast<float>(10 * length + i);
    }
    auto total = o.output("total");
    REQUIRE(total->shape() == shape_t{1});
    CHECK(total->values<float>()[0] == expected_total);
  }
  auto s = stats_of(rt);
  CHECK(s.batched_requests == 8);
  CHECK(s.batches < 8); // lengths 1..8 shared batches
}

TEST_CASE("without pad_inputs requests of different lengths run in batches of their own shape") {
  repository repo{{1}};
  write_sequence_model(repo.root);
  threaded_runtime rt;
  rt.deploy(sequence_graph_yaml("model: seq"), {}, operation_context{repo.root.string()});
  std::vector<std::future<outcome>> answers;
  for (int length = 1; length <= 4; ++length)
    answers.push_back(std::async(std::launch::async, [&rt, length] {
      return rt.infer(record{{"x", tensor::from_values<float>({length}, std::vector<float>(
                                                                  static_cast<std::size_t>(length), 1.0f))}});
    }));
  for (auto& a : answers)
    CHECK(a.get().ok);
  CHECK(stats_of(rt).batches == 4);
}

TEST_CASE("pad_inputs naming no input of the model is refused, naming the operator and the "
          "inputs it has") {
  repository repo{{1}};
  write_sequence_model(repo.root);
  threaded_runtime rt;
  auto refused = deployment::start(rt.sys, compile(sequence_graph_yaml("model: seq, pad_inputs: [ids]")),
                                   {}, operation_context{repo.root.string()});
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().message.find(
          "operator 'm': pad_inputs names 'ids', which is not an input of seq:1 (its inputs: x)")
        != std::string::npos);
}

TEST_CASE("text-classification.yaml answers a padded batch of token sequences as it answers "
          "each one alone") {
  std::ifstream file{fs::path{HOGAR_SOURCE_DIR} / "config" / "graphs" / "text-classification.yaml"};
  std::stringstream yaml;
  yaml << file.rdbuf();
  threaded_runtime rt;
  rt.deploy(yaml.str(), {}, operation_context{HOGAR_MODEL_REPOSITORY});
  auto sequence = [](int length) {
    std::vector<std::int64_t> ids(static_cast<std::size_t>(length));
    for (int i = 0; i < length; ++i)
      ids[static_cast<std::size_t>(i)] = (37 * length + 11 * i) % 1000;
    return record{{"input_ids", tensor::from_values<std::int64_t>({length}, ids)},
                  {"attention_mask", tensor::from_values<std::int64_t>(
                                       {length}, std::vector<std::int64_t>(ids.size(), 1))}};
  };
  // Alone: one request at a time, each a batch of its own.
  std::map<int, std::vector<float>> alone;
  for (int length = 3; length <= 10; ++length) {
    auto o = rt.infer(sequence(length));
    INFO(o.error);
    REQUIRE(o.ok);
    auto v = o.output("logits")->values<float>();
    alone[length] = {v.begin(), v.end()};
  }
  auto batches_before = stats_of(rt, "encoder").batches;
  // Together: lengths 3 to 10 at once, padded to the longest of their batch.
  std::vector<std::future<outcome>> answers;
  for (int length = 3; length <= 10; ++length)
    answers.push_back(std::async(std::launch::async, [&rt, &sequence, length] {
      return rt.infer(sequence(length));
    }));
  for (int length = 3; length <= 10; ++length) {
    auto o = answers[static_cast<std::size_t>(length - 3)].get();
    INFO("length ", length, ": ", o.error);
    REQUIRE(o.ok);
    auto v = o.output("logits")->values<float>();
    REQUIRE(v.size() == 2);
    for (std::size_t k = 0; k < 2; ++k)
      CHECK(v[k] == doctest::Approx(alone[length][k]).epsilon(1e-4));
  }
  CHECK(stats_of(rt, "encoder").batches - batches_before < 8);
}

TEST_CASE("a detector's kept boxes go back to the requests of its batch by their item column") {
  threaded_runtime rt;
  rt.deploy("graph: g\n"
            "inputs: [{name: images, dtype: float32, shape: [-1, 3, 64, 64]}]\n"
            "operators:\n"
            "  - {name: yolo, kind: model, inputs: [images], params: {model: yolo},\n"
            "     batching: {max_batch_size: 8, max_queue_delay_us: 20000}}\n"
            "outputs: [{name: selected, from: yolo.selected}]\n",
            {}, operation_context{HOGAR_MODEL_REPOSITORY});
  auto image = [](std::uint64_t seed) { return onnx::random_normalized_images(1, 64, 64, seed); };
  auto selected = [](const outcome& o) {
    auto t = o.output("selected");
    REQUIRE(t);
    REQUIRE(t->rank() == 2);
    REQUIRE(t->shape()[1] == 3);
    auto v = t->values<std::int64_t>();
    return std::vector<std::int64_t>(v.begin(), v.end());
  };
  std::vector<std::vector<std::int64_t>> alone;
  for (std::uint64_t i = 0; i < 8; ++i) {
    auto o = rt.infer(record{{"images", image(i)}});
    INFO(o.error);
    REQUIRE(o.ok);
    alone.push_back(selected(o));
    REQUIRE_FALSE(alone.back().empty());
    for (std::size_t r = 0; r < alone.back().size(); r += 3)
      CHECK(alone.back()[r] == 0); // a request of one image: item 0
  }
  auto batches_before = stats_of(rt).batches;
  std::vector<std::future<outcome>> answers;
  for (std::uint64_t i = 0; i < 8; ++i)
    answers.push_back(std::async(std::launch::async, [&rt, &image, i] {
      return rt.infer(record{{"images", image(i)}});
    }));
  for (std::size_t i = 0; i < 8; ++i) {
    auto o = answers[i].get();
    INFO("image ", i, ": ", o.error);
    REQUIRE(o.ok);
    CHECK(selected(o) == alone[i]);
  }
  CHECK(stats_of(rt).batches - batches_before < 8); // some batch held several images
  // A request carrying two images (the first is image 0: the same pixel stream) gets both
  // images' rows, numbered 0 and 1.
  auto o = rt.infer(record{{"images", onnx::random_normalized_images(2, 64, 64, 0)}});
  INFO(o.error);
  REQUIRE(o.ok);
  auto rows = selected(o);
  std::vector<std::int64_t> item0, item1;
  for (std::size_t r = 0; r < rows.size(); r += 3)
    (rows[r] == 0 ? item0 : item1).insert((rows[r] == 0 ? item0 : item1).end(),
                                          rows.begin() + static_cast<std::ptrdiff_t>(r),
                                          rows.begin() + static_cast<std::ptrdiff_t>(r) + 3);
  CHECK(item0 == alone[0]);
  CHECK_FALSE(item1.empty());
  for (std::size_t r = 0; r < item1.size(); r += 3)
    CHECK(item1[r] == 1);
}
