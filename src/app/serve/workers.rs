//! The background loops of `serve` that look for due work on a fixed tick: reminders to citizens
//! who have not finished, the officials' alerts and weekly summaries, and retention (unlinking
//! chats from surveys `RETENTION_DAYS` after completion or expiry). Each loop runs supervised
//! (started again if it panics), ticks its heartbeat after every pass (`/healthz` finds it stale
//! after three ticks missed), and stops when shutdown is signalled. The outbox senders and the
//! Zalo inbox run their own loops (`delivery::Worker`, `ZaloRunning::spawn`).

use super::Wakes;
use crate::channels::telegram::Telegram;
use crate::core::clock::Clock;
use crate::services::officials::Officials;
use crate::settings::health::{Heartbeats, supervise};
use crate::storage::Db;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// What the loops need: the services they drive and how often.
#[derive(Clone)]
pub(super) struct Loops {
    pub telegram: Option<Telegram>,
    pub weekly: Officials,
    pub clock: Arc<dyn Clock>,
    /// The outbox workers' wake signals, one per transport.
    pub wakes: Wakes,
    pub tick: Duration,
    pub db: Db,
    /// `RETENTION_DAYS`.
    pub retention: chrono::Duration,
    pub heartbeats: Heartbeats,
}

/// Spawns the reminder loop (when Telegram runs) and the officials' loop onto `tasks`, each
/// supervised.
pub(super) fn spawn(tasks: &mut JoinSet<()>, loops: Loops, shutdown_rx: &watch::Receiver<bool>) {
    if let Some(reminders) = loops.telegram.clone() {
        let (loops, shutdown) = (loops.clone(), shutdown_rx.clone());
        let heartbeats = loops.heartbeats.clone();
        supervise(
            tasks,
            "reminders",
            shutdown_rx.clone(),
            &heartbeats,
            move || remind(reminders.clone(), loops.clone(), shutdown.clone()),
        );
    }
    let (shutdown, heartbeats) = (shutdown_rx.clone(), loops.heartbeats.clone());
    supervise(
        tasks,
        "officials",
        shutdown_rx.clone(),
        &heartbeats,
        move || officials(loops.clone(), shutdown.clone()),
    );
}

/// The first tick one period after the start, then every period.
fn ticker(period: Duration) -> tokio::time::Interval {
    tokio::time::interval_at(tokio::time::Instant::now() + period, period)
}

async fn remind(reminders: Telegram, loops: Loops, mut shutdown: watch::Receiver<bool>) {
    let heartbeat = loops.heartbeats.register("reminders", loops.tick);
    let mut tick = ticker(loops.tick);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                match reminders.send_due_reminders(loops.clock.now()).await {
                    Ok(0) => {}
                    Ok(_) => loops.wakes.telegram.notify_one(),
                    Err(err) => tracing::error!(%err, "reminder pass failed"),
                }
                heartbeat.tick();
            }
            _ = shutdown.changed() => return,
        }
    }
}

/// Alerts every tick; weekly summaries and retention every other tick.
async fn officials(loops: Loops, mut shutdown: watch::Receiver<bool>) {
    let heartbeat = loops.heartbeats.register("officials", loops.tick);
    let mut tick = ticker(loops.tick);
    let mut round: u64 = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let now = loops.clock.now();
                if let Err(err) = loops.weekly.run_alerts(now).await {
                    tracing::error!(%err, "alert pass failed");
                }
                if round.is_multiple_of(2)
                    && let Err(err) = loops.weekly.run_due(now).await {
                        tracing::error!(%err, "summary pass failed");
                    }
                // Retention is checked with the summaries: a day late is no harm, a pass
                // every tick would be needless load.
                if round.is_multiple_of(2)
                    && let Err(err) = loops.db.unlink_retained(loops.retention, now).await {
                        tracing::error!(%err, "retention pass failed");
                    }
                round += 1;
                heartbeat.tick();
                // Alerts and summaries go to officials on any channel.
                loops.wakes.all();
            }
            _ = shutdown.changed() => return,
        }
    }
}
