// StreamFetcher implementation. Thread-safety: see stream_fetch.h.
#include "replication/stream_fetch.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/json_input.h"
#include "rapidjson/document.h"
#include "replication/names.h"

namespace globaltable::replication {

absl::StatusOr<std::optional<StreamMessage>> ParseMsgGetResponse(absl::string_view json) {
  rapidjson::Document doc;
  // The answer comes from the network: the shared bounded, strict parse (its shape is 3 deep).
  if (ParseJsonInput(json, /*max_depth=*/8, &doc).error != JsonInputError::kNone ||
      !doc.IsObject()) {
    return absl::InternalError("STREAM.MSG.GET answered something that is not a JSON object");
  }
  auto err = doc.FindMember("error");
  if (err != doc.MemberEnd()) {
    int code = 0;
    std::string description;
    if (err->value.IsObject()) {
      auto c = err->value.FindMember("code");
      if (c != err->value.MemberEnd() && c->value.IsInt()) code = c->value.GetInt();
      auto d = err->value.FindMember("description");
      if (d != err->value.MemberEnd() && d->value.IsString()) description = d->value.GetString();
    }
    if (code == 404) return std::nullopt;  // no message at or after the sequence
    return absl::InternalError(absl::StrCat("STREAM.MSG.GET: ", code, " ", description));
  }
  auto m = doc.FindMember("message");
  if (m == doc.MemberEnd() || !m->value.IsObject()) {
    return absl::InternalError("STREAM.MSG.GET answered no message");
  }
  auto seq = m->value.FindMember("seq");
  if (seq == m->value.MemberEnd() || !seq->value.IsUint64() || seq->value.GetUint64() == 0) {
    return absl::InternalError("STREAM.MSG.GET answered a message without a sequence");
  }
  StreamMessage out;
  out.sequence = seq->value.GetUint64();
  auto data = m->value.FindMember("data");
  if (data != m->value.MemberEnd()) {
    if (!data->value.IsString() ||
        !absl::Base64Unescape(
            absl::string_view(data->value.GetString(), data->value.GetStringLength()),
            &out.data)) {
      return absl::InternalError("STREAM.MSG.GET answered data that is not base64");
    }
  }
  return out;
}

absl::StatusOr<std::optional<StreamMessage>> StreamFetcher::NextBySubject(
    absl::string_view domain, absl::string_view stream, absl::string_view subject,
    uint64_t from) {
  std::string api = absl::StrCat(ApiPrefix(domain), ".STREAM.MSG.GET.", stream);
  std::string body = absl::StrCat("{\"seq\":", from, ",\"next_by_subj\":\"", subject, "\"}");
  natsMsg* raw = nullptr;
  natsStatus s = natsConnection_Request(&raw, link_->conn(), api.c_str(), body.data(),
                                        static_cast<int>(body.size()),
                                        absl::ToInt64Milliseconds(timeout_));
  NatsMsgPtr reply(raw);
  if (s != NATS_OK) return NatsError(s, absl::StrCat("get from ", stream));
  return ParseMsgGetResponse(
      absl::string_view(natsMsg_GetData(reply.get()),
                        static_cast<size_t>(natsMsg_GetDataLength(reply.get()))));
}

}  // namespace globaltable::replication
