// dashboard.hpp: the page served on `GET /` and `GET /dashboard`. It is self-contained (no
// external scripts, styles or fonts, so it works on a machine with no internet access) and
// polls `GET /v2/dashboard.json` (the backend's snapshot_json()) once a second.
#pragma once

#include <string_view>

namespace hogar::http {

/// The HTML of the dashboard page (static storage).
std::string_view dashboard_html() noexcept;

} // namespace hogar::http
