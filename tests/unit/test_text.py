import re
import sys
import unicodedata

import pytest

from service import text
from service.text import ND4_READING, Reading, token_spans, tokens


def test_typographic_quotes_dashes_and_case_do_not_change_tokens() -> None:
    plain = tokens('The Minister\'s "plan" - a 30-day pause')
    fancy = tokens("THE Minister’s “plan” — a 30–day pause")
    assert plain == fancy == ["the", "minister", "s", "plan", "a", "30", "day", "pause"]


def test_nfkc_folds_compatibility_characters() -> None:
    assert tokens("ﬁnal ＡＢＣ") == ["final", "abc"]


def test_combining_marks_stay_inside_their_word() -> None:
    decomposed = "cafe\u0301 open"
    assert tokens(decomposed, Reading(folds_accents=False)) == ["café", "open"]  # (as a store of scheme nd4 reads it)
    assert tokens(decomposed) == ["cafe", "open"]


def test_whitespace_of_any_kind_separates() -> None:
    assert tokens("a\u00a0b\tc\n\nd") == ["a", "b", "c", "d"]


def test_spans_point_at_the_original_text() -> None:
    text = "“Hello”, said Ünal — twice."
    spans = token_spans(text)
    assert [t for t, _, _ in spans] == tokens(text)
    assert [text[s:e] for _, s, e in spans] == ["Hello", "said", "Ünal", "twice"]


def test_only_punctuation_has_no_tokens() -> None:
    assert tokens(" — … !? ") == []


def test_each_letter_of_a_script_written_without_spaces_is_a_token() -> None:
    assert tokens("港务局周二表示，计划获批。") == ["港", "务", "局", "周", "二", "表", "示", "计", "划", "获", "批"]
    assert tokens("NHKによると「新計画」") == ["nhk", "に", "よ", "る", "と", "新", "計", "画"]
    assert tokens("ｶﾞス か\u3099") == tokens("ガス が") == ["ガ", "ス", "が"]  # (a voicing mark stays with its letter)
    assert tokens("กรุงเทพ ประกาศ") == ["ก", "รุ", "ง", "เ", "ท", "พ", "ป", "ร", "ะ", "ก", "า", "ศ"]


def test_spans_of_unspaced_letters_point_at_the_original_text() -> None:
    text = "【快讯】港口 ABC"
    spans = token_spans(text)
    assert [t for t, _, _ in spans] == tokens(text) == ["快", "讯", "港", "口", "abc"]
    assert [text[s:e] for _, s, e in spans] == ["快", "讯", "港", "口", "ABC"]


def test_html_a_feed_left_in_a_body_counts_as_the_text_it_shows() -> None:
    plain = "Le président a dit : « Don’t » — AT&T, S&P et 中国."
    feed = (
        "<p>Le pr&eacute;sident a dit&nbsp;: &laquo;&nbsp;Don&#8217;t&nbsp;&raquo; &mdash; AT&amp;T, S&amp;P "
        '<a href="https://example.net/x">et</a> &#x4E2D;&#22269;.</p><!-- ad slot -->'
    )
    assert tokens(feed) == tokens(plain)


def test_stock_symbols_and_unknown_references_are_text_not_markup() -> None:
    assert tokens("British Petroleum <BP> and <shu> &bogus; AT&T") == [
        "british", "petroleum", "bp", "and", "shu", "bogus", "at", "t"
    ]  # fmt: skip


def test_spans_of_html_point_at_the_sent_text() -> None:
    body = "<p>Pr&eacute;sident &amp; Co</p>"
    assert [(t, body[s:e]) for t, s, e in token_spans(body)] == [
        ("president", "Pr&eacute;sident"), ("co", "Co")
    ]  # fmt: skip


def test_invisible_characters_inside_a_word_are_dropped_from_it() -> None:
    written = "Bürger\u00admeisterin Stadt\u200bverwaltung Zu\u200dsammen\u200c arbeit"
    assert tokens(written, Reading(folds_accents=False)) == ["bürgermeisterin", "stadtverwaltung", "zusammen", "arbeit"]
    assert tokens("\ufeffword \u200b word\u200b") == ["word", "word"]  # alone, they are nothing


def test_arabic_vowel_points_and_tatweel_and_hebrew_points_are_dropped() -> None:
    assert tokens("كَتَبَ الـــوَلَدُ") == tokens("كتب الولد") == ["كتب", "الولد"]
    assert tokens("שָׁלוֹם") == tokens("שלום")
    assert tokens("ـــ كتب") == ["كتب"]  # a lone tatweel is no word


def test_russian_yo_is_compared_as_ye_as_russian_text_writes_either() -> None:
    assert tokens("Пётр Семёнович ещё") == tokens("Петр Семенович еще") == ["петр", "семенович", "еще"]
    assert tokens("ПЁТР") == tokens("пе\u0308тр")  # (capital, and "е" with a combining diaeresis)


def test_latin_letters_are_compared_without_their_diacritics_as_ascii_feeds_send_them() -> None:
    french = "Les hôpitaux de Besançon reçoivent l'élève à Noël, déjà célèbre"
    assert tokens(french) == tokens("Les hopitaux de Besancon recoivent l'eleve a Noel, deja celebre")
    assert tokens("Mañana el niño José Núñez irá a Cádiz") == [
        "manana", "el", "nino", "jose", "nunez", "ira", "a", "cadiz"
    ]  # fmt: skip
    assert tokens("Die Brücken über der Spree, Straße") == tokens("Die Brucken uber der Spree, Strasse")
    assert tokens("Łódź, Gdańsk i Wrocław: źródło żółć") == ["lodz", "gdansk", "i", "wroclaw", "zrodlo", "zolc"]
    assert tokens("Việt Nam, Đà Nẵng, Hồ Chí Minh") == ["viet", "nam", "da", "nang", "ho", "chi", "minh"]
    assert tokens("Ærø, Søren, Œuvre, İstanbul, Þór, Ħamrun") == [
        "aero", "soren", "oeuvre", "istanbul", "thor", "hamrun"
    ]  # fmt: skip


def test_a_letter_with_a_stroke_and_an_accent_too_is_spelt_plainly() -> None:
    # (the stroke letter is spelt so once its accent is gone: NFD leaves "ǿ" as "ø" and an acute)
    assert tokens("Ǿre ǿre øre Ǽ ǽ ǣ æ") == ["ore", "ore", "ore", "ae", "ae", "ae", "ae"]
    assert tokens("ǿ", Reading(folds_accents=False)) == ["ǿ"]


def test_a_letter_and_its_accent_written_apart_or_composed_are_one_letter_without_it() -> None:
    assert tokens("cafe\u0301 E\u0301TE\u0301") == tokens("café ÉTÉ") == tokens("cafe ete") == ["cafe", "ete"]


def test_greek_is_compared_without_its_accents() -> None:
    # (Greek set in capitals leaves out the tonos: "ΑΘΗΝΑ" is "Αθήνα")
    assert tokens("Η Αθήνα και η Θεσσαλονίκη, ΑΘΗΝΑ") == ["η", "αθηνα", "και", "η", "θεσσαλονικη", "αθηνα"]
    assert tokens("Ϊούλιος προϋπολογισμός") == tokens("Ιουλιος προυπολογισμος")


def test_cyrillic_drops_its_stress_marks_but_keeps_the_letters_its_marks_make() -> None:
    assert tokens("Москва́ и молоко́") == tokens("Москва и молоко")  # (stress marks of dictionaries and textbooks)
    assert tokens("мой край, Київ, ўсё") == ["мой", "край", "київ", "ўсе"]  # ("й", "ї", "ў" stay; "ё" is "е")
    assert tokens("мой") != tokens("мои")


def test_cyrillic_keeps_every_mark_but_the_stress_marks_on_its_vowels() -> None:
    # Macedonian "ѓ" and "ќ" (an acute on a consonant) and Tajik "ӣ" and "ӯ" (a macron) are letters of their own.
    assert tokens("ѓ ќ ӣ ӯ Ѓорѓи Ќерка") == ["ѓ", "ќ", "ӣ", "ӯ", "ѓорѓи", "ќерка"]
    assert tokens("ѓ") != tokens("г") and tokens("ӣ") != tokens("и")
    assert tokens("г\u0300") == ["г\u0300"]  # (a grave on a consonant is no stress mark)
    # Stress marks on a vowel go, on one with a mark of its own too ("ї́", and "й́": "й" is "и" and a breve),
    # and Bulgarian "ѝ" and Macedonian "ѐ", which legacy code pages lack, are "и" and "е".
    assert tokens("ї\u0301жа й\u0301 мо\u0301й ѝ сѐ") == ["їжа", "й", "мой", "и", "се"]
    assert tokens("Москва́", Reading(folds_accents=False)) == ["москва\u0301"]


def test_marks_of_other_scripts_stay_with_their_letters() -> None:
    assert tokens("हिन्दी समाचार") == ["हिन्दी", "समाचार"]  # (vowel signs and the virama make Devanagari letters)
    assert tokens("हिन्दी") != tokens("हन्द")
    assert tokens("ภาษาไทย") == tokens("ภาษาไทย", Reading(folds_accents=False))


def test_a_store_of_scheme_nd4_reads_accents_as_written() -> None:
    assert tokens("José Łódź Αθήνα", Reading(folds_accents=False)) == ["josé", "łódź", "αθήνα"]
    assert text.utf8_tokens("hôpitaux", Reading(folds_accents=False)) == ["hôpitaux".encode()]
    assert text.utf8_tokens("hôpitaux") == [b"hopitaux"]


@pytest.mark.timeout(60)  # (bounded: with a comment pattern that scanned on to the end, this took hours)
def test_unclosed_comments_and_tags_are_read_in_one_pass() -> None:
    body = "<!--" * 250_000 + " words after them"  # 1 MB, the default body limit
    assert tokens(body) == ["words", "after", "them"]
    assert tokens("<p" * 200_000 + " x") == ["p"] * 200_000 + ["x"]


@pytest.mark.parametrize(
    "text",
    [
        "أحمد آمن إلى مؤسسة",  # hamza and madda: letters NFD writes as a letter and a mark
        "כָּתַב שָׁלוֹם",  # Hebrew points
        "\ufb2a\u05dc\u05d5\u05dd \ufe77\u0643",  # presentation forms holding a point
        "Zürich café ПЁТР",
    ],
)
def test_any_normalisation_form_of_a_text_gives_its_tokens(text: str) -> None:
    expected = tokens(unicodedata.normalize("NFC", text))
    for form in ("NFD", "NFKC", "NFKD"):
        assert tokens(unicodedata.normalize(form, text)) == expected
    assert tokens("أحمد آمن") == ["أحمد", "آمن"]  # (the hamza and madda kept)


def test_script_and_style_elements_are_not_text() -> None:
    assert tokens('<script type="x">var a = 1; f(a)</script><style>p { color: red }</style>Shown') == ["shown"]


def test_an_enormous_word_or_tag_is_not_kept_in_a_cache() -> None:
    # (A cache keeps what it is given: a few thousand bodies of one 1 MB word or tag held gigabytes.)
    words, tags = text._normalised_cached.cache_info().currsize, text._shown_cached.cache_info().currsize
    assert tokens("é" * 100_000 + " then words") == ["e" * 100_000, "then", "words"]
    assert tokens("<p " + "x" * 100_000 + "> shown") == ["shown"]
    assert text._normalised_cached.cache_info().currsize <= words + 1  # ("é" alone, if new)
    assert text._shown_cached.cache_info().currsize == tags


def test_the_mark_class_holds_every_combining_mark_and_nothing_else() -> None:
    """(_MARKS is built from a string of category initials, for a faster import: the same set, code by code.)"""
    marked = re.compile(f"[{text._MARKS}]")
    found = {cp for cp in range(sys.maxunicode + 1) if marked.match(chr(cp))}
    expected = {cp for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)).startswith("M")}
    assert found == expected | {ord(c) for c in text.INVISIBLE}
    assert len(expected) > 2000  # (Python 3.11's Unicode 14 has 2,408)


# URLs (scheme nd5): a URL counts as nothing, as a tag does; a store of scheme nd4 reads them as words.
_PLAIN_STORY = "Councillors voted to approve the lanes, said the Brackley Traders Association."
_MARKDOWN_STORY = (
    "**Councillors voted to [approve the lanes](https://www.example.gov.uk/news/lanes?utm_source=partnerA"
    "&utm_medium=syndication&utm_campaign=spring26), said the [Brackley Traders Association]"
    "(https://traders.example.org/about?utm_source=partnerA).**"
)


def test_a_markdown_copy_reads_as_the_plain_text_its_links_and_emphasis_show() -> None:
    assert tokens(_MARKDOWN_STORY) == tokens(_PLAIN_STORY)
    assert tokens(_MARKDOWN_STORY.replace("partnerA", "partnerB")) == tokens(_PLAIN_STORY)
    assert text.utf8_tokens(_MARKDOWN_STORY) == text.utf8_tokens(_PLAIN_STORY)


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("see https://example.com/a_b?x=1&y=2#top now", ["see", "now"]),
        ("see http://example.com now", ["see", "now"]),
        ("SEE HTTPS://EXAMPLE.COM/NEWS NOW", ["see", "now"]),  # (wire copy in capitals)
        ("visit www.nhs.uk or WWW.REUTERS.COM today", ["visit", "or", "today"]),
        ("(https://bit.ly/3xYzQ) and", ["and"]),  # (Markdown's inline link, or a bracketed one in prose)
        ("in <https://example.com/a> and", ["in", "and"]),  # (Markdown's autolink)
        ("the https://en.wikipedia.org/wiki/Lyon_(city) page", ["the", "page"]),  # (a bracket the URL opened)
        ('a <a href="https://example.com/?a=1&amp;b=2">link</a> b', ["a", "link", "b"]),
        ("in text https://example.com/?utm_source=a&amp;utm_medium=rss now", ["in", "text", "now"]),
        ("_https://example.com/a_ and __www.example.com__ b", ["and", "b"]),  # (Markdown's "_" emphasis)
        ('he said "https://example.com/x" twice', ["he", "said", "twice"]),
        ("详见https://example.cn/a。港务局", ["详", "见", "港", "务", "局"]),  # (ASCII only: the text after stays)
        ("https://example.com/caf\u00e9 menu", ["e", "menu"]),  # (an IRI's non-ASCII letter is a word, as text)
    ],
)
def test_urls_count_as_nothing(written: str, read: list[str]) -> None:
    assert tokens(written) == read
    assert text.utf8_tokens(written) == [w.encode() for w in read]
    assert [t for t, _, _ in token_spans(written)] == read


@pytest.mark.parametrize(
    "written",
    [
        "awww.example no",  # ("www." inside a word)
        "xhttp://example.com no",  # (a scheme inside a word)
        "Www.example.com no",  # (neither "www." nor "WWW.")
        "ftp://example.com/file no",  # (only http and https)
        "www. no",  # ("www." and no host)
        "snake_case and __init__ and _bold_",  # (underscores are word characters, Markdown's emphasis too)
    ],
)
def test_what_is_no_url_reads_as_before(written: str) -> None:
    assert tokens(written) == tokens(written, Reading(drops_urls=False))


def test_punctuation_ending_a_url_in_prose_stays_in_the_text() -> None:
    written = "Details are at www.example.com/plan. Next, see https://example.com/a?b=c, or (www.x.org)!"
    urls = ["www.example.com/plan", "https://example.com/a?b=c", "www.x.org"]
    blanked = written
    for url in urls:
        blanked = blanked.replace(url, " " * len(url))
    assert text.without_urls(written) == blanked
    assert tokens(written) == ["details", "are", "at", "next", "see", "or"]


def test_offsets_stay_the_callers_with_urls_dropped() -> None:
    written = "Read [the plan](https://example.com/p?utm_source=x) at WWW.EXAMPLE.COM, then vote."
    assert len(text.without_urls(written)) == len(written)
    spans = token_spans(written)
    assert [written[s:e] for _, s, e in spans] == ["Read", "the", "plan", "at", "then", "vote"]
    starts, ends = text.token_offsets(written)
    assert (starts, ends) == ([s for _, s, _ in spans], [e for _, _, e in spans])
    # (how many tokens start before an offset: "vote" is the 6th token)
    assert text.tokens_before(written, [written.index("vote"), len(written)]) == [5, 6]


def test_a_store_of_scheme_nd4_reads_urls_as_words() -> None:
    written = "Read [the plan](https://example.com/p?utm_source=x) at www.example.com."
    nd4 = ["read", "the", "plan", "https", "example", "com", "p", "utm_source", "x", "at", "www", "example", "com"]
    assert tokens(written, ND4_READING) == nd4
    assert text.utf8_tokens(written, ND4_READING) == [w.encode() for w in nd4]
    assert [t for t, _, _ in token_spans(written, ND4_READING)] == nd4
    assert len(text.token_offsets(written, Reading(drops_urls=False))[0]) == len(nd4)
    assert text.tokens_before(written, [written.index(" at")], Reading(drops_urls=False)) == [9]
    assert tokens(written) == ["read", "the", "plan", "at"]


@pytest.mark.timeout(60)
def test_many_urls_and_url_like_runs_are_read_in_one_pass() -> None:
    body = "https://" + "(a)" * 200_000 + " http://" + "a." * 200_000 + " " + "www.x " * 100_000 + "end"
    assert tokens(body) == ["end"]
    assert tokens("_" * 300_000 + "https://x.com end") == ["end"]


def test_a_url_ends_where_html_ends_it() -> None:
    assert tokens("Visit https://example.com/a&nbsp;today") == ["visit", "today"]  # (a reference: a space here)
    assert tokens("<!-- see https://example.com/a--> shown") == ["shown"]  # (the comment stays hidden)
    assert tokens("https://example.com/?a=1&amp;b=2&#38;c=3 end") == ["end"]  # ("&amp;" joins parameters)
