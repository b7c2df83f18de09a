// example_models.hpp: the example ONNX models hogar ships (`hogar model generate`, run at
// build time into build/models/): small networks with the shapes of real ones and
// deterministic pseudo-random weights, so that graphs, benchmarks and tests have models to
// serve without downloading any.
//
// Every model is opset 13 with a dynamic batch dimension (-1) first, its values float32 but
// for bert's token ids and yolo's selected boxes (int64). Weights come
// from splitmix64 streams seeded by (seed, model, initializer name) and are uniform, scaled
// like He/Kaiming initialisation (bound sqrt(6 / fan_in): variance 2 / fan_in, which keeps
// the scale of activations from layer to layer after a Relu). No std:: distribution and no
// transcendental function is involved: integer draws, one rounding per value and IEEE square
// roots, so the same seed gives the same bytes on every machine. (The detector's calibration,
// a forward pass and a logarithm, rounds the two values it sets to a coarse binary grid for
// the same reason.) A model does not depend on which other models are generated.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/onnx/model_graph.hpp"
#include "base/result.hpp"
#include "kernels/tensor.hpp"

namespace hogar::onnx {

/// The seed `hogar model generate` uses unless told otherwise.
inline constexpr std::uint64_t example_seed_default = 20260101;

/// detector: float32 image[-1, 3, 64, 64] (a normalised CHW image) -> scores[-1, 4], the
/// softmax over these labels. A small CNN: four Conv 3x3 + BatchNormalization + Relu stages
/// (8, 16, 32, 64 channels; MaxPool 2x2 after the first three), GlobalAveragePool, Flatten,
/// Gemm 64 -> 4, Softmax.
///
/// The car score is >= 0.5 for about half of all random images (uniform pixels normalised
/// with the ImageNet mean and std, the same resized, or any noise that a left-right mirror
/// leaves as likely): the trunk is mirror-equivariant and the car logit odd under mirroring,
/// so an image and its mirror get complementary car scores; a calibration pass at generation
/// time only scales the logit so that car scores spread over about 0.1..0.9. The other three
/// scores keep fixed proportions. Details above calibrate_detector in example_models.cpp.
inline constexpr std::array<std::string_view, 4> detector_labels = {"person", "car", "bicycle",
                                                                    "dog"};
inline constexpr std::int64_t detector_image_size = 64;
model_graph detector_model(std::uint64_t seed = example_seed_default);

/// The per-channel normalisation the detector and resnet18 expect: (pixel / 255 - mean) / std.
inline constexpr std::array<double, 3> imagenet_mean = {0.485, 0.456, 0.406};
inline constexpr std::array<double, 3> imagenet_std = {0.229, 0.224, 0.225};

/// plate_reader: float32 plate[-1, 3, 48, 96] -> characters[-1, 7, 36]: for each of 7 plate
/// positions a softmax over plate_symbols. Conv 3x3 + BatchNormalization + Relu stages (16,
/// 32, 64 channels) with MaxPool, then AveragePool 2x2, Flatten, Gemm 1152 -> 252, Reshape
/// [-1, 7, 36], Softmax(axis = -1).
inline constexpr std::string_view plate_symbols = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
inline constexpr std::int64_t plate_positions = 7;
model_graph plate_reader_model(std::uint64_t seed = example_seed_default);

/// classifier: an MLP, float32 features[-1, 64] -> MatMul 64x128 + Add -> Relu -> Gemm
/// 128 -> 10 -> Softmax -> probabilities[-1, 10].
model_graph classifier_model(std::uint64_t seed = example_seed_default);

/// resnet18: torchvision's resnet18 layer for layer (conv1 7x7/2 + BN + Relu, MaxPool 3x3/2
/// pad 1; four stages of two BasicBlocks with 64, 128, 256, 512 channels, a 1x1/2 Conv + BN
/// downsample on the first block of stages 2 to 4; Add + Relu residuals; GlobalAveragePool,
/// Flatten, Gemm 512 -> 1000), initializers named as torchvision's state_dict
/// ("layer2.0.downsample.0.weight"), 11,689,512 parameters. float32 input[-1, 3, 224, 224]
/// (ImageNet-normalised) -> logits[-1, 1000]. The BatchNormalization nodes are kept, with
/// non-trivial statistics, so that optimize() has something to fold.
model_graph resnet18_model(std::uint64_t seed = example_seed_default);

/// mobilenet_v2: torchvision's mobilenet_v2 (width 1.0) layer for layer: Conv 3x3/2 3 -> 32,
/// 17 inverted residual blocks (1x1 expansion by 6 except the first, depthwise 3x3, 1x1
/// linear projection, each Conv followed by BatchNormalization, ReLU6 as Clip(0, 6) after the
/// first two; an Add where stride and channels allow), Conv 1x1 320 -> 1280, GlobalAveragePool,
/// Flatten, Gemm 1280 -> 1000 (torchvision's Dropout is gone in an inference export),
/// initializers named as torchvision's state_dict ("features.2.conv.1.0.weight"). float32
/// input[-1, 3, 224, 224] -> logits[-1, 1000].
model_graph mobilenet_v2_model(std::uint64_t seed = example_seed_default);

/// bert: a BERT-shaped encoder as torch.onnx exports one at opset 13 (2 layers, hidden 128, 2
/// heads, FFN 512, vocabulary 1000): int64 input_ids[-1, -1] and attention_mask[-1, -1] (any
/// sequence length) -> logits[-1, 2] from the first token. Embeddings by Gather, position ids
/// by Shape -> Gather -> Range, LayerNorm spelled ReduceMean/Sub/Pow/Sqrt/Div, the mask by Cast
/// and Where, Gelu spelled with Erf.
model_graph bert_model(std::uint64_t seed = example_seed_default);

/// yolo: a YOLOv5-shaped detector for detector_image_size images with pixels scaled to [0, 1]:
/// float32 images[-1, 3, 64, 64] -> boxes[-1, 252, 4] ([x_center, y_center, width, height] of
/// every candidate, pixels), scores[-1, 4, 252] (per class of detector_labels, objectness times
/// class score) and selected[-1, 3] (int64: the boxes NonMaxSuppression keeps, as rows [item,
/// class, box]; at most yolo_keep_per_class per class, scores above yolo_score_threshold, IoU
/// 0.45). A Conv + SiLU (Sigmoid times input) backbone with a residual Add down to strides 8,
/// 16 and 32, a top-down neck (1x1 Conv, Resize nearest 2x, Concat, 3x3 Conv), and three heads
/// of 3 anchors each decoded as YOLOv5's export does (Reshape, Transpose, Sigmoid, Slice, grid
/// and anchor constants), concatenated.
inline constexpr std::int64_t yolo_keep_per_class = 10;
inline constexpr float yolo_score_threshold = 0.35f;
model_graph yolo_model(std::uint64_t seed = example_seed_default);

/// `count` images of uniform random pixels (0..255 from splitmix64(seed)) normalised the way
/// the detector and resnet18 expect: float32[count, 3, height, width], (p / 255 - mean) / std
/// per channel with the ImageNet mean and std. The detector is calibrated on such images.
tensor random_normalized_images(std::int64_t count, std::int64_t height, std::int64_t width,
                                std::uint64_t seed);

/// One entry of the catalogue `hogar model generate` walks.
struct example_model {
  std::string_view name;
  /// One line for listings and the generated config.yaml.
  std::string_view description;
  /// What the outputs hold (labels and their order), a comment in config.yaml.
  std::string_view outputs_note;
  /// The largest batch its repository config declares.
  std::int64_t max_batch_size = 8;
  model_graph (*build)(std::uint64_t seed);
};

/// detector, plate_reader, classifier, resnet18, mobilenet_v2, bert, yolo, in that order.
std::span<const example_model> example_models() noexcept;

/// The catalogue entry called `name`, or nullptr.
const example_model* find_example_model(std::string_view name) noexcept;

/// The version folder every generated model is written to: REPOSITORY/NAME/1/model.onnx.
inline constexpr std::int64_t example_model_version = 1;

/// The config.yaml of a generated model (the format is documented in the file's comment):
///
///   name: detector
///   max_batch_size: 8
///   inputs:
///     - {name: image, dtype: float32, shape: [-1, 3, 64, 64]}
///   outputs:
///     - {name: scores, dtype: float32, shape: [-1, 4]}
std::string example_config_yaml(const example_model& entry, const model_graph& model,
                                std::uint64_t seed);

/// What generate_example_repository wrote for one model.
struct generated_model {
  std::string name;
  std::string model_path;
  std::string config_path;
  std::size_t model_bytes = 0;
};

/// Writes REPOSITORY/NAME/1/model.onnx and REPOSITORY/NAME/config.yaml for each model named
/// (every example model when `names` is empty), creating the folders. Fails naming an unknown
/// model (and listing the known ones) before writing anything, or the file that could not be
/// written.
result<std::vector<generated_model>> generate_example_repository(
  const std::string& repository, std::span<const std::string> names, std::uint64_t seed);

} // namespace hogar::onnx
