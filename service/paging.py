"""Pages of a group listing: page sizes, and the tokens that carry where a page ended.

A token holds the order key (service/storage.py, `order_key`) of the last member listed, so the next
page starts after it whatever was stored or deleted meanwhile, and a digest of the article id the
listing was asked for, so a token sent with another id is refused instead of silently applied to
another group. It is opaque to callers: base64 of text, not a promise of its format.
"""

from __future__ import annotations

import base64
import binascii

import xxhash

from service.errors import InvalidArgument
from service.storage import OrderKey

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_VERSION = "g1"
_BAD_TOKEN = (
    "is not a token this server gave for a listing of this id: send the previous response's next_page_token "
    "with the same id, or no token for the first page"
)


def page_size(requested: int) -> int:
    """The members to list: the default for 0, at most MAX_PAGE_SIZE (larger requests are not refused)."""
    if requested < 0:
        raise InvalidArgument("page_size", f"is {requested}; it must be 0 (the default, {DEFAULT_PAGE_SIZE}) or more")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def token_after(article_id: str, key: OrderKey) -> str:
    """The token for the page after the member whose order key is `key`."""
    undated, published, seq = key
    text = f"{_VERSION}:{int(undated)}:{published}:{seq}:{_digest(article_id)}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def key_from(token: str, article_id: str) -> OrderKey | None:
    """Where the page asked for starts (after this key); None for the first page. Raises InvalidArgument."""
    if not token:
        return None
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        version, undated, published, seq, digest = text.split(":")
        key = (bool(int(undated)), int(published), int(seq))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidArgument("page_token", _BAD_TOKEN) from None
    in_range = all(-(2**63) <= value < 2**63 for value in key[1:])  # (what a store can compare them with)
    if version != _VERSION or digest != _digest(article_id) or undated not in ("0", "1") or not in_range:
        raise InvalidArgument("page_token", _BAD_TOKEN)
    return key


def _digest(article_id: str) -> str:
    return xxhash.xxh64_hexdigest(article_id.encode())
