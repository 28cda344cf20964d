"""Which of the groups an article matches it joins (service/stories.py)."""

from __future__ import annotations

import numpy as np

from service.stories import SAME_STORY_OVERLAP, same_story, story_roots


def shingles(start: int, stop: int) -> np.ndarray:
    return np.arange(start, stop, dtype=np.uint32)


def test_one_group_or_none() -> None:
    assert story_roots([]) == set()
    assert story_roots([("a", shingles(0, 10)), ("a", shingles(50, 60))]) == {"a"}


def test_two_stories_an_article_holds_side_by_side_stay_apart_and_it_joins_its_strongest_matchs() -> None:
    roundup = [("harbour", shingles(0, 100)), ("library", shingles(100, 180))]
    assert story_roots(roundup) == {"harbour"}
    assert story_roots(roundup[::-1]) == {"library"}


def test_groups_the_article_shares_the_same_text_with_are_one_story() -> None:
    # A lead excerpt inside a copy of the whole story, stored apart: what the article shares with each overlaps.
    assert story_roots([("whole", shingles(0, 100)), ("lead", shingles(0, 45))]) == {"whole", "lead"}


def test_a_group_joins_through_any_group_joined_before_it() -> None:
    # The closing excerpt shares nothing with the opening one, but much with the middle copy joined through it.
    shared = [("opening", shingles(0, 40)), ("closing", shingles(60, 100)), ("middle", shingles(20, 80))]
    assert story_roots(shared) == {"opening", "closing", "middle"}


def test_a_groups_share_is_all_the_article_shares_with_its_members() -> None:
    shared = [("a", shingles(0, 30)), ("b", shingles(40, 60)), ("a", shingles(30, 50))]
    assert story_roots(shared) == {"a", "b"}


def test_groups_the_article_is_the_original_of_join_whatever_the_times_of_the_others() -> None:
    parts = [("opening", shingles(0, 50)), ("closing", shingles(50, 100)), ("other", shingles(200, 250))]
    assert story_roots(parts, {"opening", "closing", "other"}, 8) == {"opening", "closing", "other"}
    assert story_roots(parts, {"closing", "other"}, 8) == {"opening", "closing", "other"}
    # Its strongest match's group is its own: it joins the group it is a copy of too (a known limit when that is
    # another story: docs/quality.md).
    assert story_roots(parts, {"opening", "closing"}, 8) == {"opening", "closing", "other"}
    assert story_roots(parts, set(), 8) == {"opening"}  # (a compilation of earlier parts)


def test_a_group_the_article_shares_too_little_with_is_not_its_own_though_published_after_it() -> None:
    # It precedes the roundup's group, but shares nothing of that group's story (the roundup's other story).
    shared = [("lead", shingles(0, 50)), ("roundup", shingles(0, 0))]
    assert story_roots(shared, {"lead", "roundup"}, 8) == {"lead"}
    assert story_roots([("lead", shingles(0, 50)), ("roundup", shingles(60, 67))], {"lead", "roundup"}, 8) == {"lead"}


def test_an_article_that_is_its_strongest_matchs_original_joins_the_story_it_is_a_copy_of() -> None:
    # An update: the original of an excerpt of its end (its strongest match), a copy of its first version.
    shared = [("tail", shingles(100, 200)), ("first", shingles(0, 60))]
    assert story_roots(shared, {"tail"}, 8) == {"tail", "first"}
    assert story_roots([("tail", shingles(100, 200)), ("first", shingles(0, 5))], {"tail"}, 8) == {"tail"}


def test_same_story_is_an_overlap_of_a_share_of_the_smaller() -> None:
    smaller = shingles(0, 30)
    overlap = int(np.ceil(SAME_STORY_OVERLAP * 30))
    assert same_story(smaller, shingles(30 - overlap, 200)) and same_story(shingles(30 - overlap, 200), smaller)
    assert not same_story(smaller, shingles(31 - overlap, 200))
    assert not same_story(smaller, shingles(0, 0))
