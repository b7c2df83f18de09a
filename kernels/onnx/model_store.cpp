#include "kernels/onnx/model_store.hpp"

#include <filesystem>
#include <map>
#include <mutex>

#include <fmt/format.h>

#include "kernels/onnx/onnx_reader.hpp"

namespace hogar::onnx {

namespace {

struct entry {
  std::uintmax_t size = 0;
  std::filesystem::file_time_type modified;
  std::weak_ptr<const model_graph> model;
};

std::mutex store_mutex;
std::map<std::string, entry> store;

} // namespace

result<std::shared_ptr<const model_graph>> load_shared(const std::string& path) {
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(path, ec).string();
  if (ec)
    canonical = path;
  auto size = std::filesystem::file_size(path, ec);
  if (ec)
    return fail(errc::io_error, fmt::format("{}: cannot read the file ({})", path, ec.message()));
  auto modified = std::filesystem::last_write_time(path, ec);
  {
    std::lock_guard lock{store_mutex};
    auto it = store.find(canonical);
    if (it != store.end() && it->second.size == size && it->second.modified == modified)
      if (auto model = it->second.model.lock())
        return model;
  }
  // Loading takes a while for large models: not under the lock.
  auto loaded = load_model(path);
  if (!loaded)
    return loaded.error();
  auto model = std::make_shared<const model_graph>(std::move(*loaded));
  std::lock_guard lock{store_mutex};
  store[canonical] = entry{size, modified, model};
  // Forget entries nobody holds any more.
  for (auto it = store.begin(); it != store.end();)
    it = it->second.model.expired() ? store.erase(it) : std::next(it);
  return model;
}

} // namespace hogar::onnx
