// node_options_fuzz.cpp: libFuzzer harness of the daemon's settings: `hogard --config FILE`
// with its INI file and the flags that override it (config/node_options.hpp).
//
// Input format: the INI file's text up to the first NUL byte; after it, one flag per line
// (`--http-port=8799`). The harness writes the text to a file of its own temporary folder
// (made once per process, removed at exit) and passes `--config=THAT_FILE` first, so no input
// can make it read another file: a second --config, even abbreviated (program_options accepts
// unambiguous prefixes), is a "multiple occurrences" error.
//
// Promises checked beyond the sanitizers: parsing reports every problem as a value, never an
// exception, and never as errc::internal.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "bench/fuzz/fuzz_check.hpp"
#include "config/node_options.hpp"

namespace {

namespace fs = std::filesystem;

/// This process's temporary folder: mkdtemp under $TMPDIR (or /tmp), so that parallel
/// fuzzing jobs and test runs never share a file.
class temp_folder {
public:
  temp_folder() {
    auto base = fs::temp_directory_path() / "hogar-fuzz-ini-XXXXXX";
    std::string pattern = base.string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("node_options_fuzz: mkdtemp");
      std::abort();
    }
    path_ = pattern;
  }
  ~temp_folder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  temp_folder(const temp_folder&) = delete;
  temp_folder& operator=(const temp_folder&) = delete;

  const fs::path& path() const noexcept { return path_; }

private:
  fs::path path_;
};

const fs::path& config_path() {
  // A function-local static: created on first use, removed by its destructor at exit.
  static temp_folder folder;
  static const fs::path file = folder.path() / "node.ini";
  return file;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hogar;
  std::string_view input{reinterpret_cast<const char*>(data), size};
  auto split_at = input.find('\0');
  auto ini = input.substr(0, split_at);
  const auto& path = config_path();
  {
    // Rewritten whole every run: nothing of the previous input survives.
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    out.write(ini.data(), static_cast<std::streamsize>(ini.size()));
    fuzz::require(static_cast<bool>(out), "the harness can write its config file");
  }
  std::vector<std::string> args{"hogard", "--config=" + path.string()};
  if (split_at != std::string_view::npos) {
    auto flags = input.substr(split_at + 1);
    while (true) {
      auto end = flags.find_first_of(std::string_view{"\n\0", 2});
      args.emplace_back(flags.substr(0, end));
      if (end == std::string_view::npos)
        break;
      flags.remove_prefix(end + 1);
    }
  }
  std::vector<const char*> argv;
  for (const auto& a : args)
    argv.push_back(a.c_str());
  argv.push_back(nullptr);
  try {
    auto parsed = config::parse_node_options(static_cast<int>(args.size()), argv.data());
    if (!parsed)
      fuzz::require_not_internal(parsed.error(), "a bad setting is the file's or flag's error");
  } catch (const std::exception& e) {
    fuzz::broken("reading the daemon's settings never throws", e.what());
  }
  return 0;
}
