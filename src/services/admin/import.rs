//! Agencies from CSV (`code,name,parent_code,level`): every row checked, rejected rows reported
//! with their line and reason, accepted rows in an order where parents come first. Checking is
//! pure ([`parse_agencies`]); [`import_agencies`] stores the accepted rows, for the CLI and the
//! console alike.

use crate::core::agency::{Agency, AgencyLevel, AgencyTree};
use crate::storage::{Db, StorageError};
use chrono::{DateTime, Utc};

/// A row that was not imported: its line in the file, the locale id of the reason and the
/// reason's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub line: u64,
    pub code: String,
    pub reason: &'static str,
    pub args: Vec<(&'static str, String)>,
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub accepted: usize,
    pub rejected: Vec<Rejected>,
}

/// Imports agencies from CSV text: valid rows are stored (parents first), rejected rows reported.
pub async fn import_agencies(
    db: &Db,
    csv_text: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<ImportReport, StorageError> {
    let (accepted, rejected) = parse_agencies(csv_text, &db.agency_tree().await?);
    for agency in &accepted {
        db.upsert_agency(agency, now).await?;
    }
    db.record_audit(
        actor,
        "agency.import",
        &format!("{} rows", accepted.len() + rejected.len()),
        None,
        Some(&format!(
            "{} accepted, {} rejected",
            accepted.len(),
            rejected.len()
        )),
        now,
    )
    .await?;
    Ok(ImportReport {
        accepted: accepted.len(),
        rejected,
    })
}

/// Parses the CSV against the `stored` tree: a parent must be stored or accepted above, and a row
/// that moves a stored agency under one of its own descendants (a parent cycle, which would leave
/// summaries and alerts without a root) is refused with the codes along the cycle.
pub fn parse_agencies(csv_text: &str, stored: &AgencyTree) -> (Vec<Agency>, Vec<Rejected>) {
    let mut tree = stored.clone();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let mut accepted: Vec<Agency> = Vec::new();
    let mut rejected = Vec::new();
    let headers = reader.headers().cloned().unwrap_or_default();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(code_at), Some(name_at), Some(parent_at), Some(level_at)) = (
        column("code"),
        column("name"),
        column("parent_code"),
        column("level"),
    ) else {
        rejected.push(Rejected {
            line: 1,
            code: String::new(),
            reason: "import-error-header",
            args: Vec::new(),
        });
        return (accepted, rejected);
    };
    for record in reader.records() {
        let Ok(record) = record else {
            rejected.push(Rejected {
                line: 0,
                code: String::new(),
                reason: "import-error-row",
                args: Vec::new(),
            });
            continue;
        };
        let line = record.position().map_or(0, |p| p.line());
        let field = |at: usize| record.get(at).unwrap_or("").to_string();
        let (code, name, parent, level) = (
            field(code_at),
            field(name_at),
            field(parent_at),
            field(level_at),
        );
        let cycle = (!parent.is_empty())
            .then(|| tree.cycle_through(&code, &parent))
            .flatten();
        let reason = if code.is_empty() {
            Some("import-error-code")
        } else if name.is_empty() {
            Some("import-error-name")
        } else if AgencyLevel::parse(&level).is_none() {
            Some("import-error-level")
        } else if accepted.iter().any(|a| a.code == code) {
            Some("import-error-duplicate")
        } else if !parent.is_empty() && parent == code {
            Some("import-error-own-parent")
        } else if !parent.is_empty() && !tree.contains(&parent) {
            Some("import-error-parent")
        } else if cycle.is_some() {
            Some("import-error-cycle")
        } else {
            None
        };
        match reason {
            Some(reason) => {
                let args = cycle
                    .map(|codes| vec![("cycle", codes.join(" → "))])
                    .unwrap_or_default();
                rejected.push(Rejected {
                    line,
                    code,
                    reason,
                    args,
                })
            }
            None => {
                let agency = Agency {
                    code,
                    name,
                    parent_code: Some(parent).filter(|p| !p.is_empty()),
                    level: AgencyLevel::parse(&level).expect("checked above"),
                };
                tree.upsert(agency.clone());
                accepted.push(agency);
            }
        }
    }
    (accepted, rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_rows_are_kept_and_bad_rows_named() {
        let csv = "code,name,parent_code,level\n\
                   T1,UBND tỉnh Mẫu,,tỉnh\n\
                   T1.H1,UBND huyện Một,T1,huyện\n\
                   ,Không mã,T1,xã\n\
                   T1.X9,Xã lạc,T9,xã\n\
                   T1.H2,Huyện Hai,T1,quận\n\
                   T1.H1,Trùng,T1,huyện\n\
                   T1.H1.X1,UBND xã Một,T1.H1,xa\n";
        let (accepted, rejected) = parse_agencies(csv, &AgencyTree::default());
        let codes: Vec<&str> = accepted.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(codes, ["T1", "T1.H1", "T1.H1.X1"]);
        let reasons: Vec<(u64, &str)> = rejected.iter().map(|r| (r.line, r.reason)).collect();
        assert_eq!(
            reasons,
            [
                (4, "import-error-code"),
                (5, "import-error-parent"),
                (6, "import-error-level"),
                (7, "import-error-duplicate"),
            ]
        );
    }

    #[test]
    fn the_two_level_tree_imports_and_a_district_row_from_before_july_2025_still_does() {
        let csv = "code,name,parent_code,level\n\
                   T1,UBND tỉnh Mẫu,,tỉnh\n\
                   T1.S1,Sở Tư pháp,T1,sở\n\
                   T1.P1,UBND phường Một,T1,phường\n\
                   T1.D1,UBND đặc khu Hai,T1,đặc khu\n\
                   T1.X1,UBND xã Ba,T1,xã\n\
                   T1.H9,UBND huyện Cũ (trước 01/7/2025),T1,huyện\n";
        let (accepted, rejected) = parse_agencies(csv, &AgencyTree::default());
        assert!(rejected.is_empty(), "{rejected:?}");
        let levels: Vec<(&str, AgencyLevel)> = accepted
            .iter()
            .map(|a| (a.code.as_str(), a.level))
            .collect();
        assert_eq!(
            levels,
            [
                ("T1", AgencyLevel::Tinh),
                ("T1.S1", AgencyLevel::So),
                ("T1.P1", AgencyLevel::Xa),
                ("T1.D1", AgencyLevel::Xa),
                ("T1.X1", AgencyLevel::Xa),
                ("T1.H9", AgencyLevel::Huyen),
            ]
        );
    }

    #[test]
    fn a_missing_header_rejects_the_file() {
        let (accepted, rejected) = parse_agencies("ma,ten\nA,B\n", &AgencyTree::default());
        assert!(accepted.is_empty());
        assert_eq!(rejected[0].reason, "import-error-header");
    }

    #[test]
    fn a_row_that_would_close_a_parent_cycle_is_refused_naming_the_rows() {
        let stored = AgencyTree::new(
            parse_agencies(
                "code,name,parent_code,level\nA,Tỉnh A,,tỉnh\nA.1,Huyện A1,A,huyện\n",
                &AgencyTree::default(),
            )
            .0,
        );
        let csv = "code,name,parent_code,level\n\
                   A.1.X,Xã mới,A.1,xã\n\
                   A,Tỉnh A,A.1.X,tỉnh\n\
                   A.2,Huyện A2,A,huyện\n\
                   A.1,Huyện A1,A.2,huyện\n";
        let (accepted, rejected) = parse_agencies(csv, &stored);
        let codes: Vec<&str> = accepted.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(codes, ["A.1.X", "A.2", "A.1"]);
        assert_eq!(
            rejected,
            [Rejected {
                line: 3,
                code: "A".into(),
                reason: "import-error-cycle",
                args: vec![("cycle", "A → A.1.X → A.1 → A".into())],
            }]
        );
        let locales = crate::core::i18n::Locales::load();
        assert_eq!(
            locales.text(
                crate::core::flow::Lang::Vi,
                rejected[0].reason,
                &rejected[0].args
            ),
            "mã cấp trên này tạo thành vòng lặp: A → A.1.X → A.1 → A."
        );
    }
}
