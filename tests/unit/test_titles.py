"""Two items one template fills alike, told apart by their titles (service.titles): two companies' notices whose
bodies name no one, one template's reports of two markets, a market's midsession report and its close, a series'
snapshots titled by their clock time, an alert filled for another place; and the copies each rule must leave one
article (a re-titled copy, a headline cut short, a restyled time, a local line under a local title)."""

from collections.abc import Callable
from datetime import timedelta

import pytest

from service import titles
from service.detector import Detector
from service.model import Article, Relation
from service.similarity import IDENTICAL_JACCARD, Tokenised
from service.templates import MEDIUM_ITEM_TOKENS, SHORT_ITEM_TOKENS
from service.titles import _crude_stem, _lead_end, _ordinary_by_stem
from tests.articles import WIRE
from tests.judging import T0, judge, judged_titled, raw_jaccard
from tests.quality_texts import bare_notice


def _titled(aid: str, title: str, body: str, after: timedelta = timedelta(0)) -> Article:
    return Article(aid, body, title=title, published=T0 + after)


@pytest.mark.parametrize("record", ["March 31", "April 3"])  # the same body (a re-send's path), or one date changed
def test_two_companies_notices_named_only_in_their_titles_are_other_articles(detector: Detector, record: str) -> None:
    # The bodies name no one, so the two notices matched as identical (or revised): only the titles tell them apart.
    assert judged_titled(
        detector,
        ("HARWELL INSTRUMENTS INC <HWI> SETS QUARTERLY", bare_notice("12-1/2", "April 15", "March 31")),
        ("OBSIDIAN FREIGHT CORP <OBF.O> REGULAR DIVIDEND", bare_notice("12-1/2", "April 15", record)),
        timedelta(days=2),
    ) == ([], [])


def _noted(note: str) -> str:
    """A bare notice with a footnote line before the agency's credit."""
    return bare_notice("12-1/2", "April 15", "March 31").replace(" Reuter\n", f"    NOTE: {note}\n Reuter\n")


@pytest.mark.parametrize(
    ("title_a", "note_a", "title_b", "note_b"),
    [
        ("HARWELL INSTRUMENTS INC <HWI> SETS QUARTERLY", "Shares trade on the Calder Exchange",
         "OBSIDIAN FREIGHT CORP <OBF> SETS QUARTERLY", "Shares trade on the Calder Exchange"),
        ("HARWELL INSTRUMENTS INC <HWI> SETS QUARTERLY", "Company based in Dunholt",
         "OBSIDIAN FREIGHT CORP <OBF> SETS QUARTERLY", "Company based in Dunholt"),
        ("HWI SETS QUARTERLY", "Full name is Harwell Widget Inc",
         "OBF SETS QUARTERLY", "Full name is Obsidian Freight Corp"),
    ],
)  # fmt: skip
def test_two_companies_notices_with_a_footnote_naming_a_place_or_a_full_name_are_other_articles(
    detector: Detector, title_a: str, note_a: str, title_b: str, note_b: str
) -> None:
    # A name in the footnote counted as the body naming its own subject, so the titles parted nothing and the two
    # companies' notices matched.
    assert judged_titled(detector, (title_a, _noted(note_a)), (title_b, _noted(note_b)), timedelta(hours=5)) == ([], [])


def test_a_notice_with_a_footnote_retitled_by_its_full_name_is_the_same_article(detector: Detector) -> None:
    body = _noted("Full name is Harwell Widget Inc")
    stored = _titled("a", "HWI SETS QUARTERLY", body)
    [match] = judge(detector, _titled("b", "Harwell Widget raises payout", body, timedelta(hours=2)), stored)
    assert match.relation is Relation.IDENTICAL


def test_a_notice_retitled_with_its_company_named_again_is_the_same_article(detector: Detector) -> None:
    body = bare_notice("12-1/2", "April 15", "March 31")
    stored = _titled("a", "HARWELL INSTRUMENTS INC <HWI> SETS QUARTERLY", body)
    copy = _titled("b", "Harwell Instruments declares regular dividend", body, timedelta(hours=3))
    [match] = judge(detector, copy, stored)
    assert match.relation is Relation.IDENTICAL


def test_a_short_item_retitled_in_other_words_of_its_own_body_is_the_same_article(detector: Detector) -> None:
    # The two headlines share no word, but each sums up the body both copies carry.
    body = (
        "A decision on final duties on imported frozen fish fillets may not be issued until tomorrow, "
        "trade ministry officials said. They said the ministry has until midnight tonight to set the duty "
        "but may not make the finding public until tomorrow.\n Reuter\n"
    )
    stored = _titled("a", "RULING ON FISH FILLET DUTIES MAY COME TOMORROW", body)
    copy = _titled("b", "MINISTRY HAS UNTIL MIDNIGHT TO SET IMPORT DUTY", body, timedelta(minutes=10))
    assert [m.id for m in judge(detector, copy, stored)] == ["a"]


def test_a_notice_without_a_title_on_one_side_still_matches(detector: Detector) -> None:
    body = bare_notice("12-1/2", "April 15", "March 31")
    stored = _titled("a", "HARWELL INSTRUMENTS INC <HWI> SETS QUARTERLY", body)
    assert [m.id for m in judge(detector, _titled("b", "", body), stored)] == ["a"]


def test_titles_naming_no_one_in_common_do_not_part_long_stories(detector: Detector) -> None:
    # A long story's body names its subject: a new headline on a copy of it is a re-titled copy.
    stored = _titled("a", "PORT AUTHORITY BACKS NEW TERMINAL", WIRE)
    copy = _titled("b", "Harbour expansion approved", WIRE, timedelta(hours=1))
    assert [m.id for m in judge(detector, copy, stored)] == ["a"]


# A brief naming its places and people, as most do, re-published under another outlet's headline.
HARBOUR_BRIEF = (
    "Ferry services between Port Ellery and the Calder Islands were suspended on Friday after a storm "
    "damaged the landing stage at Wick Point, the operator Tidewater Lines said. Repairs should take two "
    "days, and passengers holding tickets will be offered a refund or a later crossing."
)


@pytest.mark.parametrize(
    ("title_a", "title_b"),
    [
        ("Gale strands island travellers", "Sailings called off as wind batters coast"),
        ("FERRIES HALTED", "Weather news"),
    ],
)
def test_a_brief_naming_its_subject_in_the_body_retitled_in_headline_style_is_the_same_article(
    detector: Detector, title_a: str, title_b: str
) -> None:
    # Headlines rarely repeat a body's words: the titles rule parted such copies while it looked at titles only.
    stored = _titled("a", title_a, HARBOUR_BRIEF)
    copy = _titled("b", title_b, HARBOUR_BRIEF, timedelta(hours=1))
    [match] = judge(detector, copy, stored)
    assert match.relation is Relation.IDENTICAL


@pytest.mark.parametrize(
    ("title_a", "title_b"),
    [
        # "VOTES", "INCREASES", "QTR" or "BANK" in both titles counted as a name they share.
        ("HARWELL INSTRUMENTS INC <HWI> VOTES DIVIDEND", "OBSIDIAN FREIGHT CORP <OBF> VOTES REGULAR DIVIDEND"),
        ("HARWELL INSTRUMENTS INC <HWI> INCREASES DIVIDEND", "OBSIDIAN FREIGHT CORP <OBF> INCREASES DIVIDEND"),
        ("HARWELL INSTRUMENTS <HWI> 3RD QTR NET", "OBSIDIAN FREIGHT <OBF> 3RD QTR NET"),
        ("FIRST UNION SAVINGS BANK <FUSB> SETS QUARTERLY", "CALDER COUNTY BANK <CCB> UPS DIVIDEND"),
        # A name was taken for another title's initials when it stood anywhere in the initials of all its words.
        ("CALDER HOLDINGS <CALH> SETS QUARTERLY", "SQ PARTNERS SETS QUARTERLY"),  # "Sets Quarterly"
        ("MARLOW ENTERPRISES SETS QUARTERLY DIVIDEND", "ESQ GROUP SETS QUARTERLY DIVIDEND"),  # a stretch of "mesqd"
        ("TEVIOT UTILITIES CO <TVU> SETS QUARTERLY", "TUC INC SETS QUARTERLY"),  # a company form's initial
        ("GRANITE MILLS INC <GRM> SETS QUARTERLY", "GM CORP SETS QUARTERLY"),  # two letters: too ambiguous
        # Initials of generic name parts alone ("FIRST NATIONAL BANK" has a hundred namesakes), and tickers that
        # differ: each made two banks' notices identical.
        ("FNB CORP <FNBK> SETS QUARTERLY", "FIRST NATIONAL BANK OF CALDER <FNBC> SETS QUARTERLY"),
        ("FNB CORP SETS QUARTERLY", "FIRST NATIONAL BANK OF CALDER SETS QUARTERLY"),
        ("PSB HOLDINGS <PSBH> SETS QUARTERLY", "PEOPLES SAVINGS BANK OF WICK POINT SETS QUARTERLY"),
        ("HARBOURTON CNB CORP <HCNB> SETS QUARTERLY", "CITIZENS NATIONAL BANK OF DUNHOLT <CNBD> SETS QUARTERLY"),
        ("CALDER OBSIDIAN FREIGHT INC <COFI> SETS QUARTERLY", "COF CORP <COFX.O> SETS QUARTERLY"),  # tickers
    ],
)
def test_two_companies_notices_whose_titles_share_a_notice_word_or_look_like_initials_are_other_articles(
    detector: Detector, title_a: str, title_b: str
) -> None:
    body = bare_notice("12-1/2", "April 15", "March 31")
    assert judged_titled(detector, (title_a, body), (title_b, body), timedelta(hours=5)) == ([], [])


@pytest.mark.parametrize(
    ("stored_title", "title"),
    [
        ("NORTHERN OBSIDIAN FREIGHT CORP <NOBF.O> SETS QUARTERLY", "NOF declares regular dividend"),
        ("NORTHERN OBSIDIAN FREIGHT CORP <NOBF.O> SETS QUARTERLY", "Dividend announcements"),
        ("NORTHERN OBSIDIAN FREIGHT CORP <NOBF.O> SETS QUARTERLY", "Northern Obsidian ups payout"),
        ("BANK OF HARBOURTON SETS QUARTERLY", "BOH raises quarterly payout"),
        ("BANK OF NORTH HARBOURTON SETS QUARTERLY", "BNH declares regular dividend"),
        ("CALDER OBSIDIAN FREIGHT INC SETS QUARTERLY", "COF declares regular dividend"),
        ("FIRST NATIONAL BANK OF CALDER SETS QUARTERLY", "FNBC declares regular dividend"),  # its whole name
        ("PEOPLES SAVINGS BANK <PSBK> SETS QUARTERLY", "PSB declares regular dividend"),
    ],
)
def test_a_notice_retitled_by_its_companys_initials_or_by_no_name_is_the_same_article(
    detector: Detector, stored_title: str, title: str
) -> None:
    body = bare_notice("12-1/2", "April 15", "March 31")
    stored = _titled("a", stored_title, body)
    [match] = judge(detector, _titled("b", title, body, timedelta(hours=2)), stored)
    assert match.relation is Relation.IDENTICAL


def _market_report(change: str, top: str) -> str:
    """One market's report of a template every market's report fills: the topic word ("Lamb") opens the body,
    the market is named in the title alone."""
    return f"Lamb prices opened {change} dlr higher,\nprivate sources said. Top {top} dlrs per cwt.\n Reuter\n"


@pytest.mark.parametrize(
    ("title_a", "body_a", "title_b", "body_b"),
    [
        # the same figures: the two bodies are one text
        ("KELLICK LAMBS UP 1.00 DLR - PRIVATE SOURCES", _market_report("1.00", "81.50"),
         "DUNHOLT CROSSING LAMBS OPEN UP 1.00 DLR - PRIVATE", _market_report("1.00", "81.50")),
        # one figure changed, one title cut short: "sources" is in one title alone, and in both bodies
        ("KELLICK LAMBS UP 1.00 DLR - PRIVATE SOURCES", _market_report("1.00", "81.50"),
         "DUNHOLT CROSSING LAMBS OPEN UP 1.50 DLR - PRIVATE", _market_report("1.50", "81.50")),
    ],
    ids=["same figures", "one figure changed"],
)  # fmt: skip
def test_one_templates_reports_of_two_markets_named_in_their_titles_are_other_articles(
    detector: Detector, title_a: str, body_a: str, title_b: str, body_b: str
) -> None:
    # Three things made them one article: the body's "Lamb" was a name its title did not have ("LAMBS"); "lambs",
    # in both titles, was a subject in common, though both bodies write it as "Lamb" (the template's topic, not whom
    # it is about); and "sources", in one title alone, the other cut short before it, was in the other's body.
    assert judged_titled(detector, (title_a, body_a), (title_b, body_b), timedelta(minutes=35)) == ([], [])


def test_two_markets_reports_whose_bodies_write_the_titles_plural_are_left_one_article(detector: Detector) -> None:
    # A plural the bodies write as the titles do ("Lambs opened ...") is no topic the rule can tell from a name:
    # "lambs" stays a subject in common (docs/quality.md says what is left).
    body = _market_report("1.00", "81.50").replace("Lamb prices", "Lambs")
    a = _titled("a", "KELLICK LAMBS UP 1.00 DLR - PRIVATE SOURCES", body)
    b = _titled("b", "DUNHOLT CROSSING LAMBS OPEN UP 1.00 DLR - PRIVATE", body, timedelta(minutes=35))
    assert [m.id for m in judge(detector, b, a)] == ["a"]


def test_one_markets_report_retitled_or_cut_short_is_the_same_article(detector: Detector) -> None:
    body = _market_report("1.00", "81.50")
    stored = _titled("a", "KELLICK LAMBS UP 1.00 DLR - PRIVATE SOURCES", body)
    [match] = judge(
        detector, _titled("b", "KELLICK LAMBS OPEN UP 1.00 DLR - PRIVATE", body, timedelta(hours=1)), stored
    )
    assert match.relation is Relation.IDENTICAL


HARWELL_BRIEF = (
    "Harwell Instruments Inc said it agreed to buy a small maker of sensors for 12 mln dlrs in cash. The deal is "
    "expected to close in the second quarter.\n Reuter\n"
)
JOBS_BRIEF = (
    "The company said it would cut 200 jobs at its sensor plant as demand slows, and take a charge of 4 mln dlrs "
    "in the second quarter.\n"
)

PROFIT_BRIEF = (
    "First-quarter profit will be lower because of weak sensor demand and a strike at its plant, the company said "
    "on Monday.\n"
)
RATE_BRIEF = "Dunholt central bank raised its overnight rate by 25 basis points to 4.50 pct on Thursday.\n"
RATE_OFFICIALS = "The central bank raised its overnight rate by 25 basis points to 4.50 pct on Thursday, the {} said.\n"


@pytest.mark.parametrize(
    ("title_a", "title_b", "body"),
    [
        ("HARWELL INSTRUMENTS <HWI> TO BUY SENSOR MAKER", "UPDATE 1-Harwell Instruments to buy sensor maker",
         HARWELL_BRIEF),
        ("BRIEF-Harwell Instruments to buy sensor maker", "Harwell Instruments to buy sensor maker - WSJ",
         HARWELL_BRIEF),
        ("HARWELL INSTRUMENTS <HWI> TO BUY SENSOR MAKER", "KELLICK'S HARWELL INSTRUMENTS BUYS SENSOR MAKER",
         HARWELL_BRIEF),
        ("Harwell to cut 200 jobs as demand slows", "Kellick sensor plant to shed 200 jobs", JOBS_BRIEF),
        ("Harwell warns of lower first-quarter profit on weak sensor demand",
         "Kellick maker warns of lower first-quarter profit", PROFIT_BRIEF),
        ("KELLICK - Dunholts raises key rate", "Dunholts raises key rate - Harbour Gazette", RATE_BRIEF),
        ("Harwell axes staff, blames demand", "Kellick firm trims workforce", JOBS_BRIEF),
    ],
    ids=["a ticker and a wire's prefix", "a prefix and an outlet's tag", "a ticker and a home town",
         "a body naming no one, re-headlined by its town", "a headline longer by a phrase",
         "a plural name, a dateline and an outlet's tag", "one word in the other body, the title's last"],
)  # fmt: skip
def test_a_brief_re_headlined_with_a_tag_a_ticker_or_a_town_is_the_same_article(
    detector: Detector, title_a: str, title_b: str, body: str
) -> None:
    # The market reports' rule first parted these: a name both titles and both bodies have ("Harwell", "Dunholts"
    # over "Dunholt central bank") was read as the template's topic, leaving a ticker against a prefix, a dateline
    # against a tag; and a title's words in the other body ("demand") no longer joined them. The topic is now only
    # a plural the bodies write in the singular, after each title's own name, and a title's words are looked for
    # in the other body as before, but for one word the other title was cut short before.
    stored = _titled("a", title_a, body)
    [match] = judge(detector, _titled("b", title_b, body, timedelta(hours=1)), stored)
    assert match.relation is Relation.IDENTICAL


@pytest.mark.parametrize(
    ("body_a", "body_b"),
    [
        (RATE_BRIEF.replace(" on Thursday", ", the Dunholts' third rise this year"),) * 2,  # the plural written too
        (RATE_OFFICIALS.format("Dunholt finance ministry"), RATE_OFFICIALS.format("finance ministry")),  # in one body
    ],
    ids=["the bodies write the plural too", "one body writes the singular"],
)
def test_a_plural_name_under_a_dateline_and_an_outlets_label_is_no_topic_unless_both_bodies_spell_it_otherwise(
    detector: Detector, body_a: str, body_b: str
) -> None:
    # Each title's own words come before "Dunholts", as a market's place before its topic; only a plural both
    # bodies write in the singular alone is a topic, and here it is the subject both copies name.
    assert judged_titled(
        detector,
        ("KELLICK - DUNHOLTS RAISES RATE", body_a),
        ("HARBOUR GAZETTE: DUNHOLTS RAISES RATE", body_b),
        timedelta(hours=1),
    ) == (["a"], ["b"])


# A market's report, background and all, as its midsession report has it and as its close repeats it.
OATS_BACKGROUND = (
    "Strong export demand for old crop oats and a weaker currency supported nearby months, traders said.\n"
    "    Harwell Grain and the Dunholt co-op were the main buyers of May, with a local house selling July, pit "
    "brokers said.\n"
)


def _oats_report(gain: str, trade: str) -> str:
    return f"Oats futures held gains of {gain} cents a bushel in {trade} trade.\n    {OATS_BACKGROUND} Reuter\n"


@pytest.mark.parametrize(
    ("title_a", "title_b"),
    [
        ("HARBOUR OATS FUTURES FIRM AT MIDSESSION", "HARBOUR OATS FUTURES CLOSE HIGHER"),
        ("Oats futures steady at mid-session", "Oats futures open firm"),
        ("HARBOUR OATS FUTURES MIXED EARLY", "HARBOUR OATS FUTURES HOLD GAINS AT MIDSESSION"),
        ("HARBOUR OATS FUTURES FIRM AT MIDSESSION", "UPDATE 1-HARBOUR OATS FUTURES CLOSE HIGHER"),
    ],
    ids=[
        "midsession and close",
        "mid-session and opening, sentence case",
        "early and midsession",
        "a wire's prefix on one title",
    ],
)
def test_a_markets_reports_at_two_parts_of_its_trading_day_are_other_articles(
    detector: Detector, title_a: str, title_b: str
) -> None:
    # The close repeats the midsession report's background whole, and only the first line's figures change: the two
    # matched as `revised`. The titles say which part of the day each reports.
    assert judged_titled(
        detector,
        (title_a, _oats_report("one to 1-1/4", "light")),
        (title_b, _oats_report("two to 2-3/4", "active")),
        timedelta(hours=3),
    ) == ([], [])


@pytest.mark.parametrize(
    ("stored_title", "title"),
    [
        ("HARBOUR OATS FUTURES FIRM AT MIDSESSION", "Oats firm at midday in Harbour"),  # one part of the day
        ("HARBOUR OATS FUTURES FIRM AT MIDSESSION", "HARBOUR OATS FUTURES UP AT MIDSESSION AFTER EARLY DIP"),
        ("HARBOUR OATS FUTURES CLOSE HIGHER", "HARBOUR OATS CLOSE UP AFTER EARLY DIP"),  # a close, and its early dip
        ("HARWELL TO CLOSE DUNHOLT PLANT", "HARWELL OPENS TALKS ON DUNHOLT PLANT"),  # no market's session named
        ("Schools shut at noon as storm nears", "Storm closes schools early"),  # no market's name opening both
        (
            "Kellick subway to shut at noon as storm nears",
            "Kellick subway to close as storm nears",
        ),  # "noon": no session
    ],
)
def test_titles_naming_one_part_of_a_trading_day_or_no_session_part_nothing(
    detector: Detector, stored_title: str, title: str
) -> None:
    # (Bodies with other figures: the one text under both titles is a re-send, which the rule leaves alone.)
    assert judged_titled(
        detector,
        (stored_title, _oats_report("one to 1-1/4", "light")),
        (title, _oats_report("two to 2-3/4", "active")),
        timedelta(hours=1),
    ) == (["a"], ["b"])


def test_another_outlets_headline_of_a_midsession_report_opening_otherwise_is_the_same_article(
    detector: Detector,
) -> None:
    # Its title names the morning ("early"), not the market first: no market's report at another hour.
    stored = _titled("a", "HARBOUR OATS FUTURES FIRM AT MIDSESSION", _oats_report("one to 1-1/4", "light"))
    later = _titled("b", "Early buying lifts Harbour oats", _oats_report("one to 1-1/2", "light"), timedelta(hours=1))
    assert [m.id for m in judge(detector, later, stored)] == ["a"]


@pytest.mark.parametrize("change", [lambda body: body, lambda body: body.replace(" Reuter\n", "")])
def test_one_report_re_sent_under_a_midsession_and_a_closing_title_is_the_same_article(
    detector: Detector, change: Callable[[str], str]
) -> None:
    # A re-send (raw Jaccard 0.9 or more) is the same text, whatever its titles say: the rule read exact word lists
    # at first, and a copy without the agency's credit line was parted.
    body = _oats_report("one to 1-1/4", "light")
    stored = _titled("a", "HARBOUR OATS FUTURES MIXED EARLY", body)
    later = _titled("b", "HARBOUR OATS FUTURES HOLD GAINS AT MIDSESSION", change(body), timedelta(hours=1))
    assert [m.id for m in judge(detector, later, stored)] == ["a"]


def _oats_quotes(may: str, change: str) -> str:
    """A market's quotes, as a snapshot every ten minutes sends them."""
    return (
        f"KELLICK OATS\n MAY8 {may}            UP  {change}\n JUL8 280 3/4            UNCH\n"
        " SEP8 276 1/2            UP    1/2\n DEC8  --     --\n"
    )


def test_two_snapshots_of_a_markets_quotes_titled_by_their_times_are_other_articles(detector: Detector) -> None:
    # One table, a figure changed from one snapshot to the next: the two matched as `revised`.
    assert judged_titled(
        detector,
        ("HARBOUR GRAIN FUTURES 11:50   EDT", _oats_quotes("284 1/4", "   3/4")),
        ("HARBOUR GRAIN FUTURES 12:00   EDT", _oats_quotes("285 1/4", "1 3/4")),
        timedelta(minutes=12),
    ) == ([], [])


def test_one_snapshot_sent_again_under_the_next_time_is_the_same_article(detector: Detector) -> None:
    body = _oats_quotes("284 1/4", "   3/4")
    stored = _titled("a", "HARBOUR GRAIN FUTURES 12:10   EDT", body)
    [match] = judge(detector, _titled("b", "HARBOUR GRAIN FUTURES 12:20   EDT", body, timedelta(minutes=10)), stored)
    assert match.relation is Relation.IDENTICAL


def test_a_time_corrected_in_a_title_under_a_correction_note_is_the_same_article(detector: Detector) -> None:
    brief = _CALDER_SAILING
    stored = _titled("a", "Calder ferry to sail at 14:00 on Saturday", brief.format("14:00"))
    corrected = _titled(
        "b",
        "Calder ferry to sail at 15:00 on Saturday",
        "(Corrects sailing time in headline and first paragraph)\n" + brief.format("15:00"),
        timedelta(hours=2),
    )
    assert [m.id for m in judge(detector, corrected, stored)] == ["a"]


_CALDER_SAILING = (
    "The Harbour ferry to the Calder Islands will sail at {} on Saturday, an hour later than usual, because of low "
    "tides, the operator Tidewater Lines said. Passengers with tickets need not rebook.\n"
)


@pytest.mark.parametrize(
    ("title_a", "time_a", "title_b", "time_b", "note", "after"),
    [
        # a time restyled, the body with a source line added: no time moved
        ("Calder ferry to sail at 9:05 on Saturday", "9:05", "Calder ferry to sail at 09:05 on Saturday",
         "9:05 a.m.", "", timedelta(hours=3)),
        ("Calder ferry to sail at 14:00 on Saturday", "14:00", "Calder ferry to sail at 2:00 on Saturday", "2:00 p.m.",
         "", timedelta(hours=3)),
        # a time corrected under a note the note reader does not know, two hours later: the time moved by one
        ("Calder ferry to sail at 14:00 on Saturday", "14:00", "Calder ferry to sail at 15:00 on Saturday", "15:00",
         "CORRECTION: The ferry sails at 15:00, not 14:00 as stated earlier.\n", timedelta(hours=2)),
        # the same, one hour later, with no publication time on the stored copy: not told
        ("Calder ferry to sail at 14:00 on Saturday", "14:00", "Calder ferry to sail at 15:00 on Saturday", "15:00",
         "", None),
    ],
    ids=["9:05 and 09:05", "14:00 and 2:00", "corrected two hours later", "no publication time"],
)  # fmt: skip
def test_a_title_whose_time_is_restyled_or_corrected_is_the_same_article(
    detector: Detector, title_a: str, time_a: str, title_b: str, time_b: str, note: str, after: timedelta | None
) -> None:
    # A red team's copies the snapshot rule first parted: it compared the times as written, and it read any time
    # moved as a series' next snapshot, whenever the texts were published.
    stored = Article("a", _CALDER_SAILING.format(time_a), title=title_a, published=None if after is None else T0)
    later = Article(
        "b",
        note + _CALDER_SAILING.format(time_b) + "Source: Harbour Gazette\n",
        title=title_b,
        published=T0 + (after or timedelta(hours=1)),
    )
    assert [m.id for m in judge(detector, later, stored)] == ["a"]
    assert [m.id for m in judge(detector, stored, later)] == ["b"]


_DIVIDEND_BODY = (
    "The board of directors approved a quarterly dividend of 18 cents a share, payable on May 2 to shareholders "
    "of record on April 11. The payout is unchanged from the previous quarter."
)
_CALL_BODY = (
    "The company will hold a conference call for analysts and investors at 9 am on Thursday to discuss its "
    "results for the first quarter, which will be released before the market opens that day. A webcast of the "
    "call will be available on its website."
)


_BANK_DIVIDEND_BODY = _DIVIDEND_BODY + " The bank serves people and small businesses across the state."
_REBATE_BODY = (
    "The board of directors kept its quarterly rebate to members at 18 cents a share, payable on May 2 to members "
    "of record on April 11. The rebate is unchanged from the previous quarter."
)


@pytest.mark.parametrize(
    ("title_a", "title_b", "body_a", "body_b"),
    [
        ("Harwell Instruments board approves quarterly dividend",
         "Obsidian Freight board approves quarterly dividend", _DIVIDEND_BODY, _DIVIDEND_BODY),
        ("Harwell Instruments to hold first-quarter results call",
         "Obsidian Freight to hold first-quarter results call", _CALL_BODY, _CALL_BODY.replace("9 am", "10 am")),
        # Title case and capitals: "Approves" is written in lower case nowhere, "approved" in the body is.
        ("Harwell Instruments Board Approves Quarterly Dividend",
         "Obsidian Freight Board Approves Quarterly Dividend", _DIVIDEND_BODY, _DIVIDEND_BODY),
        ("HARWELL INSTRUMENTS BOARD APPROVES QUARTERLY DIVIDEND",
         "OBSIDIAN FREIGHT BOARD APPROVES QUARTERLY DIVIDEND", _DIVIDEND_BODY, _DIVIDEND_BODY),
        ("Harwell Instruments Board Approves Dividends",
         "Obsidian Freight Board Approves Dividends", _DIVIDEND_BODY, _DIVIDEND_BODY),
        # Sentence case: a company named by a common word in another form than the body's ("people") is no
        # ordinary word, as it is in title case ("Peoples" and "people" have one crude stem).
        ("Peoples Bank board approves quarterly dividend",
         "Citizens Bank board approves quarterly dividend", _BANK_DIVIDEND_BODY, _BANK_DIVIDEND_BODY),
        ("Peoples board approves quarterly dividend",
         "Citizens board approves quarterly dividend", _BANK_DIVIDEND_BODY, _BANK_DIVIDEND_BODY),
        # A sentence-case title's first word is capitalised whatever it is: by stem when other names are left.
        ("Rebates kept unchanged at Harwell Instruments board",
         "Rebates kept unchanged at Obsidian Freight board", _REBATE_BODY, _REBATE_BODY),
    ],
)  # fmt: skip
def test_two_companies_notices_under_headlines_sharing_ordinary_words_are_other_articles(
    detector: Detector, title_a: str, title_b: str, body_a: str, body_b: str
) -> None:
    # Every headline word not on a list of notice words counted as a name: "board", "approves", "hold", "call" made
    # the two companies' subjects one, and their notices matched as identical, or revised.
    assert judged_titled(detector, (title_a, body_a), (title_b, body_b), timedelta(hours=1)) == ([], [])


@pytest.mark.parametrize(
    ("title", "by_stem"),
    [
        ("Harwell Instruments Board Approves Quarterly Dividend", True),
        ("HARWELL INSTRUMENTS SETS QUARTERLY <HWI.O>", True),
        ("Oil Slips on Demand Worries", True),  # (4 of 5)
        ("Harwell Instruments board approves quarterly dividend", False),
        ("Chase Manhattan, Citibank raise prime rate", False),  # (3 of 6: half is not most)
        ("Peoples Bank board approves 18-cent dividend", False),
    ],
)
def test_a_titles_words_are_compared_by_stem_only_in_title_case_or_capitals(title: str, by_stem: bool) -> None:
    assert _ordinary_by_stem(title) is by_stem


@pytest.mark.parametrize(
    ("title_a", "title_b"),
    [
        ("Harwell Instruments board approves quarterly dividend", "Harwell Instruments keeps its payout unchanged"),
        ("Harwell Instruments Board Approves Quarterly Dividend", "Harwell Instruments Keeps Its Payout Unchanged"),
        ("HARWELL INSTRUMENTS BOARD APPROVES DIVIDEND", "HARWELL INSTRUMENTS KEEPS QUARTERLY PAYOUT"),
        ("Harwell Instruments Board Approves Dividend", "Harwell Approves Dividend"),
    ],
)
def test_a_notice_retitled_in_ordinary_words_of_its_own_is_the_same_article(
    detector: Detector, title_a: str, title_b: str
) -> None:
    assert judged_titled(detector, (title_a, _DIVIDEND_BODY), (title_b, _DIVIDEND_BODY), timedelta(hours=1)) == (
        ["a"],
        ["b"],
    )


@pytest.mark.parametrize(
    ("word", "stem"),
    [("approves", "approv"), ("approved", "approv"), ("approving", "approv"), ("approve", "approv"),
     ("dividends", "dividend"), ("dividend", "dividend"), ("notes", "note"), ("note", "note"), ("uses", "uses"),
     ("ties", "ties")],
)  # fmt: skip
def test_a_crude_stem_is_one_for_a_words_forms_and_leaves_short_words_whole(word: str, stem: str) -> None:
    assert _crude_stem(word) == stem


# Names in short and medium items (probe F, finding 1): one template filled for another place.
_ADVISORY = (
    "The regional health office has issued a smoke advisory for {place} until 8 p.m. Thursday. Smoke from the "
    "moorland fires burning to the west is expected to drift over the area through the day, lowering air quality "
    "for several hours at a time. People with asthma or heart conditions should keep windows closed and limit "
    "time spent outdoors, and schools have been asked to hold break times indoors. Drivers should use dipped "
    "headlights where visibility is poor. Fire crews said about 300 hectares had burned so far, and a change in "
    "the wind is not expected before the weekend. Further notices will follow as conditions change."
)


def _advisory(place: str, title: str | None = None, minutes: int = 0, until: str = "8 p.m.") -> Article:
    body = _ADVISORY.format(place=place).replace("until 8 p.m.", f"until {until}")
    return Article(place, body, title=title or f"Smoke advisory issued for {place}",
                   published=T0 + timedelta(minutes=minutes))  # fmt: skip


@pytest.mark.parametrize("until", ["8 p.m.", "11 p.m."])
def test_an_alert_for_another_place_in_its_title_and_body_is_another_article(detector: Detector, until: str) -> None:
    # One place changed is one fact (a correction) and, the shingles that few apart, a re-send: six counties'
    # flood warnings from one template, each under its own title, were one group of `identical` copies.
    first = _advisory("Brackenridge District")
    other = _advisory("Polwhele District", minutes=6, until=until)
    assert Tokenised(first.body, 5).count > SHORT_ITEM_TOKENS, "premise: too long for the opening-name rule"
    if until == "8 p.m.":
        assert raw_jaccard(detector, other, first) >= IDENTICAL_JACCARD, "premise: a re-send"
    assert judge(detector, other, first) == [] and judge(detector, first, other) == []


@pytest.mark.parametrize(
    "copy",
    [
        _advisory("Brackenridge District", "Smoke advisory for Brackenridge District", minutes=30),  # re-titled
        _advisory("Brackenridge District", "Moorland fire smoke: advice for residents", minutes=30),
        _advisory("Brakenridge District", "Smoke advisory issued for Brakenridge District", minutes=30),  # respelt
        _advisory("Polwhele District", "Smoke advisory issued for Brackenridge District", minutes=30),  # body only
    ],
)
def test_an_alert_retitled_respelt_or_corrected_in_its_body_alone_is_the_same_article(
    detector: Detector, copy: Article
) -> None:
    first = _advisory("Brackenridge District")
    assert [m.id for m in judge(detector, copy, first)] == [first.id]
    assert [m.id for m in judge(detector, first, copy)] == [copy.id]


def test_a_place_swapped_in_title_and_body_of_a_long_story_is_left_to_the_other_rules(detector: Detector) -> None:
    # Only items of MEDIUM_ITEM_TOKENS words or fewer: a long story with a place corrected in title and body is a
    # correction (one changed fact).
    long_body = _ADVISORY + " " + _ADVISORY.replace("The regional health office", "The regional office")
    first = Article("a", long_body.format(place="Brackenridge"), title="Smoke over Brackenridge", published=T0)
    then = Article("b", long_body.format(place="Polwhele"), title="Smoke over Polwhele",
                   published=T0 + timedelta(hours=2))  # fmt: skip
    assert Tokenised(first.body, 5).count > MEDIUM_ITEM_TOKENS, "premise"
    assert [m.id for m in judge(detector, then, first)] == ["a"]


# renamed_apart reads a swap between two shared passages of the body's first sentence only.
_BUS = (
    "At least 12 people were killed and 40 injured when a passenger bus collided with a grain lorry on the coast "
    "road north of the city on Tuesday, police said. The bus was carrying about 50 people to the port. "
    "Firefighters needed three hours to put out the blaze, a police spokeswoman said."
)
_WARNING = (
    "The National Weather Service has issued a flood warning for the valley until 6 p.m. Wednesday. Heavy rain "
    "over the past two days has pushed the Tarn River above its banks, and further rises are expected overnight. "
    "Residents in low-lying areas should move valuables to higher floors and avoid driving through flooded roads. "
    "Emergency shelters have opened at the community centre and the high school. Updates will be posted as "
    "conditions change."
)


_LONG_WARNING = (
    _WARNING + " Forecasters expect the river to crest on Thursday morning, and the roads department has closed the "
    "low bridge at the old mill until the water falls again."
)
_ACME = (
    "Acme Holdings soared 12 percent on Tuesday after the company said it had won an order for 40 regional jets "
    "from a leasing group, its largest since the plant opened. The order is worth about 1.2 billion dollars at list "
    "prices, the company said, and deliveries begin in 2028. Analysts said the order would keep the assembly line "
    "busy for three years and lift earnings from next year. The shares had fallen by a third since January on worries "
    "about demand for smaller jets."
)


@pytest.mark.parametrize(
    ("first", "title_a", "then", "title_b"),
    [
        # A regional copy with its own top line, under a local title, of a wire brief with a dateline.
        ("ARDMORE, March 17 (Reuters) - " + _BUS, "Bus crash near Ardmore kills 12",
         "Two Penhale Heights residents were among the dead, the Penhale Gazette understands.\n\n" + _BUS,
         "Penhale Heights residents among 12 killed in bus crash"),
        # The dateline alone changed, under titles naming the dateline's place.
        ("KELLICK, Ore. (AP) - " + _WARNING, "Flood warning for Kellick",
         "MARROW, Ore. (AP) - " + _WARNING, "Flood warning for Marrow"),
        # Two regional editions, each closing with a local line under a title of its own.
        (_WARNING + "\n\nIn Kellick, the council has handed out sandbags at the library.",
         "Kellick residents handed sandbags as flood warning issued",
         _WARNING + "\n\nIn Marrow, the council has handed out sandbags at the town hall.",
         "Marrow residents handed sandbags as flood warning issued"),
        # Over 80 words (past the opening-name rule), a dateline the opening does not know, or a local top line
        # joined to the first sentence, before a first sentence that goes on the same (the review of
        # `_lead_renamed`: read as the first sentence's subject, each parted two copies of one warning).
        ("KELLICK: " + _LONG_WARNING, "Flood warning for Kellick", "MARROW: " + _LONG_WARNING,
         "Flood warning for Marrow"),
        ("KELLICK, Ore.\u2014" + _LONG_WARNING, "Flood warning for Kellick", "MARROW, Ore.\u2014" + _LONG_WARNING,
         "Flood warning for Marrow"),
        ("Kellick residents urged to prepare: " + _LONG_WARNING, "Kellick residents urged to prepare for flood",
         "Marrow residents urged to prepare: " + _LONG_WARNING, "Marrow residents urged to prepare for flood"),
        # A common word opening the sentence, under titles set in capitals that hold it.
        ("Shares of " + _ACME, "SHARES OF ACME SOAR ON ORDER", "Stock of " + _ACME, "STOCK OF ACME JUMPS ON ORDER"),
        # A text set in capitals writes every word as a name.
        (("KELLICK RESIDENTS URGED TO PREPARE: " + _LONG_WARNING).upper(), "FLOOD WARNING FOR KELLICK",
         ("MARROW RESIDENTS URGED TO PREPARE: " + _LONG_WARNING).upper(), "FLOOD WARNING FOR MARROW"),
    ],
)  # fmt: skip
def test_a_local_line_or_dateline_under_a_local_title_is_no_other_fill_of_a_template(
    detector: Detector, first: str, title_a: str, then: str, title_b: str
) -> None:
    ta, tb = Tokenised(first, 5), Tokenised(then, 5)
    assert not titles.renamed_apart(title_a, ta, title_b, tb)
    assert not titles.renamed_apart(title_b, tb, title_a, ta)
    stored = Article("a", first, title=title_a, published=T0)
    later = Article("b", then, title=title_b, published=T0 + timedelta(hours=1))
    assert [m.id for m in judge(detector, later, stored)] == ["a"]
    assert [m.id for m in judge(detector, stored, later)] == ["b"]


_FLOOD_REST = (
    " Heavy rain over the past two days has pushed the Tarn River above its banks near Ashby, and further rises "
    "are expected overnight. Residents in low-lying areas should move valuables to higher floors and avoid driving "
    "through flooded roads. Emergency shelters have opened at the community centre and the high school. Updates "
    "will be posted as conditions change."
)


@pytest.mark.parametrize(
    "lead",
    [
        "The U.S. National Weather Service has issued a flood warning for {c} County until 6 p.m. Wednesday.",
        "Until 6 p.m. Wednesday, a flood warning is in force for {c} County, the National Weather Service said.",
        "From 9 a.m. on Wednesday a flood warning is in force for {c} County, the National Weather Service said.",
        "The National Weather Service has issued a flood warning for Mt. Ashby and {c} County until 6 p.m. Wednesday.",
        # (an "A" or "I" opening a longer token after "U.S." or "U.K." is no article or pronoun: third review)
        "A U.S. A-10 jet made an emergency landing near {c} County on Tuesday, the Air Force said.",
        "Pupils sitting U.K. A-level exams in {c} County will get their results on Thursday, the board said.",
        "The airline's U.S. A321 fleet was grounded at the {c} County airport on Tuesday, officials said.",
        "The U.S. I-95 corridor near {c} County was closed to traffic on Tuesday, the state police said.",
        "Two U.S. A.I. start-ups opened offices in {c} County on Tuesday, the county's mayor said.",
    ],
)
def test_a_dotted_token_or_title_abbreviation_ends_no_first_sentence(detector: Detector, lead: str) -> None:
    # The full stop of "U.S.", "p.m." or "Mt." was read as the first sentence's end, before the county the alert
    # is for: two counties' flood warnings under their own titles matched (review 2).
    first, then = (lead + _FLOOD_REST).format(c="Kellick"), (lead + _FLOOD_REST).format(c="Dunholt")
    ta = Tokenised(first, 5)
    assert ta.words[_lead_end(ta) - 1] in ("wednesday", "said")
    stored = Article("a", first, title="Flood warning issued for Kellick County", published=T0)
    later = Article("b", then, title="Flood warning issued for Dunholt County", published=T0 + timedelta(hours=1))
    assert judge(detector, later, stored) == [] and judge(detector, stored, later) == []


_CONTRACT_REST = (
    " is being awarded a {m} mln dlr contract for jet fuel, the Defense Department said.\n    It said work on the "
    "contract, which was awarded as part of a multi-contract procurement program, is expected to be completed by "
    "April 1988.\n Reuter"
)


@pytest.mark.parametrize(
    ("subject_a", "title_a", "subject_b", "title_b", "apart"),
    [
        # One template's notices for two companies, each the first sentence's subject, too long for a slot: the
        # template check read the stretch as a rewrite, and the two contracts matched as one story (Reuters-21578
        # has such pairs among the Defense Department's awards).
        ("Harwell Instruments Inc's Harwell Aviation Fuels unit", "HARWELL INSTRUMENTS UNIT GETS 50.3 MLN DLR CONTRACT",
         "Obsidian Refining Co of Tallow Creek, Texas,", "OBSIDIAN REFINING GETS 75 MLN DLR DEFENSE CONTRACT", True),
        ("The Brantwell Sun Oil Co", "BRANTWELL COMPANY GETS JET FUEL CONTRACT",
         "Harwell Instruments Inc's Harwell Aviation Fuels unit", "HARWELL INSTRUMENTS UNIT GETS CONTRACT", True),
        # The same company's award told again in other words, under another title: one story.
        ("Harwell Instruments Inc's Harwell Aviation Fuels unit", "HARWELL INSTRUMENTS UNIT GETS 50.3 MLN DLR CONTRACT",
         "Harwell Aviation Fuels, a unit of Harwell Instruments Inc,", "Harwell unit wins jet fuel contract", False),
        # Another company named in a top line of its own before the shared story: a sentence of its own, no fill.
        ("Harwell Instruments Inc's Harwell Aviation Fuels unit", "HARWELL INSTRUMENTS UNIT GETS 50.3 MLN DLR CONTRACT",
         "Shares of Obsidian Refining fell on the news. Harwell Instruments Inc's Harwell Aviation Fuels unit",
         "OBSIDIAN REFINING SHARES FALL AS RIVAL WINS CONTRACT", False),
    ],
)  # fmt: skip
def test_a_first_sentence_naming_another_company_under_its_title_is_another_notice(
    detector: Detector, subject_a: str, title_a: str, subject_b: str, title_b: str, apart: bool
) -> None:
    first, then = subject_a + _CONTRACT_REST.format(m="50.3"), subject_b + _CONTRACT_REST.format(m="75")
    assert titles.renamed_apart(title_a, Tokenised(first, 5), title_b, Tokenised(then, 5)) is apart
    assert titles.renamed_apart(title_b, Tokenised(then, 5), title_a, Tokenised(first, 5)) is apart
    stored = Article("a", first, title=title_a, published=T0)
    later = Article("b", then, title=title_b, published=T0 + timedelta(minutes=2))
    assert [m.id for m in judge(detector, later, stored)] == ([] if apart else ["a"])


@pytest.mark.parametrize(
    ("body", "last"),
    [
        ("Its output is sold to buyers in the U.S. The plant in Kellick said so. It is old.", "s"),
        ("Its output is sold to buyers in the U.K. \"The plant in Kellick is old,\" it said. It is.", "k"),
        ("Its output is sold to buyers in the U.S. It said the plant in Kellick is old. It is.", "s"),
        ("The shelters close at 6 p.m. A bus will take residents to Kellick, officials said. More.", "m"),
        ("LONDON (Reuters) - Its output is sold to buyers across Europe and in the U.S.\n\nthe plant said. More.", "s"),
        # A capitalised word that may go on a name, or a text set in capitals: no sentence's end
        ("Its output is sold to the U.S. Treasury and Kellick Bank, it said. More.", "said"),
        ("The U.S. Under Secretary of State visited Kellick, officials said. More.", "said"),
        # (Reuters-21578's two "U.S. Shares" are both mid-sentence: "U.S. Shares traded in London were firmer",
        # "funds from U.S. Shares,"; "in the U.S. Shares of ..." ending a sentence is not told from them)
        ("U.S. Shares traded in Kellick were firmer on Tuesday, dealers said. More.", "said"),
        ("Funds moved out of U.S. Shares in Kellick on Tuesday, dealers said. More.", "said"),
        ("U.S. Treasury yields rose in Kellick on Tuesday, dealers said. More.", "said"),
        ("ITS OUTPUT IS SOLD IN THE U.S. AND CANADA, KELLICK SAID. MORE.", "said"),
        # (a wire capitalises a preposition or conjunction after an abbreviation: Reuters-21578's style)
        ("Its output is sold in the U.S. And Canada, Kellick officials said. More.", "said"),
        ("It set up a joint venture in the U.S. To make parts in Kellick, it said. More.", "said"),
        # "A" or "I" as the start of a longer token is no article or pronoun (third review)
        ("A U.S. A-10 jet landed near Kellick on Tuesday, the Air Force said. More.", "said"),
        ("Pupils sitting U.K. A-levels in Kellick got results on Thursday, the board said. More.", "said"),
        ("The airline's U.S. A321 fleet was grounded in Kellick on Tuesday, officials said. More.", "said"),
        ("Two U.S. A.I. start-ups opened offices in Kellick on Tuesday, the mayor said. More.", "said"),
        ("The U.S. I-95 corridor near Kellick was closed on Tuesday, police said. More.", "said"),
        ("Sold in the U.S. I'm told the plant in Kellick is old, it said. More.", "said"),
        ("Sold in the U.S. A, B and C grades went to Kellick, it said. More.", "s"),  # a lone "A" before ","
        # "The" opens a sentence before a capitalised word ("The Permian Partners L.P. was ...", "The EPA said":
        # two of the 24 Reuters-21578 sentences this rule moved), but not before a place named with it (fourth
        # review: "U.S. The Hague" was cut there)
        ("Officials in the U.S. The Hague office and Kellick signed the accord, officials said. More.", "said"),
        ("Flights from the U.S. The Gambia and Kellick resumed on Tuesday, officials said. More.", "said"),
        ("Offices in the U.S. The Bronx, The Bahamas and Kellick shut on Tuesday, officials said. More.", "said"),
        ("Trade between the U.K. The Netherlands and Kellick rose on Tuesday, officials said. More.", "said"),
        ("A venture in the U.S. The Hague's court will hear Kellick's case, officials said. More.", "said"),
        ("It sold the plant to Permian Partners L.P. The Permian Partners L.P. said so. More.", "p"),
        ("The plant near Lyons, N.Y. The EPA said it leaked into Kellick's river. More.", "y"),
        ("Officials in the U.S. The Hagues left Kellick on Tuesday, officials said. More.", "s"),
    ],
)  # fmt: skip
def test_a_dotted_token_ends_the_first_sentence_before_a_sentences_opening_word(body: str, last: str) -> None:
    # A first sentence that ended on "U.S." ran on into the next, and a swap there was read as in the lead.
    t = Tokenised(body, 5)
    assert t.words[_lead_end(t) - 1] == last


_GRAIN = (
    "Feed prices rose sharply this week after a poor harvest cut grain shipments from the U.S. The {place} "
    "livestock farmers will be hit hardest, the regional farmers' union said in a statement on Tuesday. Wheat for "
    "March delivery rose 4 percent to a three-month high, and maize followed, traders said. The union asked the "
    "ministry to release grain from the state reserve before the lambing season."
)


def test_a_local_line_after_a_first_sentence_ending_on_us_is_no_other_fill_of_a_template(detector: Detector) -> None:
    # Two regional editions of one story, each naming its own place under its own title in the sentence after one
    # ending on "U.S.": read as one sentence, the places' swap was in the lead, and the editions matched nothing.
    first = ("Kellick livestock farmers hit as feed prices rise", _GRAIN.format(place="Kellick"))
    then = ("Marrow livestock farmers hit as feed prices rise", _GRAIN.format(place="Marrow"))
    ta, tb = Tokenised(first[1], 5), Tokenised(then[1], 5)
    assert ta.count <= MEDIUM_ITEM_TOKENS, "premise: renamed_apart reads it"
    assert not titles.renamed_apart(first[0], ta, then[0], tb)
    assert judged_titled(detector, first, then, timedelta(hours=1)) == (["a"], ["b"])


def test_a_sentence_ending_in_a_figure_or_a_plain_word_still_ends_the_lead() -> None:
    t = Tokenised("Output rose 3.5. The plant in Kellick said so. It is the St. Helens plant.", 5)
    assert t.words[_lead_end(t) - 1] == "5"
    t = Tokenised("Output rose at the plant. Dr. Marsh said so.", 5)
    assert t.words[_lead_end(t) - 1] == "plant"


_FIRE = (
    "Three men were arrested on Wednesday after a warehouse fire destroyed stock worth about 2 million dollars in "
    "the port district of {X}, police said. The fire started late on Monday and took firefighters six hours to "
    "bring under control. No one was hurt. A police spokesman said the men, aged between 19 and 24, would appear "
    "in court on Friday. Investigators believe the fire was started deliberately, he said, and asked witnesses "
    "to come forward. Anyone with information should call the police on the usual number, the spokesman added, "
    "and residents were told to keep windows shut while the site was cleared. The family of {Y} has denied any "
    "link to the fire."
)


@pytest.mark.parametrize(
    ("x", "y"),
    [(("Bombay", "Gaddafi"), ("Mumbai", "Gaddafi")), (("Peking", "Gaddafi"), ("Beijing", "Gaddafi")),
     (("Tripoli", "Gaddafi"), ("Tripoli", "Qadhafi"))],
)  # fmt: skip
def test_a_place_or_name_in_another_spelling_in_title_and_body_is_the_same_article(
    detector: Detector, x: tuple[str, str], y: tuple[str, str]
) -> None:
    # The README's promise: another transliteration or spelling is the same article within three days.
    first = Article("a", _FIRE.format(X=x[0], Y=x[1]), title=f"{x[1]} aide held over {x[0]} fire", published=T0)
    then = Article("b", _FIRE.format(X=y[0], Y=y[1]), title=f"{y[1]} aide held over {y[0]} fire",
                   published=T0 + timedelta(hours=2))  # fmt: skip
    assert Tokenised(first.body, 5).count <= MEDIUM_ITEM_TOKENS, "premise: renamed_apart reads it"
    assert [m.id for m in judge(detector, then, first)] == ["a"]
    assert [m.id for m in judge(detector, first, then)] == ["b"]
