// kserve_json_fuzz.cpp: libFuzzer harness of the KServe v2 inference request in its JSON form
// (POST /v2/models/{graph}/infer without Inference-Header-Content-Length): the input is the
// whole body. See kserve_request.hpp for what is checked.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "bench/fuzz/kserve_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hogar::fuzz::exercise_infer_request({reinterpret_cast<const char*>(data), size}, std::nullopt);
  return 0;
}
