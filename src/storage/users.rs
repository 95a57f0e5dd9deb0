//! Console users (admins, agency managers, viewers), their sign-in failures and web sessions.
//! Passwords arrive here already hashed (argon2); session tokens arrive hashed too. A disabled
//! user has no live session: [`Db::web_session`] only finds sessions of enabled accounts.

use super::codes::stored_code;
use super::columns::{Flag, MaybeStamp, Stamp};
use super::{Db, StorageError, timestamp};
use chrono::{DateTime, Utc};

stored_code! {
    /// What a console user may do: everything, their agency subtree's flows, or only look.
    #[derive(serde::Serialize)]
    #[serde(rename_all = "lowercase")]
    pub enum Role("role") {
        Admin = "admin",
        Manager = "manager",
        Viewer = "viewer",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub login: String,
    pub role: Role,
    /// The subtree a manager manages.
    pub agency_code: Option<String>,
    pub password_hash: String,
    pub failed_attempts: i64,
    #[sqlx(try_from = "MaybeStamp")]
    pub locked_until: Option<DateTime<Utc>>,
}

/// A web session as stored.
#[derive(sqlx::FromRow)]
struct WebSession {
    login: String,
    csrf_token: String,
    #[sqlx(try_from = "Stamp")]
    expires_at: DateTime<Utc>,
    /// When the session was last used (its creation until then).
    #[sqlx(try_from = "Stamp")]
    last_seen: DateTime<Utc>,
}

/// A user with the state of their account, for the sign-in and the users page.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Account {
    #[sqlx(flatten)]
    pub user: User,
    /// The password was printed by `admin add`: it must be changed before anything else.
    #[sqlx(try_from = "Flag")]
    pub must_change_password: bool,
    #[sqlx(try_from = "Flag")]
    pub disabled: bool,
}

/// A live session: its user, its CSRF token, and whether the password must change first.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub user: User,
    pub csrf: String,
    pub must_change_password: bool,
    /// When the session was last used: the console ends it after `ADMIN_SESSION_IDLE_MINUTES`.
    pub last_seen: DateTime<Utc>,
}

const ACCOUNT_SELECT: &str = "SELECT login, password_hash, role, agency_code, failed_attempts,
    locked_until, must_change_password, disabled FROM users";

impl Db {
    /// Creates a user; `false` when the login is taken.
    pub async fn create_user(
        &self,
        user: &User,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO users (login, password_hash, role, agency_code, failed_attempts, created_at)
             VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (login) DO NOTHING",
        )
        .bind(&user.login)
        .bind(&user.password_hash)
        .bind(user.role)
        .bind(user.agency_code.as_deref())
        .bind(timestamp(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(false);
        }
        let after = format!(
            "{} {}",
            user.role.code(),
            user.agency_code.as_deref().unwrap_or("*")
        );
        super::audit::audit(
            &mut tx,
            actor,
            "user.add",
            &user.login,
            None,
            Some(&after),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn user(&self, login: &str) -> Result<Option<User>, StorageError> {
        Ok(sqlx::query_as(
            "SELECT login, password_hash, role, agency_code, failed_attempts, locked_until FROM users WHERE login = $1",
        )
        .bind(login)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn create_web_session(
        &self,
        token_hash: &str,
        login: &str,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO web_sessions (token_hash, login, csrf_token, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(login)
        .bind(csrf_token)
        .bind(timestamp(expires_at))
        .bind(timestamp(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user and CSRF token of a live session of an enabled account.
    pub async fn web_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<LiveSession>, StorageError> {
        let session: Option<WebSession> = sqlx::query_as(
            "SELECT login, csrf_token, expires_at, COALESCE(last_seen_at, created_at) AS last_seen
             FROM web_sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(session) = session.filter(|session| session.expires_at > now) else {
            return Ok(None);
        };
        Ok(self
            .account(&session.login)
            .await?
            .filter(|account| !account.disabled)
            .map(|account| LiveSession {
                user: account.user,
                csrf: session.csrf_token,
                must_change_password: account.must_change_password,
                last_seen: session.last_seen,
            }))
    }

    /// Records that a session was used at `now`.
    pub async fn touch_web_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        sqlx::query("UPDATE web_sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(timestamp(now))
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_web_session(&self, token_hash: &str) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM web_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn account(&self, login: &str) -> Result<Option<Account>, StorageError> {
        Ok(
            sqlx::query_as(&format!("{ACCOUNT_SELECT} WHERE login = $1"))
                .bind(login)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Every account, by login.
    pub async fn accounts(&self) -> Result<Vec<Account>, StorageError> {
        Ok(sqlx::query_as(&format!("{ACCOUNT_SELECT} ORDER BY login"))
            .fetch_all(&self.pool)
            .await?)
    }

    /// Marks a password as one to change at the next sign-in (one printed by `admin add`).
    pub async fn require_password_change(&self, login: &str) -> Result<(), StorageError> {
        sqlx::query("UPDATE users SET must_change_password = 1 WHERE login = $1")
            .bind(login)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores a new password hash chosen by its user, audited (without the hash). Every other
    /// session of the user ends: whoever knew the old password is signed out.
    pub async fn set_password(
        &self,
        login: &str,
        password_hash: &str,
        keep_session: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = 0 WHERE login = $2",
        )
        .bind(password_hash)
        .bind(login)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM web_sessions WHERE login = $1 AND token_hash <> $2")
            .bind(login)
            .bind(keep_session)
            .execute(&mut *tx)
            .await?;
        super::audit::audit(&mut tx, login, "user.password", login, None, None, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Disables an account and ends all its sessions at once; `false` when there is no such
    /// login or it was already disabled.
    pub async fn disable_user(
        &self,
        login: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let mut tx = self.pool.begin().await?;
        let updated =
            sqlx::query("UPDATE users SET disabled = 1 WHERE login = $1 AND disabled = 0")
                .bind(login)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if updated == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM web_sessions WHERE login = $1")
            .bind(login)
            .execute(&mut *tx)
            .await?;
        super::audit::audit(&mut tx, actor, "user.disable", login, None, None, now).await?;
        tx.commit().await?;
        Ok(true)
    }
}
