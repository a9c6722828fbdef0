// Parsing and validation of every expression kind: syntax errors with DynamoDB's exact messages,
// reserved words, undefined and unused names/values, and the semantic checks.
#include <string>

#include "daemon/expr/expressions.h"
#include "daemon/expr/test_util.h"
#include "gtest/gtest.h"

namespace globaltable::daemon::expr {
namespace {

using testing::L;
using testing::N;
using testing::NS;
using testing::S;
using testing::SS;

// Values every test may reference.
const ExpressionContext::ValueMap& Values() {
  static const auto* values = new ExpressionContext::ValueMap{
      {":v", S("x")},  {":w", S("y")},        {":s", S("text")},  {":n", N("1")},
      {":n2", N("2")}, {":l", L({S("e")})},   {":ss", SS({"a"})}, {":ns", NS({"1"})},
      {":t", S("SS")}, {":bad", S("STRING")}, {":hi", N("10")},   {":lo", N("1")},
  };
  return *values;
}

const ExpressionContext::NameMap& Names() {
  static const auto* names =
      new ExpressionContext::NameMap{{"#n", "status"}, {"#a", "a"}, {"#dot", "x.y"}};
  return *names;
}

std::string Message(const absl::Status& status) {
  return status.ok() ? "OK" : std::string(status.message());
}

std::string ConditionError(absl::string_view text,
                           ExpressionKind kind = ExpressionKind::kCondition) {
  ExpressionContext context(&Names(), &Values());
  return Message(Condition::Parse(text, kind, &context).status());
}

proto::TableSchema Schema() {
  proto::TableSchema schema;
  schema.set_name("t");
  schema.mutable_partition_key()->set_name("pk");
  schema.mutable_partition_key()->set_type(proto::S);
  schema.mutable_sort_key()->set_name("sk");
  schema.mutable_sort_key()->set_type(proto::N);
  return schema;
}

std::string UpdateError(absl::string_view text) {
  ExpressionContext context(&Names(), &Values());
  return Message(Update::Parse(text, Schema(), &context).status());
}

std::string ProjectionError(absl::string_view text) {
  ExpressionContext context(&Names(), &Values());
  return Message(Projection::Parse(text, &context).status());
}

TEST(ConditionParseTest, AcceptsDynamoDbSyntax) {
  for (const char* text : {
           "a = :v",
           "a.b[2].c <> :v",
           "#a < :n AND #n >= :n OR NOT c <= :n",
           "a BETWEEN :lo AND :hi",
           "a IN (:v, :w, :s)",
           "attribute_exists(a) and attribute_not_exists(#a.b)",
           "attribute_type(a, :t)",
           "begins_with(a, :s) OR contains(a, :s)",
           "size(a) > :n",
           "size(a.b[0]) BETWEEN :lo AND :hi",
           "(a = :v)",
           "((a <> :v) and b <> :v)",
           "(a = :v) OR (NOT (b = :w))",
           "(a) = :v",
           "NOT (a = :v AND b = :w)",
           "NOT NOT a = :v",
           "a = :v and b = :w",
           "  a=:v  ",
           "a[0][1] = :v",
           "A123_ = :v",
           "#dot = :v",
       }) {
    EXPECT_EQ(ConditionError(text), "OK") << text;
  }
}

TEST(ConditionParseTest, SyntaxErrorsNameTokenAndNeighbours) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"a = = :v", R"x(Syntax error; token: "=", near: "= = :v")x"},
      {"a == :v", R"x(Syntax error; token: "=", near: "== :v")x"},
      {"a = ", R"x(Syntax error; token: "<EOF>", near: "=")x"},
      {"a = :v AND", R"x(Syntax error; token: "<EOF>", near: "AND")x"},
      {"a != :v", R"x(Syntax error; token: "!", near: "a !=")x"},
      {"a IN :v", R"x(Syntax error; token: ":v", near: "IN :v")x"},
      {"a IN ()", R"x(Syntax error; token: ")", near: "()")x"},
      {"a BETWEEN :lo :hi", R"x(Syntax error; token: ":hi", near: ":lo :hi")x"},
      {"a = :v)", R"x(Syntax error; token: ")", near: ":v)")x"},
      {"(a = :v", R"x(Syntax error; token: "<EOF>", near: ":v")x"},
      {"a.b[x] = :v", R"x(Syntax error; token: "x", near: "[x]")x"},
      {"a[-1] = :v", R"x(Syntax error; token: "-", near: "[-1")x"},
      {"a", R"x(Syntax error; token: "<EOF>", near: "a")x"},
      {"a :v", R"x(Syntax error; token: ":v", near: "a :v")x"},
      {"_a = :v", R"x(Syntax error; token: "_", near: "_a")x"},
      {"1a = :v", R"x(Syntax error; token: "1", near: "1a")x"},
      {"a = :v b = :w", R"x(Syntax error; token: "b", near: ":v b =")x"},
      {"a.AND = :v", R"x(Syntax error; token: "AND", near: ".AND =")x"},
      {"# = :v", R"x(Syntax error; token: "#", near: "# =")x"},
      {"a = :", R"x(Syntax error; token: ":", near: "= :")x"},
      {"a = :v AND OR b = :v", R"x(Syntax error; token: "OR", near: "AND OR b")x"},
      {"begins_with(a, :s", R"x(Syntax error; token: "<EOF>", near: ":s")x"},
      {"begins_with()", R"x(Syntax error; token: ")", near: "()")x"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ConditionError(c.text), std::string("Invalid ConditionExpression: ") + c.error)
        << c.text;
  }
}

TEST(ConditionParseTest, EmptyExpression) {
  EXPECT_EQ(ConditionError(""), "Invalid ConditionExpression: The expression can not be empty;");
  EXPECT_EQ(ConditionError("  \t"),
            "Invalid ConditionExpression: The expression can not be empty;");
  EXPECT_EQ(ConditionError("", ExpressionKind::kFilter),
            "Invalid FilterExpression: The expression can not be empty;");
}

TEST(ConditionParseTest, SemanticErrors) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"status = :v", "Attribute name is a reserved keyword; reserved keyword: status"},
      {"a.Size = :v", "Attribute name is a reserved keyword; reserved keyword: Size"},
      {"#missing = :v",
       "An expression attribute name used in the document path is not defined; attribute name: "
       "#missing"},
      {"a = :missing",
       "An expression attribute value used in expression is not defined; attribute value: "
       ":missing"},
      {"foo(a)", "Invalid function name; function: foo"},
      {"Begins_With(a, :s)", "Invalid function name; function: Begins_With"},
      {"begins_with(a)",
       "Incorrect number of operands for operator or function; operator or function: "
       "begins_with, number of operands: 1"},
      {"attribute_exists(a, b)",
       "Incorrect number of operands for operator or function; operator or function: "
       "attribute_exists, number of operands: 2"},
      {"a = a",
       "The first operand must be distinct from the remaining operands for this operator or "
       "function; operator: =, first operand: [a]"},
      {"contains(a.b[1], a.b[1])",
       "The first operand must be distinct from the remaining operands for this operator or "
       "function; operator: contains, first operand: [a, b, [1]]"},
      {"size(a)",
       "The function is not allowed to be used this way in an expression; function: size"},
      {"attribute_exists(a) = :v",
       "The function is not allowed to be used this way in an expression; function: "
       "attribute_exists"},
      {"contains(begins_with(a, :s), :v)",
       "The function is not allowed to be used this way in an expression; function: "
       "begins_with"},
      {"if_not_exists(a, a) = :v",
       "The function is not allowed to be used this way in an expression; function: "
       "if_not_exists"},
      {"list_append(a, :v) = :v",
       "The function is not allowed to be used this way in an expression; function: "
       "list_append"},
      {"((a = :v))", "The expression has redundant parentheses;"},
      {"(((a = :v)) AND b = :v)", "The expression has redundant parentheses;"},
      {"((a)) = :v", "The expression has redundant parentheses;"},
      {"attribute_exists(:v)",
       "Operator or function requires a document path; operator or function: attribute_exists"},
      {"begins_with(a, :n)",
       "Incorrect operand type for operator or function; operator or function: begins_with, "
       "operand type: N"},
      {"size(:n) > :n",
       "Incorrect operand type for operator or function; operator or function: size, operand "
       "type: N"},
      {"attribute_type(a, :bad)",
       "Invalid attribute type name found; type: STRING, valid types: "
       "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}"},
      {"attribute_type(a, :n)",
       "Incorrect operand type for operator or function; operator or function: attribute_type, "
       "operand type: N"},
      {"a BETWEEN :hi AND :lo",
       "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
       "lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: "
       "{N:1}"},
      {"a BETWEEN :n AND :s",
       "The BETWEEN operator requires same data type for lower and upper bounds; lower bound "
       "operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:text}"},
      // Precedence among errors: an unknown function wins over an undefined value.
      {"foo(:missing)", "Invalid function name; function: foo"},
      // ... and a reserved word over an undefined name.
      {"#missing = :v AND status = :v",
       "Attribute name is a reserved keyword; reserved keyword: status"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ConditionError(c.text), std::string("Invalid ConditionExpression: ") + c.error)
        << c.text;
  }
}

TEST(ConditionParseTest, InAcceptsAtMostOneHundredOperands) {
  std::string text = "a IN (:v";
  for (int i = 1; i < 100; ++i) text += ", :v";
  EXPECT_EQ(ConditionError(text + ")"), "OK");
  EXPECT_EQ(ConditionError(text + ", :v)"),
            "Invalid ConditionExpression: The IN operator is provided with too many operands; "
            "number of operands: 101");
}

TEST(ConditionParseTest, DeepNestingIsASyntaxErrorNotACrash) {
  std::string deep(50, '(');
  deep += "a = :v";
  deep += std::string(50, ')');
  EXPECT_EQ(ConditionError(deep),
            "Invalid ConditionExpression: The expression has redundant "
            "parentheses;");
  // Parenthesized operands are first tried as conditions: the backtracking must stay cheap.
  std::string operands(150, '(');
  operands += "a";
  operands += std::string(150, ')');
  EXPECT_EQ(ConditionError(operands + " = :v AND " + operands + " = :w"),
            "Invalid ConditionExpression: The expression has redundant parentheses;");
  std::string hostile(4000, '(');
  EXPECT_NE(ConditionError(hostile).find("Syntax error; token: \"(\""), std::string::npos);
  std::string nots;
  for (int i = 0; i < 1000; ++i) nots += "NOT ";
  EXPECT_NE(ConditionError(nots + "a = :v").find("Syntax error; token: \"NOT\""),
            std::string::npos);
  std::string operand(4000, '(');
  EXPECT_NE(UpdateError("SET a = " + operand).find("Syntax error"), std::string::npos);
}

TEST(ConditionParseTest, NestingBoundIsExact) {
  // Each NOT is one level and the comparison's operands one more: 198 NOTs reach the parser's
  // bound of 200, 199 go past it.
  std::string nots;
  for (int i = 0; i < 198; ++i) nots += "NOT ";
  EXPECT_EQ(ConditionError(nots + "a = :v"), "OK");
  EXPECT_NE(ConditionError("NOT " + nots + "a = :v").find("Syntax error"), std::string::npos);
}

TEST(ConditionParseTest, SizeAndOperatorLimits) {
  std::string text = std::string(2000, 'a') + " = :v AND ";
  text += std::string(4096 - text.size() - 5, 'b') + " = :v";
  ASSERT_EQ(text.size(), 4096u);
  EXPECT_EQ(ConditionError(text), "OK");
  EXPECT_EQ(ConditionError(text + " "),
            "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; "
            "expression size: 4097");
  EXPECT_EQ(UpdateError("SET a = :v" + std::string(4090, ' ')),
            "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size; "
            "expression size: 4100");
  // 150 comparisons and 149 ANDs: 299 operators; one more function makes 301.
  std::string ops = "#a = :v";
  for (int i = 1; i < 150; ++i) ops += " AND #a = :v";
  EXPECT_EQ(ConditionError(ops), "OK");
  EXPECT_EQ(ConditionError(ops + " AND size(a) > :n"),
            "Invalid ConditionExpression: The expression contains too many operators; operator "
            "count: 302");
  EXPECT_EQ(ConditionError(ops + " OR attribute_exists(a)"),
            "Invalid ConditionExpression: The expression contains too many operators; operator "
            "count: 301");
}

TEST(ConditionParseTest, ReservedWordThroughNameIsFine) {
  EXPECT_EQ(ConditionError("#n = :v"), "OK");
  EXPECT_TRUE(IsReservedWord("status"));
  EXPECT_TRUE(IsReservedWord("STATUS"));
  EXPECT_TRUE(IsReservedWord("Data"));
  EXPECT_TRUE(IsReservedWord("name"));
  EXPECT_TRUE(IsReservedWord("size"));
  EXPECT_TRUE(IsReservedWord("abort"));
  EXPECT_TRUE(IsReservedWord("zone"));
  EXPECT_FALSE(IsReservedWord("pk"));
  EXPECT_FALSE(IsReservedWord("statuses"));
  EXPECT_FALSE(IsReservedWord(""));
}

TEST(ConditionParseTest, AttributesListsTopLevelNames) {
  ExpressionContext context(&Names(), &Values());
  absl::StatusOr<Condition> c = Condition::Parse("#a.b = :v AND size(z[1]) > :n OR contains(m, :s)",
                                                 ExpressionKind::kFilter, &context);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->attributes(), (std::vector<std::string>{"a", "m", "z"}));
}

TEST(ContextTest, UnusedNamesAndValues) {
  ExpressionContext::NameMap names{{"#a", "a"}, {"#b", "b"}, {"#c", "c"}};
  ExpressionContext::ValueMap values{{":x", N("1")}, {":y", N("2")}, {":z", N("3")}};
  ExpressionContext context(&names, &values);
  ASSERT_TRUE(Condition::Parse("#a = :x", ExpressionKind::kCondition, &context).ok());
  EXPECT_EQ(Message(context.CheckAllUsed()),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b, #c}");
  // Names and values are shared by all of a request's expressions.
  ASSERT_TRUE(Projection::Parse("#b, #c", &context).ok());
  EXPECT_EQ(Message(context.CheckAllUsed()),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:y, :z}");
  ASSERT_TRUE(Update::Parse("SET q = :y ADD r :z", Schema(), &context).ok());
  EXPECT_EQ(Message(context.CheckAllUsed()), "OK");
}

TEST(ContextTest, AbsentMapsAndMissingReferences) {
  ExpressionContext context(nullptr, nullptr);
  EXPECT_EQ(Message(context.CheckAllUsed()), "OK");
  EXPECT_EQ(Message(context.CheckMaps()), "OK");
  EXPECT_EQ(Message(Condition::Parse("a = :v", ExpressionKind::kCondition, &context).status()),
            "Invalid ConditionExpression: An expression attribute value used in expression is "
            "not defined; attribute value: :v");
  EXPECT_EQ(Message(Update::Parse("SET #x = :v", Schema(), &context).status()),
            "Invalid UpdateExpression: An expression attribute name used in the document path is "
            "not defined; attribute name: #x");
}

TEST(ContextTest, CheckMaps) {
  ExpressionContext::NameMap empty_names;
  ExpressionContext::ValueMap empty_values;
  EXPECT_EQ(Message(ExpressionContext(&empty_names, nullptr).CheckMaps()),
            "ExpressionAttributeNames must not be empty");
  EXPECT_EQ(Message(ExpressionContext(nullptr, &empty_values).CheckMaps()),
            "ExpressionAttributeValues must not be empty");
  ExpressionContext::NameMap bad_names{{"#ok", "a"}, {"n", "b"}};
  EXPECT_EQ(Message(ExpressionContext(&bad_names, nullptr).CheckMaps()),
            "ExpressionAttributeNames contains invalid key: Syntax error; key: \"n\"");
  ExpressionContext::ValueMap bad_values{{":a-b", N("1")}};
  EXPECT_EQ(Message(ExpressionContext(nullptr, &bad_values).CheckMaps()),
            "ExpressionAttributeValues contains invalid key: Syntax error; key: \":a-b\"");
  ExpressionContext::NameMap good_names{{"#_1", "a"}};
  ExpressionContext::ValueMap good_values{{":1a", N("1")}};
  EXPECT_EQ(Message(ExpressionContext(&good_names, &good_values).CheckMaps()), "OK");
}

TEST(UpdateParseTest, AcceptsDynamoDbSyntax) {
  for (const char* text : {
           "SET a = :v",
           "set a = :v, b = a, c = a.b[1]",
           "SET a = :n + :n2, b = c - :n",
           "SET a = if_not_exists(a, :n) + :n",
           "SET a = list_append(a, :l), b = list_append(:l, if_not_exists(b, :l))",
           "SET a = (:n + b)",
           "SET a = if_not_exists(b, if_not_exists(c, :n))",
           "REMOVE a, b.c, d[3]",
           "ADD a :n, b :ss",
           "DELETE a :ss",
           "SET a = :v REMOVE b ADD c :n DELETE d :ns",
           "remove a set b = :v",
           "SET #a = :v, #n = :w",
           "SET a[1] = :v, a[2] = :w, b.c = :v, b.d = :w",
       }) {
    EXPECT_EQ(UpdateError(text), "OK") << text;
  }
}

TEST(UpdateParseTest, Errors) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"", "The expression can not be empty;"},
      {"SET _123 = :v", R"x(Syntax error; token: "_", near: "SET _123")x"},
      {"HELLO b = :v", R"x(Syntax error; token: "HELLO", near: "HELLO b")x"},
      {"SET a = :n + :n2 + :n", R"x(Syntax error; token: "+", near: ":n2 + :n")x"},
      {"SET a = if_not_exists(a, :n + :n)", R"x(Syntax error; token: "+", near: ":n + :n")x"},
      {"SET :a = :v", R"x(Syntax error; token: ":a", near: "SET :a =")x"},
      {"SET a[:n] = :v", R"x(Syntax error; token: ":n", near: "[:n]")x"},
      {"SET a[#a] = :v", R"x(Syntax error; token: "#a", near: "[#a]")x"},
      {"SET hi-there = :v", R"x(Syntax error; token: "-", near: "hi-there")x"},
      {"SET a = :v,", R"x(Syntax error; token: "<EOF>", near: ",")x"},
      {"REMOVE", R"x(Syntax error; token: "<EOF>", near: "REMOVE")x"},
      {"ADD a b", R"x(Syntax error; token: "b", near: "a b")x"},
      {"SET a :v", R"x(Syntax error; token: ":v", near: "a :v")x"},
      {"SET remove = :v", R"x(Syntax error; token: "remove", near: "SET remove =")x"},
      {"SET a = :v SET b = :w",
       R"x(The "SET" section can only be used once in an update expression;)x"},
      {"SET a = :v REMOVE b set c = :w",
       R"x(The "SET" section can only be used once in an update expression;)x"},
      {"SET status = :v", "Attribute name is a reserved keyword; reserved keyword: status"},
      {"SET a = f(b)", "Invalid function name; function: f"},
      {"SET a = size(b)",
       "The function is not allowed to be used this way in an expression; function: size"},
      {"SET a = if_not_exists(b, attribute_exists(c))",
       "The function is not allowed to be used this way in an expression; function: "
       "attribute_exists"},
      {"SET a = LIST_APPEND(:l, :l)", "Invalid function name; function: LIST_APPEND"},
      {"SET a = :v, a = :w",
       "Two document paths overlap with each other; must remove or rewrite one of these paths; "
       "path one: [a], path two: [a]"},
      {"SET #a = :v REMOVE a",
       "Two document paths overlap with each other; must remove or rewrite one of these paths; "
       "path one: [a], path two: [a]"},
      {"SET a.b = :v, a.b.c[2] = :w",
       "Two document paths overlap with each other; must remove or rewrite one of these paths; "
       "path one: [a, b], path two: [a, b, c, [2]]"},
      {"SET a[1][1] = :v, a[1] = :w",
       "Two document paths overlap with each other; must remove or rewrite one of these paths; "
       "path one: [a, [1], [1]], path two: [a, [1]]"},
      {"SET a.b = :v, a[1] = :w",
       "Two document paths conflict with each other; must remove or rewrite one of these paths; "
       "path one: [a, b], path two: [a, [1]]"},
      {"ADD a :s",
       "Incorrect operand type for operator or function; operator: ADD, operand type: STRING"},
      {"ADD a :l",
       "Incorrect operand type for operator or function; operator: ADD, operand type: LIST"},
      {"DELETE a :n",
       "Incorrect operand type for operator or function; operator: DELETE, operand type: "
       "NUMBER"},
      {"SET a = list_append(:l)",
       "Incorrect number of operands for operator or function; operator or function: "
       "list_append, number of operands: 1"},
      {"SET a = list_append(:l, :s)",
       "Incorrect operand type for operator or function; operator or function: list_append, "
       "operand type: S"},
      {"SET a = :s + :n",
       "Incorrect operand type for operator or function; operator or function: +, operand "
       "type: S"},
      {"SET a = b - :l",
       "Incorrect operand type for operator or function; operator or function: -, operand "
       "type: L"},
      {"SET a = if_not_exists(:v, :w)",
       "Operator or function requires a document path; operator or function: if_not_exists"},
      {"SET a = list_append(list_append(:l, :l), :l)",
       "The function is not allowed to be used this way in an expression; function: "
       "list_append"},
      {"SET a = :missing",
       "An expression attribute value used in expression is not defined; attribute value: "
       ":missing"},
      // Names before values, whatever the order in the text.
      {"SET a = :missing, #missing = :v",
       "An expression attribute name used in the document path is not defined; attribute "
       "name: #missing"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(UpdateError(c.text), std::string("Invalid UpdateExpression: ") + c.error) << c.text;
  }
}

TEST(UpdateParseTest, KeyAttributesCannotBeUpdated) {
  for (const char* text : {"SET pk = :v", "REMOVE sk", "ADD sk :n", "DELETE pk :ss",
                           "SET a = :v, pk = :w", "SET pk.x = :v"}) {
    const std::string attribute =
        absl::string_view(text).find("pk") != absl::string_view::npos ? "pk" : "sk";
    EXPECT_EQ(UpdateError(text),
              "One or more parameter values were invalid: Cannot update attribute " + attribute +
                  ". This attribute is part of the key")
        << text;
  }
}

TEST(UpdateParseTest, UpdatedAttributes) {
  ExpressionContext context(&Names(), &Values());
  absl::StatusOr<Update> u =
      Update::Parse("SET z = :v, a.b = :w REMOVE a.c, m[1] ADD #n :n", Schema(), &context);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->updated_attributes(), (std::vector<std::string>{"a", "m", "status", "z"}));
}

TEST(ProjectionParseTest, AcceptsAndRejects) {
  EXPECT_EQ(ProjectionError("a, b.c, d[1], #n, e[0][2].f"), "OK");
  EXPECT_EQ(ProjectionError(""), "Invalid ProjectionExpression: The expression can not be empty;");
  EXPECT_EQ(ProjectionError("a,"),
            R"x(Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ",")x");
  EXPECT_EQ(ProjectionError("a b"),
            R"x(Invalid ProjectionExpression: Syntax error; token: "b", near: "a b")x");
  EXPECT_EQ(ProjectionError("a, :v"),
            R"x(Invalid ProjectionExpression: Syntax error; token: ":v", near: ", :v")x");
  EXPECT_EQ(ProjectionError("a, status"),
            "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved "
            "keyword: status");
  EXPECT_EQ(ProjectionError("#nope"),
            "Invalid ProjectionExpression: An expression attribute name used in the document path "
            "is not defined; attribute name: #nope");
  EXPECT_EQ(ProjectionError("a.b, a"),
            "Invalid ProjectionExpression: Two document paths overlap with each other; must "
            "remove or rewrite one of these paths; path one: [a, b], path two: [a]");
  EXPECT_EQ(ProjectionError("a.b, a[0]"),
            "Invalid ProjectionExpression: Two document paths conflict with each other; must "
            "remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]");
}

TEST(ProjectionParseTest, PathLimits) {
  std::string path = "a";
  for (int i = 0; i < 31; ++i) path += ".b";
  EXPECT_EQ(ProjectionError(path), "OK");  // 32 levels
  EXPECT_EQ(ProjectionError(path + "[0]"),
            "Invalid ProjectionExpression: The document path has too many nesting levels; "
            "nesting levels: 33");
  EXPECT_EQ(UpdateError("SET " + path + ".c = :v"),
            "Invalid UpdateExpression: The document path has too many nesting levels; nesting "
            "levels: 33");
  EXPECT_EQ(ProjectionError("a[2147483647]"), "OK");
  EXPECT_EQ(ProjectionError("a[99999999999999]"),
            "Invalid ProjectionExpression: List index is not within the allowable range; index: "
            "[99999999999999]");
  EXPECT_EQ(ConditionError("a[2147483648] = :v"),
            "Invalid ConditionExpression: List index is not within the allowable range; index: "
            "[2147483648]");
  EXPECT_EQ(ProjectionError("a[]"),
            R"x(Invalid ProjectionExpression: Syntax error; token: "]", near: "[]")x");
}

TEST(DocumentPathTest, ToString) {
  ExpressionContext context(&Names(), &Values());
  absl::StatusOr<Projection> p = Projection::Parse("a.b[2].c, #dot[0]", &context);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->paths().size(), 2u);
  EXPECT_EQ(p->paths()[0].ToString(), "a.b[2].c");
  EXPECT_EQ(p->paths()[1].ToString(), "x.y[0]");
}

}  // namespace
}  // namespace globaltable::daemon::expr
