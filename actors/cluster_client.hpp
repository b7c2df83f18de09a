// cluster_client.hpp: how the CLI and the inspector talk to a daemon: connect to its node
// actor over the actor port and ask it questions, waiting for each answer.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <fmt/format.h>

#include "actors/errors.hpp"
#include "base/result.hpp"

namespace hogar {

class cluster_client {
public:
  /// Connects to the node actor published at host:port, through the process's actor port
  /// (its limits, and TLS when it has it: actors/actor_port.hpp); the error names the address.
  static result<cluster_client> connect(caf::actor_system& sys, const std::string& host,
                                        std::uint16_t port);

  const caf::actor& node() const noexcept { return node_; }

  /// Sends xs... and waits up to `timeout` for an answer of type Answer.
  template <class Answer, class... Ts>
  result<Answer> ask(std::chrono::milliseconds timeout, Ts&&... xs) {
    caf::scoped_actor self{*sys_};
    std::optional<result<Answer>> answer;
    self->request(node_, timeout, std::forward<Ts>(xs)...)
      .receive([&](Answer& a) { answer.emplace(std::move(a)); },
               [&](caf::error& err) {
                 answer.emplace(error_info{code_of(err), message_of(err)});
               });
    return std::move(*answer);
  }

private:
  cluster_client(caf::actor_system& sys, caf::actor node) : sys_(&sys), node_(std::move(node)) {}

  caf::actor_system* sys_;
  caf::actor node_;
};

} // namespace hogar
