//! Every message id the code uses exists in every locale, and the locales agree with each other.

use sipas_bot::core::flow::Lang;
use sipas_bot::core::i18n::{Locales, message_ids};
use std::collections::BTreeSet;
use std::path::Path;

/// String literals in the source that look like message ids (`kebab-case`) and start with a
/// prefix the locales use (`survey-`, `hint-`, …).
fn ids_used_in_code() -> BTreeSet<String> {
    let vi = message_ids(include_str!("../locales/vi/main.ftl"));
    let prefixes: BTreeSet<&str> = vi.iter().filter_map(|id| id.split('-').next()).collect();
    let mut used = BTreeSet::new();
    let mut pending = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|ext| ext != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        for literal in source.split('"').skip(1).step_by(2) {
            let kebab = literal.contains('-')
                && literal
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if kebab && prefixes.contains(literal.split('-').next().unwrap()) {
                used.insert(literal.to_string());
            }
        }
    }
    used
}

#[test]
fn every_locale_has_every_message_the_code_uses() {
    let locales = Locales::load();
    let used = ids_used_in_code();
    assert!(used.len() > 40, "the scan finds the ids: {used:?}");
    for lang in [Lang::Vi, Lang::En] {
        let defined: BTreeSet<String> = locales.ids(lang).into_iter().collect();
        let missing: Vec<&String> = used.difference(&defined).collect();
        assert!(missing.is_empty(), "{lang:?} lacks {missing:?}");
    }
}

#[test]
fn locales_define_the_same_messages_and_none_twice() {
    let vi = message_ids(include_str!("../locales/vi/main.ftl"));
    let en = message_ids(include_str!("../locales/en/main.ftl"));
    let vi_set: BTreeSet<&String> = vi.iter().collect();
    let en_set: BTreeSet<&String> = en.iter().collect();
    assert_eq!(vi_set.len(), vi.len(), "a vi message is defined twice");
    assert_eq!(en_set.len(), en.len(), "an en message is defined twice");
    assert_eq!(vi_set, en_set);
}

#[test]
fn vietnamese_messages_keep_their_diacritics_and_politeness() {
    let locales = Locales::load();
    let text = locales.text(Lang::Vi, "hint-unclear", &[("skip", "Bỏ qua".into())]);
    assert_eq!(
        text,
        "Xin lỗi, chưa rõ câu trả lời. Ông/Bà vui lòng bấm một nút, gõ số tương ứng hoặc gõ “Bỏ qua”."
    );
}

#[test]
fn the_invitation_says_plainly_that_the_agency_reads_the_comments() {
    // Comments reach officials (masked, never with the chat or the phone number), so the
    // invitation must not promise they stay confidential.
    let locales = Locales::load();
    let vi = locales.text(Lang::Vi, "tg-invitation-ask", &[]);
    assert!(
        vi.contains("Cơ quan sẽ đọc") && vi.contains("không kèm họ tên, số điện thoại"),
        "{vi}"
    );
    let en = locales.text(Lang::En, "tg-invitation-ask", &[]);
    assert!(
        en.contains("The agency reads your answers and comments")
            && en.contains("without your name"),
        "{en}"
    );
    for text in [vi, en] {
        assert!(
            !text.contains("giữ kín") && !text.contains("confidential"),
            "{text}"
        );
    }
}

#[test]
fn the_shipped_flows_say_plainly_that_the_agency_reads_the_answers() {
    // The intro is the first thing a citizen reads of a flow: like the invitation, it tells who
    // reads the answers instead of promising they stay confidential.
    for flow in sipas_bot::core::flow::builtin() {
        assert!(
            flow.intro
                .vi
                .contains("Cơ quan sẽ đọc các câu trả lời và góp ý của Ông/Bà")
                && flow
                    .intro
                    .vi
                    .contains("không kèm họ tên, số điện thoại hay số giấy tờ"),
            "{}: {}",
            flow.id,
            flow.intro.vi
        );
        let en = flow.intro.en.as_deref().unwrap_or_default();
        assert!(
            en.contains("The agency reads your answers and comments")
                && en.contains("without your name"),
            "{}: {en}",
            flow.id
        );
        let source = flow.to_toml();
        assert!(
            !source.contains("giữ kín") && !source.contains("confidential"),
            "{} promises confidentiality somewhere",
            flow.id
        );
    }
}
