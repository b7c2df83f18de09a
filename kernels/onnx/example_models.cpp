#include "kernels/onnx/example_models.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "kernels/onnx/onnx_writer.hpp"
#include "kernels/random_tensor.hpp"

namespace hogar::onnx {

namespace {

constexpr std::int64_t example_opset = 13;

// ---------------------------------------------------------------------------------------------
// Deterministic weights

/// FNV-1a, 64 bits: a stable hash of names (std::hash may differ between library versions).
std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 0xcbf29ce484222325ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

/// The random stream of one tensor of one model: it depends on nothing else, so adding a layer
/// or generating one model alone leaves every other tensor's bytes as they were.
splitmix64 stream_for(std::uint64_t seed, std::string_view model, std::string_view tensor_name) {
  splitmix64 mix{seed ^ fnv1a(tensor_name, fnv1a("/", fnv1a(model)))};
  return splitmix64{mix.next()};
}

/// Uniform in [-1, 1) with 24 random bits: a float exactly, so that its product with another
/// float is exact in double and each weight is rounded once, the same way on every machine
/// (whether or not the compiler fuses a multiply and an add).
double signed_unit(splitmix64& rng) {
  const auto draw = static_cast<std::int64_t>(rng.next() >> 40) - (std::int64_t{1} << 23);
  return static_cast<double>(draw) * 0x1.0p-23;
}

/// He/Kaiming uniform bound for `fan_in` inputs: variance bound^2 / 3 = 2 / fan_in.
double he_bound(std::int64_t fan_in) {
  return std::sqrt(6.0 / static_cast<double>(fan_in));
}

attribute int_attr(std::string name, std::int64_t v) { return {std::move(name), v}; }
attribute float_attr(std::string name, float v) { return {std::move(name), v}; }
attribute ints_attr(std::string name, std::vector<std::int64_t> v) {
  return {std::move(name), std::move(v)};
}

/// Builds a model_graph layer by layer. Every node's output value is named after the node
/// (graph outputs excepted), weights after torchvision's state_dict keys ("conv1.weight").
class graph_builder {
public:
  graph_builder(std::string model_name, std::uint64_t seed) : seed_(seed) {
    m_.name = std::move(model_name);
    m_.source = m_.name;
    m_.producer = "hogar model generate";
    m_.ir_version = onnx_ir_version_written;
    m_.opset = example_opset;
  }

  model_graph& model() noexcept { return m_; }

  std::string input(std::string name, shape_t shape, dtype type = dtype::float32) {
    m_.inputs.push_back({name, type, std::move(shape)});
    return name;
  }

  /// Declares `value` (the output of the last node added) a graph output.
  void output(const std::string& value, shape_t shape, dtype type = dtype::float32) {
    m_.outputs.push_back({value, type, std::move(shape)});
  }

  /// float32 initializer, uniform in [centre - half_width, centre + half_width).
  std::string uniform(const std::string& name, shape_t shape, double centre, double half_width) {
    auto rng = stream_for(seed_, m_.name, name);
    tensor t{dtype::float32, std::move(shape)};
    // Rounded to float first: centre + half_width * draw is then one rounding away from exact.
    const double c = static_cast<float>(centre);
    const double h = static_cast<float>(half_width);
    for (auto& v : t.mutable_values<float>())
      v = static_cast<float>(c + h * signed_unit(rng));
    m_.initializers.insert_or_assign(name, std::move(t));
    return name;
  }

  std::string constant(const std::string& name, tensor value) {
    m_.initializers.insert_or_assign(name, std::move(value));
    return name;
  }

  /// Adds a node; its output is `output`, or the node's name when empty.
  std::string node(std::string op_type, const std::string& name, std::vector<std::string> inputs,
                   std::vector<attribute> attributes = {}, std::string output = {}) {
    onnx::node n;
    n.op_type = std::move(op_type);
    n.name = name;
    n.inputs = std::move(inputs);
    n.outputs = {output.empty() ? name : std::move(output)};
    n.attributes = std::move(attributes);
    m_.nodes.push_back(std::move(n));
    return m_.nodes.back().outputs[0];
  }

  /// Conv k x k with He-uniform weights [out, in, k, k]; a bias (PyTorch's default init,
  /// bound 1 / sqrt(fan_in)) only when asked: convolutions before a BatchNormalization have none.
  /// With `group` > 1 the weights are [out, in / group, k, k] (a depthwise Conv: group = in).
  std::string conv(const std::string& name, const std::string& x, std::int64_t in_channels,
                   std::int64_t out_channels, std::int64_t kernel, std::int64_t stride,
                   std::int64_t pad, bool bias = false, std::int64_t group = 1) {
    const auto fan_in = in_channels / group * kernel * kernel;
    std::vector<std::string> inputs = {
      x, uniform(name + ".weight", {out_channels, in_channels / group, kernel, kernel}, 0,
                 he_bound(fan_in))};
    if (bias)
      inputs.push_back(uniform(name + ".bias", {out_channels}, 0,
                               1.0 / std::sqrt(static_cast<double>(fan_in))));
    return node("Conv", name, std::move(inputs),
                {ints_attr("dilations", {1, 1}), int_attr("group", group),
                 ints_attr("kernel_shape", {kernel, kernel}),
                 ints_attr("pads", {pad, pad, pad, pad}), ints_attr("strides", {stride, stride})});
  }

  /// BatchNormalization with statistics such as training leaves: gamma around `gamma_centre`
  /// (+-20%), beta, mean within +-0.1, variance within 1 +- 0.2.
  std::string batch_norm(const std::string& name, const std::string& x, std::int64_t channels,
                         double gamma_centre = 1.0) {
    return node("BatchNormalization", name,
                {x, uniform(name + ".weight", {channels}, gamma_centre, 0.2 * gamma_centre),
                 uniform(name + ".bias", {channels}, 0, 0.1),
                 uniform(name + ".running_mean", {channels}, 0, 0.1),
                 uniform(name + ".running_var", {channels}, 1, 0.2)},
                {float_attr("epsilon", batch_norm_epsilon)});
  }

  std::string relu(const std::string& name, const std::string& x) {
    return node("Relu", name, {x});
  }

  /// ReLU6 as PyTorch exports it from opset 11: Clip with the bounds 0 and 6 as inputs.
  std::string relu6(const std::string& name, const std::string& x) {
    if (!m_.initializers.count("relu6.min")) {
      constant("relu6.min", tensor::scalar(0.0f));
      constant("relu6.max", tensor::scalar(6.0f));
    }
    return node("Clip", name, {x, "relu6.min", "relu6.max"});
  }

  std::string pool(std::string op_type, const std::string& name, const std::string& x,
                   std::int64_t kernel, std::int64_t stride, std::int64_t pad = 0) {
    return node(std::move(op_type), name, {x},
                {int_attr("ceil_mode", 0), ints_attr("kernel_shape", {kernel, kernel}),
                 ints_attr("pads", {pad, pad, pad, pad}), ints_attr("strides", {stride, stride})});
  }

  /// Gemm with PyTorch Linear's layout (weight [out, in], transB = 1) and default init.
  std::string linear(const std::string& name, const std::string& x, std::int64_t in_features,
                     std::int64_t out_features, std::string output = {}) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
    return node("Gemm", name,
                {x, uniform(name + ".weight", {out_features, in_features}, 0, bound),
                 uniform(name + ".bias", {out_features}, 0, bound)},
                {float_attr("alpha", 1.0f), float_attr("beta", 1.0f), int_attr("transB", 1)},
                std::move(output));
  }

  std::string softmax(const std::string& name, const std::string& x, std::string output) {
    return node("Softmax", name, {x}, {int_attr("axis", -1)}, std::move(output));
  }

  static constexpr float batch_norm_epsilon = 1e-5f;

private:
  std::uint64_t seed_;
  model_graph m_;
};

// ---------------------------------------------------------------------------------------------
// The detector and its calibration

/// The detector's convolution stages: Conv 3x3 pad 1 + BatchNormalization + Relu, then a
/// MaxPool 2x2/2 where `pool`. One table builds the graph and drives the calibration pass.
struct detector_stage {
  const char* name;
  std::int64_t channels;
  bool pool;
};
constexpr detector_stage detector_stages[] = {
  {"stage1", 8, true}, {"stage2", 16, true}, {"stage3", 32, true}, {"stage4", 64, false}};
constexpr std::int64_t detector_features = 64;
constexpr std::size_t detector_car = 1;

// The detector's weights are random, so its car score means nothing; the demo graph only
// needs it to say "car" for some images and not for others, whatever the images are (uniform
// noise, noise passed through the graph's bilinear resize, pixels left unnormalised). A bias
// fitted to one kind of image does not carry over: the features of random images concentrate
// tightly around a mean that moves with the images' smoothness (a bias fitted to 64x64 uniform
// noise says "no car" to every 96x128 noise image that the graph resizes to 64x64). So the
// decision rests on a symmetry instead:
//   - the trunk is mirror-equivariant: each stage's channels come in pairs (k, k + half) whose
//     kernels are flipped left to right (the second reading the mirror of each input channel)
//     and share their batch norm; so the left-right mirror of an image has the same features
//     with each pair swapped (mirror_detector_trunk);
//   - the car logit is s * sum_k r_k (f_k - f_{k+half}) + b: odd under mirroring but for b;
//     the other classes' rows are 0 (their logits are their biases), and b is the logsumexp
//     of those biases, so the car score is >= 0.5 exactly when the sum is >= 0.
// For any kind of image that a left-right mirror leaves equally likely (all of the above), an
// image and its mirror get opposite answers: the car score is >= 0.5 for half of them, with
// nothing fitted. The scale s only sets how sure the detector is: a double-precision forward
// pass of the trunk over detector_calibration_images seeded random images
// (random_normalized_images) measures the spread of the sum, and s makes its root mean square
// detector_logit_spread, so that car scores range over roughly 0.1 to 0.9. s is rounded to 10
// significant bits and b to 16, so that a last-bit difference in the pass or the logarithm
// (another libm, fused multiply-adds) does not change the bytes written.
//
// The pass is a small forward pass of its own rather than hogar's executor: generation runs at
// build time, before and independently of the kernels that the tests then check the detector
// with (test/kernels/onnx: the branch rate of fresh images through the reference and the fast
// CPU executors; mirrored images get complementary car scores).
constexpr std::int64_t detector_calibration_images = 32;
constexpr double detector_logit_spread = 2.0;

/// x rounded to `bits` significant bits.
double round_significant(double x, int bits) {
  int exponent = 0;
  double mantissa = std::frexp(x, &exponent);
  return std::ldexp(std::nearbyint(std::ldexp(mantissa, bits)), exponent - bits);
}

/// Makes the detector's trunk mirror-equivariant (see above): output channel o + half of every
/// stage gets the kernels of channel o flipped left to right, each reading the mirror of its
/// input channel (the RGB channels are their own mirrors), and the batch norm of channel o.
void mirror_detector_trunk(model_graph& m) {
  std::int64_t in_channels = 3;
  bool in_paired = false;
  for (auto& stage : detector_stages) {
    const std::string name = stage.name;
    const auto out_channels = stage.channels, half = out_channels / 2, k = std::int64_t{3};
    auto w = m.initializers.at(name + ".conv.weight").mutable_values<float>();
    auto mirror = [&](std::int64_t c) {
      const auto in_half = in_channels / 2;
      return !in_paired ? c : c < in_half ? c + in_half : c - in_half;
    };
    auto at = [&](std::int64_t o, std::int64_t c, std::int64_t y, std::int64_t x) -> float& {
      return w[static_cast<std::size_t>(((o * in_channels + c) * k + y) * k + x)];
    };
    for (std::int64_t o = half; o < out_channels; ++o)
      for (std::int64_t c = 0; c < in_channels; ++c)
        for (std::int64_t y = 0; y < k; ++y)
          for (std::int64_t x = 0; x < k; ++x)
            at(o, c, y, x) = at(o - half, mirror(c), y, k - 1 - x);
    for (const char* part : {".weight", ".bias", ".running_mean", ".running_var"}) {
      auto p = m.initializers.at(name + ".bn" + part).mutable_values<float>();
      std::copy_n(p.begin(), half, p.begin() + half);
    }
    in_channels = out_channels;
    in_paired = true;
  }
}

/// One image, channels x height x width, in double.
struct feature_map {
  std::int64_t channels = 0;
  std::int64_t height = 0;
  std::int64_t width = 0;
  std::vector<double> data;
};

/// Conv 3x3, pad 1, stride 1, no bias; then the BatchNormalization `bn` and a Relu.
feature_map conv_bn_relu(const feature_map& in, const tensor& weight, const model_graph& m,
                         const std::string& bn) {
  const auto C = in.channels, H = in.height, W = in.width;
  const auto M = weight.shape()[0];
  const auto Hp = H + 2, Wp = W + 2;
  std::vector<double> padded(static_cast<std::size_t>(C * Hp * Wp), 0.0);
  for (std::int64_t c = 0; c < C; ++c)
    for (std::int64_t y = 0; y < H; ++y)
      std::copy_n(&in.data[static_cast<std::size_t>((c * H + y) * W)], W,
                  &padded[static_cast<std::size_t>((c * Hp + y + 1) * Wp + 1)]);
  feature_map out{M, H, W, std::vector<double>(static_cast<std::size_t>(M * H * W), 0.0)};
  auto w = weight.values<float>();
  auto gamma = m.find_initializer(bn + ".weight")->values<float>();
  auto beta = m.find_initializer(bn + ".bias")->values<float>();
  auto mean = m.find_initializer(bn + ".running_mean")->values<float>();
  auto var = m.find_initializer(bn + ".running_var")->values<float>();
  for (std::int64_t o = 0; o < M; ++o) {
    double* dst = &out.data[static_cast<std::size_t>(o * H * W)];
    for (std::int64_t c = 0; c < C; ++c)
      for (std::int64_t ky = 0; ky < 3; ++ky)
        for (std::int64_t kx = 0; kx < 3; ++kx) {
          const double wv = w[static_cast<std::size_t>(((o * C + c) * 3 + ky) * 3 + kx)];
          for (std::int64_t y = 0; y < H; ++y) {
            const double* src = &padded[static_cast<std::size_t>((c * Hp + y + ky) * Wp + kx)];
            double* row = dst + y * W;
            for (std::int64_t x = 0; x < W; ++x)
              row[x] += wv * src[x];
          }
        }
    const auto oc = static_cast<std::size_t>(o);
    const double scale =
      gamma[oc] / std::sqrt(static_cast<double>(var[oc]) + graph_builder::batch_norm_epsilon);
    const double shift = beta[oc] - mean[oc] * scale;
    for (std::int64_t i = 0; i < H * W; ++i)
      dst[i] = std::max(0.0, dst[i] * scale + shift);
  }
  return out;
}

feature_map max_pool_2x2(const feature_map& in) {
  const auto H = in.height / 2, W = in.width / 2;
  feature_map out{in.channels, H, W,
                  std::vector<double>(static_cast<std::size_t>(in.channels * H * W))};
  for (std::int64_t c = 0; c < in.channels; ++c)
    for (std::int64_t y = 0; y < H; ++y)
      for (std::int64_t x = 0; x < W; ++x) {
        auto at = [&](std::int64_t dy, std::int64_t dx) {
          const auto row = c * in.height + 2 * y + dy;
          return in.data[static_cast<std::size_t>(row * in.width + 2 * x + dx)];
        };
        out.data[static_cast<std::size_t>((c * H + y) * W + x)] =
          std::max({at(0, 0), at(0, 1), at(1, 0), at(1, 1)});
      }
  return out;
}

/// The detector's trunk (its stages and the global average pool) on image `index` of `images`.
std::vector<double> detector_trunk(const model_graph& m, const tensor& images, std::int64_t index) {
  const auto& s = images.shape();
  feature_map x{s[1], s[2], s[3], {}};
  auto pixels = images.values<float>().subspan(static_cast<std::size_t>(index * s[1] * s[2] * s[3]),
                                               static_cast<std::size_t>(s[1] * s[2] * s[3]));
  x.data.assign(pixels.begin(), pixels.end());
  for (auto& stage : detector_stages) {
    const std::string name = stage.name;
    x = conv_bn_relu(x, *m.find_initializer(name + ".conv.weight"), m, name + ".bn");
    if (stage.pool)
      x = max_pool_2x2(x);
  }
  std::vector<double> features(static_cast<std::size_t>(x.channels));
  const auto area = x.height * x.width;
  for (std::int64_t c = 0; c < x.channels; ++c) {
    double sum = 0;
    for (std::int64_t i = 0; i < area; ++i)
      sum += x.data[static_cast<std::size_t>(c * area + i)];
    features[static_cast<std::size_t>(c)] = sum / static_cast<double>(area);
  }
  return features;
}

/// Sets the final Gemm as described above detector_calibration_images: the car row from its
/// drawn first half r (odd in each channel pair) scaled by s, the other rows 0, the car's bias
/// the logsumexp of the others'.
void calibrate_detector(model_graph& m, std::uint64_t seed) {
  auto rng = stream_for(seed, m.name, "calibration images");
  const auto images = random_normalized_images(detector_calibration_images, detector_image_size,
                                               detector_image_size, rng.next());
  constexpr auto features = static_cast<std::size_t>(detector_features), half = features / 2;
  auto w = m.initializers.at("fc.weight").mutable_values<float>();
  const std::vector<double> r(&w[detector_car * features], &w[detector_car * features + half]);
  double sum_squares = 0;
  for (std::int64_t i = 0; i < detector_calibration_images; ++i) {
    auto f = detector_trunk(m, images, i);
    double u = 0;
    for (std::size_t k = 0; k < half; ++k)
      u += r[k] * (f[k] - f[k + half]);
    sum_squares += u * u;
  }
  const double rms = std::sqrt(sum_squares / static_cast<double>(detector_calibration_images));
  const double scale = round_significant(detector_logit_spread / rms, 10);
  std::fill(w.begin(), w.end(), 0.0f);
  for (std::size_t k = 0; k < half; ++k) {
    w[detector_car * features + k] = static_cast<float>(scale * r[k]);
    w[detector_car * features + k + half] = -w[detector_car * features + k];
  }
  auto b = m.initializers.at("fc.bias").mutable_values<float>();
  double others = 0;
  for (std::size_t j = 0; j < b.size(); ++j)
    if (j != detector_car)
      others += std::exp(static_cast<double>(b[j]));
  b[detector_car] = static_cast<float>(round_significant(std::log(others), 16));
}

// ---------------------------------------------------------------------------------------------
// The catalogue

std::string shape_yaml(const shape_t& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

} // namespace

tensor random_normalized_images(std::int64_t count, std::int64_t height, std::int64_t width,
                                std::uint64_t seed) {
  // One table per channel: every pixel value maps to its normalised float, computed once.
  std::array<std::array<float, 256>, 3> table{};
  for (std::size_t c = 0; c < 3; ++c)
    for (std::size_t p = 0; p < 256; ++p)
      table[c][p] = static_cast<float>((static_cast<double>(p) / 255.0 - imagenet_mean[c]) /
                                       imagenet_std[c]);
  tensor images{dtype::float32, {count, 3, height, width}};
  auto v = images.mutable_values<float>();
  splitmix64 rng{seed};
  const auto plane = static_cast<std::size_t>(height * width);
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = table[(i / plane) % 3][rng.next() >> 56];
  return images;
}

model_graph detector_model(std::uint64_t seed) {
  graph_builder b{"detector", seed};
  auto x = b.input("image", {-1, 3, detector_image_size, detector_image_size});
  std::int64_t channels = 3;
  for (auto& stage : detector_stages) {
    const std::string name = stage.name;
    x = b.conv(name + ".conv", x, channels, stage.channels, 3, 1, 1);
    x = b.batch_norm(name + ".bn", x, stage.channels);
    x = b.relu(name + ".relu", x);
    if (stage.pool)
      x = b.pool("MaxPool", name + ".pool", x, 2, 2);
    channels = stage.channels;
  }
  x = b.node("GlobalAveragePool", "avgpool", {x});
  x = b.node("Flatten", "flatten", {x}, {int_attr("axis", 1)});
  x = b.linear("fc", x, detector_features, std::int64_t(detector_labels.size()));
  x = b.softmax("softmax", x, "scores");
  b.output(x, {-1, std::int64_t(detector_labels.size())});
  mirror_detector_trunk(b.model());
  calibrate_detector(b.model(), seed);
  return std::move(b.model());
}

model_graph plate_reader_model(std::uint64_t seed) {
  graph_builder b{"plate_reader", seed};
  auto x = b.input("plate", {-1, 3, 48, 96});
  std::int64_t channels = 3;
  int index = 1;
  for (std::int64_t out : {16, 32, 64}) {
    const auto name = fmt::format("stage{}", index++);
    x = b.conv(name + ".conv", x, channels, out, 3, 1, 1);
    x = b.batch_norm(name + ".bn", x, out);
    x = b.relu(name + ".relu", x);
    x = b.pool("MaxPool", name + ".pool", x, 2, 2);
    channels = out;
  }
  // [64, 6, 12] -> [64, 3, 6]
  x = b.pool("AveragePool", "avgpool", x, 2, 2);
  x = b.node("Flatten", "flatten", {x}, {int_attr("axis", 1)});
  const std::int64_t symbols = std::int64_t(plate_symbols.size());
  x = b.linear("fc", x, 64 * 3 * 6, plate_positions * symbols);
  auto shape = b.constant("reshape.shape",
                          tensor::from_values(shape_t{3}, std::vector<std::int64_t>{
                                                              -1, plate_positions, symbols}));
  x = b.node("Reshape", "reshape", {x, shape});
  x = b.softmax("softmax", x, "characters");
  b.output(x, {-1, plate_positions, symbols});
  return std::move(b.model());
}

model_graph classifier_model(std::uint64_t seed) {
  graph_builder b{"classifier", seed};
  auto x = b.input("features", {-1, 64});
  // MatMul's weight is [in, out] (no transpose attribute), the bias a separate Add.
  x = b.node("MatMul", "fc1.matmul", {x, b.uniform("fc1.weight", {64, 128}, 0, he_bound(64))});
  x = b.node("Add", "fc1.add", {x, b.uniform("fc1.bias", {128}, 0, 1.0 / 8)});
  x = b.relu("relu", x);
  x = b.linear("fc2", x, 128, 10);
  x = b.softmax("softmax", x, "probabilities");
  b.output(x, {-1, 10});
  return std::move(b.model());
}

model_graph resnet18_model(std::uint64_t seed) {
  graph_builder b{"resnet18", seed};
  auto x = b.input("input", {-1, 3, 224, 224});
  x = b.conv("conv1", x, 3, 64, 7, 2, 3);
  x = b.batch_norm("bn1", x, 64);
  x = b.relu("relu", x);
  x = b.pool("MaxPool", "maxpool", x, 3, 2, 1);
  std::int64_t channels = 64;
  for (int stage = 1; stage <= 4; ++stage) {
    const std::int64_t out = std::int64_t{64} << (stage - 1);
    for (int block = 0; block < 2; ++block) {
      const auto p = fmt::format("layer{}.{}", stage, block);
      const std::int64_t stride = stage > 1 && block == 0 ? 2 : 1;
      auto identity = x;
      auto y = b.conv(p + ".conv1", x, channels, out, 3, stride, 1);
      y = b.batch_norm(p + ".bn1", y, out);
      y = b.relu(p + ".relu1", y);
      y = b.conv(p + ".conv2", y, out, out, 3, 1, 1);
      // A residual branch at a quarter of the scale of its input: with unit gammas each block
      // would about double the variance, 2^8 over the network.
      y = b.batch_norm(p + ".bn2", y, out, 0.25);
      if (stride != 1 || channels != out) {
        identity = b.conv(p + ".downsample.0", x, channels, out, 1, stride, 0);
        // The He-scaled 1x1 Conv doubles the variance of the Relu output it reads.
        identity = b.batch_norm(p + ".downsample.1", identity, out, 1 / std::sqrt(2.0));
      }
      x = b.node("Add", p + ".add", {y, identity});
      x = b.relu(p + ".relu2", x);
      channels = out;
    }
  }
  x = b.node("GlobalAveragePool", "avgpool", {x});
  x = b.node("Flatten", "flatten", {x}, {int_attr("axis", 1)});
  x = b.linear("fc", x, 512, 1000, "logits");
  b.output(x, {-1, 1000});
  return std::move(b.model());
}

model_graph mobilenet_v2_model(std::uint64_t seed) {
  graph_builder b{"mobilenet_v2", seed};
  auto x = b.input("input", {-1, 3, 224, 224});
  // torchvision's names: features.N.conv.M for the layers of block N.
  auto conv_bn_relu6 = [&](const std::string& prefix, const std::string& in, std::int64_t from,
                           std::int64_t to, std::int64_t kernel, std::int64_t stride,
                           std::int64_t group) {
    auto y = b.conv(prefix + ".0", in, from, to, kernel, stride, kernel / 2, false, group);
    y = b.batch_norm(prefix + ".1", y, to);
    return b.relu6(prefix + ".2", y);
  };
  x = conv_bn_relu6("features.0", x, 3, 32, 3, 2, 1);
  // (expansion t, output channels c, blocks n, stride s of the first block), as the paper's
  // Table 2 and torchvision's inverted_residual_setting.
  constexpr std::array<std::array<std::int64_t, 4>, 7> settings = {{
    {1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
    {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
  }};
  std::int64_t channels = 32;
  int index = 1;
  for (auto [t, c, n, s] : settings) {
    for (std::int64_t i = 0; i < n; ++i, ++index) {
      const auto p = fmt::format("features.{}.conv", index);
      const std::int64_t stride = i == 0 ? s : 1;
      const std::int64_t hidden = channels * t;
      auto y = x;
      int layer = 0;
      if (t != 1)
        y = conv_bn_relu6(fmt::format("{}.{}", p, layer++), y, channels, hidden, 1, 1, 1);
      y = conv_bn_relu6(fmt::format("{}.{}", p, layer++), y, hidden, hidden, 3, stride, hidden);
      y = b.conv(fmt::format("{}.{}", p, layer), y, hidden, c, 1, 1, 0);
      const bool residual = stride == 1 && channels == c;
      // The linear bottleneck; a residual branch at half scale keeps the sum's variance from
      // growing block after block (17 blocks).
      y = b.batch_norm(fmt::format("{}.{}", p, layer + 1), y, c, residual ? 0.5 : 1.0);
      x = residual ? b.node("Add", fmt::format("features.{}.add", index), {x, y}) : y;
      channels = c;
    }
  }
  x = conv_bn_relu6("features.18", x, channels, 1280, 1, 1, 1);
  x = b.node("GlobalAveragePool", "avgpool", {x});
  x = b.node("Flatten", "flatten", {x}, {int_attr("axis", 1)});
  x = b.linear("classifier.1", x, 1280, 1000, "logits");
  b.output(x, {-1, 1000});
  return std::move(b.model());
}

/// A BERT encoder as Hugging Face's exporter writes one at opset 13 (torch.onnx, before
/// LayerNormalization and Gelu were ONNX ops): token, position and token-type embeddings
/// (Gather), LayerNorm spelled ReduceMean/Sub/Pow/Sqrt/Div, self-attention with the mask made
/// by Cast and Where, Gelu spelled with Erf, and a pooler and classifier on the first token.
/// The position ids come from a Shape -> Gather -> Range chain, which folds at plan time.
model_graph bert_model(std::uint64_t seed) {
  constexpr std::int64_t hidden = 128, heads = 2, head_size = hidden / heads, ffn = 512;
  constexpr std::int64_t vocab = 1000, max_positions = 512, layers = 2, classes = 2;
  graph_builder b{"bert", seed};
  auto ids = b.input("input_ids", {-1, -1}, dtype::int64);
  auto mask = b.input("attention_mask", {-1, -1}, dtype::int64);
  const double init = 0.02 * std::sqrt(3.0); // BERT's N(0, 0.02) as a uniform of that spread
  auto i64 = [&](const std::string& name, std::vector<std::int64_t> values) {
    auto n = static_cast<std::int64_t>(values.size());
    return b.constant(name, tensor::from_values<std::int64_t>({n}, values));
  };
  auto f32 = [&](const std::string& name, float v) { return b.constant(name, tensor::scalar(v)); };
  auto layer_norm = [&](const std::string& p, const std::string& x) {
    auto mean = b.node("ReduceMean", p + ".mean", {x}, {ints_attr("axes", {-1})});
    auto centred = b.node("Sub", p + ".sub", {x, mean});
    auto square = b.node("Pow", p + ".pow", {centred, f32("ln.two", 2.0f)});
    auto var = b.node("ReduceMean", p + ".var", {square}, {ints_attr("axes", {-1})});
    auto std = b.node("Sqrt", p + ".sqrt", {b.node("Add", p + ".add_eps", {var, f32("ln.eps", 1e-12f)})});
    auto normed = b.node("Div", p + ".div", {centred, std});
    auto scaled = b.node("Mul", p + ".mul", {normed, b.uniform(p + ".weight", {hidden}, 1, 0.1)});
    return b.node("Add", p + ".add", {scaled, b.uniform(p + ".bias", {hidden}, 0, 0.1)});
  };
  auto dense = [&](const std::string& p, const std::string& x, std::int64_t in, std::int64_t out) {
    auto y = b.node("MatMul", p + ".matmul", {x, b.uniform(p + ".weight", {in, out}, 0, init)});
    return b.node("Add", p + ".add", {y, b.uniform(p + ".bias", {out}, 0, 0.02)});
  };

  // Embeddings. Position ids: Range(0, sequence length) from the ids' shape.
  auto words = b.node("Gather", "embeddings.word",
                      {b.uniform("embeddings.word_embeddings.weight", {vocab, hidden}, 0, init), ids});
  auto shape = b.node("Shape", "embeddings.shape", {ids});
  auto length = b.node("Gather", "embeddings.length",
                       {shape, b.constant("embeddings.axis1", tensor::scalar(std::int64_t{1}))},
                       {int_attr("axis", 0)});
  auto positions = b.node("Range", "embeddings.position_ids",
                          {b.constant("embeddings.zero", tensor::scalar(std::int64_t{0})), length,
                           b.constant("embeddings.one", tensor::scalar(std::int64_t{1}))});
  positions = b.node("Unsqueeze", "embeddings.position_ids.unsqueeze",
                     {positions, i64("axes0", {0})});
  auto position_embeddings = b.node(
    "Gather", "embeddings.position",
    {b.uniform("embeddings.position_embeddings.weight", {max_positions, hidden}, 0, init), positions});
  auto x = b.node("Add", "embeddings.add_position", {words, position_embeddings});
  x = b.node("Add", "embeddings.add_token_type",
             {x, b.uniform("embeddings.token_type_embeddings.weight", {hidden}, 0, init)});
  x = layer_norm("embeddings.LayerNorm", x);

  // The additive mask [batch, 1, 1, sequence]: 0 where attended, -10000 where masked.
  auto attended = b.node("Cast", "mask.cast", {mask}, {int_attr("to", 9 /* BOOL */)});
  auto additive = b.node("Where", "mask.where",
                         {attended, f32("mask.keep", 0.0f), f32("mask.drop", -10000.0f)});
  additive = b.node("Unsqueeze", "mask.unsqueeze", {additive, i64("axes12", {1, 2})});

  auto split_heads = i64("shape.heads", {0, 0, heads, head_size});
  auto merge_heads = i64("shape.hidden", {0, 0, hidden});
  for (std::int64_t l = 0; l < layers; ++l) {
    const auto p = fmt::format("encoder.layer.{}", l);
    auto heads_of = [&](const std::string& name, const std::vector<std::int64_t>& perm) {
      auto y = dense(p + ".attention.self." + name, x, hidden, hidden);
      y = b.node("Reshape", p + ".attention.self." + name + ".reshape", {y, split_heads});
      return b.node("Transpose", p + ".attention.self." + name + ".transpose", {y},
                    {ints_attr("perm", perm)});
    };
    auto q = heads_of("query", {0, 2, 1, 3});
    auto k = heads_of("key", {0, 2, 3, 1});
    auto v = heads_of("value", {0, 2, 1, 3});
    auto scores = b.node("MatMul", p + ".attention.scores", {q, k});
    scores = b.node("Div", p + ".attention.scale",
                    {scores, f32("attention.sqrt_head_size",
                                 static_cast<float>(std::sqrt(static_cast<double>(head_size))))});
    scores = b.node("Add", p + ".attention.mask", {scores, additive});
    auto probs = b.node("Softmax", p + ".attention.softmax", {scores}, {int_attr("axis", -1)});
    auto context = b.node("MatMul", p + ".attention.context", {probs, v});
    context = b.node("Transpose", p + ".attention.context.transpose", {context},
                     {ints_attr("perm", {0, 2, 1, 3})});
    context = b.node("Reshape", p + ".attention.context.reshape", {context, merge_heads});
    auto attention = dense(p + ".attention.output.dense", context, hidden, hidden);
    x = layer_norm(p + ".attention.output.LayerNorm",
                   b.node("Add", p + ".attention.output.residual", {attention, x}));
    // Gelu as torch.onnx spells it: x * 0.5 * (1 + erf(x / sqrt(2))).
    auto h = dense(p + ".intermediate.dense", x, hidden, ffn);
    auto erf = b.node("Erf", p + ".intermediate.erf",
                      {b.node("Div", p + ".intermediate.div", {h, f32("gelu.sqrt2", 1.4142135f)})});
    auto gate = b.node("Add", p + ".intermediate.add", {erf, f32("gelu.one", 1.0f)});
    h = b.node("Mul", p + ".intermediate.mul_half",
               {b.node("Mul", p + ".intermediate.mul", {h, gate}), f32("gelu.half", 0.5f)});
    auto out = dense(p + ".output.dense", h, ffn, hidden);
    x = layer_norm(p + ".output.LayerNorm", b.node("Add", p + ".output.residual", {out, x}));
  }
  // Pooler (dense + tanh on the first token) and a two-class classifier.
  auto first = b.node("Gather", "pooler.first_token",
                      {x, b.constant("pooler.index0", tensor::scalar(std::int64_t{0}))},
                      {int_attr("axis", 1)});
  auto pooled = b.node("Tanh", "pooler.tanh", {b.linear("pooler.dense", first, hidden, hidden)});
  auto logits = b.linear("classifier", pooled, hidden, classes, "logits");
  b.output(logits, {-1, classes});
  return std::move(b.model());
}

model_graph yolo_model(std::uint64_t seed) {
  constexpr std::int64_t size = detector_image_size, anchors = 3;
  constexpr auto classes = static_cast<std::int64_t>(detector_labels.size());
  constexpr std::int64_t per_box = 5 + classes; // x, y, w, h, objectness, class scores
  graph_builder b{"yolo", seed};
  auto f32 = [&](const std::string& name, float v) { return b.constant(name, tensor::scalar(v)); };
  auto i64 = [&](const std::string& name, std::vector<std::int64_t> values) {
    auto n = static_cast<std::int64_t>(values.size());
    return b.constant(name, tensor::from_values<std::int64_t>({n}, values));
  };
  // Conv (BatchNormalization folded into its bias, as YOLOv5 exports) + SiLU as
  // Sigmoid-times-input.
  auto conv_silu = [&](const std::string& name, const std::string& x, std::int64_t in,
                       std::int64_t out, std::int64_t kernel, std::int64_t stride) {
    auto y = b.conv(name + ".conv", x, in, out, kernel, stride, kernel / 2, true);
    return b.node("Mul", name + ".silu", {y, b.node("Sigmoid", name + ".sigmoid", {y})});
  };
  auto upsample = [&](const std::string& name, const std::string& x) {
    return b.node("Resize", name, {x, "", b.constant("upsample.scales",
                                                     tensor::from_values<float>({4}, {1, 1, 2, 2}))},
                  {attribute{"mode", std::string{"nearest"}}});
  };
  auto slice = [&](const std::string& name, const std::string& x, std::int64_t from,
                   std::int64_t to, std::int64_t axis) {
    return b.node("Slice", name, {x, i64(name + ".starts", {from}), i64(name + ".ends", {to}),
                                  i64(name + ".axes", {axis})});
  };

  auto image = b.input("images", {-1, 3, size, size});
  // Backbone: strides 2, 4, 8 (P3), 16 (P4), 32 (P5).
  auto x = conv_silu("model.0", image, 3, 16, 3, 2);
  x = conv_silu("model.1", x, 16, 32, 3, 2);
  x = b.node("Add", "model.2.add", {x, conv_silu("model.2", x, 32, 32, 3, 1)});
  auto p3 = conv_silu("model.3", x, 32, 64, 3, 2);
  auto p4 = conv_silu("model.4", p3, 64, 128, 3, 2);
  auto p5 = conv_silu("model.5", p4, 128, 128, 3, 2);
  // Neck, top-down: upsample, concatenate with the finer map, convolve.
  auto n5 = conv_silu("model.6", p5, 128, 64, 1, 1);
  auto n4 = b.node("Concat", "model.7.concat", {upsample("model.7.upsample", n5), p4},
                   {int_attr("axis", 1)});
  n4 = conv_silu("model.8", n4, 64 + 128, 64, 3, 1);
  auto n3 = conv_silu("model.9", n4, 64, 32, 1, 1);
  n3 = b.node("Concat", "model.10.concat", {upsample("model.10.upsample", n3), p3},
              {int_attr("axis", 1)});
  n3 = conv_silu("model.11", n3, 32 + 64, 32, 3, 1);

  // Detect: per scale a 1x1 Conv to anchors * per_box channels, decoded as YOLOv5 exports it:
  // xy = (sigmoid * 2 + grid - 0.5) * stride, wh = (sigmoid * 2)^2 * anchor, in pixels.
  struct head {
    std::string map;
    std::int64_t channels, stride;
    std::array<float, 6> anchors; // (w, h) of each anchor, pixels
  };
  const head heads[] = {{n3, 32, 8, {4, 5, 6, 10, 10, 8}},
                        {n4, 64, 16, {12, 20, 20, 16, 20, 32}},
                        {n5, 64, 32, {32, 28, 44, 52, 60, 58}}};
  std::vector<std::string> decoded;
  std::int64_t candidates = 0;
  for (std::size_t i = 0; i < std::size(heads); ++i) {
    const auto& h = heads[i];
    const auto p = fmt::format("model.12.m.{}", i);
    const std::int64_t grid = size / h.stride;
    candidates += anchors * grid * grid;
    auto y = b.conv(p, h.map, h.channels, anchors * per_box, 1, 1, 0, true);
    y = b.node("Reshape", p + ".reshape", {y, i64(p + ".shape", {-1, anchors, per_box, grid, grid})});
    y = b.node("Transpose", p + ".permute", {y}, {ints_attr("perm", {0, 1, 3, 4, 2})});
    y = b.node("Sigmoid", p + ".sigmoid", {y});
    tensor offsets{dtype::float32, {1, anchors, grid, grid, 2}};
    tensor sizes{dtype::float32, {1, anchors, 1, 1, 2}};
    auto o = offsets.mutable_values<float>();
    for (std::int64_t a = 0; a < anchors; ++a) {
      for (std::int64_t r = 0; r < grid; ++r)
        for (std::int64_t c = 0; c < grid; ++c) {
          const auto at = static_cast<std::size_t>(((a * grid + r) * grid + c) * 2);
          o[at] = static_cast<float>(c) - 0.5f;
          o[at + 1] = static_cast<float>(r) - 0.5f;
        }
      sizes.mutable_values<float>()[static_cast<std::size_t>(a * 2)] = h.anchors[static_cast<std::size_t>(a * 2)];
      sizes.mutable_values<float>()[static_cast<std::size_t>(a * 2 + 1)] =
        h.anchors[static_cast<std::size_t>(a * 2 + 1)];
    }
    auto xy = b.node("Mul", p + ".xy.twice", {slice(p + ".xy", y, 0, 2, 4), f32("decode.two", 2)});
    xy = b.node("Add", p + ".xy.grid", {xy, b.constant(p + ".grid", std::move(offsets))});
    xy = b.node("Mul", p + ".xy.stride", {xy, f32(p + ".stride", static_cast<float>(h.stride))});
    auto wh = b.node("Mul", p + ".wh.twice", {slice(p + ".wh", y, 2, 4, 4), f32("decode.two", 2)});
    wh = b.node("Pow", p + ".wh.square", {wh, f32("decode.two", 2)});
    wh = b.node("Mul", p + ".wh.anchor", {wh, b.constant(p + ".anchor_grid", std::move(sizes))});
    y = b.node("Concat", p + ".decoded", {xy, wh, slice(p + ".conf", y, 4, per_box, 4)},
               {int_attr("axis", 4)});
    decoded.push_back(b.node("Reshape", p + ".flatten", {y, i64(p + ".rows", {0, -1, per_box})}));
  }
  auto all = b.node("Concat", "model.12.concat", decoded, {int_attr("axis", 1)});
  // [x_center, y_center, width, height] per candidate, and per class objectness x class score.
  auto boxes = b.node("Slice", "boxes", {all, i64("boxes.starts", {0}), i64("boxes.ends", {4}),
                                         i64("boxes.axes", {2})});
  auto confidence = b.node("Mul", "confidence", {slice("class_scores", all, 5, per_box, 2),
                                                 slice("objectness", all, 4, 5, 2)});
  auto scores = b.node("Transpose", "scores", {confidence}, {ints_attr("perm", {0, 2, 1})});
  auto selected = b.node("NonMaxSuppression", "nms",
                         {boxes, scores, i64("nms.max_output_boxes_per_class", {yolo_keep_per_class}),
                          b.constant("nms.iou_threshold", tensor::from_values<float>({1}, {0.45f})),
                          b.constant("nms.score_threshold",
                                     tensor::from_values<float>({1}, {yolo_score_threshold}))},
                         {int_attr("center_point_box", 1)}, "selected");
  b.output(boxes, {-1, candidates, 4});
  b.output(scores, {-1, classes, candidates});
  b.output(selected, {-1, 3}, dtype::int64);
  return std::move(b.model());
}

std::span<const example_model> example_models() noexcept {
  static const example_model models[] = {
    {"detector", "a small CNN on 64x64 normalised images; a car in about half of random ones",
     "scores: softmax over person, car, bicycle, dog (in this order)", 8, detector_model},
    {"plate_reader", "a CNN reading 7 plate characters from a 48x96 crop",
     "characters: per plate position, a softmax over 0-9 then A-Z (36 symbols)", 8,
     plate_reader_model},
    {"classifier", "an MLP over 64 features (MatMul + Add, Relu, Gemm, Softmax)",
     "probabilities: softmax over 10 classes", 32, classifier_model},
    {"resnet18", "ResNet-18 shaped as torchvision's, random weights",
     "logits: 1000 ImageNet class logits (no softmax)", 8, resnet18_model},
    {"mobilenet_v2", "MobileNetV2 shaped as torchvision's, random weights",
     "logits: 1000 ImageNet class logits (no softmax)", 8, mobilenet_v2_model},
    {"bert", "a BERT-shaped encoder (2 layers, hidden 128, vocabulary 1000), random weights",
     "logits: 2 class logits (no softmax) from the first token", 8, bert_model},
    {"yolo", "a YOLOv5-shaped detector on 64x64 images: SiLU, upsampling, three heads, NMS",
     "boxes: [x_center, y_center, width, height] of every candidate, pixels; scores: per class "
     "(person, car, bicycle, dog) objectness x class score; selected: the kept boxes as rows "
     "[item, class, box]",
     8, yolo_model},
  };
  return models;
}

const example_model* find_example_model(std::string_view name) noexcept {
  for (auto& m : example_models())
    if (m.name == name)
      return &m;
  return nullptr;
}

std::string example_config_yaml(const example_model& entry, const model_graph& model,
                                std::uint64_t seed) {
  std::string yaml = fmt::format(
    "# {}: {}.\n"
    "# Written by `hogar model generate --seed {}`; regenerate rather than edit.\n"
    "#\n"
    "# A model repository config (REPOSITORY/NAME/config.yaml, next to NAME/{}/model.onnx):\n"
    "#   name            the model, as its folder is named\n"
    "#   max_batch_size  the largest batch it is served with (its dimension 0)\n"
    "#   inputs/outputs  its tensors in order: name, dtype, shape (-1: dynamic, the batch)\n"
    "# {}\n"
    "name: {}\n"
    "max_batch_size: {}\n",
    entry.name, entry.description, seed, example_model_version, entry.outputs_note, entry.name,
    entry.max_batch_size);
  auto list = [&](std::string_view key, const std::vector<value_info>& values) {
    yaml += fmt::format("{}:\n", key);
    for (auto& v : values)
      yaml += fmt::format("  - {{name: {}, dtype: {}, shape: {}}}\n", v.name, to_string(v.type),
                          shape_yaml(v.shape));
  };
  list("inputs", model.inputs);
  list("outputs", model.outputs);
  return yaml;
}

result<std::vector<generated_model>> generate_example_repository(
  const std::string& repository, std::span<const std::string> names, std::uint64_t seed) {
  std::vector<const example_model*> chosen;
  for (auto& name : names) {
    auto* entry = find_example_model(name);
    if (!entry) {
      std::vector<std::string_view> known;
      for (auto& m : example_models())
        known.push_back(m.name);
      return fail(errc::not_found, fmt::format("no example model '{}' (there are: {})", name,
                                               fmt::join(known, ", ")));
    }
    if (std::find(chosen.begin(), chosen.end(), entry) == chosen.end())
      chosen.push_back(entry);
  }
  if (names.empty())
    for (auto& m : example_models())
      chosen.push_back(&m);

  namespace fs = std::filesystem;
  std::vector<generated_model> written;
  for (auto* entry : chosen) {
    const fs::path dir = fs::path{repository} / std::string{entry->name};
    const fs::path version_dir = dir / std::to_string(example_model_version);
    std::error_code ec;
    fs::create_directories(version_dir, ec);
    if (ec)
      return fail(errc::io_error, fmt::format("{}: cannot create the folder: {}",
                                              version_dir.string(), ec.message()));
    auto model = entry->build(seed);
    generated_model g{std::string{entry->name}, (version_dir / "model.onnx").string(),
                      (dir / "config.yaml").string(), 0};
    if (auto problem = save_model(model, g.model_path))
      return *problem;
    g.model_bytes = static_cast<std::size_t>(fs::file_size(g.model_path, ec));
    std::ofstream config{g.config_path, std::ios::trunc};
    config << example_config_yaml(*entry, model, seed);
    config.close();
    if (!config)
      return fail(errc::io_error, fmt::format("{}: cannot write the file", g.config_path));
    written.push_back(std::move(g));
  }
  return written;
}

} // namespace hogar::onnx
