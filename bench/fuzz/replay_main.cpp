// replay_main.cpp: the main of every harness in the normal test suite (built with the project's
// compiler, no libFuzzer). It runs LLVMFuzzerTestOneInput once on each file of the folders (or
// files) named on the command line, folders in name order, so that every seed of corpus/NAME
// and every input kept in crashes/NAME is a regression test. A crash, a sanitizer report or a
// harness's own abort (fuzz_check.hpp) fails the test; the file's name is printed before it runs
// so that the failure names it. Hidden files (.gitkeep, editor files) are skipped.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

bool hidden(const fs::path& p) {
  auto name = p.filename().string();
  return !name.empty() && name.front() == '.';
}

/// The files a command-line argument names, sorted; a missing path is an error (a test that
/// silently replays nothing would pass forever).
bool collect(const fs::path& arg, std::vector<fs::path>& out) {
  std::error_code ec;
  if (fs::is_regular_file(arg, ec)) {
    out.push_back(arg);
    return true;
  }
  if (!fs::is_directory(arg, ec)) {
    std::fprintf(stderr, "replay: %s: no such file or folder\n", arg.c_str());
    return false;
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator{arg})
    if (entry.is_regular_file() && !hidden(entry.path()))
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  out.insert(out.end(), files.begin(), files.end());
  return true;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FOLDER_OR_FILE...\n", argv[0]);
    return 2;
  }
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i)
    if (!collect(argv[i], files))
      return 2;
  if (files.empty()) {
    std::fprintf(stderr, "replay: no input files\n");
    return 2;
  }
  for (const auto& file : files) {
    std::ifstream in{file, std::ios::binary};
    std::vector<char> bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    if (!in.good() && !in.eof()) {
      std::fprintf(stderr, "replay: %s: cannot read\n", file.c_str());
      return 2;
    }
    std::printf("replaying %s (%zu bytes)\n", file.c_str(), bytes.size());
    std::fflush(stdout);
    // A copy of exactly `size` bytes, as libFuzzer passes: reading past it is a bug ASan sees.
    auto* data = bytes.empty() ? nullptr : reinterpret_cast<const std::uint8_t*>(bytes.data());
    LLVMFuzzerTestOneInput(data, bytes.size());
  }
  std::printf("replayed %zu inputs\n", files.size());
  return 0;
}
