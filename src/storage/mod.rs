//! Storage: the one place that speaks SQL. SQLite (embedded, the default) and PostgreSQL run the
//! same queries through sqlx's `Any` driver; each backend has its own migrations.
//!
//! Queries are parameterized with `$1`-style placeholders, which both backends accept. Times are
//! passed in by the caller (never read from a clock here) and stored as RFC 3339 UTC text.

mod codes;
mod comments;

mod agencies;
mod alerts;
mod assignments;
mod audit;
mod chats;
mod columns;
mod export;
mod flags;
mod flows;
mod health;
mod inbound;
mod intake_clients;
mod invitations;
mod lifecycle;
mod locks;
mod notices;
mod outbox;
mod reminders;
mod retention;
mod sessions;
mod sign_in;
mod stats;
mod strata;
mod subscriptions;
mod summaries;
mod totals;
mod users;
mod withdrawal;
pub mod zalo;
mod zalo_pause;
mod zalo_reach;
pub mod zalo_tokens;

pub use agencies::{Agency, AgencyLevel};
pub use audit::AuditEntry;
pub use codes::UnknownCode;
pub use export::{ExportRow, spreadsheet_cell};
pub use flags::{FlaggedResponse, Integrity, MANY_DOSSIERS, TOO_FAST};
pub use flows::StoredFlow;
pub use intake_clients::{IntakeClient, Revocation};
pub use invitations::{Invitation, InvitationStatus, new_token};
pub use lifecycle::{FlowStatus, FlowVersionInfo, LifecycleError};
pub use locks::{LEASE_SECONDS, Liveness, PollerLock};
pub use notices::{NewNotice, NoticeOutcome, SubmissionChannel, ZaloNotice};
pub use outbox::{Claimed, Effects, Finish, OutboxRow, OutboxStatus, Outgoing};
pub use reminders::{Reminder, ReminderStatus};
pub use retention::{DEFAULT_RETENTION_DAYS, UNLINKED_PREFIX};
pub use sessions::{OpenSession, Progress, Session, SessionOpenError, SessionStatus};
pub use stats::AgencyCounts;
pub use subscriptions::{
    RedeemError, Subscription, SubscriptionCode, SubscriptionPeriod, new_code, normalize_code,
};
pub use summaries::ResponseFacts;
pub use totals::TotalsSnapshot;
pub use users::{Account, LiveSession, Role, User};
pub use zalo_pause::ZaloPause;
pub use zalo_reach::ZaloUser;

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Connection, Executor};
use std::path::Path;
use std::str::FromStr;

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend of a `DATABASE_URL`, or `None` for a scheme we do not support.
    pub fn of_url(url: &str) -> Option<Backend> {
        let scheme = url.split_once(':').map(|(scheme, _)| scheme)?;
        match scheme {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("unsupported database URL scheme `{0}` (use sqlite: or postgres:)")]
    UnsupportedScheme(String),
    #[error("cannot create the data directory {path}: {reason}")]
    DataDirectory { path: String, reason: String },
    #[error("cannot open the database: {0}")]
    Connect(String),
    #[error("cannot migrate the database: {0}")]
    Migrate(String),
    #[error("flow {flow_id} version {version} is already published with other content")]
    PublishedVersionDiffers { flow_id: String, version: i64 },
    #[error("flow version {0} is not stored")]
    UnknownFlowVersion(i64),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Query(sqlx::Error),
}

impl StorageError {
    /// Whether trying the same work again may succeed: the database was unreachable, busy or
    /// overloaded, or chose this transaction as a deadlock or serialization victim. Anything
    /// else (a constraint the data breaks, damaged rows) fails the same way every time.
    pub fn is_transient(&self) -> bool {
        match self {
            StorageError::Query(err) => is_transient(err),
            StorageError::Connect(_) => true,
            _ => false,
        }
    }
}

fn is_transient(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => {
            let Some(code) = db.code() else {
                return false;
            };
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // SQLITE_BUSY and SQLITE_LOCKED, with their extended codes.
                code.parse::<i32>()
                    .is_ok_and(|code| matches!(code & 0xff, 5 | 6))
            } else {
                // PostgreSQL: serialization failure and deadlock (class 40), connection
                // exceptions (08), insufficient resources (53), operator intervention (57),
                // lock not available.
                ["40", "08", "53", "57"]
                    .iter()
                    .any(|class| code.starts_with(class))
                    || code == "55P03"
            }
        }
        _ => false,
    }
}

impl From<sqlx::Error> for StorageError {
    /// A column that does not decode (a bad time, an unknown status) is damaged data, not a
    /// failed query.
    fn from(err: sqlx::Error) -> StorageError {
        match err {
            sqlx::Error::ColumnDecode { index, source } => {
                StorageError::Corrupt(format!("column {index}: {source}"))
            }
            other => StorageError::Query(other),
        }
    }
}

/// A connection pool to the configured database.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// The thresholds responses are judged by when they complete.
    integrity: Integrity,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Connects to `url`. For SQLite the file (and its directory) is created on first use and
    /// put in WAL mode.
    pub async fn connect(url: &str) -> Result<Db, StorageError> {
        install_default_drivers();
        let scheme = url.split(':').next().unwrap_or_default().to_string();
        let backend = Backend::of_url(url).ok_or(StorageError::UnsupportedScheme(scheme))?;
        let mut options = AnyPoolOptions::new();
        let url = match backend {
            Backend::Sqlite => {
                prepare_sqlite_directory(url)?;
                options = options.max_connections(4).after_connect(|conn, _meta| {
                    Box::pin(async move {
                        conn.execute("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;")
                            .await?;
                        Ok(())
                    })
                });
                with_create_mode(url)
            }
            Backend::Postgres => {
                options = options
                    .max_connections(10)
                    .acquire_timeout(std::time::Duration::from_secs(10));
                url.to_string()
            }
        };
        // One direct connection first: a pool that cannot connect only reports a time-out, while
        // this says why (refused, unknown host, bad password).
        let probe = sqlx::AnyConnection::connect(&url)
            .await
            .map_err(|err| StorageError::Connect(one_line(&err)))?;
        probe.close().await.ok();
        let pool = options
            .connect(&url)
            .await
            .map_err(|err| StorageError::Connect(one_line(&err)))?;
        if backend == Backend::Sqlite {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await
                .map_err(|err| StorageError::Connect(one_line(&err)))?;
        }
        Ok(Db {
            pool,
            backend,
            integrity: Integrity::default(),
        })
    }

    /// Connects and runs the migrations: what every command does at start-up.
    pub async fn open(url: &str) -> Result<Db, StorageError> {
        let db = Db::connect(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Runs pending migrations, each in its own transaction.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&self.pool)
            .await
            .map_err(|err| StorageError::Migrate(one_line(&err)))
    }

    /// Judges responses by `integrity` from now on (set from the configuration at start-up).
    pub fn with_integrity(mut self, integrity: Integrity) -> Db {
        self.integrity = integrity;
        self
    }

    pub fn integrity(&self) -> Integrity {
        self.integrity
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Answers when the database can be reached.
    pub async fn ping(&self) -> Result<(), StorageError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Creates the directory of a `sqlite:` file URL, so a first run on a fresh machine works.
/// What it creates is the owner's only: directories 0700 and the database file 0600 (SQLite
/// gives its `-wal` and `-shm` files the database file's mode). Existing ones are left as they
/// are.
fn prepare_sqlite_directory(url: &str) -> Result<(), StorageError> {
    let path = sqlite_path(url);
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(parent)
            .map_err(|err| StorageError::DataDirectory {
                path: parent.display().to_string(),
                reason: err.to_string(),
            })?;
        let probe = parent.join(".sipas-write-check");
        std::fs::write(&probe, b"")
            .and_then(|_| std::fs::remove_file(&probe))
            .map_err(|err| StorageError::DataDirectory {
                path: parent.display().to_string(),
                reason: err.to_string(),
            })?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(StorageError::DataDirectory {
            path: path.to_string(),
            reason: err.to_string(),
        }),
    }
}

fn sqlite_path(url: &str) -> &str {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    rest.split('?').next().unwrap_or(rest)
}

/// `mode=rwc` makes SQLite create the file when it does not exist yet.
fn with_create_mode(url: &str) -> String {
    if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

fn one_line(err: &dyn std::fmt::Display) -> String {
    err.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The stored form of a time.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Reads a stored time.
pub fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, StorageError> {
    DateTime::<chrono::FixedOffset>::from_str(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| StorageError::Corrupt(format!("bad time {text:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_are_recognised() {
        assert_eq!(Backend::of_url("sqlite://data/x.db"), Some(Backend::Sqlite));
        assert_eq!(
            Backend::of_url("postgres://u@h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::of_url("postgresql://u@h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::of_url("mysql://u@h/db"), None);
        assert_eq!(Backend::of_url("nonsense"), None);
    }

    #[test]
    fn sqlite_urls_get_create_mode() {
        assert_eq!(with_create_mode("sqlite://a.db"), "sqlite://a.db?mode=rwc");
        assert_eq!(
            with_create_mode("sqlite://a.db?x=1"),
            "sqlite://a.db?x=1&mode=rwc"
        );
        assert_eq!(
            with_create_mode("sqlite://a.db?mode=ro"),
            "sqlite://a.db?mode=ro"
        );
        assert_eq!(sqlite_path("sqlite://./data/s.db?mode=rwc"), "./data/s.db");
    }
}
