// route_test.cpp: request targets onto routes (http/route.hpp), without sockets.
#include <doctest/doctest.h>

#include "http/route.hpp"

using namespace hogar::http;
namespace bhttp = boost::beast::http;

TEST_CASE("the KServe v2 paths resolve to their routes, with the graph and version they name") {
  CHECK(resolve("/").kind == route_kind::dashboard);
  CHECK(resolve("/dashboard").kind == route_kind::dashboard);
  CHECK(resolve("/v2/dashboard.json").kind == route_kind::dashboard_json);
  CHECK(resolve("/ui/app.js").kind == route_kind::ui_asset);
  CHECK(resolve("/ui/app.js").graph == "app.js");
  CHECK(resolve("/ui/a/b.js").kind == route_kind::none);
  CHECK(resolve("/v2/ui/graphs").kind == route_kind::graph_submit);
  CHECK(resolve("/v2/ui/graphs?file=x.yaml").kind == route_kind::graph_submit);
  CHECK(resolve("/v2/ui/graphs/a%20b").kind == route_kind::graph_remove);
  CHECK(resolve("/v2/ui/graphs/a%20b").graph == "a b");
  CHECK(resolve("/v2/ui/graphs/g/layout.svg").kind == route_kind::graph_layout);
  CHECK(resolve("/v2/ui/graphs/g/other").kind == route_kind::none);
  CHECK(resolve("/v2/repository/models/m/reload").kind == route_kind::repository_reload);
  CHECK(method_of(route_kind::graph_remove) == bhttp::verb::delete_);
  CHECK(method_of(route_kind::graph_submit) == bhttp::verb::post);
  CHECK(method_of(route_kind::graph_layout) == bhttp::verb::get);
  CHECK(resolve("/metrics").kind == route_kind::metrics);
  CHECK(resolve("/v2").kind == route_kind::server_metadata);
  CHECK(resolve("/v2/health/live").kind == route_kind::health_live);
  CHECK(resolve("/v2/health/ready?verbose=1").kind == route_kind::health_ready);
  CHECK(resolve("/v2/repository/index").kind == route_kind::repository_index);
  CHECK(resolve("/v2/models/stats").kind == route_kind::model_stats);
  CHECK(resolve("/v2/models/stats").graph.empty());

  auto infer = resolve("/v2/models/classifier/infer");
  CHECK(infer.kind == route_kind::model_infer);
  CHECK(infer.graph == "classifier");
  CHECK(infer.version.empty());

  auto versioned = resolve("/v2/models/classifier/versions/3/ready");
  CHECK(versioned.kind == route_kind::model_ready);
  CHECK(versioned.graph == "classifier");
  CHECK(versioned.version == "3");
  CHECK(resolve("/v2/models/classifier/versions/3").kind == route_kind::model_metadata);
  CHECK(resolve("/v2/models/classifier/config").kind == route_kind::model_config);
  CHECK(resolve("/v2/models/classifier/stats").kind == route_kind::model_stats);

  auto load = resolve("/v2/repository/models/resnet/load");
  CHECK(load.kind == route_kind::repository_load);
  CHECK(load.graph == "resnet");
  CHECK(resolve("/v2/repository/models/resnet/unload").kind == route_kind::repository_unload);
  auto tuning = resolve("/v2/models/pipeline/tuning");
  CHECK(tuning.kind == route_kind::model_tuning);
  CHECK(tuning.graph == "pipeline");
  CHECK(method_of(route_kind::model_tuning) == boost::beast::http::verb::post);
}

TEST_CASE("repeated slashes are one separator, and unknown paths are none") {
  CHECK(resolve("//v2///models//classifier/infer").kind == route_kind::model_infer);
  CHECK(resolve("/v2/models").kind == route_kind::none);
  CHECK(resolve("/v2/models/classifier/explain").kind == route_kind::none);
  CHECK(resolve("/v2/repository/models/resnet/delete").kind == route_kind::none);
  CHECK(resolve("/v3/health/live").kind == route_kind::none);
}

TEST_CASE("percent escapes are decoded per segment, so an escaped slash stays in the name") {
  auto r = resolve("/v2/models/my%20graph/infer");
  CHECK(r.kind == route_kind::model_infer);
  CHECK(r.graph == "my graph");
  // %2F does not split the path: the name is "../x", which the repository then refuses.
  auto traversal = resolve("/v2/repository/models/..%2Fx/load");
  CHECK(traversal.kind == route_kind::repository_load);
  CHECK(traversal.graph == "../x");
}

TEST_CASE("a NUL, a control character or a broken escape makes the target malformed") {
  for (auto target : {"/v2/repository/models/%00/load", "/v2/models/classifier%00/infer",
                      "/v2/models/a%0Ab/infer", "/v2/models/a%7f/infer", "/v2/models/%zz/infer",
                      "/v2/models/%4/infer", "/v2/models/abc%"}) {
    INFO(target);
    CHECK(resolve(target).kind == route_kind::malformed);
  }
  CHECK(percent_decode("a%41b") == std::optional<std::string>{"aAb"});
  CHECK_FALSE(percent_decode("%+1").has_value());
}

TEST_CASE("inference and the repository take POST, everything else GET") {
  using boost::beast::http::verb;
  CHECK(method_of(route_kind::model_infer) == verb::post);
  CHECK(method_of(route_kind::repository_index) == verb::post);
  CHECK(method_of(route_kind::repository_load) == verb::post);
  CHECK(method_of(route_kind::repository_unload) == verb::post);
  CHECK(method_of(route_kind::health_live) == verb::get);
  CHECK(method_of(route_kind::model_metadata) == verb::get);
}

TEST_CASE("query_value decodes one parameter and ignores the rest") {
  CHECK(query_value("/x?file=a.yaml", "file") == "a.yaml");
  CHECK(query_value("/x?a=1&file=my%20graph.yaml&b=2", "file") == "my graph.yaml");
  CHECK(query_value("/x?file=a+b.yaml", "file") == "a b.yaml");
  CHECK(query_value("/x?files=a", "file").empty());
  CHECK(query_value("/x", "file").empty());
  CHECK(query_value("/x?file", "file").empty());
  CHECK(query_value("/x?file=%zz", "file").empty());
  CHECK(query_value("/x?file=a%00b", "file").empty());
}
