// ApiError: the one error type of the DynamoDB API, and the one place that turns errors into
// DynamoDB's wire shape.
//
// Operations return absl::Status like the rest of the code base. Status codes map to DynamoDB
// error types (kInvalidArgument -> ValidationException, kNotFound -> ResourceNotFoundException,
// kAlreadyExists -> ResourceInUseException, kAborted -> ConditionalCheckFailedException,
// kResourceExhausted -> ThrottlingException, kFailedPrecondition -> WriteRejectedException for
// read-only and fenced regions, kUnavailable -> ServiceUnavailable with HTTP 503 (a store
// refusing writes on a full disk: retryable), anything else -> InternalServerError with HTTP
// 500). Errors that a
// code cannot express (SerializationException, UnknownOperationException, ...) are built with a
// factory and carried through a Status by status(), which stores the exact type as a payload:
//
//   if (!body.IsObject()) return ApiError::Serialization("Start of structure expected").status();
//   ...
//   ApiError e = ApiError::FromStatus(store_status);
//   response.status = e.http_status();
//   response.body = e.ToJson();   //
//   {"__type":"com.amazonaws.dynamodb.v20120810#...","message":...}
//
// Thread-safety: a value type.
#ifndef GLOBALTABLE_DAEMON_API_API_ERROR_H_
#define GLOBALTABLE_DAEMON_API_API_ERROR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace globaltable::daemon::api {

class ApiError {
 public:
  ApiError(std::string type, std::string message, int http_status = 400)
      : type_(std::move(type)), message_(std::move(message)), http_status_(http_status) {}

  static ApiError Validation(absl::string_view message);
  static ApiError ResourceNotFound(absl::string_view message = "Requested resource not found");
  static ApiError ResourceInUse(absl::string_view message);
  static ApiError ConditionalCheckFailed(
      absl::string_view message = "The conditional request failed");
  static ApiError Throttling(absl::string_view message);
  static ApiError ProvisionedThroughputExceeded(absl::string_view message);
  static ApiError Serialization(absl::string_view message);
  static ApiError UnknownOperation(absl::string_view message = "");
  static ApiError WriteRejected(absl::string_view message);
  static ApiError Internal(absl::string_view message);
  // 503: the region cannot take the request now (e.g. its disk is full); SDKs retry it.
  static ApiError ServiceUnavailable(absl::string_view message);
  static ApiError TransactionCanceled(absl::string_view message);

  // The ApiError a Status stands for: its exact type if it came from status(), else by code.
  static ApiError FromStatus(const absl::Status& status);

  // A Status with the code closest to this error and the exact type attached.
  absl::Status status() const;

  // The same error carrying an item as DynamoDB JSON (an object), which ToJson writes as
  // "Item": a ConditionalCheckFailedException under ReturnValuesOnConditionCheckFailure ALL_OLD
  // returns the item that failed the condition this way. status() keeps it.
  ApiError WithItem(std::string item_json) const;
  // The same carrying TransactWriteItems' CancellationReasons (a JSON array, one object per
  // action), which ToJson writes as "CancellationReasons". status() keeps them.
  ApiError WithCancellationReasons(std::string reasons_json) const;

  const std::string& type() const { return type_; }  // e.g. "ValidationException"
  const std::string& message() const { return message_; }
  int http_status() const { return http_status_; }
  const std::string& item_json() const { return item_json_; }  // empty when none
  const std::string& cancellation_reasons_json() const { return reasons_json_; }
  // {"__type":"com.amazonaws.dynamodb.v20120810#<type>","message":"<message>"}, plus
  // "Item":{...} when WithItem set one.
  std::string ToJson() const;

 private:
  std::string type_;
  std::string message_;
  int http_status_;
  std::string item_json_;
  std::string reasons_json_;
};

}  // namespace globaltable::daemon::api

#endif  // GLOBALTABLE_DAEMON_API_API_ERROR_H_
