// Evaluation of ConditionExpression / FilterExpression: every comparator, BETWEEN, IN, logic
// and precedence, and every function, by DynamoDB's rules (different types never compare,
// numbers compare numerically, absent attributes make comparisons false).
#include <string>

#include "daemon/expr/expressions.h"
#include "daemon/expr/test_util.h"
#include "gtest/gtest.h"

namespace globaltable::daemon::expr {
namespace {

using testing::B;
using testing::Bool;
using testing::BS;
using testing::L;
using testing::M;
using testing::N;
using testing::NS;
using testing::Null;
using testing::S;
using testing::SS;

const proto::Item& TestItem() {
  static const auto* item = new proto::Item(testing::Item({
      {"pk", S("k")},
      {"s", S("hello")},
      {"blank", S("")},
      {"uni", S("h\xC3\xA9llo")},  // "héllo": 6 UTF-8 bytes
      {"n", N("10")},
      {"neg", N("-2.5")},
      {"b", B("\x01\x02\x03")},
      {"ss", SS({"a", "b"})},
      {"ns", NS({"-1", "2", "10"})},
      {"bs", BS({"\x01", "\x02"})},
      {"l", L({S("x"), N("1"), M({{"k", S("v")}}), L({N("5")})})},
      {"m", M({{"a", N("1")}, {"b", M({{"c", L({S("deep")})}})}, {"status", S("on")}})},
      {"nul", Null()},
      {"t", Bool(true)},
  }));
  return *item;
}

const ExpressionContext::ValueMap& Values() {
  static const auto* values = new ExpressionContext::ValueMap{
      {":hello", S("hello")},
      {":he", S("he")},
      {":ell", S("ell")},
      {":x", S("x")},
      {":a", S("a")},
      {":c", S("c")},
      {":on", S("on")},
      {":zero", N("0")},
      {":one", N("1")},
      {":n2", N("2")},
      {":n3", N("3")},
      {":n4", N("4")},
      {":n6", N("6")},
      {":n9", N("9")},
      {":n10", N("10")},
      {":n11", N("11")},
      {":n100", N("100")},
      {":neg3", N("-3")},
      {":b", B("\x01\x02\x03")},
      {":b12", B("\x01\x02")},
      {":b2", B("\x02")},
      {":ssab", SS({"a", "b"})},
      {":nsv", NS({"-1", "2", "10"})},
      {":ls", L({S("x"), N("1"), M({{"k", S("v")}}), L({N("5")})})},
      {":mk", M({{"k", S("v")}})},
      {":l5", L({N("5")})},
      {":true", Bool(true)},
      {":false", Bool(false)},
      {":null", Null()},
      {":S", S("S")},
      {":N", S("N")},
      {":B", S("B")},
      {":SS", S("SS")},
      {":NS", S("NS")},
      {":BS", S("BS")},
      {":L", S("L")},
      {":M", S("M")},
      {":NULL", S("NULL")},
      {":BOOL", S("BOOL")},
  };
  return *values;
}

const ExpressionContext::NameMap& Names() {
  static const auto* names = new ExpressionContext::NameMap{{"#st", "status"}, {"#s", "s"}};
  return *names;
}

struct Case {
  const char* text;
  bool expected;
};

void ExpectCases(const proto::Item* item, std::initializer_list<Case> cases) {
  for (const Case& c : cases) {
    ExpressionContext context(&Names(), &Values());
    absl::StatusOr<Condition> condition =
        Condition::Parse(c.text, ExpressionKind::kCondition, &context);
    ASSERT_TRUE(condition.ok()) << c.text << ": " << condition.status();
    absl::StatusOr<bool> result = condition->Evaluate(item);
    ASSERT_TRUE(result.ok()) << c.text << ": " << result.status();
    EXPECT_EQ(*result, c.expected) << c.text;
  }
}

TEST(ConditionEvalTest, EqualityAndInequality) {
  ExpectCases(&TestItem(), {
                               {"s = :hello", true},   {"#s = :hello", true},
                               {"s = :x", false},      {"s <> :x", true},
                               {"s <> :hello", false}, {"absent = :x", false},
                               {"absent <> :x", true}, {"n = :n10", true},
                               {"n = :hello", false},  // different types are never equal
                               {"n <> :hello", true},  {"b = :b", true},
                               {"ss = :ssab", true},   {"ns = :nsv", true},
                               {"l = :ls", true},      {"l[2] = :mk", true},
                               {"l[3] = :l5", true},   {"m.#st = :on", true},
                               {"nul = :null", true},  {"t = :true", true},
                               {"t = :false", false},  {"t <> :true", false},
                               {"m.a = n", false},     {"m.a = l[1]", true},
                           });
}

TEST(ConditionEvalTest, Ordering) {
  ExpectCases(&TestItem(),
              {
                  {"n < :n11", true},        {"n < :n10", false},   {"n <= :n10", true},
                  {"n > :n9", true},         {"n >= :n11", false},  {"n >= :n10", true},
                  {"n > :n2", true},  // numerically, not as text
                  {"n < :n100", true},       {"neg < :n2", true},   {"neg > :neg3", true},
                  {"s < :x", true},          {"s > :he", true},     {"s >= :hello", true},
                  {"b < :b2", true},                                 // bytes compare unsigned
                  {"b > :b12", true},        {"s < :n10", false},    // different types
                  {"n < :hello", false},     {"ss < :ssab", false},  // sets have no order
                  {"ss <= :ssab", false},    {"t > :false", false}, {"absent < :n10", false},
                  {"absent >= :n10", false}, {"m.a < n", true},
              });
}

TEST(ConditionEvalTest, BetweenAndIn) {
  ExpectCases(&TestItem(), {
                               {"n BETWEEN :n9 AND :n11", true},
                               {"n BETWEEN :n10 AND :n10", true},
                               {"n BETWEEN :n11 AND :n100", false},
                               {"n BETWEEN :n2 AND :n9", false},
                               {"s BETWEEN :a AND :x", true},
                               {"s BETWEEN :he AND :hello", true},
                               {"absent BETWEEN :n9 AND :n11", false},
                               {"s BETWEEN :n9 AND :n11", false},
                               {"size(s) BETWEEN :n3 AND :n6", true},
                               {"s IN (:x, :hello)", true},
                               {"s IN (:x, :a)", false},
                               {"n IN (:hello, :n10)", true},
                               {"absent IN (:x)", false},
                               {"l[1] IN (:one)", true},
                               {"ss IN (:ssab)", true},
                               {"n IN (l[1], m.a)", false},
                           });
}

TEST(ConditionEvalTest, ExistenceAndType) {
  ExpectCases(&TestItem(), {
                               {"attribute_exists(s)", true},
                               {"attribute_exists(absent)", false},
                               {"attribute_exists(m.b.c[0])", true},
                               {"attribute_exists(m.b.c[1])", false},
                               {"attribute_exists(l[2].k)", true},
                               {"attribute_exists(s.x)", false},  // s is not a map
                               {"attribute_exists(l.k)", false},
                               {"attribute_exists(m[0])", false},
                               {"attribute_exists(nul)", true},
                               {"attribute_not_exists(absent)", true},
                               {"attribute_not_exists(s)", false},
                               {"attribute_not_exists(m.zz)", true},
                               {"attribute_type(s, :S)", true},
                               {"attribute_type(n, :N)", true},
                               {"attribute_type(b, :B)", true},
                               {"attribute_type(ss, :SS)", true},
                               {"attribute_type(ns, :NS)", true},
                               {"attribute_type(bs, :BS)", true},
                               {"attribute_type(l, :L)", true},
                               {"attribute_type(m, :M)", true},
                               {"attribute_type(nul, :NULL)", true},
                               {"attribute_type(t, :BOOL)", true},
                               {"attribute_type(s, :N)", false},
                               {"attribute_type(ss, :S)", false},
                               {"attribute_type(absent, :S)", false},
                           });
}

TEST(ConditionEvalTest, BeginsWithAndContains) {
  ExpectCases(
      &TestItem(),
      {
          {"begins_with(s, :he)", true},   {"begins_with(s, :hello)", true},
          {"begins_with(s, :ell)", false}, {"begins_with(b, :b12)", true},
          {"begins_with(b, :b2)", false},  {"begins_with(b, :he)", false},  // binary vs string
          {"begins_with(n, :he)", false},  {"begins_with(absent, :he)", false},
          {"begins_with(l[0], :x)", true}, {"contains(s, :ell)", true},
          {"contains(s, :x)", false},      {"contains(ss, :a)", true},
          {"contains(ss, :c)", false},     {"contains(ss, :n10)", false},  // wrong element type
          {"contains(ns, :n10)", true},    {"contains(ns, :n9)", false},
          {"contains(bs, :b2)", true},     {"contains(b, :b2)", true},
          {"contains(l, :x)", true},       {"contains(l, :one)", true},
          {"contains(l, :mk)", true},      {"contains(l, :l5)", true},
          {"contains(l, :hello)", false},  {"contains(n, :n10)", false},
          {"contains(absent, :x)", false}, {"contains(m, :a)", false},
          {"contains(ns, :nsv)", false},   {"contains(t, :true)", false},
          {"contains(l, :ssab)", false},
      });
}

TEST(ConditionEvalTest, Size) {
  ExpectCases(&TestItem(),
              {
                  {"size(s) = :n6", false},      {"size(s) > :n4", true},
                  {"size(uni) = :n6", true},  // UTF-8 bytes
                  {"size(blank) = :zero", true}, {"size(b) = :n3", true},
                  {"size(ss) = :n2", true},      {"size(ns) = :n3", true},
                  {"size(bs) = :n2", true},      {"size(l) = :n4", true},
                  {"size(m) = :n3", true},       {"size(m.b) = :one", true},
                  {"size(l[3]) = :one", true},   {"size(n) = :n2", false},  // numbers have no size
                  {"size(n) >= :zero", false},   {"size(t) >= :zero", false},
                  {"size(nul) = :zero", false},  {"size(absent) < :n100", false},
                  {"size(l) > size(ss)", true},  {":n4 = size(l)", true},
              });
}

TEST(ConditionEvalTest, LogicAndPrecedence) {
  ExpectCases(&TestItem(), {
                               {"s = :hello AND n = :n10", true},
                               {"s = :x AND n = :n10", false},
                               {"s = :x OR n = :n10", true},
                               {"s = :x OR n = :n9", false},
                               {"NOT s = :x", true},
                               {"not s = :hello", false},
                               {"NOT (s = :hello AND n = :n10)", false},
                               {"NOT NOT s = :hello", true},
                               // AND binds tighter than OR: (F AND F) OR T.
                               {"s = :x AND n = :n9 OR t = :true", true},
                               // T OR (F AND F), not (T OR F) AND F.
                               {"s = :hello OR s = :x AND n = :n9", true},
                               // NOT binds tighter than AND: (NOT F) AND F.
                               {"NOT s = :x AND n = :n9", false},
                               {"(s = :x OR n = :n10) AND t = :true", true},
                               {"s = :x OR (n = :n10 AND t = :false)", false},
                               {"s = :hello and n = :n10 And t = :true", true},
                           });
}

TEST(ConditionEvalTest, MissingItemBehavesAsEmpty) {
  ExpectCases(nullptr, {
                           {"attribute_not_exists(pk)", true},
                           {"attribute_exists(pk)", false},
                           {"s <> :x", true},
                           {"s = :x", false},
                           {"NOT s = :x", true},
                           {"size(s) >= :zero", false},
                       });
  const proto::Item empty;
  ExpectCases(&empty, {{"attribute_not_exists(pk)", true}});
}

TEST(ConditionEvalTest, ParsedConditionIsReusableAfterContextIsGone) {
  absl::StatusOr<Condition> condition = [] {
    ExpressionContext::ValueMap values{{":v", S("hello")}};
    ExpressionContext context(nullptr, &values);
    return Condition::Parse("s = :v", ExpressionKind::kFilter, &context);
  }();
  ASSERT_TRUE(condition.ok());
  EXPECT_TRUE(*condition->Evaluate(&TestItem()));
  const proto::Item other = testing::Item({{"s", S("bye")}});
  EXPECT_FALSE(*condition->Evaluate(&other));
}

}  // namespace
}  // namespace globaltable::daemon::expr
