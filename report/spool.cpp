#include "report/spool.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>

namespace prober::report {
namespace {

struct DbCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

StmtPtr prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
  return StmtPtr(s);
}

bool exec(sqlite3* db, const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

std::string mkdirs(const std::string& dir) {
  std::string path;
  std::size_t at = 0;
  while (at != std::string::npos) {
    at = dir.find('/', at + 1);
    path = dir.substr(0, at);
    if (path.empty()) continue;
    if (::mkdir(path.c_str(), 0750) != 0 && errno != EEXIST) return "cannot create " + path + ": " + std::strerror(errno);
  }
  return "";
}

}  // namespace

struct Spool::Db {
  DbPtr db;
  StmtPtr insert, remove, put_state, fetch, oldest, drop;
  std::set<std::int64_t> leased;  // writer thread only
};

std::variant<std::unique_ptr<Spool>, std::string> Spool::open(uv_loop_t* loop, const std::string& dir,
                                                               std::uint64_t max_bytes) {
  const std::string where = "spool directory " + dir;
  if (auto error = mkdirs(dir); !error.empty()) return where + ": " + error + " (set spool.dir to a writable directory)";
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return where + ": not writable by this user (" + std::strerror(errno) + "); set spool.dir to a writable directory";
  }
  const std::string file = dir + "/spool.db";
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  auto db = std::make_unique<Db>();
  db->db.reset(raw);
  auto fail = [&](const std::string& what) -> std::string {
    return "spool file " + file + ": " + what + ": " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
  };
  if (rc != SQLITE_OK) return fail("cannot open");
  sqlite3_busy_timeout(raw, 5000);
  // A damaged file is found here, at start, not in the middle of an outage.
  {
    auto check = prepare(raw, "PRAGMA quick_check(1)");
    if (!check || sqlite3_step(check.get()) != SQLITE_ROW) {
      return fail("not a readable SQLite database (damaged?); move it away to start with an empty spool");
    }
    std::string verdict = reinterpret_cast<const char*>(sqlite3_column_text(check.get(), 0));
    if (verdict != "ok") {
      return "spool file " + file + ": damaged (" + verdict + "); move it away to start with an empty spool";
    }
  }
  if (!exec(raw, "PRAGMA journal_mode=WAL") || !exec(raw, "PRAGMA synchronous=NORMAL") ||
      !exec(raw, "CREATE TABLE IF NOT EXISTS records(id INTEGER PRIMARY KEY, queue TEXT NOT NULL, "
                 "created_ms INTEGER NOT NULL, key INTEGER NOT NULL, payload BLOB NOT NULL)") ||
      !exec(raw, "CREATE INDEX IF NOT EXISTS records_by_queue ON records(queue, id)") ||
      !exec(raw, "CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value TEXT NOT NULL)")) {
    return fail("cannot set up the spool tables");
  }
  db->insert = prepare(raw, "INSERT INTO records(id, queue, created_ms, key, payload) VALUES(?, ?, ?, ?, ?)");
  db->remove = prepare(raw, "DELETE FROM records WHERE id = ? RETURNING length(payload)");
  db->put_state = prepare(raw, "INSERT OR REPLACE INTO state(key, value) VALUES(?, ?)");
  db->fetch = prepare(raw, "SELECT id, created_ms, key, payload FROM records WHERE queue = ? AND id > ? ORDER BY id LIMIT ?");
  db->oldest = prepare(raw, "SELECT id, queue, length(payload) FROM records ORDER BY id LIMIT 512");
  db->drop = prepare(raw, "DELETE FROM records WHERE id = ?");
  if (!db->insert || !db->remove || !db->put_state || !db->fetch || !db->oldest || !db->drop) {
    return fail("cannot prepare statements");
  }
  auto spool = std::unique_ptr<Spool>(new Spool(loop, std::move(db), max_bytes));
  return spool;
}

Spool::Spool(uv_loop_t* loop, std::unique_ptr<Db> db, std::uint64_t max_bytes)
    : db_(std::move(db)), max_bytes_(max_bytes) {
  sqlite3* raw = db_->db.get();
  if (auto s = prepare(raw, "SELECT coalesce(max(id), 0), total(length(payload)) FROM records");
      s && sqlite3_step(s.get()) == SQLITE_ROW) {
    next_id_ = sqlite3_column_int64(s.get(), 0) + 1;
    bytes_ = static_cast<std::uint64_t>(sqlite3_column_double(s.get(), 1));
  }
  if (auto s = prepare(raw, "SELECT key, value FROM state")) {
    while (sqlite3_step(s.get()) == SQLITE_ROW) {
      state_[reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0))] =
          reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 1));
    }
  }
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
  {
    std::lock_guard lock(mutex_);
    if (op.kind == Op::Kind::kAppend) queued_bytes_ += op.record.payload.size();
    ops_.push_back(std::move(op));
  }
  wake_.notify_one();
}

std::int64_t Spool::append(const std::string& queue, std::string payload, std::int64_t created_ms, std::int64_t key) {
  std::int64_t id = next_id_++;
  {
    // Writes are failing (disk full, say) and the backlog in memory reached the bound: this
    // record is dropped like the oldest on disk would be, and counted.
    std::lock_guard lock(mutex_);
    if (failing_ && queued_bytes_ + payload.size() > max_bytes_) {
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

void Spool::fetch(const std::string& queue, std::int64_t after, std::size_t max, Fetched done) {
  Op op{Op::Kind::kFetch};
  op.queue = queue;
  op.record.id = after;
  op.max = max;
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
      }
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
          if (sqlite3_step(s) == SQLITE_ROW) removed += sqlite3_column_int64(s, 0);
          while (sqlite3_step(s) == SQLITE_ROW) {
          }
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
  bytes_ = static_cast<std::uint64_t>(std::max<std::int64_t>(0, static_cast<std::int64_t>(bytes_.load()) + added - removed));
  enforce_bound(out);
  // Reads after the writes: a fetch sees every record appended before it was asked for.
  for (auto& op : ops) {
    if (op.kind != Op::Kind::kFetch) continue;
    Completion fetched;
    fetched.done = std::move(op.done);
    sqlite3_stmt* s = db_->fetch.get();
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, op.queue.data(), static_cast<int>(op.queue.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, op.record.id);
    sqlite3_bind_int64(s, 3, static_cast<std::int64_t>(op.max));
    while (sqlite3_step(s) == SQLITE_ROW) {
      SpoolRecord r;
      r.id = sqlite3_column_int64(s, 0);
      r.created_ms = sqlite3_column_int64(s, 1);
      r.key = sqlite3_column_int64(s, 2);
      const void* blob = sqlite3_column_blob(s, 3);
      r.payload.assign(static_cast<const char*>(blob), static_cast<std::size_t>(sqlite3_column_bytes(s, 3)));
      db_->leased.insert(r.id);
      fetched.records.push_back(std::move(r));
    }
    std::lock_guard lock(mutex_);
    completions_.push_back(std::move(fetched));
  }
  return true;
}

void Spool::enforce_bound(Completion& out) {
  sqlite3* db = db_->db.get();
  while (bytes_ > max_bytes_) {
    std::vector<std::tuple<std::int64_t, std::string, std::int64_t>> victims;
    sqlite3_stmt* s = db_->oldest.get();
    sqlite3_reset(s);
    std::uint64_t over = bytes_ - max_bytes_;
    std::uint64_t freed = 0;
    while (freed < over && sqlite3_step(s) == SQLITE_ROW) {
      std::int64_t id = sqlite3_column_int64(s, 0);
      if (db_->leased.count(id)) continue;  // being sent right now
      std::int64_t size = sqlite3_column_int64(s, 2);
      victims.emplace_back(id, reinterpret_cast<const char*>(sqlite3_column_text(s, 1)), size);
      freed += static_cast<std::uint64_t>(size);
    }
    sqlite3_reset(s);
    if (victims.empty()) return;  // everything left is leased
    if (!exec(db, "BEGIN IMMEDIATE")) return;
    for (const auto& [id, queue, size] : victims) {
      sqlite3_stmt* d = db_->drop.get();
      sqlite3_reset(d);
      sqlite3_bind_int64(d, 1, id);
      sqlite3_step(d);
    }
    if (!exec(db, "COMMIT")) {
      exec(db, "ROLLBACK");
      return;
    }
    for (const auto& [id, queue, size] : victims) {
      ++out.dropped[queue];
      bytes_ -= std::min<std::uint64_t>(bytes_, static_cast<std::uint64_t>(size));
    }
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
