use super::*;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

fn telegram() -> Pacer {
    Pacer::new(Pace {
        overall_per_second: 30.0,
        chat_per_second: 1.0,
    })
}

const SECOND: Duration = Duration::from_secs(1);

/// Both planning steps, as the worker takes them, for a send asked for at `now` (the chat's
/// wait is taken as elapsed before the overall slot is asked for).
fn slot(pacer: &mut Pacer, chat: &str, per_chat: bool, now: Instant) -> Instant {
    let ready = if per_chat {
        pacer.chat_slot(chat, None, now)
    } else {
        now
    };
    pacer.overall_slot(chat, per_chat, None, ready)
}

/// The most of `times` (sorted) inside any window of `window`.
fn most_in_window(times: &[Instant], window: Duration) -> usize {
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| **t < times[i] + window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// A request answered late (it reached the platform at the latest then) holds the next of its
/// window until a window after its answer, not after the instant it was let go.
#[test]
fn a_window_counts_from_the_answer_of_a_request_that_left_late() {
    let mut pacer = telegram();
    let now = Instant::now();
    let first = slot(&mut pacer, "1", true, now);
    assert_eq!(pacer.start("1", true, first), Ok(()));
    let answered = first + Duration::from_millis(200);
    pacer.finished("1", true, first, answered);
    let second = slot(&mut pacer, "1", true, answered);
    assert!(second < answered + SECOND + MARGIN, "{second:?}");
    assert_eq!(
        pacer.start("1", true, second),
        Err(answered + SECOND + MARGIN)
    );
    assert_eq!(pacer.start("1", true, answered + SECOND + MARGIN), Ok(()));
}

#[test]
fn a_hundred_chats_at_once_go_out_at_thirty_a_second_less_the_margin() {
    let mut pacer = telegram();
    let start = Instant::now();
    let slots: Vec<Instant> = (0..100)
        .map(|i| slot(&mut pacer, &format!("chat-{i}"), true, start))
        .collect();
    assert_eq!(slots[0], start, "the first goes at once");
    assert!(slots.windows(2).all(|w| w[1] >= w[0] + SECOND / 30));
    assert_eq!(most_in_window(&slots, SECOND + MARGIN), 30);
    let last = slots[99] - start;
    // 99 gaps of 1/30 s, and a margin after each full window (3 of them).
    assert!(
        last >= Duration::from_millis(3_370) && last <= Duration::from_millis(3_380),
        "{last:?}"
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
    assert_eq!(second_ready - start, SECOND + MARGIN);
    assert!(edit < start + Duration::from_millis(100), "{edit:?}");
    assert!(other_chat < start + Duration::from_millis(100));
    let second = pacer.overall_slot("a", true, None, second_ready);
    assert_eq!(second, second_ready, "the overall lane is free by then");
    // Later, the chat's lane is free again.
    let later = start + Duration::from_secs(10);
    assert_eq!(slot(&mut pacer, "a", true, later), later);
}

#[test]
fn a_request_that_left_late_pushes_the_one_a_window_after_it() {
    let mut pacer = telegram();
    let start = Instant::now();
    let first = slot(&mut pacer, "a", true, start);
    // The task woke 40 ms after its slot: that is when the request left.
    let left = first + Duration::from_millis(40);
    assert_eq!(pacer.start("a", true, left), Ok(()));
    let ready = pacer.chat_slot("a", None, left);
    let second = pacer.overall_slot("a", true, None, ready);
    assert_eq!(second, start + SECOND + MARGIN, "planned from the slot");
    assert_eq!(
        pacer.start("a", true, second),
        Err(left + SECOND + MARGIN),
        "but a full window after the first really left"
    );
    assert_eq!(pacer.start("a", true, left + SECOND + MARGIN), Ok(()));
    // An edit is not counted in its chat.
    assert_eq!(pacer.start("a", false, left + SECOND + MARGIN), Ok(()));
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
    assert_eq!(
        pacer.start("a", true, start + Duration::from_secs(4)),
        Err(start + Duration::from_secs(5))
    );
    assert_eq!(slot(&mut pacer, "b", true, start), start);
    assert_eq!(pacer.start("b", true, start), Ok(()));
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
    assert_eq!(slots[19] - start, (SECOND + MARGIN) * 19, "one a second");
    assert_eq!(
        slots[20] - start,
        Duration::from_secs(60) + MARGIN,
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
    let slots: Vec<Instant> = (0..1001)
        .map(|i| slot(&mut pacer, &i.to_string(), true, start))
        .collect();
    assert_eq!(slots[999] - start, Duration::from_millis(999));
    assert_eq!(slots[1000] - start, SECOND + MARGIN, "the next window");
}

#[test]
fn forgotten_chats_were_free_anyway() {
    let mut pacer = telegram();
    let start = Instant::now();
    for i in 0..PRUNE_ABOVE {
        slot(&mut pacer, &i.to_string(), true, start);
    }
    let later = start + Duration::from_secs(3_600);
    slot(&mut pacer, "late", true, later);
    assert_eq!(pacer.chats.len(), 1, "only the chat just planned is left");
}

/// The worker's tasks, simulated on a virtual clock: each chat sends its messages in order;
/// every wake-up comes up to 15 ms late (a busy machine). No second (plus the margin) of real
/// departures holds more than 30 requests or more than one per chat, and the pace stays above
/// 95% of 30 a second.
#[test]
fn late_wake_ups_never_crowd_a_window_and_the_pace_holds() {
    #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    enum Step {
        Chat,
        Overall,
        Start,
    }
    let mut pacer = telegram();
    let start = Instant::now();
    let (chats, each) = (100usize, 3usize);
    let mut seed: u64 = 0x5eed;
    let mut late = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        Duration::from_micros((seed >> 33) % 15_000)
    };
    let mut left_in_chat = vec![each; chats];
    let mut events = BinaryHeap::new();
    for chat in 0..chats {
        events.push(Reverse((start, chat, Step::Chat)));
    }
    let mut sent: Vec<Instant> = Vec::new();
    let mut per_chat: Vec<Vec<Instant>> = vec![Vec::new(); chats];
    while let Some(Reverse((now, chat, step))) = events.pop() {
        let name = format!("chat-{chat}");
        let next = match step {
            Step::Chat => (pacer.chat_slot(&name, None, now) + late(), Step::Overall),
            Step::Overall => (
                pacer.overall_slot(&name, true, None, now) + late(),
                Step::Start,
            ),
            Step::Start => match pacer.start(&name, true, now) {
                Err(until) => (until + late(), Step::Start),
                Ok(()) => {
                    sent.push(now);
                    per_chat[chat].push(now);
                    left_in_chat[chat] -= 1;
                    if left_in_chat[chat] == 0 {
                        continue;
                    }
                    (now + Duration::from_millis(1), Step::Chat)
                }
            },
        };
        events.push(Reverse((next.0, chat, next.1)));
    }
    sent.sort();
    assert_eq!(sent.len(), chats * each);
    assert_eq!(most_in_window(&sent, SECOND + MARGIN), 30);
    for times in &per_chat {
        assert!(times.windows(2).all(|w| w[1] - w[0] >= SECOND + MARGIN));
    }
    let span = (sent[sent.len() - 1] - sent[0]).as_secs_f64();
    let rate = (sent.len() - 1) as f64 / span;
    assert!(rate >= 28.5, "{rate:.2} a second");
}

fn telegram_with_bursts() -> Pacer {
    let pace = Pace {
        overall_per_second: 30.0,
        chat_per_second: 1.0,
    };
    assert_eq!(Pacer::default_burst(pace), 5);
    Pacer::with_burst(pace, Pacer::default_burst(pace))
}

#[test]
fn a_reply_just_after_another_is_not_held_while_the_bot_is_below_its_limit() {
    let mut pacer = telegram_with_bursts();
    let start = Instant::now();
    // Replies to different chats 10 ms apart: each goes when asked, not a gap after the last.
    for i in 0..5u32 {
        let asked = start + Duration::from_millis(10) * i;
        let chat = format!("c{i}");
        assert_eq!(slot(&mut pacer, &chat, false, asked), asked, "reply {i}");
        assert_eq!(pacer.start(&chat, false, asked), Ok(()));
    }
    // The bucket refills one slot a gap: four came back in those 150 ms.
    let asked = start + Duration::from_millis(150);
    assert_eq!(slot(&mut pacer, "c5", false, asked), asked);
    // Ten at once on a fresh pacer: five go at once, then one a gap.
    let mut pacer = telegram_with_bursts();
    let slots: Vec<Instant> = (0..10)
        .map(|i| slot(&mut pacer, &format!("d{i}"), false, start))
        .collect();
    assert!(slots[..5].iter().all(|at| *at == start));
    assert_eq!(slots[5], start + gap(30.0));
    assert_eq!(slots[9], start + gap(30.0) * 5);
}

#[test]
fn with_bursts_a_hundred_chats_at_once_still_keep_thirty_a_window_and_the_rate() {
    let mut pacer = telegram_with_bursts();
    let start = Instant::now();
    let slots: Vec<Instant> = (0..100)
        .map(|i| slot(&mut pacer, &format!("c{i}"), true, start))
        .collect();
    assert!(slots[..5].iter().all(|at| *at == start), "five at once");
    assert_eq!(most_in_window(&slots, SECOND + MARGIN), 30);
    // After the burst, evenly spaced: the long-run rate is kept, and the backlog that a full
    // window held back goes out one a gap, not as another burst at the window's edge.
    for (i, pair) in slots.windows(2).enumerate().skip(4) {
        assert!(pair[1] >= pair[0] + gap(30.0), "slot {}", i + 1);
    }
    // Ninety sends need three windows; the hundredth comes soon after (no throughput lost).
    let span = slots[99] - start;
    assert!(
        span >= (SECOND + MARGIN) * 3 && span < Duration::from_millis(3_500),
        "{span:?}"
    );
}

#[test]
fn a_chats_lane_has_no_burst() {
    let mut pacer = telegram_with_bursts();
    let start = Instant::now();
    let first = slot(&mut pacer, "a", true, start);
    let second = slot(&mut pacer, "a", true, start);
    assert_eq!(first, start);
    assert_eq!(second - start, SECOND + MARGIN);
}
