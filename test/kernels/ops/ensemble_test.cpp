#include "kernels/ops/ensemble.hpp"

#include <doctest/doctest.h>

#include "../fixture.hpp"

using namespace hogar;
using namespace hogar::test;

namespace {

auto ensemble(std::string method, std::string tensor = "") {
  return make_op(make_spec("ensemble", {{"method", method}, {"tensor", tensor}},
                           {"m1", "m2", "m3"}));
}

} // namespace

TEST_CASE("ensemble mean averages the present inputs elementwise as float32") {
  auto op = ensemble("mean");
  record a{{"probs", make<float>({2}, {0.2f, 0.8f})}};
  record b{{"probs", make<double>({2}, {0.4, 0.6})}};
  record c{{"probs", make<std::int32_t>({2}, {0, 1})}};
  auto out = ok(call(*op, {&a, &b, &c}));
  REQUIRE(out.value.size() == 1);
  CHECK(out.value[0].name == "probs");
  auto v = out.value[0].value.values<float>();
  CHECK(v[0] == doctest::Approx(0.2));
  CHECK(v[1] == doctest::Approx(0.8));
  auto two = ok(call(*op, {&a, nullptr, &b}));
  CHECK(two.value[0].value.values<float>()[0] == doctest::Approx(0.3));
}

TEST_CASE("ensemble mean refuses shapes that differ, naming both inputs") {
  auto op = ensemble("mean");
  record a{{"probs", make<float>({2}, {0.2f, 0.8f})}};
  record b{{"probs", make<float>({3}, {0.1f, 0.1f, 0.8f})}};
  auto out = call(*op, {&a, &b, nullptr});
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().message == "ensemble mean: input 'm2' tensor 'probs' has shape [3] but input "
                               "'m1' tensor 'probs' has shape [2]");
}

TEST_CASE("ensemble vote picks the majority label and the lowest label on ties") {
  auto op = ensemble("vote", "p");
  record a{{"x", tensor::scalar<float>(0)}, {"p", make<float>({3}, {0.1f, 0.8f, 0.1f})}};
  record b{{"p", make<float>({3}, {0.1f, 0.2f, 0.7f})}};
  record c{{"p", make<float>({1, 3}, {0.3f, 0.6f, 0.1f})}};
  auto out = ok(call(*op, {&a, &b, &c}));
  CHECK(get(out, "label").values<std::int64_t>()[0] == 1);
  CHECK(get(out, "votes").values<std::int64_t>()[0] == 2);
  auto tie = ok(call(*op, {nullptr, &b, &c}));
  CHECK(get(tie, "label").values<std::int64_t>()[0] == 1);
  CHECK(get(tie, "votes").values<std::int64_t>()[0] == 1);
}

TEST_CASE("ensemble best returns the record of the most confident input and its index") {
  auto op = ensemble("best");
  record a{{"probs", make<float>({2}, {0.6f, 0.4f})}, {"id", tensor::scalar<std::int32_t>(1)}};
  record b{{"probs", make<float>({2}, {0.1f, 0.9f})}, {"id", tensor::scalar<std::int32_t>(2)}};
  record c{{"probs", make<float>({2}, {0.5f, 0.5f})}, {"id", tensor::scalar<std::int32_t>(3)}};
  auto out = ok(call(*op, {&a, &b, &c}));
  REQUIRE(out.value.size() == 3);
  CHECK(get(out, "id").values<std::int32_t>()[0] == 2);
  CHECK(get(out, "probs").shares_storage_with(b[0].value));
  CHECK(get(out, "source").values<std::int64_t>()[0] == 1);
  auto without_b = ok(call(*op, {&a, nullptr, &c}));
  CHECK(get(without_b, "source").values<std::int64_t>()[0] == 0);
}

TEST_CASE("ensemble names the input that lacks the tensor it combines") {
  auto op = ensemble("mean", "probs");
  record a{{"probs", make<float>({1}, {1})}};
  record b{{"logits", make<float>({1}, {1})}};
  auto out = call(*op, {&a, &b, nullptr});
  REQUIRE_FALSE(out.has_value());
  CHECK(out.error().message == "ensemble input 'm2' has no tensor 'probs' (it has: logits)");
}

TEST_CASE("an ensemble's selection settings are read for its select operator, and refused "
          "when nothing can be selected") {
  using strings = std::vector<std::string>;
  auto spec = make_spec("ensemble",
                        {{"method", std::string{"mean"}},
                         {"selection", std::string{"rafiki"}},
                         {"accuracy", std::vector<double>{0.6, 0.7, 0.8}},
                         {"beta", 0.25}},
                        {"m1", "m2", "m3"}, "vote");
  spec.slo_ms = 40;
  auto read = ops::read_ensemble_selection(spec);
  REQUIRE(read);
  CHECK(read->selection == "rafiki");
  CHECK(read->config.accuracy == std::vector<double>{0.6, 0.7, 0.8});
  CHECK(read->config.slo_us == 40'000);
  CHECK(read->config.beta == 0.25);
  CHECK(read->config.batch_sizes == std::vector<std::int64_t>{1, 2, 4, 8, 16});
  // The ensemble itself combines what is present, whatever its selection.
  record a{{"p", make<float>({1}, {1.0f})}};
  auto out = ok(call(*make_op(spec), {&a, nullptr, nullptr}));
  CHECK(values_of<float>(get(out, "p")) == std::vector<float>{1.0f});

  auto fewer = spec;
  fewer.params[2].value = std::vector<double>{0.6};
  CHECK(ops::read_ensemble_selection(fewer).error().message ==
        "ensemble 'vote': selection rafiki needs `accuracy`, one per member: 1 for its 3 inputs");
  auto no_slo = spec;
  no_slo.slo_ms = 0;
  CHECK(ops::read_ensemble_selection(no_slo).error().message.find("needs slo_ms") !=
        std::string::npos);
  auto one = make_spec("ensemble",
                       {{"method", std::string{"mean"}},
                        {"selection", std::string{"rafiki"}},
                        {"accuracy", std::vector<double>{0.6}}},
                       strings{"m1"}, "solo");
  one.slo_ms = 40;
  CHECK(ops::read_ensemble_selection(one).error().message ==
        "ensemble 'solo': selection rafiki: it chooses among members, and there is only one");
  auto all = make_spec("ensemble", {{"method", std::string{"mean"}}}, {"m1", "m2"}, "plain");
  CHECK(ops::read_ensemble_selection(all).error().message.find("selection all runs every "
                                                               "member") != std::string::npos);
}
