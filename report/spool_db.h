#pragma once
// The spool's SQLite handles, shared by its file handling (spool_file.cpp) and its writer
// (spool.cpp). Internal to the spool.
#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "report/spool.h"

namespace prober::report {

struct SqliteCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct SqliteFinalizer {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using SqlitePtr = std::unique_ptr<sqlite3, SqliteCloser>;
using StatementPtr = std::unique_ptr<sqlite3_stmt, SqliteFinalizer>;

StatementPtr prepare(sqlite3* db, const char* sql);
bool exec(sqlite3* db, const char* sql);

struct Spool::Db {
  SqlitePtr db;
  StatementPtr insert, remove, put_state, fetch, oldest_after, drop;
  std::set<std::int64_t> leased;  // writer thread only
  // Read at open: where ids go on, the payload held, the state table.
  std::int64_t next_id = 1;
  std::uint64_t bytes = 0;
  std::map<std::string, std::string> state;
};

}  // namespace prober::report
