"""In-memory LSH band index over MinHash signatures (datasketch MinHashLSH)."""

from __future__ import annotations

from collections.abc import Iterable

from datasketch import MinHashLSH

from service.minhash import SignatureMaker
from service.model import U32Array
from service.settings import DetectionParams


class BandIndex:
    """Finds articles whose signatures agree with a query on at least one whole band."""

    def __init__(self, params: DetectionParams) -> None:
        self._maker = SignatureMaker(params.num_perm, params.seed)
        self._lsh = MinHashLSH(num_perm=params.num_perm, params=(params.lsh_bands, params.lsh_rows))

    def insert(self, key: str, signature: U32Array) -> None:
        self._lsh.insert(key, self._maker.lean(signature), check_duplication=False)

    def insert_many(self, items: Iterable[tuple[str, U32Array]]) -> None:
        with self._lsh.insertion_session() as session:
            for key, signature in items:
                session.insert(key, self._maker.lean(signature), check_duplication=False)

    def remove(self, key: str) -> None:
        if key in self._lsh:
            self._lsh.remove(key)

    def query(self, signature: U32Array) -> set[str]:
        return set(self._lsh.query(self._maker.lean(signature)))

    def __len__(self) -> int:
        return len(self._lsh.keys)
