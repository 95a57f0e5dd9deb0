//! Our own pace, so the platform never has to refuse us (Telegram answers 429 above about 30
//! messages a second overall and about 1 a second in one chat).
//!
//! A pacer is pure: it is given the monotonic time and answers when a send may start. A send
//! first waits for its chat's lane, then reserves the next free slot of the overall lane; slots
//! of a lane are spaced `1 / rate` apart (a generic cell rate schedule, no bursts), so the pace
//! holds whatever the number of tasks waiting, and a chat that must wait holds up no other. The worker feeds it tokio's monotonic clock, never the application
//! [`Clock`](crate::clock::Clock): tests that drive a `ManualClock` by hand still see real
//! pacing, and the unit tests below hand it instants directly.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;
use tokio::time::Instant;

/// The limits a pacer keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    /// Sends per second over all chats.
    pub overall_per_second: f64,
    /// New messages per second in one chat.
    pub chat_per_second: f64,
}

/// Above this many remembered chats, chats whose slot has passed are forgotten.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug)]
pub struct Pacer {
    overall_gap: Duration,
    chat_gap: Duration,
    overall_next: Option<Instant>,
    chats: HashMap<String, Instant>,
    /// The sends of the last minute to chats held to a per-minute limit (Telegram groups).
    minutes: HashMap<String, VecDeque<Instant>>,
}

impl Pacer {
    pub fn new(pace: Pace) -> Pacer {
        Pacer {
            overall_gap: gap(pace.overall_per_second),
            chat_gap: gap(pace.chat_per_second),
            overall_next: None,
            chats: HashMap::new(),
            minutes: HashMap::new(),
        }
    }

    /// First step of a send to `chat` asked for at `now`, for calls the platform counts per
    /// chat (a new message, not an edit): when the chat's lane is free. The caller waits until
    /// then, and only then takes an overall slot, so a chat that must wait holds up no one else.
    /// `slower` is a lower rate, in messages per second, this chat is held to over any minute
    /// (a Telegram group: 20 a minute, in bursts of at most the usual per-chat pace).
    pub fn chat_slot(&mut self, chat: &str, slower: Option<f64>, now: Instant) -> Instant {
        if self.chats.len() >= PRUNE_ABOVE {
            self.chats.retain(|_, next| *next > now);
            self.minutes
                .retain(|_, sends| sends.back().is_some_and(|last| *last + MINUTE > now));
        }
        let mut at = self.chats.get(chat).map_or(now, |next| now.max(*next));
        if let (Some(rate), Some(sends)) = (slower, self.minutes.get(chat)) {
            let limit = per_minute(rate);
            if sends.len() >= limit {
                at = at.max(sends[sends.len() - limit] + MINUTE);
            }
        }
        self.chats.insert(chat.to_string(), at + self.chat_gap);
        at
    }

    /// Second step: the next free slot of the overall lane at or after `now`; the send starts
    /// then. A send counted per chat also keeps its chat's next slot a full gap after it.
    pub fn overall_slot(
        &mut self,
        chat: &str,
        per_chat: bool,
        slower: Option<f64>,
        now: Instant,
    ) -> Instant {
        let at = now.max(self.overall_next.unwrap_or(now));
        self.overall_next = Some(at + self.overall_gap);
        if per_chat {
            let after = at + self.chat_gap;
            let next = self.chats.entry(chat.to_string()).or_insert(after);
            *next = (*next).max(after);
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

    /// The platform asked us to wait (a 429 with `retry_after`): nothing more goes to `chat`
    /// before `until`.
    pub fn hold_chat(&mut self, chat: &str, until: Instant) {
        let next = self.chats.entry(chat.to_string()).or_insert(until);
        *next = (*next).max(until);
    }
}

const MINUTE: Duration = Duration::from_secs(60);

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
mod tests {
    use super::*;

    fn telegram() -> Pacer {
        Pacer::new(Pace {
            overall_per_second: 30.0,
            chat_per_second: 1.0,
        })
    }

    /// Both steps, as the worker takes them, for a send asked for at `now` (the chat's wait is
    /// taken as elapsed before the overall slot is asked for).
    fn slot(pacer: &mut Pacer, chat: &str, per_chat: bool, now: Instant) -> Instant {
        let ready = if per_chat {
            pacer.chat_slot(chat, None, now)
        } else {
            now
        };
        pacer.overall_slot(chat, per_chat, None, ready)
    }

    #[test]
    fn a_hundred_chats_at_once_go_out_at_thirty_a_second() {
        let mut pacer = telegram();
        let start = Instant::now();
        let slots: Vec<Instant> = (0..100)
            .map(|i| slot(&mut pacer, &format!("chat-{i}"), true, start))
            .collect();
        assert_eq!(slots[0], start, "the first goes at once");
        // In any window of one second, at most 30 sends start.
        for (i, at) in slots.iter().enumerate() {
            let in_window = slots[i..]
                .iter()
                .filter(|s| **s < *at + Duration::from_secs(1))
                .count();
            assert!(in_window <= 30, "{in_window} sends within a second of #{i}");
        }
        let last = slots[99] - start;
        assert!(
            last >= Duration::from_millis(3_290) && last <= Duration::from_millis(3_310),
            "100 sends take 99 gaps of 1/30 s: {last:?}"
        );
    }

    #[test]
    fn one_chat_gets_one_message_a_second_and_edits_are_not_held() {
        let mut pacer = telegram();
        let start = Instant::now();
        let first = slot(&mut pacer, "a", true, start);
        let second_ready = pacer.chat_slot("a", None, start);
        let edit = slot(&mut pacer, "a", false, start);
        let other_chat = slot(&mut pacer, "b", true, start);
        assert_eq!(first, start);
        assert_eq!(second_ready - start, Duration::from_secs(1));
        assert!(
            edit < start + Duration::from_millis(100),
            "{:?}",
            edit - start
        );
        assert!(other_chat < start + Duration::from_millis(100));
        let second = pacer.overall_slot("a", true, None, second_ready);
        assert_eq!(second, second_ready, "the overall lane is free by then");
        // Later, the chat's lane is free again.
        let later = start + Duration::from_secs(10);
        assert_eq!(slot(&mut pacer, "a", true, later), later);
    }

    #[test]
    fn a_chat_held_by_the_platform_waits_and_others_do_not() {
        let mut pacer = telegram();
        let start = Instant::now();
        pacer.hold_chat("a", start + Duration::from_secs(5));
        assert_eq!(
            pacer.chat_slot("a", None, start),
            start + Duration::from_secs(5)
        );
        assert_eq!(slot(&mut pacer, "b", true, start), start);
    }

    #[test]
    fn a_group_gets_twenty_a_minute_in_bursts_of_one_a_second() {
        let mut pacer = telegram();
        let start = Instant::now();
        let group = Some(20.0 / 60.0);
        let slots: Vec<Instant> = (0..21)
            .map(|_| {
                let ready = pacer.chat_slot("-100", group, start);
                pacer.overall_slot("-100", true, group, ready)
            })
            .collect();
        assert_eq!(slots[19] - start, Duration::from_secs(19), "one a second");
        assert_eq!(
            slots[20] - start,
            Duration::from_secs(60),
            "then the minute is full"
        );
    }

    #[test]
    fn a_thousand_a_second_is_a_millisecond_apart() {
        let mut pacer = Pacer::new(Pace {
            overall_per_second: 1000.0,
            chat_per_second: 1.0,
        });
        let start = Instant::now();
        let last = (0..1000)
            .map(|i| slot(&mut pacer, &i.to_string(), true, start))
            .last()
            .unwrap();
        assert_eq!(last - start, Duration::from_millis(999));
    }
}
