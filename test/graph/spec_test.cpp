#include "graph/spec.hpp"

#include <stdexcept>

#include <doctest/doctest.h>

#include "graph/kinds.hpp"

namespace hogar::graph {

TEST_CASE("a source position prints as file:line:column, or less when it is unknown") {
  CHECK(to_string(source_position{"g.yaml", 12, 5}) == "g.yaml:12:5");
  CHECK(to_string(source_position{"g.yaml", 12, 0}) == "g.yaml:12");
  CHECK(to_string(source_position{"g.yaml", 0, 0}) == "g.yaml");
}

TEST_CASE("find_param finds a parameter by name and gives nullptr for others") {
  operator_spec op;
  op.params.push_back({"cost_ms", 2.5, {}});
  REQUIRE(op.find_param("cost_ms") != nullptr);
  CHECK(std::get<double>(*op.find_param("cost_ms")) == 2.5);
  CHECK(op.find_param("mode") == nullptr);
}

TEST_CASE("param_reader reads each type and accepts integers where numbers are asked") {
  operator_spec op;
  op.name = "x";
  op.kind = "simulate";
  op.params = {
    {"flag", true, {}},
    {"count", std::int64_t{3}, {}},
    {"ratio", 0.25, {}},
    {"mode", std::string{"sleep"}, {}},
    {"means", std::vector<double>{0.5, 1.5}, {}},
    {"shape", std::vector<std::int64_t>{2, 3}, {}},
    {"labels", std::vector<std::string>{"car", "dog"}, {}},
  };
  param_reader p{op};
  CHECK(p.get_bool("flag"));
  CHECK(p.get_int("count") == 3);
  CHECK(p.get_number("ratio") == 0.25);
  CHECK(p.get_number("count") == 3.0);
  CHECK(p.get_string("mode") == "sleep");
  CHECK(p.get_numbers("means") == std::vector<double>{0.5, 1.5});
  CHECK(p.get_numbers("shape") == std::vector<double>{2.0, 3.0});
  CHECK(p.get_ints("shape") == std::vector<std::int64_t>{2, 3});
  CHECK(p.get_strings("labels") == std::vector<std::string>{"car", "dog"});
  CHECK(p.has("mode"));
  CHECK_FALSE(p.has("nothing"));
}

TEST_CASE("param_reader throws out_of_range naming the operator for a missing or mistyped "
          "parameter") {
  operator_spec op;
  op.name = "detector";
  op.kind = "simulate";
  op.params = {{"mode", std::string{"sleep"}, {}}};
  param_reader p{op};
  CHECK_THROWS_AS(p.get_int("mode"), std::out_of_range);
  CHECK_THROWS_WITH(p.get_int("cost_ms"),
                    "operator 'detector': no parameter 'cost_ms' (kind 'simulate')");
  CHECK_THROWS_WITH(p.get_bool("mode"),
                    "operator 'detector': parameter 'mode' is not a bool (kind 'simulate')");
}

TEST_CASE("every kind's defaults have the type its schema declares") {
  // validate() copies defaults into specs, and param_reader then reads them by type: a
  // default of the wrong type would throw inside an operation at run time.
  for (auto& kind : all_kinds()) {
    for (auto& schema : kind.params) {
      if (!schema.default_value)
        continue;
      INFO(kind.name, ".", schema.name);
      auto& v = *schema.default_value;
      switch (schema.type) {
        case param_type::boolean: CHECK(std::holds_alternative<bool>(v)); break;
        case param_type::integer: CHECK(std::holds_alternative<std::int64_t>(v)); break;
        case param_type::number: CHECK(std::holds_alternative<double>(v)); break;
        case param_type::string:
        case param_type::choice: CHECK(std::holds_alternative<std::string>(v)); break;
        case param_type::number_list: CHECK(std::holds_alternative<std::vector<double>>(v)); break;
        case param_type::integer_list:
          CHECK(std::holds_alternative<std::vector<std::int64_t>>(v));
          break;
        case param_type::string_list:
          CHECK(std::holds_alternative<std::vector<std::string>>(v));
          break;
      }
    }
  }
}

} // namespace hogar::graph
