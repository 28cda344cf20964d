"""The character rules of a new article's id: two ids that print alike must be one id, so an id may hold no
character that prints as nothing or as another, and must be in Unicode NFC (the form in which text that prints
alike is spelled alike). An article already stored under an id they refuse is not refused: it stays reachable, and
its re-sends and corrections go on (the writer applies them only to an id that would be new: service/engine.py).

No rule refuses a code point for being unassigned: which are depends on the Unicode version of the server's
Python (3.11's 14.0 did not know U+1FAE8 SHAKING FACE of 15.0), and replicas on two Pythons, as during an upgrade,
refused different ids. The rules rest on properties Unicode keeps stable (noncharacters, private use, the
default-ignorable ranges written out here, a category once assigned). What is left to differ: a code point
assigned since into a category refused (the Egyptian hieroglyph format controls U+13439..U+1343F of 15.0), a
mark whose NFC order an older Python cannot know, refused as new by the newer server only, and a variation
selector after a character assigned since (a Han ideograph of CJK Extension H, 15.0), refused by the older server
only; once stored, by either, its id is taken by both."""

from __future__ import annotations

import unicodedata

# Control and format characters (a line end, a zero-width space, a direction override), line and paragraph
# separators and surrogates: an id holding one prints like another id, or breaks the line it is printed on.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt of Unicode 14, this Python's unicodedata):
# code points a renderer shows as nothing, so "inv9" and "inv9" with U+3164 HANGUL FILLER after it print alike.
# Most of them are format characters, refused as such; the list is for the unassigned ones (Unicode keeps them
# ignorable when it assigns them) and the letters and marks among them (U+034F, U+115F, U+1160, U+17B4, U+17B5,
# U+3164, U+FFA0, and the variation selectors: _VARIATION_SELECTORS), which print as nothing too.
_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F),
    (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)  # fmt: skip
_IGNORABLE = frozenset(cp for first, last in _IGNORABLE_RANGES for cp in range(first, last + 1))

# Variation selectors: each picks a form of the character before it, but only of the characters Unicode gives
# forms to; after any other it prints as nothing, and "a1" with U+FE0F after it printed as "a1", another id. So
# U+FE0E (text style) and U+FE0F (emoji style: U+2764 HEAVY BLACK HEART prints as a text heart without it) are
# taken after a symbol (So, or one of the few emoji of other categories: _EMOJI_NOT_SO) and in a keycap (a digit,
# "#" or "*", the selector, U+20E3 COMBINING ENCLOSING KEYCAP: 1️⃣); U+E0100..U+E01EF (an ideograph's form in a
# Japanese name) after a Han ideograph; U+180B..U+180D and U+180F after a Mongolian letter. U+FE00..U+FE0D (a
# math symbol's or a rare script's forms) are not taken at all.
_EMOJI_STYLE = frozenset({0xFE0E, 0xFE0F})
_IDEOGRAPHIC = frozenset(range(0xE0100, 0xE01F0))
_MONGOLIAN = frozenset({0x180B, 0x180C, 0x180D, 0x180F})
_VARIATION_SELECTORS = frozenset([*range(0xFE00, 0xFE10), *_IDEOGRAPHIC, *_MONGOLIAN])
# Emoji with a text and an emoji style that are no So symbol (Unicode's emoji-variation-sequences.txt): ↔ ◻ ◼ ◽ ◾
# ⤴ ⤵ (Sm; the other Sm, "+" or "=", have no emoji style), ‼ ⁉ 〰 〽 (P*) and ℹ (Ll).
_EMOJI_NOT_SO = frozenset(
    {0x2194, 0x25FB, 0x25FC, 0x25FD, 0x25FE, 0x2934, 0x2935, 0x203C, 0x2049, 0x3030, 0x303D, 0x2139}
)
_KEYCAP_BASES = frozenset("0123456789#*")
_KEYCAP = "\u20e3"
_HAN = ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")  # (how Unicode names every Han ideograph)

_TO_NFC = (
    'Python: unicodedata.normalize("NFC", id); Go: norm.NFC.String(id); Java: Normalizer.normalize(id, '
    'Normalizer.Form.NFC); JavaScript: id.normalize("NFC")'
)


def id_character_problem(article_id: str) -> str | None:
    """Why `article_id` may not name a new article by its characters, and what to send instead; None if it may.
    The first character refused is named, with its position and Unicode name."""
    # (the common case: ASCII is in NFC, and its only refused characters are controls, which do not print)
    if article_id.isascii() and article_id.isprintable():
        return None
    for at, char in enumerate(article_id):
        before, after = article_id[at - 1] if at else None, article_id[at + 1 : at + 2] or None
        if (reason := _refused_because(char, before, after)) is not None:
            return f"holds {describe(char)} as its {ordinal(at + 1)} character, {reason}"
    if not unicodedata.is_normalized("NFC", article_id):
        return _not_nfc(article_id)
    return None


def _refused_because(char: str, before: str | None, after: str | None) -> str | None:
    """Why an id may not hold `char` between `before` and `after` (None: at the start, at the end), and what to
    send instead; None if it may."""
    category = unicodedata.category(char)
    if category in _UNPRINTABLE:
        return "which does not print; ids are printable text"
    if category == "Zs" and char != " ":
        return "a space other than U+0020 SPACE, which prints like it (or like nothing); send U+0020 in its place"
    code = ord(char)
    if code in _VARIATION_SELECTORS:
        return None if before is not None and _varies(code, before, after) else _SELECTS_NOTHING
    if code in _IGNORABLE:
        return "which prints as nothing (a default-ignorable code point); leave it out"
    if _is_noncharacter(code):
        return "a noncharacter, which Unicode keeps for a program's own use, never for text; leave it out"
    if category == "Co":
        return "a private-use character, which prints as whatever the font at hand makes of it; leave it out"
    return None


_SELECTS_NOTHING = (
    "a variation selector with nothing before it to vary (U+FE0E and U+FE0F vary a symbol, or a digit, # or * "
    "followed by U+20E3 in a keycap; U+E0100..U+E01EF a Han ideograph; U+180B..U+180F a Mongolian letter; "
    "U+FE00..U+FE0D nothing an id may hold), which prints as nothing; leave it out"
)


def _varies(selector: int, before: str, after: str | None) -> bool:
    """Whether the variation selector `selector` picks a form of `before` (followed by `after`, in a keycap)."""
    if selector in _EMOJI_STYLE:
        emoji = unicodedata.category(before) == "So" or ord(before) in _EMOJI_NOT_SO
        return emoji or (before in _KEYCAP_BASES and after == _KEYCAP)
    if selector in _IDEOGRAPHIC:
        return unicodedata.name(before, "").startswith(_HAN)
    if selector in _MONGOLIAN:
        return unicodedata.name(before, "").startswith("MONGOLIAN LETTER")
    return False


def _is_noncharacter(code: int) -> bool:
    """U+FDD0..U+FDEF and the last two code points of every plane (U+FFFE, U+FFFF, U+1FFFE, ...)."""
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


def _not_nfc(article_id: str) -> str:
    """The refusal of an id of printable characters that is not in NFC, naming the first character from which a
    prefix of it is not (the combining accent of an "e" and U+0301 NFC writes as "é", a sign NFC replaces)."""
    prefixes = range(1, len(article_id) + 1)
    at = next((n for n in prefixes if not unicodedata.is_normalized("NFC", article_id[:n])), len(article_id))
    return (
        f"is not in Unicode NFC: from its {ordinal(at)} character, {describe(article_id[at - 1])}, NFC spells it "
        f"otherwise (as an id that prints alike, which would be another id); send it in Unicode NFC ({_TO_NFC})"
    )


def describe(char: str) -> str:
    """U+XXXX and the character's Unicode name (what it is, for one without a name: a control's, '\\n')."""
    code = ord(char)
    name = unicodedata.name(char, "")
    if not name:
        category = unicodedata.category(char)
        if category == "Cc":
            name = f"<control> {char!r}"
        elif category == "Co":
            name = "<private use>"
        elif category == "Cs":
            name = "<surrogate>"
        else:
            name = "<noncharacter>" if _is_noncharacter(code) else "<unassigned>"
    return f"U+{code:04X} {name}"


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def shown(article_id: str) -> str:
    """repr(article_id), with what repr leaves as it is but prints as nothing or as another written out as escapes
    too: "cafe" and U+0301 printed as "café", "inv9" and U+3164 as "inv9", in the refusal that named them."""
    return "".join(_escaped(c) if _mistakable_in_repr(c) else c for c in repr(article_id))


def _mistakable_in_repr(char: str) -> bool:
    """A mark, a default-ignorable letter, or a sign NFC replaces (U+212B ANGSTROM SIGN, which prints as Å)."""
    if char.isascii():
        return False
    mark = unicodedata.category(char).startswith("M")
    return mark or ord(char) in _IGNORABLE or not unicodedata.is_normalized("NFC", char)


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
