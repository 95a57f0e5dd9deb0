//! The lexicon's rules: whole words without diacritics, "other" for the rest, refusals that name
//! the line. Precision and recall on the labelled comments are in `tests/themes.rs`.

use super::*;

#[test]
fn the_shipped_lexicon_parses_with_every_theme_of_the_issue() {
    let lexicon = Lexicon::shipped();
    let ids: Vec<&str> = lexicon.themes.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "attitude",
            "waiting",
            "fees",
            "guidance",
            "facilities",
            "online",
            "postal",
            "other"
        ]
    );
}

#[test]
fn matching_ignores_diacritics_and_case_and_needs_whole_words() {
    let lexicon = Lexicon::shipped();
    assert_eq!(lexicon.themes_of("THÁI ĐỘ rất tốt"), ["attitude"]);
    assert_eq!(lexicon.themes_of("thai do rat tot"), ["attitude"]);
    // "phí" is a fee; "phía" (side) is not, though it starts the same.
    assert_eq!(lexicon.themes_of("Đi về phía cổng"), [OTHER]);
    assert_eq!(lexicon.themes_of("Phí hơi cao"), ["fees"]);
    assert_eq!(
        lexicon.themes_of("Chờ lâu, phải gửi xe ngoài đường"),
        ["waiting", "facilities"]
    );
    assert!(lexicon.themes_of("   ").is_empty());
}

#[test]
fn a_malformed_file_is_refused_naming_the_line() {
    let bad_syntax = "[[theme]]\nid = \"a\"\nname = \"A\"\nphrases = [\"x\"\n";
    let err = Lexicon::parse(bad_syntax).unwrap_err();
    assert!(matches!(err.problem, LexiconProblem::Syntax(_)), "{err:?}");
    assert!(err.line >= 4, "{err:?}");

    let no_phrases = "# themes\n\n[[theme]]\nid = \"a\"\nname = \"A\"\nphrases = [\"x\"]\n\n[[theme]]\nid = \"b\"\nname = \"B\"\n\n[[theme]]\nid = \"other\"\nname = \"Khác\"\n";
    let err = Lexicon::parse(no_phrases).unwrap_err();
    assert_eq!(
        err,
        LexiconError {
            line: 8,
            problem: LexiconProblem::NoPhrases("b".into())
        }
    );

    let duplicate = "[[theme]]\nid = \"a\"\nname = \"A\"\nphrases = [\"x\"]\n[[theme]]\nid = \"a\"\nname = \"A2\"\nphrases = [\"y\"]\n";
    let err = Lexicon::parse(duplicate).unwrap_err();
    assert_eq!(
        (err.line, err.problem),
        (5, LexiconProblem::DuplicateId("a".into()))
    );

    let no_other = "[[theme]]\nid = \"a\"\nname = \"A\"\nphrases = [\"x\"]\n";
    assert_eq!(
        Lexicon::parse(no_other).unwrap_err().problem,
        LexiconProblem::MissingOther
    );
    let unknown_key = "[[theme]]\nid = \"a\"\nname = \"A\"\nwords = [\"x\"]\n";
    assert!(matches!(
        Lexicon::parse(unknown_key).unwrap_err().problem,
        LexiconProblem::Syntax(_)
    ));
    let bad_id = "[[theme]]\nid = \"Thái độ\"\nname = \"A\"\nphrases = [\"x\"]\n";
    assert_eq!(
        Lexicon::parse(bad_id).unwrap_err().problem,
        LexiconProblem::BadId("Thái độ".into())
    );
}

#[test]
fn figures_count_comments_and_choices_with_the_change_of_share() {
    let lexicon = Lexicon::shipped();
    let now = Said {
        comments: vec![
            "Chờ lâu quá, gọi 0912345678".into(),
            "Cán bộ thái độ tốt".into(),
            "Cảm ơn".into(),
        ],
        picks: vec![("shorter_time".into(), 1), ("unknown".into(), 5)],
    };
    let before = Said {
        comments: vec!["Chờ lâu".into(), "Phí cao".into()],
        picks: Vec::new(),
    };
    let figures = figures(&lexicon, &now, &before);
    assert_eq!(figures[0].theme, "waiting");
    assert_eq!(figures[0].count, 2, "a comment and a choice");
    assert_eq!(figures[0].share, Some(0.5), "2 of 4 items");
    assert_eq!(figures[0].change, Some(0.0), "half before too");
    assert_eq!(figures[0].examples, ["Chờ lâu quá, gọi ***"], "masked");
    let other = figures.iter().find(|f| f.theme == OTHER).unwrap();
    assert_eq!(other.count, 1);
    assert_eq!(
        figures.last().unwrap().theme,
        OTHER,
        "other last among equals"
    );
}
