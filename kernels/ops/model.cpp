#include "kernels/ops/model.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "graph/spec.hpp"
#include "kernels/device.hpp"
#include "kernels/onnx/model_repository.hpp"
#include "kernels/onnx/model_store.hpp"
#include "kernels/onnx/plan.hpp"
#include "kernels/ops/common.hpp"
#include "kernels/random_tensor.hpp"

namespace hogar::ops {

namespace fs = std::filesystem;

namespace {

/// Which of `given` (named_tensor or tensor_signature) feeds model input `want`: by name, or
/// by the name a graph gives it (repository graphs rename "input.1" to "input_1"), or the only
/// one given to a model of one input; nullptr when none does.
template <class Tensor>
const Tensor* tensor_for_input(const onnx::value_info& want, std::size_t model_inputs,
                               const std::vector<const Tensor*>& given) {
  const Tensor* found = nullptr;
  for (auto* t : given)
    if (t->name == want.name || t->name == onnx::graph_name_for(want.name))
      found = t;
  if (!found && model_inputs == 1 && given.size() == 1)
    found = given.front();
  return found;
}

/// Devices to try for a device setting, in order ("auto": the GPU when there is one).
std::vector<nn::device> devices_for(const std::string& setting) {
  if (setting == "auto")
    return cuda_device_count() > 0 ? std::vector{nn::device::gpu, nn::device::cpu}
                                   : std::vector{nn::device::cpu};
  return {*nn::device_from_string(setting)};
}

/// Loads one version and builds `instances` executors for it.
result<std::shared_ptr<model_version>> load_version(const model_settings& s,
                                                    const std::string& path,
                                                    std::int64_t version, std::int64_t weight,
                                                    std::size_t instances) {
  auto graph = onnx::load_shared(path);
  if (!graph)
    return graph.error();
  auto v = std::make_shared<model_version>();
  v->model = s.model.empty() ? s.path : s.model;
  v->version = version;
  v->weight = weight;
  v->graph = std::move(*graph);
  std::string tried;
  for (auto device : devices_for(s.device)) {
    onnx::executor_options options;
    options.device = device;
    options.intra_op_threads = static_cast<std::size_t>(s.intra_op_threads);
    options.precision = onnx::precision_from_string(s.precision).value_or(onnx::precision::fp32);
    // admit() refuses NaN per request, so that one bad request never fails a whole batch.
    options.reject_nan_inputs = false;
    v->executors.clear();
    bool ok = true;
    for (std::size_t i = 0; i < instances && ok; ++i) {
      auto exec = onnx::make_executor(v->graph, options);
      if (!exec) {
        tried += fmt::format("{}{}: {}", tried.empty() ? "" : "; ", nn::to_string(device),
                             exec.error().message);
        ok = false;
        break;
      }
      v->executors.push_back(std::move(*exec));
    }
    if (ok) {
      v->device = device;
      return v;
    }
  }
  return fail(errc::unsupported, tried);
}

/// The versions to serve per the settings: the file, or the repository's choice.
result<std::vector<onnx::served_version>> versions_to_serve(const model_settings& s) {
  if (!s.path.empty())
    return std::vector<onnx::served_version>{{0, 1, s.path}};
  onnx::model_repository repo{s.repository};
  auto model = repo.find(s.model);
  if (!model)
    return model.error();
  return onnx::model_repository::served(*model, s.pinned_version);
}

/// Calls `row(src_offset, dst_offset)` (in elements) for every innermost row of a block of
/// `extents` placed at the start of a tensor of `from` extents and read into one of `to`
/// extents (row-major, equal ranks, extents <= both).
template <class Row>
void for_each_row(const shape_t& extents, const shape_t& from, const shape_t& to, Row row) {
  const std::size_t rank = extents.size();
  if (element_count(extents) == 0)
    return;
  std::vector<std::int64_t> index(rank, 0);
  while (true) {
    std::int64_t src = 0, dst = 0;
    for (std::size_t d = 0; d + 1 < rank; ++d) {
      src = src * from[d] + index[d];
      dst = dst * to[d] + index[d];
    }
    row(src * from[rank - 1], dst * to[rank - 1]);
    // The next index over all but the innermost dimension (iteration, no recursion).
    std::size_t d = rank - 1;
    while (d > 0) {
      --d;
      if (++index[d] < extents[d])
        break;
      index[d] = 0;
      if (d == 0)
        return;
    }
    if (rank == 1)
      return;
  }
}

/// A tensor of `type` and `shape` whose every element is `value`.
tensor filled(dtype type, const shape_t& shape, double value) {
  tensor out{type, shape};
  auto fill = [&](auto v) {
    using T = decltype(v);
    for (auto& x : out.mutable_values<T>())
      x = v;
  };
  switch (type) {
    case dtype::float32: fill(static_cast<float>(value)); break;
    case dtype::float64: fill(value); break;
    case dtype::int8: fill(static_cast<std::int8_t>(value)); break;
    case dtype::uint8: fill(static_cast<std::uint8_t>(value)); break;
    case dtype::int32: fill(static_cast<std::int32_t>(value)); break;
    case dtype::int64: fill(static_cast<std::int64_t>(value)); break;
    case dtype::boolean: fill(static_cast<bool>(value != 0)); break;
    default: break;
  }
  return out;
}

/// Stacks the requests' tensors of padded model input `index` along the batch dimension, each
/// padded with `value` to the largest extents in the batch. Returns the batch's extents.
tensor stack_padded(std::span<const model_request* const> batch, std::size_t index,
                    std::int64_t total, double value) {
  const auto& first = batch.front()->inputs[index];
  shape_t shape = first.shape();
  for (auto* r : batch)
    for (std::size_t d = 1; d < shape.size(); ++d)
      shape[d] = std::max(shape[d], r->inputs[index].shape()[d]);
  shape[0] = total;
  auto out = filled(first.type(), shape, value);
  const auto element = dtype_size(first.type());
  auto* dst = out.mutable_bytes().data();
  std::int64_t item = 0;
  for (auto* r : batch) {
    const auto& in = r->inputs[index];
    shape_t to = shape;
    to[0] = in.shape()[0];
    const char* src = in.bytes().data();
    char* base = dst + static_cast<std::size_t>(item * (element_count(shape) / total)) * element;
    const auto row_bytes = static_cast<std::size_t>(in.shape().back()) * element;
    for_each_row(in.shape(), in.shape(), to, [&](std::int64_t s, std::int64_t d) {
      std::memcpy(base + static_cast<std::size_t>(d) * element, src + static_cast<std::size_t>(s) * element,
                  row_bytes);
    });
    item += in.shape()[0];
  }
  return out;
}

/// The rows of `selected` (an output whose rows name their batch item in column 0) that belong
/// to items [first, first + items) of a batch, their item renumbered from 0.
tensor rows_of_items(const tensor& selected, std::int64_t first, std::int64_t items) {
  const auto columns = selected.shape()[1];
  const auto all = selected.values<std::int64_t>();
  std::vector<std::int64_t> mine;
  for (std::size_t at = 0; at < all.size(); at += static_cast<std::size_t>(columns))
    if (all[at] >= first && all[at] < first + items) {
      mine.insert(mine.end(), all.begin() + static_cast<std::ptrdiff_t>(at),
                  all.begin() + static_cast<std::ptrdiff_t>(at) + columns);
      mine[mine.size() - static_cast<std::size_t>(columns)] -= first;
    }
  const auto rows = static_cast<std::int64_t>(mine.size()) / columns;
  return tensor::from_values<std::int64_t>(shape_t{rows, columns}, mine);
}

/// The first padded input of `version` with a dimension `d`, or nullopt.
std::optional<std::size_t> padded_input_with(const model_version& version, std::size_t d) {
  for (std::size_t i = 0; i < version.padded.size(); ++i)
    if (version.padded[i] && version.graph->inputs[i].shape.size() > d)
      return i;
  return std::nullopt;
}

/// The dimensions of output `o` (of `extents` for the whole batch) that padding stretched:
/// those the model declares dynamic (past the batch) whose extent is the padded extent of the
/// same dimension of a padded input (a sequence length). Each request gets them cut back.
std::vector<std::size_t> padded_dims(const model_version& version,
                                     std::span<const model_request* const> batch, std::size_t o,
                                     const shape_t& extents) {
  std::vector<std::size_t> dims;
  const auto& declared = version.graph->outputs[o].shape;
  for (std::size_t d = 1; d < extents.size() && d < declared.size(); ++d) {
    auto input = padded_input_with(version, d);
    if (declared[d] >= 0 || !input)
      continue;
    std::int64_t longest = 0;
    for (auto* r : batch)
      longest = std::max(longest, r->inputs[*input].shape()[d]);
    if (extents[d] == longest)
      dims.push_back(d);
  }
  return dims;
}

/// `part` (one request's rows of a padded batch's output) with dimensions `dims` cut back to
/// the request's own extents.
tensor cut_padding(const tensor& part, const std::vector<std::size_t>& dims,
                   const model_request& r, const model_version& version) {
  shape_t own = part.shape();
  for (auto d : dims)
    own[d] = r.inputs[*padded_input_with(version, d)].shape()[d];
  if (own == part.shape())
    return part;
  tensor out{part.type(), own};
  const auto element = dtype_size(part.type());
  const auto row_bytes = static_cast<std::size_t>(own.back()) * element;
  const char* src = part.bytes().data();
  char* dst = out.mutable_bytes().data();
  for_each_row(own, part.shape(), own, [&](std::int64_t s, std::int64_t d) {
    std::memcpy(dst + static_cast<std::size_t>(d) * element, src + static_cast<std::size_t>(s) * element,
                row_bytes);
  });
  return out;
}

/// Stacks the requests' tensors of model input `index` along the batch dimension.
tensor stack(std::span<const model_request* const> batch, std::size_t index, std::int64_t total) {
  const auto& first = batch.front()->inputs[index];
  if (batch.size() == 1)
    return first;
  shape_t shape = first.shape();
  shape[0] = total;
  tensor out{first.type(), shape};
  auto* dst = out.mutable_bytes().data();
  for (auto* r : batch) {
    auto bytes = r->inputs[index].bytes();
    std::memcpy(dst, bytes.data(), bytes.size());
    dst += bytes.size();
  }
  return out;
}

} // namespace

std::string model_version::label() const {
  if (version == 0)
    return fs::path{model}.filename().string();
  return fmt::format("{}:{}", model, version);
}

std::size_t model_versions::pick(std::uint64_t request_id) const noexcept {
  if (versions.size() <= 1 || total_weight <= 0)
    return 0;
  // A mixed hash of the id, so that consecutive ids spread over the shares.
  auto slot = static_cast<std::int64_t>(splitmix64{request_id}.next() %
                                        static_cast<std::uint64_t>(total_weight));
  for (std::size_t i = 0; i < versions.size(); ++i) {
    slot -= versions[i]->weight;
    if (slot < 0)
      return i;
  }
  return versions.size() - 1;
}

bool model_operation::combines_requests() const noexcept {
  for (auto& v : current_->versions)
    for (auto& in : v->graph->inputs)
      if (in.shape.empty() || in.shape[0] >= 0)
        return false;
  return true;
}

result<std::shared_ptr<const model_versions>> model_operation::load_versions() const {
  auto chosen = versions_to_serve(settings_);
  if (!chosen)
    return fail(chosen.error().code,
                fmt::format("operator '{}': {}", settings_.operator_name, chosen.error().message));
  auto set = std::make_shared<model_versions>();
  for (auto& sv : *chosen) {
    auto v = load_version(settings_, sv.path, sv.version, sv.weight,
                          static_cast<std::size_t>(settings_.executor_instances));
    if (!v)
      return fail(v.error().code,
                  fmt::format("operator '{}': {}", settings_.operator_name, v.error().message));
    // Padded inputs: each one the model takes, with extents past the batch dimension.
    auto& version = **v;
    version.padded.assign(version.graph->inputs.size(), false);
    version.pad_value = settings_.pad_value;
    for (auto& name : settings_.pad_inputs) {
      const auto& inputs = version.graph->inputs;
      auto it = std::find_if(inputs.begin(), inputs.end(),
                             [&](const onnx::value_info& in) { return in.name == name; });
      if (it == inputs.end()) {
        std::vector<std::string_view> names;
        for (auto& in : inputs)
          names.push_back(in.name);
        return fail(errc::invalid_argument,
                    fmt::format("operator '{}': pad_inputs names '{}', which is not an input of "
                                "{} (its inputs: {})",
                                settings_.operator_name, name, version.label(),
                                fmt::join(names, ", ")));
      }
      if (it->shape.size() < 2)
        return fail(errc::invalid_argument,
                    fmt::format("operator '{}': pad_inputs names '{}', which has no extent past "
                                "the batch dimension to pad (shape {})",
                                settings_.operator_name, name, to_string(it->shape)));
      version.padded[static_cast<std::size_t>(it - inputs.begin())] = true;
    }
    for (auto& out : version.graph->outputs)
      version.selects_rows.push_back(onnx::output_selects_rows(*version.graph, out.name));
    set->total_weight += sv.weight;
    set->versions.push_back(std::move(*v));
  }
  // Versions served together must take the same inputs: traffic moves between them freely.
  const auto& first = set->versions.front()->graph->inputs;
  for (auto& v : set->versions) {
    const auto& inputs = v->graph->inputs;
    bool same = inputs.size() == first.size();
    for (std::size_t i = 0; same && i < inputs.size(); ++i)
      same = inputs[i].name == first[i].name && inputs[i].type == first[i].type &&
             inputs[i].shape.size() == first[i].shape.size();
    if (!same)
      return fail(errc::invalid_argument,
                  fmt::format("operator '{}': versions {} and {} take different inputs; versions "
                              "served together must be interchangeable",
                              settings_.operator_name, set->versions.front()->label(), v->label()));
  }
  return std::shared_ptr<const model_versions>{std::move(set)};
}

result<model_request> model_operation::admit(const op_call& call,
                                             const model_versions& versions) const {
  model_request r;
  r.version = versions.pick(call.request_id);
  const auto& model = *versions.versions[r.version]->graph;
  // The request's tensors: the union of its present input records.
  std::vector<const named_tensor*> given;
  for (auto& in : call.inputs)
    if (in)
      for (auto& t : *in)
        if (t.name != condition_tensor_name)
          given.push_back(&t);
  auto names = [&] {
    std::vector<std::string_view> n;
    for (auto* t : given)
      n.push_back(t->name);
    return fmt::format("{}", fmt::join(n, ", "));
  };
  r.key = std::to_string(r.version);
  for (std::size_t i = 0; i < model.inputs.size(); ++i) {
    const auto& want = model.inputs[i];
    const auto* found = tensor_for_input(want, model.inputs.size(), given);
    if (!found)
      return fail(errc::invalid_argument,
                  fmt::format("model input '{}' is not among the request's tensors ({}); name a "
                              "tensor '{}'",
                              want.name, names(), want.name));
    const auto& t = found->value;
    auto mismatch = [&] {
      return fail(errc::invalid_argument,
                  fmt::format("tensor '{}' is {}{}, model input '{}' takes {} (with or without "
                              "the batch dimension)",
                              found->name, to_string(t.type()), to_string(t.shape()), want.name,
                              onnx::to_string(want)));
    };
    if (t.type() != want.type)
      return mismatch();
    tensor shaped = t;
    if (t.rank() + 1 == want.shape.size()) {
      shape_t with_batch{1};
      with_batch.insert(with_batch.end(), t.shape().begin(), t.shape().end());
      shaped = t.reshaped(std::move(with_batch));
      r.added_batch_dim = true;
    } else if (t.rank() != want.shape.size() || t.rank() == 0) {
      return mismatch();
    }
    for (std::size_t d = 1; d < want.shape.size(); ++d)
      if (want.shape[d] >= 0 && want.shape[d] != shaped.shape()[d])
        return mismatch();
    auto items = shaped.shape()[0];
    if (want.shape[0] >= 0 && want.shape[0] != items)
      return mismatch();
    if (i == 0)
      r.items = items;
    else if (items != r.items)
      return fail(errc::invalid_argument,
                  fmt::format("model inputs carry different batch extents ({} and {})", r.items,
                              items));
    if (auto at = first_nan(shaped); at >= 0)
      return fail(errc::invalid_argument,
                  fmt::format("tensor '{}' holds NaN (element {})", found->name, at));
    // A padded input's extents may differ within a batch: its rank alone is part of the key.
    if (versions.versions[r.version]->padded.at(i))
      r.key += fmt::format("pad{}", shaped.rank());
    else
      for (std::size_t d = 1; d < shaped.rank(); ++d)
        r.key += fmt::format(",{}", shaped.shape()[d]);
    r.key += ';';
    r.inputs.push_back(std::move(shaped));
  }
  if (r.items < 1)
    return fail(errc::invalid_argument, "the request carries an empty batch");
  if (settings_.max_batch_size > 0 && r.items > settings_.max_batch_size)
    return fail(errc::invalid_argument,
                fmt::format("the request carries {} items; the operator's "
                            "batching.max_batch_size is {}",
                            r.items, settings_.max_batch_size));
  return r;
}

result<std::vector<record>> model_operation::run_batch(model_version& version,
                                                       std::size_t instance,
                                                       std::span<const model_request* const> batch,
                                                       batch_timing* timing) {
  using clock = std::chrono::steady_clock;
  auto since = [](clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - t).count();
  };
  auto started = clock::now();
  std::int64_t total = 0;
  for (auto* r : batch)
    total += r->items;
  std::vector<tensor> inputs;
  try {
    for (std::size_t i = 0; i < batch.front()->inputs.size(); ++i)
      inputs.push_back(version.padded.at(i) ? stack_padded(batch, i, total, version.pad_value)
                                            : stack(batch, i, total));
  } catch (const std::exception& e) {
    return fail(errc::operator_failed, fmt::format("batch of {} items: {}", total, e.what()));
  }
  if (timing)
    timing->input_ns = since(started);
  auto run_started = clock::now();
  auto outputs = version.executors[instance]->run(inputs);
  if (timing)
    timing->infer_ns = since(run_started);
  auto split_started = clock::now();
  if (!outputs)
    return fail(outputs.error().code, fmt::format("{} (batch of {} item{}, model {})",
                                                  outputs.error().message, total,
                                                  total == 1 ? "" : "s", version.label()));
  const auto& names = version.graph->outputs;
  std::vector<record> per_request(batch.size());
  for (std::size_t o = 0; o < outputs->size(); ++o) {
    const auto& out = (*outputs)[o];
    if (version.selects_rows.at(o)) {
      std::int64_t first = 0;
      for (std::size_t r = 0; r < batch.size(); ++r) {
        per_request[r].push_back({names[o].name, rows_of_items(out, first, batch[r]->items)});
        first += batch[r]->items;
      }
      continue;
    }
    if (batch.size() == 1 && (out.rank() == 0 || out.shape()[0] != total)) {
      // An output without the batch dimension belongs to the one request whole.
      per_request[0].push_back({names[o].name, out});
      continue;
    }
    if (out.rank() == 0 || out.shape()[0] != total)
      return fail(errc::operator_failed,
                  fmt::format("output '{}' of {} has shape {}, which does not split into the "
                              "batch's {} items; serve this model with max_batch_size 1",
                              names[o].name, version.label(), to_string(out.shape()), total));
    const auto row_bytes = out.byte_size() / static_cast<std::size_t>(total);
    const char* src = out.bytes().data();
    const auto trimmed = padded_dims(version, batch, o, out.shape());
    for (std::size_t r = 0; r < batch.size(); ++r) {
      shape_t shape = out.shape();
      shape[0] = batch[r]->items;
      auto bytes = static_cast<std::size_t>(batch[r]->items) * row_bytes;
      tensor part{out.type(), shape, std::vector<char>(src, src + bytes)};
      src += bytes;
      if (!trimmed.empty())
        part = cut_padding(part, trimmed, *batch[r], version);
      if (batch[r]->added_batch_dim)
        part = part.reshaped(shape_t(part.shape().begin() + 1, part.shape().end()));
      per_request[r].push_back({names[o].name, std::move(part)});
    }
  }
  if (timing)
    timing->output_ns = since(split_started);
  return per_request;
}

result<op_output> model_operation::run(const op_call& call) {
  std::lock_guard lock{direct_mutex_};
  if (!direct_) {
    // Its own executors: the actor's workers own the instances of current_.
    model_settings one = settings_;
    one.instances = 1;
    one.executor_instances = 1;
    model_operation probe{one};
    auto loaded = probe.load_versions();
    if (!loaded)
      return loaded.error();
    direct_ = std::move(*loaded);
  }
  auto r = admit(call, *direct_);
  if (!r)
    return r.error();
  const model_request* one[] = {&*r};
  auto out = run_batch(*direct_->versions[r->version], 0, one);
  if (!out)
    return out.error();
  op_output result;
  result.value = std::move(out->front());
  return result;
}

namespace {

/// The operator's settings from its (validated) spec: the checks make() and the signature
/// share.
result<model_settings> read_settings(const graph::operator_spec& spec,
                                     const operation_context& context) {
  graph::param_reader params{spec};
  model_settings s;
  s.operator_name = spec.name;
  s.model = params.get_string("model");
  s.path = params.get_string("path");
  s.pinned_version = params.get_int("version");
  s.device = params.get_string("device");
  s.precision = params.get_string("precision");
  s.instances = params.get_int("instances");
  s.pad_inputs = params.get_strings("pad_inputs");
  s.pad_value = params.get_number("pad_value");
  s.repository = context.model_repository;
  if (s.model.empty() == s.path.empty())
    return fail(errc::invalid_argument,
                fmt::format("operator '{}' (model): give exactly one of 'model' (a repository "
                            "model) and 'path' (an ONNX file)",
                            spec.name));
  if (!s.path.empty() && s.pinned_version != 0)
    return param_error(spec, "version", "applies to repository models, not to a 'path'");
  if (!nn::device_from_string(s.device) && s.device != "auto")
    return param_error(spec, "device", fmt::format("'{}' is not auto, gpu, cpu or reference", s.device));
  if (s.instances < 1)
    return param_error(spec, "instances", "must be at least 1");
  if (!onnx::precision_from_string(s.precision))
    return param_error(spec, "precision", fmt::format("'{}' is not fp32 or bf16", s.precision));
  auto threads = params.get_int("intra_op_threads");
  if (threads < 0)
    return param_error(spec, "intra_op_threads", "must be at least 0");
  // 0: share the cores among the instances.
  s.intra_op_threads =
    threads > 0 ? threads
                : std::max<std::int64_t>(1, static_cast<std::int64_t>(std::thread::hardware_concurrency()) / s.instances);
  s.max_batch_size = spec.batching ? spec.batching->max_batch_size : 0;
  s.executor_instances = s.instances;
  if (spec.tuning) {
    if (auto* knob = spec.tuning->find("instances"))
      s.executor_instances = std::max(s.instances, knob->hi);
    // A tuner may raise the batch limit to its bound: requests that large are admitted.
    if (auto* knob = spec.tuning->find("batch_size"))
      s.max_batch_size = std::max(s.max_batch_size, knob->hi);
  }
  if (!s.path.empty() && fs::path{s.path}.is_relative() && !spec.where.file.empty())
    s.path = (fs::path{spec.where.file}.parent_path() / s.path).lexically_normal().string();
  return s;
}

} // namespace

result<std::unique_ptr<model_operation>> model_operation::make(const graph::operator_spec& spec,
                                                               const operation_context& context) {
  auto s = read_settings(spec, context);
  if (!s)
    return s.error();
  std::unique_ptr<model_operation> op{new model_operation(std::move(*s))};
  auto versions = op->load_versions();
  if (!versions)
    return versions.error();
  op->current_ = std::move(*versions);
  return op;
}

result<std::unique_ptr<operation>> make_model(const graph::operator_spec& spec,
                                              const operation_context& context) {
  auto op = model_operation::make(spec, context);
  if (!op)
    return op.error();
  return std::unique_ptr<operation>{std::move(*op)};
}

namespace {

/// The record one version emits for a request of `given` tensors (admit and run_batch's twin).
result<record_signature> version_signature(const onnx::model_graph& model,
                                           const std::vector<const tensor_signature*>& given,
                                           std::string_view label) {
  std::vector<std::string_view> names;
  for (auto* t : given)
    names.push_back(t->name);
  bool added_batch_dim = false;
  std::int64_t items = -1;
  for (std::size_t i = 0; i < model.inputs.size(); ++i) {
    const auto& want = model.inputs[i];
    const auto* found = tensor_for_input(want, model.inputs.size(), given);
    if (!found)
      return fail(errc::invalid_argument,
                  fmt::format("model input '{}' of {} is not among the tensors its inputs hold "
                              "({})",
                              want.name, label, fmt::join(names, ", ")));
    auto mismatch = [&] {
      return fail(errc::invalid_argument,
                  fmt::format("tensor '{}' is {}{}, model input '{}' of {} takes {} (with or "
                              "without the batch dimension)",
                              found->name, to_string(found->type), to_string(found->shape),
                              want.name, label, onnx::to_string(want)));
    };
    if (found->type != want.type)
      return mismatch();
    shape_t shaped = found->shape;
    if (shaped.size() + 1 == want.shape.size()) {
      shaped.insert(shaped.begin(), 1);
      added_batch_dim = true;
    } else if (shaped.size() != want.shape.size() || shaped.empty()) {
      return mismatch();
    }
    for (std::size_t d = 0; d < want.shape.size(); ++d)
      if (want.shape[d] >= 0 && shaped[d] >= 0 && want.shape[d] != shaped[d])
        return mismatch();
    if (i == 0)
      items = shaped[0];
  }
  record_signature out;
  for (auto& o : model.outputs) {
    shape_t shape = o.shape;
    // Selected rows ([rows, 3], NonMaxSuppression's) keep their shape: a request gets the rows
    // of its items.
    if (!shape.empty() && !onnx::output_selects_rows(model, o.name)) {
      // run_batch splits an output whose first extent is the batch's (dynamic, or 1 for a
      // request of one item) and drops it again for a request that came without it; any
      // other output goes to a lone request whole.
      bool per_item = shape[0] < 0 || (added_batch_dim && shape[0] == 1);
      if (per_item && added_batch_dim)
        shape.erase(shape.begin());
      else if (per_item)
        shape[0] = items;
    }
    out.tensors.push_back({o.name, o.type, std::move(shape), false});
  }
  return out;
}

} // namespace

result<record_signature> model_signature(const signature_call& call) {
  auto settings = read_settings(call.spec, call.context);
  if (!settings)
    return settings.error();
  auto chosen = versions_to_serve(*settings);
  if (!chosen)
    return chosen.error();
  // The request's tensors: the union of its present input records, as admit() sees them.
  std::vector<const tensor_signature*> given;
  for (auto& in : call.inputs)
    for (auto& t : in.tensors)
      if (t.name != condition_tensor_name)
        given.push_back(&t);
  std::optional<record_signature> out;
  for (auto& sv : *chosen) {
    auto graph = onnx::load_shared(sv.path);
    if (!graph)
      return graph.error();
    if (call.keep_alive)
      call.keep_alive->push_back(*graph);
    auto label = sv.version > 0 ? fmt::format("{}:{}", settings->model, sv.version)
                                : fs::path{sv.path}.filename().string();
    auto sig = version_signature(**graph, given, label);
    if (!sig)
      return sig.error();
    if (!out) {
      out = std::move(*sig);
      continue;
    }
    auto unified = unify_alternatives(*out, *sig, fmt::format("served versions of {}", label));
    if (!unified)
      return unified.error();
    out = std::move(*unified);
  }
  return *out;
}

result<served_model_info> served_model(const graph::operator_spec& spec,
                                       const operation_context& context) {
  auto settings = read_settings(spec, context);
  if (!settings)
    return settings.error();
  served_model_info info;
  if (!settings->path.empty()) {
    info.model = settings->path;
    info.versions = {0};
    info.version_policy = "file";
    return info;
  }
  info.model = settings->model;
  onnx::model_repository repo{settings->repository};
  auto model = repo.find(settings->model);
  if (!model)
    return model.error();
  auto served = onnx::model_repository::served(*model, settings->pinned_version);
  if (!served)
    return served.error();
  for (auto& v : *served)
    info.versions.push_back(v.version);
  std::sort(info.versions.begin(), info.versions.end());
  using policy = onnx::model_config::policy;
  if (settings->pinned_version > 0) {
    info.version_policy = "specific";
    info.policy_versions = {settings->pinned_version};
  } else if (model->config.version_policy == policy::all) {
    info.version_policy = "all";
  } else if (model->config.version_policy == policy::specific) {
    info.version_policy = "specific";
    info.policy_versions = model->config.versions;
  } else {
    info.version_policy = "latest";
  }
  return info;
}

} // namespace hogar::ops
