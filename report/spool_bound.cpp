// The spool's size bound: what is dropped, in which order, when the sinks cannot keep up.
#include <algorithm>
#include <tuple>

#include "report/spool.h"
#include "report/spool_db.h"

namespace prober::report {

void Spool::enforce_bound(Completion& out) {
  if (bytes_ <= limits_.max_bytes) return;
  // Records not being sent first, oldest first; only if those are not enough, leased ones too:
  // the bound holds whatever the sinks hold (a lease lasts as long as a sink retries).
  if (drop_oldest(false, out) && bytes_ > limits_.max_bytes) drop_oldest(true, out);
}

bool Spool::drop_oldest(bool include_leased, Completion& out) {
  sqlite3* db = db_->db.get();
  std::int64_t after = 0;
  while (bytes_ > limits_.max_bytes) {
    std::vector<std::tuple<std::int64_t, std::string, std::int64_t>> victims;
    std::uint64_t over = bytes_ - limits_.max_bytes;
    std::uint64_t freed = 0;
    bool more = false;
    sqlite3_stmt* s = db_->oldest_after.get();
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, after);
    int rc = SQLITE_ROW;
    while (freed < over && (rc = sqlite3_step(s)) == SQLITE_ROW) {
      more = true;
      std::int64_t id = sqlite3_column_int64(s, 0);
      after = id;  // the next page starts past every row seen, leased or not
      if (!include_leased && db_->leased.count(id)) continue;
      std::int64_t size = sqlite3_column_int64(s, 2);
      const auto* queue = sqlite3_column_text(s, 1);
      victims.emplace_back(id, queue ? reinterpret_cast<const char*>(queue) : "", size);
      freed += static_cast<std::uint64_t>(size);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      out.error = std::string("spool bound: cannot read the oldest records: ") + sqlite3_errmsg(db);
      return false;
    }
    if (!more) return true;  // no rows left to look at
    if (victims.empty()) continue;
    if (!exec(db, "BEGIN IMMEDIATE")) {
      out.error = std::string("spool bound: ") + sqlite3_errmsg(db);
      return false;
    }
    for (const auto& victim : victims) {
      sqlite3_stmt* d = db_->drop.get();
      sqlite3_reset(d);
      sqlite3_bind_int64(d, 1, std::get<0>(victim));
      if (sqlite3_step(d) != SQLITE_DONE) {
        out.error = std::string("spool bound: cannot drop a record: ") + sqlite3_errmsg(db);
        exec(db, "ROLLBACK");
        return false;
      }
    }
    if (!exec(db, "COMMIT")) {
      out.error = std::string("spool bound: ") + sqlite3_errmsg(db);
      exec(db, "ROLLBACK");
      return false;
    }
    for (const auto& [id, queue, size] : victims) {
      ++out.dropped[queue];
      db_->leased.erase(id);
      bytes_ -= std::min<std::uint64_t>(bytes_, static_cast<std::uint64_t>(size));
    }
  }
  return true;
}

}  // namespace prober::report
