//! The benchmark harness of issue 9: `cargo bench --bench sipas-bench -- all` (or one part:
//! answers, intake, summary, memory, outbound). It measures through the stable public entry
//! points — the real `serve` wiring, HTTP, the Bot API protocol, the `sipas-bot summary`
//! command — so its figures move as the code underneath improves. Beside each figure it prints
//! the raw write limit of the same database on the same machine: single-row insert commits/s.

mod answers;
mod bulk;
mod child;
mod fake;
mod memory;
mod restart;
mod summary;
mod util;
mod zalo;

use clap::{Parser, ValueEnum};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Part {
    All,
    Answers,
    Intake,
    Summary,
    Memory,
    Outbound,
    /// (f) The tap at human pace, default Telegram limits.
    Tap,
    /// (g) Zalo at human pace: server-side stored → sent, and end to end.
    Zalo,
    /// (h) Back after a SIGKILL: kill → the next reply.
    Restart,
    #[value(hide = true)]
    MemoryChild,
    #[value(hide = true)]
    SummaryChild,
}

#[derive(Debug, Parser)]
#[command(
    name = "sipas-bench",
    about = "End-to-end benchmarks of sipas-bot (issue 9)"
)]
struct Args {
    /// The part to run; without one, only this help is printed (as under `cargo test`).
    part: Option<Part>,
    /// SQLite only (no PostgreSQL runs).
    #[arg(long)]
    no_postgres: bool,
    /// (a) Citizens answering at once.
    #[arg(long, default_value_t = 200)]
    citizens: usize,
    /// (b) Notices posted, and concurrent keep-alive connections.
    #[arg(long, default_value_t = 20_000)]
    notices: usize,
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// (c) The province: agencies and responses.
    #[arg(long, default_value_t = 1_000)]
    agencies: usize,
    #[arg(long, default_value_t = 1_000_000)]
    responses: usize,
    /// (c) Also the nation (10,000 agencies, on PostgreSQL).
    #[arg(long)]
    nation: bool,
    #[arg(long, default_value_t = 10_000)]
    nation_agencies: usize,
    #[arg(long, default_value_t = 10_000_000)]
    nation_responses: usize,
    /// (c) Only the nation (no province).
    #[arg(long)]
    nation_only: bool,
    /// (c) Also load the nation's answer rows (~200 million; the summary reads only the totals).
    #[arg(long)]
    nation_answer_rows: bool,
    /// (d) Surveys in progress, and how many of them answer while memory is measured.
    #[arg(long, default_value_t = 100_000)]
    surveys: usize,
    #[arg(long, default_value_t = 200)]
    sample: usize,
    /// (e) Chats, and messages queued for each at once.
    #[arg(long, default_value_t = 100)]
    outbound_chats: usize,
    #[arg(long, default_value_t = 3)]
    outbound_per_chat: usize,
    /// (f) and (g) Citizens at human pace, and the pause each takes to read a message.
    #[arg(long, default_value_t = 20)]
    human_citizens: usize,
    #[arg(long, default_value_t = 1500)]
    think_ms: u64,
    /// (h) Kills and restarts.
    #[arg(long, default_value_t = 3)]
    restarts: usize,
    /// Seconds spent measuring each database's raw insert limit.
    #[arg(long, default_value_t = 3.0)]
    raw_seconds: f64,
    #[arg(long, hide = true)]
    child_url: Option<String>,
    /// Passed by `cargo bench`.
    #[arg(long, hide = true)]
    bench: bool,
}

struct Table {
    raw: HashMap<&'static str, f64>,
    rows: Vec<[String; 5]>,
}

impl Table {
    fn add(&mut self, part: &str, backend: &str, figure: String, target: &str) {
        let raw = self
            .raw
            .get(backend)
            .map_or("-".into(), |r| format!("{r:.0} commits/s"));
        let row = [part.into(), backend.into(), figure, raw, target.into()];
        println!("  {}", row.join(" | "));
        self.rows.push(row);
    }

    fn print(&self) {
        let head = [
            "part",
            "backend",
            "figure",
            "raw insert limit",
            "target (issue 9)",
        ];
        let mut widths = head.map(str::len);
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: [&str; 5]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(widths)
                .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
                .collect();
            println!("| {} |", padded.join(" | "));
        };
        println!();
        line(head);
        println!("|{}|", widths.map(|w| "-".repeat(w + 2)).join("|"));
        for row in &self.rows {
            line([&row[0], &row[1], &row[2], &row[3], &row[4]].map(|s| s.as_str()));
        }
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let Some(part) = args.part else {
        println!(
            "usage: cargo bench --bench sipas-bench -- <all|answers|intake|summary|memory|outbound|tap|zalo|restart> [--help]"
        );
        return Ok(());
    };
    // Quiet unless RUST_LOG asks: the bot's own logs would time the terminal, not the bot.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(part, args))
}

async fn run(part: Part, args: Args) -> anyhow::Result<()> {
    if part == Part::SummaryChild {
        let url = args.child_url.as_deref().unwrap_or_default();
        let (took, peak_mb, ok) = summary::child_summary(url)?;
        println!("{} {peak_mb} {}", took.as_nanos(), u8::from(ok));
        return Ok(());
    }
    if part == Part::MemoryChild {
        let url = args.child_url.as_deref().unwrap_or_default();
        return memory::child(url, args.sample).await;
    }
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "sipas-bench on {cores} cores ({})",
        chrono::Utc::now().to_rfc3339()
    );
    let backends = util::backends(!args.no_postgres);
    let mut table = Table {
        raw: HashMap::new(),
        rows: Vec::new(),
    };
    for backend in &backends {
        let rate = util::raw_insert_tps(backend, args.raw_seconds).await?;
        table.raw.insert(*backend, rate);
        table.add(
            "raw",
            backend,
            format!("{rate:.0} single-row insert commits/s"),
            "-",
        );
    }
    let wants = |p: Part| part == Part::All || part == p;
    if wants(Part::Answers) {
        for backend in &backends {
            let f = answers::answers(backend, args.citizens).await?;
            if f.stored != f.answers as i64 {
                println!(
                    "!!!!! MISMATCH ({backend}): {} answers given, {} rows in `answers`: the figure below is not to be trusted !!!!!",
                    f.answers, f.stored
                );
            }
            let pg = f.pg_cpu_ms.map_or(String::new(), |ms| {
                format!(" + {ms:.2} PostgreSQL backends")
            });
            let figure = format!(
                "{:.0} answers/s, {:.2} CPU-ms/answer bot process{pg} (harness: {:.2}), tap→next p50 {} ms p95 {} ms ({} citizens, {} answers, {} stored, {} citizens stalled)",
                f.per_second,
                f.bot_cpu_ms,
                f.harness_cpu_ms,
                util::ms(f.p50),
                util::ms(f.p95),
                args.citizens,
                f.answers,
                f.stored,
                f.stalled
            );
            table.add(
                "(a) answers",
                backend,
                figure,
                "≥3000/s, ≤0.3 ms, p95 ≤50 ms",
            );
        }
    }
    if wants(Part::Intake) {
        for backend in &backends {
            let (rate, failed) = answers::intake(backend, args.notices, args.concurrency).await?;
            let figure = format!(
                "{rate:.0} notices/s accepted, {failed} refused ({} notices, {} connections)",
                args.notices, args.concurrency
            );
            table.add("(b) intake", backend, figure, "≥5000/s");
        }
    }
    if wants(Part::Summary) {
        for backend in &backends {
            let compared = bulk::check(backend).await?;
            println!(
                "  ({backend}) generated totals = `totals rebuild` on a small load ({compared} totals compared)"
            );
        }
        let mut runs: Vec<(&str, &str, usize, usize, bool)> = backends
            .iter()
            .filter(|_| !args.nation_only)
            .map(|b| {
                (
                    "(c) province summary",
                    *b,
                    args.agencies,
                    args.responses,
                    true,
                )
            })
            .collect();
        if (args.nation || args.nation_only) && !args.no_postgres {
            runs.push((
                "(c) nation summary",
                "postgres",
                args.nation_agencies,
                args.nation_responses,
                args.nation_answer_rows,
            ));
        }
        for (part, backend, agencies, responses, answer_rows) in runs {
            let f = summary::summary(backend, agencies, responses, answer_rows).await?;
            let load = &f.load;
            let figure = format!(
                "{} ms (again {} ms), peak RSS {:.0} MB{} ({agencies} agencies, {responses} responses{}; loaded {} rows + {} totals, {:.0} MB on disk, in {:.0} s: rows {:.0} s, totals {:.0} s, ANALYZE {:.0} s)",
                f.took.as_millis(),
                f.again.as_millis(),
                f.peak_mb,
                if f.ok { "" } else { " FAILED" },
                if answer_rows { "" } else { ", no answer rows" },
                load.row_count,
                load.total_rows,
                f.size_mb,
                (load.rows + load.totals + load.analyze).as_secs_f64(),
                load.rows.as_secs_f64(),
                load.totals.as_secs_f64(),
                load.analyze.as_secs_f64(),
            );
            let target = if part.contains("nation") {
                "<1 s"
            } else {
                "<200 ms, <100 MB"
            };
            table.add(part, backend, figure, target);
        }
        if !args.nation && !args.nation_only {
            table.add(
                "(c) nation summary",
                "postgres",
                "skipped (pass --nation)".into(),
                "<1 s",
            );
        }
    }
    if wants(Part::Memory) {
        for backend in &backends {
            let f = memory::memory(backend, args.surveys, args.sample).await?;
            let per = (f.loaded_mb - f.baseline_mb) * 1024.0 / f.surveys as f64;
            let figure = format!(
                "RSS {:.0} MB with {} surveys in progress ({:.0} MB with 1; {:.2} KB/survey; peak {:.0} MB)",
                f.loaded_mb, f.surveys, f.baseline_mb, per, f.peak_mb
            );
            table.add("(d) memory", backend, figure, "<200 MB, flat");
        }
    }
    if wants(Part::Outbound) {
        for backend in &backends {
            let f = answers::outbound(backend, args.outbound_chats, args.outbound_per_chat).await?;
            let figure = format!(
                "{:.1} messages/s ({:.0}% of 30/s), {} × 429 ({} messages to {} chats)",
                f.per_second,
                f.per_second / 30.0 * 100.0,
                f.too_many,
                f.sent,
                args.outbound_chats
            );
            table.add("(e) outbound", backend, figure, "≥28.5/s, zero 429");
        }
    }
    let think = std::time::Duration::from_millis(args.think_ms);
    if wants(Part::Tap) {
        for backend in &backends {
            let f = answers::tap(backend, args.human_citizens, think).await?;
            let stages: Vec<String> = f
                .stages
                .iter()
                .map(|(name, h)| format!("{name} {}", util::show(h)))
                .collect();
            let figure = format!(
                "tap→next p50 {} ms p95 {} ms ({} citizens, {} ms pauses, {} answers, {} stalled); in the bot: {}",
                util::ms(f.p50),
                util::ms(f.p95),
                args.human_citizens,
                args.think_ms,
                f.answers,
                f.stalled,
                stages.join("; ")
            );
            table.add("(f) tap, human pace", backend, figure, "p95 ≤50 ms");
        }
    }
    if wants(Part::Zalo) {
        for backend in &backends {
            let f = zalo::run(backend, args.human_citizens, think).await?;
            let server: Vec<String> = f
                .server
                .iter()
                .map(|(name, h)| format!("{name} {}", util::show(h)))
                .collect();
            let figure = format!(
                "end to end p50 {} ms p95 {} ms ({} citizens, {} ms pauses, {} replies, {} stalled); in the bot: {}",
                util::ms(f.p50),
                util::ms(f.p95),
                args.human_citizens,
                args.think_ms,
                f.answers,
                f.stalled,
                server.join("; ")
            );
            table.add(
                "(g) Zalo, human pace",
                backend,
                figure,
                "stored→sent ≤50 ms, p95 ≤500 ms",
            );
        }
    }
    if wants(Part::Restart) {
        for backend in &backends {
            let f = restart::restart(backend, args.restarts).await?;
            let rounds: Vec<String> = f
                .rounds
                .iter()
                .map(|(killed, started)| {
                    format!(
                        "{} ms ({} ms after the start)",
                        util::ms(*killed),
                        util::ms(*started)
                    )
                })
                .collect();
            let figure = format!("kill → next reply: {}", rounds.join(", "));
            table.add("(h) restart after SIGKILL", backend, figure, "≤3 s");
        }
    }
    table.print();
    Ok(())
}
