// Audit anchor cost: appends to a WAL-mode SQLite audit log in a temporary directory, without
// an anchor file (the baseline) and with one (one O_APPEND write per append), and, for the
// fsync question, with an fdatasync after each anchor line. Prints µs per append and ratios.
// Run: build/bin/audit_anchor_bench [APPENDS]   (figures in docs/SECURITY.md, known limitations)
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "cloud/audit/audit_log.hpp"
#include "cloud/db/database.hpp"
#include "cloud/db/schema.hpp"
#include "common/clock.hpp"

namespace {

using namespace logbot;
using namespace logbot::cloud;

double microseconds_per_append(const std::filesystem::path& dir, const std::string& name, bool anchor, bool sync,
                               int appends) {
  const auto db_file = dir / (name + ".db");
  const auto anchor_file = dir / (name + ".anchor");
  auto db = Database::open(db_file);
  migrate(*db);
  SystemClock clock;
  AuditLog log(*db, clock, std::string(32, 'k'), anchor ? anchor_file : std::filesystem::path{});
  int sync_fd = sync ? ::open(anchor_file.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0600) : -1;
  AuditRecord record;
  record.ip = "192.0.2.1";
  record.client = "web";
  record.details = {{"auth_method", "password"}, {"username", "alice@example.com"}};
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < appends; ++i) {
    log.append(record);
    if (sync_fd >= 0) ::fdatasync(sync_fd);
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  if (sync_fd >= 0) ::close(sync_fd);
  return std::chrono::duration<double, std::micro>(elapsed).count() / appends;
}

}  // namespace

int main(int argc, char** argv) {
  const int appends = argc > 1 ? std::atoi(argv[1]) : 2000;
  char pattern[] = "/tmp/logbot-anchor-bench-XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(pattern);
  const double baseline = microseconds_per_append(dir, "baseline", false, false, appends);
  const double anchored = microseconds_per_append(dir, "anchored", true, false, appends);
  const double synced = microseconds_per_append(dir, "synced", true, true, appends);
  std::printf("audit append, %d entries, WAL, synchronous=NORMAL, in %s\n", appends, dir.c_str());
  std::printf("  without anchor (baseline): %8.1f us/append\n", baseline);
  std::printf("  with anchor, no fsync:     %8.1f us/append  (x%.2f, +%.1f us)\n", anchored, anchored / baseline,
              anchored - baseline);
  std::printf("  with anchor + fdatasync:   %8.1f us/append  (x%.2f)\n", synced, synced / baseline);
  std::filesystem::remove_all(dir);
  return 0;
}
