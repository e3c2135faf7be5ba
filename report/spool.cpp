#include "report/spool.h"

#include <algorithm>
#include <chrono>
#include <tuple>

#include "report/spool_db.h"

namespace prober::report {

Spool::Spool(uv_loop_t* loop, std::unique_ptr<Db> db, SpoolLimits limits) : db_(std::move(db)), limits_(limits) {
  next_id_ = db_->next_id;
  bytes_ = db_->bytes;
  state_ = std::move(db_->state);
  uv_async_init(loop, async_.get(), [](uv_async_t* h) {
    if (h->data) static_cast<Spool*>(h->data)->deliver_completions();
  });
  async_.get()->data = this;
  thread_ = std::thread([this] { writer(); });
}

Spool::~Spool() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  async_.close();
}

void Spool::enqueue(Op op) {
  bool wake;
  {
    std::lock_guard lock(mutex_);
    if (op.kind == Op::Kind::kAppend) queued_bytes_ += op.record.payload.size();
    if (op.kind == Op::Kind::kFetch) hurry_ = true;  // a sink waits for the answer
    // The writer waits for a first operation, then lingers until kLingerOps or a hurry: only
    // those wake it. A wake for every record is a futex call here and a context switch there,
    // twice per result (its record and its seq), for a writer that goes back to lingering.
    wake = ops_.empty() || hurry_ || ops_.size() + 1 >= kLingerOps;
    ops_.push_back(std::move(op));
  }
  if (wake) wake_.notify_one();
}

std::int64_t Spool::append(const std::string& queue, std::string payload, std::int64_t created_ms, std::int64_t key) {
  std::int64_t id = next_id_++;
  {
    // The disk refuses writes (full, say) or cannot keep up, and the backlog in memory reached
    // its bound: this record is dropped, and counted, rather than the process growing.
    std::lock_guard lock(mutex_);
    if (queued_bytes_ + payload.size() > limits_.max_memory_bytes) {
      if (on_dropped_) on_dropped_(queue, 1);
      return id;
    }
  }
  Op op{Op::Kind::kAppend};
  op.record = SpoolRecord{id, created_ms, key, std::move(payload)};
  op.queue = queue;
  enqueue(std::move(op));
  return id;
}

void Spool::put_state(const std::string& key, std::string value) {
  state_[key] = value;
  Op op{Op::Kind::kState};
  op.queue = key;
  op.record.payload = std::move(value);
  enqueue(std::move(op));
}

std::optional<std::string> Spool::state(const std::string& key) const {
  auto it = state_.find(key);
  if (it == state_.end()) return std::nullopt;
  return it->second;
}

void Spool::fetch(const std::string& queue, std::int64_t after, std::size_t max, Fetched done, std::size_t max_bytes) {
  Op op{Op::Kind::kFetch};
  op.queue = queue;
  op.record.id = after;
  op.max = max;
  op.max_bytes = max_bytes;
  op.done = std::move(done);
  enqueue(std::move(op));
}

void Spool::remove(std::vector<std::int64_t> ids) {
  if (ids.empty()) return;
  Op op{Op::Kind::kRemove};
  op.ids = std::move(ids);
  enqueue(std::move(op));
}

void Spool::flush() {
  std::unique_lock lock(mutex_);
  hurry_ = true;
  wake_.notify_all();
  idle_.wait(lock, [this] { return (ops_.empty() && !busy_) || stop_; });
}

void Spool::writer() {
  std::vector<Op> failed;
  for (;;) {
    std::vector<Op> ops = std::move(failed);
    failed.clear();
    {
      std::unique_lock lock(mutex_);
      if (!ops.empty()) {
        // The last batch failed: wait a little before trying the disk again.
        wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_.load(); });
      } else {
        wake_.wait(lock, [this] { return stop_ || !ops_.empty(); });
        // Group commit: a transaction costs far more than its rows, and at a paced rate results
        // come one at a time, each with its seq. What arrives within the linger commits as one
        // (a process killed meanwhile loses at most that much; a fetch, flush() and stopping cut
        // it short: someone waits for those).
        wake_.wait_for(lock, kLinger, [this] { return stop_ || hurry_ || ops_.size() >= kLingerOps; });
      }
      hurry_ = false;
      if (ops.empty() && ops_.empty() && stop_) break;
      while (!ops_.empty()) {
        if (ops_.front().kind == Op::Kind::kAppend) queued_bytes_ -= ops_.front().record.payload.size();
        ops.push_back(std::move(ops_.front()));
        ops_.pop_front();
      }
      busy_ = true;
    }
    Completion result;
    bool written = write_batch(ops, result);
    failing_ = !written;
    if (!written) {
      if (stop_) {
        result.error += " (at shutdown: " + std::to_string(ops.size()) + " queued writes lost)";
      } else {
        failed = std::move(ops);
        std::lock_guard lock(mutex_);
        for (const auto& op : failed) {
          if (op.kind == Op::Kind::kAppend) queued_bytes_ += op.record.payload.size();
        }
      }
    }
    {
      std::lock_guard lock(mutex_);
      completions_.push_back(std::move(result));
      busy_ = false;
    }
    idle_.notify_all();
    uv_async_send(async_.get());
    if (stop_ && failed.empty()) {
      std::lock_guard lock(mutex_);
      if (ops_.empty()) break;
    }
  }
}

bool Spool::write_batch(std::vector<Op>& ops, Completion& out) {
  sqlite3* db = db_->db.get();
  auto error = [&](const char* what) {
    out.error = std::string("spool write failed (") + what + "): " + sqlite3_errmsg(db);
    exec(db, "ROLLBACK");
    return false;
  };
  if (!exec(db, "BEGIN IMMEDIATE")) return error("begin");
  std::map<std::string, const std::string*> states;  // last value per key wins
  std::int64_t added = 0, removed = 0;
  for (auto& op : ops) {
    switch (op.kind) {
      case Op::Kind::kAppend: {
        sqlite3_stmt* s = db_->insert.get();
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, op.record.id);
        sqlite3_bind_text(s, 2, op.queue.data(), static_cast<int>(op.queue.size()), SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, op.record.created_ms);
        sqlite3_bind_int64(s, 4, op.record.key);
        sqlite3_bind_blob(s, 5, op.record.payload.data(), static_cast<int>(op.record.payload.size()), SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE) return error("insert");
        added += static_cast<std::int64_t>(op.record.payload.size());
        break;
      }
      case Op::Kind::kState:
        states[op.queue] = &op.record.payload;
        break;
      case Op::Kind::kRemove:
        for (auto id : op.ids) {
          sqlite3_stmt* s = db_->remove.get();
          sqlite3_reset(s);
          sqlite3_bind_int64(s, 1, id);
          int rc = sqlite3_step(s);
          if (rc == SQLITE_ROW) {
            removed += sqlite3_column_int64(s, 0);
            rc = sqlite3_step(s);
          }
          if (rc != SQLITE_DONE) return error("remove");
        }
        break;
      case Op::Kind::kFetch:
        break;
    }
  }
  for (const auto& [key, value] : states) {
    sqlite3_stmt* s = db_->put_state.get();
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 2, value->data(), static_cast<int>(value->size()), SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) return error("state");
  }
  if (!exec(db, "COMMIT")) return error("commit");
  for (auto& op : ops) {
    if (op.kind == Op::Kind::kRemove) {
      for (auto id : op.ids) db_->leased.erase(id);
    }
  }
  bytes_ =
      static_cast<std::uint64_t>(std::max<std::int64_t>(0, static_cast<std::int64_t>(bytes_.load()) + added - removed));
  enforce_bound(out);
  answer_fetches(ops, out);
  return true;
}

// Reads after the writes: a fetch sees every record appended before it was asked for.
void Spool::answer_fetches(std::vector<Op>& ops, Completion& out) {
  sqlite3* db = db_->db.get();
  for (auto& op : ops) {
    if (op.kind != Op::Kind::kFetch) continue;
    Completion fetched;
    fetched.done = std::move(op.done);
    sqlite3_stmt* s = db_->fetch.get();
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, op.queue.data(), static_cast<int>(op.queue.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, op.record.id);
    sqlite3_bind_int64(s, 3, static_cast<std::int64_t>(op.max));
    int rc = SQLITE_ROW;
    std::size_t bytes = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      auto size = static_cast<std::size_t>(sqlite3_column_bytes(s, 3));
      if (op.max_bytes > 0 && !fetched.records.empty() && bytes + size > op.max_bytes) {
        sqlite3_reset(s);  // ends the read: an open one would hold back the WAL's checkpoints
        rc = SQLITE_DONE;  // the rest comes next fetch
        break;
      }
      bytes += size;
      SpoolRecord r;
      r.id = sqlite3_column_int64(s, 0);
      r.created_ms = sqlite3_column_int64(s, 1);
      r.key = sqlite3_column_int64(s, 2);
      const void* blob = sqlite3_column_blob(s, 3);
      r.payload.assign(static_cast<const char*>(blob), size);
      db_->leased.insert(r.id);
      fetched.records.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE) {
      // Those read so far are still offered: the sink sends them; the rest comes next fetch.
      out.error = std::string("spool read failed: ") + sqlite3_errmsg(db);
    }
    std::lock_guard lock(mutex_);
    completions_.push_back(std::move(fetched));
  }
}

void Spool::deliver_completions() {
  std::vector<Completion> ready;
  {
    std::lock_guard lock(mutex_);
    ready.swap(completions_);
  }
  for (auto& c : ready) {
    if (!c.error.empty() && on_error_) on_error_(c.error);
    for (const auto& [queue, n] : c.dropped) {
      if (on_dropped_) on_dropped_(queue, n);
    }
    if (c.done) c.done(std::move(c.records));
  }
}

}  // namespace prober::report
