// ProjectionExpression application and KeyConditionExpression analysis against a table schema.
#include <string>

#include "daemon/expr/expressions.h"
#include "daemon/expr/test_util.h"
#include "gtest/gtest.h"

namespace globaltable::daemon::expr {
namespace {

using testing::L;
using testing::M;
using testing::N;
using testing::S;
using testing::Show;
using Op = storage::SortKeyCondition::Op;

const ExpressionContext::ValueMap& Values() {
  static const auto* values = new ExpressionContext::ValueMap{
      {":s", S("p")}, {":s2", S("q")}, {":n", N("1")}, {":n2", N("5")}};
  return *values;
}

const ExpressionContext::NameMap& Names() {
  static const auto* names = new ExpressionContext::NameMap{{"#p", "pk"}, {"#k", "k"}};
  return *names;
}

std::string Projected(const proto::Item& item, absl::string_view text) {
  ExpressionContext context(&Names(), &Values());
  absl::StatusOr<Projection> projection = Projection::Parse(text, &context);
  if (!projection.ok()) return std::string(projection.status().message());
  return Show(projection->Project(item));
}

TEST(ProjectionTest, Project) {
  const proto::Item item = testing::Item(
      {{"a", M({{"b", S("x")}, {"c", L({N("1"), N("2"), N("3")})}, {"d", M({{"e", N("1")}})}})},
       {"l", L({N("10"), N("20"), N("30"), M({{"k", S("v")}})})},
       {"s", S("str")}});
  EXPECT_EQ(Projected(item, "s"), R"({s: "str"})");
  EXPECT_EQ(Projected(item, "s, a.b"), R"({a: {b: "x"}, s: "str"})");
  EXPECT_EQ(Projected(item, "a.d"), "{a: {d: {e: 1}}}");
  EXPECT_EQ(Projected(item, "a"), R"({a: {b: "x", c: [1, 2, 3], d: {e: 1}}})");
  // List elements keep index order, whatever the order asked.
  EXPECT_EQ(Projected(item, "a.c[2], a.c[0]"), "{a: {c: [1, 3]}}");
  EXPECT_EQ(Projected(item, "l[3].#k, l[1]"), R"({l: [20, {k: "v"}]})");
  EXPECT_EQ(Projected(item, "nope, a.zz, l[9], s.x"), "{}");
  EXPECT_EQ(Projected(item, "s[0], a[1].b"), "{}");
  EXPECT_EQ(Projected(proto::Item(), "a, b"), "{}");
}

proto::TableSchema Schema(proto::ScalarType sort_type) {
  proto::TableSchema schema;
  schema.mutable_partition_key()->set_name("pk");
  schema.mutable_partition_key()->set_type(proto::S);
  if (sort_type != proto::SCALAR_TYPE_UNSPECIFIED) {
    schema.mutable_sort_key()->set_name("sk");
    schema.mutable_sort_key()->set_type(sort_type);
  }
  return schema;
}

absl::StatusOr<KeyCondition> ParseKey(absl::string_view text,
                                      proto::ScalarType sort_type = proto::N) {
  ExpressionContext context(&Names(), &Values());
  return KeyCondition::Parse(text, Schema(sort_type), &context);
}

TEST(KeyConditionTest, PartitionKeyOnly) {
  absl::StatusOr<KeyCondition> k = ParseKey("pk = :s");
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(Show(k->partition_key), R"("p")");
  EXPECT_EQ(k->sort_key.op, Op::kNone);
  k = ParseKey("#p = :s", proto::SCALAR_TYPE_UNSPECIFIED);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(Show(k->partition_key), R"("p")");
}

TEST(KeyConditionTest, SortKeyConditions) {
  struct Case {
    const char* text;
    Op op;
    const char* value;
    const char* value2;
  } cases[] = {
      {"pk = :s AND sk = :n", Op::kEq, "1", "<unset>"},
      {"pk = :s AND sk < :n", Op::kLt, "1", "<unset>"},
      {"pk = :s AND sk <= :n", Op::kLe, "1", "<unset>"},
      {"pk = :s AND sk > :n", Op::kGt, "1", "<unset>"},
      {"pk = :s AND sk >= :n", Op::kGe, "1", "<unset>"},
      {"sk > :n AND pk = :s", Op::kGt, "1", "<unset>"},
      {":s = pk and :n <= sk", Op::kGe, "1", "<unset>"},  // operands swapped: flipped
      {"pk = :s AND :n > sk", Op::kLt, "1", "<unset>"},
      {"pk = :s AND sk BETWEEN :n AND :n2", Op::kBetween, "1", "5"},
      {"(pk = :s) AND (sk = :n)", Op::kEq, "1", "<unset>"},
      {"((sk = :n) AND (pk = :s))", Op::kEq, "1", "<unset>"},
      {"pk = :s and sk between :n and :n2", Op::kBetween, "1", "5"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<KeyCondition> k = ParseKey(c.text);
    ASSERT_TRUE(k.ok()) << c.text << ": " << k.status();
    EXPECT_EQ(Show(k->partition_key), R"("p")") << c.text;
    EXPECT_EQ(k->sort_key.op, c.op) << c.text;
    EXPECT_EQ(Show(k->sort_key.value), c.value) << c.text;
    EXPECT_EQ(Show(k->sort_key.value2), c.value2) << c.text;
  }
  absl::StatusOr<KeyCondition> k = ParseKey("pk = :s AND begins_with(sk, :s2)", proto::S);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->sort_key.op, Op::kBeginsWith);
  EXPECT_EQ(Show(k->sort_key.value), R"("q")");
}

TEST(KeyConditionTest, Errors) {
  struct Case {
    const char* text;
    proto::ScalarType sort_type;
    const char* error;
  } cases[] = {
      {"pk = ", proto::N,
       R"(Invalid KeyConditionExpression: Syntax error; token: "<EOF>", near: "=")"},
      {"", proto::N, "Invalid KeyConditionExpression: The expression can not be empty;"},
      {"pk = :s OR sk = :n", proto::N, "Invalid operator used in KeyConditionExpression: OR"},
      {"NOT pk = :s", proto::N, "Invalid operator used in KeyConditionExpression: NOT"},
      {"pk IN (:s)", proto::N, "Invalid operator used in KeyConditionExpression: IN"},
      {"pk <> :s", proto::N, "Invalid operator used in KeyConditionExpression: <>"},
      {"attribute_exists(pk)", proto::N,
       "Invalid operator used in KeyConditionExpression: attribute_exists"},
      {"pk = :s AND contains(sk, :n)", proto::N,
       "Invalid operator used in KeyConditionExpression: contains"},
      {"pk = :s AND size(sk) = :n", proto::N,
       "KeyConditionExpressions cannot contain nested operations"},
      {"pk = :s AND sk = pk", proto::N,
       "Invalid condition in KeyConditionExpression: Multiple attribute names used in one "
       "condition"},
      {"pk = :s AND :n = :n2", proto::N,
       "Invalid condition in KeyConditionExpression: No key attribute specified"},
      {"pk.x = :s", proto::N,
       "KeyConditionExpressions cannot have conditions on nested attributes"},
      {"pk = :s AND pk = :s2", proto::N,
       "KeyConditionExpressions must only contain one condition per key"},
      {"pk = :s AND :n BETWEEN sk AND :n2", proto::N,
       "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key "
       "attribute as its first operand"},
      {"pk = :s AND begins_with(:s2, sk)", proto::S,
       "Invalid condition in KeyConditionExpression: begins_with operator must have the key "
       "attribute as its first operand"},
      {"pk = :s AND sk < :n AND attr < :n", proto::N, "Conditions can be of length 1 or 2 only"},
      {"((sk = :n) AND ((pk = :s)))", proto::N,
       "Invalid KeyConditionExpression: The expression has redundant parentheses;"},
      {"sk = :n", proto::N, "Query condition missed key schema element: pk"},
      {"attr = :s", proto::N, "Query condition missed key schema element: pk"},
      {"pk = :s AND attr = :n", proto::N, "Query condition missed key schema element: sk"},
      {"pk = :s AND sk = :n", proto::SCALAR_TYPE_UNSPECIFIED, "Query key condition not supported"},
      {"pk < :s", proto::N, "Query key condition not supported"},
      {"begins_with(pk, :s)", proto::N, "Query key condition not supported"},
      {"pk = :n", proto::N,
       "One or more parameter values were invalid: Condition parameter type does not match "
       "schema type"},
      {"pk = :s AND sk > :s2", proto::N,
       "One or more parameter values were invalid: Condition parameter type does not match "
       "schema type"},
      {"pk = :s AND sk BETWEEN :n AND :s2", proto::N,
       "Invalid KeyConditionExpression: The BETWEEN operator requires same data type for lower "
       "and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: "
       "AttributeValue: {S:q}"},
      {"pk = :s AND begins_with(sk, :n)", proto::N,
       "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
       "operator or function: begins_with, operand type: N"},
      {"pk = :s AND begins_with(sk, :s2)", proto::N,
       "One or more parameter values were invalid: Condition parameter type does not match "
       "schema type"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<KeyCondition> k = ParseKey(c.text, c.sort_type);
    EXPECT_EQ(k.ok() ? "OK" : std::string(k.status().message()), c.error) << c.text;
  }
}

}  // namespace
}  // namespace globaltable::daemon::expr
