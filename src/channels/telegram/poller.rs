//! Updates in: long polling and the lanes both modes share.
//!
//! Every update (polled or posted to the webhook) goes to one of [`LANES`] worker tasks chosen by
//! its chat, so different chats are handled at the same time and one chat's updates in the order
//! they came. A button press is answered (`answerCallbackQuery`) by a task of its own once the
//! update is stored, so a slow answer never holds up the next update; it is not an outbox row
//! and goes through no pacer (Telegram's limits count messages sent, and a callback answer is
//! not one).
//!
//! The lanes run supervised, like the other workers: a lane whose handling panics is started
//! again on the same queue (counted as [`LANE_NAME`] in `sipas_worker_restarts_total` and on
//! `/healthz`), and the update it held counts as a failure of that update, so one that panics
//! every time is given up on its [`GIVE_UP_AFTER`]th delivery like any update that keeps
//! failing.
//!
//! Long polling confirms a batch (moves the offset) only once every update of it is stored. An
//! update handled but not yet confirmed when the process stops comes again and is recognised by
//! its id, so it never counts twice. Only one instance polls at a time: [`Poller::run`] holds the
//! database's poller lock ([`crate::storage::PollerLock`]) while it polls, and a second instance
//! waits for it and takes over when the first is gone.

use super::{HandleError, Handled, Telegram};
use crate::core::clock::Clock;
use crate::settings::health::{Heartbeat, Heartbeats, supervised_counted};
use crate::storage::{Db, PollerLock};
use futures::future::BoxFuture;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use teloxide::prelude::*;
use teloxide::types::Update;
use tokio::sync::{mpsc, oneshot, watch};

/// Seconds one getUpdates call waits for news.
pub const POLL_TIMEOUT_SECONDS: u32 = 25;
/// Worker tasks; a chat always goes to the same one. More lanes than database connections keeps
/// the pool busy while some lanes wait on Telegram-free work such as a commit.
pub const LANES: usize = 32;
/// How often an instance without the poller lock tries to take it.
const LOCK_RETRY: std::time::Duration = std::time::Duration::from_secs(2);
/// How long a failed getUpdates or a failed batch waits before trying again.
const RETRY_PAUSE: std::time::Duration = std::time::Duration::from_secs(2);
/// The poller ticks its heartbeat after every getUpdates (a long poll of
/// [`POLL_TIMEOUT_SECONDS`]), every batch stored and every try for the lock; three of these
/// cover a poll that ends in the HTTP client's own time-out.
pub const HEARTBEAT_EVERY: std::time::Duration =
    std::time::Duration::from_secs(POLL_TIMEOUT_SECONDS as u64 + 5);
/// The poller's name in `/healthz` and the metrics.
pub const HEARTBEAT_NAME: &str = "telegram_poller";
/// The lanes' name in the restart counts (`/healthz`, `sipas_worker_restarts_total`).
pub const LANE_NAME: &str = "telegram_lane";
/// How long a lane that panicked waits before it takes the next update.
const LANE_RESTART_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

/// Chats whose update failed in the current batch: their later updates wait for the next fetch,
/// so one chat's order holds even when the database fails half-way.
type Failed = Arc<Mutex<HashSet<i64>>>;

struct Job {
    update: Update,
    chat: i64,
    failed: Option<Failed>,
    /// `None` when the update was skipped because an earlier one of its chat failed.
    reply: oneshot::Sender<Option<Result<Handled, HandleError>>>,
}

/// Tries in the lane, at once, for an update that fails for a passing reason (a deadlock
/// victim, a busy database), before it waits for the next fetch or webhook delivery.
const TRANSIENT_TRIES: u32 = 3;
/// Failures, each on a later fetch or delivery, after which an update failing for a reason that
/// will not pass is given up ([`Telegram::give_up`]) instead of blocking its chat and the offset
/// for ever. Passing failures (the database is down) never give an update up.
pub const GIVE_UP_AFTER: u32 = 3;
/// At most this many failing updates are remembered; past it the counts start again.
const REMEMBERED_FAILURES: usize = 10_000;

/// What a lane needs to handle an update.
#[derive(Debug, Clone)]
struct Handler {
    bot: Bot,
    telegram: Telegram,
    clock: Arc<dyn Clock>,
    /// Lasting failures per update id, shared by the lanes.
    failures: Arc<Mutex<HashMap<u32, u32>>>,
}

impl Handler {
    /// Handles `update`, retrying passing failures at once; an update that keeps failing for a
    /// lasting reason is given up on its [`GIVE_UP_AFTER`]th delivery (a panic counts as one).
    async fn handle(&self, update: &Update) -> Result<Handled, HandleError> {
        let panicked = self
            .failures
            .lock()
            .unwrap()
            .get(&update.id.0)
            .is_some_and(|failures| *failures >= GIVE_UP_AFTER);
        if panicked {
            tracing::error!(
                update = update.id.0,
                "giving up an update whose handling panicked"
            );
            crate::settings::metrics::update_given_up();
            let handled = self.telegram.give_up(update, self.clock.now()).await?;
            self.failures.lock().unwrap().remove(&update.id.0);
            return Ok(handled);
        }
        let mut tries = 0;
        let err = loop {
            match self.telegram.handle_update(update, self.clock.now()).await {
                Ok(handled) => {
                    self.failures.lock().unwrap().remove(&update.id.0);
                    return Ok(handled);
                }
                Err(err) if err.is_transient() && tries + 1 < TRANSIENT_TRIES => {
                    tries += 1;
                    tracing::warn!(%err, update = update.id.0, tries, "update failed; trying again");
                    tokio::time::sleep(std::time::Duration::from_millis(10 << tries)).await;
                }
                Err(err) => break err,
            }
        };
        if err.is_transient() {
            return Err(err);
        }
        let failures = {
            let mut failures = self.failures.lock().unwrap();
            if failures.len() >= REMEMBERED_FAILURES {
                failures.clear();
            }
            let count = failures.entry(update.id.0).or_default();
            *count += 1;
            *count
        };
        if failures < GIVE_UP_AFTER {
            return Err(err);
        }
        tracing::error!(%err, update = update.id.0, failures, "giving up an update that keeps failing");
        crate::settings::metrics::update_given_up();
        let handled = self.telegram.give_up(update, self.clock.now()).await?;
        self.failures.lock().unwrap().remove(&update.id.0);
        Ok(handled)
    }

    async fn process(&self, update: &Update) -> Result<Handled, HandleError> {
        if let Some(chat) = update.chat() {
            crate::settings::metrics::tap(&chat.id.0.to_string());
        }
        let handled = self.handle(update).await?;
        if let Some(chat) = update.chat() {
            crate::settings::metrics::committed(super::CHANNEL, &chat.id.0.to_string());
        }
        if let Some((id, text)) = handled.callback_answer.clone() {
            // Every press is answered, a repeated one too (Telegram may refuse a second answer).
            // The press is already stored; a lost answer only leaves a spinner for a moment.
            let mut answer = self.bot.answer_callback_query(id);
            if let Some(text) = text {
                answer = answer.text(text);
            }
            tokio::spawn(async move {
                if let Err(err) = answer.await {
                    tracing::info!(%err, "answerCallbackQuery failed");
                }
            });
        }
        Ok(handled)
    }
}

/// What a lane does with an update; [`Handler`] in `serve`, something that fails on purpose in
/// the tests of the lanes.
trait LaneWork: Send + Sync + 'static {
    fn process<'a>(&'a self, update: &'a Update) -> BoxFuture<'a, Result<Handled, HandleError>>;
    /// The lane panicked while handling `update`: one more failure of it.
    fn panicked(&self, update: u32);
}

impl LaneWork for Handler {
    fn process<'a>(&'a self, update: &'a Update) -> BoxFuture<'a, Result<Handled, HandleError>> {
        Box::pin(Handler::process(self, update))
    }

    fn panicked(&self, update: u32) {
        let mut failures = self.failures.lock().unwrap();
        if failures.len() >= REMEMBERED_FAILURES {
            failures.clear();
        }
        *failures.entry(update).or_default() += 1;
    }
}

/// Starts one lane: a supervised task taking `jobs` in order, started again on the same queue
/// when it panics. It ends when every sender of its queue is gone.
fn spawn_lane(work: Arc<dyn LaneWork>, jobs: mpsc::Receiver<Job>, heartbeats: Heartbeats) {
    let jobs = Arc::new(tokio::sync::Mutex::new(jobs));
    // The update in hand, so a restarted lane knows which one its predecessor died on.
    let current: Arc<Mutex<Option<u32>>> = Arc::default();
    tokio::spawn(async move {
        // A lane stops with its queue, never on a signal: the sender stays here, unused.
        let (_never, stop) = watch::channel(false);
        supervised_counted(
            LANE_NAME,
            stop,
            LANE_RESTART_PAUSE,
            Some(&heartbeats),
            move || {
                let (work, jobs, current) = (work.clone(), jobs.clone(), current.clone());
                async move {
                    if let Some(update) = current.lock().unwrap().take() {
                        work.panicked(update);
                    }
                    let mut jobs = jobs.lock().await;
                    while let Some(job) = jobs.recv().await {
                        let skip = job
                            .failed
                            .as_ref()
                            .is_some_and(|failed| failed.lock().unwrap().contains(&job.chat));
                        let result = if skip {
                            None
                        } else {
                            *current.lock().unwrap() = Some(job.update.id.0);
                            let result = work.process(&job.update).await;
                            *current.lock().unwrap() = None;
                            if result.is_err()
                                && let Some(failed) = &job.failed
                            {
                                failed.lock().unwrap().insert(job.chat);
                            }
                            Some(result)
                        };
                        let _ = job.reply.send(result);
                    }
                }
            },
        )
        .await;
    });
}

/// The lanes' queues: [`LANES`] supervised lanes doing `work`.
fn spawn_lanes(work: Arc<dyn LaneWork>, heartbeats: &Heartbeats) -> Vec<mpsc::Sender<Job>> {
    (0..LANES)
        .map(|_| {
            let (sender, jobs) = mpsc::channel::<Job>(64);
            spawn_lane(work.clone(), jobs, heartbeats.clone());
            sender
        })
        .collect()
}

/// The chat an update belongs to (its sender for the rare kinds without a chat).
fn chat_of(update: &Update) -> i64 {
    update
        .chat()
        .map(|chat| chat.id.0)
        .or_else(|| update.from().map(|user| user.id.0 as i64))
        .unwrap_or(i64::from(update.id.0))
}

#[derive(Debug, Clone)]
pub struct Poller {
    bot: Bot,
    db: Db,
    clock: Arc<dyn Clock>,
    lanes: Arc<Vec<mpsc::Sender<Job>>>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("update", &self.update.id)
            .finish()
    }
}

impl Poller {
    /// Starts the lanes (on the current runtime), each supervised: a panicking lane is started
    /// again and counted in `heartbeats`. They stop when the last clone is dropped.
    pub fn new(
        bot: Bot,
        telegram: Telegram,
        clock: Arc<dyn Clock>,
        heartbeats: &Heartbeats,
    ) -> Poller {
        let db = telegram.conversations.db().clone();
        let handler = Handler {
            bot: bot.clone(),
            telegram,
            clock: clock.clone(),
            failures: Arc::default(),
        };
        Poller {
            bot,
            db,
            clock,
            lanes: Arc::new(spawn_lanes(Arc::new(handler), heartbeats)),
        }
    }

    /// Queues `update` in its chat's lane; the receiver answers once it is handled (`None`:
    /// skipped behind a failure of its chat, or the lanes have stopped).
    async fn enqueue(
        &self,
        update: Update,
        failed: Option<Failed>,
    ) -> oneshot::Receiver<Option<Result<Handled, HandleError>>> {
        let chat = chat_of(&update);
        let lane = &self.lanes[(chat.unsigned_abs() % LANES as u64) as usize];
        let (reply, answer) = oneshot::channel();
        let job = Job {
            update,
            chat,
            failed,
            reply,
        };
        // A failed send drops the job and its reply sender: the receiver then answers `None`.
        let _ = lane.send(job).await;
        answer
    }

    /// Handles one update in its chat's lane and answers its button press, if any. The webhook
    /// calls this for each posted update; it returns once the update is stored.
    pub async fn process(&self, update: &Update) -> Result<Handled, HandleError> {
        self.enqueue(update.clone(), None)
            .await
            .await
            .ok()
            .flatten()
            .ok_or(HandleError::Stopped)?
    }

    /// Handles a fetched batch, every chat in its lane; answers the offset that confirms what is
    /// stored: past the batch, or the first update that failed (or was held back behind one).
    async fn process_batch(&self, updates: Vec<Update>) -> (Option<i32>, bool) {
        let failed: Failed = Arc::default();
        let ids: Vec<i32> = updates.iter().map(|u| u.id.0 as i32).collect();
        // Queued one after the other, so each lane sees its chats' updates in the order Telegram
        // sent them; then handled side by side.
        let mut pending = Vec::with_capacity(updates.len());
        for update in updates {
            pending.push(self.enqueue(update, Some(failed.clone())).await);
        }
        let results = futures::future::join_all(pending)
            .await
            .into_iter()
            .map(|answer| answer.ok().flatten());
        let mut offset = ids.last().map(|id| id + 1);
        let mut all_stored = true;
        for (id, result) in ids.iter().zip(results) {
            match result {
                Some(Ok(_)) => {}
                Some(Err(err)) => {
                    tracing::error!(%err, update = id, "cannot handle update; will retry");
                    all_stored = false;
                }
                None => all_stored = false,
            }
            if !all_stored {
                offset = Some(*id);
                break;
            }
        }
        (offset, all_stored)
    }

    /// Waits for the poller lock, then polls while holding it, until `shutdown` fires. A batch
    /// that fails to be stored (the database is down) is not confirmed: it is fetched again.
    /// Waiting for the lock is healthy: each try ticks the heartbeat.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>, heartbeats: Heartbeats) {
        let heartbeat = heartbeats.register(HEARTBEAT_NAME, HEARTBEAT_EVERY);
        // Unique per process, so a restarted instance does not mistake an old lease for its own.
        let holder = format!("{}-{}", std::process::id(), crate::storage::new_token());
        loop {
            let mut held = loop {
                if *shutdown.borrow() {
                    return;
                }
                match self.db.try_poller_lock(&holder, self.clock.now()).await {
                    Ok(Some(held)) => break held,
                    Ok(None) => {}
                    Err(err) => tracing::warn!(%err, "cannot take the poller lock"),
                }
                heartbeat.tick();
                tokio::select! {
                    _ = tokio::time::sleep(LOCK_RETRY) => {}
                    _ = shutdown.changed() => return,
                }
            };
            tracing::info!("long polling: this instance holds the poller lock");
            if self
                .poll_while_held(&mut held, &mut shutdown, &heartbeat)
                .await
            {
                held.release().await;
                return;
            }
            tracing::warn!("long polling: the poller lock was lost; waiting to take it again");
        }
    }

    /// Polls until shutdown (`true`) or until the lock is lost (`false`).
    async fn poll_while_held(
        &self,
        held: &mut PollerLock,
        shutdown: &mut watch::Receiver<bool>,
        heartbeat: &Heartbeat,
    ) -> bool {
        let mut offset: Option<i32> = None;
        loop {
            if *shutdown.borrow() {
                return true;
            }
            if !held.renew(self.clock.now()).await {
                return false;
            }
            let mut request = self.bot.get_updates().timeout(POLL_TIMEOUT_SECONDS);
            if let Some(offset) = offset {
                request = request.offset(offset);
            }
            let updates = tokio::select! {
                result = request.send() => result,
                _ = shutdown.changed() => return true,
            };
            heartbeat.tick();
            let updates = match updates {
                Ok(updates) => updates,
                Err(err) => {
                    tracing::warn!(%err, "getUpdates failed");
                    tokio::select! {
                        _ = tokio::time::sleep(RETRY_PAUSE) => {}
                        _ = shutdown.changed() => return true,
                    }
                    continue;
                }
            };
            if updates.is_empty() {
                continue;
            }
            // A batch in hand is finished even when shutdown is asked: it is already ours.
            let (next, all_stored) = self.process_batch(updates).await;
            heartbeat.tick();
            offset = next.or(offset);
            if !all_stored {
                tokio::select! {
                    _ = tokio::time::sleep(RETRY_PAUSE) => {}
                    _ = shutdown.changed() => return true,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Panics on update 1, handles every other.
    #[derive(Default)]
    struct Flaky {
        handled: Mutex<Vec<u32>>,
        panicked: Mutex<Vec<u32>>,
    }

    impl LaneWork for Flaky {
        fn process<'a>(
            &'a self,
            update: &'a Update,
        ) -> BoxFuture<'a, Result<Handled, HandleError>> {
            Box::pin(async move {
                if update.id.0 == 1 {
                    panic!("a fault in the lane");
                }
                self.handled.lock().unwrap().push(update.id.0);
                Ok(Handled::default())
            })
        }

        fn panicked(&self, update: u32) {
            self.panicked.lock().unwrap().push(update);
        }
    }

    fn text(update_id: u32, chat: i64) -> Update {
        serde_json::from_value(serde_json::json!({
            "update_id": update_id,
            "message": {
                "message_id": update_id, "date": 1_763_262_000, "text": "xin chào",
                "chat": { "id": chat, "type": "private", "first_name": "Dân" },
                "from": { "id": chat, "is_bot": false, "first_name": "Dân" },
            }
        }))
        .expect("an update")
    }

    async fn send(
        lane: &mpsc::Sender<Job>,
        update: Update,
    ) -> Result<Option<Result<Handled, HandleError>>, oneshot::error::RecvError> {
        let (reply, answer) = oneshot::channel();
        let chat = chat_of(&update);
        lane.send(Job {
            update,
            chat,
            failed: None,
            reply,
        })
        .await
        .expect("the lane takes jobs");
        answer.await
    }

    #[tokio::test]
    async fn a_panicking_lane_is_started_again_counted_and_takes_the_next_update() {
        let beats = Heartbeats::new();
        let work = Arc::new(Flaky::default());
        let (lane, jobs) = mpsc::channel(8);
        spawn_lane(work.clone(), jobs, beats.clone());
        assert!(
            send(&lane, text(1, 42)).await.is_err(),
            "the update the lane died on is not answered as handled"
        );
        let next = send(&lane, text(2, 42)).await;
        assert!(matches!(next, Ok(Some(Ok(_)))), "{next:?}");
        assert_eq!(*work.handled.lock().unwrap(), [2]);
        assert_eq!(
            *work.panicked.lock().unwrap(),
            [1],
            "the update counts one failure"
        );
        assert_eq!(beats.restarts(), [(LANE_NAME, 1)]);
        assert_eq!(beats.restart_report(), "\nrestarted telegram_lane: 1");
        // Its queue gone, the lane ends instead of being started again.
        drop(lane);
    }
}
