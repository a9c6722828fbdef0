// Tests of strict UTF-8 validation and U+FFFD repair.
#include "common/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace globaltable {
namespace {

struct Case {
  std::string text;
  size_t first_invalid;  // npos: valid
  std::string repaired;
};

TEST(Utf8Test, ValidatesStrictlyAndRepairsMaximalSubparts) {
  const size_t ok = absl::string_view::npos;
  const std::string r = "\xEF\xBF\xBD";  // U+FFFD
  const Case cases[] = {
      {"", ok, ""},
      {"plain ascii, longer than eight bytes", ok, "plain ascii, longer than eight bytes"},
      {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", ok, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"},
      {"\xEF\xBF\xBF\xF4\x8F\xBF\xBF", ok, "\xEF\xBF\xBF\xF4\x8F\xBF\xBF"},  // U+FFFF, U+10FFFF
      {std::string("nul\0inside", 10), ok, std::string("nul\0inside", 10)},
      // The example from the field: C3 needs a continuation byte, '(' is not one.
      {"\xC3\x28", 0, r + "("},
      {"abcdefgh\xC3\x28", 8, "abcdefgh" + r + "("},
      {"\x80", 0, r},                          // lone continuation byte
      {"\xC0\xAF", 0, r + r},                  // overlong '/'
      {"\xC1\xBF", 0, r + r},                  // overlong
      {"\xE0\x80\xAF", 0, r + r + r},          // overlong three-byte form
      {"\xED\xA0\x80", 0, r + r + r},          // U+D800, a surrogate
      {"\xED\xB0\x80", 0, r + r + r},          // U+DC00, what "\udc00" decodes to
      {"\xF4\x90\x80\x80", 0, r + r + r + r},  // above U+10FFFF
      {"\xF5\x80", 0, r + r},
      {"\xFF", 0, r},
      {"x\xE2\x82", 1, "x" + r},               // truncated at the end: one subpart
      {"\xE2\x82" "A", 0, r + "A"},
      {"\xF0\x9F\x98", 0, r},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FirstInvalidUtf8(c.text), c.first_invalid) << c.text;
    EXPECT_EQ(IsValidUtf8(c.text), c.first_invalid == ok) << c.text;
    EXPECT_EQ(ToValidUtf8(c.text), c.repaired) << c.text;
    EXPECT_TRUE(IsValidUtf8(ToValidUtf8(c.text))) << c.text;
  }
}

}  // namespace
}  // namespace globaltable
