#pragma once
// The durable queue in front of the push sinks (DESIGN.md §10): every record bound for a sink is
// written here first and removed only once the sink acknowledged it. SQLite in WAL mode; all
// SQLite work runs on one writer thread, in batches (one transaction per batch, gathered for up
// to 100 ms), so the loop thread never waits on the disk. Bounded by max_bytes of payload on
// disk (the oldest records not being sent right now are dropped first, then, if that is not
// enough, the oldest at all) and by max_memory_bytes of writes waiting for the disk; every drop
// is counted.
#include <uv.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "io/uv_handle.h"

struct sqlite3;

namespace prober::report {

struct SpoolRecord {
  std::int64_t id = 0;
  std::int64_t created_ms = 0;  // when the record was made (ms since the epoch)
  std::int64_t key = 0;         // the result's seq, 0 for records that are not single results
  std::string payload;
};

struct SpoolLimits {
  std::uint64_t max_bytes = 512ull << 20;        // payload on disk
  std::uint64_t max_memory_bytes = 64ull << 20;  // payload waiting for the disk (say, while it is full)
};

class Spool {
 public:
  using Fetched = std::function<void(std::vector<SpoolRecord>)>;
  using DropCallback = std::function<void(const std::string& queue, std::uint64_t records)>;
  using ErrorCallback = std::function<void(const std::string& message)>;

  // Opens (creating) `dir`/spool.db. A file that is not a healthy SQLite database is moved
  // aside (spool.db.corrupt-<unix time>) and an empty spool started: see moved_aside(). The
  // error names the directory or file and what to do when the directory cannot be written.
  static std::variant<std::unique_ptr<Spool>, std::string> open(uv_loop_t* loop, const std::string& dir,
                                                                SpoolLimits limits = {});
  struct MovedAside {
    std::string to;      // where the damaged file went
    std::string reason;  // what was wrong with it
  };
  const std::optional<MovedAside>& moved_aside() const { return moved_aside_; }
  struct Db;  // the SQLite handles (report/spool_db.h), opaque outside the spool
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;
  ~Spool();  // commits what is queued, then closes the database

  // Queues a record for `queue`; returns its id (ids grow in append order, across restarts).
  std::int64_t append(const std::string& queue, std::string payload, std::int64_t created_ms, std::int64_t key = 0);
  // A small persistent value (the vantage's seq, a sink's remote id), written with the next batch.
  void put_state(const std::string& key, std::string value);
  std::optional<std::string> state(const std::string& key) const;
  // Up to `max` records of `queue` with id > `after`, oldest first, passed to `done` on the loop;
  // with `max_bytes`, no more than their payloads fit in (but always the first).
  // Fetched records are leased: the bound drops them only when dropping every record not leased
  // was not enough, and remove() ends the lease.
  void fetch(const std::string& queue, std::int64_t after, std::size_t max, Fetched done, std::size_t max_bytes = 0);
  // Delivered (or given up on): gone for good.
  void remove(std::vector<std::int64_t> ids);

  void on_dropped(DropCallback callback) { on_dropped_ = std::move(callback); }
  void on_error(ErrorCallback callback) { on_error_ = std::move(callback); }
  std::uint64_t bytes() const { return bytes_.load(); }
  // Blocks until the writer has tried everything queued so far (shutdown, tests, benchmarks):
  // committed, or, while the disk refuses writes, waiting in memory for the next retry.
  void flush();

 private:
  // How long the writer gathers operations before a batch (unless kLingerOps are queued).
  static constexpr std::chrono::milliseconds kLinger{100};
  static constexpr std::size_t kLingerOps = 512;

  struct Op {
    enum class Kind { kAppend, kState, kFetch, kRemove } kind;
    SpoolRecord record;  // kAppend: the record; kState: key in payload's place
    std::string queue;   // kAppend, kFetch; kState: the state key
    std::size_t max = 0;
    std::size_t max_bytes = 0;  // kFetch: 0, no limit
    std::vector<std::int64_t> ids;
    Fetched done;
  };
  struct Completion {
    Fetched done;
    std::vector<SpoolRecord> records;
    std::map<std::string, std::uint64_t> dropped;
    std::string error;
  };

  Spool(uv_loop_t* loop, std::unique_ptr<Db> db, SpoolLimits limits);
  void enqueue(Op op);
  void writer();
  bool write_batch(std::vector<Op>& ops, Completion& out);
  void answer_fetches(std::vector<Op>& ops, Completion& out);
  void enforce_bound(Completion& out);
  // Drops the oldest records (leased ones too when `include_leased`) until under the bound.
  bool drop_oldest(bool include_leased, Completion& out);
  void deliver_completions();

  std::unique_ptr<Db> db_;
  SpoolLimits limits_;
  std::optional<MovedAside> moved_aside_;
  std::atomic<std::uint64_t> bytes_{0};
  std::int64_t next_id_ = 1;                  // loop thread
  std::map<std::string, std::string> state_;  // loop thread's view of the state table

  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<Op> ops_;
  std::uint64_t queued_bytes_ = 0;  // payload bytes queued, not yet written
  bool busy_ = false;
  bool hurry_ = false;  // a fetch or flush() waits: no linger for the batch being gathered
  std::atomic<bool> stop_{false};
  std::atomic<bool> failing_{false};  // the last batch could not be written
  std::vector<Completion> completions_;
  io::UvHandle<uv_async_t> async_;
  DropCallback on_dropped_;
  ErrorCallback on_error_;
  std::thread thread_;  // last: starts after everything it uses exists
};

}  // namespace prober::report
