//! Agencies from CSV (`code,name,parent_code,level`): every row checked, rejected rows reported
//! with their line and reason, accepted rows in an order where parents come first.

use crate::storage::{Agency, AgencyLevel};

/// A row that was not imported: its line in the file and the locale id of the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub line: u64,
    pub code: String,
    pub reason: &'static str,
}

/// Parses the CSV; `known` are the codes already stored (valid parents).
pub fn parse_agencies(csv_text: &str, known: &[String]) -> (Vec<Agency>, Vec<Rejected>) {
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
        });
        return (accepted, rejected);
    };
    for record in reader.records() {
        let Ok(record) = record else {
            rejected.push(Rejected {
                line: 0,
                code: String::new(),
                reason: "import-error-row",
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
        } else if !parent.is_empty()
            && !known.contains(&parent)
            && !accepted.iter().any(|a| a.code == parent)
        {
            Some("import-error-parent")
        } else {
            None
        };
        match reason {
            Some(reason) => rejected.push(Rejected { line, code, reason }),
            None => accepted.push(Agency {
                code,
                name,
                parent_code: Some(parent).filter(|p| !p.is_empty()),
                level: AgencyLevel::parse(&level).expect("checked above"),
            }),
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
        let (accepted, rejected) = parse_agencies(csv, &[]);
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
    fn a_missing_header_rejects_the_file() {
        let (accepted, rejected) = parse_agencies("ma,ten\nA,B\n", &[]);
        assert!(accepted.is_empty());
        assert_eq!(rejected[0].reason, "import-error-header");
    }
}
