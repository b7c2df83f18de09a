#include "kernels/ops/image.hpp"

#include <doctest/doctest.h>

#include "../fixture.hpp"

using namespace hogar;
using namespace hogar::ops;
using namespace hogar::test;

namespace {

std::vector<float> floats(const tensor& t) {
  return values_of<float>(t);
}

} // namespace

TEST_CASE("nearest resize doubles each pixel of a single-channel image") {
  auto img = make<std::uint8_t>({2, 2, 1}, {1, 2, 3, 4});
  auto out = resize_image(img, 4, 4, image_layout::hwc, resize_method::nearest, "image");
  REQUIRE(out.has_value());
  CHECK(out->shape() == shape_t{4, 4, 1});
  CHECK(values_of<std::uint8_t>(*out) ==
        std::vector<std::uint8_t>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
}

TEST_CASE("bilinear resize uses half-pixel centres and clamps at the border") {
  // One row [0, 10] widened to 4: centres map to -0.25 (clamped to 0), 0.25, 0.75, 1.25 (edge).
  auto img = make<float>({1, 2, 1}, {0, 10});
  auto out = resize_image(img, 1, 4, image_layout::hwc, resize_method::bilinear, "image");
  REQUIRE(out.has_value());
  CHECK(floats(*out) == std::vector<float>{0, 2.5f, 7.5f, 10});
}

TEST_CASE("bilinear downscaling by two averages each 2x2 block") {
  auto img = make<float>({4, 4, 1}, {0, 2, 4, 6, 2, 4, 6, 8, 10, 12, 14, 16, 12, 14, 16, 18});
  auto out = resize_image(img, 2, 2, image_layout::hwc, resize_method::bilinear, "image");
  REQUIRE(out.has_value());
  CHECK(floats(*out) == std::vector<float>{2, 6, 12, 16});
}

TEST_CASE("resize keeps channels apart in hwc and chw and rounds integer pixels") {
  // Two channels, one row of two pixels: channel 0 = [0, 3], channel 1 = [100, 200].
  auto hwc = make<std::uint8_t>({1, 2, 2}, {0, 100, 3, 200});
  auto a = resize_image(hwc, 1, 4, image_layout::hwc, resize_method::bilinear, "image");
  REQUIRE(a.has_value());
  CHECK(a->shape() == shape_t{1, 4, 2});
  // 0.75 and 2.25 round to 1 and 2; 125 and 175 are exact.
  CHECK(values_of<std::uint8_t>(*a) == std::vector<std::uint8_t>{0, 100, 1, 125, 2, 175, 3, 200});
  auto chw = make<std::uint8_t>({2, 1, 2}, {0, 3, 100, 200});
  auto b = resize_image(chw, 1, 4, image_layout::chw, resize_method::bilinear, "image");
  REQUIRE(b.has_value());
  CHECK(b->shape() == shape_t{2, 1, 4});
  CHECK(values_of<std::uint8_t>(*b) == std::vector<std::uint8_t>{0, 1, 2, 3, 100, 125, 175, 200});
}

TEST_CASE("resize handles a leading batch dimension image by image") {
  auto img = make<std::int32_t>({2, 1, 1, 1}, {5, 7});
  auto out = resize_image(img, 2, 2, image_layout::hwc, resize_method::bilinear, "image");
  REQUIRE(out.has_value());
  CHECK(out->shape() == shape_t{2, 2, 2, 1});
  CHECK(values_of<std::int32_t>(*out) == std::vector<std::int32_t>{5, 5, 5, 5, 7, 7, 7, 7});
}

TEST_CASE("resize refuses a tensor that is not an image, naming it and its shape") {
  auto out = resize_image(make<float>({4}, {1, 2, 3, 4}), 2, 2, image_layout::hwc,
                          resize_method::nearest, "scores");
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().message == "resize: input 'scores' shape [4] is not an image (rank 3, or "
                               "rank 4 with a leading batch; layout hwc)");
}

TEST_CASE("the resize operation transforms the first tensor and passes the others") {
  auto op = make_op(make_spec("resize", {{"height", std::int64_t{1}}, {"width", std::int64_t{1}},
                                         {"method", std::string{"nearest"}}}));
  record in{{"image", make<float>({2, 2, 1}, {1, 2, 3, 4})}, {"meta", tensor::scalar<float>(9)}};
  auto out = ok(call1(*op, in));
  REQUIRE(out.value.size() == 2);
  CHECK(out.value[0].name == "image");
  CHECK(out.value[0].value.shape() == shape_t{1, 1, 1});
  CHECK(out.value[1].value.shares_storage_with(in[1].value));
}

TEST_CASE("normalize scales then subtracts the mean and divides by the std per channel") {
  auto img = make<std::uint8_t>({1, 2, 2}, {255, 0, 51, 102});
  auto out = normalize_image(img, {0.5, 0.1}, {0.5, 0.2}, 1.0 / 255, image_layout::hwc, "image");
  REQUIRE(out.has_value());
  CHECK(out->type() == dtype::float32);
  auto v = floats(*out);
  CHECK(v[0] == doctest::Approx(1.0));    // (1 - 0.5) / 0.5
  CHECK(v[1] == doctest::Approx(-0.5));   // (0 - 0.1) / 0.2
  CHECK(v[2] == doctest::Approx(-0.6));   // (0.2 - 0.5) / 0.5
  CHECK(v[3] == doctest::Approx(1.5));    // (0.4 - 0.1) / 0.2
}

TEST_CASE("normalize in chw applies each value to its channel plane") {
  auto img = make<float>({2, 1, 2}, {1, 2, 3, 4});
  auto out = normalize_image(img, {1, 3}, {1, 2}, 1.0, image_layout::chw, "image");
  REQUIRE(out.has_value());
  CHECK(floats(*out) == std::vector<float>{0, 1, 0, 0.5f});
}

TEST_CASE("one mean and std value apply to every element of any rank") {
  auto out = normalize_image(make<float>({3}, {2, 4, 6}), {2}, {2}, 1.0, image_layout::hwc, "v");
  REQUIRE(out.has_value());
  CHECK(floats(*out) == std::vector<float>{0, 1, 2});
}

TEST_CASE("normalize refuses a mean whose count is not the channel count") {
  auto img = make<float>({1, 1, 3}, {1, 2, 3});
  auto out = normalize_image(img, {0.5, 0.5}, {1}, 1.0, image_layout::hwc, "image");
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().message ==
        "normalize: parameter 'mean' has 2 values but input 'image' shape [1, 1, 3] has 3 "
        "channels (layout hwc); give one value or one per channel");
}

TEST_CASE("normalize refuses a zero std at construction") {
  auto op = make_operation(make_spec("normalize", {{"std", std::vector<double>{1, 0, 1}}}, {}, "norm"));
  REQUIRE_FALSE(op.has_value());
  CHECK(op.error().message ==
        "operator 'norm' (normalize): parameter 'std': std[1] is 0: must be finite and not 0");
}

TEST_CASE("a centre crop takes the middle of each image") {
  auto img = make<std::uint8_t>({4, 4, 1}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
  auto out = crop_image(img, {2, 2, true, 0, 0}, image_layout::hwc, "image");
  REQUIRE(out.has_value());
  CHECK(out->shape() == shape_t{2, 2, 1});
  CHECK(values_of<std::uint8_t>(*out) == std::vector<std::uint8_t>{5, 6, 9, 10});
}

TEST_CASE("a box crop at top and left copies rows of every channel") {
  // chw, 2 channels of 3x3, batch of 1.
  std::vector<float> v(18);
  for (int i = 0; i < 18; ++i)
    v[static_cast<std::size_t>(i)] = static_cast<float>(i);
  auto img = make<float>({1, 2, 3, 3}, v);
  auto out = crop_image(img, {2, 1, false, 1, 2}, image_layout::chw, "image");
  REQUIRE(out.has_value());
  CHECK(out->shape() == shape_t{1, 2, 2, 1});
  CHECK(floats(*out) == std::vector<float>{5, 8, 14, 17});
  auto hwc = make<float>({2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  auto right = crop_image(hwc, {2, 1, false, 0, 1}, image_layout::hwc, "image");
  REQUIRE(right.has_value());
  CHECK(floats(*right) == std::vector<float>{2, 3, 6, 7});
}

TEST_CASE("a crop that does not fit names the crop, the image and the input") {
  tensor img{dtype::uint8, {224, 224, 3}};
  auto out = crop_image(img, {300, 300, true, 0, 0}, image_layout::hwc, "image");
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().message ==
        "crop 300x300 does not fit a 224x224 image (layout hwc, input 'image' shape [224, 224, 3])");
  auto op = make_op(make_spec("crop", {{"height", std::int64_t{100}}, {"width", std::int64_t{100}},
                                       {"mode", std::string{"box"}}, {"top", std::int64_t{150}}}));
  auto boxed = call1(*op, record{{"image", img}});
  REQUIRE_FALSE(boxed.has_value());
  CHECK(boxed.error().code == errc::invalid_argument);
  CHECK(boxed.error().message == "crop 100x100 at top 150, left 0 does not fit a 224x224 image "
                                 "(layout hwc, input 'image' shape [224, 224, 3])");
}
