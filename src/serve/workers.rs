//! The background loops of `serve` that look for due work on a fixed tick: reminders to citizens
//! who have not finished, the officials' alerts and weekly summaries, and retention (unlinking
//! chats from surveys `RETENTION_DAYS` after completion or expiry). Each loop records a
//! heartbeat per pass and stops when shutdown is signalled. The outbox senders and the Zalo inbox
//! run their own loops (`delivery::Worker`, `ZaloRunning::spawn`).

use crate::channels::telegram::Telegram;
use crate::clock::Clock;
use crate::officials::Officials;
use crate::storage::Db;
use std::sync::Arc;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

/// What the loops need: the services they drive and how often.
pub(super) struct Loops {
    pub telegram: Option<Telegram>,
    pub weekly: Officials,
    pub clock: Arc<dyn Clock>,
    pub outbox_ready: Arc<Notify>,
    pub tick: std::time::Duration,
    pub db: Db,
    /// `RETENTION_DAYS`.
    pub retention: chrono::Duration,
}

/// Spawns the reminder loop (when Telegram runs) and the officials' loop onto `tasks`.
pub(super) fn spawn(tasks: &mut JoinSet<()>, loops: Loops, shutdown_rx: &watch::Receiver<bool>) {
    let Loops {
        telegram,
        weekly,
        clock,
        outbox_ready,
        tick,
        db,
        retention,
    } = loops;
    let reminder_tick = tick;
    let officials_tick = tick;
    let reminder_clock = clock.clone();
    let mut reminder_shutdown = shutdown_rx.clone();
    if let Some(reminders) = telegram {
        tasks.spawn(async move {
            let period = reminder_tick;
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if let Err(err) = reminders.send_due_reminders(reminder_clock.now()).await {
                            tracing::error!(%err, "reminder pass failed");
                        }
                        crate::metrics::heartbeat("reminders");
                    }
                    _ = reminder_shutdown.changed() => return,
                }
            }
        });
    }
    // Weekly summaries (checked every other tick) and alerts (every tick).
    let officials = weekly;
    let officials_clock = clock.clone();
    let officials_ready = outbox_ready.clone();
    let mut officials_shutdown = shutdown_rx.clone();
    tasks.spawn(async move {
        let period = officials_tick;
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        let mut round: u64 = 0;
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    let now = officials_clock.now();
                    if let Err(err) = officials.run_alerts(now).await {
                        tracing::error!(%err, "alert pass failed");
                    }
                    if round.is_multiple_of(2)
                        && let Err(err) = officials.run_due(now).await {
                            tracing::error!(%err, "summary pass failed");
                        }
                    // Retention is checked with the summaries: a day late is no harm, a pass
                    // every tick would be needless load.
                    if round.is_multiple_of(2)
                        && let Err(err) = db.unlink_retained(retention, now).await {
                            tracing::error!(%err, "retention pass failed");
                        }
                    round += 1;
                    crate::metrics::heartbeat("officials");
                    officials_ready.notify_one();
                }
                _ = officials_shutdown.changed() => return,
            }
        }
    });
}
