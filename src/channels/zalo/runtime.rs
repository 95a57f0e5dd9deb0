//! The Zalo channel as `serve` runs it: the token manager, the conversation and its webhook
//! inbox, the delivery core's transport, and the background work — the inbox worker, the
//! refresh token's rotation when the OA is idle, and the daily reconciliation of ratings.

use super::api::ZaloApi;
use super::conversation::Zalo;
use super::feedback;
use super::inbox::{HEARTBEAT_NAME as INBOX_WORKER, ZaloInbox};
use super::settings::ZaloSettings;
use super::token::TokenManager;
use super::transport::ZaloTransport;
use crate::core::clock::Clock;
use crate::core::flow::Lang;
use crate::core::i18n::Locales;
use crate::services::conversation::Conversations;
use crate::settings::health::{Heartbeats, supervise};
use crate::storage::Db;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

/// The Zalo side of a started server.
#[derive(Debug, Clone)]
pub struct ZaloRunning {
    pub inbox: ZaloInbox,
    pub tokens: Arc<TokenManager>,
    /// Sends Zalo's outbox rows; the delivery core's worker drives it.
    pub transport: ZaloTransport,
    pub settings: ZaloSettings,
    clock: Arc<dyn Clock>,
}

impl ZaloRunning {
    pub fn new(
        db: &Db,
        locales: &Arc<Locales>,
        lang: Lang,
        settings: &ZaloSettings,
        clock: &Arc<dyn Clock>,
        outbox_wake: Arc<Notify>,
        reminder_delay: Duration,
    ) -> ZaloRunning {
        let tokens = Arc::new(TokenManager::new(
            db.clone(),
            ZaloApi::new(settings),
            settings,
            clock.clone(),
        ));
        let zalo = Zalo::new(
            Conversations::new(db.clone()),
            locales.clone(),
            lang,
            // The Zalo outbox worker's own signal: every path that queues a Zalo row wakes it.
            outbox_wake,
        )
        .with_billable_replies(settings.billable_replies)
        .with_reminder_delay(reminder_delay);
        let inbox = ZaloInbox::new(
            zalo,
            settings.app_id.clone(),
            settings.oa_secret_key.clone(),
            clock.clone(),
        )
        .with_max_age(settings.event_max_age);
        let pause =
            super::pause::PauseSwitch::new(db.clone(), settings.oa_id.clone(), clock.clone());
        let transport = ZaloTransport::new(
            tokens.clone(),
            db.clone(),
            clock.clone(),
            settings.invitation_template_id.clone(),
            settings.billable_replies,
            pause,
        );
        ZaloRunning {
            inbox,
            tokens,
            transport,
            settings: settings.clone(),
            clock: clock.clone(),
        }
    }

    /// Starts the inbox worker and the upkeep loop (every `tick`), each started again if it
    /// panics. The inbox worker ticks its heartbeat in `heartbeats`; the upkeep does not, since
    /// its daily reconciliation may page through the rating query for minutes.
    pub fn spawn(
        &self,
        tasks: &mut JoinSet<()>,
        tick: std::time::Duration,
        shutdown: watch::Receiver<bool>,
        heartbeats: &Heartbeats,
    ) {
        let (inbox, inbox_shutdown, heartbeats) =
            (self.inbox.clone(), shutdown.clone(), heartbeats.clone());
        let beats = heartbeats.clone();
        supervise(tasks, INBOX_WORKER, shutdown.clone(), &beats, move || {
            inbox
                .clone()
                .run(tick, inbox_shutdown.clone(), heartbeats.clone())
        });
        let (zalo, upkeep_shutdown) = (self.clone(), shutdown.clone());
        supervise(tasks, "zalo_upkeep", shutdown, &beats, move || {
            zalo.clone().upkeep(tick, upkeep_shutdown.clone())
        });
    }

    /// Keeps the refresh token alive when the OA is idle, and once a day reconciles the ratings
    /// of the invitation template with the rating query (events the webhook never brought).
    async fn upkeep(self, tick: std::time::Duration, mut shutdown: watch::Receiver<bool>) {
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + tick, tick);
        let mut last_reconciled: Option<DateTime<Utc>> = None;
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = shutdown.changed() => return,
            }
            // A paused sender does not spend its refresh token again: a refused one stays
            // refused until an operator authorizes the OA and resumes.
            let paused = matches!(self.transport.pause_switch().paused().await, Ok(Some(_)));
            if !paused && let Err(err) = self.tokens.rotate_if_due().await {
                tracing::error!(%err, "Zalo token rotation failed");
                if err.class().pauses() {
                    self.transport.pause_switch().pause(&err).await;
                }
            }
            let now = self.clock.now();
            if let Err(err) = self.inbox.zalo().send_due_reminders(now).await {
                tracing::error!(%err, "Zalo reminder pass failed");
            }
            // Dedup keys are kept a day longer than events are accepted.
            let horizon = now - self.settings.event_max_age - Duration::days(1);
            if let Err(err) = self
                .inbox
                .zalo()
                .conversations
                .db()
                .purge_zalo_events(horizon)
                .await
            {
                tracing::warn!(%err, "old Zalo events could not be purged");
            }
            let due = last_reconciled.is_none_or(|at| now - at >= Duration::days(1));
            if let (true, Some(template)) = (due, &self.settings.invitation_template_id) {
                let from = now - feedback::RECONCILE_LOOKBACK;
                match self
                    .inbox
                    .zalo()
                    .reconcile_ratings(&self.tokens, template, from, now, now)
                    .await
                {
                    Ok(read) => {
                        tracing::info!(read, "Zalo ratings reconciled");
                        // Whatever the ratings queued goes out now, not at the worker's next look.
                        self.inbox.zalo().outbox_ready().notify_one();
                        last_reconciled = Some(now);
                    }
                    Err(err) => tracing::error!(%err, "Zalo rating reconciliation failed"),
                }
            }
        }
    }
}
