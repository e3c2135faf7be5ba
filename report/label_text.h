#pragma once
// A rendered label set ({a="1",b="2"}) that series of several families hold at once: a monitor's
// probe_* series all carry the same labels, and the text is most of their memory. Any other
// immutable text many holders keep alike is held the same way (/results' shared TLS facts).
#include <cstdint>
#include <string_view>
#include <utility>

namespace prober::report {

// Shared and immutable, in one allocation (its count, its length, its characters) behind one
// pointer: a std::shared_ptr<const std::string> took two allocations and two pointers, ~100 bytes
// more per text and 16 more per map node keyed by one, for every monitor for as long as it runs.
// The count is not atomic: the registry that holds these is used from its loop's thread only.
class LabelText {
 public:
  LabelText() = default;
  explicit LabelText(std::string_view text);
  LabelText(const LabelText& other) noexcept;
  LabelText(LabelText&& other) noexcept : block_(other.block_) { other.block_ = nullptr; }
  LabelText& operator=(LabelText other) noexcept {
    std::swap(block_, other.block_);
    return *this;
  }
  ~LabelText();

  // The text; empty when none is held.
  std::string_view operator*() const;
  explicit operator bool() const { return block_ != nullptr; }
  // How many LabelTexts hold this text (0 when none is held).
  std::uint32_t use_count() const;

 private:
  struct Block;
  Block* block_ = nullptr;
};

// Orders LabelTexts by their text, and finds them by a string_view (no LabelText made to look).
struct LabelTextLess {
  using is_transparent = void;
  static std::string_view view(const LabelText& t) { return *t; }
  static std::string_view view(std::string_view t) { return t; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return view(a) < view(b);
  }
};

}  // namespace prober::report
