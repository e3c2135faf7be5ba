#pragma once
// A block of a monitor's settings that most monitors leave at its defaults or have in common
// with many others (their expectations, their TLS options): held by shared pointer and copied
// only when edited, and equal blocks of one configuration interned into one, so a hundred
// thousand monitors hold a few copies instead of one each. Read it like a pointer (`->`), edit
// it with edit(); it compares by value.
#include <compare>
#include <memory>
#include <set>

namespace prober::config {

template <typename T>
class SharedBlock {
 public:
  const T& operator*() const { return block_ ? *block_ : defaults(); }
  const T* operator->() const { return &**this; }
  // The block to change: this monitor's own copy from now on.
  T& edit() {
    if (!block_ || block_.use_count() > 1) block_ = std::make_shared<T>(**this);
    return *block_;
  }
  bool operator==(const SharedBlock& other) const { return **this == *other; }
  // The block itself, for what is derived from it and must keep it (the defaults are static).
  std::shared_ptr<const T> shared() const {
    return block_ ? block_ : std::shared_ptr<const T>(std::shared_ptr<const T>(), &defaults());
  }

  // Blocks equal by value, shared: one per distinct value among those interned into a pool.
  struct Less {
    bool operator()(const std::shared_ptr<T>& a, const std::shared_ptr<T>& b) const { return (*a <=> *b) < 0; }
  };
  using Pool = std::set<std::shared_ptr<T>, Less>;
  void intern(Pool& pool) {
    if (!block_) return;
    if (*block_ == defaults()) {
      block_.reset();
      return;
    }
    block_ = *pool.insert(block_).first;
  }

 private:
  static const T& defaults() {
    static const T kDefaults{};
    return kDefaults;
  }
  // Null: T's defaults. Shared once interned: edit() copies it first.
  std::shared_ptr<T> block_;
};

}  // namespace prober::config
