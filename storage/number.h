// DynamoDB numbers: exact decimals, normalized so that equal numbers are equal strings.
//
// DynamoDB numbers have up to 38 significant digits and a magnitude of 1E-130 to
// 9.9999999999999999999999999999999999999E+125 (or zero). They travel as strings.
//
//   ASSIGN_OR_RETURN(std::string n, NormalizeNumber("-0012.500e1"));     // "-125"
//   CompareNumbers("-125", "3") < 0
//   ASSIGN_OR_RETURN(std::string sum, AddNumbers("0.1", "0.2"));          // "0.3"
//
// Normalized form: plain decimal notation (no exponent), no leading zeros in the integer part,
// no trailing zeros in the fraction, no '+' sign, "0" for every zero (no "-0"). For example
// "1E+3" -> "1000", "1.50" -> "1.5", "-0.000" -> "0", "1e-3" -> "0.001".
//
// Thread-safety: pure functions.
#ifndef GLOBALTABLE_STORAGE_NUMBER_H_
#define GLOBALTABLE_STORAGE_NUMBER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace globaltable::storage {

// Parses a number as DynamoDB accepts it (optional sign, digits with an optional '.',
// optional exponent 'e'/'E' with sign; surrounding whitespace is not accepted) and returns
// its normalized form. kInvalidArgument with DynamoDB's message for malformed text, more than
// 38 significant digits, or a magnitude outside the supported range.
absl::StatusOr<std::string> NormalizeNumber(absl::string_view text);

// Numeric comparison of two normalized numbers: <0, 0, >0.
int CompareNumbers(absl::string_view a, absl::string_view b);

// Exact arithmetic on normalized numbers; the result is normalized. kInvalidArgument when the
// result needs more than 38 significant digits or leaves the supported range (like DynamoDB,
// a result needing more than 38 digits, such as 1E+50 + 1, reports "Number overflow").
absl::StatusOr<std::string> AddNumbers(absl::string_view a, absl::string_view b);
absl::StatusOr<std::string> SubtractNumbers(absl::string_view a, absl::string_view b);

// Appends an order-preserving encoding of a normalized number: memcmp order of the encodings
// equals numeric order. Self-delimiting (can be followed by more bytes). At most 22 bytes.
// The grammar is at the top of number.cc.
void AppendOrderedNumber(absl::string_view normalized, std::string* out);
// Decodes one number written by AppendOrderedNumber from the front of *in and advances *in.
absl::StatusOr<std::string> ConsumeOrderedNumber(absl::string_view* in);

}  // namespace globaltable::storage

#endif  // GLOBALTABLE_STORAGE_NUMBER_H_
