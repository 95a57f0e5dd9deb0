//! The OA's access token, kept fresh. The access token lives 25 hours; the refresh token lives
//! 3 months, is single-use and rotates on every refresh. So:
//!
//! * one refresh at a time: in this process behind a mutex, across instances behind a short
//!   claim on the token row ([`Db::claim_zalo_refresh`]). No transaction or database lock is
//!   held during the OAuth call, so a hanging OAuth host delays only the Zalo sends that need a
//!   token, never the notices or webhooks that write to the database; an instance that finds
//!   the row claimed waits for the other's result and uses it instead of refreshing twice;
//! * the new pair is stored (one short statement) before the new access token is used, so a
//!   crash right after a refresh keeps the chain;
//! * a refresh token the OAuth server refuses pauses the Zalo sender (see
//!   [`super::pause`]); it is never retried in a loop, and only Zalo's `error_name` is logged;
//! * an access token is refreshed [`REFRESH_MARGIN`] before it expires, and the refresh token is
//!   rotated when [`ROTATE_REFRESH_AFTER`] old even if the OA sends nothing ([`rotate_if_due`]);
//! * a call refused with -216/-220 refreshes and retries once, never more ([`TokenManager::call`]).
//!
//! [`rotate_if_due`]: TokenManager::rotate_if_due

use super::api::{Sent, ZaloApi};
use super::errors::{ErrorClass, ZaloError};
use super::messages::OutboundMessage;
use super::phone::PhoneNumber;
use super::seal::Sealer;
use super::settings::ZaloSettings;
use crate::core::clock::Clock;
use crate::settings::config::Secret;
use crate::storage::Db;
use crate::storage::zalo_tokens::{RefreshClaim, ZaloTokenRow};
use chrono::{DateTime, Duration, Utc};
use std::future::Future;
use std::sync::Arc;

/// An access token is replaced when less than this remains of its life.
pub const REFRESH_MARGIN: Duration = Duration::hours(1);

/// A refresh token is rotated when this old, well before its 3 months run out.
pub const ROTATE_REFRESH_AFTER: Duration = Duration::days(30);

/// How long a refresh claim lasts: well over one OAuth call ([`super::api::REQUEST_TIMEOUT`]),
/// so a live claim is never taken over; a dead instance's claim runs out after it.
pub const CLAIM: Duration = Duration::seconds(30);

/// How often an instance waiting on another's claim looks at the row again, and for how long
/// (real time) it waits before answering a transient failure.
const CLAIM_POLL: std::time::Duration = std::time::Duration::from_millis(100);
const CLAIM_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// After a refresh that could not reach OAuth (time-out, refused connection), other sends fail
/// at once for this long instead of each waiting out its own time-out in turn.
pub const REFRESH_BACKOFF: std::time::Duration = std::time::Duration::from_secs(30);

pub struct TokenManager {
    db: Db,
    api: ZaloApi,
    oa_id: String,
    seed_refresh_token: Secret,
    /// Seals the tokens before they are stored, opens them when read.
    sealer: Sealer,
    clock: Arc<dyn Clock>,
    /// This instance's name in refresh claims.
    owner: String,
    /// When a refresh last failed to reach OAuth (tokio's monotonic time).
    unreachable_since: std::sync::Mutex<Option<tokio::time::Instant>>,
    /// The last pair seen. The mutex also keeps this process to one refresh at a time, so its
    /// tasks queue here rather than on the database lock.
    current: tokio::sync::Mutex<Option<ZaloTokenRow>>,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("oa_id", &self.oa_id)
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    pub fn new(db: Db, api: ZaloApi, settings: &ZaloSettings, clock: Arc<dyn Clock>) -> Self {
        TokenManager {
            db,
            api,
            oa_id: settings.oa_id.clone(),
            seed_refresh_token: settings.refresh_token.clone(),
            sealer: Sealer::new(&settings.secret_key, &settings.oa_id),
            clock,
            owner: format!("zalo-token-{}", crate::storage::new_token()),
            unreachable_since: std::sync::Mutex::new(None),
            current: tokio::sync::Mutex::new(None),
        }
    }

    pub fn api(&self) -> &ZaloApi {
        &self.api
    }

    /// A valid access token: the one in memory, else the stored one, else a fresh one.
    pub async fn access_token(&self) -> Result<Secret, ZaloError> {
        let now = self.clock.now();
        let mut current = self.current.lock().await;
        if let Some(token) = current.as_ref().and_then(|row| usable(row, now)) {
            return Ok(token);
        }
        if let Some(row) = self.db.zalo_token(&self.oa_id).await? {
            let row = self.open_row(row)?;
            let token = usable(&row, now);
            *current = Some(row);
            if let Some(token) = token {
                return Ok(token);
            }
        }
        let (token, _) = self
            .refresh_locked(&mut current, |row, now| usable(row, now).is_none())
            .await?;
        Ok(token)
    }

    /// Replaces `stale` (an access token Zalo refused), unless another task or instance already
    /// has.
    pub async fn refresh(&self, stale: &Secret) -> Result<Secret, ZaloError> {
        let mut current = self.current.lock().await;
        let (token, _) = self
            .refresh_locked(&mut current, |row, now| {
                row.access_token.as_ref() == Some(stale) || usable(row, now).is_none()
            })
            .await?;
        Ok(token)
    }

    /// Refreshes when the access token is near its end or the refresh token is
    /// [`ROTATE_REFRESH_AFTER`] old: for a periodic worker, so an idle OA keeps its chain.
    /// `true` when it refreshed.
    pub async fn rotate_if_due(&self) -> Result<bool, ZaloError> {
        let mut current = self.current.lock().await;
        let (_, refreshed) = self
            .refresh_locked(&mut current, |row, now| {
                usable(row, now).is_none() || now - row.refresh_issued_at >= ROTATE_REFRESH_AFTER
            })
            .await?;
        Ok(refreshed)
    }

    /// Refreshes now, whatever the stored token's age (`sipas-bot zalo check` proves the chain
    /// works); the new pair is stored before it is returned.
    pub async fn refresh_now(&self) -> Result<Secret, ZaloError> {
        let mut current = self.current.lock().await;
        let (token, _) = self.refresh_locked(&mut current, |_, _| true).await?;
        Ok(token)
    }

    /// Runs `call` with an access token; when Zalo refuses the token (-216, -220), refreshes and
    /// runs it once more.
    pub async fn call<T, F, Fut>(&self, call: F) -> Result<T, ZaloError>
    where
        F: Fn(Secret) -> Fut,
        Fut: Future<Output = Result<T, ZaloError>>,
    {
        let token = self.access_token().await?;
        match call(token.clone()).await {
            Err(err) if err.class() == ErrorClass::Token => {
                tracing::info!(code = ?err.code(), "Zalo refused the access token; refreshing");
                let fresh = self.refresh(&token).await?;
                call(fresh).await
            }
            other => other,
        }
    }

    /// A consultation message, with the token handled.
    pub async fn send_consultation(
        &self,
        user_id: &str,
        message: &OutboundMessage,
    ) -> Result<Sent, ZaloError> {
        self.call(|token| async move { self.api.send_consultation(&token, user_id, message).await })
            .await
    }

    /// A template message by user id, with the token handled.
    pub async fn send_template_to_user(
        &self,
        user_id: &str,
        template_id: &str,
        template_data: &serde_json::Value,
    ) -> Result<Sent, ZaloError> {
        self.call(|token| async move {
            self.api
                .send_template_to_user(&token, user_id, template_id, template_data)
                .await
        })
        .await
    }

    /// A template message by phone, with the token handled.
    pub async fn send_template_to_phone(
        &self,
        phone: &PhoneNumber,
        template_id: &str,
        template_data: &serde_json::Value,
        tracking_id: &str,
    ) -> Result<Sent, ZaloError> {
        self.call(|token| async move {
            self.api
                .send_template_to_phone(&token, phone, template_id, template_data, tracking_id)
                .await
        })
        .await
    }

    /// Claims the refresh, and refreshes if `needed` still says so once claimed; waits for
    /// another instance's claim to end and uses its result. The token, and whether this call
    /// refreshed it.
    async fn refresh_locked(
        &self,
        current: &mut Option<ZaloTokenRow>,
        needed: impl Fn(&ZaloTokenRow, DateTime<Utc>) -> bool,
    ) -> Result<(Secret, bool), ZaloError> {
        let started = tokio::time::Instant::now();
        let recently_failed = self
            .unreachable_since
            .lock()
            .map(|at| at.is_some_and(|at| at.elapsed() < REFRESH_BACKOFF))
            .unwrap_or(false);
        if recently_failed {
            return Err(ZaloError::Transport(
                "the OAuth server could not be reached moments ago".into(),
            ));
        }
        let row = loop {
            let now = self.clock.now();
            let claim = self
                .db
                .claim_zalo_refresh(
                    &self.oa_id,
                    &self.sealer.seal(REFRESH_COLUMN, &self.seed_refresh_token),
                    &self.owner,
                    now,
                    now + CLAIM,
                )
                .await?;
            match claim {
                RefreshClaim::Claimed(row) => match self.open_row(row) {
                    Ok(row) => break row,
                    Err(err) => {
                        self.db.release_zalo_claim(&self.oa_id, &self.owner).await?;
                        return Err(err);
                    }
                },
                RefreshClaim::Busy(row) => {
                    let row = self.open_row(row)?;
                    if !needed(&row, now)
                        && let Some(token) = usable(&row, now)
                    {
                        // Another instance refreshed while we waited.
                        *current = Some(row);
                        return Ok((token, false));
                    }
                    if started.elapsed() >= CLAIM_WAIT {
                        return Err(ZaloError::Transport(
                            "another instance is still refreshing the Zalo token".into(),
                        ));
                    }
                    tokio::time::sleep(CLAIM_POLL).await;
                }
            }
        };
        let now = self.clock.now();
        if !needed(&row, now)
            && let Some(token) = usable(&row, now)
        {
            *current = Some(row);
            self.db.release_zalo_claim(&self.oa_id, &self.owner).await?;
            return Ok((token, false));
        }
        // Outside any transaction: the claim row is all that is held.
        let grant = match self.api.refresh(&row.refresh_token).await {
            Ok(grant) => grant,
            Err(err) => {
                match &err {
                    ZaloError::Refresh {
                        code, error_name, ..
                    } => tracing::error!(
                        code,
                        error_name = %error_name,
                        generation = row.generation,
                        "Zalo refused the refresh token; the OA must be authorized again"
                    ),
                    other => {
                        tracing::error!(
                            error = %other,
                            generation = row.generation,
                            "Zalo token refresh failed"
                        );
                        if let Ok(mut since) = self.unreachable_since.lock() {
                            *since = Some(tokio::time::Instant::now());
                        }
                    }
                }
                self.db.release_zalo_claim(&self.oa_id, &self.owner).await?;
                return Err(err);
            }
        };
        let expires_at = now + Duration::seconds(grant.expires_in);
        // The refresh token Zalo just issued is the only one alive: store it before anything
        // uses the new access token. A passing storage failure is tried again a few times,
        // since losing this token loses the OA's authorization.
        let mut tries = 0;
        let row = loop {
            match self
                .db
                .store_zalo_refresh(
                    &self.oa_id,
                    &self.owner,
                    &self.sealer.seal(ACCESS_COLUMN, &grant.access_token),
                    expires_at,
                    &self.sealer.seal(REFRESH_COLUMN, &grant.refresh_token),
                    now,
                )
                .await
            {
                Ok(row) => break self.open_row(row)?,
                Err(err) if err.is_transient() && tries < 5 => {
                    tries += 1;
                    tracing::warn!(%err, "storing the new Zalo token failed; trying again");
                    tokio::time::sleep(std::time::Duration::from_millis(200 * tries)).await;
                }
                Err(err) => return Err(err.into()),
            }
        };
        tracing::info!(generation = row.generation, "Zalo token refreshed");
        *current = Some(row);
        Ok((grant.access_token, true))
    }
}

const ACCESS_COLUMN: &str = "access_token";
const REFRESH_COLUMN: &str = "refresh_token";

impl TokenManager {
    /// A stored row with its tokens opened.
    fn open_row(&self, row: ZaloTokenRow) -> Result<ZaloTokenRow, ZaloError> {
        Ok(ZaloTokenRow {
            access_token: row
                .access_token
                .as_ref()
                .map(|token| self.sealer.open(ACCESS_COLUMN, token))
                .transpose()?,
            refresh_token: self.sealer.open(REFRESH_COLUMN, &row.refresh_token)?,
            ..row
        })
    }

    /// After the OA was authorized again: the configured first refresh token
    /// (`ZALO_REFRESH_TOKEN`) replaces the stored chain, unless it is the one already stored.
    /// `true` when it replaced it.
    pub async fn reseed(&self) -> Result<bool, ZaloError> {
        let mut current = self.current.lock().await;
        if self.stored_refresh_token().await? == Some(self.seed_refresh_token.clone()) {
            return Ok(false);
        }
        self.db
            .reseed_zalo_token(
                &self.oa_id,
                &self.sealer.seal(REFRESH_COLUMN, &self.seed_refresh_token),
                self.clock.now(),
            )
            .await?;
        *current = None;
        Ok(true)
    }

    /// The refresh token stored now, opened (for checks and tests).
    pub async fn stored_refresh_token(&self) -> Result<Option<Secret>, ZaloError> {
        match self.db.zalo_token(&self.oa_id).await? {
            Some(row) => Ok(Some(self.open_row(row)?.refresh_token)),
            None => Ok(None),
        }
    }
}

/// The access token of `row`, if it has more than [`REFRESH_MARGIN`] to live.
fn usable(row: &ZaloTokenRow, now: DateTime<Utc>) -> Option<Secret> {
    match (&row.access_token, row.access_expires_at) {
        (Some(token), Some(expires_at)) if expires_at - REFRESH_MARGIN > now => Some(token.clone()),
        _ => None,
    }
}
