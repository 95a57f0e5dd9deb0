//! The webhook inbox: [`ZaloInbox::accept`] checks an event's signature and stores it durably
//! (Zalo wants 200 within about 2 seconds and retries otherwise), and
//! [`ZaloInbox::process_due`] — one step, driven by [`ZaloInbox::run`] in `serve` and by tests —
//! claims stored events with a lease and hands each to the conversation. An instance that dies
//! mid-event leaves its lease to run out, and another takes the event over; handling an event
//! twice changes nothing (its key is recorded with its effects).

use super::conversation::Zalo;
use super::events::{EventError, RECEIVED_MESSAGE, ZaloEvent, event_time};
use super::signature::{SignatureError, verify};
use crate::core::clock::Clock;
use crate::settings::config::Secret;
use crate::settings::health::{Heartbeat, Heartbeats};
use crate::storage::StorageError;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use tokio::sync::{Notify, watch};

/// How long a claimed event is ours before another instance may take it.
pub const LEASE: Duration = Duration::seconds(60);
/// Events claimed per step.
const BATCH: i64 = 20;
/// A failed event waits this long per attempt before it is tried again.
const RETRY_STEP: Duration = Duration::seconds(30);
/// Handling an event is given up (and logged) after this many attempts.
const MAX_ATTEMPTS: i64 = 10;
/// The inbox worker's name in `/healthz` and the metrics.
pub const HEARTBEAT_NAME: &str = "zalo_inbox";

#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error(transparent)]
    Event(#[from] EventError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

#[derive(Debug, Clone)]
pub struct ZaloInbox {
    zalo: Zalo,
    app_id: String,
    oa_secret_key: Secret,
    clock: Arc<dyn Clock>,
    /// How old a signed event may be (`ZALO_EVENT_MAX_AGE_HOURS`).
    max_age: Duration,
    /// Woken when an event is stored.
    ready: Arc<Notify>,
    /// This instance's name in leases.
    owner: String,
    /// Counts processing steps, so tests can wait for one.
    passes: watch::Sender<u64>,
}

impl ZaloInbox {
    pub fn new(
        zalo: Zalo,
        app_id: String,
        oa_secret_key: Secret,
        clock: Arc<dyn Clock>,
    ) -> ZaloInbox {
        ZaloInbox {
            zalo,
            app_id,
            oa_secret_key,
            clock,
            max_age: super::signature::DEFAULT_MAX_AGE,
            ready: Arc::new(Notify::new()),
            owner: format!("zalo-{}", crate::storage::new_token()),
            passes: watch::channel(0).0,
        }
    }

    /// Accepts signed events up to `max_age` old (`ZALO_EVENT_MAX_AGE_HOURS`).
    pub fn with_max_age(mut self, max_age: Duration) -> ZaloInbox {
        self.max_age = max_age;
        self
    }

    pub fn zalo(&self) -> &Zalo {
        &self.zalo
    }

    /// Watches the number of processing steps done.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.passes.subscribe()
    }

    /// Verifies and stores one webhook post; `true` when it is new, `false` for a repeat.
    pub async fn accept(&self, signature: Option<&str>, body: &[u8]) -> Result<bool, AcceptError> {
        let now = self.clock.now();
        verify(
            signature,
            body,
            &self.app_id,
            self.oa_secret_key.expose(),
            now,
            self.max_age,
        )?;
        let event = ZaloEvent::parse(body)?;
        // The signature covers the raw bytes; they are kept as they came.
        let text = String::from_utf8_lossy(body);
        let fresh = self
            .zalo
            .conversations
            .db()
            .store_zalo_event(&event.dedup_key(), event.event_name(), &text, now)
            .await?;
        if let (true, ZaloEvent::UserSendText { user_id, .. }) = (fresh, &event) {
            crate::settings::metrics::stored(super::CHANNEL, user_id);
        }
        self.ready.notify_one();
        Ok(fresh)
    }

    /// Claims the events due and handles each; how many were handled.
    pub async fn process_due(&self) -> Result<usize, StorageError> {
        self.process(None).await
    }

    /// [`ZaloInbox::process_due`], ticking `heartbeat` after each batch (a long backlog is work,
    /// not a stall).
    async fn process(&self, heartbeat: Option<&Heartbeat>) -> Result<usize, StorageError> {
        let db = self.zalo.conversations.db().clone();
        let mut handled = 0;
        loop {
            let now = self.clock.now();
            let events = db
                .claim_zalo_events(&self.owner, now, now + LEASE, BATCH)
                .await?;
            if events.is_empty() {
                break;
            }
            for stored in events {
                let now = self.clock.now();
                let result = match ZaloEvent::parse(stored.body.as_bytes()) {
                    Ok(event) => match self.observe(&event, now).await {
                        Ok(()) => self
                            .zalo
                            .handle_event(&event, now)
                            .await
                            .map_err(|err| err.to_string()),
                        Err(err) => Err(err.to_string()),
                    },
                    Err(err) => Err(err.to_string()),
                };
                match result {
                    Ok(()) => db.finish_zalo_event(stored.id, now).await?,
                    Err(error) if stored.attempts + 1 >= MAX_ATTEMPTS => {
                        tracing::error!(%error, event = %stored.event_name, "Zalo event given up");
                        db.finish_zalo_event(stored.id, now).await?;
                    }
                    Err(error) => {
                        tracing::warn!(%error, event = %stored.event_name, "Zalo event failed; will retry");
                        let wait = RETRY_STEP * (stored.attempts as i32 + 1);
                        db.fail_zalo_event(stored.id, &error, now + wait).await?;
                    }
                }
                handled += 1;
            }
            if let Some(heartbeat) = heartbeat {
                heartbeat.tick();
            }
        }
        self.passes.send_modify(|passes| *passes += 1);
        Ok(handled)
    }

    /// What every event says about reach, before the conversation handles it: an interaction
    /// the conversation does not act on (a sticker, an image, a tap on the chat button…) opens
    /// the window from its own time, and a delivery receipt is recorded. Both are idempotent, so
    /// an event handled twice changes nothing.
    async fn observe(&self, event: &ZaloEvent, now: DateTime<Utc>) -> Result<(), StorageError> {
        let db = self.zalo.conversations.db();
        if let ZaloEvent::Unknown {
            event_name,
            msg_id,
            tracking_id,
            timestamp,
            ..
        } = event
        {
            if let Some((user, at)) = event.interaction(now) {
                db.touch_zalo_user(user, None, at).await?;
            }
            if event_name == RECEIVED_MESSAGE {
                let at = event_time(timestamp).map_or(now, |at| at.min(now));
                db.record_zalo_delivery(msg_id.as_deref(), tracking_id.as_deref(), at)
                    .await?;
            }
        }
        Ok(())
    }

    /// Processes events as they are stored (and every `tick`, for leases that ran out and
    /// retries), until `shutdown`. Ticks its heartbeat (`zalo_inbox`, every `tick`) after each
    /// pass.
    pub async fn run(
        self,
        tick: std::time::Duration,
        mut shutdown: watch::Receiver<bool>,
        heartbeats: Heartbeats,
    ) {
        let heartbeat = heartbeats.register(HEARTBEAT_NAME, tick);
        loop {
            if let Err(err) = self.process(Some(&heartbeat)).await {
                tracing::error!(%err, "Zalo inbox pass failed");
            }
            heartbeat.tick();
            tokio::select! {
                _ = self.ready.notified() => {}
                _ = tokio::time::sleep(tick) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}
