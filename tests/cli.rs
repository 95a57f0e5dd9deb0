//! The real binary, end to end: demo, chat (piped), export, flow validate, migrate, bad input.

use crate::common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn sipas(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sipas-bot"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("SIPAS_LANG")
        .env_remove("SIPAS_FLOW")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("run sipas-bot");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const SHORT_SURVEY: &str = "5\nhai long\nRẤT HÀI LÒNG\n4\nkhông\nbo qua\nMọi việc rất nhanh\n";

#[test]
fn demo_prints_a_vietnamese_summary_on_the_embedded_default() {
    let dir = tempfile::tempdir().unwrap();
    let out = sipas(dir.path(), &["demo", "--citizens", "50"], &[], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    // The one summary engine: the year so far for the province, the week just ended after it.
    assert!(stdout.contains("📊 BÁO CÁO SIPAS NĂM "), "{stdout}");
    assert!(
        stdout.contains("UBND tỉnh Sơn La và các đơn vị trực thuộc"),
        "{stdout}"
    );
    assert!(stdout.contains("Lời mời: "), "{stdout}");
    assert!(stdout.contains("• Tiếp cận dịch vụ: "), "{stdout}");
    assert!(
        stdout.contains("Chỉ số SIPAS chung (hiệu chỉnh theo số hồ sơ): "),
        "{stdout}"
    );
    assert!(
        stdout.contains("Tỷ lệ phản hồi theo kênh nộp hồ sơ: Trực tiếp "),
        "{stdout}"
    );
    // Two-level local government: wards and communes under the province, no district.
    assert!(stdout.contains("UBND phường Mộc Châu"), "{stdout}");
    assert!(!stdout.contains("huyện"), "{stdout}");
    assert!(dir.path().join("data/demo.db").exists());
    assert!(!stdout.contains(['\u{2068}', '\u{2069}']));
}

#[test]
fn a_piped_chat_completes_and_export_shows_it_without_the_chat() {
    let dir = tempfile::tempdir().unwrap();
    let out = sipas(
        dir.path(),
        &[
            "chat",
            "--flow",
            "sipas-short",
            "--agency",
            "T14.H02",
            "--procedure",
            "1.001612",
        ],
        &[],
        SHORT_SURVEY,
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("Câu 1/7\n"), "{stdout}");
    assert!(stdout.contains("Cảm ơn Ông/Bà"), "{stdout}");
    assert!(
        dir.path().join("data/sipas.db").exists(),
        "the embedded default database"
    );

    let csv = sipas(dir.path(), &["export", "--format", "csv"], &[], "");
    assert!(csv.status.success());
    let csv = text(&csv.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 8, "{csv}");
    assert!(lines[0].starts_with("response_id,flow_id,flow_version,question_id,kind,answer"));
    assert!(lines[1].starts_with(
        "1,sipas-short,2,access,scale,5,false,access,T14.H02,1.001612,direct,console,"
    ));
    assert!(
        lines[6].contains(",overall,scale,,true,overall,"),
        "a skip: {csv}"
    );
    assert!(lines[7].contains("Mọi việc rất nhanh"));
    assert!(!csv.contains("terminal"), "the chat reference is private");

    let json = sipas(dir.path(), &["export", "--format", "json"], &[], "");
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 7);
    assert_eq!(rows[1]["answer"], "4");
    assert_eq!(rows[1]["flow_version"], 2, "the shipped version in force");
}

#[test]
fn the_csv_export_neutralises_formulas_masks_comments_and_gives_days() {
    let dir = tempfile::tempdir().unwrap();
    let comment = "=HYPERLINK(\"http://x.example\",\"Gọi 0912 345 678\")";
    let survey = SHORT_SURVEY.replace("Mọi việc rất nhanh", comment);
    let out = sipas(dir.path(), &["chat", "--flow", "sipas-short"], &[], &survey);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = sipas(dir.path(), &["export", "--format", "csv"], &[], "");
    assert!(csv.status.success(), "{}", text(&csv.stderr));
    let mut reader = csv::Reader::from_reader(csv.stdout.as_slice());
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let answer = &rows.last().unwrap()[column("answer")];
    assert_eq!(
        answer, "'=HYPERLINK(\"http://x.example\",\"Gọi ***\")",
        "a formula is text, and the phone number is masked"
    );
    assert_eq!(header.iter().next_back(), Some("flag"), "{header:?}");
    // The survey above is typed by a script, far faster than anyone reads: flagged, and every
    // row of the response says so.
    assert!(
        rows.iter().all(|row| &row[column("flag")] == "too_fast"),
        "each row names its response's flag"
    );
    for row in &rows {
        for name in ["dossier_completed_at", "submitted_at"] {
            let day = &row[column(name)];
            assert!(
                day.len() == 10 && chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok(),
                "{name} to the day: {day}"
            );
        }
    }
    let json = sipas(dir.path(), &["export", "--format", "json"], &[], "");
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        rows[6]["answer"], "=HYPERLINK(\"http://x.example\",\"Gọi ***\")",
        "JSON is not a spreadsheet: masked, not quoted"
    );
    assert_eq!(rows[6]["flag"], "too_fast");
}

#[test]
fn an_unfinished_chat_pauses_and_resumes_from_its_link() {
    let dir = tempfile::tempdir().unwrap();
    let out = sipas(
        dir.path(),
        &["chat", "--flow", "sipas-short"],
        &[],
        "5\n4\n",
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let token = stdout
        .split("--token ")
        .nth(1)
        .map(|rest| rest.split_whitespace().next().unwrap().to_string())
        .expect("the resume command is printed");
    let resumed = sipas(
        dir.path(),
        &["chat", "--token", &token],
        &[],
        "3\n4\nkhông\n5\nbo qua\n",
    );
    let stdout = text(&resumed.stdout);
    assert!(resumed.status.success(), "{stdout}");
    assert!(stdout.contains("Mời Ông/Bà tiếp tục"), "{stdout}");
    assert!(stdout.contains("Câu 3/7"), "{stdout}");
    let again = sipas(dir.path(), &["chat", "--token", &token], &[], "");
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("đã hoàn thành khảo sát"));
}

#[test]
fn unclear_answers_get_a_hint_and_the_same_question() {
    let dir = tempfile::tempdir().unwrap();
    let out = sipas(
        dir.path(),
        &["chat", "--flow", "sipas-short"],
        &[],
        "tuyệt vời\n",
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Xin lỗi, chưa rõ câu trả lời."), "{stdout}");
    assert_eq!(stdout.matches("Câu 1/7").count(), 2, "{stdout}");
}

#[test]
fn flow_validate_accepts_the_shipped_flows() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = sipas(
        root,
        &[
            "flow",
            "validate",
            "flows/sipas-full.toml",
            "flows/sipas-short.toml",
        ],
        &[],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stdout));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("flows/sipas-full.toml: hợp lệ"), "{stdout}");
}

#[test]
fn flow_validate_refuses_hostile_ids() {
    let dir = tempfile::tempdir().unwrap();
    let short = include_str!("../flows/sipas-short.toml");
    let long = "a".repeat(33);
    let hostile = short
        .replace("id = \"sipas-short\"", "id = \"SIPAS short\"")
        .replace("id = \"overall\"\nkind", "id = \"x\\\"><script>\"\nkind")
        .replace("id = \"comment\"\nkind", &format!("id = \"{long}\"\nkind"));
    std::fs::write(dir.path().join("hostile.toml"), hostile).unwrap();
    let out = sipas(dir.path(), &["flow", "validate", "hostile.toml"], &[], "");
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    for id in ["SIPAS short", "x\"><script>", long.as_str()] {
        let expected =
            format!("hostile.toml: mã “{id}” không hợp lệ: cần bắt đầu bằng chữ thường (a–z)");
        assert!(
            stdout.contains(&expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

#[test]
fn flow_validate_names_the_file_the_question_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let short = include_str!("../flows/sipas-short.toml");
    let broken = short
        .replace("factor = \"results\"", "factor = \"ketqua\"")
        .replace("any_of = [\"yes\"]", "any_of = [\"maybe\"]")
        .replace(
            "id = \"overall\"\nkind = \"scale\"",
            "id = \"access\"\nkind = \"scale\"",
        )
        .replace(
            "text = { vi = \"Kết quả có đúng hạn, đầy đủ và chính xác không?\", ",
            "text = { vi = \"\", ",
        )
        + "\n[[questions]]\nid = \"pick\"\nkind = \"single_choice\"\noptions = []\ntext = { vi = \"Chọn?\" }\n\n[[questions]]\nid = \"early\"\nkind = \"yes_no\"\ntext = { vi = \"Có?\" }\nshow_if = { question = \"later\", any_of = [\"yes\"] }\n";
    std::fs::write(dir.path().join("broken.toml"), broken).unwrap();
    let out = sipas(dir.path(), &["flow", "validate", "broken.toml"], &[], "");
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    for expected in [
        "broken.toml: câu hỏi “results”: yếu tố “ketqua” không có trong danh sách yếu tố.",
        "broken.toml: câu hỏi “results”: thiếu nội dung tiếng Việt ở “text”.",
        "broken.toml: câu hỏi “feedback”: điều kiện hiển thị dùng giá trị “maybe” mà câu “gave_feedback” không có.",
        "broken.toml: câu hỏi “access”: mã câu hỏi bị trùng.",
        "broken.toml: câu hỏi “pick”: câu hỏi lựa chọn chưa có phương án nào.",
        "broken.toml: câu hỏi “early”: điều kiện hiển thị dựa vào câu hỏi “later” không tồn tại.",
        "broken.toml: yếu tố “results” chưa có câu hỏi nào chấm điểm.",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }

    std::fs::write(dir.path().join("syntax.toml"), "id = [").unwrap();
    let out = sipas(
        dir.path(),
        &["flow", "validate", "syntax.toml", "missing.toml"],
        &[],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("tệp bộ câu hỏi syntax.toml sai cú pháp"),
        "{stdout}"
    );
    assert!(
        stdout.contains("không đọc/ghi được missing.toml"),
        "{stdout}"
    );
}

#[test]
fn a_condition_on_a_later_question_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let flow = include_str!("../flows/sipas-short.toml").replace(
        "id = \"access\"\nkind = \"scale\"\nfactor = \"access\"\n",
        "id = \"access\"\nkind = \"scale\"\nfactor = \"access\"\nshow_if = { question = \"overall\", any_of = [\"5\"] }\n",
    );
    std::fs::write(dir.path().join("later.toml"), flow).unwrap();
    let out = sipas(dir.path(), &["flow", "validate", "later.toml"], &[], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout)
            .contains("câu hỏi “access”: điều kiện hiển thị dựa vào câu hỏi “overall” đứng sau"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn bad_database_settings_fail_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    for (url, expected) in [
        (
            "mysql://root@127.0.0.1/sipas",
            "giao thức “mysql” không được hỗ trợ",
        ),
        (
            "postgres://postgres@127.0.0.1:1/sipas",
            "không kết nối được cơ sở dữ liệu",
        ),
        (
            "sqlite:///proc/sipas-test/data.db",
            "không tạo hoặc ghi được thư mục dữ liệu /proc/sipas-test",
        ),
    ] {
        let out = sipas(dir.path(), &["migrate"], &[("DATABASE_URL", url)], "");
        assert_eq!(out.status.code(), Some(1), "{url}");
        let stderr = text(&out.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{url}: {stderr}");
        assert!(
            stderr.starts_with("Lỗi: ") && stderr.contains(expected),
            "{url}: {stderr}"
        );
        assert!(
            !stderr.contains("127.0.0.1:1/sipas") || !stderr.contains("postgres@"),
            "no URL echoed"
        );
    }
    assert!(!dir.path().join("data").exists(), "nothing half-written");
    let out = sipas(dir.path(), &["migrate"], &[("SIPAS_LANG", "fr")], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("SIPAS_LANG"));
}

#[test]
fn migrate_and_chat_run_on_postgresql_too() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = runtime.block_on(common::TestDb::postgres()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let env = [("DATABASE_URL", db.url.as_str())];
    let out = sipas(dir.path(), &["migrate"], &env, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Đã cập nhật cấu trúc cơ sở dữ liệu."));
    let out = sipas(
        dir.path(),
        &["chat", "--flow", "sipas-short"],
        &env,
        SHORT_SURVEY,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = sipas(dir.path(), &["export", "--format", "json"], &env, "");
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 7);
    assert!(
        !dir.path().join("data").exists(),
        "PostgreSQL, not the SQLite default"
    );
    runtime.block_on(db.cleanup());
}

#[test]
fn settings_can_come_from_a_config_file_and_the_environment_wins() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sipas.env"),
        "# cấu hình\nDATABASE_URL=sqlite://./from-file/sipas.db\nSIPAS_LANG=en\n",
    )
    .unwrap();
    let out = sipas(
        dir.path(),
        &["migrate"],
        &[("SIPAS_CONFIG", "sipas.env")],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.path().join("from-file/sipas.db").exists());
    assert!(
        text(&out.stdout).contains("The database schema is up to date."),
        "SIPAS_LANG from the file"
    );
    let out = sipas(
        dir.path(),
        &["migrate"],
        &[("SIPAS_CONFIG", "sipas.env"), ("SIPAS_LANG", "vi")],
        "",
    );
    assert!(
        text(&out.stdout).contains("Đã cập nhật"),
        "the environment wins"
    );

    std::fs::write(
        dir.path().join("bad.env"),
        "DATABASE_URL=sqlite://x.db\nnot a setting\n",
    )
    .unwrap();
    let out = sipas(dir.path(), &["migrate"], &[("SIPAS_CONFIG", "bad.env")], "");
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("SIPAS_CONFIG") && stderr.contains("bad.env:2"),
        "{stderr}"
    );
    let out = sipas(
        dir.path(),
        &["migrate"],
        &[("SIPAS_CONFIG", "missing.env")],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn the_demo_tells_six_weeks_and_its_printed_commands_explore_the_same_data() {
    use sipas_bot::core::summary::Week;
    let dir = tempfile::tempdir().unwrap();
    let out = sipas(dir.path(), &["demo"], &[], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let last = Week::containing(chrono::Utc::now()).previous();
    let weeks: Vec<Week> = std::iter::successors(Some(last), |w| Some(w.previous()))
        .take(7)
        .collect();
    // The officials' summary of the week just ended: a change and a four-week trend.
    assert!(
        stdout.contains(&format!("📊 BÁO CÁO SIPAS TUẦN {}", last.label())),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "Xu hướng (chưa hiệu chỉnh): {}: ",
            weeks[3].label()
        )),
        "{stdout}"
    );
    assert!(stdout.contains("Xếp hạng đơn vị:"), "{stdout}");
    // The weak unit ranks last.
    let weak = stdout
        .lines()
        .find(|l| l.starts_with("• Sở Nông nghiệp và Môi trường: ") && l.contains("(hạng "))
        .unwrap_or_else(|| panic!("the weak unit is ranked: {stdout}"));
    let rank = weak
        .split("(hạng ")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap();
    let (place, of) = rank.split_once('/').unwrap();
    assert_eq!(place, of, "{weak}");
    let chart = dir
        .path()
        .join(format!("data/sipas-T14-{}.png", last.label()));
    assert!(std::fs::read(&chart).unwrap().starts_with(b"\x89PNG"));
    let workbook = dir
        .path()
        .join(format!("data/sipas-T14-{}.xlsx", last.label()));
    assert!(std::fs::read(&workbook).unwrap().starts_with(b"PK"));

    // Every printed command but `serve` (which needs a bot token) runs on the demo's data.
    let commands: Vec<&str> = stdout
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("DATABASE_URL=") && !l.ends_with(" serve"))
        .collect();
    assert_eq!(commands.len(), 5, "{stdout}");
    assert!(stdout.contains("sipas-bot serve"), "{stdout}");
    for command in &commands {
        let (env, rest) = command.split_once(' ').unwrap();
        let (name, value) = env.split_once('=').unwrap();
        let args: Vec<&str> = rest
            .strip_prefix("sipas-bot ")
            .unwrap()
            .split_whitespace()
            .collect();
        let run = sipas(dir.path(), &args, &[(name, value)], "");
        let output = text(&run.stdout);
        assert!(run.status.success(), "{command}: {}", text(&run.stderr));
        match args[0] {
            "summary" if args.contains(&"png") => {
                let path = args[args.iter().position(|a| *a == "--output").unwrap() + 1];
                assert!(
                    std::fs::read(dir.path().join(path))
                        .unwrap()
                        .starts_with(b"\x89PNG")
                );
            }
            "summary" => {
                assert!(output.contains("Phản hồi: "), "{command}: {output}");
                assert!(!output.contains("Phản hồi: 0 "), "{command}: {output}");
            }
            "export" => assert!(output.lines().count() > 1000, "{command}"),
            _ => assert!(!output.trim().is_empty(), "{command}"),
        }
    }

    // Six weeks of answers: each of the six weeks up to the last one has responses, the week
    // before them none, and the last week has a change from the one before.
    let url = "sqlite://./data/demo.db";
    let week_json = |week: Week| -> serde_json::Value {
        let out = sipas(
            dir.path(),
            &[
                "summary",
                "--agency",
                "T14",
                "--week",
                &week.label(),
                "--format",
                "json",
            ],
            &[("DATABASE_URL", url)],
            "",
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    for week in &weeks[..5] {
        let json = week_json(*week);
        assert!(
            json["counts"]["responses"].as_u64().unwrap() > 20,
            "{}",
            week.label()
        );
    }
    // The sixth week back starts on today's weekday six weeks ago: partly covered.
    assert!(week_json(weeks[5])["counts"]["responses"].as_u64().unwrap() > 0);
    assert_eq!(
        week_json(weeks[6])["counts"]["responses"],
        0,
        "before the six weeks"
    );
    let summary = week_json(last);
    assert!(summary["overall"]["change"].as_f64().is_some(), "{summary}");
}
