//! Agencies and their tree, pure. Since 1 July 2025 local government has two levels: the
//! province (tỉnh, with its departments, sở and equivalent) and the commune level (xã, phường,
//! đặc khu); `huyện` is kept for data from before that date. [`AgencyTree`] is the one way the tree
//! is walked: subtree, ancestors, children and tree order all go through it, and every walk keeps
//! a visited set, so a parent cycle in stored data ends a walk instead of hanging a worker or a
//! request. Storage loads the rows (`Db::agency_tree`); the agency import refuses a row that
//! would close a cycle ([`AgencyTree::cycle_through`]).

use std::collections::{HashMap, HashSet};

/// The level of an agency in the administrative tree. `Huyen` (district) exists only for data
/// from before 1 July 2025, when districts were abolished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgencyLevel {
    Tinh,
    So,
    Huyen,
    Xa,
}

impl AgencyLevel {
    pub fn code(self) -> &'static str {
        match self {
            AgencyLevel::Tinh => "tinh",
            AgencyLevel::So => "so",
            AgencyLevel::Huyen => "huyen",
            AgencyLevel::Xa => "xa",
        }
    }

    /// Every level, from the top.
    pub const ALL: &'static [AgencyLevel] = &[
        AgencyLevel::Tinh,
        AgencyLevel::So,
        AgencyLevel::Huyen,
        AgencyLevel::Xa,
    ];

    /// The level stored as `code`, exactly (what storage reads).
    pub fn from_code(code: &str) -> Option<AgencyLevel> {
        AgencyLevel::ALL
            .iter()
            .copied()
            .find(|level| level.code() == code)
    }

    /// Accepts the codes and the Vietnamese words, with or without diacritics (what a person
    /// types in an import file): `phường` and `đặc khu` are commune-level names (xã), as is
    /// `thị trấn` in data from before 1 July 2025; `huyện` is accepted for that data too.
    pub fn parse(text: &str) -> Option<AgencyLevel> {
        let word = crate::core::survey::normalize(text);
        match word.trim().replace('_', " ").as_str() {
            "phuong" | "dac khu" | "thi tran" => Some(AgencyLevel::Xa),
            other => AgencyLevel::from_code(other),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Agency {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub level: AgencyLevel,
}

/// The agencies as a tree, built once per use from the stored (code, parent) rows. A parent code
/// that names no agency makes its child a root.
#[derive(Debug, Clone, Default)]
pub struct AgencyTree {
    /// In the order given (storage gives them by code), which is the order of children.
    agencies: Vec<Agency>,
    index: HashMap<String, usize>,
    children: HashMap<String, Vec<usize>>,
}

impl AgencyTree {
    pub fn new(agencies: Vec<Agency>) -> AgencyTree {
        let mut tree = AgencyTree::default();
        for agency in agencies {
            tree.upsert(agency);
        }
        tree
    }

    /// Adds an agency, or replaces the one with its code (its place in the order is kept). Only
    /// the links of this agency change, so an import of many rows stays linear.
    pub fn upsert(&mut self, agency: Agency) {
        let at = match self.index.get(&agency.code) {
            Some(&at) => {
                if let Some(old) = &self.agencies[at].parent_code
                    && let Some(siblings) = self.children.get_mut(old)
                {
                    siblings.retain(|&sibling| sibling != at);
                }
                self.agencies[at] = agency;
                at
            }
            None => {
                self.index.insert(agency.code.clone(), self.agencies.len());
                self.agencies.push(agency);
                self.agencies.len() - 1
            }
        };
        // Children are kept by the parent code they name, known or not yet: a parent imported
        // after its children links them without a rebuild.
        if let Some(parent) = &self.agencies[at].parent_code {
            let siblings = self.children.entry(parent.clone()).or_default();
            let place = siblings.partition_point(|&sibling| sibling < at);
            siblings.insert(place, at);
        }
    }

    pub fn agencies(&self) -> &[Agency] {
        &self.agencies
    }

    pub fn get(&self, code: &str) -> Option<&Agency> {
        self.index.get(code).map(|&at| &self.agencies[at])
    }

    pub fn contains(&self, code: &str) -> bool {
        self.index.contains_key(code)
    }

    /// The parent of `code`, if it names a known agency.
    pub fn parent(&self, code: &str) -> Option<&str> {
        let parent = self.get(code)?.parent_code.as_deref()?;
        self.contains(parent).then_some(parent)
    }

    /// The agencies directly under `code`, in order.
    pub fn children(&self, code: &str) -> Vec<&Agency> {
        if !self.contains(code) {
            return Vec::new();
        }
        (self.children.get(code).into_iter().flatten())
            .map(|&at| &self.agencies[at])
            .collect()
    }

    /// `code` and every agency above it, nearest first. A cycle ends the chain where it repeats.
    pub fn ancestors<'a>(&'a self, code: &'a str) -> Vec<&'a str> {
        let mut chain = vec![code];
        let mut seen: HashSet<&str> = HashSet::from([code]);
        while let Some(parent) = chain.last().and_then(|last| self.parent(last)) {
            if !seen.insert(parent) {
                break;
            }
            chain.push(parent);
        }
        chain
    }

    /// `code` and every agency under it, level by level. Each agency appears once, even on a
    /// cycle.
    pub fn subtree<'a>(&'a self, code: &'a str) -> Vec<&'a str> {
        let mut codes = vec![code];
        let mut seen: HashSet<&str> = HashSet::from([code]);
        let mut next = 0;
        while next < codes.len() {
            let parent = codes[next];
            for child in self.children(parent) {
                if seen.insert(&child.code) {
                    codes.push(&child.code);
                }
            }
            next += 1;
        }
        codes
    }

    /// Whether `code` is `scope` or an agency under it.
    pub fn within(&self, code: &str, scope: &str) -> bool {
        self.ancestors(code).contains(&scope)
    }

    /// Every agency reachable from a root, each parent before its children, with its depth (0 for
    /// a root). Agencies on a parent cycle have no root and are left out.
    pub fn in_tree_order(&self) -> Vec<(&Agency, usize)> {
        let mut ordered = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut stack: Vec<(&Agency, usize)> = (self.agencies.iter().rev())
            .filter(|agency| self.parent(&agency.code).is_none())
            .map(|agency| (agency, 0))
            .collect();
        while let Some((agency, depth)) = stack.pop() {
            if !seen.insert(&agency.code) {
                continue;
            }
            ordered.push((agency, depth));
            let children = self.children(&agency.code);
            stack.extend(children.into_iter().rev().map(|child| (child, depth + 1)));
        }
        ordered
    }

    /// The cycle that making `parent` the parent of `code` would close, as the codes along it
    /// from `code` back to `code` (`A → B → A`), or `None` when the link is safe.
    pub fn cycle_through(&self, code: &str, parent: &str) -> Option<Vec<String>> {
        let above = self.ancestors(parent);
        let at = above.iter().position(|c| *c == code)?;
        let mut cycle = vec![code.to_string()];
        cycle.extend(above[..=at].iter().map(|c| c.to_string()));
        Some(cycle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commune_level_names_and_the_old_district_level_parse() {
        for word in ["xã", "Phường", "phuong", "Đặc khu", "dac_khu", "thị trấn"] {
            assert_eq!(AgencyLevel::parse(word), Some(AgencyLevel::Xa), "{word}");
        }
        assert_eq!(AgencyLevel::parse("Sở"), Some(AgencyLevel::So));
        assert_eq!(AgencyLevel::parse("tỉnh"), Some(AgencyLevel::Tinh));
        assert_eq!(AgencyLevel::parse("huyện"), Some(AgencyLevel::Huyen));
        assert_eq!(AgencyLevel::parse("quận 1"), None);
    }

    fn agency(code: &str, parent: Option<&str>) -> Agency {
        Agency {
            code: code.into(),
            name: code.into(),
            parent_code: parent.map(str::to_string),
            level: AgencyLevel::Xa,
        }
    }

    fn sample() -> AgencyTree {
        AgencyTree::new(vec![
            agency("T", None),
            agency("T.H1", Some("T")),
            agency("T.H1.X1", Some("T.H1")),
            agency("T.H2", Some("T")),
            agency("T.H1.X2", Some("T.H1")),
        ])
    }

    fn codes(agencies: Vec<&Agency>) -> Vec<&str> {
        agencies.into_iter().map(|a| a.code.as_str()).collect()
    }

    #[test]
    fn walks_up_down_and_in_order() {
        let tree = sample();
        assert_eq!(tree.ancestors("T.H1.X1"), ["T.H1.X1", "T.H1", "T"]);
        assert_eq!(tree.ancestors("UNKNOWN"), ["UNKNOWN"]);
        assert_eq!(tree.subtree("T.H1"), ["T.H1", "T.H1.X1", "T.H1.X2"]);
        assert_eq!(
            tree.subtree("T"),
            ["T", "T.H1", "T.H2", "T.H1.X1", "T.H1.X2"]
        );
        assert_eq!(codes(tree.children("T")), ["T.H1", "T.H2"]);
        assert!(tree.children("T.H2").is_empty());
        assert!(tree.within("T.H1.X1", "T") && tree.within("T.H1", "T.H1"));
        assert!(!tree.within("T", "T.H1") && !tree.within("T.H2", "T.H1"));
        let order: Vec<(&str, usize)> = (tree.in_tree_order().into_iter())
            .map(|(a, depth)| (a.code.as_str(), depth))
            .collect();
        assert_eq!(
            order,
            [
                ("T", 0),
                ("T.H1", 1),
                ("T.H1.X1", 2),
                ("T.H1.X2", 2),
                ("T.H2", 1)
            ]
        );
    }

    #[test]
    fn a_parent_cycle_in_the_rows_ends_every_walk() {
        let tree = AgencyTree::new(vec![
            agency("A", Some("C")),
            agency("B", Some("A")),
            agency("C", Some("B")),
            agency("R", None),
            agency("R.1", Some("R")),
        ]);
        assert_eq!(tree.ancestors("B"), ["B", "A", "C"]);
        assert_eq!(tree.subtree("A"), ["A", "B", "C"]);
        assert!(tree.within("A", "B") && tree.within("B", "A"));
        assert!(!tree.within("A", "R"));
        let order: Vec<&str> = (tree.in_tree_order().into_iter())
            .map(|(a, _)| a.code.as_str())
            .collect();
        assert_eq!(order, ["R", "R.1"]);
        let own = AgencyTree::new(vec![agency("S", Some("S"))]);
        assert_eq!(
            (own.ancestors("S"), own.subtree("S")),
            (vec!["S"], vec!["S"])
        );
    }

    #[test]
    fn a_parent_given_after_its_child_is_linked() {
        let mut tree = AgencyTree::new(vec![agency("P.1", Some("P"))]);
        assert_eq!(tree.parent("P.1"), None);
        assert!(tree.children("P").is_empty());
        tree.upsert(agency("P", None));
        assert_eq!(tree.parent("P.1"), Some("P"));
        assert_eq!(tree.subtree("P"), ["P", "P.1"]);
    }

    #[test]
    fn a_link_that_would_close_a_cycle_is_named() {
        let mut tree = sample();
        assert_eq!(
            tree.cycle_through("T", "T.H1.X1"),
            Some(vec![
                "T".into(),
                "T.H1.X1".into(),
                "T.H1".into(),
                "T".into()
            ])
        );
        assert_eq!(tree.cycle_through("T.H2", "T.H1.X1"), None);
        assert_eq!(tree.cycle_through("NEW", "T"), None);
        tree.upsert(agency("T.H2", Some("T.H1.X1")));
        assert_eq!(tree.parent("T.H2"), Some("T.H1.X1"));
        assert_eq!(codes(tree.children("T")), ["T.H1"]);
        assert_eq!(
            tree.cycle_through("T.H1", "T.H2"),
            Some(vec![
                "T.H1".into(),
                "T.H2".into(),
                "T.H1.X1".into(),
                "T.H1".into()
            ])
        );
    }
}
