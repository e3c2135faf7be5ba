#include "report/label_text.h"

#include <limits>
#include <new>
#include <stdexcept>
#include <string>

namespace prober::report {

struct LabelText::Block {
  std::uint32_t count;
  std::uint32_t size;
  // The characters follow, in the same allocation.
  char* text() { return reinterpret_cast<char*>(this + 1); }
};

LabelText::LabelText(std::string_view text) {
  if (text.size() > std::numeric_limits<std::uint32_t>::max()) throw std::length_error("label text too long");
  // Raw storage for the header and the characters: this class owns it, and frees it with the
  // last holder (the destructor below).
  void* storage = ::operator new(sizeof(Block) + text.size());
  block_ = new (storage) Block{1, static_cast<std::uint32_t>(text.size())};
  text.copy(block_->text(), text.size());
}

LabelText::LabelText(const LabelText& other) noexcept : block_(other.block_) {
  if (block_) ++block_->count;
}

LabelText::~LabelText() {
  if (!block_ || --block_->count > 0) return;
  block_->~Block();
  ::operator delete(block_);
}

std::string_view LabelText::operator*() const {
  return block_ ? std::string_view(block_->text(), block_->size) : std::string_view();
}

std::uint32_t LabelText::use_count() const { return block_ ? block_->count : 0; }

}  // namespace prober::report
