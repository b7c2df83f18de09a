// Messages survive the trip through CAF's binary serialization (what crosses processes).
#include "actors/messages.hpp"

#include <caf/actor_system.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <doctest/doctest.h>

#include "actors/system_config.hpp"

using namespace hogar;

namespace {

template <class T>
T round_trip(caf::actor_system& sys, T value, std::size_t* wire_bytes = nullptr) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto err = sink(value);
  REQUIRE_FALSE(err);
  if (wire_bytes != nullptr)
    *wire_bytes = buf.size();
  T copy;
  caf::binary_deserializer source{sys, buf};
  err = source(copy);
  REQUIRE_FALSE(err);
  return copy;
}

} // namespace

TEST_CASE("a tensor travels as dtype, shape and one byte string") {
  system_config cfg;
  caf::actor_system sys{cfg};
  std::vector<float> values(1024);
  for (std::size_t i = 0; i < values.size(); ++i)
    values[i] = static_cast<float>(i) * 0.5f;
  auto t = tensor::from_values<float>({32, 32}, values);
  std::size_t wire = 0;
  auto copy = round_trip(sys, t, &wire);
  CHECK(copy == t);
  CHECK_FALSE(copy.shares_storage_with(t));
  // The payload dominates: no per-element framing.
  CHECK(wire < t.byte_size() + 64);
}

TEST_CASE("an edge value keeps its request context, state and record") {
  system_config cfg;
  caf::actor_system sys{cfg};
  auto ctx = std::make_shared<request_context>();
  ctx->id = 77;
  ctx->deadline_ns = 123456789;
  ctx->route = {2, 0, 1};
  auto rec = std::make_shared<const record>(
    record{{"scores", tensor::from_values<float>({2}, std::vector<float>{0.25f, 0.75f})}});
  auto trace = std::make_shared<const std::vector<served_by>>(
    std::vector<served_by>{{"detector", "detector", 2}, branch_taken("plate_crop")});
  edge_value v{ctx, 3, edge_state::present, rec, "", trace, errc::none};
  auto copy = round_trip(sys, v);
  REQUIRE(copy.ctx);
  CHECK(copy.ctx->id == 77);
  CHECK(copy.ctx->deadline_ns == 123456789);
  CHECK(copy.ctx->route == std::vector<std::uint16_t>{2, 0, 1});
  CHECK(copy.slot == 3);
  CHECK(copy.state == edge_state::present);
  REQUIRE(copy.value);
  CHECK(copy.value->at(0).name == "scores");
  CHECK(copy.value->at(0).value == rec->at(0).value);
  REQUIRE(copy.trace);
  CHECK(*copy.trace == *trace);

  edge_value failed{ctx, 1, edge_state::failed, nullptr, "operator 'x' failed: boom", nullptr,
                    errc::invalid_argument};
  auto failed_copy = round_trip(sys, failed);
  CHECK(failed_copy.state == edge_state::failed);
  CHECK(failed_copy.value == nullptr);
  CHECK(failed_copy.error == "operator 'x' failed: boom");
  CHECK(failed_copy.trace == nullptr);
  CHECK(failed_copy.code == errc::invalid_argument);
}

TEST_CASE("a corrupt tensor on the wire is refused, not trusted") {
  system_config cfg;
  caf::actor_system sys{cfg};
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  std::uint8_t type = 0;
  shape_t shape{4};
  std::vector<char> bytes(3); // 4 floats need 16 bytes
  REQUIRE_FALSE(sink(type, shape, bytes));
  tensor t;
  caf::binary_deserializer source{sys, buf};
  auto err = source(t);
  CHECK(err);
}
