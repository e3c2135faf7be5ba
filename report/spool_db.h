#pragma once
// The spool's SQLite handles, shared by its file handling (spool_file.cpp) and its writer
// (spool.cpp). Internal to the spool.
#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "io/c_handle.h"
#include "report/spool.h"

namespace prober::report {

using SqlitePtr = io::CHandle<sqlite3, sqlite3_close_v2>;
using StatementPtr = io::CHandle<sqlite3_stmt, sqlite3_finalize>;

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
