"""A gRPC server of neardup's service that exits (os._exit) as soon as a write call reaches it: the connection is lost
once the call was sent, as when `neardup serve` is killed mid-call. Its port is printed on its first line. Run by
tests/integration/test_client_lost_mid_call.py; `delete_many` calls before the `--die-at` one are answered."""

from __future__ import annotations

import argparse
import os
import threading
from concurrent import futures
from typing import Any

import grpc
from neardup.v1 import neardup_pb2 as pb
from neardup.v1 import neardup_pb2_grpc as pb_grpc


class _Dying(pb_grpc.NearDuplicateServiceServicer):
    def __init__(self, die_at: int) -> None:
        self._calls, self._die_at = 0, die_at

    def IndexArticle(self, request: pb.IndexArticleRequest, context: Any) -> pb.IndexArticleResponse:
        os._exit(3)

    def DeleteArticle(self, request: pb.DeleteArticleRequest, context: Any) -> pb.DeleteArticleResponse:
        os._exit(3)

    def DeleteArticles(self, request: pb.DeleteArticlesRequest, context: Any) -> pb.DeleteArticlesResponse:
        self._calls += 1
        if self._calls >= self._die_at:
            os._exit(3)
        deleted = [pb.DeletedArticle(id=i, outcome=pb.DELETE_OUTCOME_DELETED) for i in request.ids]
        return pb.DeleteArticlesResponse(results=deleted)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--die-at", type=int, default=1)
    server = grpc.server(futures.ThreadPoolExecutor(4))
    pb_grpc.add_NearDuplicateServiceServicer_to_server(_Dying(parser.parse_args().die_at), server)  # type: ignore[abstract]
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    threading.Event().wait(120)  # (bounded: a test that forgets it leaves nothing running for long)
    os._exit(0)


if __name__ == "__main__":
    main()
