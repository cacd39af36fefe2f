#include "cloud/db/schema.hpp"

#include <array>
#include <string>

#include "cloud/db/database.hpp"

namespace logbot::cloud {
namespace {

// Each entry moves the schema one version up; never edit a released entry, append one.
constexpr std::array<const char*, 8> kMigrations = {
    R"sql(
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL,
  is_operator INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  password_changed_ms INTEGER NOT NULL
);
CREATE TABLE orgs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  created_ms INTEGER NOT NULL
);
CREATE TABLE memberships (
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('owner','admin','engineer','viewer')),
  added_ms INTEGER NOT NULL,
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships(user_id);
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  absolute_expiry_ms INTEGER NOT NULL,
  ip TEXT NOT NULL,
  client TEXT NOT NULL,
  user_agent TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE TABLE audit_events (
  seq INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  event TEXT NOT NULL,
  actor_type TEXT NOT NULL,
  user_id TEXT,
  username TEXT,
  org_id TEXT,
  ip TEXT NOT NULL,
  client TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_by_user ON audit_events(user_id, seq);
CREATE INDEX audit_by_org ON audit_events(org_id, seq);
-- Append-only: the application never changes or removes an audit entry.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
  BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
  BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
)sql",
    // 2: two-factor authentication.
    R"sql(
CREATE TABLE user_totp (
  user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  secret_sealed TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 0,
  last_step INTEGER NOT NULL DEFAULT -1,
  created_ms INTEGER NOT NULL,
  enabled_ms INTEGER
);
CREATE TABLE recovery_codes (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  used_ms INTEGER,
  PRIMARY KEY (user_id, code_hash)
);
ALTER TABLE orgs ADD COLUMN require_2fa INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'full';
ALTER TABLE sessions ADD COLUMN second_factor_failures INTEGER NOT NULL DEFAULT 0;
)sql",
    // 3: devices, their enrolment tokens and certificates, and the device CA.
    R"sql(
CREATE TABLE device_ca (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  certificate_pem TEXT NOT NULL,
  key_sealed TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  site TEXT NOT NULL DEFAULT '',
  expected_uuid TEXT,
  device_uuid TEXT UNIQUE,
  state TEXT NOT NULL CHECK (state IN ('registered','enrolled','revoked')),
  certificate_serial TEXT,
  certificate_not_after_ms INTEGER,
  enrolled_ms INTEGER,
  enrolled_ip TEXT,
  created_ms INTEGER NOT NULL,
  revoked_ms INTEGER,
  UNIQUE (org_id, name)
);
CREATE TABLE enrolment_tokens (
  token_hash TEXT PRIMARY KEY,
  device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  used_ms INTEGER
);
CREATE TABLE device_certificates (
  serial TEXT PRIMARY KEY,
  device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  not_after_ms INTEGER NOT NULL,
  issued_ms INTEGER NOT NULL,
  revoked_ms INTEGER
);
)sql",
    // 4: what the uplink learns about a device.
    R"sql(
ALTER TABLE devices ADD COLUMN last_seen_ms INTEGER;
ALTER TABLE devices ADD COLUMN agent_version TEXT;
ALTER TABLE devices ADD COLUMN last_ip TEXT;
)sql",
    // 5: accounts whose second factor an owner or the operator reset: their next login must
    // enrol a new authenticator, whatever their organisations' policy.
    R"sql(
CREATE TABLE totp_enrolment_required (
  user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  since_ms INTEGER NOT NULL
);
)sql",
    // 6: invitations (membership needs the invitee's consent). An organisation's 2FA policy
    // now gates that organisation's routes instead of the whole login, so the sessions it held
    // in the enrolment stage go (their users log in again); the stage stays for a reset factor.
    R"sql(
CREATE TABLE invitations (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  email TEXT NOT NULL COLLATE NOCASE,
  role TEXT NOT NULL CHECK (role IN ('owner','admin','engineer','viewer')),
  token_hash TEXT NOT NULL UNIQUE,
  invited_by TEXT,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending','accepted','declined','revoked','expired')),
  ended_ms INTEGER
);
CREATE UNIQUE INDEX invitations_one_pending ON invitations(org_id, email) WHERE state = 'pending';
CREATE INDEX invitations_by_email ON invitations(email, state);
CREATE INDEX invitations_by_expiry ON invitations(state, expires_ms);
DELETE FROM sessions WHERE stage = 'totp_enrolment_required';
)sql",
    // 7: a device's UUID is unique within its organisation, not across all of them (one
    // tenant could otherwise squat another's UUID, and the refusal told that it existed).
    // SQLite cannot drop a column's UNIQUE constraint: the table is rebuilt (migrate() runs
    // with foreign keys off, so dropping the old table does not cascade into tokens and
    // certificates). A certificate serial names at most one device: the uplink finds the
    // device by it.
    R"sql(
CREATE TABLE devices_rebuilt (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  site TEXT NOT NULL DEFAULT '',
  expected_uuid TEXT,
  device_uuid TEXT,
  state TEXT NOT NULL CHECK (state IN ('registered','enrolled','revoked')),
  certificate_serial TEXT UNIQUE,
  certificate_not_after_ms INTEGER,
  enrolled_ms INTEGER,
  enrolled_ip TEXT,
  created_ms INTEGER NOT NULL,
  revoked_ms INTEGER,
  last_seen_ms INTEGER,
  agent_version TEXT,
  last_ip TEXT,
  UNIQUE (org_id, name),
  UNIQUE (org_id, device_uuid)
);
INSERT INTO devices_rebuilt (id, org_id, name, site, expected_uuid, device_uuid, state, certificate_serial,
                             certificate_not_after_ms, enrolled_ms, enrolled_ip, created_ms, revoked_ms,
                             last_seen_ms, agent_version, last_ip)
  SELECT id, org_id, name, site, expected_uuid, device_uuid, state, certificate_serial, certificate_not_after_ms,
         enrolled_ms, enrolled_ip, created_ms, revoked_ms, last_seen_ms, agent_version, last_ip FROM devices;
DROP TABLE devices;
ALTER TABLE devices_rebuilt RENAME TO devices;
)sql",
    // 8: renewal is acknowledged. The certificate a device renewed from stays valid until the
    // device first uses the new one, so an answer lost on the way costs no re-enrolment.
    R"sql(
ALTER TABLE devices ADD COLUMN previous_certificate_serial TEXT;
CREATE UNIQUE INDEX devices_by_previous_serial ON devices(previous_certificate_serial);
)sql",
};

}  // namespace

int schema_version() {
  return static_cast<int>(kMigrations.size());
}

void migrate(Database& db) {
  // Foreign keys off while migrating: a migration that rebuilds a table drops the old one,
  // which would otherwise cascade into the rows that refer to it. The pragma is a no-op inside
  // a transaction, so it is set before; the references are checked before the commit.
  db.execute_script("PRAGMA foreign_keys=OFF");
  struct ForeignKeysBackOn {
    Database& db;
    ~ForeignKeysBackOn() {
      try {
        db.execute_script("PRAGMA foreign_keys=ON");
      } catch (...) {  // NOLINT(bugprone-empty-catch): nothing to do in a destructor
      }
    }
  } back_on{db};
  Transaction tx(db);
  const int current = static_cast<int>(db.query_integer("PRAGMA user_version").value_or(0));
  if (current > schema_version())
    throw DatabaseError("database schema version " + std::to_string(current) +
                            " is newer than this logbot-cloud understands (" + std::to_string(schema_version()) +
                            "); run a newer release",
                        1);
  for (int version = current; version < schema_version(); ++version) {
    db.execute_script(kMigrations[static_cast<std::size_t>(version)]);
    db.execute_script("PRAGMA user_version = " + std::to_string(version + 1));
  }
  if (db.query_integer("SELECT COUNT(*) FROM pragma_foreign_key_check").value_or(0) != 0)
    throw DatabaseError("the database schema migration left rows that refer to nothing; restore a backup", 19);
  tx.commit();
}

}  // namespace logbot::cloud
