// validate.cpp: the semantic checks of a graph (kinds, parameters, names, references, cycles)
// and the loaders that chain reader and validator. Every problem is collected; a check that
// depends on a field the reader already reported as unreadable is skipped, so one mistake
// gives one message.
#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <system_error>
#include <type_traits>

#include <fmt/format.h>

#include "graph/kinds.hpp"
#include "graph/loader.hpp"
#include "graph/parsed_graph.hpp"

namespace hogar::graph {

namespace {

std::string join(const std::vector<std::string>& words) {
  return fmt::format("{}", fmt::join(words, ", "));
}

template <class Range>
std::vector<std::string> to_strings(const Range& range) {
  std::vector<std::string> words;
  for (auto& word : range)
    words.emplace_back(word);
  return words;
}

std::string suggest(std::string_view word, const std::vector<std::string>& known,
                    std::string_view what) {
  if (auto close = closest_match(word, known); !close.empty())
    return fmt::format("did you mean '{}'?", close);
  if (known.empty())
    return {};
  return fmt::format("{}: {}", what, join(known));
}

/// [A-Za-z_][A-Za-z0-9_-]*: no '.', which selects a tensor in `from:`, and nothing that needs
/// quoting in a URL (/v2/models/{graph}) or in a metric label.
bool valid_name(std::string_view name) {
  if (name.empty())
    return false;
  auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!letter(name.front()))
    return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [&](char c) { return letter(c) || digit(c) || c == '-'; });
}

/// "integer 3", "string \"fast\"", "list of numbers": for "got ..." in messages.
std::string describe(const param_value& value) {
  struct visitor {
    std::string operator()(bool b) const { return fmt::format("bool {}", b); }
    std::string operator()(std::int64_t i) const { return fmt::format("integer {}", i); }
    std::string operator()(double d) const { return fmt::format("number {}", d); }
    std::string operator()(const std::string& s) const { return fmt::format("string \"{}\"", s); }
    std::string operator()(const std::vector<double>&) const { return "a list of numbers"; }
    std::string operator()(const std::vector<std::int64_t>&) const {
      return "a list of integers";
    }
    std::string operator()(const std::vector<std::string>& v) const {
      return v.empty() ? "an empty list" : "a list of strings";
    }
  };
  return std::visit(visitor{}, value);
}

bool is_scalar(const param_value& value) {
  return std::holds_alternative<bool>(value) || std::holds_alternative<std::int64_t>(value) ||
         std::holds_alternative<double>(value) || std::holds_alternative<std::string>(value);
}

bool is_empty_list(const param_value& value) {
  auto* strings = std::get_if<std::vector<std::string>>(&value);
  return strings != nullptr && strings->empty();
}

std::string article_type(param_type type) {
  switch (type) {
    case param_type::boolean: return "true or false";
    case param_type::integer: return "an integer";
    case param_type::number: return "a number";
    case param_type::string:
    case param_type::choice: return "a string";
    case param_type::number_list: return "a list of numbers";
    case param_type::integer_list: return "a list of integers";
    case param_type::string_list: return "a list of strings";
  }
  return "?";
}

/// Converts `value` to exactly the schema's type, or returns nullopt (the caller reports).
std::optional<param_value> convert(const param_value& value, param_type type) {
  switch (type) {
    case param_type::boolean:
      if (std::holds_alternative<bool>(value))
        return value;
      break;
    case param_type::integer:
      if (std::holds_alternative<std::int64_t>(value))
        return value;
      break;
    case param_type::number:
      if (auto* d = std::get_if<double>(&value))
        return param_value{*d};
      if (auto* i = std::get_if<std::int64_t>(&value))
        return param_value{static_cast<double>(*i)};
      break;
    case param_type::string:
    case param_type::choice:
      if (std::holds_alternative<std::string>(value))
        return value;
      break;
    case param_type::number_list:
      if (std::holds_alternative<std::vector<double>>(value))
        return value;
      if (auto* ints = std::get_if<std::vector<std::int64_t>>(&value))
        return param_value{std::vector<double>(ints->begin(), ints->end())};
      if (is_empty_list(value))
        return param_value{std::vector<double>{}};
      break;
    case param_type::integer_list:
      if (std::holds_alternative<std::vector<std::int64_t>>(value))
        return value;
      if (is_empty_list(value))
        return param_value{std::vector<std::int64_t>{}};
      break;
    case param_type::string_list:
      if (std::holds_alternative<std::vector<std::string>>(value))
        return value;
      break;
  }
  return std::nullopt;
}

bool is_list(param_type type) {
  return type == param_type::number_list || type == param_type::integer_list ||
         type == param_type::string_list;
}

class validator {
public:
  validator(graph_spec& spec, const unreadable_fields& unreadable)
      : spec_(spec), unreadable_(unreadable) {}

  std::vector<diagnostic> run() {
    check_graph();
    check_names();
    for (std::size_t i = 0; i < spec_.inputs.size(); ++i)
      check_input(i);
    for (std::size_t i = 0; i < spec_.operators.size(); ++i)
      check_operator(i);
    check_selections();
    for (std::size_t i = 0; i < spec_.outputs.size(); ++i)
      check_output(i);
    check_cycles();
    return std::move(errors_);
  }

private:
  void error(source_position where, std::string message, std::string hint = {}) {
    errors_.push_back({std::move(where), std::move(message), std::move(hint)});
  }

  bool unreadable(std::string_view section, std::size_t index, std::string_view field) const {
    return unreadable_.contains(section, index, field);
  }

  static std::string op_context(const operator_spec& op, std::size_t index) {
    if (op.name.empty())
      return fmt::format("operator #{}", index + 1);
    return fmt::format("operator '{}'", op.name);
  }

  // --- the graph as a whole ---

  void check_graph() {
    if (!unreadable("graph", 0, "graph")) {
      if (spec_.name.empty())
        error(spec_.where, "missing required field 'graph'",
              "name the graph on the first line: `graph: my-graph`");
      else if (!valid_name(spec_.name))
        error(spec_.where, fmt::format("graph name '{}' is not a valid name", spec_.name),
              name_rule_hint());
    }
    auto require = [&](bool empty, std::string_view field, std::string_view hint) {
      if (empty && !unreadable("graph", 0, field))
        error(spec_.where, fmt::format("graph '{}' has no {}", spec_.name, field),
              std::string{hint});
    };
    require(spec_.inputs.empty(), "inputs",
            "declare what a request carries: `inputs: [{name: image, dtype: uint8, shape: "
            "[-1, -1, 3]}]`");
    require(spec_.operators.empty(), "operators",
            "add at least one operator: `operators: [{name: echo, kind: identity, inputs: "
            "[image]}]`");
    require(spec_.outputs.empty(), "outputs",
            "say what a request gets back: `outputs: [{name: result, from: echo}]`");
  }

  static std::string name_rule_hint() {
    return "names start with a letter or '_' and go on with letters, digits, '_' or '-' "
           "(no '.', which selects a tensor in `from:`)";
  }

  /// The name rule and uniqueness: inputs and operators share one namespace (both can feed
  /// an operator); outputs have their own.
  void check_names() {
    struct first_use {
      std::string what;
      source_position where;
    };
    std::map<std::string, first_use> producers;
    auto check = [&](std::map<std::string, first_use>& taken, const std::string& name,
                     const std::string& what, const source_position& where, bool skip) {
      if (skip || name.empty())
        return;
      if (!valid_name(name)) {
        error(where, fmt::format("{}: '{}' is not a valid name", what, name), name_rule_hint());
        return;
      }
      auto [it, inserted] = taken.emplace(name, first_use{what, where});
      if (!inserted)
        error(where, fmt::format("{}: the name '{}' is already taken by {} at {}", what, name,
                                 it->second.what, to_string(it->second.where)),
              "names of inputs and operators must be unique; so must the names of outputs");
    };
    for (std::size_t i = 0; i < spec_.inputs.size(); ++i) {
      auto& input = spec_.inputs[i];
      check(producers, input.name, fmt::format("input '{}'", input.name), input.where,
            unreadable("input", i, "name"));
      if (input.name.empty() && !unreadable("input", i, "name"))
        error(input.where, fmt::format("input #{}: missing required field 'name'", i + 1),
              "every input needs a name: `name: image`");
    }
    for (std::size_t i = 0; i < spec_.operators.size(); ++i) {
      auto& op = spec_.operators[i];
      check(producers, op.name, op_context(op, i), op.where,
            unreadable("operator", i, "name"));
      if (op.name.empty() && !unreadable("operator", i, "name"))
        error(op.where, fmt::format("operator #{}: missing required field 'name'", i + 1),
              "every operator needs a name: `- name: detector`");
    }
    std::map<std::string, first_use> outputs;
    for (std::size_t i = 0; i < spec_.outputs.size(); ++i) {
      auto& output = spec_.outputs[i];
      check(outputs, output.name, fmt::format("output '{}'", output.name), output.where,
            unreadable("output", i, "name"));
      if (output.name.empty() && !unreadable("output", i, "name"))
        error(output.where, fmt::format("output #{}: missing required field 'name'", i + 1),
              "every output needs a name: `- name: result`");
    }
  }

  // --- lookups ---

  const input_spec* find_input(std::string_view name) const {
    for (auto& input : spec_.inputs)
      if (input.name == name)
        return &input;
    return nullptr;
  }

  const operator_spec* find_operator(std::string_view name) const {
    for (auto& op : spec_.operators)
      if (op.name == name)
        return &op;
    return nullptr;
  }

  std::vector<std::string> producer_names() const {
    std::vector<std::string> names;
    for (auto& input : spec_.inputs)
      if (!input.name.empty())
        names.push_back(input.name);
    for (auto& op : spec_.operators)
      if (!op.name.empty())
        names.push_back(op.name);
    return names;
  }

  // --- inputs ---

  void check_input(std::size_t index) {
    auto& input = spec_.inputs[index];
    if (unreadable("input", index, "shape"))
      return;
    for (std::size_t d = 0; d < input.shape.size(); ++d) {
      auto extent = input.shape[d];
      if (extent < 1 && extent != -1)
        error(input.where,
              fmt::format("input '{}': shape extent {} (dimension {}) must be at least 1, or "
                          "-1 for any size",
                          input.name, extent, d),
              "use -1 for a dimension of any size, e.g. the batch or an image's height");
    }
  }

  // --- operators ---

  void check_operator(std::size_t index) {
    auto& op = spec_.operators[index];
    auto context = op_context(op, index);
    const kind_schema* kind = nullptr;
    if (op.kind.empty()) {
      if (!unreadable("operator", index, "kind"))
        error(op.where, fmt::format("{}: missing required field 'kind'", context),
              "known kinds: " + join(to_strings(kind_names())));
    } else {
      kind = find_kind(op.kind);
      if (kind == nullptr)
        error(op.where, fmt::format("{}: unknown kind '{}'", context, op.kind),
              suggest(op.kind, to_strings(kind_names()), "known kinds"));
    }
    if (kind != nullptr) {
      check_params(op, index, *kind, context);
      check_input_count(op, index, *kind, context);
    }
    check_input_refs(op, context);
    check_when(op, context);
    check_scalars(op, index, context);
  }

  static std::vector<std::string_view> kind_names() {
    std::vector<std::string_view> names;
    for (auto& kind : all_kinds())
      names.push_back(kind.name);
    return names;
  }

  void check_params(operator_spec& op, std::size_t index, const kind_schema& kind,
                    const std::string& context) {
    std::vector<std::string> schema_names;
    for (auto& schema : kind.params)
      schema_names.emplace_back(schema.name);
    std::vector<param> checked;
    for (auto& p : op.params) {
      auto schema = std::find_if(kind.params.begin(), kind.params.end(),
                                 [&](auto& s) { return s.name == p.name; });
      if (schema == kind.params.end()) {
        error(p.where,
              fmt::format("{}: kind '{}' has no parameter '{}'", context, kind.name, p.name),
              schema_names.empty()
                ? fmt::format("kind '{}' takes no parameters", kind.name)
                : suggest(p.name, schema_names, fmt::format("parameters of {}", kind.name)));
        continue;
      }
      // A parameter with a bad value is kept as written: the spec is refused anyway, and
      // keeping it stops the default from hiding the error or a "missing" one joining it.
      if (auto value = check_param(p, *schema, context))
        checked.push_back({p.name, std::move(*value), p.where});
      else
        checked.push_back(p);
    }
    for (auto& schema : kind.params) {
      auto present = std::any_of(checked.begin(), checked.end(),
                                 [&](auto& p) { return p.name == schema.name; });
      if (present)
        continue;
      if (schema.default_value) {
        checked.push_back({std::string{schema.name}, *schema.default_value, op.where});
      } else if (!unreadable("operator", index, "params." + std::string{schema.name}) &&
                 !unreadable("operator", index, "params")) {
        error(op.where,
              fmt::format("{}: missing required parameter '{}' ({}) of kind '{}'", context,
                          schema.name, to_string(schema.type), kind.name),
              fmt::format("add `{}: ...` under `params:` ({})", schema.name, schema.help));
      }
    }
    op.params = std::move(checked);
    if (kind.name == "cache")
      check_fill_from(op, context);
    if (kind.name == "model")
      check_model_source(op, index, context);
  }

  /// A model comes from the repository (`model`) or a file (`path`): exactly one of them.
  void check_model_source(const operator_spec& op, std::size_t index,
                          const std::string& context) {
    auto given = [&](std::string_view name) -> const param* {
      for (auto& p : op.params)
        if (p.name == name)
          if (auto* text = std::get_if<std::string>(&p.value); text && !text->empty())
            return &p;
      return nullptr;
    };
    auto* model = given("model");
    auto* path = given("path");
    if (!model && !path && !unreadable("operator", index, "params"))
      error(op.where, fmt::format("{}: a model operator needs `model` (a repository model) or "
                                  "`path` (an ONNX file)",
                                  context),
            "add `model: NAME` under `params:`, or `path: file.onnx` (relative to this file)");
    if (model && path)
      error(path->where, fmt::format("{}: give `model` or `path`, not both", context),
            "`model` names a repository model; `path` an ONNX file");
  }

  /// The value converted to the schema's type, or nullopt after reporting why not.
  std::optional<param_value> check_param(const param& p, const param_schema& schema,
                                         const std::string& context) {
    auto value = convert(p.value, schema.type);
    if (!value) {
      std::string hint;
      if (is_list(schema.type) && is_scalar(p.value))
        hint = fmt::format("write a list, even of one value: `{}: [{}]`", p.name,
                           to_string(p.value));
      else if ((schema.type == param_type::string || schema.type == param_type::choice) &&
               is_scalar(p.value))
        hint = fmt::format("quote it: `{}: \"{}\"`", p.name, to_string(p.value));
      else if (schema.type == param_type::integer && std::holds_alternative<double>(p.value))
        hint = "write a whole number, without a decimal point";
      else if (!schema.help.empty())
        hint = std::string{schema.help};
      error(p.where,
            fmt::format("{}: parameter '{}' must be {}, got {}", context, p.name,
                        article_type(schema.type), describe(p.value)),
            std::move(hint));
      return std::nullopt;
    }
    if (schema.type == param_type::choice) {
      auto& text = std::get<std::string>(*value);
      if (std::find(schema.choices.begin(), schema.choices.end(), text) ==
          schema.choices.end()) {
        auto choices = to_strings(schema.choices);
        error(p.where,
              fmt::format("{}: parameter '{}' must be one of {}; got \"{}\"", context, p.name,
                          join(choices), text),
              suggest(text, choices, "choices"));
        return std::nullopt;
      }
    }
    bool in_bounds = true;
    auto check_bounds = [&](double x) {
      if ((schema.min && x < *schema.min) || (schema.max && x > *schema.max)) {
        in_bounds = false;
        error(p.where,
              fmt::format("{}: parameter '{}' is {}, outside {}", context, p.name, x,
                          bounds_text(schema)),
              std::string{schema.help});
      }
    };
    std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) {
          check_bounds(static_cast<double>(v));
        } else if constexpr (std::is_same_v<T, std::vector<std::int64_t>> ||
                             std::is_same_v<T, std::vector<double>>) {
          for (auto x : v)
            check_bounds(static_cast<double>(x));
        }
      },
      *value);
    if (!in_bounds)
      return std::nullopt;
    return value;
  }

  static std::string bounds_text(const param_schema& schema) {
    if (schema.min && schema.max)
      return fmt::format("the range {} to {}", *schema.min, *schema.max);
    if (schema.min)
      return fmt::format("the allowed minimum {}", *schema.min);
    return fmt::format("the allowed maximum {}", *schema.max);
  }

  void check_fill_from(const operator_spec& op, const std::string& context) {
    auto it = std::find_if(op.params.begin(), op.params.end(),
                           [](auto& p) { return p.name == "fill_from"; });
    if (it == op.params.end())
      return;
    auto* target = std::get_if<std::string>(&it->value);
    if (target == nullptr)
      return;  // a wrong type, already reported
    if (*target == op.name) {
      error(it->where, fmt::format("{}: a cache cannot fill itself (fill_from: {})", context,
                                   *target),
            "name the operator whose results the cache keeps");
      return;
    }
    if (find_operator(*target) == nullptr) {
      std::vector<std::string> names;
      for (auto& other : spec_.operators)
        if (!other.name.empty() && other.name != op.name)
          names.push_back(other.name);
      error(it->where,
            fmt::format("{}: fill_from names unknown operator '{}'", context, *target),
            suggest(*target, names, "operators"));
    }
  }

  // --- ensemble selection (issue 14): an ensemble with selection greedy or rafiki, and the
  // select operator that gates its members ---

  /// The parameter `name` of an operator whose parameters were checked, if it has that type.
  template <class T>
  static const T* param_of(const operator_spec& op, std::string_view name) {
    auto* value = op.find_param(name);
    return value ? std::get_if<T>(value) : nullptr;
  }

  static source_position param_where(const operator_spec& op, std::string_view name) {
    for (auto& p : op.params)
      if (p.name == name)
        return p.where;
    return op.where;
  }

  void check_selections() {
    for (std::size_t i = 0; i < spec_.operators.size(); ++i) {
      auto& op = spec_.operators[i];
      if (op.kind == "ensemble")
        check_ensemble_selection(op, op_context(op, i));
      else if (op.kind == "select")
        check_select(op, op_context(op, i));
    }
  }

  void check_ensemble_selection(const operator_spec& op, const std::string& context) {
    auto* selection = param_of<std::string>(op, "selection");
    if (selection == nullptr || *selection == "all")
      return;
    auto n = op.inputs.size();
    if (n < 2)
      error(op.where,
            fmt::format("{}: selection: {} chooses among the ensemble's members, and it has {}",
                        context, *selection, n),
            "give the ensemble two or more inputs, or leave `selection` out");
    if (n > selection_members_max)
      error(op.where,
            fmt::format("{}: selection: {} weighs every subset of the members: at most {}, "
                        "got {}",
                        context, *selection, selection_members_max, n),
            "combine fewer models, or leave `selection` out");
    if (!(op.slo_ms > 0))
      error(op.where,
            fmt::format("{}: selection: {} needs the ensemble's slo_ms, the objective it keeps",
                        context, *selection),
            "add `slo_ms: 100` (milliseconds from the selection to the ensemble's answer)");
    if (auto* accuracy = param_of<std::vector<double>>(op, "accuracy"); accuracy &&
        accuracy->size() != n)
      error(param_where(op, "accuracy"),
            fmt::format("{}: selection: {} needs one accuracy per member: {} for {} inputs",
                        context, *selection, accuracy->size(), n),
            "list each member's accuracy in [0, 1] in `inputs:` order, e.g. `accuracy: [0.7, "
            "0.65]`");
    if (auto* sizes = param_of<std::vector<std::int64_t>>(op, "batch_sizes"))
      if (sizes->empty() || !std::is_sorted(sizes->begin(), sizes->end(), std::less_equal<>{}))
        error(param_where(op, "batch_sizes"),
              fmt::format("{}: batch_sizes must be ascending and not empty", context),
              "e.g. `batch_sizes: [1, 2, 4, 8, 16]`");
    std::vector<const operator_spec*> selectors;
    for (auto& other : spec_.operators)
      if (auto* name = param_of<std::string>(other, "ensemble");
          other.kind == "select" && name && *name == op.name)
        selectors.push_back(&other);
    if (selectors.size() != 1) {
      error(op.where,
            selectors.empty()
              ? fmt::format("{}: selection: {} needs a `select` operator that names it",
                            context, *selection)
              : fmt::format("{}: {} `select` operators name it; one chooses its members",
                            context, selectors.size()),
            fmt::format("add `{{name: pick, kind: select, inputs: [...], params: {{ensemble: "
                        "{}}}}}` and `when: pick` to every member",
                        op.name));
      return;
    }
    auto& selector = *selectors.front();
    for (auto& member : op.inputs) {
      auto* gated = find_operator(member.name);
      if (gated != nullptr && gated->when && gated->when->name == selector.name &&
          !gated->when->negated)
        continue;
      error(member.where,
            fmt::format("{}: member '{}' must run only when '{}' selects it", context,
                        member.name, selector.name),
            find_input(member.name) != nullptr
              ? fmt::format("a graph input always arrives; put an operator between '{}' and "
                            "the ensemble",
                            member.name)
              : fmt::format("give '{}' `when: {}`", member.name, selector.name));
    }
  }

  void check_select(const operator_spec& op, const std::string& context) {
    auto* name = param_of<std::string>(op, "ensemble");
    if (name == nullptr)
      return; // missing or mistyped, already reported
    auto* ensemble = find_operator(*name);
    if (ensemble == nullptr || ensemble->kind != "ensemble") {
      std::vector<std::string> ensembles;
      for (auto& other : spec_.operators)
        if (other.kind == "ensemble")
          ensembles.push_back(other.name);
      error(param_where(op, "ensemble"),
            ensemble == nullptr
              ? fmt::format("{}: `ensemble` names unknown operator '{}'", context, *name)
              : fmt::format("{}: `ensemble` names '{}', whose kind '{}' is not ensemble",
                            context, *name, ensemble->kind),
            suggest(*name, ensembles, "ensembles"));
      return;
    }
    if (auto* selection = param_of<std::string>(*ensemble, "selection");
        selection && *selection == "all")
      error(param_where(op, "ensemble"),
            fmt::format("{}: ensemble '{}' has selection all: its members always run", context,
                        *name),
            fmt::format("give '{}' `selection: rafiki` (or greedy)", *name));
    for (auto& other : spec_.operators) {
      if (!other.when || other.when->name != op.name)
        continue;
      bool member = std::any_of(ensemble->inputs.begin(), ensemble->inputs.end(),
                                [&](auto& in) { return in.name == other.name; });
      if (other.when->negated || !member)
        error(other.when->where,
              other.when->negated
                ? fmt::format("operator '{}': `when` negates '{}', a select operator, whose "
                              "verdicts are per member",
                              other.name, op.name)
                : fmt::format("operator '{}': `when` names '{}', which selects the members "
                              "of '{}' only",
                              other.name, op.name, *name),
              fmt::format("members of '{}' take `when: {}`; other operators a condition", *name,
                          op.name));
    }
  }

  void check_input_count(const operator_spec& op, std::size_t index, const kind_schema& kind,
                         const std::string& context) {
    if (unreadable("operator", index, "inputs"))
      return;
    auto n = static_cast<int>(op.inputs.size());
    if (n >= kind.min_inputs && (kind.max_inputs < 0 || n <= kind.max_inputs))
      return;
    auto inputs = [](int count) { return count == 1 ? "input" : "inputs"; };
    std::string wanted;
    if (kind.min_inputs == kind.max_inputs)
      wanted = fmt::format("exactly {} {}", kind.min_inputs, inputs(kind.min_inputs));
    else if (kind.max_inputs < 0)
      wanted = fmt::format("at least {} {}", kind.min_inputs, inputs(kind.min_inputs));
    else
      wanted = fmt::format("{} to {} inputs", kind.min_inputs, kind.max_inputs);
    error(op.where,
          fmt::format("{}: kind '{}' takes {}, got {}", context, kind.name, wanted, n),
          n == 0 ? "list what feeds it: `inputs: [image]`"
                 : "the `when` condition is not an input; list only data inputs");
  }

  void check_input_refs(const operator_spec& op, const std::string& context) {
    for (auto& ref : op.inputs) {
      if (find_input(ref.name) != nullptr || find_operator(ref.name) != nullptr)
        continue;
      error(ref.where, fmt::format("{}: unknown input '{}'", context, ref.name),
            suggest(ref.name, producer_names(), "inputs and operators"));
    }
  }

  void check_when(const operator_spec& op, const std::string& context) {
    if (!op.when)
      return;
    auto& when = *op.when;
    std::vector<std::string> conditions;
    for (auto& other : spec_.operators)
      if (auto* kind = find_kind(other.kind); kind != nullptr && kind->is_condition)
        conditions.push_back(other.name);
    auto conditions_hint = [&] {
      std::vector<std::string> kinds;
      for (auto& kind : all_kinds())
        if (kind.is_condition)
          kinds.emplace_back(kind.name);
      return fmt::format("`when` names an operator of a condition kind ({})", join(kinds));
    };
    if (find_input(when.name) != nullptr) {
      error(when.where,
            fmt::format("{}: `when` names '{}', which is a graph input, not a condition "
                        "operator",
                        context, when.name),
            conditions_hint());
      return;
    }
    auto* target = find_operator(when.name);
    if (target == nullptr) {
      auto hint = suggest(when.name, conditions, "condition operators");
      error(when.where, fmt::format("{}: `when` names unknown operator '{}'", context,
                                    when.name),
            hint.empty() ? conditions_hint() : hint);
      return;
    }
    if (target == &op) {
      error(when.where, fmt::format("{}: `when` names the operator itself", context),
            "a condition must be computed before the operator it gates");
      return;
    }
    auto* kind = find_kind(target->kind);
    if (kind != nullptr && !kind->is_condition)
      error(when.where,
            fmt::format("{}: `when` names '{}', whose kind '{}' is not a condition", context,
                        when.name, target->kind),
            conditions_hint());
  }

  void check_scalars(const operator_spec& op, std::size_t index, const std::string& context) {
    if (op.replicas < 1 && !unreadable("operator", index, "replicas"))
      error(op.where,
            fmt::format("{}: field 'replicas' must be at least 1, got {}", context,
                        op.replicas),
            "leave it out for one replica");
    // A stateful operator's state lives in one place; ARG protects it with a backup on another
    // node, not with replicas that would each hold a diverging copy.
    auto* kind = find_kind(op.kind);
    bool stateful = op.stateful || (kind != nullptr && kind->stateful);
    if (stateful && op.replicas > 1 && !unreadable("operator", index, "replicas"))
      error(op.where,
            fmt::format("{}: a stateful operator runs as one replica, got replicas: {}{}",
                        context, op.replicas,
                        op.stateful ? std::string{}
                                    : fmt::format(" (kind '{}' keeps state)", op.kind)),
            "leave 'replicas' out: recovery keeps a backup of its state on another node");
    if ((op.slo_ms < 0 || !std::isfinite(op.slo_ms)) && !unreadable("operator", index, "slo_ms"))
      error(op.where,
            fmt::format("{}: field 'slo_ms' must be at least 0, got {}", context, op.slo_ms),
            "0 (or leaving it out) means no latency objective");
    if (op.placement.gpus < 0)
      error(op.where,
            fmt::format("{}: placement: field 'gpus' must be at least 0, got {}", context,
                        op.placement.gpus));
    check_tuning(op, index, context);
    if (!op.batching)
      return;
    auto& batching = *op.batching;
    const std::vector<std::string> policies = {"static", "slo_greedy", "aimd"};
    if (std::find(policies.begin(), policies.end(), batching.policy) == policies.end() &&
        !unreadable("operator", index, "batching.policy"))
      error(batching.where,
            fmt::format("{}: batching: unknown policy '{}'", context, batching.policy),
            suggest(batching.policy, policies, "policies"));
    if (batching.max_batch_size < 1 && !unreadable("operator", index, "batching.max_batch_size"))
      error(batching.where,
            fmt::format("{}: batching: field 'max_batch_size' must be at least 1, got {}",
                        context, batching.max_batch_size));
    if (batching.max_queue_delay_us < 0 &&
        !unreadable("operator", index, "batching.max_queue_delay_us"))
      error(batching.where,
            fmt::format("{}: batching: field 'max_queue_delay_us' must be at least 0, got {}",
                        context, batching.max_queue_delay_us));
  }

  /// The smallest and largest value each knob may take at all (bounds outside are typos).
  static std::pair<std::int64_t, std::int64_t> knob_limits(std::string_view knob) {
    if (knob == "batch_size")
      return {1, 1 << 20};
    if (knob == "queue_delay_us")
      return {0, 10'000'000};
    if (knob == "instances")
      return {1, 64};
    return {1, 256};  // intra_op_threads
  }

  /// The value a knob has when the graph starts (batching fields and model params), or
  /// nullopt where it is not given (intra_op_threads 0: the cores shared among instances).
  static std::optional<std::int64_t> starting_value(const operator_spec& op,
                                                    std::string_view knob) {
    if (knob == "batch_size")
      return op.batching ? std::optional{op.batching->max_batch_size} : std::nullopt;
    if (knob == "queue_delay_us")
      return op.batching ? std::optional{op.batching->max_queue_delay_us} : std::nullopt;
    if (auto* value = op.find_param(knob))
      if (auto* n = std::get_if<std::int64_t>(value); n && *n > 0)
        return *n;
    return std::nullopt;
  }

  void check_tuning(const operator_spec& op, std::size_t index, const std::string& context) {
    if (!op.tuning)
      return;
    auto& tuning = *op.tuning;
    auto inner = fmt::format("{}: tuning", context);
    // The tuner moves the knobs of a batching model; nothing else has them.
    if (op.kind != "model" || !op.batching) {
      error(tuning.where,
            fmt::format("{}: a tuning block needs an operator that batches, and this one {}",
                        inner,
                        op.kind != "model" ? fmt::format("is of kind '{}'", op.kind)
                                           : std::string{"has no batching block"}),
            "tune a model operator with `batching: {policy: static, max_batch_size: 8}`");
      return;
    }
    const std::vector<std::string> policies = {"rrl", "q_learning", "static"};
    if (std::find(policies.begin(), policies.end(), tuning.policy) == policies.end() &&
        !unreadable("operator", index, "tuning.policy"))
      error(tuning.where, fmt::format("{}: unknown policy '{}'", inner, tuning.policy),
            suggest(tuning.policy, policies, "tuning policies"));
    if (tuning.knobs.empty() && !unreadable("operator", index, "tuning"))
      error(tuning.where, fmt::format("{}: names no knob to tune", inner),
            "give bounds for at least one of batch_size, queue_delay_us, instances, "
            "intra_op_threads, e.g. `batch_size: [1, 64]`");
    for (auto& knob : tuning.knobs) {
      auto [least, most] = knob_limits(knob.name);
      if (knob.lo > knob.hi) {
        error(knob.where,
              fmt::format("{}: field '{}': the bounds [{}, {}] are reversed (empty)", inner,
                          knob.name, knob.lo, knob.hi),
              fmt::format("write `{}: [{}, {}]`", knob.name, knob.hi, knob.lo));
        continue;
      }
      if (knob.lo < least || knob.hi > most) {
        error(knob.where,
              fmt::format("{}: field '{}': the bounds [{}, {}] leave [{}, {}]", inner, knob.name,
                          knob.lo, knob.hi, least, most));
        continue;
      }
      if (auto start = starting_value(op, knob.name); start && (*start < knob.lo || *start > knob.hi))
        error(knob.where,
              fmt::format("{}: field '{}': the operator starts at {} = {}, outside its bounds "
                          "[{}, {}]",
                          inner, knob.name,
                          knob.name == "batch_size"       ? "batching.max_batch_size"
                          : knob.name == "queue_delay_us" ? "batching.max_queue_delay_us"
                                                          : "params." + knob.name,
                          *start, knob.lo, knob.hi),
              "start inside the bounds, or widen them");
    }
    constexpr std::int64_t window_ms_max = 86'400'000;  // a day
    constexpr std::int64_t window_requests_max = 1'000'000'000;
    if (tuning.window_ms > window_ms_max || tuning.window_requests > window_requests_max)
      error(tuning.where,
            fmt::format("{}: fields 'window_requests' ({}) and 'window_ms' ({}) may be at most "
                        "{} and {} (a day)",
                        inner, tuning.window_requests, tuning.window_ms, window_requests_max,
                        window_ms_max));
    // The tuner's grid: at most a million configurations (each knob takes `points` values,
    // or one per integer in a narrower range).
    if (tuning.points >= 2 && tuning.points <= 101) {
      double size = 1;
      for (auto& knob : tuning.knobs)
        if (knob.hi >= knob.lo)
          size *= static_cast<double>(
            std::min<std::int64_t>(tuning.points, knob.hi - knob.lo + 1));
      if (size > 1e6)
        error(tuning.where,
              fmt::format("{}: the knobs make {:.0f} configurations at {} points each; the tuner "
                          "takes at most 1,000,000",
                          inner, size, tuning.points),
              "lower 'points' (11 is RRL's) or tune fewer knobs");
    }
    if (tuning.window_requests < 0 || tuning.window_ms < 0 ||
        (tuning.window_requests == 0 && tuning.window_ms == 0))
      error(tuning.where,
            fmt::format("{}: fields 'window_requests' ({}) and 'window_ms' ({}) must be at least "
                        "0, and one of them more",
                        inner, tuning.window_requests, tuning.window_ms),
            "a window closes after window_requests answers or window_ms, whichever comes first");
    if (tuning.points < 2 || tuning.points > 101)
      error(tuning.where,
            fmt::format("{}: field 'points' must be between 2 and 101, got {}", inner,
                        tuning.points));
    if (!(tuning.slo_weight >= 0) || !std::isfinite(tuning.slo_weight))
      error(tuning.where, fmt::format("{}: field 'slo_weight' must be at least 0, got {}", inner,
                                      tuning.slo_weight));
    if (!(tuning.cpu_weight_ms >= 0) || !std::isfinite(tuning.cpu_weight_ms))
      error(tuning.where, fmt::format("{}: field 'cpu_weight_ms' must be at least 0, got {}",
                                      inner, tuning.cpu_weight_ms));
  }

  // --- outputs ---

  void check_output(std::size_t index) {
    auto& output = spec_.outputs[index];
    if (unreadable("output", index, "from"))
      return;
    auto context = output.name.empty() ? fmt::format("output #{}", index + 1)
                                       : fmt::format("output '{}'", output.name);
    if (output.from.name.empty()) {
      error(output.where, fmt::format("{}: missing required field 'from'", context),
            "name the operator or input it comes from: `from: detector`");
      return;
    }
    if (find_input(output.from.name) == nullptr && find_operator(output.from.name) == nullptr)
      error(output.from.where,
            fmt::format("{}: `from` names unknown operator '{}'", context, output.from.name),
            suggest(output.from.name, producer_names(), "inputs and operators"));
  }

  // --- cycles ---

  /// Depth-first search along the data flow (producer -> consumer), over data inputs and
  /// `when` edges; a cache's fill_from is a back channel, not an edge. Iterative, because a
  /// long chain of operators must not exhaust the stack. An edge that reaches an operator
  /// still on the search path closes a cycle; it is reported where it is written (in its
  /// consumer's `inputs:` or `when:`), with the cycle's path ending in that edge.
  void check_cycles() {
    auto n = spec_.operators.size();
    std::map<std::string_view, std::size_t> index_of;
    for (std::size_t i = 0; i < n; ++i)
      if (!spec_.operators[i].name.empty())
        index_of.emplace(spec_.operators[i].name, i);
    // A name is resolved as build_topology does: an input shadows an operator of the same
    // name (a clash already reported by check_names).
    auto producer_of = [&](const std::string& name) -> std::optional<std::size_t> {
      if (find_input(name) != nullptr)
        return std::nullopt;
      if (auto it = index_of.find(name); it != index_of.end())
        return it->second;
      return std::nullopt;
    };
    struct edge {
      std::size_t consumer;
      source_position where;
    };
    std::vector<std::vector<edge>> outgoing(n);
    for (std::size_t i = 0; i < n; ++i) {
      auto& op = spec_.operators[i];
      for (auto& ref : op.inputs)
        if (auto producer = producer_of(ref.name))
          outgoing[*producer].push_back({i, ref.where});
      if (op.when)
        if (auto producer = producer_of(op.when->name); producer && *producer != i)
          outgoing[*producer].push_back({i, op.when->where});
    }
    enum class color { white, grey, black };
    std::vector<color> colors(n, color::white);
    struct frame {
      std::size_t op;
      std::size_t next_edge;
    };
    for (std::size_t root = 0; root < n; ++root) {
      if (colors[root] != color::white)
        continue;
      std::vector<frame> stack{{root, 0}};
      colors[root] = color::grey;
      while (!stack.empty()) {
        auto& top = stack.back();
        if (top.next_edge == outgoing[top.op].size()) {
          colors[top.op] = color::black;
          stack.pop_back();
          continue;
        }
        auto& e = outgoing[top.op][top.next_edge++];
        if (colors[e.consumer] == color::white) {
          colors[e.consumer] = color::grey;
          stack.push_back({e.consumer, 0});
        } else if (colors[e.consumer] == color::grey) {
          report_cycle(stack, e.consumer, e.where);
        }
      }
    }
  }

  /// `stack` runs along the data flow (stack[k] feeds stack[k + 1]); the edge from its top to
  /// `consumer`, written at `where`, closes the cycle.
  template <class Stack>
  void report_cycle(const Stack& stack, std::size_t consumer, const source_position& where) {
    auto start = std::find_if(stack.begin(), stack.end(),
                              [&](auto& f) { return f.op == consumer; });
    std::string path;
    for (auto it = start; it != stack.end(); ++it)
      path += spec_.operators[it->op].name + " -> ";
    path += spec_.operators[consumer].name;
    error(where, fmt::format("{}: cycle {}", op_context(spec_.operators[consumer], consumer), path),
          "an operator cannot depend on its own output; remove one of these edges");
  }

  graph_spec& spec_;
  const unreadable_fields& unreadable_;
  std::vector<diagnostic> errors_;
};

} // namespace

std::vector<diagnostic> validate_parsed(graph_spec& spec, const unreadable_fields& unreadable) {
  try {
    return validator{spec, unreadable}.run();
  } catch (const std::exception& e) {
    return {{spec.where, fmt::format("cannot validate graph: {}", e.what()), ""}};
  } catch (...) {
    return {{spec.where, "cannot validate graph: unknown failure", ""}};
  }
}

std::vector<diagnostic> validate(graph_spec& spec) {
  return validate_parsed(spec, unreadable_fields{});
}

load_result load_graph_text(std::string_view text, const std::string& file) {
  auto parsed = read_graph(text, file);
  load_result result;
  result.errors = std::move(parsed.errors);
  for (auto& d : validate_parsed(parsed.spec, parsed.unreadable))
    result.errors.push_back(std::move(d));
  if (result.errors.empty()) {
    try {
      result.spec = std::make_shared<graph_spec>(std::move(parsed.spec));
    } catch (const std::exception& e) {
      result.errors.push_back({{file, 0, 0}, fmt::format("cannot load graph: {}", e.what()), ""});
    }
  }
  return result;
}

load_result load_graph_file(const std::string& path) {
  load_result result;
  auto refuse = [&](std::string message, std::string hint = {}) {
    result.errors.push_back({{path, 0, 0}, std::move(message), std::move(hint)});
    return result;
  };
  try {
    namespace fs = std::filesystem;
    std::error_code ec;
    auto status = fs::status(path, ec);
    if (ec || !fs::exists(status))
      return refuse(fmt::format("cannot open graph file '{}': no such file", path),
                    "check the path; relative paths start at the current directory");
    if (fs::is_directory(status))
      return refuse(fmt::format("cannot read graph file '{}': it is a directory", path));
    // The size is checked before reading, so a mistaken path to a model or a data set costs
    // nothing; for something that is not a regular file (a pipe) the read below is capped.
    if (fs::is_regular_file(status)) {
      auto size = fs::file_size(path, ec);
      if (!ec && size > max_graph_file_bytes)
        return refuse(fmt::format("graph file is {:.1f} MiB; graph files are limited to {} MiB",
                                  static_cast<double>(size) / (1024.0 * 1024.0),
                                  max_graph_file_bytes / (1024 * 1024)),
                      "a graph file describes operators, not data: is this the right file?");
    }
    std::ifstream in{path, std::ios::binary};
    if (!in)
      return refuse(fmt::format("cannot open graph file '{}': {}", path,
                                std::generic_category().message(errno)));
    std::string text(max_graph_file_bytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad())
      return refuse(fmt::format("cannot read graph file '{}'", path));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_graph_file_bytes)
      return refuse(fmt::format("graph file is larger than {} MiB; graph files are limited to "
                                "{} MiB",
                                max_graph_file_bytes / (1024 * 1024),
                                max_graph_file_bytes / (1024 * 1024)));
    return load_graph_text(text, path);
  } catch (const std::exception& e) {
    return refuse(fmt::format("cannot read graph file '{}': {}", path, e.what()));
  }
}

} // namespace hogar::graph
