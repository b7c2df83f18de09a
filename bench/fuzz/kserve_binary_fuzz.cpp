// kserve_binary_fuzz.cpp: libFuzzer harness of Triton's binary tensor extension: a body of N
// bytes of JSON followed by raw tensor bytes, N given by the Inference-Header-Content-Length
// header. See kserve_request.hpp for what is checked.
//
// Input format: the header's value up to the first '\n', then the body. The value is read as
// the server reads it (http/server.cpp: std::from_chars into a size_t, the whole text or 400),
// so the fuzzer also tries lengths past the body, zero, and huge ones.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <system_error>

#include "bench/fuzz/kserve_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  auto newline = input.find('\n');
  if (newline == std::string_view::npos)
    return 0;
  auto header = input.substr(0, newline);
  std::size_t json_length = 0;
  auto [end, ec] = std::from_chars(header.data(), header.data() + header.size(), json_length);
  if (ec != std::errc{} || end != header.data() + header.size())
    return 0;  // the server answers 400 before reading the body
  hogar::fuzz::exercise_infer_request(input.substr(newline + 1), json_length);
  return 0;
}
