//! (h) Back after a crash: the real `sipas-bot serve` is SIGKILLed while it long-polls (holding
//! the poller lock and its delivery workers' liveness locks), a citizen writes at once, and a
//! new process is started at once on the same database. Measured: from the kill to the reply
//! arriving at the fake, and from the new process's start to it.

use crate::child::BotProcess;
use crate::fake::Fake;
use crate::util::BenchDb;
use std::time::{Duration, Instant};

pub struct RestartFigures {
    /// Per round: kill → reply, and the new process's start → reply.
    pub rounds: Vec<(Duration, Duration)>,
}

pub async fn restart(backend: &str, rounds: usize) -> anyhow::Result<RestartFigures> {
    let bench = BenchDb::new(backend).await?;
    let fake = Fake::start(None).await;
    let chat = 830_001;
    let mut replies = fake.citizen(chat);
    let mut bot =
        BotProcess::start_with(Some(&fake), &bench.url, "sipas-short", &[], false).await?;
    fake.type_text(chat, "xin chào");
    let patience = Duration::from_secs(120);
    tokio::time::timeout(patience, replies.recv())
        .await?
        .ok_or_else(|| anyhow::anyhow!("no first reply"))?;
    let mut figures = RestartFigures { rounds: Vec::new() };
    for _ in 0..rounds {
        bot.kill()?;
        let killed = Instant::now();
        fake.type_text(chat, "xin chào");
        let started = Instant::now();
        bot = BotProcess::start_with(Some(&fake), &bench.url, "sipas-short", &[], false).await?;
        let reply = tokio::time::timeout(patience, replies.recv())
            .await?
            .ok_or_else(|| anyhow::anyhow!("no reply after the restart"))?;
        figures.rounds.push((
            reply.at.saturating_duration_since(killed),
            reply.at.saturating_duration_since(started),
        ));
    }
    bot.stop().await?;
    bench.cleanup().await;
    Ok(figures)
}
