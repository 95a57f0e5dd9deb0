//! The dependency direction of ARCHITECTURE.md ("Layers and rules"), checked on the source: every
//! `crate::…` (and `super::…`) path in `src/**/*.rs` is resolved to a module, each module belongs
//! to one layer, and a layer may only name the layers listed for it. A new top-level module fails
//! until it is given a layer here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, outermost first, and the modules in each (the longest matching prefix wins). The
/// folders of `src/` are the layers, so each top-level module is listed once.
const LAYERS: &[(&str, &[&str])] = &[
    ("main", &["main"]),
    ("cli", &["cli"]),
    ("app", &["app"]),
    ("edge", &["channels", "web"]),
    ("service", &["services"]),
    ("storage", &["storage"]),
    ("settings", &["settings"]),
    ("core", &["core"]),
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
/// None today: intake invites through each channel's renderer (issue 16).
const EXCEPTIONS: &[(&str, &str, &str)] = &[];

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
/// Comments are skipped: a doc link is not a dependency. The file is read as a whole, so a
/// `use crate::{…}` group spread over several lines counts each of its members.
fn references(module: &str, source: &str) -> Vec<(usize, String)> {
    // Comments blanked out, line breaks kept, so an offset still gives its line.
    let code: String = source
        .lines()
        .map(|line| {
            let trimmed = line.trim_start();
            if trimmed.starts_with("//") {
                ""
            } else {
                trimmed.split(" // ").next().unwrap_or(trimmed)
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let line_of = |offset: usize| code[..offset].matches('\n').count() + 1;
    let mut found = Vec::new();
    for (root, resolve) in [
        ("crate::", None),
        ("sipas_bot::", None),
        ("super::", Some(())),
    ] {
        let mut searched = 0;
        while let Some(found_at) = code[searched..].find(root) {
            let at = searched + found_at;
            searched = at + root.len();
            let before = code[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let after = &code[at + root.len()..];
            let mut path: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            path = path.trim_end_matches(':').to_string();
            if path.is_empty() && root != "super::" {
                // `crate::{core::flow, storage::Db}`: each group member is a reference.
                for member in group_members(after) {
                    found.push((line_of(at), member));
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
                found.push((line_of(at), path));
            }
        }
    }
    found.sort();
    found
}

/// What `src/lib.rs` holds besides module declarations and comments: a `pub use` there would let
/// any module reach another layer through the crate root, unseen by the scan.
fn root_items(source: &str) -> Vec<String> {
    source
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("//"))
        .filter(|line| {
            let declaration = line.strip_prefix("pub ").unwrap_or(line);
            !(declaration.starts_with("mod ") && declaration.ends_with(';'))
        })
        .map(str::to_string)
        .collect()
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
            for item in root_items(source) {
                breaches.push(format!(
                    "src/lib.rs: only module declarations belong here: {item}"
                ));
            }
            continue;
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
        file("src/core/survey/mod.rs", "use crate::storage::Db;\n"),
        file(
            "src/storage/notices.rs",
            "fn f() {\n    crate::channels::telegram::send();\n}\n",
        ),
        file("src/app/serve/mod.rs", "use crate::cli::open_store;\n"),
        file(
            "src/web/console/pages.rs",
            "use super::super::super::cli::Cli;\n",
        ),
        file(
            "src/core/survey/input.rs",
            "use crate::{core::flow, storage::{Db, Agency}};\n",
        ),
        file("src/newthing.rs", "\n"),
    ]);
    assert_eq!(
        breaches,
        [
            "src/core/survey/mod.rs:1: core::survey (core) must not use storage::Db (storage)",
            "src/storage/notices.rs:2: storage::notices (storage) must not use channels::telegram::send (edge)",
            "src/app/serve/mod.rs:1: app::serve (app) must not use cli::open_store (cli)",
            "src/web/console/pages.rs:1: web::console::pages (edge) must not use cli::Cli (cli)",
            "src/core/survey/input.rs:1: core::survey::input (core) must not use storage (storage)",
            "src/newthing.rs: module newthing is in no layer",
        ]
    );
}

#[test]
fn a_group_over_several_lines_is_read_whole() {
    let (breaches, _) = check(&[file(
        "src/core/summary/mod.rs",
        "use crate::{\n    core::agency::Agency,\n    storage::{\n        Db,\n    },\n};\n",
    )]);
    assert_eq!(
        breaches,
        ["src/core/summary/mod.rs:1: core::summary (core) must not use storage (storage)"]
    );
}

#[test]
fn a_re_export_through_the_crate_root_is_a_breach() {
    let (breaches, _) = check(&[file(
        "src/lib.rs",
        "//! The crate.\n\npub mod core;\nmod storage;\npub use storage::Db;\n",
    )]);
    assert_eq!(
        breaches,
        ["src/lib.rs: only module declarations belong here: pub use storage::Db;"]
    );
}

#[test]
fn the_checker_allows_the_direction_and_skips_comments() {
    let (breaches, used) = check(&[
        file("src/main.rs", "fn main() { sipas_bot::cli::run(); }\n"),
        file(
            "src/cli/mod.rs",
            "use crate::app::serve;\nuse crate::app::demo;\n",
        ),
        file(
            "src/web/console/pages.rs",
            "use super::Console;\nuse crate::services::admin::import;\n",
        ),
        file(
            "src/storage/stats.rs",
            "//! Aggregation in [`crate::channels`].\nuse crate::core::report::AgencyCounts; // not crate::cli\n",
        ),
        file(
            "src/lib.rs",
            "//! The crate.\npub mod core;\nmod storage;\n",
        ),
    ]);
    assert!(breaches.is_empty(), "{breaches:?}");
    assert!(used.is_empty(), "{used:?}");
}

#[test]
fn files_map_to_modules_and_layers() {
    assert_eq!(module_of("src/web/console/mod.rs"), "web::console");
    assert_eq!(
        module_of("src/core/flow/validate.rs"),
        "core::flow::validate"
    );
    assert_eq!(layer_of("web::console::pages"), Some("edge"));
    assert_eq!(layer_of("services::admin::import"), Some("service"));
    assert_eq!(layer_of("settings::health"), Some("settings"));
    assert_eq!(layer_of("servicesx"), None);
    assert_eq!(
        references("web::console::pages", "use super::{Console, esc};"),
        [(1, "web::console".to_string())]
    );
}

#[test]
fn the_source_tree_shows_the_layers() {
    // At most a dozen entries at the top of `src/`, each a layer's folder or the two roots.
    let entries: Vec<String> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        entries.len() <= 12,
        "src/ has {} entries: {entries:?}",
        entries.len()
    );
    for entry in &entries {
        let module = entry.trim_end_matches(".rs");
        assert!(
            module == "lib" || layer_of(module).is_some(),
            "src/{entry} is in no layer"
        );
    }
}
