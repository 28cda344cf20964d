"""What a refused write means for the call (engine.py `_told`): a refusal a retry may mend says to send the call
again; one only an operator can mend (NeedsOperator) says what was not done, and leaves what to do to its own
message."""

from __future__ import annotations

from service.engine import _DELETE_MEANINGS, _INDEX_MEANINGS, _purge_cut, _told
from service.errors import FullMidCommit, StoreFileGone, StoreFull, Unavailable
from service.redis_store import AclCutScript, UrlRefused


def test_a_refusal_a_retry_may_mend_says_to_send_the_call_again() -> None:
    lapsed = Unavailable("the lease lapsed")
    assert (
        str(_told(lapsed, _INDEX_MEANINGS))
        == "the lease lapsed: nothing of the batch was stored: send the articles again"
    )
    assert (
        str(_told(lapsed, _DELETE_MEANINGS)) == "the lease lapsed: the article was not deleted: send the delete again"
    )
    assert (
        str(_told(lapsed, _purge_cut(0, 5)))
        == "the lease lapsed: none of the ids named was deleted: send the call again"
    )
    assert str(_told(lapsed, _purge_cut(3, 5))) == (
        "the lease lapsed: 3 of the 5 distinct ids named were dealt with before it (those stored are deleted); the "
        "rest were not deleted: sent again, the call answers NOT_FOUND for every id deleted and deletes the rest"
    )


def test_a_refusal_only_an_operator_can_mend_says_what_was_not_done_and_not_to_send_it_again() -> None:
    for refusal in (StoreFileGone("restore the file"), UrlRefused("fix --redis-url")):
        said = str(refusal)
        told = _told(refusal, _INDEX_MEANINGS)
        assert type(told) is type(refusal) and str(told) == f"{said}: nothing of the batch was stored"
        assert str(_told(refusal, _DELETE_MEANINGS)) == f"{said}: the article was not deleted"
        assert str(_told(refusal, _purge_cut(0, 5))) == f"{said}: none of the ids named was deleted"
        assert str(_told(refusal, _purge_cut(3, 5))) == (
            f"{said}: 3 of the 5 distinct ids named were dealt with before it (those stored are deleted); the rest "
            "were not deleted"
        )


def test_an_acl_refusal_inside_a_script_says_the_write_may_be_partly_done() -> None:
    # (Redis undoes none of the commands a script ran before the refused one: a record stored without its group's
    # entries was answered "nothing of the batch was stored")
    refusal = AclCutScript("give the user the ACL docs/redis.md lists")
    assert str(_told(refusal, _INDEX_MEANINGS)).startswith(f"{refusal}: the articles may or may not be stored")
    assert str(_told(refusal, _DELETE_MEANINGS)).startswith(f"{refusal}: the article may or may not be deleted")


def test_a_full_store_says_what_its_refusal_means_for_the_call_it_refused() -> None:
    # (The stores said "then send the articles again" themselves: to a DeleteArticle too.)
    full = StoreFull("out of memory. Raise its maxmemory")
    told = _told(full, _DELETE_MEANINGS)
    assert type(told) is StoreFull and str(told) == f"{full}: the article was not deleted: send the delete again"
    assert str(_told(full, _INDEX_MEANINGS)) == f"{full}: nothing of the batch was stored: send the articles again"
    assert str(_told(full, _purge_cut(0, 5))) == f"{full}: none of the ids named was deleted: send the call again"
    mid_commit = FullMidCommit("the disk is full. Free space there")
    assert type(_told(mid_commit, _INDEX_MEANINGS)) is FullMidCommit
    assert str(_told(mid_commit, _INDEX_MEANINGS)).startswith(f"{mid_commit}: the articles may or may not be stored")
    assert str(_told(mid_commit, _DELETE_MEANINGS)).startswith(f"{mid_commit}: the article may or may not be deleted")
    assert str(_told(mid_commit, _purge_cut(3, 5))).startswith(
        f"{mid_commit}: 3 of the 5 distinct ids named were dealt with before it (those stored are deleted); its own "
        "ids (up to 100) may or may not be deleted"
    )


def test_an_acl_refusal_inside_a_script_says_to_send_the_call_again_only_once_the_acl_is_mended() -> None:
    # (it said "send them again" unqualified, as a commit unanswered does: sent again, the call is refused until the
    # ACL is mended)
    refusal = AclCutScript("give the user the ACL docs/redis.md lists")
    for meanings in (_INDEX_MEANINGS, _DELETE_MEANINGS, _purge_cut(3, 5)):
        assert str(_told(refusal, meanings)) == (
            f"{refusal}: {meanings.unsure}, but only once the operator has done as this says (sent before, it is "
            "refused again)"
        )
