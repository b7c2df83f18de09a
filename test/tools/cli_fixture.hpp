// cli_fixture.hpp: runs the `hogar` binary as a user would and captures what it printed.
#pragma once

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace hogar::test {

struct cli_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in{p};
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

/// Runs `hogar ARGS` from the source directory (so config/ paths resolve), with the example
/// models of the build as its model repository; ARGS is shell text.
inline cli_result run_cli(const std::string& args) {
  auto err_file = std::filesystem::temp_directory_path()
                  / ("hogar_cli_test_" + std::to_string(::getpid()) + ".err");
  auto command = std::string{"cd '"} + HOGAR_SOURCE_DIR + "' && HOGAR_MODEL_REPOSITORY='" +
                 HOGAR_MODEL_REPOSITORY + "' '" + HOGAR_CLI + "' " + args + " 2>'" +
                 err_file.string() + "'";
  cli_result result;
  auto* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr)
    return result;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0)
    result.out.append(buf.data(), n);
  auto status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.err = read_file(err_file);
  std::filesystem::remove(err_file);
  return result;
}

} // namespace hogar::test
