//! The lock of a singleton worker across instances: the Telegram long poller, which Telegram
//! allows only one of per bot (a second `getUpdates` gets 409 Conflict).
//!
//! On PostgreSQL the holder takes `pg_try_advisory_lock` on a connection of its own, kept out of
//! the pool while it polls: the lock lasts exactly as long as that session, so when the holder
//! dies (even by SIGKILL) the server ends the session and the next instance takes the lock on its
//! next try. On SQLite, which has no session locks, the holder keeps a row of `worker_leases`
//! and renews it before each poll; a dead holder's lease runs out after [`LEASE_SECONDS`].

use super::{Backend, Db, StorageError, timestamp};
use chrono::{DateTime, Duration, Utc};
use sqlx::{AnyConnection, Connection};

/// The advisory lock key of the Telegram poller ("SIPASTG" as bytes; any constant will do, as
/// long as no other worker uses it).
const POLLER_LOCK_KEY: i64 = 0x0053_4950_4153_5447;
/// The lease row's name.
const POLLER_LEASE: &str = "telegram-poller";
/// How long a SQLite lease lasts without renewal: longer than one long poll (25 s) and its
/// batch, so a live holder never loses it between two renewals.
pub const LEASE_SECONDS: i64 = 60;

/// The poller lock, held while it exists. Check [`PollerLock::renew`] before each poll.
#[derive(Debug)]
pub struct PollerLock {
    held: Held,
}

#[derive(Debug)]
enum Held {
    /// The session holding the advisory lock.
    Advisory(AnyConnection),
    /// The lease row held by `holder`.
    Lease { db: Db, holder: String },
}

impl Db {
    /// Takes the poller lock if no live instance holds it. `holder` names this instance
    /// (unique per process); `now` times a SQLite lease.
    pub async fn try_poller_lock(
        &self,
        holder: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PollerLock>, StorageError> {
        match self.backend {
            Backend::Postgres => {
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
            Backend::Sqlite => {
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
}

impl PollerLock {
    /// Whether the lock is still ours (and, for a lease, extends it). A lost database
    /// connection or an expired lease taken by another instance answers `false`.
    pub async fn renew(&mut self, now: DateTime<Utc>) -> bool {
        match &mut self.held {
            Held::Advisory(connection) => connection.ping().await.is_ok(),
            Held::Lease { db, holder } => db.renew_lease(holder, now).await.unwrap_or(false),
        }
    }

    /// Gives the lock up at once, so a waiting instance need not wait for it to run out.
    pub async fn release(self) {
        match self.held {
            // Closing the session releases its advisory locks.
            Held::Advisory(connection) => {
                connection.close().await.ok();
            }
            Held::Lease { db, holder } => {
                let released =
                    sqlx::query("DELETE FROM worker_leases WHERE name = $1 AND holder = $2")
                        .bind(POLLER_LEASE)
                        .bind(holder)
                        .execute(&db.pool)
                        .await;
                if let Err(err) = released {
                    tracing::warn!(%err, "cannot release the poller lease; it runs out by itself");
                }
            }
        }
    }
}
