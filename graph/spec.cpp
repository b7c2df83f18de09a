#include "graph/spec.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace hogar::graph {

std::string to_string(const source_position& where) {
  if (where.line <= 0)
    return where.file;
  if (where.column <= 0)
    return fmt::format("{}:{}", where.file, where.line);
  return fmt::format("{}:{}:{}", where.file, where.line, where.column);
}

std::string to_string(const param_value& value) {
  return std::visit(
    [](const auto& v) -> std::string {
      using T = std::decay_t<decltype(v)>;
      if constexpr (std::is_same_v<T, bool>)
        return v ? "true" : "false";
      else if constexpr (std::is_same_v<T, std::string>)
        return v;
      else if constexpr (std::is_arithmetic_v<T>)
        return fmt::format("{}", v);
      else
        return fmt::format("[{}]", fmt::join(v, ", "));
    },
    value);
}

const param_value* operator_spec::find_param(std::string_view name) const noexcept {
  for (auto& p : params)
    if (p.name == name)
      return &p.value;
  return nullptr;
}

const tuning_knob* tuning_spec::find(std::string_view knob) const noexcept {
  for (auto& k : knobs)
    if (k.name == knob)
      return &k;
  return nullptr;
}

namespace {

// A wrong type after validation means the validator and an operation disagree about a
// schema: a bug, so the message names both sides for whoever debugs it.
[[noreturn]] void wrong_type(const operator_spec& op, std::string_view name,
                             std::string_view wanted) {
  throw std::out_of_range(fmt::format("operator '{}': parameter '{}' is not {} (kind '{}')",
                                      op.name, name, wanted, op.kind));
}

} // namespace

const param_value& param_reader::at(std::string_view name) const {
  if (auto* value = op_.find_param(name))
    return *value;
  throw std::out_of_range(
    fmt::format("operator '{}': no parameter '{}' (kind '{}')", op_.name, name, op_.kind));
}

bool param_reader::get_bool(std::string_view name) const {
  if (auto* v = std::get_if<bool>(&at(name)))
    return *v;
  wrong_type(op_, name, "a bool");
}

std::int64_t param_reader::get_int(std::string_view name) const {
  if (auto* v = std::get_if<std::int64_t>(&at(name)))
    return *v;
  wrong_type(op_, name, "an integer");
}

double param_reader::get_number(std::string_view name) const {
  auto& value = at(name);
  if (auto* v = std::get_if<double>(&value))
    return *v;
  if (auto* v = std::get_if<std::int64_t>(&value))
    return static_cast<double>(*v);
  wrong_type(op_, name, "a number");
}

const std::string& param_reader::get_string(std::string_view name) const {
  if (auto* v = std::get_if<std::string>(&at(name)))
    return *v;
  wrong_type(op_, name, "a string");
}

std::vector<double> param_reader::get_numbers(std::string_view name) const {
  auto& value = at(name);
  if (auto* v = std::get_if<std::vector<double>>(&value))
    return *v;
  if (auto* v = std::get_if<std::vector<std::int64_t>>(&value))
    return std::vector<double>(v->begin(), v->end());
  wrong_type(op_, name, "a list of numbers");
}

std::vector<std::int64_t> param_reader::get_ints(std::string_view name) const {
  if (auto* v = std::get_if<std::vector<std::int64_t>>(&at(name)))
    return *v;
  wrong_type(op_, name, "a list of integers");
}

const std::vector<std::string>& param_reader::get_strings(std::string_view name) const {
  if (auto* v = std::get_if<std::vector<std::string>>(&at(name)))
    return *v;
  wrong_type(op_, name, "a list of strings");
}

} // namespace hogar::graph
