// feedback_ledger.hpp: the answers an ingress gave, remembered for a while so that the true
// outcome told later (feedback) can be joined with them, and how each model version fared.
//
// This is Clipper's feedback loop, which Triton and Ray Serve lack: with a traffic split the
// ingress knows which version answered each request (served_by), and the label or expected
// value the client sends afterwards says whether it was right. The counts per version are
// what `hogar model compare` turns into "version 2 is 5 points better than version 1".
//
// Scoring. A label is compared with the class the answer predicted: the answer's first
// tensor (or the one `output` names), an integer scalar taken as the class itself, anything
// else by its largest element (argmax over the flattened values, the first on ties).
// Expected values are compared tensor by tensor with those of the answer of the same name
// (same dtype and shape): the mean absolute error over all their elements.
//
// Bounds: an answer is kept `retention_ms` (10 minutes by default), and at most `max_answers`
// of them and `max_bytes` of their tensors (the oldest go first); each is scored once. An id
// given twice keeps the newer answer.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/messages.hpp"
#include "base/result.hpp"

namespace hogar {

struct feedback_limits {
  std::int64_t retention_ms = 600'000;
  std::size_t max_answers = 100'000;
  std::size_t max_bytes = std::size_t{64} << 20;
};

/// Where an answer came from inside the graph: its request id and the replicas its routed
/// operators ran on (request_context::route), for passing a label on to a select.
struct answer_origin {
  request_id request = 0;
  std::vector<std::uint16_t> route;
};

class feedback_ledger {
public:
  explicit feedback_ledger(feedback_limits limits = {}) : limits_(limits) {}

  /// Remembers the answer `outputs` to the request known as `id`, served by `served`, given
  /// `latency_ns` after it was accepted, at `now_ns` (a steady clock).
  void remember(const std::string& id, const record& outputs, const std::vector<served_by>& served,
                std::int64_t latency_ns, std::int64_t now_ns, answer_origin origin = {});

  /// Joins `f` with the answer it names and counts the outcome. errc::not_found for an id
  /// that is unknown or expired, errc::invalid_argument for a label or tensor that does not
  /// fit the answer, or feedback given twice; the message names the id and the field.
  /// With `origin`, a scored answer's origin is copied there.
  result<feedback_receipt> score(const feedback& f, std::int64_t now_ns,
                                 answer_origin* origin = nullptr);

  /// The graph's row (op empty) first, then one per model version, in the order first seen.
  const std::vector<outcome_stats>& outcomes() const noexcept { return outcomes_; }
  /// Answers kept now.
  std::size_t size() const noexcept { return by_id_.size(); }
  /// Whether answers are kept at all (a retention and a count above 0).
  bool keeps() const noexcept { return limits_.retention_ms > 0 && limits_.max_answers > 0; }

private:
  struct answer {
    std::string id;
    std::uint64_t sequence = 0;
    record outputs;
    std::vector<served_by> served;
    std::int64_t latency_ns = 0;
    std::int64_t at_ns = 0;
    std::size_t bytes = 0;
    bool scored = false;
    answer_origin origin;
  };

  void forget_oldest();
  outcome_stats& row(const std::string& op, const std::string& model, std::int64_t version);

  feedback_limits limits_;
  /// Oldest first; an entry whose id was given again later stays until it ages out, but the
  /// index points at the newer one.
  std::deque<answer> answers_;
  std::uint64_t first_sequence_ = 0;
  std::unordered_map<std::string, std::uint64_t> by_id_;
  std::size_t bytes_ = 0;
  std::vector<outcome_stats> outcomes_;
};

} // namespace hogar
