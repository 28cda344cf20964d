"""Group listing pages: sizes, and tokens that say where the last page ended."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service import paging
from service.errors import InvalidArgument

keys = st.tuples(st.booleans(), st.integers(-(2**62), 2**62), st.integers(0, 2**62))


@pytest.mark.parametrize(("requested", "size"), [(0, 100), (1, 1), (250, 250), (1000, 1000), (10**9, 1000)])
def test_a_page_holds_the_size_asked_for_up_to_the_maximum(requested: int, size: int) -> None:
    assert paging.page_size(requested) == size


def test_a_negative_page_size_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidArgument, match="page_size: is -1; it must be 0") as err:
        paging.page_size(-1)
    assert err.value.field == "page_size"


@given(key=keys, article_id=st.text(min_size=1, max_size=40))
def test_a_token_gives_back_the_key_it_was_made_from_for_the_same_id(
    key: tuple[bool, int, int], article_id: str
) -> None:
    token = paging.token_after(article_id, key)
    assert paging.key_from(token, article_id) == key
    with pytest.raises(InvalidArgument, match="page_token"):
        paging.key_from(token, article_id + "x")


def test_no_token_is_the_first_page() -> None:
    assert paging.key_from("", "any") is None


def test_a_token_made_up_with_numbers_no_store_can_hold_is_refused() -> None:
    token = paging.token_after("wire", (False, 2**63, 1))  # (a server never makes one: published is int64 µs)
    with pytest.raises(InvalidArgument, match="page_token"):
        paging.key_from(token, "wire")


@given(token=st.text(min_size=1, max_size=80))
def test_any_other_text_is_refused_as_a_page_token(token: str) -> None:
    with pytest.raises(InvalidArgument, match="page_token: is not a token this server gave") as err:
        paging.key_from(token, "wire")
    assert err.value.field == "page_token"
