"""Which of the groups an article matches it joins: the story of its strongest match, not every story it holds.

An article's matches may lie in several groups. Copies of one story can be stored apart (a lead excerpt and a
copy with a long tail of its own that do not match each other), and an article that holds that story joins them
together. But a roundup holding two stories whole, or a long report that part 1 and part 2 were cut from,
matches both stories too, and merging their groups made them one story for good: every later copy of the second
story answered the first's original as its `duplicate_of`.

The article joins its strongest match's group (the matches' order: service/detector.py, `judge`), and a group
besides it only when the two are one story:

- the text the article shares with one overlaps the text it shares with the other by at least
  SAME_STORY_OVERLAP of the smaller of the two (`same_story`): copies of one story share the same part of the
  article, two stories different parts. What the article shares with a group is what it shares with the group's
  members it matches that the group's original holds too (the group's story: a roundup that joined the group of
  one of its stories holds another story besides, which a copy of that other story must not join to the group),
  without the article's operator and learned boilerplate (an appeal pasted on two stories is not a story they
  share);
- or the article is the group's original: it is published before the group's original and shares at least
  `min_shared_shingles` with it (counted as above), whatever the times of its other groups. Excerpts of its
  opening and of its end, stored before it arrived, share nothing of it with each other but join it; a roundup,
  or a report put together from earlier parts, is published after them; and an article published before a
  group it matches only through a roundup of its story and another, sharing none of that group's story, is not
  that group's original.

When the article is the original of its strongest match's group, the group it is a copy of is the first of its
other matches' groups it shares that much with (a story's update, arriving after a later excerpt of its end:
the original of the excerpt, a copy of the story's first version).
Known limit: a group's story is what its current original holds; if that original is deleted and a roundup that
joined the group takes its place, the roundup's other story is the group's too (docs/quality.md).
"""

from __future__ import annotations

from collections.abc import Sequence, Set

from service.model import U32Array
from service.sets import intersection, union

# Two of an article's shares are one story when this much of the smaller lies in the other. Two stories share
# next to nothing but boilerplate not learned yet (an appeal of 111 words pasted on two stories of 280: 0.28 of
# the smaller, with the story); two excerpts of one story that overlap too little to match each other share a
# run of its paragraphs (the dev set's, stored apart: 0.24-0.41 and more). Half of the smaller (without
# publication times) left 55 pairs of the dev set's stories in other groups, a third 36 (docs/quality.md).
SAME_STORY_OVERLAP = 1 / 3


def story_roots(
    shared: Sequence[tuple[str, U32Array]], earlier_than: Set[str] = frozenset(), min_shared: int = 1
) -> set[str]:
    """The groups an article joins. `shared`: for each of its matches, best first, the group the match is in (its
    root) and what the article shares with it there (sorted shingles: the module's docstring); `earlier_than`:
    the groups whose originals the article is published before; `min_shared`: the shingles it shares with such a
    group that make it the group's original (DetectionParams.min_shared_shingles, the floor of a match).
    The groups it is the original of; the group it is a copy of: its strongest match's, or if it is the original
    of that one, the first group of its other matches it shares that much with; and step by step the groups that
    are one story with a group joined (a lead excerpt and a closing excerpt of a story, stored apart, join through
    a copy of the whole story stored beside them)."""
    if not shared:
        return set()
    shares: dict[str, U32Array] = {}
    for root, share in shared:
        shares[root] = union(shares[root], share) if root in shares else share
    own = [root for root in shares if root in earlier_than and shares[root].size >= min_shared]
    first = shared[0][0]
    if first in own:  # (a story's first version, stored before its update that a later excerpt matches first)
        first = next((root for root in shares if root not in own and shares[root].size >= min_shared), first)
    joined = [first] + [root for root in own if root != first]
    others = [root for root in shares if root not in joined]
    while others:
        found = next((r for r in others if any(same_story(shares[r], shares[j]) for j in joined)), None)
        if found is None:
            break
        joined.append(found)
        others.remove(found)
    return set(joined)


def same_story(a: U32Array, b: U32Array) -> bool:
    """Do two of an article's shares (sorted unique shingles) overlap by SAME_STORY_OVERLAP of the smaller?"""
    smaller = min(a.size, b.size)
    return bool(smaller) and intersection(a, b).size >= SAME_STORY_OVERLAP * smaller
