"""The detection pipeline, free of gRPC and of storage:

normalise -> shingle -> hash -> signature (prepare), then for LSH candidates
fetched by the index: verify exactly -> decide (judge).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import numpy as np
import xxhash

from service.boilerplate import (
    CommonLookup,
    Labelled,
    estimated_boilerplate,
    label,
    mask_headers,
    new_group_samples,
    operator_shingles,
    read_passages,
    shared_boilerplate,
)
from service.errors import InvalidArgument
from service.group_counts import is_sampled
from service.id_characters import id_character_problem, shown
from service.minhash import SignatureMaker
from service.model import Article, BoolArray, Fingerprint, Match, PreparedArticle, U32Array
from service.notes import UpdateMark, body_mark, corrects, noted, titled_mark, updates
from service.quotations import has_quotation_marks
from service.sets import difference, members, union, unique
from service.settings import DetectionParams
from service.shingles import shingle_sequence, to_u32, utf8_word_hashes
from service.similarity import (
    IDENTICAL_JACCARD,
    Overlap,
    RecentTexts,
    Tokenised,
    passages,
    shared_runs,
    tokenised,
)
from service.templates import (
    MEDIUM_ITEM_TOKENS,
    RESEND_WINDOW,
    SHORT_ITEM_TOKENS,
    differences,
    other_instance,
    resent_apart,
)
from service.text import utf8_tokens
from service.titles import renamed_apart, sessions_apart, snapshots_apart, titled_apart

MAX_ID_BYTES = 512
# Title, source and url are metadata, listed with a group's members a page at a time (engine.PAGE_BYTES).
MAX_FIELD_BYTES = 16 << 10
SHORTLIST_SAMPLED_FROM = 512  # content shingles from which the shortlist ranks on a sample
SCREEN_SHARE = 0.7  # screen candidates at this share of min_containment when the exact check follows
SAME_GROUP_CONTAINMENT = 0.8  # a match this close is a copy beyond doubt (for boilerplate counting)
# Other publishers' copies of one story run within this of each other (Detector.group_samples).
SAME_STORY_WINDOW = RESEND_WINDOW
# The stored articles a judgement needs the text of: a mapping, or a loader called with the ids.
Others = Mapping[str, "str | Article"] | Callable[[list[str]], Mapping[str, Article]]


def _all_shared(shared: int, size_a: int, size_b: int) -> bool:
    """Two texts with the same shingles, none left out on either side (a flash re-sent whole)."""
    return 0 < shared == size_a == size_b


def _publisher(source: str) -> str:
    return " ".join(source.casefold().split())


def _other_publisher(source: str, other: str) -> bool:
    """Both articles name their publisher, and not the same one."""
    source, other = _publisher(source), _publisher(other)
    return bool(source and other and source != other)


def _close_in_time(published: datetime | None, other: datetime | None) -> bool:
    """Published within SAME_STORY_WINDOW of each other, or not known to be further apart."""
    return published is None or other is None or abs(published - other) <= SAME_STORY_WINDOW


def _same_story_elsewhere(article: Article, other: Article | None) -> bool:
    """Is a weak match of `article` likely the same story run by another publisher under its own unlearned
    boilerplate (and not one publisher's, or one company's, boilerplate on another story)?"""
    if other is None or not _other_publisher(article.source, other.source):
        return False
    return _close_in_time(article.published, other.published)


# (URLs count as nothing in a store of scheme nd5, as markup does: service/text.py; an nd4 store reads them as words)
_NO_WORDS = (
    "contains no words to compare, only punctuation, spaces, symbols or emoji{urls} or HTML markup, none of which "
    "count as words (HTML is read as the text it shows: no tags, scripts, styles or comments)"
)


@dataclass(frozen=True)
class Prepared(PreparedArticle):
    """A prepared article that also keeps its shingle sequence (text order), for boilerplate labelling."""

    sequence: U32Array = field(default_factory=lambda: np.empty(0, dtype=np.uint32))


class _Screened(NamedTuple):
    """A candidate the screen kept (`Detector._screen`): its estimated overlap, the query's positions that are
    boilerplate for the pair, and whether the pair is a re-send (the overlap then exact)."""

    id: str
    overlap: Overlap
    pair_boilerplate: BoolArray
    resent: bool

    def match(self) -> Match:
        """The match the screen's overlap makes, where no text is read to make it exact."""
        return Match(self.id, self.overlap.jaccard, self.overlap.containment, self.overlap.relation())


@dataclass(slots=True)
class _Judging:
    """One `Detector.judge` call's query, read once for all the candidates whose texts are at hand."""

    article: Article
    labelled: Labelled
    tokens: Tokenised
    common: CommonLookup | None
    evidence: bool
    marks: dict[str, UpdateMark] = field(default_factory=dict)  # (the query's, read once, under "")


class Detector:
    def __init__(self, params: DetectionParams, max_body_bytes: int, passages: Sequence[str] | None = None) -> None:
        """`passages`: the operator's boilerplate (None: read from params.boilerplate_file now). A server reads
        the file once and gives every detector it makes the same passages: a fingerprint worker started again
        after one died must sign as the server does, whatever the file holds by then."""
        self.params = params
        self.reading = params.reading  # (read once: every article's tokens are found by it)
        self.max_body_bytes = max_body_bytes
        self.signatures = SignatureMaker(params.num_perm, params.seed)
        if passages is None:
            passages = operator_passages(params.boilerplate_file)
        self.operator = operator_shingles(passages, params.shingle_size, self.reading)
        self.recent = RecentTexts(params.shingle_size, self.reading)

    def prepare(self, article: Article) -> Prepared:
        """Validate an article and fingerprint it. Raises InvalidArgument naming the field, but for an id that
        may not name a new article (new_id_refusal): that is kept with it, and refused only if no article has
        the id (the writer's; a check takes it, as a lookup does)."""
        self._validate(article)
        sequence = self.sequence(article.body)
        fingerprint = self._fingerprint(article.body, sequence)
        return Prepared(article, fingerprint, sequence, new_id_refusal=new_id_refusal(article.id))

    def sequence(self, body: str) -> U32Array:
        """The body's shingle hashes in text order. Raises InvalidArgument if it has no words."""
        words = utf8_tokens(mask_headers(body), self.reading)
        if not words:
            raise InvalidArgument("article.body", _NO_WORDS.format(urls=", URLs" if self.reading.drops_urls else ""))
        return to_u32(shingle_sequence(utf8_word_hashes(words), self.params.shingle_size))

    def fingerprint(self, body: str) -> Fingerprint:
        return self._fingerprint(body, self.sequence(body))

    def _fingerprint(self, body: str, sequence: U32Array) -> Fingerprint:
        shingles = unique(sequence)
        return Fingerprint(shingles, self._signature(shingles, self.operator), body_digest(body))

    def _signature(self, shingles: U32Array, boilerplate: U32Array) -> U32Array:
        """MinHash of the content shingles (all of them if the text were only boilerplate)."""
        content = difference(shingles, boilerplate) if boilerplate.size else shingles
        return self.signatures.signature(content if content.size else shingles)

    # ---- boilerplate ---------------------------------------------------------------------------

    def labels(self, query: PreparedArticle, common: CommonLookup | None = None) -> Labelled:
        sequence = query.sequence if isinstance(query, Prepared) else self.sequence(query.article.body)
        shingles = query.fingerprint.shingles if isinstance(query, Prepared) else None
        return label(sequence, self.operator, common, shingles)

    def indexed_form(self, query: PreparedArticle, labelled: Labelled) -> PreparedArticle:
        """The article as the index should see it: signature over the content known now."""
        if not labelled.boilerplate.size:
            return query
        learned = difference(labelled.boilerplate, self.operator)
        if not learned.size:
            return query  # nothing learned beyond the operator list: the signature is already right
        shingles, signature = query.fingerprint.shingles, query.fingerprint.signature
        content = difference(shingles, labelled.boilerplate)
        if content.size:  # (the prepared signature is over all but the operator list's shingles)
            signature = self.signatures.without(signature, learned, content)
        else:
            signature = self._signature(shingles, labelled.boilerplate)
        return replace(query, fingerprint=replace(query.fingerprint, signature=signature))

    def remember(self, stored: PreparedArticle) -> None:
        """Keep a just-stored article's tokens at hand: its copies will be compared with it."""
        if isinstance(stored, Prepared):  # (its words are found only if a copy reaches exact verification)
            text = tokenised(stored.article.body, self.params.shingle_size, stored.sequence, reading=self.reading)
            self.recent.put(text)

    def group_samples(
        self,
        query: PreparedArticle,
        matches: Iterable[Match],
        candidates: Mapping[str, U32Array],
        weak: Mapping[str, Article] | None = None,
    ) -> U32Array:
        """Sampled shingles to count as seen in one more group.

        Only close matches (one text nearly inside the other) count as "the same group" here:
        before a publisher's boilerplate is learned it can make two of its stories match
        weakly, and counting them as one group would stop the boilerplate from ever being learned.
        A weaker match (`weak`: the stored articles of the `weak_matches`) with another publisher's
        article published within SAME_STORY_WINDOW counts too: boilerplate is a publisher's own, and a
        story other publishers run under their own unlearned appeals, tail cut, matches its original at
        0.5-0.8; counted apart, three such copies made the story's text boilerplate. Those copies run
        within hours or a day or two; a company's releases, each with the same long closing block and each
        seen through another republisher, come days or weeks apart: counted as one story, the block was
        never learned and all of the company's releases became one group.
        """
        close = [
            candidates[m.id]
            for m in matches
            if m.containment >= SAME_GROUP_CONTAINMENT or _same_story_elsewhere(query.article, (weak or {}).get(m.id))
        ]
        return new_group_samples(query.fingerprint.shingles, close)

    @staticmethod
    def weak_matches(matches: Iterable[Match]) -> list[str]:
        """The matches `group_samples` counts as another story unless they are the story run elsewhere."""
        return [m.id for m in matches if m.containment < SAME_GROUP_CONTAINMENT]

    # ---- verification --------------------------------------------------------------------------

    def judge(
        self,
        query: PreparedArticle,
        candidates: Mapping[str, U32Array],
        bodies: Others | None = None,
        *,
        common: CommonLookup | None = None,
        evidence: bool | None = None,
        labelled: Labelled | None = None,
    ) -> list[Match]:
        """Verify candidates and keep the republications.

        Scores are over content shingles (boilerplate removed). With the candidates'
        texts (`bodies`), the scores are exact (each text labelled), pairs that are two
        instances of one template are dropped and, if `evidence` (default: whenever bodies
        are given as a mapping), shared passages are returned. Without them, a stored text's
        boilerplate is estimated from its samples, and only a re-send's score is exact (the
        engine always passes the texts). Best matches first: by containment, then Jaccard, then id.
        """
        q = labelled or self.labels(query, common)
        candidates = self.shortlist(q, candidates)
        if evidence is None:
            evidence = bodies is not None and not callable(bodies)
        # With the texts at hand the final decision is exact, so the screen may be looser.
        screen = SCREEN_SHARE * self.params.min_containment if bodies is not None else self.params.min_containment
        screened = self._screened(q, candidates, common, screen)
        if not screened:
            return []
        others = _articles(bodies, [s.id for s in screened])
        judging = None
        if others:
            ta = tokenised(query.article.body, self.params.shingle_size, q.sequence, reading=self.reading)
            judging = _Judging(query.article, q, ta, common, evidence)
        matches = []
        for found in screened:
            other = others.get(found.id)
            if judging is not None and other is not None:
                match = self._verified(judging, found, other, candidates[found.id])
            else:  # (no text to read: the screen's estimate decides)
                match = found.match() if self._enough(found.overlap) else None
            if match is not None:
                matches.append(match)
        matches.sort(key=lambda m: (-m.containment, -m.jaccard, m.id))
        return matches

    def _screened(
        self, q: Labelled, candidates: Mapping[str, U32Array], common: CommonLookup | None, threshold: float
    ) -> list[_Screened]:
        """The candidates whose estimated content overlap may make them a match (`_screen`), in their order."""
        screened = []
        for cid, shingles in candidates.items():
            found = self._screen(q, shingles, common, threshold)
            if found is not None:
                screened.append(_Screened(cid, *found))
        return screened

    def _verified(self, j: _Judging, found: _Screened, other: Article, shingles: U32Array) -> Match | None:
        """The match a screened candidate is, read against its text: exact scores, the template and title rules,
        and its shared passages if evidence is asked for; None where it is no republication."""
        ov = found.overlap
        if self._titled_apart(j.article, j.tokens, other, found.resent):
            return None  # (a re-send too: such notices are identical whoever they are of)
        if found.resent and not j.evidence and _long(j.labelled):
            return found.match() if self._enough(ov) else None  # (a long re-send's text need not be read)
        # A re-send (near-identical shingle sets, boilerplate and all) needs no relabelling. Any other overlap is an
        # estimate until the stored text is labelled too: its boilerplate, counted from samples, can be over by more
        # than its unshared content (it made an excerpt of half a release "identical").
        tb = self.recent.get(other.body)
        if not found.resent:
            lb = label(tb.sequence, self.operator, j.common, shingles)
            ov = self._exact(j.labelled, found.pair_boilerplate, lb)
            if self._enough(ov) and not self._rests_outside_quotations(
                ov, j.tokens, tb, j.labelled, found.pair_boilerplate, lb
            ):
                return None
        if not self._enough(ov):
            return None
        if self._other_article(j.article, j.tokens, other, tb, found.resent, j.marks):
            return None
        shared = passages(shared_runs(j.tokens, tb), j.tokens, tb, found.pair_boilerplate) if j.evidence else ()
        return Match(found.id, ov.jaccard, ov.containment, ov.relation(), shared)

    @staticmethod
    def _other_article(
        query: Article, ta: Tokenised, other: Article, tb: Tokenised, resent: bool, marks: dict[str, UpdateMark]
    ) -> bool:
        """Are two overlapping texts different articles from one template? A re-send is held to the opening-name
        rule alone (templates.resent_apart), whether or not evidence is asked for: the same pair must get the
        same verdict with its passages as without them. Whether the later text corrects or updates the earlier
        (notes.updates, notes.corrects) is read only where both publication times are known, each body's
        notes once (`_mark`: a stored text's while its tokens are kept) and the query's mark once per judge
        (`marks`, under ""): a short item's opening name respelt is a correction only under the later text's
        correction note or prefix, a marked text's changed figures are no template's, and a text marked however
        late (notes.noted) is no daily item's next issue by its time alone, nor another snapshot of a series
        by its title's time (titles.snapshots_apart)."""
        updated = corrected = marked = False
        if query.published and other.published and query.published != other.published:
            if "" not in marks:
                marks[""] = _mark(query.title, ta)
            mark_a, mark_b = marks[""], _mark(other.title, tb)
            updated = updates(mark_a, mark_b, query.published, other.published)
            corrected = updated and corrects(mark_a, mark_b, query.published, other.published)
            marked = noted(mark_a, mark_b, query.published, other.published)  # (updated or not, however late)
        if resent:
            return resent_apart(ta, tb, corrected)
        if not marked and snapshots_apart(query.title, other.title, query.published, other.published):
            return True
        d = differences(ta, tb, edge_names=updated)
        return other_instance(d, query.published, other.published, updated, corrected, marked)

    def _titled_apart(self, query: Article, ta: Tokenised, other: Article, resent: bool) -> bool:
        """titles.sessions_apart, of titles, for texts that are no re-send (`resent`: raw Jaccard 0.9 or more);
        then titles.titled_apart and titles.renamed_apart, the other text read only for a short (or, for the
        latter, medium-length) titled query."""
        if not (query.title and other.title):
            return False
        if not resent and sessions_apart(query.title, other.title, self.reading):
            return True
        if ta.count > MEDIUM_ITEM_TOKENS:
            return False
        tb = self.recent.get(other.body)
        if ta.count <= SHORT_ITEM_TOKENS and titled_apart(query.title, ta, other.title, tb):
            return True
        return renamed_apart(query.title, ta, other.title, tb)

    def shortlist(self, q: Labelled, candidates: Mapping[str, U32Array]) -> Mapping[str, U32Array]:
        """The `max_candidates` candidates sharing the most content shingles with the query (ties: the
        closest in size first, then by id: an exact copy is never ranked below longer versions, nor, where the
        ranking counts a sample, below copies a few words shorter).

        One vectorised count over all of them, so a story stored in thousands of copies costs a
        few µs per copy here instead of a full verification each. A long query is compared on its
        1-in-8 sampled shingles (hash-based, so the same ones in every text): plenty to rank by."""
        limit = self.params.max_candidates
        if len(candidates) <= limit:
            return candidates
        content = difference(q.shingles, q.boilerplate) if q.boilerplate.size else q.shingles
        ids = sorted(candidates)
        arrays = [candidates[i] for i in ids]
        values = np.concatenate(arrays)
        starts = np.concatenate(([0], np.cumsum([len(a) for a in arrays[:-1]], dtype=np.int64)))
        found = np.zeros(values.size, dtype=np.int32)
        if content.size >= SHORTLIST_SAMPLED_FROM:
            sampled = is_sampled(values)
            found[sampled] = members(values[sampled], content)
        else:
            found[:] = members(values, content)
        shared = np.add.reduceat(found, starts)  # per candidate (none is empty: every text has a shingle)
        sizes = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
        apart = np.abs(sizes - q.shingles.size)
        best = np.lexsort((apart, -shared))[:limit]  # (lexsort is stable: equal keys stay in id order)
        return {ids[i]: arrays[i] for i in best.tolist()}

    def _enough(self, ov: Overlap) -> bool:
        """Shares enough content to be a republication: at least min_shared_shingles (a few common phrases
        never make one), or all of it, both sides (a flash of a dozen words re-sent whole)."""
        whole = _all_shared(ov.shared, ov.size_a, ov.size_b)
        return (ov.shared >= self.params.min_shared_shingles or whole) and ov.containment >= self.params.min_containment

    def _screen(
        self, q: Labelled, other: U32Array, common: CommonLookup | None, threshold: float
    ) -> tuple[Overlap, BoolArray, bool] | None:
        """Content overlap with a stored shingle set (its boilerplate estimated), if it may be a match; the
        positions of the query that are boilerplate for the pair; and whether the pair is a re-send (raw
        overlap identical: the overlap is then exact, not an estimate)."""
        floor = self.params.min_shared_shingles
        shared = np.intersect1d(q.shingles, other, assume_unique=True)
        if shared.size < floor and not _all_shared(int(shared.size), int(q.shingles.size), int(other.size)):
            return None  # (a flash too short for the floor matches only as its whole re-sent: `_enough`)
        raw = Overlap(int(q.shingles.size), int(other.size), int(shared.size))
        if raw.jaccard >= IDENTICAL_JACCARD:  # a re-send: identical, even if all of it is template
            return raw, np.zeros(q.sequence.size, dtype=np.bool_), True
        if q.boilerplate.size:  # cheap first cut with the query's own labels; the pair's can only remove more
            known = int(members(shared, q.boilerplate).sum())
            if shared.size - known < floor:
                return None
        pair_bp = shared_boilerplate(q, other)
        bp = unique(q.sequence[pair_bp])
        content_shared = int(shared.size) - (int(members(shared, bp).sum()) if bp.size else 0)
        if content_shared < floor:
            return None
        other_bp = estimated_boilerplate(other, q, self.operator, common)
        ov = Overlap(int(q.shingles.size - bp.size), max(int(other.size) - other_bp, content_shared), content_shared)
        return (ov, pair_bp, False) if ov.containment >= threshold else None

    @staticmethod
    def _exact(q: Labelled, pair_bp: BoolArray, other: Labelled) -> Overlap:
        """Content overlap once the other text is labelled too."""
        bp_a = unique(q.sequence[pair_bp])
        shared = np.intersect1d(q.shingles, other.shingles, assume_unique=True)
        bp_shared = shared[members(shared, bp_a) | members(shared, other.boilerplate)]
        bp_a_all = union(bp_a, bp_shared)
        bp_b_all = union(other.boilerplate, bp_shared)
        content_shared = int(shared.size - bp_shared.size)
        return Overlap(int(q.shingles.size - bp_a_all.size), int(other.shingles.size - bp_b_all.size), content_shared)

    def _rests_outside_quotations(
        self, ov: Overlap, ta: Tokenised, tb: Tokenised, q: Labelled, pair_bp: BoolArray, other: Labelled
    ) -> bool:
        """Do the two texts of a match (`ov`: exact, both labelled) share enough outside what both carry only
        inside quotations (a judgment, a statement, a speech both quote, with the clauses that attribute them:
        quotations.py)? The quoted words are what two outlets both report someone saying, not one outlet's
        reporting copied by the other, so a match must rest on shared text outside them: at least
        min_shared_shingles content shingles, the floor every match must reach (a few common phrases beside a
        shared quotation never make a republication, as a few common phrases alone never do). A true copy shares
        its reporting too, and keeps its match and its scores, which count the quotations it copied. (A rule on
        the containment outside quotations instead lost excerpts that share most of their reporting but carry
        their own boilerplate not yet learned: see docs/quality.md. So did one on a tenth of it, tried in 0.7.11's
        making: a speech printed whole under a sentence of introduction, copied onto a page of furniture not
        learned yet.)

        Not asked of a pair where either text carries fewer content shingles outside quotations than that
        floor: a text that is all quotation has nothing else to be judged by, and is judged as text. (Nor where
        either carries under a fifth of its content there, tried in 0.7.11's making: a brief of one sentence of
        its own and the statements another outlet's report quoted matched that report.)"""
        if not (has_quotation_marks(ta.body) and has_quotation_marks(tb.body)):
            return True
        qa, floor = ta.quoted, self.params.min_shared_shingles
        both = qa.inside[members(qa.inside, other.shingles)]
        if ov.shared - int(both.size) >= floor:  # (most copies: enough even if the other quoted all of `both` too)
            return True
        qb = tb.quoted
        both = both[members(both, qb.inside)]
        boilerplate = union(unique(q.sequence[pair_bp]), other.boilerplate)  # (out of `ov` already)
        both = difference(both, boilerplate)
        outside = min(difference(qa.outside, boilerplate).size, difference(qb.outside, boilerplate).size)
        return outside < floor or ov.shared - int(both.size) >= floor

    def _validate(self, article: Article) -> None:
        check_id("article.id", article.id)
        check_length("article.title", article.title, MAX_FIELD_BYTES)
        check_length("article.source", article.source, MAX_FIELD_BYTES)
        check_length("article.url", article.url, MAX_FIELD_BYTES)
        if not article.body:
            raise InvalidArgument("article.body", "is required and must not be empty")
        if article.body.isspace():  # (it was "must not be empty" too, though it was not: a person looks for no text)
            raise InvalidArgument("article.body", "holds only spaces and line breaks: there are no words to compare")
        size = len(article.body.encode())
        if size > self.max_body_bytes:
            raise InvalidArgument(
                "article.body",
                f"is {size:,} bytes, over the server's limit of {self.max_body_bytes:,} bytes (--max-body-bytes)",
            )


def check_id(field: str, article_id: str) -> None:
    """An id must be given and fit MAX_ID_BYTES; raises InvalidArgument naming `field`."""
    if not article_id:
        raise InvalidArgument(field, "is required (the caller's key for the article)")
    if len(article_id.encode()) > MAX_ID_BYTES:
        raise InvalidArgument(field, f"is longer than {MAX_ID_BYTES} bytes, so no article can have it")


_QUOTED_ID_CHARS = 64  # of a refused id, quoted in the refusal: enough to find it by


def new_id_refusal(article_id: str) -> str | None:
    """Why `article_id` (one check_id accepts) may not name a new article, as the message of an InvalidArgument
    for article.id; None if it may. Refused: an id a pipeline would not mean to send: blank, with a space at
    either end, or with a character that prints as nothing or as another ("a1\\n" read with its newline, a
    zero-width space, a no-break space), or not in Unicode NFC (id_characters). Such an id looks like another in
    every log and listing, so the two would be stored apart.

    Only a new id is refused: an article stored before these rules under one stays reachable by lookups, and is
    re-sent (a re-run of an ingest file) and corrected as before."""
    if not article_id.strip():
        return "is only spaces or line ends; give the caller's key for the article"
    problem = id_character_problem(article_id)
    if problem is not None:
        return f"{problem} (the id: {_quoted(article_id)})"
    if article_id != article_id.strip():
        return f"begins or ends with a space; strip it before sending (the id: {_quoted(article_id)})"
    return None


def _quoted(article_id: str) -> str:
    """The id for a refusal, after its reason, and no more of it than _QUOTED_ID_CHARS: quoted whole, an id of
    512 control characters (each 4 escaped) filled the status message, which is clipped, reason and all."""
    if len(article_id) <= _QUOTED_ID_CHARS:
        return shown(article_id)
    return f"{shown(article_id[:_QUOTED_ID_CHARS])}… ({len(article_id):,} characters)"


def check_length(field: str, text: str, limit: int) -> None:
    """Raise InvalidArgument naming `field` if `text` is over `limit` bytes in UTF-8."""
    if 4 * len(text) <= limit:  # (at most 4 bytes a character: no need to encode)
        return
    size = len(text.encode())
    if size > limit:
        raise InvalidArgument(field, f"is {size:,} bytes, over the {limit:,} bytes it may have")


def body_digest(body: str) -> bytes:
    return xxhash.xxh3_128_digest(body.encode())


def operator_passages(path: str) -> list[str]:
    """The passages of --boilerplate-file `path` (none for ""); ValueError naming the flag if it cannot be read."""
    if not path:
        return []
    try:
        return read_passages(Path(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"--boilerplate-file {path}: cannot read it ({exc})") from exc


def _mark(title: str, t: Tokenised) -> UpdateMark:
    """notes.update_mark of `title` over `t`'s body, its body's part (notes.body_mark, ≈25 µs a news text,
    up to ≈2 ms one whose edges are full of a note's words) read once and kept with `t` (`Tokenised.body_mark`),
    its title's (notes.titled_mark, ≈3 µs) read on every call: a stored text's tokens are kept in RecentTexts
    and it is judged against each of its copies, under whatever title, however long. Kept by the text itself, not
    by an id: an article replaced (another body) is another text; a text dropped from RecentTexts, as a deleted
    article's ages out, drops its mark with it. (A body with no note or prefix keeps one shared empty mark; one
    with notes keeps them, at most a few times its edges' characters. RecentTexts counts a text's body characters
    only, not its mark: the mark stays within a small multiple of what is counted.)"""
    found = t.body_mark
    if found is None:
        found = t.body_mark = body_mark(t.body)  # (two threads may both read it: same result)
    return titled_mark(title, found)


def _long(q: Labelled) -> bool:
    """Is the query so long that a re-send of it is long too, so that its stored text need not be read without
    evidence? A re-send is held only to the opening-name rule of short items (templates.resent_apart), and its
    shingle set is within a tenth of the query's: twice a short item's length leaves a wide margin (the query's
    tokens outnumber its distinct shingles, and so do the stored text's)."""
    return int(q.shingles.size) >= 2 * SHORT_ITEM_TOKENS


def _articles(bodies: Others | None, ids: list[str]) -> Mapping[str, Article]:
    if bodies is None:
        return {}
    found = bodies(ids) if callable(bodies) else bodies
    return {k: v if isinstance(v, Article) else Article(k, v) for k, v in found.items() if k in ids}
