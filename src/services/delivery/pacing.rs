//! Our own pace, so the platform never has to refuse us (Telegram answers 429 above about 30
//! messages a second overall and about 1 a second in one chat).
//!
//! **What is kept.** For a rate of `r` sends a second (overall, or in one chat), no rolling
//! window of one second — or of `1 / r` seconds when `r` is below one — ever holds more than
//! `max(1, ⌊r⌋)` sends, counted at the instant each request leaves ([`Pacer::start`]) and, once
//! it is answered, at its answer ([`Pacer::finished`]: it reached the platform by then, however
//! late a loaded machine let it out; the next one of its window waits for that). Telegram
//! does not publish the shape of its limits ("about 30 a second", "avoid more than one a second
//! in a chat"), and it counts a request when it arrives, after a transit time we do not know.
//! So we read the limit as the strictest shape it could have — a rolling window, no burst over
//! the count — and keep [`MARGIN`] beyond each window: two requests a window apart may then
//! take different times to arrive (up to the margin) and still land in different windows. At
//! 30 a second that costs 2.4% of the rate (30 sends every 1.025 s: 29.3 a second); at 1 a
//! second per chat, a new message every 1.025 s.
//!
//! **How.** A send takes three steps, all given the monotonic time (the pacer itself is pure):
//! it waits for its chat's lane ([`Pacer::chat_slot`]), then reserves the next free slot of the
//! overall lane ([`Pacer::overall_slot`]); slots of a lane are spaced `1 / r` apart and never
//! more than the count in a window plus the margin, so the pace holds whatever the number of
//! tasks waiting, and a chat that must wait holds up no other.
//!
//! **Bursts.** Evenly spaced slots made a reply wait for the sends just before it even when the
//! bot was far below its limit: at 20 citizens tapping at a human pace (about 13 replies a
//! second against 30), a reply that came 10 ms after another waited 23 ms more, and one after a
//! cluster of four waited 100 ms (issue 20: tap → next p95 85–114 ms, p50 11–31 ms, the pacer's
//! share seen in `sipas_reply_stage_seconds{stage="sent"}`). So the overall lane may give
//! `burst` slots at once ([`Pacer::with_burst`]; the worker's default is a sixth of a second's
//! sends: 5 at 30/s): a token bucket of `burst` slots refilled one every `1 / r`, which keeps the
//! long-run rate, and still never more than the count in a window; once the window is full the
//! bucket counts as empty, so a backlog goes out evenly spaced and no burst meets a window's
//! edge (a burst's requests reach the platform spread over more than the margin on a loaded
//! machine; each request of a burst adds a millisecond to the window's margin, at most 25 more:
//! 5 ms at 30/s, 29.1 sends a second at most). A chat's lane has no burst. With a bucket, a
//! reply waits only when more than `burst + r·t` were asked in some span `t` before it: at 13
//! replies a second against 30, almost never. (A first try counted at most `burst` slots in any
//! span of `burst` gaps, with no refill in between: 5 fell within 166 ms about 7% of the time,
//! and the p95 stayed at 70–80 ms.) When its slot comes, the task
//! asks [`Pacer::start`] for the go ahead: the reservations were made from planned instants, but
//! a task may wake late (a busy machine), and a window is kept between the instants requests
//! really left. A late request therefore pushes the ones a window after it, never crowds them.
//!
//! The worker feeds it tokio's monotonic clock, never the application
//! [`Clock`](crate::core::clock::Clock): tests that drive a `ManualClock` by hand still see real
//! pacing, and the unit tests hand it instants directly.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;
use tokio::time::Instant;

/// Kept beyond every window: the spread, between two requests a window apart, of the time a
/// request takes from leaving to being counted by the platform.
pub const MARGIN: Duration = Duration::from_millis(25);

/// The limits a pacer keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    /// Sends per second over all chats.
    pub overall_per_second: f64,
    /// New messages per second in one chat.
    pub chat_per_second: f64,
}

/// Above this many remembered chats, chats with nothing left to wait for are forgotten.
const PRUNE_ABOVE: usize = 10_000;

const MINUTE: Duration = Duration::from_secs(60);

/// One rate limit: sends spaced `gap` apart, and at most `count` in any `window` (the margin
/// included), both over the planned slots and over the instants the requests really left.
#[derive(Debug, Clone)]
struct Lane {
    gap: Duration,
    count: usize,
    window: Duration,
    /// The earliest next slot: a gap after the last one, or the end of a wait the platform
    /// asked for.
    next: Option<Instant>,
    /// Nothing starts before this (a wait the platform asked for).
    held: Option<Instant>,
    /// A bucket of this many slots, refilled one a gap (1: evenly spaced).
    burst: usize,
    /// The bucket's theoretical time (GCRA): a slot may be given at `tat - (burst - 1) gaps`.
    tat: Option<Instant>,
    /// The last `count` slots given out, oldest first.
    planned: VecDeque<Instant>,
    /// The instants the last `count` requests left, oldest first.
    started: VecDeque<Instant>,
}

impl Lane {
    fn new(per_second: f64) -> Lane {
        let limited = per_second.is_finite() && per_second > 0.0;
        Lane {
            gap: gap(per_second),
            count: if limited {
                (per_second.floor() as usize).max(1)
            } else {
                usize::MAX
            },
            window: if limited {
                Duration::from_secs_f64((1.0 / per_second).max(1.0)) + MARGIN
            } else {
                Duration::ZERO
            },
            next: None,
            held: None,
            burst: 1,
            tat: None,
            planned: VecDeque::new(),
            started: VecDeque::new(),
        }
    }

    /// The instant `count` entries of `times` back, plus the window: the earliest the next one
    /// may be. `None` while fewer than `count` are known.
    fn window_end(&self, times: &VecDeque<Instant>) -> Option<Instant> {
        let len = times.len();
        (len >= self.count).then(|| times[len - self.count] + self.window)
    }

    /// The first slot at or after `now` this lane can give.
    fn free_at(&self, now: Instant) -> Instant {
        [self.next, self.held, self.window_end(&self.planned)]
            .into_iter()
            .flatten()
            .fold(now, Instant::max)
    }

    /// Gives out the slot `at` (from [`Lane::free_at`]): a token bucket of `burst` slots that
    /// refills one a gap, so the next may follow at once while the bucket holds one (with a
    /// burst of one: a gap after this one). A slot the window held back finds the bucket empty:
    /// under a full window the slots go evenly spaced, and no burst meets a window's edge.
    fn plan(&mut self, at: Instant) {
        let window_bound = self.window_end(&self.planned).is_some_and(|end| end >= at);
        push(&mut self.planned, at, self.count);
        let after = if self.burst <= 1 || self.count == usize::MAX {
            at + self.gap
        } else {
            let spare = self.gap * (self.burst as u32 - 1);
            let tat = if window_bound {
                at + self.gap + spare
            } else {
                self.tat.map_or(at, |tat| tat.max(at)) + self.gap
            };
            self.tat = Some(tat);
            (tat - spare).max(at)
        };
        // A wait the platform asked for still holds.
        self.next = Some(self.held.map_or(after, |held| held.max(after)));
    }

    /// The last slot given out is taken later, at `at`: the lane's next slot moves with it.
    fn plan_later(&mut self, at: Instant) {
        match self.planned.back_mut() {
            Some(last) => *last = (*last).max(at),
            None => push(&mut self.planned, at, self.count),
        }
        let after = at + self.gap;
        self.next = Some(self.next.map_or(after, |next| next.max(after)));
    }

    /// When a request may leave, asked at `now`: `now` itself, or later.
    fn start_at(&self, now: Instant) -> Instant {
        [self.held, self.window_end(&self.started)]
            .into_iter()
            .flatten()
            .fold(now, Instant::max)
    }

    fn hold(&mut self, until: Instant) {
        self.held = Some(self.held.map_or(until, |held| held.max(until)));
        self.next = Some(self.next.map_or(until, |next| next.max(until)));
    }

    /// The request that left at `started` has had its answer at `ended`: the platform counted
    /// it at the latest then, so its window runs from `ended`. A request can reach the platform
    /// well after it was let go (a loaded machine, several let go at once), and a window counted
    /// from when it was let go could then hold more than the count as the platform sees them.
    fn finished(&mut self, started: Instant, ended: Instant) {
        if let Some(entry) = self.started.iter_mut().find(|at| **at == started) {
            *entry = (*entry).max(ended);
            self.started.make_contiguous().sort_unstable();
        }
    }

    /// Whether nothing this lane remembers can hold a send at `now` or later: forgetting it
    /// changes nothing.
    fn idle(&self, now: Instant) -> bool {
        let windows = [self.planned.back(), self.started.back()]
            .into_iter()
            .flatten()
            .map(|at| *at + self.window);
        [self.next, self.held]
            .into_iter()
            .flatten()
            .chain(windows)
            .all(|until| until <= now)
    }
}

fn push(times: &mut VecDeque<Instant>, at: Instant, keep: usize) {
    // An unlimited lane (`keep` is `usize::MAX`) keeps nothing: it has no window.
    let keep = if keep == usize::MAX { 0 } else { keep };
    times.push_back(at);
    while times.len() > keep {
        times.pop_front();
    }
}

#[derive(Debug)]
pub struct Pacer {
    chat_per_second: f64,
    overall: Lane,
    chats: HashMap<String, Lane>,
    /// The sends of the last minute to chats held to a per-minute limit (Telegram groups).
    minutes: HashMap<String, VecDeque<Instant>>,
}

impl Pacer {
    /// A pacer with evenly spaced slots (no burst).
    pub fn new(pace: Pace) -> Pacer {
        Pacer::with_burst(pace, 1)
    }

    /// A pacer whose overall lane gives up to `burst` slots at once (at least 1, at most the
    /// count of its window); each chat's lane stays evenly spaced.
    pub fn with_burst(pace: Pace, burst: usize) -> Pacer {
        let mut overall = Lane::new(pace.overall_per_second);
        overall.burst = burst.clamp(1, overall.count.min(u32::MAX as usize));
        if overall.burst > 1 && overall.count != usize::MAX {
            // Requests that leave together reach the platform spread out: a millisecond more
            // of margin per request of a burst, at most another `MARGIN`.
            overall.window += (Duration::from_millis(1) * overall.burst as u32).min(MARGIN);
        }
        Pacer {
            chat_per_second: pace.chat_per_second,
            overall,
            chats: HashMap::new(),
            minutes: HashMap::new(),
        }
    }

    /// The burst the worker gives a pace by default: a sixth of a second's sends (5 at 30 a
    /// second, 8 at Zalo's 50, 166 at 1000), at least 1.
    pub fn default_burst(pace: Pace) -> usize {
        ((pace.overall_per_second / 6.0).floor() as usize).max(1)
    }

    fn chat(&mut self, chat: &str) -> &mut Lane {
        if !self.chats.contains_key(chat) {
            self.chats
                .insert(chat.to_string(), Lane::new(self.chat_per_second));
        }
        self.chats.get_mut(chat).expect("just inserted")
    }

    /// First step of a send to `chat` asked for at `now`, for calls the platform counts per
    /// chat (a new message, not an edit): when the chat's lane is free. The caller waits until
    /// then, and only then takes an overall slot, so a chat that must wait holds up no one else.
    /// `slower` is a lower rate, in messages per second, this chat is held to over any minute
    /// (a Telegram group: 20 a minute, in bursts of at most the usual per-chat pace).
    pub fn chat_slot(&mut self, chat: &str, slower: Option<f64>, now: Instant) -> Instant {
        if self.chats.len() >= PRUNE_ABOVE {
            self.chats.retain(|_, lane| !lane.idle(now));
            self.minutes
                .retain(|_, sends| sends.back().is_some_and(|last| *last + MINUTE > now));
        }
        let lane = self.chat(chat);
        let mut at = lane.free_at(now);
        if let (Some(rate), Some(sends)) = (slower, self.minutes.get(chat)) {
            let limit = per_minute(rate);
            if sends.len() >= limit {
                at = at.max(sends[sends.len() - limit] + MINUTE + MARGIN);
            }
        }
        self.chat(chat).plan(at);
        at
    }

    /// Second step: the next free slot of the overall lane at or after `now`; the caller
    /// waits until then. A send counted per chat also keeps its chat's next slot after it.
    pub fn overall_slot(
        &mut self,
        chat: &str,
        per_chat: bool,
        slower: Option<f64>,
        now: Instant,
    ) -> Instant {
        let at = self.overall.free_at(now);
        self.overall.plan(at);
        if per_chat {
            self.chat(chat).plan_later(at);
            if let Some(rate) = slower {
                let sends = self.minutes.entry(chat.to_string()).or_default();
                sends.push_back(at);
                while sends.len() > per_minute(rate) {
                    sends.pop_front();
                }
            }
        }
        at
    }

    /// Last step, when the slot has come: may the request leave `now`? `Ok` counts it as sent
    /// at `now` (the caller sends it at once); `Err` says until when to wait before asking
    /// again — a window after the request the count back really left (one that left late).
    pub fn start(&mut self, chat: &str, per_chat: bool, now: Instant) -> Result<(), Instant> {
        let mut at = self.overall.start_at(now);
        if per_chat {
            at = at.max(self.chat(chat).start_at(now));
        }
        if at > now {
            return Err(at);
        }
        let count = self.overall.count;
        push(&mut self.overall.started, now, count);
        if per_chat {
            let lane = self.chat(chat);
            let count = lane.count;
            push(&mut lane.started, now, count);
        }
        Ok(())
    }

    /// The platform asked us to wait (a 429 with `retry_after`): nothing more goes to `chat`
    /// before `until`.
    pub fn hold_chat(&mut self, chat: &str, until: Instant) {
        self.chat(chat).hold(until);
    }

    /// A request let go at `started` by [`Pacer::start`] has been answered at `ended`: the
    /// windows after it count from `ended`, a bound on when the platform counted it.
    pub fn finished(&mut self, chat: &str, per_chat: bool, started: Instant, ended: Instant) {
        self.overall.finished(started, ended);
        if per_chat && let Some(lane) = self.chats.get_mut(chat) {
            lane.finished(started, ended);
        }
    }
}

/// How many sends a minute a rate per second allows (at least one).
fn per_minute(rate: f64) -> usize {
    ((rate * 60.0).floor() as usize).max(1)
}

/// The gap between two sends, rounded up to the nanosecond so that `rate` sends never fit in
/// less than a second.
fn gap(per_second: f64) -> Duration {
    if per_second.is_finite() && per_second > 0.0 {
        Duration::from_nanos((1e9 / per_second).ceil() as u64)
    } else {
        Duration::ZERO
    }
}

#[cfg(test)]
mod tests;
