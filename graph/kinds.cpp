#include "graph/kinds.hpp"

namespace hogar::graph {

namespace {

using strings = std::vector<std::string>;
using ints = std::vector<std::int64_t>;
using numbers = std::vector<double>;

const std::vector<kind_schema>& table() {
  static const std::vector<kind_schema> kinds = {
    {"identity", "passes its input record through unchanged", 1, 1, false, {}},
    {"simulate",
     "simulated compute: holds the replica busy for a cost, then passes its first input "
     "through or emits a deterministic tensor derived from the inputs",
     1,
     -1,
     false,
     {
       {"cost_ms", param_type::number, 0.0, "fixed cost per call, milliseconds", {}, 0.0},
       {"cost_per_item_ms", param_type::number, 0.0,
        "extra cost per request in a batch, milliseconds", {}, 0.0},
       {"mode", param_type::choice, std::string{"sleep"},
        "sleep: the replica is busy but no thread is held; spin: burn CPU for the cost",
        {"sleep", "spin"}},
       {"output_name", param_type::string, std::string{},
        "name of the generated tensor; empty: pass the first input through"},
       {"output_dtype", param_type::choice, std::string{"float32"},
        "dtype of the generated tensor",
        {"float32", "float64", "int8", "int32", "int64", "uint8", "bool"}},
       {"output_shape", param_type::integer_list, ints{1},
        "shape of the generated tensor (values are a deterministic function of the inputs, "
        "in [0, 1) for floats)",
        {}, 0.0},
       {"fail_every", param_type::integer, std::int64_t{0},
        "fail every n-th call of a replica with a simulated error; 0: never", {}, 0.0},
       {"crash_every", param_type::integer, std::int64_t{0},
        "crash the replica's actor on every n-th call (recovery tests); 0: never", {}, 0.0},
     }},
    {"resize",
     "resizes images (rank 3, or rank 4 with a leading batch) to height x width",
     1,
     1,
     false,
     {
       {"height", param_type::integer, std::nullopt, "output height, pixels", {}, 1.0},
       {"width", param_type::integer, std::nullopt, "output width, pixels", {}, 1.0},
       {"layout", param_type::choice, std::string{"hwc"}, "image layout", {"hwc", "chw"}},
       {"method", param_type::choice, std::string{"bilinear"}, "interpolation",
        {"bilinear", "nearest"}},
     }},
    {"normalize",
     "converts images to float32: (x * scale - mean[c]) / std[c] per channel",
     1,
     1,
     false,
     {
       {"mean", param_type::number_list, numbers{0.0}, "per-channel mean (one value: all)"},
       {"std", param_type::number_list, numbers{1.0}, "per-channel standard deviation"},
       {"scale", param_type::number, 1.0, "applied before mean and std, e.g. 1/255"},
       {"layout", param_type::choice, std::string{"hwc"}, "image layout", {"hwc", "chw"}},
       {"output_layout", param_type::choice, std::string{"same"},
        "layout of the output: same as the input's, or hwc/chw to move the channels (CNNs "
        "take CHW)",
        {"same", "hwc", "chw"}},
     }},
    {"crop",
     "crops images to height x width, centred or at (top, left)",
     1,
     1,
     false,
     {
       {"height", param_type::integer, std::nullopt, "output height, pixels", {}, 1.0},
       {"width", param_type::integer, std::nullopt, "output width, pixels", {}, 1.0},
       {"mode", param_type::choice, std::string{"center"}, "where the crop is taken",
        {"center", "box"}},
       {"top", param_type::integer, std::int64_t{0}, "first row for mode box", {}, 0.0},
       {"left", param_type::integer, std::int64_t{0}, "first column for mode box", {}, 0.0},
       {"layout", param_type::choice, std::string{"hwc"}, "image layout", {"hwc", "chw"}},
     }},
    {"classify",
     "reads a score vector: emits the best label's index and score, and as condition whether "
     "`label` (or, without it, the best label) scores at least `threshold`",
     1,
     1,
     true,
     {
       {"labels", param_type::string_list, std::nullopt, "class names, one per score"},
       {"label", param_type::string, std::string{},
        "the label the condition asks about; empty: any label"},
       {"threshold", param_type::number, 0.5, "minimum score for the condition"},
       {"tensor", param_type::string, std::string{},
        "which input tensor holds the scores; empty: the first"},
     }},
    {"threshold",
     "condition on a tensor's values: any/all/mean of the elements above or below a value",
     1,
     1,
     true,
     {
       {"threshold", param_type::number, std::nullopt, "the value compared against"},
       {"comparison", param_type::choice, std::string{"above"}, "direction of the test",
        {"above", "below"}},
       {"reduce", param_type::choice, std::string{"any"}, "how elements combine",
        {"any", "all", "mean"}},
       {"tensor", param_type::string, std::string{},
        "which input tensor is tested; empty: the first"},
     }},
    {"detected",
     "reads an object detector's kept boxes (NonMaxSuppression's `selected` rows [item, class, "
     "box] and the `scores`): emits how many boxes of `label` (or, without it, of any label) "
     "score at least `threshold`, the best such score, and as condition whether there is one",
     1,
     1,
     true,
     {
       {"labels", param_type::string_list, std::nullopt, "class names, one per class index"},
       {"label", param_type::string, std::string{},
        "the label the condition asks about; empty: any label"},
       {"threshold", param_type::number, 0.0, "minimum score of a kept box to count"},
       {"selected", param_type::string, std::string{"selected"},
        "which input tensor holds the kept boxes: int64 [k, 3], rows [item, class, box]"},
       {"scores", param_type::string, std::string{"scores"},
        "which input tensor holds the scores: float32 [classes, boxes] or [items, classes, "
        "boxes]"},
     }},
    {"merge",
     "joins its inputs: the union of the present inputs' tensors (condition verdicts dropped; a "
     "name taken twice is prefixed with its input's name)",
     1,
     -1,
     false,
     {}},
    {"ensemble",
     "combines competing predictions of the present inputs: mean, majority vote or best "
     "confidence",
     2,
     -1,
     false,
     {
       {"method", param_type::choice, std::nullopt, "how predictions combine",
        {"mean", "vote", "best"}},
       {"tensor", param_type::string, std::string{},
        "which tensor of each input is combined; empty: the first"},
       {"selection", param_type::choice, std::string{"all"},
        "which members run: all of them; greedy (per decision, the most accurate members "
        "whose measured latency lets the oldest request meet slo_ms); rafiki (Rafiki's "
        "actor-critic: batch size and members, reward accuracy * (n - beta * overdue)). "
        "greedy and rafiki need slo_ms, `accuracy`, and a `select` operator that every "
        "member's `when` names",
        {"all", "greedy", "rafiki"}},
       {"accuracy", param_type::number_list, numbers{},
        "greedy, rafiki: each member's accuracy in [0, 1], in `inputs:` order, the prior the "
        "selection starts from (measured feedback replaces it)",
        {}, 0.0, 1.0},
       {"beta", param_type::number, 0.5,
        "rafiki: what an overdue request costs, as a share of its accuracy", {}, 0.0},
       {"batch_sizes", param_type::integer_list, ints{1, 2, 4, 8, 16},
        "greedy, rafiki: the batch sizes chosen among, ascending (a decision covers that many "
        "requests)",
        {}, 1.0},
       {"seed", param_type::integer, std::int64_t{1}, "rafiki: seeds its choices", {}, 0.0},
     }},
    {"select",
     "the members of an ensemble with `selection: greedy` or `rafiki` run only when it says: "
     "per request it emits one bool verdict per member, named after the member (`when: "
     "SELECT` reads its own), and learns from the members' answers, which come back to it",
     1,
     -1,
     true,
     {
       {"ensemble", param_type::string, std::nullopt,
        "the ensemble whose members it gates; its selection parameters and slo_ms are used"},
     }},
    {"model",
     "an ONNX model (from the model repository, or a file) run in batches on executor "
     "instances: CPU threads or GPU streams; its output record holds the model's outputs",
     1,
     -1,
     false,
     {
       {"model", param_type::string, std::string{},
        "a model of the repository (REPOSITORY/NAME/VERSION/model.onnx); or give `path`"},
       {"path", param_type::string, std::string{},
        "an ONNX file, relative to the graph file; instead of `model`"},
       {"version", param_type::integer, std::int64_t{0},
        "the repository version to serve alone; 0: the repository's choice (its config's "
        "version policy and traffic split, else the newest)",
        {}, 0.0},
       {"device", param_type::choice, std::string{"auto"},
        "where it runs: auto (the GPU when the node has one), gpu, cpu (the fast path) or "
        "reference (the plain twins)",
        {"auto", "gpu", "cpu", "reference"}},
       {"instances", param_type::integer, std::int64_t{1},
        "executor instances: batches that run at once, each on its own CPU thread or GPU "
        "stream",
        {}, 1.0},
       {"intra_op_threads", param_type::integer, std::int64_t{0},
        "CPU threads that run one batch's kernels; 0: the cores divided by the instances",
        {}, 0.0},
       {"precision", param_type::choice, std::string{"fp32"},
        "fp32, or bf16: Convs and fully connected Gemms read input and weights as bfloat16 "
        "(the fast CPU path on a CPU with AMX or AVX512-BF16; refused elsewhere)",
        {"fp32", "bf16"}},
       {"pad_inputs", param_type::string_list, std::vector<std::string>{},
        "model inputs whose extents past the batch dimension (a sequence length) may differ "
        "between the requests of a batch: each is padded with pad_value to the longest in the "
        "batch, and outputs the model declares dynamic there are cut back per request"},
       {"pad_value", param_type::number, 0.0,
        "what padded inputs are filled with (a padding token id; 0 in an attention mask)"},
     }},
    {"cache",
     "LRU cache keyed by a hash of its inputs; a hit emits the cached result of `fill_from` "
     "and a true condition, so operators with `when: \"!cache\"` are skipped",
     1,
     -1,
     true,
     {
       {"fill_from", param_type::string, std::nullopt,
        "the operator whose output is cached for these inputs"},
       {"capacity", param_type::integer, std::int64_t{1024}, "entries kept", {}, 1.0},
       {"ttl_ms", param_type::number, 0.0, "entry lifetime, milliseconds; 0: no expiry", {},
        0.0},
     },
     true},
    {"sequence",
     "answers with how many requests it has processed so far (1, 2, 3, ...) as an int64 "
     "tensor [1]; its state is that count (ARG's stateful test operator)",
     1,
     -1,
     false,
     {
       {"output_name", param_type::string, std::string{"count"}, "name of the count tensor"},
     },
     true},
  };
  return kinds;
}

} // namespace

std::string_view to_string(param_type type) noexcept {
  switch (type) {
    case param_type::boolean: return "bool";
    case param_type::integer: return "integer";
    case param_type::number: return "number";
    case param_type::string: return "string";
    case param_type::choice: return "string";
    case param_type::number_list: return "list of numbers";
    case param_type::integer_list: return "list of integers";
    case param_type::string_list: return "list of strings";
  }
  return "?";
}

std::span<const kind_schema> all_kinds() noexcept {
  return table();
}

const kind_schema* find_kind(std::string_view name) noexcept {
  for (auto& kind : table())
    if (kind.name == name)
      return &kind;
  return nullptr;
}

} // namespace hogar::graph
