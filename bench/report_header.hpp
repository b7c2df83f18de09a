// report_header.hpp: the opening lines every benchmark's markdown result starts with: title,
// the command that made it, the machine and the date, so that a table can be reproduced.
#pragma once

#include <sys/utsname.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace hogar::bench {

/// "2 x AMD EPYC (Linux 6.1.0)": cores, CPU model and kernel.
inline std::string machine_description() {
  utsname u{};
  uname(&u);
  std::string cpu = "unknown CPU";
  std::ifstream info{"/proc/cpuinfo"};
  for (std::string line; std::getline(info, line);)
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  return fmt::format("{} x {} ({} {})", std::thread::hardware_concurrency(), cpu, u.sysname,
                     u.release);
}

/// "# TITLE", then Command, Machine and Date lines, then a blank line.
inline std::string report_header(const std::string& title, int argc, char** argv) {
  std::string cmd;
  for (int i = 0; i < argc; ++i)
    cmd += (i ? " " : "") + std::string{argv[i]};
  return fmt::format("# {}\n\nCommand: `{}`  \nMachine: {}  \nDate: {:%Y-%m-%d %H:%M} UTC\n\n",
                     title, cmd, machine_description(),
                     fmt::gmtime(std::chrono::system_clock::to_time_t(
                       std::chrono::system_clock::now())));
}

} // namespace hogar::bench
