#pragma once
// Texts kept for a long time that mostly repeat a known shape (a monitor's last result, held for
// /results until its next run), held deflated against a preset dictionary of that shape: the keys,
// nulls and phrases every result repeats cost a few bits each instead of ~800 bytes per monitor.
#include <memory>
#include <string>
#include <string_view>

namespace prober::report {

class TextPacker {
 public:
  // `dictionary`: text like what will be packed, the most common last (its last 1.5 KiB are used).
  explicit TextPacker(std::string dictionary);
  ~TextPacker();
  TextPacker(const TextPacker&) = delete;
  TextPacker& operator=(const TextPacker&) = delete;

  // The packed form; the text itself if it cannot be packed (no memory for zlib), which
  // unpack_into tells apart: JSON text never starts with a control byte.
  std::string pack(std::string_view text);
  // Appends the text that `pack` was given. A packed form it cannot read (never made by `pack`)
  // appends nothing and returns false.
  bool unpack_into(std::string_view packed, std::string& out) const;

 private:
  struct Streams;
  std::string dictionary_;
  mutable std::unique_ptr<Streams> streams_;  // zlib's state, made when first used (single-threaded)
};

}  // namespace prober::report
