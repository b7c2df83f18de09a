#include "graph/diagnostic.hpp"

#include <algorithm>
#include <numeric>

namespace hogar::graph {

std::string to_string(const diagnostic& d) {
  std::string text = to_string(d.where);
  text += text.empty() ? "error: " : ": error: ";
  text += d.message;
  if (!d.hint.empty()) {
    text += "\n  hint: ";
    text += d.hint;
  }
  return text;
}

std::string to_string(const std::vector<diagnostic>& ds) {
  std::string text;
  for (auto& d : ds) {
    text += to_string(d);
    text += '\n';
  }
  return text;
}

namespace {

// Edit distance counting a swap of two neighbouring letters as one edit (optimal string
// alignment): "kidn" for "kind" and "form" for "from" are the commonest typos, and plain
// Levenshtein would count them as two. Three rows, as names are short.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> before(b.size() + 1);
  std::vector<std::size_t> previous(b.size() + 1);
  std::vector<std::size_t> current(b.size() + 1);
  std::iota(previous.begin(), previous.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      auto substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        current[j] = std::min(current[j], before[j - 2] + 1);
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

} // namespace

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  // A third of the word's length is about as many slips as a typo makes; below three letters
  // one slip is still a typo rather than a different word.
  auto limit = std::max<std::size_t>(1, word.size() / 3);
  const std::string* best = nullptr;
  auto best_distance = limit + 1;
  for (auto& candidate : candidates) {
    auto distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best = &candidate;
      best_distance = distance;
    }
  }
  return best != nullptr ? *best : std::string{};
}

} // namespace hogar::graph
