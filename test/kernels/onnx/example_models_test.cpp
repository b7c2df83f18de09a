// The example models of `hogar model generate`: valid ONNX with the documented interfaces,
// loaded, planned and run by hogar on both CPU paths alike, the same bytes on every
// generation, and a detector that finds a car in about half of all random images.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include "kernels/onnx/example_models.hpp"
#include "kernels/onnx/model_repository.hpp"
#include "kernels/onnx/onnx_reader.hpp"
#include "kernels/onnx/onnx_writer.hpp"
#include "kernels/onnx/plan.hpp"
#include "kernels/ops/image.hpp"
#include "kernels/random_tensor.hpp"
#include "test/kernels/onnx/fixture.hpp"

namespace hogar::onnx {

namespace {

using test::require_ok;

/// What each example model promises: its one input and its one output.
struct interface {
  std::string_view model;
  value_info input;
  value_info output;
};

const std::vector<interface>& documented() {
  static const std::vector<interface> table = {
    {"detector", {"image", dtype::float32, {-1, 3, 64, 64}}, {"scores", dtype::float32, {-1, 4}}},
    {"plate_reader",
     {"plate", dtype::float32, {-1, 3, 48, 96}},
     {"characters", dtype::float32, {-1, 7, 36}}},
    {"classifier",
     {"features", dtype::float32, {-1, 64}},
     {"probabilities", dtype::float32, {-1, 10}}},
    {"resnet18",
     {"input", dtype::float32, {-1, 3, 224, 224}},
     {"logits", dtype::float32, {-1, 1000}}},
    {"mobilenet_v2",
     {"input", dtype::float32, {-1, 3, 224, 224}},
     {"logits", dtype::float32, {-1, 1000}}},
  };
  return table;
}

/// The model built the way `hogar model generate` writes it, read back by hogar's reader.
model_graph written_and_read(const example_model& entry) {
  auto bytes = require_ok(serialize_model(entry.build(example_seed_default)));
  return require_ok(parse_model(bytes, std::string{entry.name}));
}

/// A batch of `batch` inputs fit for `m`'s first input: normalised noise images for the image
/// models, uniform features in [0, 1) for the classifier, and for integer inputs (the BERT
/// encoder's token ids and mask) integers in 0..99 over a sequence of 8.
tensor sample_input(const model_graph& m, std::int64_t batch, std::uint64_t seed,
                    std::size_t input = 0) {
  const auto& declared = m.inputs.at(input);
  const auto& shape = declared.shape;
  if (declared.type != dtype::float32)
    return random_tensor(declared.type, batch_shape(shape, batch), seed);
  if (shape.size() == 4)
    return random_normalized_images(batch, shape[2], shape[3], seed);
  shape_t concrete = shape;
  concrete[0] = batch;
  return uniform_tensor(dtype::float32, concrete, seed, 0);
}

/// sample_input for every input of `m`.
std::vector<tensor> sample_inputs(const model_graph& m, std::int64_t batch, std::uint64_t seed) {
  std::vector<tensor> inputs;
  for (std::size_t i = 0; i < m.inputs.size(); ++i)
    inputs.push_back(sample_input(m, batch, seed + i, i));
  return inputs;
}

/// max |a - b| / (1 + max |b|): both CPU paths sum in other orders, so they agree to float
/// rounding relative to the outputs' scale.
double normalised_error(const tensor& a, const tensor& b) {
  auto x = a.values<float>();
  auto y = b.values<float>();
  double worst = 0, scale = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(x[i]) - y[i]));
    scale = std::max(scale, std::abs(static_cast<double>(y[i])));
  }
  return worst / (1 + scale);
}

/// The outputs are probabilities: every row along the last axis lies in [0, 1] and sums to 1.
void check_softmax_rows(const tensor& t) {
  const auto row = t.shape().back();
  auto v = t.values<float>();
  for (std::size_t start = 0; start < v.size(); start += static_cast<std::size_t>(row)) {
    double sum = 0;
    for (std::int64_t k = 0; k < row; ++k) {
      const float p = v[start + static_cast<std::size_t>(k)];
      REQUIRE((p >= 0 && p <= 1));
      sum += p;
    }
    REQUIRE(sum == doctest::Approx(1).epsilon(1e-5));
  }
}

/// The images `count` 96x128 RGB noise pictures become in the image-analysis graph: bilinear
/// resize to 64x64 (hogar's resize operator), then the ImageNet normalisation, as CHW.
tensor resized_noise_images(std::int64_t count, std::uint64_t seed) {
  tensor out{dtype::float32, {count, 3, 64, 64}};
  auto o = out.mutable_values<float>();
  for (std::int64_t i = 0; i < count; ++i) {
    auto raw = random_tensor(dtype::uint8, {96, 128, 3}, seed + static_cast<std::uint64_t>(i));
    auto small = require_ok(ops::resize_image(raw, 64, 64, ops::image_layout::hwc,
                                              ops::resize_method::bilinear, "image"));
    auto px = small.values<std::uint8_t>();
    for (std::size_t c = 0; c < 3; ++c)
      for (std::size_t p = 0; p < 64 * 64; ++p)
        o[(static_cast<std::size_t>(i) * 3 + c) * 64 * 64 + p] = static_cast<float>(
          (px[p * 3 + c] / 255.0 - imagenet_mean[c]) / imagenet_std[c]);
  }
  return out;
}

/// The car scores of a batch of detector outputs.
std::vector<float> car_scores(const tensor& scores) {
  std::vector<float> car;
  auto v = scores.values<float>();
  for (std::size_t i = 1; i < v.size(); i += detector_labels.size())
    car.push_back(v[i]);
  return car;
}

double car_rate(const std::vector<float>& car) {
  auto n = std::count_if(car.begin(), car.end(), [](float p) { return p >= 0.5f; });
  return static_cast<double>(n) / static_cast<double>(car.size());
}

/// Every image of a batch mirrored left to right.
tensor mirrored(const tensor& images) {
  tensor out = images;
  auto v = out.mutable_values<float>();
  const auto width = static_cast<std::size_t>(images.shape().back());
  for (std::size_t row = 0; row < v.size(); row += width)
    std::reverse(v.begin() + static_cast<std::ptrdiff_t>(row),
                 v.begin() + static_cast<std::ptrdiff_t>(row + width));
  return out;
}

} // namespace

TEST_CASE("the catalogue lists the seven example models in order") {
  std::vector<std::string_view> names;
  for (auto& m : example_models())
    names.push_back(m.name);
  CHECK(names == std::vector<std::string_view>{"detector", "plate_reader", "classifier",
                                               "resnet18", "mobilenet_v2", "bert", "yolo"});
  CHECK(find_example_model("resnet18") == &example_models()[3]);
  CHECK(find_example_model("resnet50") == nullptr);
}

TEST_CASE("each example model has its documented input and output, opset 13") {
  for (auto& want : documented()) {
    CAPTURE(want.model);
    auto m = find_example_model(want.model)->build(example_seed_default);
    CHECK(m.name == want.model);
    CHECK(m.opset == 13);
    CHECK(m.ir_version == 8);
    REQUIRE(m.inputs.size() == 1);
    REQUIRE(m.outputs.size() == 1);
    CHECK(to_string(m.inputs[0]) == to_string(want.input));
    CHECK(m.inputs[0].name == want.input.name);
    CHECK(to_string(m.outputs[0]) == to_string(want.output));
    CHECK(m.outputs[0].name == want.output.name);
  }
}

TEST_CASE("the example models are valid ONNX, and ONNX infers their documented output shapes") {
  for (auto& want : documented()) {
    CAPTURE(want.model);
    auto built = find_example_model(want.model)->build(example_seed_default);
    auto bytes = require_ok(serialize_model(built));
    ::onnx::ModelProto proto;
    REQUIRE(proto.ParseFromString(bytes));
    try {
      ::onnx::checker::check_model(proto);
      // Forget the declared output shape and let ONNX's strict shape inference find it.
      auto* output = proto.mutable_graph()->mutable_output(0);
      output->mutable_type()->mutable_tensor_type()->clear_shape();
      ::onnx::shape_inference::InferShapes(proto, ::onnx::OpSchemaRegistry::Instance(),
                                           ::onnx::ShapeInferenceOptions{true, 1, true});
    } catch (const std::exception& e) {
      FAIL(e.what());
    }
    const auto& type = proto.graph().output(0).type().tensor_type();
    REQUIRE(type.has_shape());
    REQUIRE(static_cast<std::size_t>(type.shape().dim_size()) == want.output.shape.size());
    CHECK_FALSE(type.shape().dim(0).has_dim_value());
    for (int d = 1; d < type.shape().dim_size(); ++d)
      CHECK(type.shape().dim(d).dim_value() == want.output.shape[static_cast<std::size_t>(d)]);
  }
}

TEST_CASE("resnet18 has torchvision's layers and 11,689,512 parameters") {
  auto m = resnet18_model();
  std::int64_t parameters = 0;
  for (auto& [name, value] : m.initializers)
    if (!name.ends_with(".running_mean") && !name.ends_with(".running_var"))
      parameters += value.element_count();
  CHECK(parameters == 11'689'512);
  std::map<std::string, int> ops;
  for (auto& n : m.nodes)
    ++ops[n.op_type];
  CHECK(ops == std::map<std::string, int>{{"Add", 8}, {"BatchNormalization", 20}, {"Conv", 20},
                                          {"Flatten", 1}, {"Gemm", 1}, {"GlobalAveragePool", 1},
                                          {"MaxPool", 1}, {"Relu", 17}});
  auto shape_of = [&](const char* name) { return m.find_initializer(name)->shape(); };
  CHECK(shape_of("conv1.weight") == shape_t{64, 3, 7, 7});
  CHECK(shape_of("layer1.1.conv2.weight") == shape_t{64, 64, 3, 3});
  CHECK(shape_of("layer2.0.conv1.weight") == shape_t{128, 64, 3, 3});
  CHECK(shape_of("layer2.0.downsample.0.weight") == shape_t{128, 64, 1, 1});
  CHECK(shape_of("layer4.1.bn2.running_var") == shape_t{512});
  CHECK(shape_of("fc.weight") == shape_t{1000, 512});
  CHECK(m.find_initializer("layer1.0.downsample.0.weight") == nullptr);
}

TEST_CASE("every example model survives a write and a read unchanged") {
  for (auto& entry : example_models()) {
    CAPTURE(entry.name);
    auto built = entry.build(example_seed_default);
    if (!test::runs_every_op(built))
      continue;
    test::require_same_model(built, written_and_read(entry));
  }
}

TEST_CASE("each example model plans for a batch of 1 and of 4 with its documented output shape") {
  for (auto& want : documented()) {
    CAPTURE(want.model);
    auto m = find_example_model(want.model)->build(example_seed_default);
    if (!test::runs_every_op(m))
      continue;
    auto model =
      std::make_shared<const model_graph>(written_and_read(*find_example_model(want.model)));
    for (std::int64_t batch : {1, 4}) {
      CAPTURE(batch);
      shape_t in = want.input.shape, out = want.output.shape;
      in[0] = out[0] = batch;
      auto p = require_ok(plan::make(model, std::vector<shape_t>{in}));
      const auto& value = p.values()[static_cast<std::size_t>(p.outputs()[0])];
      CHECK(value.type.type == dtype::float32);
      CHECK(value.type.shape == out);
    }
  }
}

TEST_CASE("each example model runs on the reference and the fast CPU path with the same outputs") {
  for (auto& entry : example_models()) {
    CAPTURE(entry.name);
    auto m = written_and_read(entry);
    // The detector with NonMaxSuppression has a test of its own, below.
    if (!test::runs_every_op(m) || entry.name == "yolo")
      continue;
    auto reference = test::make_cpu_executor(m, nn::device::reference);
    auto cpu = test::make_cpu_executor(m, nn::device::cpu);
    // ResNet-18 costs 1.8 GMAC an image on the plain reference loops, MobileNetV2 0.3: one
    // image there. They and the BERT encoder answer logits, the others probabilities.
    const bool imagenet = entry.name == "resnet18" || entry.name == "mobilenet_v2";
    const bool logits = imagenet || entry.name == "bert";
    const std::vector<std::int64_t> batches =
      imagenet ? std::vector<std::int64_t>{1} : std::vector<std::int64_t>{1, 4};
    for (auto batch : batches) {
      CAPTURE(batch);
      auto inputs = sample_inputs(m, batch, 99 + static_cast<std::uint64_t>(batch));
      auto expected = require_ok(reference->run(inputs));
      auto actual = require_ok(cpu->run(inputs));
      REQUIRE(expected.size() == 1);
      REQUIRE(actual.size() == 1);
      shape_t out = m.outputs[0].shape;
      out[0] = batch;
      CHECK(expected[0].shape() == out);
      CHECK(actual[0].shape() == out);
      CHECK(normalised_error(actual[0], expected[0]) < 1e-4);
      if (logits) {
        // Logits of a sane size: neither vanished nor blown up through the residual blocks.
        double largest = 0;
        for (float v : expected[0].values<float>()) {
          REQUIRE(std::isfinite(v));
          largest = std::max(largest, std::abs(static_cast<double>(v)));
        }
        CHECK(largest > 0.1);
        CHECK(largest < 100);
      } else {
        check_softmax_rows(expected[0]);
        check_softmax_rows(actual[0]);
      }
    }
  }
}

TEST_CASE("the fast CPU path runs resnet18 on a batch of 4 with outputs of a sane size") {
  auto m = written_and_read(*find_example_model("resnet18"));
  if (!test::runs_every_op(m))
    return;
  auto cpu = test::make_cpu_executor(m, nn::device::cpu);
  std::vector<tensor> inputs = {sample_input(m, 4, 7)};
  auto out = require_ok(cpu->run(inputs));
  REQUIRE(out[0].shape() == shape_t{4, 1000});
  auto v = out[0].values<float>();
  double sum = 0, squares = 0;
  for (float x : v) {
    REQUIRE(std::isfinite(x));
    sum += x;
    squares += static_cast<double>(x) * x;
  }
  const double n = static_cast<double>(v.size());
  const double stddev = std::sqrt(squares / n - (sum / n) * (sum / n));
  MESSAGE("resnet18 logits: mean ", sum / n, ", standard deviation ", stddev);
  CHECK(stddev > 0.05);
  CHECK(stddev < 20);
  // Different images, different logits.
  CHECK_FALSE(std::equal(v.begin(), v.begin() + 1000, v.begin() + 1000));
}

TEST_CASE("the YOLO-shaped detector decodes boxes on the image and keeps at most 10 boxes per "
          "class above its score threshold, the same on both CPU paths") {
  auto m = written_and_read(*find_example_model("yolo"));
  std::map<std::string, int> ops;
  for (auto& n : m.nodes)
    ++ops[n.op_type];
  CHECK(ops["Conv"] == 13);
  CHECK(ops["Sigmoid"] == 13); // 10 SiLUs and 3 heads
  CHECK(ops["Resize"] == 2);
  CHECK(ops["NonMaxSuppression"] == 1);
  REQUIRE(m.outputs.size() == 3);
  auto reference = test::make_cpu_executor(m, nn::device::reference);
  auto cpu = test::make_cpu_executor(m, nn::device::cpu);
  const std::int64_t batch = 3, candidates = 3 * (8 * 8 + 4 * 4 + 2 * 2);
  std::vector<tensor> inputs = {sample_input(m, batch, 5)};
  auto expected = require_ok(reference->run(inputs));
  auto actual = require_ok(cpu->run(inputs));
  REQUIRE(expected.size() == 3);
  REQUIRE(actual.size() == 3);
  CHECK(expected[0].shape() == shape_t{batch, candidates, 4});
  CHECK(expected[1].shape() == shape_t{batch, 4, candidates});
  CHECK(normalised_error(actual[0], expected[0]) < 1e-4);
  CHECK(normalised_error(actual[1], expected[1]) < 1e-4);
  CHECK(actual[2] == expected[2]);
  // Centres near the image (a cell's centre moves at most 1.5 strides), sizes positive.
  auto boxes = expected[0].values<float>();
  for (std::size_t i = 0; i < boxes.size(); i += 4) {
    REQUIRE((boxes[i] > -48 && boxes[i] < 112 && boxes[i + 1] > -48 && boxes[i + 1] < 112));
    REQUIRE((boxes[i + 2] > 0 && boxes[i + 3] > 0));
  }
  auto scores = expected[1].values<float>();
  for (float s : scores)
    REQUIRE((s >= 0 && s <= 1));
  const auto& selected = expected[2];
  REQUIRE(selected.rank() == 2);
  REQUIRE(selected.shape()[1] == 3);
  CHECK(selected.shape()[0] > 0);
  auto rows = selected.values<std::int64_t>();
  std::map<std::pair<std::int64_t, std::int64_t>, int> kept;
  std::set<std::int64_t> items;
  for (std::size_t r = 0; r < rows.size(); r += 3) {
    const auto item = rows[r], label = rows[r + 1], box = rows[r + 2];
    REQUIRE((item >= 0 && item < batch && label >= 0 && label < 4 && box >= 0 &&
             box < candidates));
    CHECK(scores[static_cast<std::size_t>((item * 4 + label) * candidates + box)] >
          yolo_score_threshold);
    CHECK(++kept[{item, label}] <= yolo_keep_per_class);
    items.insert(item);
  }
  CHECK(items.size() == static_cast<std::size_t>(batch));
}

TEST_CASE("the BERT-shaped encoder runs any sequence length, and a token its mask leaves out "
          "changes nothing") {
  auto m = written_and_read(*find_example_model("bert"));
  REQUIRE(m.inputs.size() == 2);
  CHECK(m.inputs[0].type == dtype::int64);
  CHECK(m.inputs[0].shape == shape_t{-1, -1});
  for (auto device : {nn::device::reference, nn::device::cpu}) {
    auto exec = test::make_cpu_executor(m, device);
    for (std::int64_t length : {5, 16}) {
      INFO(nn::to_string(device), " path, sequence of ", length);
      auto ids = random_tensor(dtype::int64, {2, length}, 17);
      auto mask = tensor{dtype::int64, {2, length}};
      auto flags = mask.mutable_values<std::int64_t>();
      std::fill(flags.begin(), flags.end(), 1);
      // The second sequence's last two tokens are padding.
      flags[static_cast<std::size_t>(2 * length - 1)] = 0;
      flags[static_cast<std::size_t>(2 * length - 2)] = 0;
      auto answer = [&](const tensor& token_ids) {
        const std::vector<tensor> inputs = {token_ids, mask};
        auto out = require_ok(exec->run(inputs));
        REQUIRE(out[0].shape() == shape_t{2, 2});
        auto v = out[0].values<float>();
        return std::vector<float>(v.begin(), v.end());
      };
      auto logits = answer(ids);
      for (float x : logits)
        REQUIRE(std::isfinite(x));
      // Other ids under the mask: the same answer (softmax weights of e^-10000 are 0).
      auto padded = ids;
      auto p = padded.mutable_values<std::int64_t>();
      p[static_cast<std::size_t>(2 * length - 1)] = 999;
      p[static_cast<std::size_t>(2 * length - 2)] = 998;
      CHECK(answer(padded) == logits);
      // Another id where the mask attends: the second sequence's answer changes.
      auto changed = ids;
      changed.mutable_values<std::int64_t>()[static_cast<std::size_t>(length + 1)] = 999;
      auto other = answer(changed);
      CHECK(other[0] == logits[0]);
      CHECK(other[1] == logits[1]);
      CHECK((other[2] != logits[2] || other[3] != logits[3]));
    }
  }
}

TEST_CASE("the detector finds a car in about half of all random images, whichever kind") {
  auto m = written_and_read(*find_example_model("detector"));
  if (!test::runs_every_op(m))
    return;
  struct kind {
    std::string name;
    tensor images;
  };
  // Seeds other than the calibration's: these images were never seen at generation time.
  const kind kinds[] = {
    {"uniform pixels, normalised", random_normalized_images(96, 64, 64, 424242)},
    {"96x128 noise through the graph's resize and normalisation", resized_noise_images(64, 5150)},
    {"raw floats in [0, 1) (no normalisation)",
     uniform_tensor(dtype::float32, {64, 3, 64, 64}, 31337, 0)},
  };
  for (auto device : {nn::device::reference, nn::device::cpu}) {
    auto exec = test::make_cpu_executor(m, device);
    for (auto& k : kinds) {
      CAPTURE(k.name);
      CAPTURE(to_string(device));
      auto scores = require_ok(exec->run(std::span<const tensor>{&k.images, 1}));
      const auto rate = car_rate(car_scores(scores[0]));
      MESSAGE(to_string(device), ", ", k.name, ": car >= 0.5 for ", rate * 100, "% of ",
              k.images.shape()[0], " images");
      CHECK(rate >= 0.3);
      CHECK(rate <= 0.7);
    }
  }
}

TEST_CASE("the detector gives an image and its mirror complementary car scores") {
  auto m = written_and_read(*find_example_model("detector"));
  if (!test::runs_every_op(m))
    return;
  auto exec = test::make_cpu_executor(m, nn::device::cpu);
  auto images = random_normalized_images(16, 64, 64, 8080);
  auto direct = car_scores(require_ok(exec->run(std::span<const tensor>{&images, 1}))[0]);
  auto flipped = mirrored(images);
  auto mirror = car_scores(require_ok(exec->run(std::span<const tensor>{&flipped, 1}))[0]);
  float lowest = 1, highest = 0;
  for (std::size_t i = 0; i < direct.size(); ++i) {
    CHECK(direct[i] + mirror[i] == doctest::Approx(1).epsilon(1e-4));
    lowest = std::min(lowest, direct[i]);
    highest = std::max(highest, direct[i]);
  }
  // The calibration spreads the scores: the detector is sure of some images either way.
  CHECK(lowest < 0.3f);
  CHECK(highest > 0.7f);
}

TEST_CASE("generation writes the same bytes every time, whichever models are asked for") {
  test::scratch_dir first{"gen-a"}, second{"gen-b"}, alone{"gen-c"};
  const auto seed = example_seed_default;
  auto all = require_ok(generate_example_repository(first.path().string(), {}, seed));
  REQUIRE(all.size() == example_models().size());
  auto again = require_ok(generate_example_repository(second.path().string(), {}, seed));
  for (std::size_t i = 0; i < all.size(); ++i) {
    CAPTURE(all[i].name);
    CHECK(all[i].model_path == (first.path() / all[i].name / "1" / "model.onnx").string());
    CHECK(all[i].config_path == (first.path() / all[i].name / "config.yaml").string());
    CHECK(all[i].model_bytes == std::filesystem::file_size(all[i].model_path));
    CHECK(test::read_bytes(all[i].model_path) == test::read_bytes(again[i].model_path));
    CHECK(test::read_bytes(all[i].config_path) == test::read_bytes(again[i].config_path));
  }
  const std::vector<std::string> some = {"classifier", "detector"};
  auto two = require_ok(generate_example_repository(alone.path().string(), some, seed));
  REQUIRE(two.size() == 2);
  CHECK(two[0].name == "classifier");
  CHECK(test::read_bytes(two[0].model_path) == test::read_bytes(all[2].model_path));
  CHECK(test::read_bytes(two[1].model_path) == test::read_bytes(all[0].model_path));
  CHECK_FALSE(std::filesystem::exists(alone.path() / "resnet18"));
}

TEST_CASE("the weights are pinned: a seed gives the same values on every machine") {
  // A change here changes every generated model: it must be deliberate.
  auto m = classifier_model(example_seed_default);
  auto w = m.find_initializer("fc1.weight")->values<float>();
  CHECK(w[0] == -0x1.27975cp-3f);
  CHECK(w[1] == 0x1.330e94p-3f);
  CHECK(w[8191] == -0x1.bd764cp-4f);
  auto other = classifier_model(example_seed_default + 1);
  CHECK_FALSE(*other.find_initializer("fc1.weight") == *m.find_initializer("fc1.weight"));
}

TEST_CASE("generation refuses an unknown model before writing anything") {
  test::scratch_dir dir{"gen-unknown"};
  const std::vector<std::string> names = {"detector", "yolov8"};
  auto r = generate_example_repository(dir.path().string(), names, 1);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::not_found);
  CHECK(r.error().message ==
        "no example model 'yolov8' (there are: detector, plate_reader, classifier, resnet18, "
        "mobilenet_v2, bert, yolo)");
  CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("each generated config.yaml is a repository config that declares its model") {
  test::scratch_dir dir{"gen-config"};
  auto written = require_ok(generate_example_repository(dir.path().string(), {}, 7));
  for (auto& g : written) {
    CAPTURE(g.name);
    auto config = require_ok(read_model_config(g.config_path));
    CHECK(config.name == g.name);
    CHECK(config.max_batch_size == find_example_model(g.name)->max_batch_size);
    auto built = find_example_model(g.name)->build(7);
    auto problem = check_declared_io(config, built, g.config_path);
    CHECK_MESSAGE(!problem, (problem ? problem->message : ""));
  }
  auto text = test::read_bytes(written[0].config_path);
  CHECK(text.find("\nname: detector\nmax_batch_size: 8\ninputs:\n"
                  "  - {name: image, dtype: float32, shape: [-1, 3, 64, 64]}\noutputs:\n"
                  "  - {name: scores, dtype: float32, shape: [-1, 4]}\n") != std::string::npos);
  CHECK(text.find("# Written by `hogar model generate --seed 7`") != std::string::npos);
}

} // namespace hogar::onnx
