// Opening the spool's file: the directory made and checked, a damaged database moved aside (as
// Prometheus does with a damaged WAL segment) so the agent starts instead of crash-looping.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "report/spool_db.h"

namespace prober::report {
namespace {

std::string mkdirs(const std::string& dir) {
  std::string path;
  std::size_t at = 0;
  while (at != std::string::npos) {
    at = dir.find('/', at + 1);
    path = dir.substr(0, at);
    if (path.empty()) continue;
    if (::mkdir(path.c_str(), 0750) != 0 && errno != EEXIST)
      return "cannot create " + path + ": " + std::strerror(errno);
  }
  return "";
}

struct Opened {
  std::unique_ptr<Spool::Db> db;
  std::string error;
  bool damaged = false;  // the file is there but is not a healthy SQLite database
};

bool is_damage(int code) {
  code &= 0xff;  // primary result code
  return code == SQLITE_NOTADB || code == SQLITE_CORRUPT;
}

Opened open_file(const std::string& file) {
  Opened out;
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  out.db = std::make_unique<Spool::Db>();
  out.db->db.reset(raw);
  auto fail = [&](const std::string& what) {
    int code = raw ? sqlite3_extended_errcode(raw) : rc;
    out.damaged = is_damage(code);
    out.error = "spool file " + file + ": " + what + ": " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
    return std::move(out);
  };
  if (rc != SQLITE_OK) return fail("cannot open");
  sqlite3_busy_timeout(raw, 5000);
  // A damaged file is found here, at start, not in the middle of an outage.
  {
    auto check = prepare(raw, "PRAGMA quick_check(1)");
    if (!check) return fail("not a readable SQLite database");
    int step = sqlite3_step(check.get());
    if (step != SQLITE_ROW) return fail("not a readable SQLite database");
    const auto* text = sqlite3_column_text(check.get(), 0);
    std::string verdict = text ? reinterpret_cast<const char*>(text) : "";
    if (verdict != "ok") {
      out.damaged = true;
      out.error = "spool file " + file + ": damaged (" + verdict + ")";
      return out;
    }
  }
  if (!exec(raw, "PRAGMA journal_mode=WAL") || !exec(raw, "PRAGMA synchronous=NORMAL") ||
      !exec(raw,
            "CREATE TABLE IF NOT EXISTS records(id INTEGER PRIMARY KEY, queue TEXT NOT NULL, "
            "created_ms INTEGER NOT NULL, key INTEGER NOT NULL, payload BLOB NOT NULL)") ||
      !exec(raw, "CREATE INDEX IF NOT EXISTS records_by_queue ON records(queue, id)") ||
      !exec(raw, "CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value TEXT NOT NULL)")) {
    return fail("cannot set up the spool tables");
  }
  auto& db = *out.db;
  db.insert = prepare(raw, "INSERT INTO records(id, queue, created_ms, key, payload) VALUES(?, ?, ?, ?, ?)");
  db.remove = prepare(raw, "DELETE FROM records WHERE id = ? RETURNING length(payload)");
  db.put_state = prepare(raw, "INSERT OR REPLACE INTO state(key, value) VALUES(?, ?)");
  db.fetch =
      prepare(raw, "SELECT id, created_ms, key, payload FROM records WHERE queue = ? AND id > ? ORDER BY id LIMIT ?");
  db.oldest_after = prepare(raw, "SELECT id, queue, length(payload) FROM records WHERE id > ? ORDER BY id LIMIT 512");
  db.drop = prepare(raw, "DELETE FROM records WHERE id = ?");
  if (!db.insert || !db.remove || !db.put_state || !db.fetch || !db.oldest_after || !db.drop) {
    return fail("cannot prepare statements");
  }
  // Ids must go on past every id in the file: a failed read here is an error, never a restart at 1.
  auto totals = prepare(raw, "SELECT coalesce(max(id), 0), total(length(payload)) FROM records");
  if (!totals || sqlite3_step(totals.get()) != SQLITE_ROW) return fail("cannot read the records");
  db.next_id = sqlite3_column_int64(totals.get(), 0) + 1;
  db.bytes = static_cast<std::uint64_t>(sqlite3_column_double(totals.get(), 1));
  auto state = prepare(raw, "SELECT key, value FROM state");
  int step = SQLITE_ERROR;
  while (state && (step = sqlite3_step(state.get())) == SQLITE_ROW) {
    const auto* key = sqlite3_column_text(state.get(), 0);
    const auto* value = sqlite3_column_text(state.get(), 1);
    if (key && value) db.state[reinterpret_cast<const char*>(key)] = reinterpret_cast<const char*>(value);
  }
  if (step != SQLITE_DONE) return fail("cannot read the state table");
  return out;
}

// Moves `file` and its WAL and shared-memory files aside; returns the new name of `file`.
std::string move_aside(const std::string& file, std::string& error) {
  std::string target = file + ".corrupt-" + std::to_string(std::time(nullptr));
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::string from = file + suffix;
    if (::access(from.c_str(), F_OK) != 0) continue;
    if (std::rename(from.c_str(), (target + suffix).c_str()) != 0) {
      error = "cannot move " + from + " aside: " + std::strerror(errno);
      return "";
    }
  }
  return target;
}

}  // namespace

StatementPtr prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
  return StatementPtr(s);
}

bool exec(sqlite3* db, const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

std::variant<std::unique_ptr<Spool>, std::string> Spool::open(uv_loop_t* loop, const std::string& dir,
                                                              SpoolLimits limits) {
  const std::string where = "spool directory " + dir;
  if (auto error = mkdirs(dir); !error.empty())
    return where + ": " + error + " (set spool.dir to a writable directory)";
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return where + ": not writable by this user (" + std::strerror(errno) + "); set spool.dir to a writable directory";
  }
  const std::string file = dir + "/spool.db";
  Opened opened = open_file(file);
  std::string damage;
  std::string moved_to;
  if (opened.damaged) {
    damage = opened.error;
    opened.db.reset();  // closed before its files move
    std::string error;
    moved_to = move_aside(file, error);
    if (moved_to.empty()) return damage + "; " + error;
    opened = open_file(file);
  }
  if (!opened.error.empty()) return opened.error;
  auto spool = std::unique_ptr<Spool>(new Spool(loop, std::move(opened.db), limits));
  if (!moved_to.empty()) spool->moved_aside_ = MovedAside{moved_to, damage};
  return spool;
}

}  // namespace prober::report
