// kserve_request.hpp: what the two KServe harnesses (kserve_json_fuzz.cpp, the JSON form;
// kserve_binary_fuzz.cpp, Triton's binary tensor extension) do with one request body: read it
// as the server does for POST /v2/models/{graph}/infer, and when it is accepted, check the
// outputs it asks for and write an answer carrying its own tensors back (what a graph of
// identity operators answers), so that the writer meets every tensor a client can send.
//
// Promises checked beyond the sanitizers: a request never throws (the server would answer
// 500), and a refused request is refused with a client error (4xx), never a server error.
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "bench/fuzz/fuzz_check.hpp"
#include "http/kserve.hpp"

namespace hogar::fuzz {

inline void exercise_infer_request(std::string_view body, std::optional<std::size_t> json_length) {
  try {
    auto request = http::parse_infer_request(body, json_length);
    if (!request) {
      require(http::status_for(request.error().code) < 500,
              "a malformed inference request is answered with a 4xx", request.error().message);
      return;
    }
    // The graph declares one output per input, of the input's name: every output the request
    // names is then either declared or refused by check_requested_outputs.
    http::model_metadata metadata;
    metadata.name = "fuzz";
    for (const auto& input : request->inputs) {
      http::tensor_metadata declared;
      declared.name = input.name;
      metadata.outputs.push_back(std::move(declared));
    }
    if (auto problem = http::check_requested_outputs(*request, metadata))
      require(http::status_for(problem->code) < 500,
              "an undeclared requested output is answered with a 4xx", problem->message);
    auto answer = http::encode_infer_response("fuzz", request->id.value_or(""), request->inputs,
                                              *request);
    if (answer.json_length)
      require(*answer.json_length <= answer.body.size(),
              "an answer's JSON length is within its body");
  } catch (const std::exception& e) {
    broken("reading or answering an inference request never throws", e.what());
  }
}

} // namespace hogar::fuzz
