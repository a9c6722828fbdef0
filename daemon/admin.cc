// AdminApi routes. Thread-safety: see admin.h.
#include "daemon/admin.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace globaltable::daemon {
namespace {

constexpr char kJson[] = "application/json";

HttpResponse JsonError(int status, absl::string_view message) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("error");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  return HttpResponse{status, kJson, std::string(buffer.GetString(), buffer.GetSize()) + "\n"};
}

}  // namespace

AdminApi::AdminApi(storage::Store* store, Metrics* metrics, std::string region, clock::RegionId id)
    : store_(store), metrics_(metrics), region_(std::move(region)), region_id_(id) {}

void AdminApi::Register(std::string method, std::string path_prefix, HttpServer::Handler handler) {
  routes_.push_back(Route{std::move(method), std::move(path_prefix), std::move(handler)});
}

HttpResponse AdminApi::Handle(const HttpRequest& request) {
  absl::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  for (const Route& route : routes_) {
    if (route.method == request.method && absl::StartsWith(path, route.prefix)) {
      return route.handler(request);
    }
  }
  if (request.method != "GET") return JsonError(405, "method not allowed");
  if (path == "/healthz") {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    w.Key("status");
    w.String("ok");
    w.Key("region");
    w.String(region_.c_str());
    w.Key("region_id");
    w.Uint(region_id_);
    w.EndObject();
    return HttpResponse{200, kJson, std::string(buffer.GetString(), buffer.GetSize()) + "\n"};
  }
  if (path == "/metrics" && metrics_ != nullptr) {
    return HttpResponse{200, "text/plain; version=0.0.4", metrics_->Serialize()};
  }
  constexpr absl::string_view kTables = "/v1/tables/";
  constexpr absl::string_view kDigest = "/digest";
  if (absl::StartsWith(path, kTables) && absl::EndsWith(path, kDigest) &&
      path.size() > kTables.size() + kDigest.size()) {
    return Digest(
        std::string(path.substr(kTables.size(), path.size() - kTables.size() - kDigest.size())));
  }
  return JsonError(404, absl::StrCat("no such endpoint: ", path));
}

HttpResponse AdminApi::Digest(const std::string& table) {
  absl::StatusOr<storage::TableDigest> d = store_->Digest(table);
  if (!d.ok()) {
    return JsonError(d.status().code() == absl::StatusCode::kNotFound ? 404 : 500,
                     d.status().message());
  }
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("table");
  w.String(d->table.c_str());
  w.Key("items");
  w.Uint64(d->items);
  w.Key("tombstones");
  w.Uint64(d->tombstones);
  w.Key("digest");
  w.String(d->digest.c_str());
  w.EndObject();
  return HttpResponse{200, kJson, std::string(buffer.GetString(), buffer.GetSize()) + "\n"};
}

}  // namespace globaltable::daemon
