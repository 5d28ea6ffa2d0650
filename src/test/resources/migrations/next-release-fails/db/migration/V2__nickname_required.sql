-- A later release's script that fails on a database that holds users: a required column without a default.
ALTER TABLE users ADD COLUMN nickname TEXT NOT NULL;
