// commands.hpp: the subcommands of the `hogar` CLI. Each takes the arguments after its name
// and returns the process exit status (0 success, 1 a user error or a failed request,
// 2 a usage error).
#pragma once

#include <string>
#include <vector>

namespace hogar::cli {

using args = std::vector<std::string>;

/// `hogar run GRAPH ...`: serves a graph in this process and sends it requests.
int run_command(const args& argv);

/// `hogar graph check|dot|import|kinds ...`.
int graph_command(const args& argv);

/// `hogar model test|ops ...`: ONNX models.
int model_command(const args& argv);

/// `hogar model list|load|unload|reload ...` against a daemon's model repository; -1 when
/// `name` is none of them.
int model_repository_command(const std::string& name, const args& argv);

/// `hogar submit|list|status|remove|nodes|infer ...` against a running cluster; -1 when
/// `name` is none of them.
int cluster_command(const std::string& name, const args& argv);

} // namespace hogar::cli
