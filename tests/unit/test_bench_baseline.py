"""--compare's in-process runs do what the server was asked: a check is queried and not stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from benchmarks import baseline, corpus
from client import Article


@pytest.mark.parametrize("run", [baseline.datasketch_recipe, baseline.neardup_core], ids=["recipe", "core"])
def test_the_in_process_runs_store_no_check_and_query_an_index_built_beforehand(run: Callable[..., Any]) -> None:
    story = corpus.generated(1)[0]
    copy = Article(id="copy", body=story.body + " Read more at our website.")
    assert run([story, copy]).matched == 1  # indexed: the copy finds the story
    assert run([story, copy], checks={story.id, copy.id}).matched == 0  # checked: nothing was stored
    assert run([copy], checks={copy.id}, indexed=[story]).matched == 1  # (the story held before the clock)
