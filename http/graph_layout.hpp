// graph_layout.hpp: a graph drawn for the web page. Graphviz (libgvc, Debian's
// libgraphviz-dev) lays out the DOT text that `hogar graph dot` prints and renders it as SVG
// on the server, so the page shows the same layout as the command line, and the browser needs
// no layout code of its own.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace hogar::http {

/// The SVG of `dot` laid out by Graphviz's dot engine. Layouts are remembered (the last 32
/// texts), since a graph's text changes only when it is submitted again; Graphviz itself is
/// not thread-safe, so one layout runs at a time. Fails (errc::invalid_argument) on text
/// Graphviz cannot read, and (errc::internal) when its layout or renderer fails.
result<std::string> svg_of_dot(std::string_view dot);

} // namespace hogar::http
