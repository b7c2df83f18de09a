#include "kernels/ops/detected.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "graph/spec.hpp"
#include "kernels/ops/common.hpp"

namespace hogar::ops {

namespace {

constexpr std::string_view selected_form = "int64 [k, 3] (rows [item, class, box])";
constexpr std::string_view scores_form = "float32 [classes, boxes] or [items, classes, boxes]";

bool selected_ok(dtype type, const shape_t& shape) {
  return type == dtype::int64 && shape.size() == 2 && (shape[1] < 0 || shape[1] == 3);
}

bool scores_ok(dtype type, const shape_t& shape) {
  return type == dtype::float32 && (shape.size() == 2 || shape.size() == 3);
}

std::string wrong_form(const std::string& name, dtype type, const shape_t& shape,
                       std::string_view form) {
  return fmt::format("detected: tensor '{}' is {} {} but must be {}", name, to_string(type),
                     to_string(shape), form);
}

class detected_operation final : public guarded_operation {
public:
  detected_operation(std::size_t label_count, std::optional<std::int64_t> label,
                     double threshold, std::string selected_name, std::string scores_name)
    : label_count_(static_cast<std::int64_t>(label_count)),
      label_(label),
      threshold_(threshold),
      selected_name_(std::move(selected_name)),
      scores_name_(std::move(scores_name)) {}

protected:
  result<op_output> compute(const op_call& call) override {
    const record& in = first_present(call);
    auto picked_selected = pick_tensor(in, selected_name_, "detected input");
    if (!picked_selected)
      return picked_selected.error();
    auto picked_scores = pick_tensor(in, scores_name_, "detected input");
    if (!picked_scores)
      return picked_scores.error();
    const tensor& selected = (*picked_selected)->value;
    const tensor& scores = (*picked_scores)->value;
    if (!selected_ok(selected.type(), selected.shape()))
      return fail(errc::invalid_argument, wrong_form(selected_name_, selected.type(),
                                                     selected.shape(), selected_form));
    if (!scores_ok(scores.type(), scores.shape()))
      return fail(errc::invalid_argument,
                  wrong_form(scores_name_, scores.type(), scores.shape(), scores_form));

    // scores is [classes, boxes] or [items, classes, boxes]; a rank-2 one is one item.
    const shape_t& shape = scores.shape();
    const bool batched = shape.size() == 3;
    const std::int64_t items = batched ? shape[0] : 1;
    const std::int64_t classes = shape[shape.size() - 2];
    const std::int64_t boxes = shape[shape.size() - 1];
    const auto rows = selected.values<std::int64_t>();
    const auto score_values = scores.values<float>();

    std::int64_t detections = 0;
    float best = 0;
    for (std::size_t at = 0; at < rows.size(); at += 3) {
      const std::int64_t item = rows[at], cls = rows[at + 1], box = rows[at + 2];
      auto bad_row = [&](std::string_view what) {
        return fail(errc::invalid_argument,
                    fmt::format("detected: tensor '{}' row {} [{}, {}, {}]: {}", selected_name_,
                                at / 3, item, cls, box, what));
      };
      if (cls < 0 || cls >= label_count_)
        return bad_row(fmt::format("class {} is outside the {} labels", cls, label_count_));
      if (cls >= classes)
        return bad_row(fmt::format("class {} is outside tensor '{}' shape {} ({} classes)", cls,
                                   scores_name_, to_string(shape), classes));
      if (box < 0 || box >= boxes)
        return bad_row(fmt::format("box {} is outside tensor '{}' shape {} ({} boxes)", box,
                                   scores_name_, to_string(shape), boxes));
      if (batched && (item < 0 || item >= items))
        return bad_row(fmt::format("item {} is outside tensor '{}' shape {} ({} items)", item,
                                   scores_name_, to_string(shape), items));
      if (!batched && item != 0)
        return bad_row(fmt::format("item {} but tensor '{}' shape {} has no item dimension "
                                   "(the item must be 0)",
                                   item, scores_name_, to_string(shape)));
      if (label_ && cls != *label_)
        continue;
      const float score =
        score_values[static_cast<std::size_t>((item * classes + cls) * boxes + box)];
      if (!(static_cast<double>(score) >= threshold_))
        continue;
      best = detections == 0 ? score : std::max(best, score);
      ++detections;
    }
    op_output out;
    out.value.push_back({"detections", tensor::scalar<std::int64_t>(detections)});
    out.value.push_back({"score", tensor::scalar<float>(best)});
    out.value.push_back({std::string{condition_tensor_name}, tensor::scalar<bool>(detections > 0)});
    return out;
  }

private:
  std::int64_t label_count_;
  /// Index into labels of the label the condition asks about; nullopt: any label.
  std::optional<std::int64_t> label_;
  double threshold_;
  std::string selected_name_;
  std::string scores_name_;
};

} // namespace

result<std::unique_ptr<operation>> make_detected(const graph::operator_spec& spec) {
  auto condition = read_label_condition(spec);
  if (!condition)
    return condition.error();
  graph::param_reader params{spec};
  for (auto param : {"selected", "scores"})
    if (params.get_string(param).empty())
      return param_error(spec, param, "must name a tensor of the input");
  return std::unique_ptr<operation>{std::make_unique<detected_operation>(
    condition->label_count, condition->label, condition->threshold, params.get_string("selected"),
    params.get_string("scores"))};
}

result<record_signature> detected_signature(const signature_call& call) {
  graph::param_reader params{call.spec};
  const auto& in = call.inputs.front();
  auto selected = pick_signature(in, params.get_string("selected"), "detected");
  if (!selected)
    return selected.error();
  auto scores = pick_signature(in, params.get_string("scores"), "detected");
  if (!scores)
    return scores.error();
  const auto& sel = **selected;
  if (!selected_ok(sel.type, sel.shape))
    return fail(errc::invalid_argument, wrong_form(sel.name, sel.type, sel.shape, selected_form));
  const auto& sc = **scores;
  if (!scores_ok(sc.type, sc.shape))
    return fail(errc::invalid_argument, wrong_form(sc.name, sc.type, sc.shape, scores_form));
  // Scores of a fixed class extent must hold one class per label, or the labels name the
  // wrong classes (and rows of the extra classes fail every request).
  const auto labels = static_cast<std::int64_t>(params.get_strings("labels").size());
  const auto classes = sc.shape[sc.shape.size() - 2];
  if (classes >= 0 && classes != labels)
    return fail(errc::invalid_argument,
                fmt::format("detected: tensor '{}' shape {} holds {} classes but parameter "
                            "'labels' lists {} labels",
                            sc.name, to_string(sc.shape), classes, labels));
  return record_signature{{scalar_signature("detections", dtype::int64),
                           scalar_signature("score", dtype::float32),
                           scalar_signature(std::string{condition_tensor_name}, dtype::boolean)},
                          false};
}

} // namespace hogar::ops
