//! The dependency direction of ARCHITECTURE.md ("Layers and rules"), checked on the source: every
//! `crate::…` (and `super::…`) path in `src/**/*.rs` is resolved to a module, each module belongs
//! to one layer, and a layer may only name the layers listed for it. A new top-level module fails
//! until it is given a layer here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, outermost first, and the modules in each (the longest matching prefix wins, so
/// `admin::web` is an edge while the rest of `admin` is a service).
const LAYERS: &[(&str, &[&str])] = &[
    ("main", &["main"]),
    ("cli", &["cli"]),
    ("app", &["serve", "demo", "error"]),
    ("edge", &["channels", "http", "admin::web"]),
    (
        "service",
        &[
            "conversation",
            "officials",
            "intake",
            "intake_clients",
            "admin",
            "startup",
            "delivery",
        ],
    ),
    ("storage", &["storage"]),
    ("settings", &["config", "metrics"]),
    (
        "core",
        &[
            "flow", "survey", "scoring", "summary", "report", "agency", "i18n", "prompt", "clock",
            "qr",
        ],
    ),
];

/// Which layers each layer may name (its own included). Nothing but `main` names `cli`; the
/// pure core names only itself.
const MAY_USE: &[(&str, &[&str])] = &[
    ("main", &["cli"]),
    (
        "cli",
        &[
            "cli", "app", "edge", "service", "storage", "settings", "core",
        ],
    ),
    (
        "app",
        &["app", "edge", "service", "storage", "settings", "core"],
    ),
    ("edge", &["edge", "service", "storage", "settings", "core"]),
    ("service", &["service", "storage", "settings", "core"]),
    ("storage", &["storage", "settings", "core"]),
    ("settings", &["settings", "core"]),
    ("core", &["core"]),
];

/// Known breaches, each with the work that removes it: (from module, to module, why). An
/// exception that no longer matches anything fails the test, so it is deleted with its cause.
const EXCEPTIONS: &[(&str, &str, &str)] = &[(
    "intake",
    "channels",
    "intake queues the Telegram invitation itself until channels render invitations",
)];

/// The module of a source file: `src/admin/web/pages.rs` is `admin::web::pages`,
/// `src/flow/mod.rs` is `flow`.
fn module_of(path: &str) -> String {
    let inner = path.trim_start_matches("src/").trim_end_matches(".rs");
    let inner = inner.strip_suffix("/mod").unwrap_or(inner);
    inner.replace('/', "::")
}

/// The layer of a module path, by the longest listed prefix.
fn layer_of(module: &str) -> Option<&'static str> {
    LAYERS
        .iter()
        .flat_map(|(layer, modules)| modules.iter().map(move |m| (*layer, *m)))
        .filter(|(_, m)| module == *m || module.starts_with(&format!("{m}::")))
        .max_by_key(|(_, m)| m.len())
        .map(|(layer, _)| layer)
}

fn may_use(from: &str, to: &str) -> bool {
    MAY_USE
        .iter()
        .any(|(layer, allowed)| *layer == from && allowed.contains(&to))
}

/// The module paths a file names, resolved from the crate root, with their line numbers.
/// Comments are skipped: a doc link is not a dependency.
fn references(module: &str, source: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (number, line) in source.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let code = code.split(" // ").next().unwrap_or(code);
        for (root, resolve) in [
            ("crate::", None),
            ("sipas_bot::", None),
            ("super::", Some(())),
        ] {
            let mut rest = code;
            while let Some(at) = rest.find(root) {
                let before = rest[..at].chars().last();
                let after = &rest[at + root.len()..];
                rest = after;
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                let mut path: String = after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                path = path.trim_end_matches(':').to_string();
                if path.is_empty() && root == "crate::" {
                    // `crate::{flow, storage::Db}`: each group member is a reference.
                    for member in group_members(after) {
                        found.push((number + 1, member));
                    }
                    continue;
                }
                if resolve.is_some() {
                    // `super::super::x` climbs once per `super`.
                    let mut base: Vec<&str> = module.split("::").collect();
                    base.pop();
                    let mut tail = path.as_str();
                    while let Some(next) = tail.strip_prefix("super::") {
                        base.pop();
                        tail = next;
                    }
                    let mut parts: Vec<&str> = base;
                    if !tail.is_empty() {
                        parts.push(tail);
                    }
                    path = parts.join("::");
                }
                if !path.is_empty() {
                    found.push((number + 1, path));
                }
            }
        }
    }
    found
}

/// The first path of each member of a `{…}` group at the start of `text`.
fn group_members(text: &str) -> Vec<String> {
    let Some(inner) = text.strip_prefix('{') else {
        return Vec::new();
    };
    let mut members = vec![String::new()];
    let mut depth = 0;
    for c in inner.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => members.push(String::new()),
            _ if depth == 0 => members.last_mut().expect("never empty").push(c),
            _ => {}
        }
    }
    members
        .iter()
        .map(|m| m.trim().trim_end_matches(':').to_string())
        .filter(|m| !m.is_empty() && m != "self")
        .collect()
}

/// Every reference that breaks the rules, as `file:line: from (layer) → to (layer)`, and the
/// exceptions that were used.
fn check(files: &[(String, String)]) -> (Vec<String>, BTreeSet<usize>) {
    let mut breaches = Vec::new();
    let mut used = BTreeSet::new();
    for (path, source) in files {
        if path == "src/lib.rs" {
            continue; // only declares the modules
        }
        let module = module_of(path);
        let Some(from) = layer_of(&module) else {
            breaches.push(format!("{path}: module {module} is in no layer"));
            continue;
        };
        for (line, target) in references(&module, source) {
            let Some(to) = layer_of(&target) else {
                continue; // an item of the crate root or of this module's own parent chain
            };
            if may_use(from, to) {
                continue;
            }
            let exception = EXCEPTIONS.iter().position(|(f, t, _)| {
                (module == *f || module.starts_with(&format!("{f}::")))
                    && (target == *t || target.starts_with(&format!("{t}::")))
            });
            match exception {
                Some(at) => {
                    used.insert(at);
                }
                None => breaches.push(format!(
                    "{path}:{line}: {module} ({from}) must not use {target} ({to})"
                )),
            }
        }
    }
    (breaches, used)
}

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let root = Path::new(env!("CARGO_MANIFEST_DIR"));
            let relative = path.strip_prefix(root).unwrap().to_string_lossy();
            out.push((
                relative.replace('\\', "/"),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

#[test]
fn every_module_imports_only_what_its_layer_may_know() {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 50, "found {} source files", files.len());
    let (breaches, used) = check(&files);
    assert!(breaches.is_empty(), "layering:\n{}", breaches.join("\n"));
    let stale: Vec<&str> = (0..EXCEPTIONS.len())
        .filter(|at| !used.contains(at))
        .map(|at| EXCEPTIONS[at].2)
        .collect();
    assert!(
        stale.is_empty(),
        "these exceptions no longer happen; delete them from EXCEPTIONS: {stale:?}"
    );
}

#[test]
fn the_rules_point_one_way() {
    // Every layer is listed once in each table, and the allowed uses form no cycle: ranking the
    // layers outermost first, a layer only uses itself or layers after it.
    let ranks: BTreeMap<&str, usize> = (LAYERS.iter().enumerate())
        .map(|(rank, (layer, _))| (*layer, rank))
        .collect();
    assert_eq!(ranks.len(), LAYERS.len());
    assert_eq!(MAY_USE.len(), LAYERS.len());
    for (layer, allowed) in MAY_USE {
        for to in *allowed {
            assert!(ranks[layer] <= ranks[to], "{layer} may use {to}");
        }
    }
}

fn file(path: &str, source: &str) -> (String, String) {
    (path.to_string(), source.to_string())
}

#[test]
fn the_checker_catches_a_breach() {
    let (breaches, _) = check(&[
        file("src/survey/mod.rs", "use crate::storage::Db;\n"),
        file(
            "src/storage/notices.rs",
            "fn f() {\n    crate::channels::telegram::send();\n}\n",
        ),
        file("src/serve.rs", "use crate::cli::open_store;\n"),
        file(
            "src/admin/web/pages.rs",
            "use super::super::super::cli::Cli;\n",
        ),
        file(
            "src/survey/input.rs",
            "use crate::{flow, storage::{Db, Agency}};\n",
        ),
        file("src/newthing.rs", "\n"),
    ]);
    assert_eq!(
        breaches,
        [
            "src/survey/mod.rs:1: survey (core) must not use storage::Db (storage)",
            "src/storage/notices.rs:2: storage::notices (storage) must not use channels::telegram::send (edge)",
            "src/serve.rs:1: serve (app) must not use cli::open_store (cli)",
            "src/admin/web/pages.rs:1: admin::web::pages (edge) must not use cli::Cli (cli)",
            "src/survey/input.rs:1: survey::input (core) must not use storage (storage)",
            "src/newthing.rs: module newthing is in no layer",
        ]
    );
}

#[test]
fn the_checker_allows_the_direction_and_skips_comments() {
    let (breaches, used) = check(&[
        file("src/main.rs", "fn main() { sipas_bot::cli::run(); }\n"),
        file("src/cli/mod.rs", "use crate::serve;\nuse crate::demo;\n"),
        file(
            "src/admin/web/pages.rs",
            "use super::Console;\nuse crate::admin::import;\n",
        ),
        file(
            "src/storage/stats.rs",
            "//! Aggregation in [`crate::channels`].\nuse crate::report::AgencyCounts; // not crate::cli\n",
        ),
        file(
            "src/intake.rs",
            "use crate::channels::telegram::messages;\n",
        ),
    ]);
    assert!(breaches.is_empty(), "{breaches:?}");
    assert_eq!(used, BTreeSet::from([0]));
}

#[test]
fn files_map_to_modules_and_layers() {
    assert_eq!(module_of("src/admin/web/mod.rs"), "admin::web");
    assert_eq!(module_of("src/flow/validate.rs"), "flow::validate");
    assert_eq!(layer_of("admin::web::pages"), Some("edge"));
    assert_eq!(layer_of("admin::import"), Some("service"));
    assert_eq!(layer_of("administrator"), None);
    assert_eq!(
        references("admin::web::pages", "use super::{Console, esc};"),
        [(1, "admin::web".to_string())]
    );
}
