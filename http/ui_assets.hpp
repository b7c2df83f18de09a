// ui_assets.hpp: the web page (http/ui/: index.html, app.js, style.css), compiled into the
// daemon by cmake/EmbedFiles.cmake so that it needs no files beside the binary and no network.
// `GET /` and `GET /dashboard` answer index.html, `GET /ui/NAME` the others.
#pragma once

#include <string_view>

namespace hogar::http {

/// The bytes of http/ui/NAME; empty for a name that is not there.
std::string_view ui_asset(std::string_view name) noexcept;

/// The Content-Type of a UI file, from its extension.
std::string_view ui_content_type(std::string_view name) noexcept;

} // namespace hogar::http
