// The cloud's database schema and its migrations (PRAGMA user_version).
#pragma once

namespace logbot::cloud {
class Database;

// Brings the schema to the newest version; throws DatabaseError on failure.
void migrate(Database& db);
// The schema version this build writes.
int schema_version();

}  // namespace logbot::cloud
