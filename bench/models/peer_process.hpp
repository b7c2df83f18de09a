// peer_process.hpp: a peer benchmark kept running beside model_bench (bench/models/peers.py
// --serve), spoken to one line at a time: model_bench writes a request to its stdin and reads
// the answer from its stdout. A peer that stays up lets model_bench alternate short slices of
// hogar and the peer instead of one long turn each.
#pragma once

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

extern char** environ;

namespace hogar::bench {

class peer_process {
public:
  /// Starts `/bin/sh -c command` with pipes on its stdin and stdout (stderr stays the
  /// caller's). `ok()` says whether it started.
  explicit peer_process(const std::string& command) {
    std::signal(SIGPIPE, SIG_IGN); // a peer that died answers a write with an error, not a signal
    int to_child[2], from_child[2];
    if (::pipe(to_child) != 0)
      return;
    if (::pipe(from_child) != 0) {
      ::close(to_child[0]);
      ::close(to_child[1]);
      return;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, to_child[1]);
    posix_spawn_file_actions_addclose(&actions, from_child[0]);
    std::vector<char*> argv{const_cast<char*>("sh"), const_cast<char*>("-c"),
                            const_cast<char*>(command.c_str()), nullptr};
    const bool spawned =
      ::posix_spawn(&pid_, "/bin/sh", &actions, nullptr, argv.data(), environ) == 0;
    posix_spawn_file_actions_destroy(&actions);
    ::close(to_child[0]);
    ::close(from_child[1]);
    if (!spawned) {
      pid_ = -1;
      ::close(to_child[1]);
      ::close(from_child[0]);
      return;
    }
    to_ = ::fdopen(to_child[1], "w");
    from_ = ::fdopen(from_child[0], "r");
  }

  ~peer_process() {
    if (to_)
      std::fclose(to_); // end of input: the peer exits
    if (from_)
      std::fclose(from_);
    if (pid_ > 0) {
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }

  peer_process(const peer_process&) = delete;
  peer_process& operator=(const peer_process&) = delete;

  bool ok() const { return to_ && from_; }

  /// Sends one request line.
  bool send(const std::string& line) {
    if (!ok())
      return false;
    return std::fputs((line + "\n").c_str(), to_) >= 0 && std::fflush(to_) == 0;
  }

  /// The next line the peer prints, without its newline; nullopt once it has exited.
  std::optional<std::string> receive() {
    if (!ok())
      return std::nullopt;
    std::string line;
    char buffer[65536];
    while (std::fgets(buffer, sizeof buffer, from_)) {
      line += buffer;
      if (!line.empty() && line.back() == '\n') {
        line.pop_back();
        return line;
      }
    }
    if (line.empty())
      return std::nullopt;
    return line;
  }

private:
  pid_t pid_ = -1;
  std::FILE* to_ = nullptr;
  std::FILE* from_ = nullptr;
};

} // namespace hogar::bench
