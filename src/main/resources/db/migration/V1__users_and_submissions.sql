-- Version 1: the schema every build before versioned migrations created by hand at each start (CREATE ... IF
-- NOT EXISTS). A database made by such a build is adopted as version 1 without running this script
-- (storage/Migrations). A released script is never edited: Flyway checks each applied script's checksum, and a
-- change is a new version (V2__...sql).

-- Uniqueness of usernames and emails, ignoring case, is the database's job (UserStore).
CREATE TABLE users (
  id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username      TEXT NOT NULL,
  email         TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  country       CHAR(2) NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

-- A submission token (the form's token or an Idempotency-Key) and the user it created, stored in the same
-- statement; fingerprint is what that request asked for (RequestFingerprint): a repeat must ask the same.
CREATE TABLE submissions (
  token       TEXT PRIMARY KEY,
  user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  fingerprint TEXT
);
