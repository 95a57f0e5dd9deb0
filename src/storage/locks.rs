//! Locks that end with the process holding them, so a restarted instance takes over at once:
//!
//! - the lock of a singleton worker across instances: the Telegram long poller, which Telegram
//!   allows only one of per bot (a second `getUpdates` gets 409 Conflict);
//! - each delivery worker's liveness ([`Liveness`]): while it holds it, the outbox rows it
//!   leased are its own; once it is gone, another instance takes them over at once
//!   ([`Db::free_dead_leases`]), not when their lease runs out.
//!
//! On PostgreSQL both are advisory locks on a connection of their own, kept out of the pool: a
//! lock lasts exactly as long as that session, so when the holder dies (even by SIGKILL) the
//! server ends the session and the lock with it. On SQLite they are OS file locks
//! (`File::try_lock`, `flock` on Linux) on files beside the database — `<db>.poller.lock`, and
//! one file per worker under `<db>.instances/` — which the kernel frees when the process dies.
//! The poller still writes its row of `worker_leases`, to show who polls; the row no longer
//! decides. An in-memory SQLite database (no file) falls back on the row and its
//! [`LEASE_SECONDS`], and on the outbox leases.

use super::{Backend, Db, StorageError, timestamp};
use chrono::{DateTime, Duration, Utc};
use sqlx::{AnyConnection, Connection};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// The advisory lock key of the Telegram poller ("SIPASTG" as bytes; any constant will do, as
/// long as no other worker uses it).
const POLLER_LOCK_KEY: i64 = 0x0053_4950_4153_5447;
/// The lease row's name.
const POLLER_LEASE: &str = "telegram-poller";
/// How long a SQLite lease lasts without renewal: longer than one long poll (25 s) and its
/// batch, so a live holder never loses it between two renewals. It decides only for an
/// in-memory database; with a file, the file lock does.
pub const LEASE_SECONDS: i64 = 60;
/// The high half of every liveness key ("SIPA" as bytes), apart from the poller's key, so the
/// workers' locks never meet another use of advisory locks.
const LIVENESS_KEY_HIGH: i64 = 0x5349_5041;

/// The poller lock, held while it exists. Check [`PollerLock::renew`] before each poll.
#[derive(Debug)]
pub struct PollerLock {
    held: Held,
}

#[derive(Debug)]
enum Held {
    /// The session holding the advisory lock.
    Advisory(AnyConnection),
    /// The lease row held by `holder` (an in-memory SQLite database).
    Lease { db: Db, holder: String },
    /// The file lock beside a SQLite database, and the row that shows who holds it.
    File { _file: File, db: Db, holder: String },
}

/// A delivery worker's proof of life, held from its first claim until it is dropped or the
/// process dies. See [`Db::hold_liveness`].
#[derive(Debug)]
pub struct Liveness {
    _held: LiveHeld,
}

#[derive(Debug)]
enum LiveHeld {
    /// Held by the session itself; dropping the connection ends it.
    Advisory {
        _session: AnyConnection,
    },
    File {
        _file: File,
        path: PathBuf,
    },
    /// An in-memory database: nothing outlives the process anyway.
    Nothing,
}

impl Drop for LiveHeld {
    fn drop(&mut self) {
        if let LiveHeld::File { path, .. } = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn io_error(path: &Path, err: std::io::Error) -> StorageError {
    StorageError::DataDirectory {
        path: path.display().to_string(),
        reason: err.to_string(),
    }
}

/// Only owner names made of these characters get a file or a `LIKE` pattern (ours are
/// `telegram-<pid>-<hex>`).
pub(super) fn plain_owner(owner: &str) -> bool {
    !owner.is_empty()
        && owner.len() <= 100
        && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// The advisory lock key of `owner`'s liveness: a fixed high half, the low half from its name.
fn liveness_key(owner: &str) -> i64 {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(owner.as_bytes());
    let low = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    (LIVENESS_KEY_HIGH << 32) | i64::from(low)
}

/// Opens (creating) `path` and tries its lock: `None` while another holds it.
fn try_lock_file(path: &Path) -> Result<Option<File>, StorageError> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|err| io_error(path, err))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(err)) => Err(io_error(path, err)),
    }
}

/// `path` with `suffix` added to its file name (`sipas.db` → `sipas.db.poller.lock`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

impl Db {
    /// Takes the poller lock if no live instance holds it. `holder` names this instance
    /// (unique per process); `now` times the row.
    pub async fn try_poller_lock(
        &self,
        holder: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PollerLock>, StorageError> {
        match (self.backend, self.sqlite_file()) {
            (Backend::Postgres, _) => {
                let mut connection = self.pool.acquire().await?.detach();
                let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(POLLER_LOCK_KEY)
                    .fetch_one(&mut connection)
                    .await?;
                if taken {
                    Ok(Some(PollerLock {
                        held: Held::Advisory(connection),
                    }))
                } else {
                    connection.close().await.ok();
                    Ok(None)
                }
            }
            (Backend::Sqlite, Some(database)) => {
                let Some(file) = try_lock_file(&with_suffix(&database, ".poller.lock"))? else {
                    return Ok(None);
                };
                // Ours now: the row follows, whoever it named (a dead holder's row is stale).
                self.write_lease(holder, now).await?;
                Ok(Some(PollerLock {
                    held: Held::File {
                        _file: file,
                        db: self.clone(),
                        holder: holder.to_string(),
                    },
                }))
            }
            (Backend::Sqlite, None) => {
                if self.renew_lease(holder, now).await? {
                    Ok(Some(PollerLock {
                        held: Held::Lease {
                            db: self.clone(),
                            holder: holder.to_string(),
                        },
                    }))
                } else {
                    Ok(None)
                }
            }
        }
    }

    /// The SQLite database's file, when it has one (not in memory, not PostgreSQL).
    fn sqlite_file(&self) -> Option<PathBuf> {
        if self.backend != Backend::Sqlite {
            return None;
        }
        let options = self.pool.connect_options();
        let url = options.database_url.as_str();
        let path = super::sqlite_path(url);
        (!path.is_empty() && !path.starts_with(":memory:") && !url.contains("mode=memory"))
            .then(|| PathBuf::from(path))
    }

    /// The directory of the workers' liveness files beside a SQLite database.
    fn instances_dir(&self) -> Option<PathBuf> {
        self.sqlite_file()
            .map(|database| with_suffix(&database, ".instances"))
    }

    /// Writes the poller's row for `holder`, whoever held it: the file lock is ours.
    async fn write_lease(&self, holder: &str, now: DateTime<Utc>) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO worker_leases (name, holder, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,
                 expires_at = excluded.expires_at",
        )
        .bind(POLLER_LEASE)
        .bind(holder)
        .bind(timestamp(now + Duration::seconds(LEASE_SECONDS)))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes or extends the lease for `holder`: it succeeds when the row is free, expired or
    /// already ours.
    async fn renew_lease(&self, holder: &str, now: DateTime<Utc>) -> Result<bool, StorageError> {
        let until = timestamp(now + Duration::seconds(LEASE_SECONDS));
        let result = sqlx::query(
            "INSERT INTO worker_leases (name, holder, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,
                 expires_at = excluded.expires_at
             WHERE worker_leases.holder = excluded.holder OR worker_leases.expires_at < $4",
        )
        .bind(POLLER_LEASE)
        .bind(holder)
        .bind(until)
        .bind(timestamp(now))
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Takes the liveness lock of the delivery worker `owner` (unique per process start) and
    /// holds it until the [`Liveness`] is dropped or the process dies.
    pub async fn hold_liveness(&self, owner: &str) -> Result<Liveness, StorageError> {
        let held = match self.backend {
            Backend::Postgres => {
                let mut connection = self.pool.acquire().await?.detach();
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(liveness_key(owner))
                    .execute(&mut connection)
                    .await?;
                LiveHeld::Advisory {
                    _session: connection,
                }
            }
            Backend::Sqlite => match (self.instances_dir(), plain_owner(owner)) {
                (Some(dir), true) => {
                    std::fs::create_dir_all(&dir).map_err(|err| io_error(&dir, err))?;
                    let path = dir.join(format!("{owner}.lock"));
                    let Some(file) = try_lock_file(&path)? else {
                        return Err(StorageError::Corrupt(format!(
                            "the liveness lock of {owner} is held by another"
                        )));
                    };
                    LiveHeld::File { _file: file, path }
                }
                _ => LiveHeld::Nothing,
            },
        };
        Ok(Liveness { _held: held })
    }

    /// Whether the delivery worker `owner` is alive: `Some(false)` once its liveness lock is
    /// gone (it died, or it never took one), `None` when this database cannot tell (in memory).
    pub(super) async fn owner_alive(&self, owner: &str) -> Result<Option<bool>, StorageError> {
        if self.backend == Backend::Postgres {
            let key = liveness_key(owner);
            let alive: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM pg_locks
                                WHERE locktype = 'advisory' AND granted AND objsubid = 1
                                  AND classid::bigint = $1 AND objid::bigint = $2
                                  AND database = (SELECT oid FROM pg_database
                                                  WHERE datname = current_database()))",
            )
            .bind(key >> 32)
            .bind(key & 0xFFFF_FFFF)
            .fetch_one(&self.pool)
            .await?;
            return Ok(Some(alive));
        }
        let (Some(dir), true) = (self.instances_dir(), plain_owner(owner)) else {
            return Ok(None);
        };
        let path = dir.join(format!("{owner}.lock"));
        if !path.exists() {
            return Ok(Some(false));
        }
        match try_lock_file(&path)? {
            // Free: its holder is gone, and its file goes too.
            Some(file) => {
                let _ = std::fs::remove_file(&path);
                drop(file);
                Ok(Some(false))
            }
            None => Ok(Some(true)),
        }
    }
}

impl PollerLock {
    /// Whether the lock is still ours (and, for a lease, extends it). A lost database
    /// connection or an expired lease taken by another instance answers `false`.
    pub async fn renew(&mut self, now: DateTime<Utc>) -> bool {
        match &mut self.held {
            Held::Advisory(connection) => connection.ping().await.is_ok(),
            Held::Lease { db, holder } => db.renew_lease(holder, now).await.unwrap_or(false),
            // The file lock is ours until it is dropped; the row only shows who polls.
            Held::File { db, holder, .. } => {
                if let Err(err) = db.write_lease(holder, now).await {
                    tracing::warn!(%err, "cannot write the poller's row");
                }
                true
            }
        }
    }

    /// Gives the lock up at once, so a waiting instance need not wait for it to run out.
    pub async fn release(self) {
        match self.held {
            // Unlocked in the session first: closing alone frees the lock only once the server
            // has ended the session, which comes after `close` returns (another instance's
            // attempt right after could still find it held).
            Held::Advisory(mut connection) => {
                let unlocked: Result<bool, _> = sqlx::query_scalar("SELECT pg_advisory_unlock($1)")
                    .bind(POLLER_LOCK_KEY)
                    .fetch_one(&mut connection)
                    .await;
                if let Err(err) = unlocked {
                    tracing::warn!(%err, "cannot unlock the poller; it ends with its session");
                }
                connection.close().await.ok();
            }
            Held::Lease { db, holder } | Held::File { db, holder, .. } => {
                let released =
                    sqlx::query("DELETE FROM worker_leases WHERE name = $1 AND holder = $2")
                        .bind(POLLER_LEASE)
                        .bind(holder)
                        .execute(&db.pool)
                        .await;
                if let Err(err) = released {
                    tracing::warn!(%err, "cannot release the poller's row; it runs out by itself");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liveness_keys_share_their_high_half_and_differ_by_owner() {
        let a = liveness_key("telegram-1-0000abcd");
        let b = liveness_key("telegram-1-0000abce");
        assert_eq!(a >> 32, LIVENESS_KEY_HIGH);
        assert_eq!(b >> 32, LIVENESS_KEY_HIGH);
        assert_ne!(a, b);
        assert!(plain_owner("Zalo-42-DEADBEEF"));
        assert!(!plain_owner("../etc"));
        assert!(!plain_owner("a%b"));
        assert_eq!(
            with_suffix(Path::new("data/sipas.db"), ".poller.lock"),
            PathBuf::from("data/sipas.db.poller.lock")
        );
    }
}
