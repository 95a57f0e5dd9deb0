//! Whether the background workers of one `serve` are alive, and what keeps them so.
//!
//! [`Heartbeats`] is the per-instance registry `/healthz` reads: each worker registers itself
//! with the longest it may go between two ticks when all is well (an idle worker still ticks at
//! that pace), and ticks after every pass; a worker that has not ticked for
//! [`STALE_AFTER_INTERVALS`] of its intervals is stale. A tick also sets the worker's Prometheus
//! gauge, so a pass is recorded in one call.
//!
//! [`supervise`] runs a worker's loop in a task of its own and starts it again, after a short
//! pause, when it panics: the panic is logged with the worker's name and counted
//! (`sipas_worker_restarts_total{worker}`) and in the registry, which `/healthz` reports
//! ([`Heartbeats::restarts`]). A loop that returns (shutdown) ends it. A restart keeps the
//! worker's last tick, so a loop that panics on every pass turns stale.
//!
//! Times are tokio's monotonic instants, never the application clock (tests drive that one by
//! hand, and a stalled worker is a matter of real time).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// A worker is stale once it has not ticked for this many of its intervals.
pub const STALE_AFTER_INTERVALS: u32 = 3;
/// How long a panicked worker waits before it is started again.
pub const RESTART_PAUSE: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy)]
struct Beat {
    every: Duration,
    last: Instant,
}

/// The workers of one instance and their last ticks. Cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct Heartbeats {
    workers: Arc<Mutex<BTreeMap<&'static str, Beat>>>,
    /// Restarts after a panic, per worker, since the instance started.
    restarts: Arc<Mutex<BTreeMap<&'static str, u64>>>,
    ticks: Arc<watch::Sender<u64>>,
}

impl Default for Heartbeats {
    fn default() -> Heartbeats {
        Heartbeats::new()
    }
}

impl Heartbeats {
    pub fn new() -> Heartbeats {
        Heartbeats {
            workers: Arc::default(),
            restarts: Arc::default(),
            ticks: Arc::new(watch::channel(0).0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<&'static str, Beat>> {
        self.workers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers `worker`, which ticks at least every `every` while it is well, and returns the
    /// handle it ticks with. Registering again (a restarted loop) changes the interval and keeps
    /// the last tick.
    pub fn register(&self, worker: &'static str, every: Duration) -> Heartbeat {
        self.lock()
            .entry(worker)
            .and_modify(|beat| beat.every = every)
            .or_insert(Beat {
                every,
                last: Instant::now(),
            });
        Heartbeat {
            worker,
            beats: self.clone(),
        }
    }

    /// The registered workers, by name.
    pub fn workers(&self) -> Vec<&'static str> {
        self.lock().keys().copied().collect()
    }

    /// When `worker` last ticked (or registered, before its first tick).
    pub fn last_tick(&self, worker: &str) -> Option<Instant> {
        self.lock().get(worker).map(|beat| beat.last)
    }

    /// The workers that have not ticked within [`STALE_AFTER_INTERVALS`] of their interval at
    /// `now`, by name.
    pub fn stale_at(&self, now: Instant) -> Vec<&'static str> {
        self.lock()
            .iter()
            .filter(|(_, beat)| {
                now.saturating_duration_since(beat.last) > beat.every * STALE_AFTER_INTERVALS
            })
            .map(|(worker, _)| *worker)
            .collect()
    }

    /// The workers stale now.
    pub fn stale(&self) -> Vec<&'static str> {
        self.stale_at(Instant::now())
    }

    /// `worker` panicked and was started again: counted here (for `/healthz`) and in the
    /// metrics.
    pub fn restarted(&self, worker: &'static str) {
        *self
            .restarts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(worker)
            .or_default() += 1;
        crate::settings::metrics::worker_restarted(worker);
        self.ticks.send_modify(|n| *n += 1);
    }

    /// The workers started again after a panic, with how many times, by name.
    pub fn restarts(&self) -> Vec<(&'static str, u64)> {
        self.restarts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(worker, count)| (*worker, *count))
            .collect()
    }

    /// What `/healthz` says after its status line: the restarts, one worker a line
    /// (`restarted telegram_lane: 2`), or nothing when no worker was restarted.
    pub fn restart_report(&self) -> String {
        self.restarts()
            .iter()
            .map(|(worker, count)| format!("\nrestarted {worker}: {count}"))
            .collect()
    }

    /// Changes on every tick of any worker, so tests and operators can wait for one.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.ticks.subscribe()
    }
}

/// One worker's handle on the registry.
#[derive(Debug, Clone)]
pub struct Heartbeat {
    worker: &'static str,
    beats: Heartbeats,
}

impl Heartbeat {
    /// The worker finished a pass (or looked for work and found none): it is alive.
    pub fn tick(&self) {
        if let Some(beat) = self.beats.lock().get_mut(self.worker) {
            beat.last = Instant::now();
        }
        self.beats.ticks.send_modify(|n| *n += 1);
        crate::settings::metrics::heartbeat(self.worker);
    }

    pub fn worker(&self) -> &'static str {
        self.worker
    }
}

/// Spawns `start`'s loop onto `tasks` under [`supervised`], restarting after [`RESTART_PAUSE`];
/// each restart is counted in `heartbeats`.
pub fn supervise<F, Fut>(
    tasks: &mut JoinSet<()>,
    worker: &'static str,
    shutdown: watch::Receiver<bool>,
    heartbeats: &Heartbeats,
    start: F,
) where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let heartbeats = heartbeats.clone();
    tasks.spawn(async move {
        supervised_counted(worker, shutdown, RESTART_PAUSE, Some(&heartbeats), start).await;
    });
}

/// Aborts the task when dropped, so a supervisor that is itself aborted takes its loop along.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs the loop `start` makes in a task of its own until it returns; when it panics, logs and
/// counts the panic, waits `pause` and starts a new one. Shutdown during the pause ends it.
/// Returns how many times the loop was started again.
pub async fn supervised<F, Fut>(
    worker: &'static str,
    shutdown: watch::Receiver<bool>,
    pause: Duration,
    start: F,
) -> u32
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    supervised_counted(worker, shutdown, pause, None, start).await
}

/// [`supervised`], counting each restart in `heartbeats` too (for `/healthz`).
pub async fn supervised_counted<F, Fut>(
    worker: &'static str,
    mut shutdown: watch::Receiver<bool>,
    pause: Duration,
    heartbeats: Option<&Heartbeats>,
    mut start: F,
) -> u32
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut restarts = 0;
    loop {
        let mut task = tokio::spawn(start());
        let _abort = AbortOnDrop(task.abort_handle());
        let err = match (&mut task).await {
            Ok(()) => return restarts,
            Err(err) if err.is_panic() => err,
            // Cancelled: the runtime is going away.
            Err(_) => return restarts,
        };
        let panic = err.into_panic();
        let reason = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_string());
        tracing::error!(worker, panic = %reason, "worker panicked; it will be started again");
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.wait_for(|stop| *stop) => return restarts,
        }
        restarts += 1;
        match heartbeats {
            Some(heartbeats) => heartbeats.restarted(worker),
            None => crate::settings::metrics::worker_restarted(worker),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn a_worker_is_stale_after_three_intervals_without_a_tick() {
        let beats = Heartbeats::new();
        let slow = beats.register("slow", Duration::from_secs(10));
        let fast = beats.register("fast", Duration::from_secs(1));
        let start = beats.last_tick("slow").unwrap();
        assert!(beats.stale_at(start).is_empty());
        assert_eq!(
            beats.stale_at(start + Duration::from_millis(3_100)),
            ["fast"]
        );
        assert_eq!(
            beats.stale_at(start + Duration::from_secs(31)),
            ["fast", "slow"]
        );
        fast.tick();
        slow.tick();
        let ticked = beats.last_tick("fast").unwrap();
        assert!(ticked >= start);
        assert!(
            beats
                .stale_at(ticked + Duration::from_millis(2_900))
                .is_empty()
        );
        assert_eq!(slow.worker(), "slow");
    }

    #[test]
    fn registering_again_keeps_the_last_tick() {
        let beats = Heartbeats::new();
        beats.register("loop", Duration::from_secs(1));
        let first = beats.last_tick("loop").unwrap();
        beats.register("loop", Duration::from_secs(5));
        assert_eq!(beats.last_tick("loop"), Some(first));
        assert!(
            beats.stale_at(first + Duration::from_secs(14)).is_empty(),
            "the new interval counts"
        );
        assert_eq!(beats.workers(), ["loop"]);
    }

    #[tokio::test]
    async fn a_panicked_loop_is_started_again_and_its_heartbeat_recovers() {
        let beats = Heartbeats::new();
        let (stop, shutdown) = watch::channel(false);
        let starts = Arc::new(AtomicU32::new(0));
        let (ticked_tx, mut ticked) = tokio::sync::mpsc::unbounded_channel();
        beats.register("flaky", Duration::from_secs(1));
        let registered_at = beats.last_tick("flaky").unwrap();
        let supervisor = tokio::spawn(supervised(
            "flaky",
            shutdown.clone(),
            Duration::from_millis(10),
            {
                let beats = beats.clone();
                let starts = starts.clone();
                let shutdown = shutdown.clone();
                move || {
                    let n = starts.fetch_add(1, Ordering::SeqCst);
                    let beat = beats.register("flaky", Duration::from_secs(1));
                    let ticked = ticked_tx.clone();
                    let mut shutdown = shutdown.clone();
                    async move {
                        if n == 0 {
                            panic!("the first pass fails");
                        }
                        beat.tick();
                        let _ = ticked.send(n);
                        let _ = shutdown.wait_for(|stop| *stop).await;
                    }
                }
            },
        ));
        let n = tokio::time::timeout(Duration::from_secs(10), ticked.recv())
            .await
            .expect("the loop is started again")
            .unwrap();
        assert_eq!(n, 1, "the second start ticked");
        let recovered = beats.last_tick("flaky").unwrap();
        assert!(recovered > registered_at, "the heartbeat moved");
        assert!(beats.stale().is_empty());
        // Without the restart the worker would have gone stale.
        assert_eq!(
            beats.stale_at(registered_at + Duration::from_millis(3_001)),
            Vec::<&str>::new(),
            "its new tick counts"
        );
        stop.send(true).unwrap();
        let restarts = tokio::time::timeout(Duration::from_secs(10), supervisor)
            .await
            .expect("shutdown ends the supervisor")
            .unwrap();
        assert_eq!(restarts, 1);
        assert_eq!(starts.load(Ordering::SeqCst), 2, "a normal return ends it");
    }

    #[tokio::test]
    async fn restarts_are_counted_in_the_registry_for_healthz() {
        let beats = Heartbeats::new();
        assert_eq!(beats.restart_report(), "");
        let (_stop, shutdown) = watch::channel(false);
        let starts = Arc::new(AtomicU32::new(0));
        let restarts = supervised_counted("twice", shutdown, Duration::ZERO, Some(&beats), {
            let starts = starts.clone();
            move || {
                let n = starts.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 2 {
                        panic!("pass {n} fails");
                    }
                }
            }
        })
        .await;
        assert_eq!(restarts, 2);
        assert_eq!(beats.restarts(), [("twice", 2)]);
        assert_eq!(beats.restart_report(), "\nrestarted twice: 2");
    }

    #[tokio::test]
    async fn shutdown_during_the_pause_ends_a_panicking_loop() {
        let (stop, shutdown) = watch::channel(false);
        let starts = Arc::new(AtomicU32::new(0));
        let (panicked_tx, mut panicked) = tokio::sync::mpsc::unbounded_channel::<()>();
        let supervisor = tokio::spawn(supervised(
            "broken",
            shutdown,
            Duration::from_secs(3_600),
            {
                let starts = starts.clone();
                move || {
                    starts.fetch_add(1, Ordering::SeqCst);
                    let panicked = panicked_tx.clone();
                    async move {
                        let _ = panicked.send(());
                        panic!("always");
                    }
                }
            },
        ));
        panicked.recv().await.unwrap();
        stop.send_replace(true);
        let restarts = tokio::time::timeout(Duration::from_secs(10), supervisor)
            .await
            .expect("shutdown is not held up by the pause")
            .unwrap();
        assert_eq!(restarts, 0);
        assert_eq!(starts.load(Ordering::SeqCst), 1);
    }
}
