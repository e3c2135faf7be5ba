#pragma once
// A block of a monitor's settings that most monitors leave at its defaults or have in common
// with many others (their expectations, their TLS options): held by a counted pointer and copied
// only when edited, and equal blocks of one configuration interned into one, so a hundred
// thousand monitors hold a few copies instead of one each. Read it like a pointer (`->`), edit
// it with edit(); it compares by value.
#include <atomic>
#include <compare>
#include <cstdint>
#include <memory>
#include <set>
#include <utility>

namespace prober::config {

template <typename T>
class SharedBlock {
 public:
  SharedBlock() = default;
  SharedBlock(const SharedBlock& other) noexcept : node_(other.node_) {
    if (node_) node_->holders.fetch_add(1, std::memory_order_relaxed);
  }
  SharedBlock(SharedBlock&& other) noexcept : node_(std::exchange(other.node_, nullptr)) {}
  SharedBlock& operator=(SharedBlock other) noexcept {
    std::swap(node_, other.node_);
    return *this;
  }
  ~SharedBlock() { release(); }

  const T& operator*() const { return node_ ? node_->value : defaults(); }
  const T* operator->() const { return &**this; }
  // The block to change: this monitor's own copy from now on.
  T& edit() {
    if (!node_ || node_->holders.load(std::memory_order_acquire) > 1) *this = SharedBlock(**this);
    return node_->value;
  }
  bool operator==(const SharedBlock& other) const { return **this == *other; }
  // The block itself, for what is derived from it and must keep it (the defaults are static).
  std::shared_ptr<const T> shared() const {
    if (!node_) return std::shared_ptr<const T>(std::shared_ptr<const T>(), &defaults());
    return std::shared_ptr<const T>(&node_->value, [keep = *this](const T*) {});
  }

  // Blocks equal by value, shared: one per distinct value among those interned into a pool.
  struct Less {
    bool operator()(const SharedBlock& a, const SharedBlock& b) const { return (*a <=> *b) < 0; }
  };
  using Pool = std::set<SharedBlock, Less>;
  void intern(Pool& pool) {
    if (!node_) return;
    if (**this == defaults()) {
      *this = SharedBlock();
      return;
    }
    *this = *pool.insert(*this).first;
  }

 private:
  // The block and its count in one allocation, behind one pointer: a std::shared_ptr is two
  // pointers, and every monitor holds four blocks (16 bytes more would put its configuration in
  // the next allocation class).
  struct Node {
    explicit Node(const T& v) : value(v) {}
    T value;
    std::atomic<std::uint32_t> holders{1};
  };
  explicit SharedBlock(const T& value) : node_(std::make_unique<Node>(value).release()) {}
  void release() noexcept {
    Node* node = std::exchange(node_, nullptr);
    if (node && node->holders.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::unique_ptr<Node> last(node);  // the last holder frees it
    }
  }
  static const T& defaults() {
    static const T kDefaults{};
    return kDefaults;
  }
  // Null: T's defaults. Shared once interned: edit() copies it first.
  Node* node_ = nullptr;
};

}  // namespace prober::config
