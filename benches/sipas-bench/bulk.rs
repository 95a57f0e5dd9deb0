//! Bulk loading for (c): an agency tree and completed responses of the full SIPAS flow over the
//! five weeks ending with the summarized one, and the running totals the bot would have kept for
//! them. The harness owns this SQL: it fills a database the way months of real use would, much
//! faster than the bot's own path could.
//!
//! What is loaded, table by table: `agencies` (the tree); per response one row each in
//! `notices`, `invitations` (completed), `survey_sessions` (completed), `responses`, and — unless
//! left out (`answer_rows: false`, the nation by default) — its ~20 rows in `answers`; then
//! `response_totals`, `answer_totals` and `invitation_totals`, computed here from the same
//! generator (not by `totals rebuild` over the answer rows). [`check`] proves on a small load
//! that these are exactly the totals `totals rebuild` computes from the rows.
//!
//! PostgreSQL is loaded with `COPY` on one connection with `session_replication_role =
//! replica` (no triggers, no foreign-key checks: the generator keeps every reference, and
//! writes the invitation totals the triggers would have); SQLite with multi-row INSERTs in big
//! transactions, its invitation trigger left on (so it keeps `invitation_totals` itself).

use sipas_bot::core::flow::QuestionKind;
use sipas_bot::storage::{Backend, Db};
use sqlx::Connection;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::{Duration, Instant};

/// The week summarized: Monday 16/11/2026 (UTC+7) onwards.
pub const WEEK: &str = "2026-W47";
pub const ROOT: &str = "BENCH";
const PROCEDURE: (&str, &str) = ("1.001612", "Đăng ký khai sinh");
/// Responses are spread over 35 Vietnam days from Monday 19/10/2026.
const DAYS: i64 = 35;
const ROWS_PER_STATEMENT: usize = 2_000;
const ROWS_PER_TRANSACTION: usize = 100_000;
const COPY_CHUNK: usize = 1 << 20;

/// Agency codes: a root, `agencies / 20` districts under it, the rest communes under those.
pub fn agency_tree(agencies: usize) -> Vec<(String, Option<String>, &'static str)> {
    let districts = (agencies / 20).max(1);
    let mut tree = vec![(ROOT.to_string(), None, "tinh")];
    for d in 0..districts {
        tree.push((format!("{ROOT}.D{d}"), Some(ROOT.to_string()), "huyen"));
    }
    for c in 0..agencies.saturating_sub(districts + 1) {
        let parent = format!("{ROOT}.D{}", c % districts);
        tree.push((format!("{parent}.X{c}"), Some(parent), "xa"));
    }
    tree
}

#[derive(Clone, Copy)]
enum Cell<'a> {
    Text(&'a str),
    Int(i64),
    Null,
}

/// Rows of one table, in the format of the backend: COPY text, or the tuples of a VALUES.
struct Rows {
    copy: bool,
    buf: String,
    count: usize,
}

impl Rows {
    fn row(&mut self, cells: &[Cell]) {
        if self.copy {
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    self.buf.push('\t');
                }
                match cell {
                    // Generated values: no tab, newline nor backslash to escape.
                    Cell::Text(s) => self.buf.push_str(s),
                    Cell::Int(v) => {
                        let _ = write!(self.buf, "{v}");
                    }
                    Cell::Null => self.buf.push_str("\\N"),
                }
            }
            self.buf.push('\n');
        } else {
            if self.count > 0 {
                self.buf.push(',');
            }
            self.buf.push('(');
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    self.buf.push(',');
                }
                match cell {
                    Cell::Text(s) => {
                        let _ = write!(self.buf, "'{}'", s.replace('\'', "''"));
                    }
                    Cell::Int(v) => {
                        let _ = write!(self.buf, "{v}");
                    }
                    Cell::Null => self.buf.push_str("NULL"),
                }
            }
            self.buf.push(')');
        }
        self.count += 1;
    }
}

enum Sink {
    Pg(sqlx::PgConnection),
    Sqlite(sqlx::AnyPool),
}

impl Sink {
    /// Writes `items` items of `table`, each giving its rows through `rows`.
    async fn table(
        &mut self,
        table: &str,
        columns: &str,
        items: usize,
        mut rows: impl FnMut(usize, &mut Rows),
    ) -> anyhow::Result<u64> {
        let mut out = Rows {
            copy: matches!(self, Sink::Pg(_)),
            buf: String::new(),
            count: 0,
        };
        let mut total = 0u64;
        match self {
            Sink::Pg(conn) => {
                let mut copy = conn
                    .copy_in_raw(&format!("COPY {table} ({columns}) FROM STDIN"))
                    .await?;
                for item in 0..items {
                    rows(item, &mut out);
                    if out.buf.len() >= COPY_CHUNK {
                        copy.send(std::mem::take(&mut out.buf).into_bytes()).await?;
                    }
                }
                if !out.buf.is_empty() {
                    copy.send(std::mem::take(&mut out.buf).into_bytes()).await?;
                }
                total += copy.finish().await?;
            }
            Sink::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                let mut in_tx = 0;
                for item in 0..items {
                    rows(item, &mut out);
                    if out.count >= ROWS_PER_STATEMENT || item + 1 == items {
                        if out.count > 0 {
                            let sql = format!("INSERT INTO {table} ({columns}) VALUES {}", out.buf);
                            // Not kept prepared: each statement is new, and a cache of
                            // them would hold hundreds of MB in the harness.
                            sqlx::query(&sql)
                                .persistent(false)
                                .execute(&mut *tx)
                                .await?;
                        }
                        total += out.count as u64;
                        in_tx += out.count;
                        out.buf.clear();
                        out.count = 0;
                        if in_tx >= ROWS_PER_TRANSACTION {
                            tx.commit().await?;
                            tx = pool.begin().await?;
                            in_tx = 0;
                        }
                    }
                }
                tx.commit().await?;
            }
        }
        Ok(total)
    }
}

/// One question's answer at each of the three levels given (3, 4, 5): kind, value, level.
type Given = [(&'static str, String, Option<i64>); 3];

/// What each response answers: question id, factor, and the answer per level.
fn answers_given(flow: &sipas_bot::core::flow::Flow) -> Vec<(String, Option<String>, Given)> {
    flow.questions
        .iter()
        .take(20)
        .map(|q| {
            let at = |level: i64| match &q.kind {
                QuestionKind::Scale { .. } => ("scale", level.to_string(), Some(level)),
                QuestionKind::YesNo => ("yes_no", "yes".to_string(), None),
                QuestionKind::Text { .. } => ("text", "Tốt".to_string(), None),
                QuestionKind::SingleChoice { .. } | QuestionKind::MultipleChoice { .. } => {
                    let option = q.options().first().map_or(String::new(), |o| o.id.clone());
                    (sipas_bot::core::survey::kind_name(&q.kind), option, None)
                }
            };
            (
                q.id.clone(),
                q.factor().map(str::to_string),
                [at(3), at(4), at(5)],
            )
        })
        .collect()
}

/// How long each step took, and the rows written.
pub struct LoadReport {
    pub rows: Duration,
    pub totals: Duration,
    pub analyze: Duration,
    pub row_count: u64,
    pub total_rows: u64,
}

/// Loads `agencies` agencies and `responses` completed responses of ~20 answers each (their
/// answer rows only with `answer_rows`), and their running totals, into the migrated `db` at
/// `url`.
pub async fn load(
    db: &Db,
    url: &str,
    agencies: usize,
    responses: usize,
    answer_rows: bool,
) -> anyhow::Result<LoadReport> {
    let stored = db
        .latest_flow("sipas-full")
        .await?
        .ok_or_else(|| anyhow::anyhow!("sipas-full not stored"))?;
    let version = stored.id;
    let given = answers_given(&stored.flow);
    let postgres = matches!(db.backend(), Backend::Postgres);
    let mut sink = if postgres {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        for set in [
            "SET session_replication_role = replica",
            "SET synchronous_commit = off",
        ] {
            sqlx::query(set).execute(&mut conn).await?;
        }
        Sink::Pg(conn)
    } else {
        Sink::Sqlite(db.pool().clone())
    };
    let started = Instant::now();
    let tree = agency_tree(agencies);
    let created = "2026-10-01T00:00:00Z";
    let mut row_count = sink
        .table(
            "agencies",
            "code, name, parent_code, level, created_at",
            tree.len(),
            |i, out| {
                let (code, parent, level) = &tree[i];
                let name = format!("Đơn vị {code}");
                let parent = parent.as_deref().map_or(Cell::Null, Cell::Text);
                out.row(&[
                    Cell::Text(code),
                    Cell::Text(&name),
                    parent,
                    Cell::Text(level),
                    Cell::Text(created),
                ]);
            },
        )
        .await?;
    let leaves: Vec<&str> = tree.iter().skip(1).map(|(c, _, _)| c.as_str()).collect();
    // Response r: its agency, its submission (spread evenly over the 35 days), its level.
    let start = chrono::DateTime::parse_from_rfc3339("2026-10-19T00:00:00+07:00")
        .unwrap()
        .to_utc();
    let span = DAYS * 24 * 3600;
    let at = |r: usize| start + chrono::Duration::seconds((r as i64 * 7919) % span);
    let stamp = |r: usize| at(r).to_rfc3339();
    let (procedure, procedure_name) = PROCEDURE;
    let v = Cell::Int(version);
    row_count += sink
        .table(
            "notices",
            "dossier_code, agency_code, procedure_code, procedure_name, submission_channel, completed_at, received_at",
            responses,
            |r, out| {
                let (dossier, at) = (format!("BD{}", r + 1), stamp(r));
                out.row(&[
                    Cell::Text(&dossier),
                    Cell::Text(leaves[r % leaves.len()]),
                    Cell::Text(procedure),
                    Cell::Text(procedure_name),
                    Cell::Text("direct"),
                    Cell::Text(&at),
                    Cell::Text(&at),
                ]);
            },
        )
        .await?;
    row_count += sink
        .table(
            "invitations",
            "token, dossier_code, flow_version_id, status, created_at, expires_at, updated_at",
            responses,
            |r, out| {
                let (token, dossier, at) =
                    (format!("{:032x}", r + 1), format!("BD{}", r + 1), stamp(r));
                let at = Cell::Text(&at);
                out.row(&[
                    Cell::Text(&token),
                    Cell::Text(&dossier),
                    v,
                    Cell::Text("completed"),
                    at,
                    at,
                    at,
                ]);
            },
        )
        .await?;
    row_count += sink
        .table(
            "survey_sessions",
            "id, invitation_token, channel, chat_ref, flow_version_id, state, status, started_at, updated_at",
            responses,
            |r, out| {
                let id = r as i64 + 1;
                let (token, chat, at) = (format!("{id:032x}"), (5_000_000 + id).to_string(), stamp(r));
                let at = Cell::Text(&at);
                out.row(&[
                    Cell::Int(id), Cell::Text(&token), Cell::Text("telegram"), Cell::Text(&chat),
                    v, Cell::Text("{}"), Cell::Text("completed"), at, at,
                ]);
            },
        )
        .await?;
    row_count += sink
        .table(
            "responses",
            "id, session_id, flow_version_id, dossier_code, channel, submitted_at",
            responses,
            |r, out| {
                let id = r as i64 + 1;
                let (dossier, at) = (format!("BD{id}"), stamp(r));
                out.row(&[
                    Cell::Int(id),
                    Cell::Int(id),
                    v,
                    Cell::Text(&dossier),
                    Cell::Text("telegram"),
                    Cell::Text(&at),
                ]);
            },
        )
        .await?;
    if answer_rows {
        row_count += sink
            .table(
                "answers",
                "session_id, position, question_id, flow_version_id, factor, kind, value, level, skipped",
                responses,
                |r, out| {
                    let level = r % 3;
                    for (position, (question, factor, at)) in given.iter().enumerate() {
                        let (kind, value, level) = &at[level];
                        out.row(&[
                            Cell::Int(r as i64 + 1),
                            Cell::Int(position as i64),
                            Cell::Text(question),
                            v,
                            factor.as_deref().map_or(Cell::Null, Cell::Text),
                            Cell::Text(kind),
                            Cell::Text(value),
                            level.map_or(Cell::Null, Cell::Int),
                            Cell::Int(0),
                        ]);
                    }
                },
            )
            .await?;
    }
    let rows = started.elapsed();

    // The totals: responses per agency, Vietnam day and level given; every answer total follows
    // from those (each response of a level answers alike).
    let started = Instant::now();
    let mut counts = vec![[0i64; 3]; leaves.len() * DAYS as usize];
    for r in 0..responses {
        let day = (at(r) - start).num_days() as usize;
        counts[(r % leaves.len()) * DAYS as usize + day][r % 3] += 1;
    }
    let first_day = chrono::NaiveDate::from_ymd_opt(2026, 10, 19).unwrap();
    let day_text = |d: usize| {
        (first_day + chrono::Days::new(d as u64))
            .format("%Y-%m-%d")
            .to_string()
    };
    let keys: Vec<(usize, usize)> = (0..counts.len())
        .filter(|k| counts[*k].iter().sum::<i64>() > 0)
        .map(|k| (k / DAYS as usize, k % DAYS as usize))
        .collect();
    let mut total_rows = sink
        .table(
            "response_totals",
            "agency_code, day, procedure_code, flow_version_id, procedure_name, responses, flagged",
            keys.len(),
            |i, out| {
                let (agency, day) = keys[i];
                let n: i64 = counts[agency * DAYS as usize + day].iter().sum();
                let day = day_text(day);
                out.row(&[
                    Cell::Text(leaves[agency]),
                    Cell::Text(&day),
                    Cell::Text(procedure),
                    v,
                    Cell::Text(procedure_name),
                    Cell::Int(n),
                    Cell::Int(0),
                ]);
            },
        )
        .await?;
    total_rows += sink
        .table(
            "answer_totals",
            "agency_code, day, procedure_code, flow_version_id, question_id, value, kind, count",
            keys.len(),
            |i, out| {
                let (agency, day) = keys[i];
                let by_level = counts[agency * DAYS as usize + day];
                let mut merged: BTreeMap<(&str, String, &str), i64> = BTreeMap::new();
                for (question, _, at) in &given {
                    for (level, n) in by_level.iter().enumerate().filter(|(_, n)| **n > 0) {
                        let (kind, value, level) = &at[level];
                        let level = level.map(|l| l as u8);
                        for key in sipas_bot::core::summary::answer_keys(kind, value, level) {
                            *merged.entry((question.as_str(), key, kind)).or_default() += n;
                        }
                    }
                }
                let day = day_text(day);
                for ((question, value, kind), n) in &merged {
                    out.row(&[
                        Cell::Text(leaves[agency]),
                        Cell::Text(&day),
                        Cell::Text(procedure),
                        v,
                        Cell::Text(question),
                        Cell::Text(value),
                        Cell::Text(kind),
                        Cell::Int(*n),
                    ]);
                }
            },
        )
        .await?;
    // The strata of the weighted index (migration 0015): every notice is a walk-in dossier
    // completed when its response was submitted, so per (agency, day) the dossiers and the
    // channel's responses are the responses, and the channel's answers the scale answers.
    total_rows += sink
        .table(
            "channel_response_totals",
            "agency_code, day, submission_channel, responses",
            keys.len(),
            |i, out| {
                let (agency, day) = keys[i];
                let n: i64 = counts[agency * DAYS as usize + day].iter().sum();
                let day = day_text(day);
                out.row(&[
                    Cell::Text(leaves[agency]),
                    Cell::Text(&day),
                    Cell::Text("direct"),
                    Cell::Int(n),
                ]);
            },
        )
        .await?;
    total_rows += sink
        .table(
            "channel_answer_totals",
            "agency_code, day, submission_channel, question_id, value, count",
            keys.len(),
            |i, out| {
                let (agency, day) = keys[i];
                let by_level = counts[agency * DAYS as usize + day];
                let mut merged: BTreeMap<(&str, String), i64> = BTreeMap::new();
                for (question, _, at) in &given {
                    for (level, n) in by_level.iter().enumerate().filter(|(_, n)| **n > 0) {
                        let (kind, value, level) = &at[level];
                        if *kind != "scale" {
                            continue;
                        }
                        let level = level.map(|l| l as u8);
                        for key in sipas_bot::core::summary::answer_keys(kind, value, level) {
                            *merged.entry((question.as_str(), key)).or_default() += n;
                        }
                    }
                }
                let day = day_text(day);
                for ((question, value), n) in &merged {
                    out.row(&[
                        Cell::Text(leaves[agency]),
                        Cell::Text(&day),
                        Cell::Text("direct"),
                        Cell::Text(question),
                        Cell::Text(value),
                        Cell::Int(*n),
                    ]);
                }
            },
        )
        .await?;
    if postgres {
        // The triggers that keep these were off; on SQLite they ran as the rows went in.
        total_rows += sink
            .table(
                "dossier_totals",
                "agency_code, day, submission_channel, dossiers",
                keys.len(),
                |i, out| {
                    let (agency, day) = keys[i];
                    let n: i64 = counts[agency * DAYS as usize + day].iter().sum();
                    let day = day_text(day);
                    out.row(&[
                        Cell::Text(leaves[agency]),
                        Cell::Text(&day),
                        Cell::Text("direct"),
                        Cell::Int(n),
                    ]);
                },
            )
            .await?;
        total_rows += sink
            .table(
                "invitation_totals",
                "agency_code, day, status, count",
                keys.len(),
                |i, out| {
                    let (agency, day) = keys[i];
                    let n: i64 = counts[agency * DAYS as usize + day].iter().sum();
                    let day = day_text(day);
                    out.row(&[
                        Cell::Text(leaves[agency]),
                        Cell::Text(&day),
                        Cell::Text("completed"),
                        Cell::Int(n),
                    ]);
                },
            )
            .await?;
    }
    let totals = started.elapsed();

    let started = Instant::now();
    let pool = db.pool();
    if postgres {
        for sql in [
            "SELECT setval(pg_get_serial_sequence('survey_sessions', 'id'), (SELECT MAX(id) FROM survey_sessions))",
            "SELECT setval(pg_get_serial_sequence('responses', 'id'), (SELECT MAX(id) FROM responses))",
        ] {
            sqlx::query(sql).execute(pool).await?;
        }
    }
    if let Sink::Pg(conn) = sink {
        conn.close().await?;
    }
    sqlx::query("ANALYZE").execute(pool).await?;
    Ok(LoadReport {
        rows,
        totals,
        analyze: started.elapsed(),
        row_count,
        total_rows,
    })
}

/// On a small load of `backend` (with answer rows): are the generated totals exactly those
/// `totals rebuild` computes from the rows? Answers the number of totals compared.
pub async fn check(backend: &str) -> anyhow::Result<usize> {
    let bench = crate::util::BenchDb::new(backend).await?;
    let db = sipas_bot::services::startup::open_store(&bench.url)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    load(&db, &bench.url, 40, 3_000, true).await?;
    let (generated, rebuilt) = db
        .rebuild_totals()
        .await
        .map_err(|e| anyhow::anyhow!("totals rebuild: {e:?}"))?;
    db.close().await;
    bench.cleanup().await;
    anyhow::ensure!(
        generated == rebuilt,
        "{backend}: the generated totals differ from `totals rebuild`'s"
    );
    anyhow::ensure!(!generated.answers.is_empty(), "{backend}: no totals");
    Ok(generated.responses.len()
        + generated.answers.len()
        + generated.invitations.len()
        + generated.dossiers.len()
        + generated.channel_responses.len()
        + generated.channel_answers.len())
}
