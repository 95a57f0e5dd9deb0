//! Bulk loading for (c): an agency tree and completed responses of the full SIPAS flow over the
//! four weeks a weekly summary reads, as multi-row INSERTs in big transactions (generated
//! values only, so they are written inline). The harness owns this SQL: it fills a database the
//! way months of real use would, faster than the bot's own path could.

use sipas_bot::flow::QuestionKind;
use sipas_bot::storage::Db;
use std::fmt::Write;

/// The week summarized: Monday 16/11/2026 (UTC+7) onwards.
pub const WEEK: &str = "2026-W47";
pub const ROOT: &str = "BENCH";
const ROWS_PER_STATEMENT: usize = 2_000;
const ROWS_PER_TRANSACTION: usize = 100_000;

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

struct Batch {
    head: String,
    rows: Vec<String>,
}

impl Batch {
    async fn push(
        &mut self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        row: String,
    ) -> anyhow::Result<()> {
        self.rows.push(row);
        // Only the agencies flush on their own; the survey tables flush together, in order,
        // so every row finds the rows it refers to.
        if self.rows.len() >= ROWS_PER_STATEMENT && self.head.contains("agencies") {
            self.flush(tx).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> anyhow::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let sql = format!("{} VALUES {}", self.head, self.rows.join(","));
        self.rows.clear();
        sqlx::query(&sql).execute(&mut **tx).await?;
        Ok(())
    }
}

/// Loads `agencies` agencies and `responses` completed responses of ~20 answers each.
pub async fn load(db: &Db, agencies: usize, responses: usize) -> anyhow::Result<()> {
    let stored = db
        .latest_flow("sipas-full")
        .await?
        .ok_or_else(|| anyhow::anyhow!("sipas-full not stored"))?;
    let (version, flow) = (stored.id, stored.flow);
    let pool = db.pool();
    let tree = agency_tree(agencies);
    let created = "2026-10-01T00:00:00Z";
    let mut tx = pool.begin().await?;
    let mut batch = Batch {
        head: "INSERT INTO agencies (code, name, parent_code, level, created_at)".into(),
        rows: Vec::new(),
    };
    for (code, parent, level) in &tree {
        let parent = parent.as_ref().map_or("NULL".into(), |p| format!("'{p}'"));
        batch
            .push(
                &mut tx,
                format!("('{code}', 'Đơn vị {code}', {parent}, '{level}', '{created}')"),
            )
            .await?;
    }
    batch.flush(&mut tx).await?;
    tx.commit().await?;

    let leaves: Vec<&str> = tree.iter().skip(1).map(|(c, _, _)| c.as_str()).collect();
    let heads = [
        "INSERT INTO notices (dossier_code, agency_code, procedure_code, procedure_name, submission_channel, completed_at, received_at)",
        "INSERT INTO invitations (token, dossier_code, flow_version_id, status, created_at, expires_at, updated_at)",
        "INSERT INTO survey_sessions (id, invitation_token, channel, chat_ref, flow_version_id, state, status, started_at, updated_at)",
        "INSERT INTO responses (session_id, flow_version_id, dossier_code, channel, submitted_at)",
        "INSERT INTO answers (session_id, position, question_id, flow_version_id, factor, kind, value, level, skipped)",
    ];
    let mut batches: Vec<Batch> = heads
        .iter()
        .map(|h| Batch {
            head: h.to_string(),
            rows: Vec::new(),
        })
        .collect();
    // Four weeks ending with the summarized one: 19/10 .. 22/11/2026, spread evenly.
    let start = chrono::DateTime::parse_from_rfc3339("2026-10-19T00:00:00Z").unwrap();
    let span = 35 * 24 * 3600 - 8 * 3600;
    let mut tx = pool.begin().await?;
    let mut since_commit = 0;
    for r in 0..responses {
        let id = r as i64 + 1;
        let agency = leaves[r % leaves.len()];
        let at = (start + chrono::Duration::seconds((r as i64 * 7919) % span)).to_rfc3339();
        let dossier = format!("BD{id}");
        let token = format!("{id:032x}");
        let rows = [
            format!(
                "('{dossier}', '{agency}', '1.001612', 'Đăng ký khai sinh', 'direct', '{at}', '{at}')"
            ),
            format!("('{token}', '{dossier}', {version}, 'completed', '{at}', '{at}', '{at}')"),
            format!(
                "({id}, '{token}', 'telegram', '{}', {version}, '{{}}', 'completed', '{at}', '{at}')",
                5_000_000 + id
            ),
            format!("({id}, {version}, '{dossier}', 'telegram', '{at}')"),
        ];
        for (batch, row) in batches.iter_mut().zip(rows) {
            batch.push(&mut tx, row).await?;
        }
        let level = 3 + (r % 3) as i64; // 3, 4, 5: a plausible spread
        for (position, q) in flow.questions.iter().enumerate().take(20) {
            let factor = q.factor().map_or("NULL".into(), |f| format!("'{f}'"));
            let (kind, value, level) = match &q.kind {
                QuestionKind::Scale { .. } => ("scale", level.to_string(), level.to_string()),
                QuestionKind::YesNo => ("yes_no", "yes".into(), "NULL".into()),
                QuestionKind::Text { .. } => ("text", "Tốt".into(), "NULL".into()),
                QuestionKind::SingleChoice { .. } | QuestionKind::MultipleChoice { .. } => {
                    let kind = sipas_bot::survey::kind_name(&q.kind);
                    let option = q.options().first().map_or(String::new(), |o| o.id.clone());
                    (kind, option, "NULL".into())
                }
            };
            let mut row = String::new();
            let _ = write!(
                row,
                "({id}, {position}, '{}', {version}, {factor}, '{kind}', '{value}', {level}, 0)",
                q.id
            );
            batches[4].push(&mut tx, row).await?;
        }
        since_commit += 1;
        if batches[4].rows.len() >= ROWS_PER_STATEMENT {
            for batch in &mut batches {
                batch.flush(&mut tx).await?;
            }
        }
        if since_commit * 24 >= ROWS_PER_TRANSACTION {
            for batch in &mut batches {
                batch.flush(&mut tx).await?;
            }
            tx.commit().await?;
            tx = pool.begin().await?;
            since_commit = 0;
        }
    }
    for batch in &mut batches {
        batch.flush(&mut tx).await?;
    }
    tx.commit().await?;
    if matches!(db.backend(), sipas_bot::storage::Backend::Postgres) {
        sqlx::query("SELECT setval(pg_get_serial_sequence('survey_sessions', 'id'), (SELECT MAX(id) FROM survey_sessions))")
            .execute(pool)
            .await?;
        sqlx::query("ANALYZE").execute(pool).await?;
    } else {
        sqlx::query("ANALYZE").execute(pool).await?;
    }
    Ok(())
}
