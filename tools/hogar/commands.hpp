// commands.hpp: the subcommands of the `hogar` CLI. Each takes the arguments after its name
// and returns the process exit status (0 success, 1 a user error or a failed request,
// 2 a usage error).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kernels/served_by.hpp"

namespace hogar::cli {

using args = std::vector<std::string>;

/// `hogar run GRAPH ...`: serves a graph in this process and sends it requests.
int run_command(const args& argv);

/// `hogar graph check|dot|import|kinds ...`.
int graph_command(const args& argv);

/// `hogar model test|ops|profile ...`: ONNX models.
int model_command(const args& argv);

/// `hogar model ops --model FILE ...`: the model's nodes and what computes each.
int model_ops_report(const args& argv);

/// `hogar model profile --model FILE ...`: the same with each node's time.
int model_profile(const args& argv);

/// `hogar model list|load|unload|reload ...` against a daemon's model repository; -1 when
/// `name` is none of them.
int model_repository_command(const std::string& name, const args& argv);

/// `hogar submit|list|status|remove|nodes|infer ...` against a running cluster; -1 when
/// `name` is none of them.
int cluster_command(const std::string& name, const args& argv);

/// Adds an answer's trace to its JSON as KServe answers carry it: "served_by" (the model
/// versions) and "branches" (the operators behind a `when` that ran), each when not empty.
void add_trace_json(nlohmann::json& doc, const std::vector<served_by>& trace);

/// Prints an answer's trace under its outputs: "served by OP MODEL:V", "branch taken at OP".
void print_trace(const std::vector<served_by>& trace);

} // namespace hogar::cli
