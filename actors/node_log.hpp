// node_log.hpp: one line of a daemon's log, as the node actor and the graph supervisors write
// it: "[node1 14:03:07.512] warning: text", wall clock UTC to the millisecond, so that the
// steps of a recovery can be timed from the log of any node.
#pragma once

#include <string>

#include <caf/local_actor.hpp>

namespace hogar {

/// Prints `text` at `level` ("error", "warning", "info", "debug") when `threshold` (the
/// daemon's log-level: "quiet", "error", "warning", "info" or "debug") lets it through.
void node_log(caf::local_actor* self, const std::string& node, const std::string& threshold,
              const std::string& level, const std::string& text);

} // namespace hogar
