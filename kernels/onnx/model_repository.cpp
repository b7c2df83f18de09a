#include "kernels/onnx/model_repository.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace hogar::onnx {

namespace fs = std::filesystem;

namespace {

/// A name a client sent, safe to print: control characters and non-ASCII bytes as \xNN, cut
/// at 64 characters.
std::string printable(std::string_view name) {
  std::string out;
  for (unsigned char c : name.substr(0, 64)) {
    if (c < 0x20 || c >= 0x7f)
      out += fmt::format("\\x{:02x}", c);
    else
      out += static_cast<char>(c);
  }
  if (name.size() > 64)
    out += "...";
  return out;
}

std::string at(const std::string& path, const YAML::Node& node) {
  auto mark = node.Mark();
  if (mark.line < 0)
    return path;
  return fmt::format("{}:{}:{}", path, mark.line + 1, mark.column + 1);
}

error_info config_error(const std::string& path, const YAML::Node& node, std::string message) {
  return fail(errc::invalid_argument, fmt::format("{}: {}", at(path, node), message));
}

result<std::int64_t> read_int(const std::string& path, const YAML::Node& node,
                              std::string_view key, std::int64_t min) {
  try {
    auto v = node.as<std::int64_t>();
    if (v < min)
      return config_error(path, node, fmt::format("'{}' must be at least {}, got {}", key, min, v));
    return v;
  } catch (const YAML::Exception&) {
    return config_error(path, node, fmt::format("'{}' must be an integer", key));
  }
}

result<std::vector<value_info>> read_io(const std::string& path, const YAML::Node& list,
                                        std::string_view key) {
  if (!list.IsSequence())
    return config_error(path, list, fmt::format("'{}' must be a list of {{name, dtype, shape}}", key));
  std::vector<value_info> out;
  for (auto entry : list) {
    if (!entry.IsMap() || !entry["name"] || !entry["dtype"] || !entry["shape"])
      return config_error(path, entry, fmt::format("each of '{}' needs name, dtype and shape", key));
    value_info v;
    try {
      v.name = entry["name"].as<std::string>();
      auto type = dtype_from_string(entry["dtype"].as<std::string>());
      if (!type)
        return config_error(path, entry["dtype"],
                            fmt::format("unknown dtype '{}'", entry["dtype"].as<std::string>()));
      v.type = *type;
      v.shape = entry["shape"].as<std::vector<std::int64_t>>();
    } catch (const YAML::Exception&) {
      return config_error(path, entry, fmt::format("'{}': name and dtype are strings, shape a "
                                                   "list of integers", key));
    }
    out.push_back(std::move(v));
  }
  return out;
}

/// Version folders (positive integers) that hold a model.onnx.
std::vector<std::int64_t> versions_in(const fs::path& dir) {
  std::vector<std::int64_t> versions;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator{};
       it.increment(ec)) {
    const auto& entry = *it;
    auto name = entry.path().filename().string();
    std::error_code kind;
    if (!entry.is_directory(kind) || name.empty() || name.size() > 18 ||
        !std::all_of(name.begin(), name.end(), ::isdigit))
      continue;
    auto v = std::stoll(name);
    if (v > 0 && fs::is_regular_file(entry.path() / "model.onnx", kind))
      versions.push_back(v);
  }
  std::sort(versions.begin(), versions.end());
  return versions;
}

result<repository_model> read_model(const fs::path& dir) {
  repository_model m;
  m.name = dir.filename().string();
  m.dir = dir.string();
  m.versions = versions_in(dir);
  auto config_path = dir / "config.yaml";
  std::error_code ec;
  if (fs::exists(config_path, ec)) {
    auto config = read_model_config(config_path.string());
    if (!config)
      return config.error();
    if (!config->name.empty() && config->name != m.name)
      return fail(errc::invalid_argument,
                  fmt::format("{}: 'name' is '{}' but the folder is '{}'", config_path.string(),
                              config->name, m.name));
    m.config = std::move(*config);
  }
  m.config.name = m.name;
  return m;
}

} // namespace

bool is_model_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 128 || name.front() == '.')
    return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok)
      return false;
  }
  return true;
}

std::string graph_name_for(std::string_view onnx_name) {
  std::string out;
  for (char c : onnx_name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    out += ok ? c : '_';
  }
  if (out.empty() || (out.front() >= '0' && out.front() <= '9') || out.front() == '-')
    out.insert(out.begin(), '_');
  return out;
}

std::string model_graph_file(std::string_view model_name) {
  return fmt::format("repository:{}", model_name);
}

result<std::string> model_graph_yaml(const repository_model& model,
                                     const std::vector<value_info>& model_inputs,
                                     const std::vector<value_info>& model_outputs) {
  if (graph_name_for(model.name) != model.name)
    return fail(errc::invalid_argument,
                fmt::format("model '{}': a model served on its own needs a name of letters, "
                            "digits, '_' and '-' (it names the graph and its URL)",
                            model.name));
  const auto& c = model.config;
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "graph" << YAML::Value << model.name;
  out << YAML::Key << "description" << YAML::Value
      << fmt::format("repository model {} served on its own", model.name);
  out << YAML::Key << "inputs" << YAML::Value << YAML::BeginSeq;
  for (auto& in : model_inputs) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value
        << graph_name_for(in.name) << YAML::Key << "dtype" << YAML::Value
        << std::string{to_string(in.type)} << YAML::Key << "shape" << YAML::Value << YAML::Flow
        << in.shape << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "operators" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << model.name;
  out << YAML::Key << "kind" << YAML::Value << "model";
  std::vector<std::string> inputs;
  for (auto& in : model_inputs)
    inputs.push_back(graph_name_for(in.name));
  out << YAML::Key << "inputs" << YAML::Value << YAML::Flow << inputs;
  out << YAML::Key << "params" << YAML::Value << YAML::Flow << YAML::BeginMap
      << YAML::Key << "model" << YAML::Value << model.name << YAML::Key << "device"
      << YAML::Value << c.device << YAML::Key << "instances" << YAML::Value << c.instances
      << YAML::EndMap;
  out << YAML::Key << "batching" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
      << "policy" << YAML::Value << "static" << YAML::Key << "max_batch_size" << YAML::Value
      << c.max_batch_size << YAML::Key << "max_queue_delay_us" << YAML::Value
      << c.max_queue_delay_us << YAML::EndMap;
  out << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "outputs" << YAML::Value << YAML::BeginSeq;
  for (auto& o : model_outputs)
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value
        << graph_name_for(o.name) << YAML::Key << "from" << YAML::Value
        << fmt::format("{}.{}", model.name, o.name) << YAML::EndMap;
  out << YAML::EndSeq << YAML::EndMap;
  if (!out.good())
    return fail(errc::internal, fmt::format("model '{}': {}", model.name, out.GetLastError()));
  return std::string{out.c_str()} + "\n";
}

result<model_config> read_model_config(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::ParserException& e) {
    return fail(errc::invalid_argument, fmt::format("{}:{}:{}: {}", path, e.mark.line + 1,
                                                    e.mark.column + 1, e.msg));
  } catch (const YAML::Exception& e) {
    return fail(errc::io_error, fmt::format("{}: {}", path, e.what()));
  } catch (const std::exception& e) {
    // libstdc++ throws ios_base::failure when the path is a folder ("Is a directory").
    return fail(errc::io_error, fmt::format("{}: cannot read it: {}", path, e.what()));
  }
  model_config c;
  if (root.IsNull())
    return c;
  if (!root.IsMap())
    return config_error(path, root, "the config must be a mapping of keys to values");
  static const std::set<std::string> known = {"name", "version_policy", "traffic",
                                              "max_batch_size", "max_queue_delay_us",
                                              "instances", "device", "inputs", "outputs"};
  for (auto entry : root) {
    auto key = entry.first.as<std::string>();
    auto value = entry.second;
    if (!known.count(key))
      return config_error(path, entry.first,
                          fmt::format("unknown key '{}' (known: {})", key, fmt::join(known, ", ")));
    if (key == "name") {
      c.name = value.as<std::string>();
    } else if (key == "version_policy") {
      if (value.IsSequence()) {
        c.version_policy = model_config::policy::specific;
        for (auto v : value) {
          auto n = read_int(path, v, "version_policy", 1);
          if (!n)
            return n.error();
          c.versions.push_back(*n);
        }
        if (c.versions.empty())
          return config_error(path, value, "'version_policy' lists no version");
      } else {
        auto text = value.as<std::string>();
        if (text == "latest")
          c.version_policy = model_config::policy::latest;
        else if (text == "all")
          c.version_policy = model_config::policy::all;
        else
          return config_error(path, value, fmt::format("'version_policy' is latest, all or a "
                                                       "list of versions, not '{}'", text));
      }
    } else if (key == "traffic") {
      if (!value.IsMap())
        return config_error(path, value, "'traffic' maps versions to weights: {1: 90, 2: 10}");
      for (auto t : value) {
        auto version = read_int(path, t.first, "traffic version", 1);
        auto weight = read_int(path, t.second, "traffic weight", 0);
        if (!version)
          return version.error();
        if (!weight)
          return weight.error();
        c.traffic[*version] = *weight;
      }
    } else if (key == "max_batch_size" || key == "max_queue_delay_us" || key == "instances") {
      auto n = read_int(path, value, key, key == "max_queue_delay_us" ? 0 : 1);
      if (!n)
        return n.error();
      (key == "max_batch_size" ? c.max_batch_size
       : key == "instances"    ? c.instances
                               : c.max_queue_delay_us) = *n;
    } else if (key == "device") {
      c.device = value.as<std::string>();
      if (c.device != "auto" && c.device != "gpu" && c.device != "cpu" && c.device != "reference")
        return config_error(path, value,
                            fmt::format("'device' is auto, gpu, cpu or reference, not '{}'", c.device));
    } else {
      auto io = read_io(path, value, key);
      if (!io)
        return io.error();
      (key == "inputs" ? c.inputs : c.outputs) = std::move(*io);
    }
  }
  return c;
}

std::optional<error_info> check_declared_io(const model_config& config, const model_graph& model,
                                            const std::string& config_path) {
  auto check = [&](const std::vector<value_info>& declared, const std::vector<value_info>& actual,
                   std::string_view what) -> std::optional<error_info> {
    for (auto& d : declared) {
      auto it = std::find_if(actual.begin(), actual.end(),
                             [&](const value_info& a) { return a.name == d.name; });
      if (it == actual.end())
        return fail(errc::invalid_argument,
                    fmt::format("{}: {} '{}' is not an {} of {}", config_path, what, d.name, what,
                                model.source));
      if (it->type != d.type || it->shape != d.shape)
        return fail(errc::invalid_argument,
                    fmt::format("{}: {} '{}' is declared {} but {} has {}", config_path, what,
                                d.name, to_string(d), model.source, to_string(*it)));
    }
    return std::nullopt;
  };
  if (auto e = check(config.inputs, model.inputs, "input"))
    return e;
  return check(config.outputs, model.outputs, "output");
}

std::vector<repository_model> model_repository::index(std::vector<std::string>* problems) const {
  std::vector<repository_model> models;
  std::error_code ec;
  std::vector<fs::path> dirs;
  for (auto it = fs::directory_iterator(root_, ec); !ec && it != fs::directory_iterator{};
       it.increment(ec))
    if (std::error_code kind; it->is_directory(kind))
      dirs.push_back(it->path());
  std::sort(dirs.begin(), dirs.end());
  for (auto& dir : dirs) {
    auto m = read_model(dir);
    if (m) {
      models.push_back(std::move(*m));
      continue;
    }
    if (problems)
      problems->push_back(m.error().message);
    repository_model broken;
    broken.name = dir.filename().string();
    broken.dir = dir.string();
    broken.versions = versions_in(dir);
    models.push_back(std::move(broken));
  }
  return models;
}

result<repository_model> model_repository::find(std::string_view name) const {
  if (!is_model_name(name))
    return fail(errc::invalid_argument,
                fmt::format("'{}' is not a model name: 1 to 128 letters, digits, '_', '-' and '.', "
                            "not starting with '.'",
                            printable(name)));
  if (root_.empty())
    return fail(errc::not_found,
                fmt::format("model '{}': no model repository is configured (model-repository in "
                            "the node's config, --model-repository for hogar run)",
                            name));
  // The file system may still throw (a folder that turns into a file, a permission): the
  // caller is an actor that must not die of it.
  try {
    std::error_code ec;
    if (!fs::is_directory(root_, ec))
      return fail(errc::not_found,
                  fmt::format("model '{}': the model repository '{}' is not a folder", name, root_));
    auto dir = fs::path{root_} / std::string{name};
    if (!fs::is_directory(dir, ec)) {
      std::vector<std::string> names;
      for (auto& m : index())
        names.push_back(m.name);
      return fail(errc::not_found,
                  fmt::format("model '{}' is not in the repository {} (it has: {})", name, root_,
                              names.empty() ? std::string{"nothing"}
                                            : fmt::format("{}", fmt::join(names, ", "))));
    }
    return read_model(dir);
  } catch (const std::exception& e) {
    return fail(errc::io_error, fmt::format("model '{}' in {}: {}", name, root_, e.what()));
  }
}

result<std::vector<served_version>> model_repository::served(const repository_model& model,
                                                             std::int64_t pinned) {
  auto path_of = [&](std::int64_t v) {
    return (fs::path{model.dir} / std::to_string(v) / "model.onnx").string();
  };
  auto has = [&](std::int64_t v) {
    return std::binary_search(model.versions.begin(), model.versions.end(), v);
  };
  if (model.versions.empty())
    return fail(errc::not_found,
                fmt::format("model '{}': no version folder with a model.onnx in {}", model.name,
                            model.dir));
  std::vector<served_version> out;
  if (pinned > 0) {
    if (!has(pinned))
      return fail(errc::not_found,
                  fmt::format("model '{}': version {} is not in {} (versions: {})", model.name,
                              pinned, model.dir, fmt::join(model.versions, ", ")));
    out.push_back({pinned, 1, path_of(pinned)});
    return out;
  }
  std::vector<std::int64_t> chosen;
  const auto& c = model.config;
  switch (c.version_policy) {
    case model_config::policy::latest: chosen = {model.versions.back()}; break;
    case model_config::policy::all: chosen = model.versions; break;
    case model_config::policy::specific:
      for (auto v : c.versions) {
        if (!has(v))
          return fail(errc::not_found,
                      fmt::format("model '{}': config.yaml serves version {}, which has no "
                                  "model.onnx in {}",
                                  model.name, v, model.dir));
        chosen.push_back(v);
      }
      break;
  }
  // A traffic split names the versions it sends requests to: those are served, whatever the
  // version policy says about the others.
  if (!c.traffic.empty()) {
    chosen.clear();
    for (auto [v, weight] : c.traffic) {
      if (!has(v))
        return fail(errc::not_found,
                    fmt::format("model '{}': config.yaml sends traffic to version {}, which has "
                                "no model.onnx in {}",
                                model.name, v, model.dir));
      if (weight > 0)
        chosen.push_back(v);
    }
    if (chosen.empty())
      return fail(errc::invalid_argument,
                  fmt::format("model '{}': every traffic weight in config.yaml is 0", model.name));
  }
  for (auto v : chosen) {
    auto it = c.traffic.find(v);
    out.push_back({v, it == c.traffic.end() ? 1 : it->second, path_of(v)});
  }
  return out;
}

} // namespace hogar::onnx
