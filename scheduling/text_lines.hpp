// text_lines.hpp: the line-oriented text files of scheduling/ (arrival traces, service
// profiles): one item per line, '#' starts a comment, blank lines are skipped, and an error
// names the file and the line.
#pragma once

#include <cstddef>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "base/result.hpp"

namespace hogar::scheduling {

inline std::string_view trim(std::string_view s) {
  auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos)
    return {};
  auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

/// Calls f(line_number, content) for each line of `text` that holds something besides a
/// comment and white space (content trimmed, 1-based numbers); returns the first error f
/// returns, or nullopt.
template <class F>
std::optional<error_info> for_each_content_line(std::string_view text, F&& f) {
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (auto hash = line.find('#'); hash != std::string_view::npos)
      line = line.substr(0, hash);
    line = trim(line);
    if (line.empty())
      continue;
    if (auto problem = f(line_no, line))
      return problem;
  }
  return std::nullopt;
}

/// The whole file at `path`; io_error naming the path when it cannot be read.
inline result<std::string> read_text_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return fail(errc::io_error, fmt::format("{}: cannot open the file", path));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad())
    return fail(errc::io_error, fmt::format("{}: reading the file failed", path));
  return text.str();
}

} // namespace hogar::scheduling
