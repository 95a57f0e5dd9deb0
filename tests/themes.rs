//! Comment themes: precision and recall of the shipped lexicon on the hand-labelled comments in
//! `tests/data/comments_labelled.tsv` (each theme at least 0,8), and `sipas-bot themes check`
//! on the shipped file and on malformed ones.

use sipas_bot::core::summary::themes::{Lexicon, OTHER};
use std::collections::{BTreeMap, BTreeSet};

const LABELLED: &str = include_str!("data/comments_labelled.tsv");

fn labelled() -> Vec<(BTreeSet<String>, &'static str)> {
    LABELLED
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let (labels, comment) = line.split_once('\t').expect("labels<TAB>comment");
            (labels.split(',').map(str::to_string).collect(), comment)
        })
        .collect()
}

#[test]
fn every_theme_has_precision_and_recall_of_at_least_0_8_on_the_labelled_comments() {
    let lexicon = Lexicon::shipped();
    let comments = labelled();
    assert!(comments.len() >= 200, "{} comments", comments.len());
    // (true positives, false positives, false negatives) per theme.
    let mut scores: BTreeMap<String, (u32, u32, u32)> = lexicon
        .themes
        .iter()
        .map(|t| (t.id.clone(), (0, 0, 0)))
        .collect();
    let mut misses = Vec::new();
    for (labels, comment) in &comments {
        for label in labels {
            assert!(scores.contains_key(label), "unknown label {label}");
        }
        let found: BTreeSet<String> = lexicon
            .themes_of(comment)
            .into_iter()
            .map(str::to_string)
            .collect();
        if &found != labels {
            misses.push(format!("{labels:?} ≠ {found:?}: {comment}"));
        }
        for (theme, (tp, fp, missed)) in scores.iter_mut() {
            match (labels.contains(theme), found.contains(theme)) {
                (true, true) => *tp += 1,
                (false, true) => *fp += 1,
                (true, false) => *missed += 1,
                (false, false) => {}
            }
        }
    }
    let mut report = vec![format!(
        "{:<12} {:>4} {:>4} {:>4} {:>9} {:>7}",
        "theme", "tp", "fp", "fn", "precision", "recall"
    )];
    let mut failing = Vec::new();
    for (theme, (tp, fp, missed)) in &scores {
        let precision = f64::from(*tp) / f64::from(tp + fp).max(1.0);
        let recall = f64::from(*tp) / f64::from(tp + missed).max(1.0);
        report.push(format!(
            "{theme:<12} {tp:>4} {fp:>4} {missed:>4} {precision:>9.3} {recall:>7.3}"
        ));
        if precision < 0.8 || recall < 0.8 || tp + missed < 10 {
            failing.push(theme.clone());
        }
    }
    println!(
        "{}\n{} comments, {} not matched exactly:\n{}",
        report.join("\n"),
        comments.len(),
        misses.len(),
        misses.join("\n")
    );
    assert!(scores[OTHER].0 > 0);
    assert!(
        failing.is_empty(),
        "below 0.8: {failing:?}\n{}\n{}",
        report.join("\n"),
        misses.join("\n")
    );
}

/// Runs the real binary with `args` in `dir`.
fn sipas(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_sipas-bot"))
        .args(args)
        .current_dir(dir)
        .env_remove("SIPAS_LANG")
        .env("DATABASE_URL", "sqlite::memory:")
        .output()
        .unwrap()
}

#[test]
fn themes_check_accepts_the_shipped_file_and_refuses_a_malformed_one_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/themes/vi.toml");
    let ok = sipas(dir.path(), &["themes", "check", shipped]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(
        out.contains("Tệp chủ đề hợp lệ: 8 chủ đề (Thái độ công chức"),
        "{out}"
    );

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "# chủ đề\n[[theme]]\nid = \"waiting\"\nname = \"Chờ\"\nphrases = [\"chờ lâu\"]\n\n[[theme]]\nid = \"fees\"\nname = \"Phí\"\n\n[[theme]]\nid = \"other\"\nname = \"Khác\"\n",
    )
    .unwrap();
    let refused = sipas(dir.path(), &["themes", "check", bad.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("dòng 7"), "{err}");
    assert!(err.contains("chủ đề “fees” chưa có từ khóa nào"), "{err}");

    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        "[[theme]]\nid = \"a\"\nname = \"A\"\nphrases = [\"x\",\n",
    )
    .unwrap();
    let refused = sipas(dir.path(), &["themes", "check", broken.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("sai cú pháp TOML"), "{err}");
    assert!(err.contains("dòng 5") || err.contains("dòng 4"), "{err}");

    let missing = sipas(dir.path(), &["themes", "check", "nope.toml"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("Không đọc được tệp chủ đề"));
}
