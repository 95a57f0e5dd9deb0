//! The Zalo sender's pause. An error no retry can cure — a configuration error on either host
//! (the app or API not activated, the OA not verified or its tier too low, content policy, a
//! template not approved or not sendable by user id, the balance) or a refresh token the OAuth
//! server refused — pauses every Zalo send of the OA: the rows wait in the outbox (none is
//! failed one by one), `/healthz` answers 503 naming `zalo`, the metrics count it and the
//! console shows a banner, until an operator resumes (`sipas-bot zalo resume`, or the console's
//! button), which makes every waiting row due at once.
//!
//! The pause is a database row, so every instance and a restart see it.

use super::errors::ZaloError;
use crate::core::clock::Clock;
use crate::storage::{Db, StorageError, ZaloPause};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// How often a paused sender looks again at a waiting row (a database read, no call to Zalo).
/// Short, so a row whose pass was under way when an operator resumed waits at most this long.
pub const PAUSE_RECHECK: std::time::Duration = std::time::Duration::from_secs(60);

/// Counts the errors that paused the sender, by host and code.
pub const CONFIGURATION_ERRORS: &str = "sipas_zalo_configuration_errors_total";
/// 1 while the Zalo sender is paused, as this instance last saw it.
pub const PAUSED: &str = "sipas_zalo_paused";

/// The pause of one OA's sender.
#[derive(Debug, Clone)]
pub struct PauseSwitch {
    db: Db,
    oa_id: String,
    clock: Arc<dyn Clock>,
}

impl PauseSwitch {
    pub fn new(db: Db, oa_id: String, clock: Arc<dyn Clock>) -> PauseSwitch {
        PauseSwitch { db, oa_id, clock }
    }

    /// Whether the sender is paused now (and why).
    pub async fn paused(&self) -> Result<Option<ZaloPause>, StorageError> {
        let pause = self.db.zalo_pause(&self.oa_id).await?;
        metrics::gauge!(PAUSED).set(if pause.is_some() { 1.0 } else { 0.0 });
        Ok(pause)
    }

    /// Pauses the sender for `err` (a class that [`super::ErrorClass::pauses`]); logged once,
    /// counted each time. Never logs a token: only the host, the code and Zalo's message or
    /// `error_name`.
    pub async fn pause(&self, err: &ZaloError) {
        let pause = pause_of(err, self.clock.now());
        metrics::counter!(CONFIGURATION_ERRORS, "host" => pause.host.clone(), "code" => pause.code.to_string())
            .increment(1);
        metrics::gauge!(PAUSED).set(1.0);
        match self.db.pause_zalo(&self.oa_id, &pause).await {
            Ok(true) => tracing::error!(
                host = %pause.host,
                code = pause.code,
                reason = %pause.reason,
                "the Zalo sender is paused until an operator resumes it (sipas-bot zalo resume)"
            ),
            Ok(false) => {}
            Err(storage) => tracing::error!(%storage, "could not record the Zalo sender's pause"),
        }
    }
}

/// The row that records why `err` paused the sender.
pub fn pause_of(err: &ZaloError, now: DateTime<Utc>) -> ZaloPause {
    let (code, reason) = match err {
        ZaloError::Api { code, message, .. } => (*code, message.clone()),
        ZaloError::Refresh {
            code,
            error_name,
            message,
        } => (
            *code,
            if error_name.is_empty() {
                message.clone()
            } else {
                error_name.clone()
            },
        ),
        other => (0, other.to_string()),
    };
    ZaloPause {
        host: err.host().map_or("zalo", |host| host.name()).to_string(),
        code,
        reason: reason.chars().take(300).collect(),
        paused_at: now,
    }
}

/// Resumes every paused Zalo sender (the operator's action): its waiting rows become due now.
pub async fn resume(db: &Db, now: DateTime<Utc>) -> Result<Option<ZaloPause>, StorageError> {
    let lifted = db.resume_zalo(now).await?;
    metrics::gauge!(PAUSED).set(0.0);
    if let Some(pause) = &lifted {
        tracing::warn!(host = %pause.host, code = pause.code, "the Zalo sender was resumed");
    }
    Ok(lifted)
}
