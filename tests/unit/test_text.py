from service.text import token_spans, tokens


def test_typographic_quotes_dashes_and_case_do_not_change_tokens() -> None:
    plain = tokens('The Minister\'s "plan" - a 30-day pause')
    fancy = tokens("THE Minister’s “plan” — a 30–day pause")
    assert plain == fancy == ["the", "minister", "s", "plan", "a", "30", "day", "pause"]


def test_nfkc_folds_compatibility_characters() -> None:
    assert tokens("ﬁnal ＡＢＣ") == ["final", "abc"]


def test_combining_marks_stay_inside_their_word() -> None:
    decomposed = "cafe\u0301 open"
    assert tokens(decomposed) == ["café", "open"]


def test_whitespace_of_any_kind_separates() -> None:
    assert tokens("a\u00a0b\tc\n\nd") == ["a", "b", "c", "d"]


def test_spans_point_at_the_original_text() -> None:
    text = "“Hello”, said Ünal — twice."
    spans = token_spans(text)
    assert [t for t, _, _ in spans] == tokens(text)
    assert [text[s:e] for _, s, e in spans] == ["Hello", "said", "Ünal", "twice"]


def test_only_punctuation_has_no_tokens() -> None:
    assert tokens(" — … !? ") == []
