"""Typed Python client for the neardup gRPC service.

from client import Article, NeardupClient

with NeardupClient("127.0.0.1:50051") as nd:
    verdict = nd.index(Article(id="a1", body="Harbour officials approved a plan to double the container terminal."))
    print(verdict.duplicate_of, [(m.id, m.containment) for m in verdict.matches])
"""

from client.api import (
    Article,
    ArticleFailure,
    Deletion,
    GroupMember,
    GroupPage,
    IndexOutcome,
    IndexParameters,
    Match,
    NeardupClient,
    OnRetry,
    Passage,
    Relation,
    Stats,
    StoredArticle,
    Verdict,
)
from client.errors import (
    ClientClosedError,
    DataLossError,
    DeadlineExceededError,
    FailedPreconditionError,
    InvalidArgumentError,
    NeardupClientError,
    NotFoundError,
    ResourceExhaustedError,
    StreamEndedEarlyError,
    UnauthenticatedError,
    UnavailableError,
)
from client.resume import Retry

__all__ = [
    "Article",
    "ArticleFailure",
    "ClientClosedError",
    "DataLossError",
    "DeadlineExceededError",
    "Deletion",
    "FailedPreconditionError",
    "GroupMember",
    "GroupPage",
    "IndexOutcome",
    "IndexParameters",
    "InvalidArgumentError",
    "Match",
    "NeardupClient",
    "NeardupClientError",
    "NotFoundError",
    "OnRetry",
    "Passage",
    "Relation",
    "ResourceExhaustedError",
    "Retry",
    "Stats",
    "StoredArticle",
    "StreamEndedEarlyError",
    "UnauthenticatedError",
    "UnavailableError",
    "Verdict",
]
