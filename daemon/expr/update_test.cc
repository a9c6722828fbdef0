// Application of UpdateExpression: SET (with + and -, if_not_exists, list_append), REMOVE, ADD
// and DELETE on top-level and nested paths, DynamoDB's list index rules, canonical sets, the
// errors that leave the item unchanged, and UPDATED_OLD / UPDATED_NEW projections.
#include <string>

#include "daemon/expr/expressions.h"
#include "daemon/expr/test_util.h"
#include "gtest/gtest.h"

namespace globaltable::daemon::expr {
namespace {

using testing::L;
using testing::M;
using testing::N;
using testing::NS;
using testing::S;
using testing::Show;
using testing::SS;

const ExpressionContext::ValueMap& Values() {
  static const auto* values = new ExpressionContext::ValueMap{
      {":v", S("v")},
      {":w", S("w")},
      {":zero", N("0")},
      {":n1", N("1")},
      {":n5", N("5")},
      {":n7", N("7")},
      {":n17", N("17")},
      {":tenth", N("0.1")},
      {":fifth", N("0.2")},
      {":big", N("99999999999999999999999999999999999999")},
      {":l", L({S("x"), S("y")})},
      {":empty", L({})},
      {":ss", SS({"b", "c"})},
      {":ss_c", SS({"c"})},
      {":ss_z", SS({"z"})},
      {":ns", NS({"-5", "2"})},
      {":a1", S("a1")},
      {":a2", S("a2")},
      {":a3", S("a3")},
      {":a4", S("a4")},
  };
  return *values;
}

const ExpressionContext::NameMap& Names() {
  static const auto* names = new ExpressionContext::NameMap{{"#name", "x"}, {"#st", "status"}};
  return *names;
}

proto::TableSchema Schema() {
  proto::TableSchema schema;
  schema.mutable_partition_key()->set_name("pk");
  schema.mutable_partition_key()->set_type(proto::S);
  return schema;
}

Update MustParse(absl::string_view text) {
  ExpressionContext context(&Names(), &Values());
  absl::StatusOr<Update> update = Update::Parse(text, Schema(), &context);
  EXPECT_TRUE(update.ok()) << text << ": " << update.status();
  return update.ok() ? *std::move(update) : Update();
}

// Applies `text` to `item`; returns the new item as text, or the error message. On error the
// item must be unchanged.
std::string Apply(const proto::Item& item, absl::string_view text) {
  Update update = MustParse(text);
  proto::Item copy = item;
  absl::Status status = update.Apply(&copy);
  if (!status.ok()) {
    EXPECT_EQ(Show(copy), Show(item)) << "item changed by failed update: " << text;
    return std::string(status.message());
  }
  return Show(copy);
}

constexpr absl::string_view kMissing =
    "The provided expression refers to an attribute that does not exist in the item";
constexpr absl::string_view kInvalidPath =
    "The document path provided in the update expression is invalid for update";
constexpr absl::string_view kWrongType =
    "An operand in the update expression has an incorrect data type";

TEST(UpdateApplyTest, SetTopLevel) {
  const proto::Item key = testing::Item({{"pk", S("k")}});
  EXPECT_EQ(Apply(key, "SET a = :v"), R"({a: "v", pk: "k"})");
  EXPECT_EQ(Apply(key, "SET z = :v, a = :n1"), R"({a: 1, pk: "k", z: "v"})");
  EXPECT_EQ(Apply(key, "SET #st = :v"), R"({pk: "k", status: "v"})");
  EXPECT_EQ(Apply(key, "SET a = b"), kMissing);
  const proto::Item item = testing::Item({{"pk", S("k")}, {"a", N("1")}, {"b", N("2")}});
  EXPECT_EQ(Apply(item, "SET a = :v"), R"({a: "v", b: 2, pk: "k"})");
  // Every operand reads the item as it was before the update.
  EXPECT_EQ(Apply(item, "SET a = b, b = a"), R"({a: 2, b: 1, pk: "k"})");
  EXPECT_EQ(Apply(item, "REMOVE a SET c = a"), R"({b: 2, c: 1, pk: "k"})");
  EXPECT_EQ(Apply(item, "SET c = b REMOVE b"), R"({a: 1, c: 2, pk: "k"})");
}

TEST(UpdateApplyTest, Arithmetic) {
  const proto::Item item =
      testing::Item({{"a", N("1")}, {"s", S("x")}, {"d", N("0.1")}, {"big", N("1")}});
  EXPECT_EQ(Apply(item, "SET a = a + :n5"), R"({a: 6, big: 1, d: 0.1, s: "x"})");
  EXPECT_EQ(Apply(item, "SET a = :n5 - a"), R"({a: 4, big: 1, d: 0.1, s: "x"})");
  EXPECT_EQ(Apply(item, "SET a = a - :n5"), R"({a: -4, big: 1, d: 0.1, s: "x"})");
  EXPECT_EQ(Apply(item, "SET c = a + a"), R"({a: 1, big: 1, c: 2, d: 0.1, s: "x"})");
  EXPECT_EQ(Apply(item, "SET d = d + :fifth"), R"({a: 1, big: 1, d: 0.3, s: "x"})");  // exact
  EXPECT_EQ(Apply(item, "SET a = s + :n1"), kWrongType);
  EXPECT_EQ(Apply(item, "SET a = b + :n1"), kMissing);
  EXPECT_FALSE(Apply(item, "SET big = :big + :big").rfind("{", 0) == 0);  // overflow is an error
  EXPECT_EQ(Apply(item, "SET a = if_not_exists(b, :zero) + :n5"),
            R"({a: 5, big: 1, d: 0.1, s: "x"})");
  EXPECT_EQ(Apply(item, "SET a = if_not_exists(a, :zero) + :n5"),
            R"({a: 6, big: 1, d: 0.1, s: "x"})");
}

TEST(UpdateApplyTest, IfNotExistsAndListAppend) {
  const proto::Item item = testing::Item({{"a", N("2")}, {"l", L({S("a")})}, {"s", S("x")}});
  EXPECT_EQ(Apply(item, "SET a = if_not_exists(a, :n1)"), R"({a: 2, l: ["a"], s: "x"})");
  EXPECT_EQ(Apply(item, "SET b = if_not_exists(c, :n1)"), R"({a: 2, b: 1, l: ["a"], s: "x"})");
  EXPECT_EQ(Apply(item, "SET b = if_not_exists(a, :n1)"), R"({a: 2, b: 2, l: ["a"], s: "x"})");
  EXPECT_EQ(Apply(item, "SET l = list_append(l, :l)"), R"({a: 2, l: ["a", "x", "y"], s: "x"})");
  EXPECT_EQ(Apply(item, "SET l = list_append(:l, l)"), R"({a: 2, l: ["x", "y", "a"], s: "x"})");
  EXPECT_EQ(Apply(item, "SET n = list_append(if_not_exists(n, :empty), :l)"),
            R"({a: 2, l: ["a"], n: ["x", "y"], s: "x"})");
  EXPECT_EQ(Apply(item, "SET l = list_append(l, s)"), kWrongType);
  EXPECT_EQ(Apply(item, "SET l = list_append(nope, :l)"), kMissing);
}

TEST(UpdateApplyTest, NestedSet) {
  const proto::Item item = testing::Item(
      {{"a", M({{"b", N("3")},
                {"c", L({S("hi"), M({{"x", M({{"y", L({N("3"), N("5"), N("7")})}})}})})}})},
       {"s", S("str")},
       {"l", L({S("one"), S("two"), S("three")})}});
  EXPECT_EQ(
      Apply(item, "SET a.c[1].#name.y[1] = :n17"),
      R"({a: {b: 3, c: ["hi", {x: {y: [3, 17, 7]}}]}, l: ["one", "two", "three"], s: "str"})");
  EXPECT_EQ(
      Apply(item, "SET a.z = a.c[1].x.y[2]"),
      R"({a: {b: 3, c: ["hi", {x: {y: [3, 5, 7]}}], z: 7}, l: ["one", "two", "three"], s: "str"})");
  // New map entries keep the map sorted.
  EXPECT_EQ(
      Apply(item, "SET a.ba = :v, a.a = :w"),
      R"({a: {a: "w", b: 3, ba: "v", c: ["hi", {x: {y: [3, 5, 7]}}]}, l: ["one", "two", "three"], s: "str"})");
  EXPECT_EQ(Apply(item, "SET a.c = :n7"),
            R"({a: {b: 3, c: 7}, l: ["one", "two", "three"], s: "str"})");
  EXPECT_EQ(Apply(item, "SET l[1] = :v"),
            R"({a: {b: 3, c: ["hi", {x: {y: [3, 5, 7]}}]}, l: ["one", "v", "three"], s: "str"})");
  // Past the end DynamoDB appends, several appends in index order.
  EXPECT_EQ(
      Apply(item, "SET l[7] = :v"),
      R"({a: {b: 3, c: ["hi", {x: {y: [3, 5, 7]}}]}, l: ["one", "two", "three", "v"], s: "str"})");
  EXPECT_EQ(
      Apply(item, "SET l[84] = :a1, l[37] = :a2, l[17] = :a3, l[50] = :a4"),
      R"({a: {b: 3, c: ["hi", {x: {y: [3, 5, 7]}}]}, l: ["one", "two", "three", "a3", "a2", "a4", "a1"], s: "str"})");
  for (const char* bad : {"SET s.c = :v", "SET l.c = :v", "SET nope.c = :v", "SET s[0] = :v",
                          "SET a[0] = :v", "SET nope[0] = :v", "SET a.c[5].x = :v",
                          "SET a.b.c = :v", "ADD a.q.r :n1", "DELETE nope.x :ss"}) {
    EXPECT_EQ(Apply(item, bad), kInvalidPath) << bad;
  }
}

TEST(UpdateApplyTest, Remove) {
  const proto::Item item =
      testing::Item({{"a", M({{"b", N("1")}, {"c", L({N("1"), N("2"), N("3")})}})},
                     {"one", L({N("1")})},
                     {"s", S("x")},
                     {"single", M({{"k", N("1")}})}});
  EXPECT_EQ(Apply(item, "REMOVE s"), R"({a: {b: 1, c: [1, 2, 3]}, one: [1], single: {k: 1}})");
  // Missing leaves are ignored: attribute, map entry, list element past the end.
  const std::string unchanged = Show(item);
  EXPECT_EQ(Apply(item, "REMOVE nope"), unchanged);
  EXPECT_EQ(Apply(item, "REMOVE a.zz"), unchanged);
  EXPECT_EQ(Apply(item, "REMOVE a.c[17]"), unchanged);
  // Empty maps and lists stay.
  EXPECT_EQ(Apply(item, "REMOVE single.k, one[0]"),
            R"({a: {b: 1, c: [1, 2, 3]}, one: [], s: "x", single: {}})");
  // Indexes refer to the list before the update.
  EXPECT_EQ(Apply(item, "REMOVE a.c[0], a.c[2]"),
            R"({a: {b: 1, c: [2]}, one: [1], s: "x", single: {k: 1}})");
  EXPECT_EQ(Apply(item, "REMOVE a.c[2], a.c[0], a.b"),
            R"({a: {c: [2]}, one: [1], s: "x", single: {k: 1}})");
  // Parents that are missing or not containers are errors.
  for (const char* bad : {"REMOVE s.c", "REMOVE nope.c", "REMOVE s[0]", "REMOVE nope[0]",
                          "REMOVE a[0]", "REMOVE one.x"}) {
    EXPECT_EQ(Apply(item, bad), kInvalidPath) << bad;
  }
}

TEST(UpdateApplyTest, RemoveNestedPathOfMissingItemIsIgnored) {
  proto::Item key = testing::Item({{"pk", S("k")}});
  Update update = MustParse("REMOVE x.y, z[0], w");
  EXPECT_EQ(update.Apply(&key, /*item_exists=*/false), absl::OkStatus());
  EXPECT_EQ(Show(key), R"({pk: "k"})");
  EXPECT_EQ(std::string(update.Apply(&key, /*item_exists=*/true).message()), kInvalidPath);
  // SET still needs the parents.
  EXPECT_EQ(std::string(MustParse("SET x.y = :v").Apply(&key, false).message()), kInvalidPath);
}

TEST(UpdateApplyTest, RemoveAndSetUseOriginalIndexes) {
  const proto::Item item =
      testing::Item({{"a", L({N("2"), N("3"), N("4"), N("5"), N("6"), N("7")})}});
  EXPECT_EQ(Apply(item, "REMOVE a[1] SET a[3] = :n17"), "{a: [2, 4, 17, 6, 7]}");
  EXPECT_EQ(Apply(item, "SET a[3] = :n17 REMOVE a[1]"), "{a: [2, 4, 17, 6, 7]}");
  EXPECT_EQ(Apply(item, "REMOVE a[1], a[2]"), "{a: [2, 5, 6, 7]}");
  EXPECT_EQ(Apply(item, "REMOVE a[0] SET a[9] = :n1"), "{a: [3, 4, 5, 6, 7, 1]}");
  // a[6] does not exist before the update, so REMOVE ignores it even though SET appended.
  EXPECT_EQ(Apply(item, "SET a[8] = :n1 REMOVE a[6]"), "{a: [2, 3, 4, 5, 6, 7, 1]}");
}

TEST(UpdateApplyTest, AddNumbersAndSets) {
  const proto::Item item = testing::Item({{"n", N("3")},
                                          {"s", S("x")},
                                          {"ss", SS({"a", "c"})},
                                          {"ns", NS({"1", "10"})},
                                          {"m", M({{"cnt", N("1")}})},
                                          {"l", L({N("1")})}});
  const std::string rest = R"(l: [1], m: {cnt: 1})";
  EXPECT_EQ(Apply(item, "ADD n :n5"),
            "{" + rest + R"(, n: 8, ns: NS[1,10], s: "x", ss: SS["a","c"]})");
  EXPECT_EQ(Apply(item, "ADD z :n5"),
            "{" + rest + R"(, n: 3, ns: NS[1,10], s: "x", ss: SS["a","c"], z: 5})");
  EXPECT_EQ(Apply(item, "ADD m.cnt :n1"),
            R"({l: [1], m: {cnt: 2}, n: 3, ns: NS[1,10], s: "x", ss: SS["a","c"]})");
  EXPECT_EQ(Apply(item, "ADD m.fresh :n1"),
            R"({l: [1], m: {cnt: 1, fresh: 1}, n: 3, ns: NS[1,10], s: "x", ss: SS["a","c"]})");
  // Sets stay canonical: sorted, no duplicates; numbers numerically.
  EXPECT_EQ(Apply(item, "ADD ss :ss"),
            "{" + rest + R"(, n: 3, ns: NS[1,10], s: "x", ss: SS["a","b","c"]})");
  EXPECT_EQ(Apply(item, "ADD ns :ns"),
            "{" + rest + R"(, n: 3, ns: NS[-5,1,2,10], s: "x", ss: SS["a","c"]})");
  EXPECT_EQ(Apply(item, "ADD z :ss"),
            "{" + rest + R"(, n: 3, ns: NS[1,10], s: "x", ss: SS["a","c"], z: SS["b","c"]})");
  for (const char* bad : {"ADD s :n1", "ADD ss :ns", "ADD n :ss", "ADD l :ss", "ADD ns :n1"}) {
    EXPECT_EQ(Apply(item, bad), kWrongType) << bad;
  }
}

TEST(UpdateApplyTest, DeleteFromSets) {
  const proto::Item item =
      testing::Item({{"ss", SS({"a", "b", "c"})}, {"s", S("x")}, {"m", M({{"tags", SS({"c"})}})}});
  EXPECT_EQ(Apply(item, "DELETE ss :ss"), R"({m: {tags: SS["c"]}, s: "x", ss: SS["a"]})");
  EXPECT_EQ(Apply(item, "DELETE ss :ss_z"), Show(item));  // absent elements: no change
  EXPECT_EQ(Apply(item, "DELETE nope :ss"), Show(item));  // absent attribute: no change
  // Deleting the last element removes the attribute (DynamoDB has no empty sets).
  EXPECT_EQ(Apply(item, "DELETE m.tags :ss_c"), R"({m: {}, s: "x", ss: SS["a","b","c"]})");
  const proto::Item last = testing::Item({{"ss", SS({"c"})}, {"s", S("x")}});
  EXPECT_EQ(Apply(last, "DELETE ss :ss_c"), R"({s: "x"})");
  EXPECT_EQ(Apply(item, "DELETE ss :ns"), kWrongType);
  EXPECT_EQ(Apply(item, "DELETE s :ss"), kWrongType);
}

TEST(UpdateApplyTest, FailedUpdateChangesNothing) {
  const proto::Item item = testing::Item({{"a", N("1")}, {"l", L({N("1")})}});
  // The first actions would succeed; the last fails: nothing may be applied.
  EXPECT_EQ(Apply(item, "SET b = :v, a = a + :n1 REMOVE l[0] ADD c :n1, z.y :n1"), kInvalidPath);
  EXPECT_EQ(Apply(item, "SET b = :v, c = nope"), kMissing);
}

TEST(UpdateApplyTest, UpdatedProjections) {
  const proto::Item old = testing::Item(
      {{"a", M({{"b", S("dog")}, {"c", L({N("1"), N("2"), N("3")})}})}, {"d", S("cat")}});
  Update update = MustParse("SET a.c[1] = :n7, a.b = :v");
  proto::Item next = old;
  ASSERT_TRUE(update.Apply(&next).ok());
  EXPECT_EQ(Show(update.ProjectUpdated(old)), R"({a: {b: "dog", c: [2]}})");
  EXPECT_EQ(Show(update.ProjectUpdated(next)), R"({a: {b: "v", c: [7]}})");
  EXPECT_EQ(update.updated_attributes(), std::vector<std::string>{"a"});

  Update remove = MustParse("REMOVE a.c[1], a.c[3]");
  EXPECT_EQ(Show(remove.ProjectUpdated(old)), "{a: {c: [2]}}");
  // As in DynamoDB, UPDATED_NEW reads the updated paths in the new item: after REMOVE a.c[1]
  // that is the element shifted into position 1, and SET past the end of a list shows nothing.
  next = old;
  ASSERT_TRUE(MustParse("REMOVE a.c[1]").Apply(&next).ok());
  EXPECT_EQ(Show(MustParse("REMOVE a.c[1]").ProjectUpdated(next)), "{a: {c: [3]}}");
  Update append = MustParse("SET a.c[100] = :n7");
  next = old;
  ASSERT_TRUE(append.Apply(&next).ok());
  EXPECT_EQ(Show(append.ProjectUpdated(next)), "{}");
  Update add_new = MustParse("SET a.x1 = :n7, e = :v");
  EXPECT_EQ(Show(add_new.ProjectUpdated(old)), "{}");
  next = old;
  ASSERT_TRUE(add_new.Apply(&next).ok());
  EXPECT_EQ(Show(add_new.ProjectUpdated(next)), R"({a: {x1: 7}, e: "v"})");
}

}  // namespace
}  // namespace globaltable::daemon::expr
