-- The console holds against its own users: a password printed by `admin add` must be changed at
-- the first sign-in, and an admin can disable an account (its sessions end at once).

ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN disabled BIGINT NOT NULL DEFAULT 0;
