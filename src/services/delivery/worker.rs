//! The outbox worker of one channel in one instance: claims rows in batches under a lease,
//! sends them through the channel's [`Transport`] at our own pace, and records the results in
//! batches.
//!
//! It runs as a pipeline, not in passes: each chat's claimed rows are a task of their own, sent
//! in order, so a slow chat holds up nobody; the worker claims again when a finished chat has
//! rows waiting, when its channel's wake signal fires (a row was queued), or when one falls due.
//! While rows are in flight their leases are renewed. Before its first claim a worker takes its
//! liveness lock ([`Db::hold_liveness`]), which ends with its process; every second a running
//! worker looks for rows leased by workers whose lock is gone and takes them over at once
//! ([`Db::free_dead_leases`]), so a SIGKILLed instance's rows move within about a second, not
//! after `OUTBOX_LEASE_SECONDS` (the lease still decides where liveness cannot be told: an
//! in-memory SQLite). A send that succeeded just before the death is sent again then: the one
//! at-least-once window, chosen over losing a message.
//!
//! Transactions: one per claim (any number of chats, each with its head and the due rows right
//! behind it) and one per batch of results (those finishing within two send slots of each
//! other), plus a lease renewal every third of a lease while rows are in flight.

use super::pacing::{Pace, Pacer};
use super::retry::finish_of;
use super::{Outcome, Transport};
use crate::core::clock::Clock;
use crate::settings::health::Heartbeats;
use crate::storage::{Claimed, Db, Finish, Liveness, OutboxRow, StorageError};
use futures::FutureExt;
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// How a worker behaves; the defaults suit Telegram.
#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    /// How long a claimed row stays ours without a renewal.
    pub lease: chrono::Duration,
    /// A message is retried until this long after it was queued, then given up.
    pub max_age: chrono::Duration,
    /// Rows in flight at once (each is one chat's head row).
    pub max_in_flight: usize,
    pub pace: Pace,
    /// Sends the overall lane may let go at once ([`Pacer::with_burst`]), so a reply is not held
    /// behind the few sent just before it while the bot is well below its limit.
    pub burst: usize,
    /// Whether a row counts toward its chat's pace (Telegram counts new messages, not edits).
    pub counts_per_chat: fn(&OutboxRow) -> bool,
    /// A lower rate, in messages per second, the row's chat is held to (Telegram groups: 20 a
    /// minute); `None` for the usual per-chat pace.
    pub slower_chat: fn(&OutboxRow) -> Option<f64>,
    /// Whether a row, once sent, is the reply a citizen's input waits for (it ends the input's
    /// timing in the metrics: Telegram's new messages and text edits, not a keyboard's removal).
    pub answers_input: fn(&OutboxRow) -> bool,
}

/// A wait the platform asks for that is at most this long is waited out in place, holding the
/// lease; a longer one sends the row back to the queue.
pub const WAIT_IN_PLACE: Duration = Duration::from_secs(5);
/// The longest the worker sleeps without looking at the outbox.
const IDLE_LOOK: Duration = Duration::from_secs(5);
/// The worker ticks its heartbeat every round, and an idle one still looks at the outbox this
/// often.
pub const HEARTBEAT_EVERY: Duration = IDLE_LOOK;
/// Results are recorded together: those that come in within a short window of the first one
/// (at least this long), up to [`FLUSH_BATCH`], share one transaction.
const FLUSH_WINDOW: Duration = Duration::from_millis(5);
const FLUSH_BATCH: usize = 256;
/// After a database error, the worker waits this long before it tries again.
const DB_RETRY: Duration = Duration::from_millis(500);
/// How often a running worker looks for rows held by dead workers.
pub const DEAD_CHECK: Duration = Duration::from_secs(1);

impl WorkerSettings {
    pub fn new(pace: Pace) -> WorkerSettings {
        WorkerSettings {
            lease: chrono::Duration::seconds(30),
            max_age: chrono::Duration::days(7),
            max_in_flight: ((pace.overall_per_second * 4.0) as usize).clamp(32, 4_000),
            pace,
            burst: Pacer::default_burst(pace),
            counts_per_chat: |_| true,
            slower_chat: |_| None,
            answers_input: |_| true,
        }
    }
}

/// What one [`Worker::deliver_due`] step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

#[derive(Clone)]
pub struct Worker {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
    owner: String,
    settings: WorkerSettings,
    pacer: Mutex<Pacer>,
    passes: watch::Sender<u64>,
    /// Numbers this worker's claims: each claim is a lease of its own.
    claims: AtomicU64,
    /// The last [`RECENT_OUTCOMES`] send outcomes, oldest first, for operators and tests.
    recent: Mutex<std::collections::VecDeque<Outcome>>,
    /// Held from the first claim on: while it is, the rows this worker leased are its own.
    liveness: tokio::sync::Mutex<Option<Liveness>>,
    /// Wake-ups received from the channel's signal, and rows claimed by the claim that followed
    /// one: tests count them (a reply leaves on a wake-up, not on a look at a timer).
    wakeups: AtomicU64,
    claimed_on_wake: AtomicU64,
    /// Rows claimed by the worker's periodic look at the outbox (the start, `IDLE_LOOK`, a row
    /// falling due): a reply that had to wait for one was not woken for.
    claimed_on_look: AtomicU64,
}

/// How many send outcomes [`Worker::take_recent_outcomes`] keeps.
pub const RECENT_OUTCOMES: usize = 256;

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("channel", &self.inner.transport.channel())
            .field("owner", &self.inner.owner)
            .finish()
    }
}

impl Worker {
    pub fn new(
        db: Db,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
        settings: WorkerSettings,
    ) -> Worker {
        // Unique per process start: a restarted instance does not mistake its old leases for
        // its own.
        let owner = format!(
            "{}-{}-{:08x}",
            transport.channel(),
            std::process::id(),
            rand::random::<u32>()
        );
        Worker {
            inner: Arc::new(Inner {
                db,
                transport,
                clock,
                owner,
                pacer: Mutex::new(Pacer::with_burst(settings.pace, settings.burst)),
                settings,
                passes: watch::channel(0).0,
                claims: AtomicU64::new(0),
                recent: Mutex::new(std::collections::VecDeque::new()),
                liveness: tokio::sync::Mutex::new(None),
                wakeups: AtomicU64::new(0),
                claimed_on_wake: AtomicU64::new(0),
                claimed_on_look: AtomicU64::new(0),
            }),
        }
    }

    /// Changes after every round of the worker, so tests and operators can wait for it.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.passes.subscribe()
    }

    /// The send outcomes since the last call (at most [`RECENT_OUTCOMES`]), oldest first.
    pub fn take_recent_outcomes(&self) -> Vec<Outcome> {
        let mut recent = self.inner.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.drain(..).collect()
    }

    /// The lease owner this worker writes into the rows it holds.
    pub fn owner(&self) -> &str {
        &self.inner.owner
    }

    /// How many times the channel's wake signal woke this worker.
    pub fn wakeups(&self) -> u64 {
        self.inner.wakeups.load(Ordering::SeqCst)
    }

    /// How many rows this worker claimed in a claim that a wake-up asked for.
    pub fn claimed_on_wake(&self) -> u64 {
        self.inner.claimed_on_wake.load(Ordering::SeqCst)
    }

    /// How many rows this worker claimed on its periodic look at the outbox.
    pub fn claimed_on_look(&self) -> u64 {
        self.inner.claimed_on_look.load(Ordering::SeqCst)
    }

    /// Takes over the rows held by dead workers of this channel (their liveness lock is gone);
    /// how many rows were freed for the next claim.
    pub async fn take_over_dead(&self) -> Result<u64, StorageError> {
        let inner = &self.inner;
        inner
            .db
            .free_dead_leases(inner.transport.channel(), &inner.owner, inner.clock.now())
            .await
    }

    /// One deterministic step, for tests and tools: takes over dead workers' rows, claims what
    /// is claimable now, sends it all, records the results.
    pub async fn deliver_due(&self) -> Result<Pass, StorageError> {
        self.take_over_dead().await?;
        let chats = self.claim(self.inner.settings.max_in_flight).await?;
        let mut pass = Pass {
            claimed: chats.iter().map(Vec::len).sum(),
            ..Pass::default()
        };
        let sends = chats
            .into_iter()
            .map(|rows| self.inner.clone().send_chat(rows));
        let results: Vec<(Claimed, Finish)> = futures::future::join_all(sends)
            .await
            .into_iter()
            .flatten()
            .collect();
        self.inner.finish_all(&results, &mut pass).await?;
        self.inner.passes.send_modify(|n| *n += 1);
        Ok(pass)
    }

    /// The worker's name in `/healthz` and the metrics.
    pub fn heartbeat_name(&self) -> &'static str {
        match self.inner.transport.channel() {
            "telegram" => "telegram_sender",
            "zalo" => "zalo_sender",
            _ => "sender",
        }
    }

    /// Runs until `shutdown` fires, then lets the rows in flight finish and records them.
    /// `ready` is notified when new rows are queued. Ticks its heartbeat in `heartbeats` every
    /// round.
    pub async fn run(
        self,
        ready: Arc<Notify>,
        mut shutdown: watch::Receiver<bool>,
        heartbeats: Heartbeats,
    ) {
        let heartbeat = heartbeats.register(self.heartbeat_name(), HEARTBEAT_EVERY);
        let inner = &self.inner;
        let mut in_flight: JoinSet<Vec<(Claimed, Finish)>> = JoinSet::new();
        let mut done: Vec<(Claimed, Finish)> = Vec::new();
        let renew_every = (inner.settings.lease / 3)
            .to_std()
            .unwrap_or(Duration::from_secs(10))
            .max(Duration::from_millis(100));
        let mut renew = tokio::time::interval(renew_every);
        let mut dead_check = tokio::time::interval(DEAD_CHECK);
        dead_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // A run that starts again after a panic: the rows the last run held are nobody's now
        // (its tasks went with it), so they are claimable at once.
        if let Err(err) = inner
            .db
            .free_leases_of(inner.transport.channel(), &inner.owner)
            .await
        {
            tracing::error!(%err, "cannot free this worker's earlier leases");
        }
        let mut stopping = false;
        // Whether the claim wanted now was asked for by a wake-up, or by the periodic look (the
        // first claim is a look too).
        let mut woken = false;
        let mut looked = true;
        // Claim when something may have become claimable: at start, after results are recorded
        // (a chat's next row), on a new row, at the next due time.
        let mut want_claim = true;
        let mut first_done: Option<Instant> = None;
        let mut next_look = Instant::now();
        loop {
            if done.is_empty() {
                first_done = None;
            }
            let flush = !done.is_empty()
                && (stopping
                    || in_flight.is_empty()
                    || done.len() >= FLUSH_BATCH
                    || first_done.is_some_and(|at| Instant::now() >= at + inner.flush_window()));
            if flush {
                let mut pass = Pass::default();
                match inner.finish_all(&done, &mut pass).await {
                    // A chat of the batch has rows waiting (queued meanwhile, here or by
                    // another instance): claim them now, not at the next look.
                    Ok(waiting) => {
                        want_claim |= waiting;
                        done.clear();
                        first_done = None;
                    }
                    Err(err) => {
                        // Kept, and recorded again shortly: the rows stay ours meanwhile.
                        tracing::error!(%err, "cannot record outbox results");
                        tokio::time::sleep(DB_RETRY).await;
                    }
                }
            }
            let room = inner.settings.max_in_flight.saturating_sub(in_flight.len());
            if want_claim && !stopping && room > 0 {
                want_claim = false;
                // A wake-up signalled since the last claim is served by this one (its row may
                // have been queued while results were being recorded, and this claim takes it):
                // taken now, it neither asks for a second claim that finds nothing nor leaves
                // its row counted as claimed without a wake-up.
                if ready.notified().now_or_never().is_some() {
                    inner.wakeups.fetch_add(1, Ordering::SeqCst);
                    woken = true;
                }
                next_look = match self.claim(room).await {
                    Ok(chats) => {
                        // A wake-up's row may wait behind its chat's row in flight here: the
                        // wake-up stands until a claim takes rows or nothing can hold one back.
                        let rows: usize = chats.iter().map(Vec::len).sum();
                        if std::mem::take(&mut looked) {
                            inner
                                .claimed_on_look
                                .fetch_add(rows as u64, Ordering::SeqCst);
                        }
                        if woken && (rows > 0 || (in_flight.is_empty() && done.is_empty())) {
                            woken = false;
                            inner
                                .claimed_on_wake
                                .fetch_add(rows as u64, Ordering::SeqCst);
                        }
                        for rows in chats {
                            in_flight.spawn(inner.clone().send_chat(rows));
                        }
                        Instant::now() + inner.idle_wait().await
                    }
                    Err(err) => {
                        tracing::error!(%err, "cannot claim outbox rows");
                        Instant::now() + DB_RETRY
                    }
                };
            }
            inner.passes.send_modify(|n| *n += 1);
            heartbeat.tick();
            if stopping && in_flight.is_empty() && done.is_empty() {
                return;
            }
            let flush_at = first_done.map(|at| at + inner.flush_window());
            tokio::select! {
                Some(result) = in_flight.join_next(), if !in_flight.is_empty() => {
                    done.extend(result.into_iter().flatten());
                    while let Some(result) = in_flight.try_join_next() {
                        done.extend(result.into_iter().flatten());
                    }
                    if !done.is_empty() {
                        first_done = first_done.or(Some(Instant::now()));
                    }
                }
                _ = tokio::time::sleep_until(flush_at.unwrap_or(next_look)), if flush_at.is_some() => {}
                _ = ready.notified(), if !stopping => {
                    inner.wakeups.fetch_add(1, Ordering::SeqCst);
                    want_claim = true;
                    woken = true;
                }
                _ = dead_check.tick(), if !stopping => {
                    match self.take_over_dead().await {
                        Ok(0) => {}
                        Ok(_) => want_claim = true,
                        Err(err) => tracing::error!(%err, "cannot look for dead workers' rows"),
                    }
                }
                // Not while a claim is already wanted: with no room for it (every slot in
                // flight) a past `next_look` would fire at once, again and again, a busy loop
                // until a chat finished. A finishing chat wakes the loop through `join_next`.
                _ = tokio::time::sleep_until(next_look), if !stopping && !want_claim => {
                    want_claim = true;
                    looked = true;
                }
                _ = renew.tick() => {
                    if !in_flight.is_empty() {
                        let until = inner.clock.now() + inner.settings.lease;
                        if let Err(err) = inner.db.renew_outbox_leases(&inner.owner, until).await {
                            tracing::error!(%err, "cannot renew outbox leases");
                        }
                    }
                }
                changed = shutdown.changed(), if !stopping => {
                    stopping = changed.is_err() || *shutdown.borrow();
                }
            }
        }
    }

    /// Claims under a lease of its own (`{worker}/{claim}`), grouped by chat in order.
    async fn claim(&self, limit: usize) -> Result<Vec<Vec<Claimed>>, StorageError> {
        let inner = &self.inner;
        {
            // No row is ever leased without the liveness lock that vouches for it.
            let mut liveness = inner.liveness.lock().await;
            if liveness.is_none() {
                *liveness = Some(inner.db.hold_liveness(&inner.owner).await?);
            }
        }
        let now = inner.clock.now();
        let claim = inner.claims.fetch_add(1, Ordering::Relaxed);
        let claimed = inner
            .db
            .claim_outbox(
                inner.transport.channel(),
                &format!("{}/{claim}", inner.owner),
                now,
                now + inner.settings.lease,
                limit as i64,
            )
            .await?;
        let mut chats: Vec<Vec<Claimed>> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for row in claimed {
            let slot = *index.entry(row.row.chat_id.clone()).or_insert_with(|| {
                chats.push(Vec::new());
                chats.len() - 1
            });
            chats[slot].push(row);
        }
        let channel = inner.transport.channel();
        for rows in &chats {
            if let Some(first) = rows.first() {
                crate::settings::metrics::claimed(channel, &first.row.chat_id);
            }
        }
        Ok(chats)
    }
}

impl Inner {
    /// Sends one chat's claimed rows in order. After a row to retry, the rest go back to the
    /// queue untried; after an unreachable chat, the rest fail with it.
    async fn send_chat(self: Arc<Self>, rows: Vec<Claimed>) -> Vec<(Claimed, Finish)> {
        let mut results = Vec::with_capacity(rows.len());
        let mut stop: Option<Finish> = None;
        for claimed in rows {
            if let Some(finish) = &stop {
                results.push((claimed, finish.clone()));
                continue;
            }
            let outcome = self.send(&claimed.row).await;
            let finish = finish_of(&claimed, outcome, self.clock.now(), self.settings.max_age);
            stop = match &finish {
                Finish::RetryAt(..) => Some(Finish::Released),
                Finish::ChatUnreachable(error) => Some(Finish::ChatUnreachable(error.clone())),
                _ => None,
            };
            results.push((claimed, finish));
        }
        results
    }

    /// How long results wait for others to share their transaction: two send slots, between
    /// 5 ms and 100 ms (at 30 messages a second, about two results a transaction).
    fn flush_window(&self) -> Duration {
        let slot = 1.0 / self.settings.pace.overall_per_second.max(1.0);
        Duration::from_secs_f64(slot * 2.0).clamp(FLUSH_WINDOW, Duration::from_millis(100))
    }

    /// Sends one row at our pace; a short wait the platform asks for is waited out here.
    async fn send(&self, row: &OutboxRow) -> Outcome {
        let per_chat = (self.settings.counts_per_chat)(row);
        let slower = (self.settings.slower_chat)(row);
        let mut waited_in_place = 0;
        loop {
            if per_chat {
                let ready = self.pacer.lock().expect("pacer lock").chat_slot(
                    &row.chat_id,
                    slower,
                    tokio::time::Instant::now(),
                );
                tokio::time::sleep_until(ready).await;
            }
            let at = self.pacer.lock().expect("pacer lock").overall_slot(
                &row.chat_id,
                per_chat,
                slower,
                tokio::time::Instant::now(),
            );
            tokio::time::sleep_until(at).await;
            // The slot has come; the request leaves once a full window separates it from the
            // one the count back, as they really left (a late wake-up pushes, never crowds).
            let left = loop {
                let now = tokio::time::Instant::now();
                let go = self
                    .pacer
                    .lock()
                    .expect("pacer lock")
                    .start(&row.chat_id, per_chat, now);
                match go {
                    Ok(()) => break now,
                    Err(until) => tokio::time::sleep_until(until).await,
                }
            };
            let outcome = AssertUnwindSafe(self.transport.send(row))
                .catch_unwind()
                .await
                .unwrap_or_else(|_| Outcome::Retry {
                    after: None,
                    error: "the transport panicked".into(),
                });
            // Counted from its answer on: it reached the platform at the latest then.
            self.pacer.lock().expect("pacer lock").finished(
                &row.chat_id,
                per_chat,
                left,
                tokio::time::Instant::now(),
            );
            if outcome == Outcome::Sent && (self.settings.answers_input)(row) {
                crate::settings::metrics::replied(self.transport.channel(), &row.chat_id);
            }
            {
                let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
                if recent.len() == RECENT_OUTCOMES {
                    recent.pop_front();
                }
                recent.push_back(outcome.clone());
            }
            match outcome {
                Outcome::Retry {
                    after: Some(after), ..
                } if after <= WAIT_IN_PLACE && waited_in_place < 3 => {
                    waited_in_place += 1;
                    tracing::info!(row = row.id, ?after, "rate limited; waiting in place");
                    self.pacer
                        .lock()
                        .expect("pacer lock")
                        .hold_chat(&row.chat_id, tokio::time::Instant::now() + after);
                }
                other => return other,
            }
        }
    }

    /// Records a batch of results in one transaction; returns whether a chat of the batch has
    /// rows waiting.
    async fn finish_all(
        &self,
        results: &[(Claimed, Finish)],
        pass: &mut Pass,
    ) -> Result<bool, StorageError> {
        if results.is_empty() {
            return Ok(false);
        }
        for (claimed, finish) in results {
            let row = claimed.row.id;
            match finish {
                Finish::Sent => pass.sent += 1,
                Finish::RetryAt(at, error) => {
                    tracing::info!(row, %error, retry_at = %at, "outbox row will be retried");
                    pass.retried += 1;
                }
                Finish::Released => pass.retried += 1,
                Finish::Failed(error) | Finish::ChatUnreachable(error) => {
                    tracing::info!(row, %error, "outbox row undeliverable");
                    pass.failed += 1;
                }
            }
        }
        self.db.finish_outbox(results, self.clock.now()).await
    }

    /// How long to sleep when nothing else happens: until the next row is due, at most a few
    /// seconds (the clock may be a hand-driven one, and other instances queue rows too).
    async fn idle_wait(&self) -> Duration {
        match self.db.next_outbox_due(self.transport.channel()).await {
            Ok(Some(at)) => (at - self.clock.now())
                .to_std()
                .ok()
                .filter(|wait| !wait.is_zero())
                .map_or(IDLE_LOOK, |wait| {
                    (wait + Duration::from_millis(10)).min(IDLE_LOOK)
                }),
            Ok(None) => IDLE_LOOK,
            Err(err) => {
                tracing::error!(%err, "cannot read the outbox");
                IDLE_LOOK
            }
        }
    }
}
