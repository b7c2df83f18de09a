#include "http/graph_layout.hpp"

#include <list>
#include <mutex>
#include <utility>

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

namespace hogar::http {

namespace {

constexpr std::size_t remembered_layouts = 32;

/// Graphviz's context (its plugins, loaded once) and the layouts made so far, most recent
/// first; all behind one mutex, as Graphviz keeps global state.
struct layout_cache {
  std::mutex mutex;
  GVC_t* context = nullptr;
  std::list<std::pair<std::string, std::string>> recent;
};

layout_cache& cache() {
  // Never destroyed: a layout may be asked for while the process exits.
  static auto* c = new layout_cache;
  return *c;
}

} // namespace

result<std::string> svg_of_dot(std::string_view dot) {
  auto& c = cache();
  std::lock_guard lock{c.mutex};
  for (auto it = c.recent.begin(); it != c.recent.end(); ++it)
    if (it->first == dot) {
      c.recent.splice(c.recent.begin(), c.recent, it);
      return c.recent.front().second;
    }
  if (c.context == nullptr) {
    // Errors go to our answer, not to the daemon's stderr.
    agseterr(AGMAX);
    c.context = gvContext();
    if (c.context == nullptr)
      return fail(errc::internal, "Graphviz could not start (gvContext)");
  }
  std::string text{dot};
  Agraph_t* graph = agmemread(text.c_str());
  if (graph == nullptr)
    return fail(errc::invalid_argument, "Graphviz could not read the graph's DOT text");
  std::string svg;
  bool laid_out = gvLayout(c.context, graph, "dot") == 0;
  if (laid_out) {
    char* data = nullptr;
    unsigned int length = 0;
    if (gvRenderData(c.context, graph, "svg", &data, &length) == 0 && data != nullptr)
      svg.assign(data, length);
    gvFreeRenderData(data);
    gvFreeLayout(c.context, graph);
  }
  agclose(graph);
  if (svg.empty())
    return fail(errc::internal, laid_out ? "Graphviz could not render the layout as SVG"
                                         : "Graphviz could not lay the graph out");
  c.recent.emplace_front(std::move(text), svg);
  if (c.recent.size() > remembered_layouts)
    c.recent.pop_back();
  return svg;
}

} // namespace hogar::http
