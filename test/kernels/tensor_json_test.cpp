#include "kernels/tensor_json.hpp"

#include <doctest/doctest.h>

#include "fixture.hpp"
#include "kernels/json_reader.hpp"

using namespace hogar;
using hogar::test::make;
using hogar::test::values_of;
using nlohmann::json;

namespace {

/// One input object given as JSON text, read as a request's input is.
result<named_tensor> tensor_of(std::string_view text) {
  json_reader reader{default_json_max_depth};
  auto doc = reader.parse(text);
  REQUIRE(doc.has_value());
  return tensor_from_kserve_json(*doc);
}

/// The same for an input of the binary tensor extension, with its bytes.
result<named_tensor> binary_tensor_of(std::string_view text, std::span<const char> bytes) {
  json_reader reader{default_json_max_depth};
  auto doc = reader.parse(text);
  REQUIRE(doc.has_value());
  return tensor_from_kserve_binary(*doc, bytes);
}

std::string error_of(std::string_view text) {
  auto t = tensor_of(text);
  REQUIRE_FALSE(t.has_value());
  CHECK(t.error().code == errc::invalid_argument);
  return t.error().message;
}

} // namespace

TEST_CASE("a KServe tensor with flat data becomes a tensor") {
  auto t = tensor_of(
    R"({"name": "image", "datatype": "UINT8", "shape": [2, 2], "data": [1, 2, 3, 4]})");
  REQUIRE(t.has_value());
  CHECK(t->name == "image");
  CHECK(t->value.type() == dtype::uint8);
  CHECK(t->value.shape() == shape_t{2, 2});
  CHECK(values_of<std::uint8_t>(t->value) == std::vector<std::uint8_t>{1, 2, 3, 4});
}

TEST_CASE("nested data is read row-major") {
  auto t = tensor_of(
    R"({"name": "x", "datatype": "FP32", "shape": [2, 2], "data": [[0.5, 1], [2, -3.25]]})");
  REQUIRE(t.has_value());
  CHECK(values_of<float>(t->value) == std::vector<float>{0.5f, 1, 2, -3.25f});
}

TEST_CASE("bool tensors take true, false, 0 and 1") {
  auto t = tensor_of(
    R"({"name": "m", "datatype": "BOOL", "shape": [3], "data": [true, 0, 1]})");
  REQUIRE(t.has_value());
  CHECK(values_of<bool>(t->value) == std::vector<bool>{true, false, true});
  CHECK(error_of(R"({"name": "m", "datatype": "BOOL", "shape": [1], "data": [2]})") ==
        "input 'm': data[0] = 2 is not a BOOL (true, false, 0 or 1)");
}

TEST_CASE("the element count must match the shape") {
  CHECK(error_of(
          R"({"name": "image", "datatype": "FP32", "shape": [2, 2], "data": [1, 2, 3]})") ==
        "input 'image': shape [2, 2] needs 4 values, got 3");
}

TEST_CASE("integer values must be integral and fit the dtype") {
  CHECK(error_of(
          R"({"name": "px", "datatype": "UINT8", "shape": [3], "data": [1, 300, 2]})") ==
        "input 'px': data[1] = 300 does not fit UINT8 (0..255)");
  CHECK(error_of(
          R"({"name": "px", "datatype": "INT8", "shape": [1], "data": [-129]})") ==
        "input 'px': data[0] = -129 does not fit INT8 (-128..127)");
  CHECK(error_of(
          R"({"name": "n", "datatype": "INT32", "shape": [2], "data": [1, 1.5]})") ==
        "input 'n': data[1] = 1.5 is not an integer (INT32)");
  auto integral = tensor_of(
    R"({"name": "n", "datatype": "INT64", "shape": [1], "data": [2.0]})");
  REQUIRE(integral.has_value());
  CHECK(values_of<std::int64_t>(integral->value) == std::vector<std::int64_t>{2});
}

TEST_CASE("strings, unknown datatypes and bad shapes are refused by name") {
  CHECK(error_of(
          R"({"name": "x", "datatype": "FP32", "shape": [1], "data": ["a"]})") ==
        "input 'x': data[0] = \"a\" is not a number (FP32)");
  CHECK(error_of(
          R"({"name": "x", "datatype": "BYTES", "shape": [1], "data": [1]})") ==
        "input 'x': datatype 'BYTES' is not supported (FP32, FP64, INT8, INT32, INT64, UINT8 "
        "or BOOL)");
  CHECK(error_of(
          R"({"name": "x", "datatype": "FP32", "shape": [-1], "data": [1]})") ==
        "input 'x': shape[0] = -1 must be a non-negative integer");
  CHECK(error_of(R"({"name": "x", "datatype": "FP32", "shape": [1]})") ==
        "input 'x': \"data\" is missing");
  CHECK(error_of(R"({"datatype": "FP32", "shape": [1], "data": [1]})") ==
        "input: \"name\" must be a non-empty string");
}

TEST_CASE("a tensor written as KServe JSON reads back equal") {
  for (auto& original : {named_tensor{"f", make<float>({2, 2}, {0.5f, 1, 2, 3})},
                         named_tensor{"b", make<bool>({3}, {true, false, true})},
                         named_tensor{"u", make<std::uint8_t>({1, 3}, {0, 128, 255})},
                         named_tensor{"i", make<std::int8_t>({2}, {-128, 127})},
                         named_tensor{"s", tensor::scalar<std::int64_t>(-5)},
                         named_tensor{"t", make<float>({2}, {0.1f, 1.0f / 3})}}) {
    json j = to_kserve_json(original);
    auto back = tensor_of(j.dump());
    REQUIRE(back.has_value());
    CHECK(back->name == original.name);
    CHECK(back->value == original.value);
  }
  auto f = to_kserve_json({"f", make<float>({3}, {0.1f, 1.0f / 3, 16777216.0f})});
  CHECK(f["data"].dump() == "[0.1,0.33333334,16777216.0]");
  auto j = to_kserve_json({"b", make<bool>({2}, {true, false})});
  CHECK(j.dump() == R"({"data":[true,false],"datatype":"BOOL","name":"b","shape":[2]})");
}

TEST_CASE("a request's inputs become a record in order") {
  auto r = record_from_kserve_request(std::string_view{R"({"inputs": [
    {"name": "a", "datatype": "INT32", "shape": [1], "data": [1]},
    {"name": "b", "datatype": "FP64", "shape": [], "data": 2.5}]})"});
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].name == "a");
  CHECK((*r)[1].value.value_as_double(0) == 2.5);
  auto out = kserve_outputs_json(*r);
  REQUIRE(out.is_array());
  CHECK(out.size() == 2);
  CHECK(out[1]["datatype"] == "FP64");
}

TEST_CASE("a request without inputs, with a nameless input or a name twice is refused") {
  auto no_inputs = record_from_kserve_request(std::string_view{R"({"outputs": []})"});
  REQUIRE_FALSE(no_inputs.has_value());
  CHECK(no_inputs.error().message.find("\"inputs\" must be an array") != std::string::npos);
  auto nameless = record_from_kserve_request(std::string_view{R"({"inputs": [1]})"});
  REQUIRE_FALSE(nameless.has_value());
  CHECK(nameless.error().message.rfind("inputs[0]: ", 0) == 0);
  auto twice = record_from_kserve_request(std::string_view{R"({"inputs": [
    {"name": "a", "datatype": "INT32", "shape": [1], "data": [1]},
    {"name": "a", "datatype": "INT32", "shape": [1], "data": [2]}]})"});
  REQUIRE_FALSE(twice.has_value());
  CHECK(twice.error().message == "inputs[1]: input 'a' is given twice");
  auto bad = record_from_kserve_request(std::string_view{R"({"inputs": [
    {"name": "img", "datatype": "INT32", "shape": [2], "data": [1]}]})"});
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message == "input 'img': shape [2] needs 2 values, got 1");
}

TEST_CASE("binary inputs take their bytes after the JSON in input order") {
  std::vector<float> x{1.5f, -2};
  std::vector<std::int32_t> n{7};
  std::string binary(reinterpret_cast<const char*>(x.data()), 8);
  binary.append(reinterpret_cast<const char*>(n.data()), 4);
  std::string_view body = (R"({"inputs": [
    {"name": "x", "datatype": "FP32", "shape": [2], "parameters": {"binary_data_size": 8}},
    {"name": "m", "datatype": "BOOL", "shape": [1], "data": [true]},
    {"name": "n", "datatype": "INT32", "shape": [1], "parameters": {"binary_data_size": 4}}]})");
  auto r = record_from_kserve_request(body, std::span<const char>{binary});
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 3);
  CHECK(values_of<float>((*r)[0].value) == x);
  CHECK(values_of<bool>((*r)[1].value) == std::vector<bool>{true});
  CHECK(values_of<std::int32_t>((*r)[2].value) == n);
}

TEST_CASE("binary inputs of the wrong size, unclaimed bytes and missing bytes are refused") {
  std::string four(4, '\0');
  auto short_input = record_from_kserve_request(
    std::string_view{R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [2],
                               "parameters": {"binary_data_size": 4}}]})"},
    std::span<const char>{four});
  REQUIRE_FALSE(short_input.has_value());
  CHECK(short_input.error().message == "input 'x': FP32 [2] needs 8 bytes of binary data, got 4");
  auto unclaimed = record_from_kserve_request(
    std::string_view{R"({"inputs": [{"name": "x", "datatype": "INT8", "shape": [1], "data": [1]}]})"},
    std::span<const char>{four});
  REQUIRE_FALSE(unclaimed.has_value());
  CHECK(unclaimed.error().message.rfind("request: 4 bytes of binary data", 0) == 0);
  auto missing = record_from_kserve_request(
    std::string_view{R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1],
                               "parameters": {"binary_data_size": 4}}]})"});
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().message.rfind("input 'x': binary_data_size 4 runs past", 0) == 0);
  std::string two{"\x01\x02", 2};
  auto bad_bool = binary_tensor_of(
    R"({"name": "m", "datatype": "BOOL", "shape": [2]})", std::span<const char>{two});
  REQUIRE_FALSE(bad_bool.has_value());
  CHECK(bad_bool.error().message == "input 'm': binary BOOL byte 1 is 2, not 0 or 1");
}

// Hostile input (issue 8): nesting, huge numbers and huge extents are answered with a message,
// never a crash, and never by walking the client's nesting recursively.

namespace {

std::string nested(std::size_t depth, std::string_view leaf) {
  return std::string(depth, '[') + std::string{leaf} + std::string(depth, ']');
}

std::string request_error(std::string_view text) {
  auto r = record_from_kserve_request(text);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::invalid_argument);
  return r.error().message;
}

} // namespace

TEST_CASE("data nested 60,000 deep is refused by the nesting limit, not a stack overflow") {
  auto body = R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": )" +
              nested(60'000, "1") + "}]}";
  CHECK(request_error(body) ==
        "JSON nested deeper than 64 arrays and objects (the limit is http-json-max-depth)");
}

TEST_CASE("data nested as deep as the limit allows is read row-major") {
  // The body is 3 levels deep before "data" ({, inputs [, {): 61 more arrays make 64.
  auto body = R"({"inputs": [{"name": "x", "datatype": "INT32", "shape": [1], "data": )" +
              nested(61, "7") + "}]}";
  auto r = record_from_kserve_request(body);
  REQUIRE(r.has_value());
  CHECK(values_of<std::int32_t>((*r)[0].value) == std::vector<std::int32_t>{7});
  auto deeper = R"({"inputs": [{"name": "x", "datatype": "INT32", "shape": [1], "data": )" +
                nested(62, "7") + "}]}";
  CHECK(request_error(deeper).starts_with("JSON nested deeper than 64"));
}

TEST_CASE("nesting inside shape and binary_data_size is refused the same way") {
  CHECK(request_error(R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": )" +
                      nested(100'000, "1") + R"(, "data": [1]}]})")
          .starts_with("JSON nested deeper than 64"));
  CHECK(request_error(R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], )"
                      R"("parameters": {"binary_data_size": )" +
                      nested(100'000, "4") + "}}]}")
          .starts_with("JSON nested deeper than 64"));
  // Within the limit, a nested value where a number belongs is named, not walked.
  CHECK(request_error(R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [[[2]]], )"
                      R"("data": [1, 2]}]})") ==
        "input 'x': shape[0] = [...] must be a non-negative integer");
}

TEST_CASE("a number beyond double's range in data or shape is a malformed request") {
  CHECK(request_error(R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], )"
                      R"("data": [1e999]}]})") ==
        "malformed JSON: number overflow parsing '1e999' at byte 69");
  CHECK(request_error(R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1e999], )"
                      R"("data": [1]}]})")
          .starts_with("malformed JSON: number overflow parsing '1e999'"));
  CHECK(request_error(R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], )"
                      R"("data": [99999999999999999999]}]})") ==
        "malformed JSON: a number is out of range (integers must fit in 64 bits)");
}

TEST_CASE("an extent too large for any tensor is called too large") {
  CHECK(request_error(R"({"inputs": [{"name": "x", "datatype": "FP32", )"
                      R"("shape": [9223372036854775808], "data": [1]}]})") ==
        "input 'x': shape[0] = 9223372036854775808 is too large");
  CHECK(request_error(R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1e30], )"
                      R"("data": [1]}]})") ==
        "input 'x': shape[0] = 1e+30 is too large");
  CHECK(request_error(R"({"inputs": [{"name": "x", "datatype": "FP32", )"
                      R"("shape": [4294967296, 4294967296], "data": [1]}]})") ==
        "input 'x': shape [4294967296, 4294967296] is too large");
  std::string dims = "1";
  for (int i = 1; i < 33; ++i)
    dims += ",1";
  CHECK(request_error(R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [)" + dims +
                      R"(], "data": [1]}]})") ==
        "input 'x': shape has more than 32 dimensions");
}

TEST_CASE("malformed JSON says where it went wrong") {
  CHECK(request_error(R"({"inputs": [}x)") ==
        "malformed JSON: parse error at line 1, column 13: syntax error while parsing value - "
        "unexpected '}'; expected '[', '{', or a literal");
}

TEST_CASE("an error message quotes at most 40 characters of a client's string") {
  auto long_name = std::string(100'000, 'a');
  auto message = request_error(R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], )"
                               R"("data": [")" + long_name + R"("]}]})");
  CHECK(message.size() < 120);
  CHECK(message.find("is not a number (FP32)") != std::string::npos);
}
