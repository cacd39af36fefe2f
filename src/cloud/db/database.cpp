#include "cloud/db/database.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace logbot::cloud {
namespace {

// The database holds password hashes, sessions and the sealed secrets: owner only, whatever
// the umask (SQLite would create it 0644). SQLite creates the -wal and -shm files with the
// database file's mode, so making the database file 0600 before SQLite opens it covers them;
// an older database (or its leftovers from a crash) is narrowed on the way.
void make_private(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, S_IRUSR | S_IWUSR);
  if (fd < 0)
    throw DatabaseError("cannot open database " + file.string() + ": " + std::strerror(errno), SQLITE_CANTOPEN);
  const int changed = ::fchmod(fd, S_IRUSR | S_IWUSR);
  const int error = errno;
  ::close(fd);
  if (changed != 0)
    throw DatabaseError("cannot make database " + file.string() + " private (mode 0600): " + std::strerror(error),
                        SQLITE_PERM);
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    const std::string companion = file.string() + suffix;
    if (::chmod(companion.c_str(), S_IRUSR | S_IWUSR) != 0 && errno != ENOENT)
      throw DatabaseError("cannot make " + companion + " private (mode 0600): " + std::strerror(errno), SQLITE_PERM);
  }
}

}  // namespace

bool DatabaseError::is_constraint() const {
  return (code_ & 0xff) == SQLITE_CONSTRAINT;
}

std::int64_t Row::integer(int column) const {
  return sqlite3_column_int64(statement_, column);
}

std::string Row::text(int column) const {
  const auto* data = sqlite3_column_text(statement_, column);
  if (data == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(data),
                     static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)));
}

std::optional<std::string> Row::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

bool Row::is_null(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

std::unique_ptr<Database> Database::open(const std::filesystem::path& file) {
  make_private(file);
  sqlite3* connection = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &connection,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = connection ? sqlite3_errmsg(connection) : sqlite3_errstr(rc);
    sqlite3_close(connection);
    throw DatabaseError("cannot open database " + file.string() + ": " + message, rc);
  }
  std::unique_ptr<Database> db(new Database(connection));
  sqlite3_busy_timeout(connection, 5000);
  sqlite3_extended_result_codes(connection, 1);
  db->execute_script("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  return db;
}

std::unique_ptr<Database> Database::open_in_memory() {
  sqlite3* connection = nullptr;
  if (sqlite3_open(":memory:", &connection) != SQLITE_OK) throw DatabaseError("cannot open in-memory database", 1);
  std::unique_ptr<Database> db(new Database(connection));
  db->execute_script("PRAGMA foreign_keys=ON;");
  return db;
}

Database::~Database() {
  sqlite3_close_v2(connection_);
}

void Database::fail(std::string_view context, int code) {
  throw DatabaseError(std::string(context) + ": " + sqlite3_errmsg(connection_), code);
}

void Database::execute_script(std::string_view sql) {
  std::lock_guard lock(mutex_);
  char* error = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(connection_, text.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    throw DatabaseError("database: " + message, rc);
  }
}

int Database::execute(std::string_view sql, const std::vector<SqlValue>& params) {
  std::lock_guard lock(mutex_);
  Statement statement(*this, sql, params);
  while (statement.step()) {
  }
  return sqlite3_changes(connection_);
}

std::optional<std::int64_t> Database::query_integer(std::string_view sql, const std::vector<SqlValue>& params) {
  std::optional<std::int64_t> out;
  query(sql, params, [&](const Row& row) {
    if (!out && !row.is_null(0)) out = row.integer(0);
  });
  return out;
}

std::int64_t Database::last_insert_rowid() {
  std::lock_guard lock(mutex_);
  return sqlite3_last_insert_rowid(connection_);
}

Database::Statement::Statement(Database& db, std::string_view sql, const std::vector<SqlValue>& params) : db_(db) {
  const int rc = sqlite3_prepare_v2(db.connection_, sql.data(), static_cast<int>(sql.size()), &statement_, nullptr);
  if (rc != SQLITE_OK) db.fail("database: prepare", rc);
  int index = 1;
  for (const SqlValue& value : params) {
    int bind_rc = SQLITE_OK;
    if (std::holds_alternative<std::nullptr_t>(value)) {
      bind_rc = sqlite3_bind_null(statement_, index);
    } else if (const auto* number = std::get_if<std::int64_t>(&value)) {
      bind_rc = sqlite3_bind_int64(statement_, index, *number);
    } else {
      const auto& text = std::get<std::string>(value);
      bind_rc = sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    }
    if (bind_rc != SQLITE_OK) db.fail("database: bind", bind_rc);
    ++index;
  }
}

Database::Statement::~Statement() {
  sqlite3_finalize(statement_);
}

bool Database::Statement::step() {
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.fail("database", rc);
}

Transaction::Transaction(Database& db) : db_(db), lock_(db.mutex()) {
  depth_ = ++db_.transaction_depth();
  try {
    db_.execute_script(depth_ == 1 ? std::string("BEGIN IMMEDIATE") : "SAVEPOINT nested_" + std::to_string(depth_));
  } catch (...) {
    --db_.transaction_depth();
    throw;
  }
}

void Database::after_commit(std::function<void()> action) {
  std::lock_guard lock(mutex_);
  if (transaction_depth_ == 0) {
    action();
    return;
  }
  after_commit_.push_back({transaction_depth_, std::move(action)});
}

Transaction::~Transaction() {
  if (!done_) {
    // What this transaction (or savepoint) promised to do after commit no longer applies.
    std::erase_if(db_.after_commit_, [&](const Database::PendingAction& p) { return p.depth >= depth_; });
    try {
      if (depth_ == 1)
        db_.execute_script("ROLLBACK");
      else
        db_.execute_script("ROLLBACK TO nested_" + std::to_string(depth_) + "; RELEASE nested_" +
                           std::to_string(depth_));
    } catch (const DatabaseError&) {
      // Nothing more can be done; SQLite rolls back on its own when the statement failed.
    }
  }
  --db_.transaction_depth();
}

void Transaction::commit() {
  db_.execute_script(depth_ == 1 ? std::string("COMMIT") : "RELEASE nested_" + std::to_string(depth_));
  done_ = true;
  if (depth_ > 1) {
    // A released savepoint's actions now belong to the enclosing transaction.
    for (auto& pending : db_.after_commit_)
      if (pending.depth >= depth_) pending.depth = depth_ - 1;
    return;
  }
  auto actions = std::move(db_.after_commit_);
  db_.after_commit_.clear();
  for (auto& pending : actions) pending.action();
}

}  // namespace logbot::cloud
