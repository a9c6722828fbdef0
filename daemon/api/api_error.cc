// ApiError: DynamoDB error types, their mapping from Status codes, and their JSON. Thread-safe.
#include "daemon/api/api_error.h"

#include "absl/strings/cord.h"
#include "common/utf8.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace globaltable::daemon::api {
namespace {

// Payload key under which status() records the exact DynamoDB error type.
constexpr char kTypePayload[] = "globaltable.dynamodb/type";
// Payload key under which status() records the item of WithItem.
constexpr char kItemPayload[] = "globaltable.dynamodb/item";
// Payload key under which status() records the reasons of WithCancellationReasons.
constexpr char kReasonsPayload[] = "globaltable.dynamodb/cancellation-reasons";
constexpr char kTypePrefix[] = "com.amazonaws.dynamodb.v20120810#";

absl::StatusCode CodeFor(absl::string_view type) {
  if (type == "ValidationException" || type == "SerializationException" ||
      type == "UnknownOperationException" || type == "IdempotentParameterMismatchException") {
    return absl::StatusCode::kInvalidArgument;
  }
  if (type == "ResourceNotFoundException") return absl::StatusCode::kNotFound;
  if (type == "ResourceInUseException") return absl::StatusCode::kAlreadyExists;
  if (type == "ConditionalCheckFailedException" || type == "TransactionCanceledException" ||
      type == "TransactionInProgressException") {
    return absl::StatusCode::kAborted;
  }
  if (type == "ThrottlingException" || type == "ProvisionedThroughputExceededException") {
    return absl::StatusCode::kResourceExhausted;
  }
  if (type == "WriteRejectedException") return absl::StatusCode::kFailedPrecondition;
  if (type == "ServiceUnavailable") return absl::StatusCode::kUnavailable;
  return absl::StatusCode::kInternal;
}

}  // namespace

ApiError ApiError::Validation(absl::string_view m) {
  return ApiError("ValidationException", std::string(m));
}
ApiError ApiError::ResourceNotFound(absl::string_view m) {
  return ApiError("ResourceNotFoundException", std::string(m));
}
ApiError ApiError::ResourceInUse(absl::string_view m) {
  return ApiError("ResourceInUseException", std::string(m));
}
ApiError ApiError::ConditionalCheckFailed(absl::string_view m) {
  return ApiError("ConditionalCheckFailedException", std::string(m));
}
ApiError ApiError::Throttling(absl::string_view m) {
  return ApiError("ThrottlingException", std::string(m));
}
ApiError ApiError::ProvisionedThroughputExceeded(absl::string_view m) {
  return ApiError("ProvisionedThroughputExceededException", std::string(m));
}
ApiError ApiError::Serialization(absl::string_view m) {
  return ApiError("SerializationException", std::string(m));
}
ApiError ApiError::UnknownOperation(absl::string_view m) {
  return ApiError("UnknownOperationException", std::string(m));
}
ApiError ApiError::WriteRejected(absl::string_view m) {
  return ApiError("WriteRejectedException", std::string(m));
}
ApiError ApiError::Internal(absl::string_view m) {
  return ApiError("InternalServerError", std::string(m), 500);
}
ApiError ApiError::ServiceUnavailable(absl::string_view m) {
  return ApiError("ServiceUnavailable", std::string(m), 503);
}

ApiError ApiError::TransactionCanceled(absl::string_view m) {
  return ApiError("TransactionCanceledException", std::string(m));
}

ApiError ApiError::WithCancellationReasons(std::string reasons_json) const {
  ApiError e = *this;
  e.reasons_json_ = std::move(reasons_json);
  return e;
}

ApiError ApiError::WithItem(std::string item_json) const {
  ApiError e = *this;
  e.item_json_ = std::move(item_json);
  return e;
}

ApiError ApiError::FromStatus(const absl::Status& status) {
  if (absl::optional<absl::Cord> type = status.GetPayload(kTypePayload)) {
    std::string t(*type);
    const absl::StatusCode code = CodeFor(t);
    ApiError e(t, std::string(status.message()),
               code == absl::StatusCode::kInternal      ? 500
               : code == absl::StatusCode::kUnavailable ? 503
                                                        : 400);
    if (absl::optional<absl::Cord> item = status.GetPayload(kItemPayload)) {
      e.item_json_ = std::string(*item);
    }
    if (absl::optional<absl::Cord> reasons = status.GetPayload(kReasonsPayload)) {
      e.reasons_json_ = std::string(*reasons);
    }
    return e;
  }
  std::string m(status.message());
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return Validation(m);
    case absl::StatusCode::kNotFound:
      return ResourceNotFound(m);
    case absl::StatusCode::kAlreadyExists:
      return ResourceInUse(m);
    case absl::StatusCode::kAborted:
      return ConditionalCheckFailed(m);
    case absl::StatusCode::kResourceExhausted:
      return Throttling(m);
    case absl::StatusCode::kFailedPrecondition:
      return WriteRejected(m);
    case absl::StatusCode::kUnavailable:
      return ServiceUnavailable(m.empty() ? "Service unavailable" : m);
    default:
      return Internal(m.empty() ? "Internal server error" : m);
  }
}

absl::Status ApiError::status() const {
  absl::Status s(CodeFor(type_), message_);
  s.SetPayload(kTypePayload, absl::Cord(type_));
  if (!item_json_.empty()) s.SetPayload(kItemPayload, absl::Cord(item_json_));
  if (!reasons_json_.empty()) s.SetPayload(kReasonsPayload, absl::Cord(reasons_json_));
  return s;
}

std::string ApiError::ToJson() const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("__type");
  std::string type = kTypePrefix + type_;
  w.String(type.data(), static_cast<rapidjson::SizeType>(type.size()));
  w.Key("message");
  // Messages may quote stored names and values, which may predate UTF-8 validation.
  const std::string message = ToValidUtf8(message_);
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  if (!item_json_.empty()) {
    w.Key("Item");
    w.RawValue(item_json_.data(), item_json_.size(), rapidjson::kObjectType);
  }
  if (!reasons_json_.empty()) {
    w.Key("CancellationReasons");
    w.RawValue(reasons_json_.data(), reasons_json_.size(), rapidjson::kArrayType);
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace globaltable::daemon::api
