// Thin RAII layer over one SQLite connection (WAL mode). Every statement runs under the
// connection's recursive mutex; a Transaction holds it from BEGIN IMMEDIATE to COMMIT so a
// multi-statement change (e.g. an audit append) is atomic and serialised.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace logbot::cloud {

// A storage failure (disk full, corrupt file, constraint): the request fails, nothing is lost.
class DatabaseError : public std::runtime_error {
 public:
  DatabaseError(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }
  bool is_constraint() const;

 private:
  int code_;
};

using SqlValue = std::variant<std::nullptr_t, std::int64_t, std::string>;

class Row {
 public:
  explicit Row(sqlite3_stmt* statement) : statement_(statement) {}
  std::int64_t integer(int column) const;
  std::string text(int column) const;
  std::optional<std::string> optional_text(int column) const;
  bool is_null(int column) const;

 private:
  sqlite3_stmt* statement_;
};

class Database {
 public:
  // Opens (creating if needed) the database file; throws DatabaseError with the path.
  static std::unique_ptr<Database> open(const std::filesystem::path& file);
  static std::unique_ptr<Database> open_in_memory();
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void execute_script(std::string_view sql);
  // Runs one statement; returns the number of changed rows.
  int execute(std::string_view sql, const std::vector<SqlValue>& params = {});
  // Runs a query and calls `on_row` for each result row.
  template <typename OnRow>
  void query(std::string_view sql, const std::vector<SqlValue>& params, OnRow&& on_row) {
    std::lock_guard lock(mutex_);
    Statement statement(*this, sql, params);
    while (statement.step()) on_row(Row(statement.handle()));
  }
  std::optional<std::int64_t> query_integer(std::string_view sql, const std::vector<SqlValue>& params = {});
  std::int64_t last_insert_rowid();

  std::recursive_mutex& mutex() { return mutex_; }
  // Nesting depth of open Transactions (read and written with the mutex held).
  int& transaction_depth() { return transaction_depth_; }

  // Runs `action` once the current thread's outermost Transaction has committed (still under
  // the connection's mutex, so actions run in commit order), or at once outside a
  // transaction; dropped if the change is rolled back. For what must never claim more than
  // the database holds (the audit anchor). Actions must not throw.
  void after_commit(std::function<void()> action);

 private:
  explicit Database(sqlite3* connection) : connection_(connection) {}
  class Statement {
   public:
    Statement(Database& db, std::string_view sql, const std::vector<SqlValue>& params);
    ~Statement();
    bool step();
    sqlite3_stmt* handle() const { return statement_; }

   private:
    Database& db_;
    sqlite3_stmt* statement_ = nullptr;
  };
  [[noreturn]] void fail(std::string_view context, int code);

  friend class Transaction;
  struct PendingAction {
    int depth;  // of the Transaction (or savepoint) it belongs to
    std::function<void()> action;
  };

  sqlite3* connection_;
  std::recursive_mutex mutex_;
  int transaction_depth_ = 0;
  std::vector<PendingAction> after_commit_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back when destroyed without commit(). A Transaction
// opened inside another one on the same thread becomes a SAVEPOINT of it.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void commit();

 private:
  Database& db_;
  std::unique_lock<std::recursive_mutex> lock_;
  bool done_ = false;
  int depth_ = 0;
};

}  // namespace logbot::cloud
