"""Notes: what a text says of itself as a correction or an update of an earlier one.

A wire re-sends a story under a "CORRECTED - " or "UPDATE 2-" title, or with a "(Corrects ...)" or "(Updates
with closing prices)" note; a page adds "This story has been corrected" or a "Clarification:" line.
`update_mark` reads a title and a body for them (`body_mark` once a body, `titled_mark` for each title over
it), and `updates`, `corrects` and `noted` read two texts' marks with their publication times: does the later
say it revises the earlier, within hours? The template rules (service.templates) lean on the answer: a short
item's figures changed under a correction note are its corrections, not another instance of a template.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

# A text saying it corrects or updates an earlier one (`update_mark`). Every pattern is read line by line ("^"
# under re.M, or a newline the pattern opens with, and only [^\S\n], never \s, before a note: a run of blank
# lines is no stall) over a text's edges alone (MARK_EDGE_CHARS), where notes are put.
#
# A wire's title prefixes, as many as there are ("REFILE-CORRECTED-UPDATE 2-"): "CORRECTED - ", "(CORRECTED)-",
# "<CORRECTED> - ", "(CORRECTION)-", "UPDATE 2-", "RPT-", "REFILE-". A bare "Correction:" or "Correction - " is
# none (a market's correction: "Correction - is the bull market over?"), nor is an "UPDATE:" or "Updated" label.
# A body opening with such a prefix, as a slug ("CORRECTED-Councillor quits ruling group"), is read for a
# correction too.
_TITLE_PREFIX = re.compile(
    r"[ \t]*(?:[(<][ \t]*)?(refile|rpt|corrected|correction(?=[ \t]*[)>])|update[ \t]*(\d+))"
    r"[ \t]*(?:[)>][ \t]*)?[-:\u2013\u2014]+[ \t]*",
    re.I,
)
_H = r"[^\S\n]"  # a space or a tab, no newline
# Corrections: a note in parentheses opening "(Corrects ...", "(Correcting ...", "(Corrected ..." (not
# "(corrected for inflation)"), "(Company corrects ...", or listing edits one of which corrects ("(Changes
# headline, corrects spelling of name)"); a Reuters-21578 note
# line ("Corrects March 11 item ...", "Company corrects period in March 19 item", "- Corrects dollar figure ...",
# "-- First Boston corrects that ...", "NOTE: In item moved March 23, company corrects ...") or clause after a
# sentence ("... in Canada. - corrects the date of ..."); a page's "This story has been corrected" (or "This
# article was amended on 6 March ...", the Guardian's form; not "was revised", prose's: "This report was revised
# to include late registrations"), "An earlier
# (previous) version of this article ...", or a "Correction:" line or "(Correction: ..." ("[Correction: ...")
# saying what an earlier version got wrong within its first 40 characters, or (at a line's start) anywhere on the
# line contrasting what the earlier text said, `_AS_EARLIER` ("CORRECTION: The ferry sails at 15:00, not 14:00
# as stated earlier."; not "Correction: As previously reported, the Nasdaq ...", "Correction: The rally in bank
# shares is not over yet, as stated earlier by analysts", "... did not fall as previously expected": a market's).
# At a line's start: a bracketed note, "[Corrects ...", "[Corrected at 16:40 to show ...]", "[Corrected to show
# ..." (`_NOTE_TO`), "[Corrected: ...", "[Corrected]" (not "[corrected for inflation]", "[Corrected figures in
# square brackets]", "[Corrected to constant 2020 prices]", "[Corrected at the request of ...]"); a "(Correction)"
# or "[Correction]" line alone (not "(Correction territory)", "Wave 4 (correction)", "(Corrections)", a section's
# name); a bullet's or a note's one to four words then "corrected in" a place (`_FIX_PLACE`), the place closing it
# ("* Company name corrected in headline", "(Spelling of name corrected in paragraph 2)"; not "* Inflation
# corrected in headline terms", "(Costs corrected in the third paragraph of the lease)"). A
# word before "corrects" on a line is read only as "company" or after "--": prose opens so ("Gold corrects
# lower", "Sterling corrects from two-week high", "The company corrects its outlook each quarter").
# (A paragraph's ordinal, and where in a text a note puts what it fixes: the "corrected in" form here, a fix
# note's and an amend note's objects below.)
_ORDINAL = (
    r"(?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|final"
    r"|lead|top)"
)
_FIX_PLACE = rf" in (?:the )?(?:{_ORDINAL} )?(?:para|paragraph|graf|headline|dateline|byline)s?\b"
# A "Correction:" line's contrast with what the earlier text said, read anywhere on the line (after "not",
# "rather than" or "instead of" within 80 characters): "as stated (reported, said, given, published) earlier
# (previously, originally)", "as previously reported", "as stated in an earlier version", closing a sentence or
# the line (not "as reported earlier by ...", "as stated earlier this week").
_AS_EARLIER = (
    r"\bas (?:(?:stated|reported|said|given|published|written) (?:earlier|previously|originally)"
    r"|(?:earlier|previously|originally) (?:stated|reported|said|given|published|written)"
    r"|(?:stated|reported|said|given|published|written) in (?:an|the) (?:earlier|previous|original) version"
    r"(?: of this (?:story|article|item|report))?)"
    rf"{_H}*(?:[.;)\]]|(?![^\n]))"
)
# What a note says it was done "to" ("(Amends paragraph 3 to show ...)", "[Corrected at 16:40 to show ...]"): not
# a table's "[Corrected to constant 2020 prices]", a bill's "(Amends paragraph 3 to insert ...)".
_NOTE_TO = rf"to{_H}+(?:show|correct|fix|clarify|reflect|make{_H}+clear|say|give|read)\b"
_EDIT_VERBS = r"(?:adds|recasts|rewrites|updates|changes|corrects|refiles|removes|inserts|deletes|fixes)"
_CORRECTION_NOTE = re.compile(
    rf"\({_H}*(?:company{_H}+)?(?:corrects|correcting|corrected(?!{_H}+for\b))\b[^()\n]{{0,200}}"
    rf"|\({_H}*{_EDIT_VERBS}\b[^()\n]{{0,200}}?\bcorrects\b[^()\n]{{0,200}}"
    rf"|^{_H}*(?:-{{1,2}}{_H}*)?(?:note:{_H}*)?(?:company{_H}+)?corrects\b[^\n]{{0,200}}"
    rf"|^{_H}*--{_H}*(?:[^\s.:]+{_H}+){{1,2}}corrects\b[^\n]{{0,200}}"
    rf"|^{_H}*note:[^\n]{{0,80}}?\bcorrects\b[^\n]{{0,200}}"
    rf"|[.)]{_H}+--?{_H}*corrects\b[^\n]{{0,200}}"
    r"|\bthis (?:story|article|item|report) (?:has been (?:corrected|amended|revised)|was (?:corrected|amended))\b"
    r"[^\n]{0,200}"
    r"|\b(?:an|the) (?:earlier|previous|prior) version of this (?:story|article|item|report)\b[^\n]{0,200}"
    rf"|(?:^{_H}*|[(\[]{_H}*)correction:[^\n]{{0,40}}?\b(?:earlier|previous|prior|incorrectly|misstated|misspelled"
    r"|misidentified|wrongly|mistakenly)\b[^\n]{0,200}",
    re.I | re.M,
)
# The correction notes read at a line's start alone, searched as `_REFILED_OR_CLARIFIED_NOTE` is (each alternative
# opens with a newline, tried at the lines' starts: under "^" and re.M, as alternatives of `_CORRECTION_NOTE`,
# they cost every text holding its words ≈30 µs more): a "Correction:" line's contrast, a bracketed note, a
# "(Correction)" line alone, "... corrected in <place>" (the forms' words are `_CORRECTION_WORDS`' "correct").
_CORRECTION_LINE_NOTE = re.compile(
    rf"\n{_H}*(?:"
    rf"(?:[(\[]{_H}*)?correction:(?=[^\n]{{0,280}}?{_AS_EARLIER})"
    rf"[^\n]{{0,200}}?\b(?:not|rather than|instead of){_H}++(?>[^\n]{{0,80}}?{_AS_EARLIER})[^\n]{{0,200}}"
    rf"|\[{_H}*(?:corrects\b|correcting\b|corrected(?={_H}+(?:(?:at|on){_H}+\d|{_NOTE_TO})|{_H}*[:\]]))[^\[\]\n]{{0,200}}"
    rf"|[(\[]{_H}*correction{_H}*[)\]]{_H}*(?![^\n])"
    rf"|[*(]{_H}*(?:[^\s()*]++{_H}++){{1,4}}?corrected{_FIX_PLACE}(?:{_H}+\d[\d-]*)?(?=\)|[,;.]|{_H}*(?![^\n]))"
    r")",
    re.I,
)
# Refiles and clarifications, correction-kind notes a wire or a page writes in words of their own (their words
# gate them apart, `_REFILED_OR_CLARIFIED_WORDS`), each read at a line's start, where a wire puts a note ("The
# bank (clarifies a spokesman) will not comment", "a recount (Refiles to correct counts are not accepted)" are
# prose): a Reuters refile that corrects ("(Refiles to correct typo in headline)", "(Refiles to fix typo in
# paragraph 3)", the fix word within 100 characters; not "(Refiles to add byline)" or "(Refiles with no change to
# text)", a re-send like a bare "REFILE-" title, which is no note); a Reuters fix note at the top of a re-sent
# story without the word "Refiles" ("(Fixes typo in paragraph 3)", "(Fixes spelling of name in 2nd para)",
# "(Adds details, fixes typo ...)"; "fixes" then what a fix note fixes, in a note's shapes, `_FIX_OBJECT`, and in a
# note of edits an item of its list, after a comma, a semicolon, a full stop or "and"; no line an attribution
# closes, `_SAID_LINE`: not "(Fixes 2)", "(fixes login crash on Android)", "(Adds a clause that fixes the price
# ...)", "(fixes the date of the recount for Friday, the returning officer said)"); a Reuters amend note so,
# "(Amends paragraph 3 to show ...)", "(Amends headline)", "(Adds details, amends headline)", its object a
# stricter one (`_AMEND_OBJECT`: not a bill's "(Amends the Housing Act 1996)"); "(Clarifies paragraph 3 to
# show ...)" or a note of edits one of which
# clarifies, an item of its list ("(Adds details, clarifies ...)"; not "(Changes to the scheme, which clarifies
# ...)"); a "Clarification:" line (or
# "(Clarification: ...") naming an earlier text within its first 40 characters, as the correction form must
# (`_CLARIFICATION_NAMES_EARLIER`: "Clarification: An earlier version ...", "... This story has been updated to
# make clear ...", "... The story did not make clear ...", AP's "CLARIFICATION: In a story on March 5, the AP
# reported ..."), or saying the text itself got something wrong, the story its subject right after the colon
# (`_CLARIFIED_TEXT`, `_CLARIFIED_ERROR`: "Clarification: This story incorrectly said ...", "... A story on Tuesday
# wrongly gave ...", "... This article misstated ..."; not another's statement or story: "... The ministry wrongly
# said ...", "... The council says a story wrongly gave ...", "... A story in the Tarrow Gazette incorrectly said
# ...", "... The caption on the ministry's photo misidentified ...", "... This report says the council wrongly
# ...", "... A Reuters story on Tuesday wrongly said ..., the company said."). Not "(clarified butter)",
# "demanded clarification of ...", "Vishay clarifies offer", "The bank (fixes rates daily)", a refile of an
# application ("TWA plans to refile ..."), nor a "Clarification:" line that names no earlier text, a
# section's name or a report's own caveat ("Clarification: this report gives provisional figures only", "...
# prior to certification, totals may change", "... the original count was held at ..."): read as notes, they
# joined two wards' results. ("This story has been clarified" is `_CLARIFIED_NOTE`'s.) Every alternative opens
# with a newline, and the pattern is searched over a newline and the edge (`_line_notes`): tried at the lines'
# starts alone, found as fast as a character, where "^" under re.M is tried at every character (≈0.2-0.6 ms a
# text whose edges held its words on every line, against ≈25 µs without them); a space opens the word after a
# window, a character the engine skips to.
_CLARIFICATION_NAMES_EARLIER = (
    r"(?:earlier|previous|prior|original) version"
    r"|(?:story|article|item|report|headline) (?:has been|was) (?:updated|changed|clarified)"
    r"|(?:the|this) (?:story|article|item|report|headline) (?:should have made|did not make|didn['\u2019]t make) clear"
    r"|in an? (?:\S+ ){0,3}?(?:story|article)"
)
# A clarification saying the text itself got something wrong: its subject right after "Clarification:" (after a
# short lead, "Because of an editing error,"), in a note's shapes only: "this story (article)" then at most an
# aside in commas ("This story, published Tuesday, incorrectly said"); "this story's headline (caption)"; "the
# headline (caption) on this story (article)"; "a (an, the) story (article)" with "earlier", "previous", "prior"
# or "original", a date before it ("A March 5 story"), a date after it ("on Tuesday", "Tuesday", "March 5",
# "published Monday") and an "about" of one to four words ("A story on Tuesday about the quarry's owners"; no
# "who", "that", "which" among them). Then an error verb: "incorrectly (wrongly, mistakenly, erroneously) said
# (gave, called, ...)", "said incorrectly", "misstated (misidentified, mischaracterized, ...)". Not "report" or
# "item" (a study's, an agenda's: "This report says the council wrongly gave ..."), nor free words after the
# story ("This story is about voters who misidentified ..."), nor "A Reuters (AP) story ..." (a company's word on
# a wire's story), nor one whose error verb's sentence ends ", <someone> said." or says "said in a statement"
# (`_SAID_SENTENCE`), nor one in the first person outside quotes (`_FIRST_PERSON_LINE`: "The headline on this
# story misrepresented what I said. -- J. Smith"): another's complaint.
_DAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_DATE = (
    rf"(?:{_DAY}|yesterday|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]{{0,6}}\.? \d{{1,2}}"
    rf"|\d{{1,2}} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]{{0,6}}\.?)"
)
_CLARIFIED_TEXT = (
    r"this (?:story|article)(?:, [^,\n]{1,40},)?"
    r"|this (?:story|article)['\u2019]s (?:headline|caption)"
    r"|the (?:headline|caption) on this (?:story|article)"
    rf"|(?:an?|the)(?: (?:earlier|previous|prior|original))?(?: {_DATE})? (?:story|article)"
    rf"(?: (?:on |published (?:on )?)?{_DATE})?"
    r"(?: about(?: (?!(?:in|by|from|at|for|who|whom|whose|that|which)\b)[^\s,;]+){1,4})?"
)
_CLARIFIED_ERROR = (
    r"(?:(?:incorrectly|wrongly|mistakenly|erroneously) (?:said|stated|reported|gave|described|identified|named"
    r"|called|listed|quoted|attributed|referred|spelled|spelt)"
    r"|(?:said|stated|reported|gave|described|identified|named|called|listed|quoted|attributed|referred|spelled"
    r"|spelt) (?:incorrectly|wrongly|mistakenly|erroneously)"
    r"|misstated|misspelled|misspelt|misidentified|misquoted|misattributed|misreported|mischaracteri[sz]ed"
    r"|misrepresented|miscalled)\b"
)
# A line another's word closes, never a note: ", <someone> said)" (says; "..., the FA said on Tuesday)", "...,
# the minister said."), or "said in a statement" anywhere in it. Linear: "[^,\n]" cannot cross the commas that
# open each try, so the tries cover the line once.
_SAID_LINE = (
    rf"[^\n]*, [^,\n]{{1,60}}? (?:said|says)(?: (?:on|in|at|last|this|late|earlier|later)(?: [^\s,]+){{1,3}})?"
    rf"[.)\"'\u201d]*{_H}*(?![^\n])"
    r"|[^\n]*?\bsaid in a statement\b"
)
# The same on a "Clarification:" line, tried in the sentence holding the error verb alone (from the verb to a
# full stop or semicolon before a capital or the line's end): AP's note attributes the corrected fact after it
# ("... incorrectly said the company would cut 500 jobs. It will cut 300 jobs, the company said." is a note).
# A full stop before a lower-case word or a digit stays in the sentence ("Acme Inc. would", "5.25"). The
# sentence is walked in runs, each taken whole (possessive), stopping only where a try could open (a comma, an
# "s"): linear, as "[^,.;\n]" cannot cross the commas that open each try.
_SENTENCE_ITEM = rf"(?:[^.;,s\n]++|\.(?!{_H}+(?-i:[A-Z])|{_H}*(?![^\n]))|[,s])"
_SAID_SENTENCE = (
    rf"{_SENTENCE_ITEM}*?(?:, [^,.;\n]{{1,60}}? (?:said|says)(?: (?:on|in|at|last|this|late|earlier|later)"
    rf"(?: [^\s,;]+){{1,3}})?[.)\"'\u201d]*(?:{_H}*(?![^\n])|{_H}*;|{_H}+(?-i:[A-Z]))"
    r"|\bsaid in a statement\b)"
)
# The first person outside quotes, "I", "me", "my" as whole words (case-sensitive), never "I" as a numeral or a
# letter: not before "-", "." or a digit ("I-95", "I.B.M."), nor after "Phase", "Division", "War", ... ("Phase
# I", "World War I"). Quoted spans ("...", \u201c...\u201d) are skipped whole: a corrected quote ('She said: "I
# never backed the plan."') or a title ('"give me love"') is no reader's word. Walked in runs that stop only at
# a quote, an "i" or an "m": linear.
_FIRST_PERSON_LINE = (
    r"(?:[^\n\"\u201cim]++|\"[^\"\n]*\"|\u201c[^\u201d\n]*\u201d|[im])*?"
    r"(?-i:(?<![\w.-])(?:I(?![\w.-])(?<!Phase I)(?<!Division I)(?<!War I)(?<!Title I)(?<!Class I)(?<!Act I)"
    r"(?<!Part I)(?<!Stage I)(?<!Grade I)(?<!Chapter I)(?<!Schedule I)(?<!Tier I)(?<!Type I)|(?:me|my)\b))"
)
# What a Reuters fix note fixes after "fixes", in a note's shapes only (prose's "fixes" takes other objects:
# "(fixes the date of the recount for Friday, the returning officer said)", "(fixes memory leak)", "(Fixes names
# of referees for the weekend)"): (a) an object only a note fixes, right after "fixes": "typo(s)", "spelling",
# "misspelling(s)", "garbled", "grammar", "wording" (after "a", "an" or "the" too), an ordinal or numbered
# paragraph ("3rd para", "second paragraph", "last graf", "paragraph 3", "paras 4-5"); (b) one to three words
# then where in the text, "in (the) (3rd) para (paragraph, graf, headline, dateline, byline)" ("(Fixes company
# name in headline)", "(Fixes minister's name in para 3)", "(Fixes 'Colm' in para 2)"), or closing the note, the
# last of them a note's noun ("(Fixes headline)", "(Fixes the dateline)", "(Fixes company name)"). "garbled",
# "grammar", "wording" only before the note's end, a comma, "in <place>" or "text" ("(fixes grammar checker false
# positives)" is a release note); a paragraph or place ends the object (`_FIX_END`: a number, then ")", [,;.],
# "to", "and", "in", "of the story"): not "(fixes memory leak in paragraph renderer)", "(Fixes paragraph 3 of the
# lease ...)".
_FIX_WORD = r"(?!(?:an?|the|to|for|and|or|of|on|in|at|from|by|with|between|is|are|was|were)\b)[^\W\d_][^\s,;:()]*"
_FIX_END = rf"(?:{_H}+\d[\d-]*)?(?=\)|[,;.]|{_H}+(?:to|and|in|of (?:the|this) (?:story|article))\b)"
_FIX_OBJECT = (
    r"(?:(?:an?|the) )?(?:typos?|spelling|misspellings?)\b"
    rf"|(?:(?:an?|the) )?(?:garbled|grammar|wording)(?=\)|[,;.]|{_FIX_PLACE}|{_H}+(?:text|copy)\b)"
    rf"|{_ORDINAL} (?:para|paragraph|graf)s?\b{_FIX_END}"
    rf"|(?:para|paragraph|graf)s? \d[\d-]*{_FIX_END}"
    rf"|(?:(?:an?|the) )?{_FIX_WORD}(?: [^\s,;:()]+){{0,2}}?{_FIX_PLACE}{_FIX_END}"
    rf"|['\"\u2018\u201c][^'\"\u2018\u2019\u201c\u201d()\n]{{1,40}}['\"\u2019\u201d]{_FIX_PLACE}{_FIX_END}"
    rf"|(?:(?:an?|the) )?(?:{_FIX_WORD} ){{0,2}}?(?:dates?|names?|figures?|headline|dateline|byline|quotes?"
    r"|references?|attribution|caption|title)(?=\))"
)
# an item of a note of edits: after a comma, a semicolon, a full stop or "and"
_LIST_ITEM = rf"(?:[,;.]{_H}*|{_H}and{_H}++)"
# What a Reuters amend note amends after "amends" ("(Amends paragraph 3 to show ...)", "(Amends headline)"): a
# stricter object than a fix note's, as a bill's notes amend too ("(Amends the Housing Act 1996)", "(Amends
# paragraph 3 of Schedule 2)", "(Amends paragraph 3 to insert a definition)", "(Amends the short title)"): a typo
# or a spelling; a numbered or ordinal paragraph, or the headline (dateline, byline, caption), closing the note,
# before a comma or full stop, or before "to show" ("to correct", "to clarify", "to reflect", ...); one to three
# words then where in the text ("(Amends minister's name in para 3)"), so closed.
_AMEND_END = rf"(?=\)|[,;.]|{_H}+{_NOTE_TO})"
_AMEND_OBJECT = (
    r"(?:(?:an?|the) )?(?:typos?|spelling|misspellings?)\b"
    rf"|{_ORDINAL} (?:para|paragraph|graf)s?{_AMEND_END}"
    rf"|(?:para|paragraph|graf)s? \d[\d-]*{_AMEND_END}"
    rf"|(?:the )?(?:headline|dateline|byline|caption){_AMEND_END}"
    rf"|(?:(?:an?|the) )?{_FIX_WORD}(?: [^\s,;:()]+){{0,2}}?{_FIX_PLACE}(?:{_H}+\d[\d-]*)?{_AMEND_END}"
)
_REFILED_OR_CLARIFIED_NOTE = re.compile(
    rf"\n{_H}*(?:"
    rf"\({_H}*refiles\b[^()\n]{{0,100}}? (?:correct|corrects|correcting|fix|fixes|fixing)\b[^()\n]{{0,200}}"
    rf"|\({_H}*clarifies\b[^()\n]{{0,200}}"
    rf"|\({_H}*fixes{_H}++(?>{_FIX_OBJECT})(?!{_SAID_LINE})[^()\n]{{0,200}}"
    rf"|\({_H}*amends{_H}++(?>{_AMEND_OBJECT})(?!{_SAID_LINE})[^()\n]{{0,200}}"
    rf"|\({_H}*{_EDIT_VERBS}\b(?>[^()\n]{{0,200}}?{_LIST_ITEM}(?:clarifies\b"
    rf"|(?P<fix>fixes{_H}++(?:{_FIX_OBJECT})|amends{_H}++(?:{_AMEND_OBJECT}))))"
    rf"(?(fix)(?!{_SAID_LINE}))[^()\n]{{0,200}}"
    rf"|(?:\({_H}*)?clarification:(?:[^\n]{{0,40}}?\b(?:{_CLARIFICATION_NAMES_EARLIER})\b"
    rf"|{_H}*+(?>(?:(?:because of|due to|owing to) an? (?:[^\s,;]+ ){{0,2}}?error,{_H}*)?"
    rf"(?:{_CLARIFIED_TEXT}) {_CLARIFIED_ERROR})(?!{_SAID_SENTENCE}|{_FIRST_PERSON_LINE}))[^\n]{{0,200}}"
    r")",
    re.I,
)
# "This story has been clarified ...", a page's clarification, anywhere in a line as "... has been corrected" is:
# a pattern of its own, not an alternative of `_CORRECTION_NOTE`, whose notes are thus read exactly as before it
# (an alternative there took the rest of its line, "This story has been clarified to show the total. (Corrects
# paragraph 3 ...)", and the "(Corrects ..." note in it was no note of its own).
_CLARIFIED_NOTE = re.compile(r"\bthis (?:story|article|item|report) has been clarified\b[^\n]{0,200}", re.I)
# Updates: "(Updates with closing prices)", "(Updates to close)" (not any "(updates": "(updates automatically)",
# "Live radar (updates every 15 minutes)"), a line that is a note of edits alone ("(Adds details, updates
# prices)", "(Recasts, updates with closing prices)", "(Adds quote from minister)"), "This story has been
# updated" (not "This report was updated at 0900 GMT", a daily report's line), a page's bracketed note at a
# line's start, "[Updated at 17:05 with closing prices]" ("with" or "to" after the time: not a bare "[Updated at
# 17:05]" label, a daily report's). Its time is no part of the note (`_UPDATE_STAMP`): an issue's label that
# changes only in its time ("[Updated at 09:02 with latest prices]" beside "[Updated at 17:05 ...]") is no new
# note of the later issue.
_TIME = (
    rf"\d{{1,2}}(?:[:.]?\d{{2}})?(?:{_H}*(?:am|pm|a\.m\.|p\.m\.))?"
    rf"(?:{_H}+(?:gmt|utc|bst|cet|cest|et|est|edt|ct|cdt|pt|pst|pdt))?"
)
_UPDATE_NOTE = re.compile(
    rf"\({_H}*updates{_H}+(?:with|to)\b[^()\n]{{0,200}}"
    rf"|^{_H}*\({_H}*(?:adds|recasts|rewrites|updates|changes)\b[^()\n]{{0,200}}\){_H}*$"
    r"|\bthis (?:story|article|item|report) has been updated\b[^\n]{0,200}",
    re.I | re.M,
)
# (The bracketed note at a line's start alone, searched as `_CORRECTION_LINE_NOTE` is, behind its word "updated".)
_UPDATE_LINE_NOTE = re.compile(rf"\n{_H}*\[{_H}*updated{_H}+at{_H}+{_TIME}{_H}+(?:with|to)\b[^\[\]\n]{{0,200}}", re.I)
_UPDATE_STAMP = re.compile(rf"^\[ ?updated at {_TIME}(?= (?:with|to)\b)")  # (over a note as `_notes` gives it)
MARK_EDGE_CHARS = 2048  # notes sit at a text's top or foot: only so many characters of each end are read
# An update comes within hours: a daily report's next issue may come 12 h early or late (templates.NEXT_ISSUE_TOLERANCE,
# this window), and is no update of the last.
UPDATE_WINDOW = timedelta(hours=12)
CORRECTION_WINDOW = timedelta(days=1)  # a correction may come the next morning (the next issue's rule stands)


@dataclass(frozen=True)
class UpdateMark:
    """What a text says of itself as a correction or update (`update_mark`): its title's "UPDATE n-" number and
    "CORRECTED-" prefix (or its body's, opening as a slug), the title past its prefixes, and the notes found
    (each as written, lower-cased, so that a line every issue carries is told from a new one)."""

    number: int | None = None
    corrected: bool = False
    rest: str = ""
    corrections: frozenset[str] = frozenset()
    updates: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return self.number is not None or self.corrected or bool(self.corrections or self.updates)


def _edges(body: str) -> list[str]:
    """A body's first and last MARK_EDGE_CHARS characters (the whole of a short one), each cut at a line's end."""
    if len(body) <= 2 * MARK_EDGE_CHARS:
        return [body]
    head, tail = body[:MARK_EDGE_CHARS], body[-MARK_EDGE_CHARS:]
    return [head[: head.rfind("\n") + 1] or head, tail[tail.find("\n") + 1 :]]


# Words one of which each note of the pattern holds (lower-cased): a text holding none is not searched. The
# patterns' alternatives, case-blind and anchored at each line and word, cost ≈100 µs on a body's 4 KB of edges,
# for every candidate an article is judged against (a third of the writer's time in an ingest of news-length
# articles); a text's `in` tests cost a few.
_CORRECTION_WORDS = ("correct", "has been", "was amended", "version of this")
_REFILED_OR_CLARIFIED_WORDS = ("refiles", "clarifies", "clarification:", "fixes", "amends")
_UPDATE_WORDS = ("updat", "adds", "recast", "rewrite", "changes")


def _notes(pattern: re.Pattern[str], text: str) -> Iterator[str]:
    """The notes `pattern` finds in `text`, each as written, lower-cased, its spaces collapsed."""
    return (" ".join(m.group(0).lower().split()) for m in pattern.finditer(text))


def _line_notes(pattern: re.Pattern[str], text: str) -> Iterator[str]:
    """`_notes` of a pattern that opens with a newline (a note at a line's start), the text's first line too."""
    return _notes(pattern, "\n" + text)


def _folded(text: str) -> str:
    # As re.I matches: casefold makes "ſ" an s and the Kelvin sign a k, but leaves the dotless "ı", which re.I
    # takes for an i, and makes "İ" an i and a combining dot ("VERSİON OF THİS", upper-cased by Turkish rules).
    # (Folded once for the three patterns' words: the fold costs more than an `in` test.)
    return text.casefold().replace("\u0131", "i").replace("\u0307", "")


def _holds_any(folded: str, words: tuple[str, ...]) -> bool:
    return any(map(folded.__contains__, words))  # (no generator's frames: this runs for every candidate)


@dataclass(frozen=True)
class BodyMark:
    """What a body says of itself as a correction or update (`body_mark`), whatever its title: its correction
    prefix opening it as a slug, and the notes at its edges. Read once a text (Detector._mark keeps it with the
    text's tokens) and joined to each title's prefixes by `titled_mark`."""

    corrected: bool = False
    corrections: frozenset[str] = frozenset()
    updates: frozenset[str] = frozenset()


_NO_BODY_MARK = BodyMark()  # (most bodies': one shared object, so that a kept mark costs a text nothing)


def body_mark(body: str) -> BodyMark:
    """`update_mark`'s reading of a body: a slug's correction prefix (no version number) and the notes of
    `_CORRECTION_NOTE`, `_CORRECTION_LINE_NOTE`, `_REFILED_OR_CLARIFIED_NOTE` and `_CLARIFIED_NOTE` (corrections)
    and `_UPDATE_NOTE` and `_UPDATE_LINE_NOTE`, each over an edge holding one of its words. Its notes are the
    body's own words, at most so many of its edges' characters (MARK_EDGE_CHARS) for each pattern."""
    edges = _edges(body)
    corrected = any("correct" in m.group(1).lower() for m in wire_prefixes(edges[0].lstrip()))
    corrections: set[str] = set()
    updated: set[str] = set()
    for edge in edges:  # (each pattern only over an edge holding one of its words)
        folded = _folded(edge)
        if _holds_any(folded, _CORRECTION_WORDS):
            corrections.update(_notes(_CORRECTION_NOTE, edge))
            corrections.update(_line_notes(_CORRECTION_LINE_NOTE, edge))
        if _holds_any(folded, _REFILED_OR_CLARIFIED_WORDS):
            corrections.update(_line_notes(_REFILED_OR_CLARIFIED_NOTE, edge))
        if "has been clarified" in folded:  # (its one word: `_CLARIFIED_NOTE`)
            corrections.update(_notes(_CLARIFIED_NOTE, edge))
        if _holds_any(folded, _UPDATE_WORDS):
            updated.update(_notes(_UPDATE_NOTE, edge))
        if "updated" in folded:
            updated.update(_UPDATE_STAMP.sub("[updated", n) for n in _line_notes(_UPDATE_LINE_NOTE, edge))
    if not (corrected or corrections or updated):
        return _NO_BODY_MARK
    return BodyMark(corrected, frozenset(corrections), frozenset(updated))


def titled_mark(title: str, body: BodyMark) -> UpdateMark:
    """`update_mark` of a title over a body already read (`body_mark`): the title's `_TITLE_PREFIX`es ("UPDATE
    n-", "CORRECTED-") and the title past them. A few µs a title: read afresh for every title, so no
    title, however long, is kept."""
    prefixes = wire_prefixes(title)
    number = next((int(m.group(2)) for m in prefixes if m.group(2)), None)
    corrected = body.corrected or any("correct" in m.group(1).lower() for m in prefixes)
    rest = " ".join(title[prefixes[-1].end() if prefixes else 0 :].lower().split())
    return UpdateMark(number, corrected, rest, body.corrections, body.updates)


def wire_prefixes(title: str) -> list[re.Match[str]]:
    """The title's wire prefixes (`_TITLE_PREFIX`: "REFILE-CORRECTED-UPDATE 2-"), in order, each where the last
    ended."""
    found: list[re.Match[str]] = []
    while m := _TITLE_PREFIX.match(title, found[-1].end() if found else 0):
        found.append(m)
    return found


def update_mark(title: str, body: str) -> UpdateMark:
    """What a text says of itself as a correction or update: `_TITLE_PREFIX` (its title's or its body's, opening
    as a slug), `_CORRECTION_NOTE`, `_CORRECTION_LINE_NOTE`, `_REFILED_OR_CLARIFIED_NOTE` and `_CLARIFIED_NOTE`
    (corrections all), `_UPDATE_NOTE` and `_UPDATE_LINE_NOTE` (read by `updates` and `corrects` for the later of
    two texts): `titled_mark` over `body_mark`."""
    return titled_mark(title, body_mark(body))


def marked_as_update(title: str, body: str) -> bool:
    """Does a text say it corrects or updates an earlier one (`update_mark`)?"""
    return bool(update_mark(title, body))


def updates(mark_a: UpdateMark, mark_b: UpdateMark, published_a: datetime | None, published_b: datetime | None) -> bool:
    """Does the later of two texts (by the publication times; none without both) say it corrects or updates the
    earlier? A short item corrected or updated hours later changes two or three figures (a toll and the injured;
    a vote count and its shares) as densely as another instance of a template does, and only its own word tells
    them apart (`templates.other_instance`). A word the earlier text says too is none (a footer every issue carries:
    "Live radar map (updates every 15 minutes)"), and where both titles number their versions ("UPDATE 1-") the
    later must be a later version: one day's midday and closing report, each "UPDATE 1-", are two reports.
    A correction counts within CORRECTION_WINDOW, an update within UPDATE_WINDOW: a daily report's next issue,
    "UPDATE 1-" on each day, is no update of the last."""
    return any(_revision(mark_a, mark_b, published_a, published_b))


def corrects(
    mark_a: UpdateMark, mark_b: UpdateMark, published_a: datetime | None, published_b: datetime | None
) -> bool:
    """Does the later of two texts say it corrects the earlier, by `updates`' rules (a correction prefix or note
    the earlier text does not carry, within CORRECTION_WINDOW, under no lower version number)? Only then is a
    short item's opening name respelt a correction, no other subject (`templates._names_respelt`,
    `templates.other_instance`)."""
    return _revision(mark_a, mark_b, published_a, published_b)[0]


def noted(mark_a: UpdateMark, mark_b: UpdateMark, published_a: datetime | None, published_b: datetime | None) -> bool:
    """Does the later of two texts carry a correction or update mark the earlier does not, however late (`updates`'
    reading with no window)? A text so marked is no daily item's next issue by its time alone
    (`templates._on_schedule`)."""
    return any(_revision(mark_a, mark_b, published_a, published_b, _ANY_TIME, _ANY_TIME))


_ANY_TIME = timedelta.max


def _revision(
    mark_a: UpdateMark,
    mark_b: UpdateMark,
    published_a: datetime | None,
    published_b: datetime | None,
    correction_window: timedelta = CORRECTION_WINDOW,
    update_window: timedelta = UPDATE_WINDOW,
) -> tuple[bool, bool]:
    """(`corrects` within `correction_window`, an update within `update_window`): `updates` is either."""
    if not (published_a and published_b) or published_a == published_b:
        return False, False
    later, earlier = (mark_b, mark_a) if published_b > published_a else (mark_a, mark_b)
    apart = abs(published_b - published_a)
    corrected = (later.corrected and not earlier.corrected) or bool(later.corrections - earlier.corrections)
    updated = bool(later.updates - earlier.updates) or (later.number is not None and earlier.number is None)
    if later.number is not None and earlier.number is not None:
        if later.number < earlier.number or (
            later.number == earlier.number and not (corrected and later.rest == earlier.rest)
        ):
            return False, False  # an earlier version, or another report of the same number (its correction: one title)
        updated = later.number > earlier.number
    elif earlier.number is not None:
        updated = False  # a numbered version's update is numbered: only a correction says more
    return corrected and apart < correction_window, updated and apart < update_window
