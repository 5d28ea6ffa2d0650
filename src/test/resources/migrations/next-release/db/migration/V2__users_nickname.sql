-- A later release's script that applies: an optional column.
ALTER TABLE users ADD COLUMN nickname TEXT;
