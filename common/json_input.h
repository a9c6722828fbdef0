// Parsing JSON from the network into a RapidJSON document with bounded stack and strict text.
//
// RapidJSON's default Parse recurses once per nesting level, so a small body of deeply nested
// arrays overflows the stack. ParseJsonInput parses iteratively (kParseIterativeFlag) through
// a handler that counts nesting and stops the parse at `max_depth`, before the document
// grows, and that refuses any string or member name that is not strict UTF-8 (raw invalid
// bytes, and escapes that decode to a lone surrogate such as "\udc00"). A document that
// parses is therefore at most `max_depth` deep, so walking it recursively is bounded too.
//
//   rapidjson::Document doc;
//   JsonInputResult r = ParseJsonInput(body, /*max_depth=*/64, &doc);
//   if (r.error == JsonInputError::kTooDeep) ...;   // the caller words each error
//
// Thread-safety: pure functions on the caller's document.
#ifndef GLOBALTABLE_COMMON_JSON_INPUT_H_
#define GLOBALTABLE_COMMON_JSON_INPUT_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "common/utf8.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"

namespace globaltable {

enum class JsonInputError {
  kNone,
  kMalformed,    // not JSON; `message` says why
  kInvalidUtf8,  // a string or name is not strict UTF-8
  kTooDeep,      // arrays and objects nest deeper than max_depth
};

struct JsonInputResult {
  JsonInputError error = JsonInputError::kNone;
  size_t offset = 0;     // where the parse stopped
  const char* message = "";  // RapidJSON's description, for kMalformed
  bool ok() const { return error == JsonInputError::kNone; }
};

namespace json_input_internal {

// Forwards SAX events to the document, counting depth and checking strings.
template <typename Document>
class BoundedHandler {
 public:
  using Ch = typename Document::Ch;
  BoundedHandler(Document* doc, int max_depth) : doc_(doc), max_depth_(max_depth) {}

  bool Null() { return doc_->Null(); }
  bool Bool(bool b) { return doc_->Bool(b); }
  bool Int(int i) { return doc_->Int(i); }
  bool Uint(unsigned i) { return doc_->Uint(i); }
  bool Int64(int64_t i) { return doc_->Int64(i); }
  bool Uint64(uint64_t i) { return doc_->Uint64(i); }
  bool Double(double d) { return doc_->Double(d); }
  bool RawNumber(const Ch* s, rapidjson::SizeType n, bool copy) {
    return doc_->RawNumber(s, n, copy);
  }
  bool String(const Ch* s, rapidjson::SizeType n, bool copy) {
    if (!IsValidUtf8(absl::string_view(s, n))) return Refuse(JsonInputError::kInvalidUtf8);
    return doc_->String(s, n, copy);
  }
  bool Key(const Ch* s, rapidjson::SizeType n, bool copy) {
    if (!IsValidUtf8(absl::string_view(s, n))) return Refuse(JsonInputError::kInvalidUtf8);
    return doc_->Key(s, n, copy);
  }
  bool StartObject() {
    if (++depth_ > max_depth_) return Refuse(JsonInputError::kTooDeep);
    return doc_->StartObject();
  }
  bool EndObject(rapidjson::SizeType n) {
    --depth_;
    return doc_->EndObject(n);
  }
  bool StartArray() {
    if (++depth_ > max_depth_) return Refuse(JsonInputError::kTooDeep);
    return doc_->StartArray();
  }
  bool EndArray(rapidjson::SizeType n) {
    --depth_;
    return doc_->EndArray(n);
  }

  JsonInputError refused() const { return refused_; }

 private:
  bool Refuse(JsonInputError e) {
    refused_ = e;
    return false;
  }

  Document* doc_;
  const int max_depth_;
  int depth_ = 0;
  JsonInputError refused_ = JsonInputError::kNone;
};

}  // namespace json_input_internal

// Parses `body` into *doc (any GenericDocument; its allocators are the caller's). The parser's
// own stack comes from `stack_allocator` when given. On error *doc is left null.
template <typename Document, typename StackAllocator = rapidjson::CrtAllocator>
JsonInputResult ParseJsonInput(absl::string_view body, int max_depth, Document* doc,
                               StackAllocator* stack_allocator = nullptr) {
  // Iterative: the call stack stays flat however deep the input. Strings are checked once, by
  // the handler (kParseValidateEncodingFlag would check raw bytes a second time, and misses
  // escaped lone surrogates); outside strings a byte above 0x7F is a syntax error anyway.
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag;
  using Encoding = typename Document::EncodingType;
  rapidjson::GenericReader<Encoding, Encoding, StackAllocator> reader(stack_allocator);
  json_input_internal::BoundedHandler<Document> handler(doc, max_depth);
  rapidjson::ParseResult result;
  bool trailing = false;
  size_t end = 0;
  auto generate = [&](Document&) {
    rapidjson::MemoryStream ms(body.data(), body.size());
    rapidjson::EncodedInputStream<Encoding, rapidjson::MemoryStream> is(ms);
    result = reader.template Parse<kFlags>(is, handler);
    if (!result) return false;
    // kParseStopWhenDoneFlag stops after the root; only whitespace may follow it.
    rapidjson::SkipWhitespace(is);
    end = is.Tell();
    trailing = is.Peek() != '\0' || end < body.size();
    return !trailing;
  };
  doc->Populate(generate);
  JsonInputResult out;
  if (trailing) {
    out.error = JsonInputError::kMalformed;
    out.offset = end;
    out.message = rapidjson::GetParseError_En(rapidjson::kParseErrorDocumentRootNotSingular);
    doc->SetNull();
    return out;
  }
  if (result) return out;
  doc->SetNull();
  out.offset = result.Offset();
  if (handler.refused() != JsonInputError::kNone) {
    out.error = handler.refused();
  } else if (result.Code() == rapidjson::kParseErrorStringInvalidEncoding ||
             result.Code() == rapidjson::kParseErrorStringUnicodeSurrogateInvalid) {
    out.error = JsonInputError::kInvalidUtf8;
  } else {
    out.error = JsonInputError::kMalformed;
    out.message = rapidjson::GetParseError_En(result.Code());
  }
  return out;
}

}  // namespace globaltable

#endif  // GLOBALTABLE_COMMON_JSON_INPUT_H_
