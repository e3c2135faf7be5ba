#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "report/label_text.h"

using prober::report::LabelText;

TEST_CASE("a label text holds its characters, is shared by copies and freed with the last") {
  LabelText none;
  CHECK_FALSE(none);
  CHECK(*none == "");
  CHECK(none.use_count() == 0);

  LabelText empty{std::string_view()};  // an empty label set is still a text
  CHECK(empty);
  CHECK(*empty == "");

  std::string odd = "{a=\"x\\\"y\"}";
  odd.push_back('\0');  // every byte, not up to the first NUL
  odd += std::string(100000, 'z');
  LabelText text(odd);
  CHECK(*text == odd);
  CHECK(text.use_count() == 1);
  odd[0] = '!';  // a copy of the characters, not a view of them
  CHECK((*text)[0] == '{');

  {
    LabelText copy = text;
    std::vector<LabelText> many(10, text);
    CHECK(text.use_count() == 12);
    CHECK((*copy).data() == (*text).data());  // one text, not copies of it
    LabelText moved = std::move(copy);
    CHECK_FALSE(copy);  // NOLINT(bugprone-use-after-move): a moved-from text holds nothing
    CHECK(text.use_count() == 12);
    many.clear();
    CHECK(text.use_count() == 2);
  }
  CHECK(text.use_count() == 1);

  LabelText other("{b=\"2\"}");
  LabelText keep = other;
  other = text;  // lets go of its old text, holds the new one
  CHECK(keep.use_count() == 1);
  CHECK(text.use_count() == 2);
  CHECK(*other == *text);
  other = std::move(other);  // NOLINT: assigned to itself, still whole
  CHECK(*other == *text);
  other = LabelText();
  CHECK(text.use_count() == 1);
}
