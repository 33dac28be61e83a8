// Tests of strict YAML reading: every error names the source, line and key.
#include "common/yaml_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ztgate {
namespace {

using ::testing::HasSubstr;

YamlMap RootOf(std::string_view text) {
  return *YamlMap::From(*ParseYaml(text, "test.yaml"), "test.yaml", "");
}

TEST(YamlReaderTest, UnknownKeyNamesKeyAndLine) {
  YamlMap root = RootOf("size: 10\ncolour: blue\n");
  ASSERT_TRUE(root.Integer("size", 0, 100).ok());
  absl::Status status = root.Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("test.yaml:2: colour: unknown key"));
}

TEST(YamlReaderTest, IntegerRangeOnBothSides) {
  YamlMap root = RootOf("low: 9\nok: 10\nhigh: 21\n");
  EXPECT_FALSE(root.Integer("low", 10, 20).ok());
  EXPECT_EQ(**root.Integer("ok", 10, 20), 10);
  absl::StatusOr<std::optional<int64_t>> high = root.Integer("high", 10, 20);
  ASSERT_FALSE(high.ok());
  EXPECT_THAT(high.status().message(), HasSubstr("test.yaml:3: high: value 21 is out of range"));
}

TEST(YamlReaderTest, NestedPathInError) {
  YamlMap root = RootOf("table:\n  size: lots\n");
  absl::StatusOr<std::optional<YamlMap>> table = root.Map("table");
  ASSERT_TRUE(table.ok());
  absl::StatusOr<std::optional<int64_t>> size = (*table)->Integer("size", 0, 10);
  ASSERT_FALSE(size.ok());
  EXPECT_THAT(size.status().message(),
              HasSubstr("test.yaml:2: table.size: expected an integer, got \"lots\""));
}

TEST(YamlReaderTest, MissingKeyIsEmptyOptional) {
  YamlMap root = RootOf("a: 1\n");
  absl::StatusOr<std::optional<std::string>> value = root.String("b");
  ASSERT_TRUE(value.ok());
  EXPECT_FALSE(value->has_value());
}

TEST(YamlReaderTest, InvalidYamlNamesLine) {
  absl::StatusOr<YAML::Node> node = ParseYaml("a: [1, 2\nb: 3\n", "broken.yaml");
  ASSERT_FALSE(node.ok());
  EXPECT_THAT(node.status().message(), HasSubstr("broken.yaml:"));
}

TEST(YamlReaderTest, DurationsNeedUnits) {
  EXPECT_EQ(*ParseConfigDuration("100ms"), absl::Milliseconds(100));
  EXPECT_EQ(*ParseConfigDuration("30s"), absl::Seconds(30));
  EXPECT_EQ(*ParseConfigDuration("5m"), absl::Minutes(5));
  EXPECT_EQ(*ParseConfigDuration("250us"), absl::Microseconds(250));
  EXPECT_EQ(*ParseConfigDuration("1d"), absl::Hours(24));
  EXPECT_FALSE(ParseConfigDuration("30").ok());
  EXPECT_FALSE(ParseConfigDuration("s").ok());
  EXPECT_FALSE(ParseConfigDuration("-1s").ok());
  EXPECT_FALSE(ParseConfigDuration("1.5s").ok());
}

TEST(YamlReaderTest, BoolAcceptsOnlyTrueFalse) {
  YamlMap root = RootOf("a: true\nb: yes\n");
  EXPECT_TRUE(**root.Bool("a"));
  EXPECT_FALSE(root.Bool("b").ok());
}

}  // namespace
}  // namespace ztgate
