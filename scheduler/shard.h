#pragma once
// Sharding a region's monitors over n replicas (DESIGN.md §7, §13): each monitor belongs to the
// shard with the highest hash of (monitor, shard) — rendezvous hashing — so going from n to
// n+1 replicas moves only the ~1/(n+1) of monitors the new shard wins, and never between old
// shards.
#include <optional>
#include <string>
#include <string_view>

namespace prober::scheduler {

struct Shard {
  int index = 0;  // 0 ≤ index < count
  int count = 1;
  bool operator==(const Shard&) const = default;
};

int rendezvous_shard(std::string_view monitor, int count);
inline bool owns(const Shard& shard, std::string_view monitor) {
  return shard.count <= 1 || rendezvous_shard(monitor, shard.count) == shard.index;
}

// "i/n" (0 ≤ i < n), or "<name>-<i>/n" as a Kubernetes StatefulSet pod name gives it
// ("prober-tokyo-2/3": the pod's ordinal). nullopt with `error` set otherwise.
std::optional<Shard> parse_shard(const std::string& text, std::string& error);

}  // namespace prober::scheduler
