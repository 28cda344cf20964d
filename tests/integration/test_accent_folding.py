"""A copy sent without its accents (a legacy ASCII feed's) over real gRPC: found in a new store (scheme nd5), and a
store of the earlier scheme nd4 started by this version read as it was written, in the server and its workers."""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path

import pytest

from client import Article
from service.settings import FINGERPRINT_SCHEME, ND4_SCHEME, DetectionParams
from tests.support import in_process_server

# A French story written for these tests, dense with accents, a cedilla and a ligature ("cœur").
HOSPITALS = """\
LYON (Agence) - Les hôpitaux de la région Auvergne-Rhône-Alpes préviennent qu'ils ne pourront pas absorber
l'afflux de patients prévu cet été sans renforts. Selon la fédération hospitalière régionale, près d'un
établissement sur trois a déjà fermé des lits faute d'infirmières, et les délais d'attente aux urgences ont
doublé depuis janvier.

« Nous sommes au cœur d'une crise qui ne dit pas son nom », a déclaré mercredi Hélène Besançon, directrice
générale de l'hôpital Édouard-Herriot, lors d'une conférence de presse. Elle réclame que les élèves
infirmiers de troisième année puissent être recrutés dès juin, avant la fin de leurs études.

Le ministère de la Santé a indiqué étudier « toutes les pistes » et promis une réponse détaillée avant la
mi-mai. Les syndicats, eux, dénoncent des conditions de travail dégradées et appellent à une grève le 14
mai. Les maires de plusieurs communes rurales, où les cabinets médicaux ont fermé l'un après l'autre,
s'inquiètent également de l'éloignement croissant des services d'urgence.

En 2024, la région comptait 1 320 lits de réanimation, soit 4 % de moins qu'il y a cinq ans, d'après
l'agence régionale de santé. Les élus régionaux doivent débattre du financement d'un plan d'urgence lors
de leur séance plénière de la semaine prochaine.
"""
# Another story of the same region and week, which must stay another article.
TRAINS = """\
LYON (Agence) - La région Auvergne-Rhône-Alpes commandera vingt nouvelles rames régionales pour remplacer
des trains âgés de plus de quarante ans, a annoncé jeudi le président du conseil régional. Les premières
livraisons sont attendues à l'été 2028 sur les lignes de l'Ain et de la Savoie, où les pannes se sont
multipliées l'hiver dernier.

Le contrat, d'un montant de 310 millions d'euros, a été attribué après un appel d'offres européen. Les
associations d'usagers saluent une décision « attendue depuis des années » mais regrettent qu'aucune
fréquence supplémentaire ne soit prévue avant la livraison des rames.
"""


def stripped(text: str) -> str:
    """The text as a legacy ASCII feed sends it: letters without their accents ("é" is "e", "œ" is "oe"), and
    straight quotes."""
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("«", '"').replace("»", '"'))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def test_an_accent_stripped_republication_matches_its_original_in_a_new_store(tmp_path: Path) -> None:
    original = HOSPITALS
    # The ASCII feed's copy, its last paragraph cut and a block of links added: a republication.
    copy = stripped(original.rsplit("\n\n", 1)[0]) + "\n\nA lire aussi: Sante | Region | Emploi | Meteo\n"
    assert copy.isascii()
    with in_process_server(tmp_path / "data") as (_, client):
        client.index(Article("trains", TRAINS))
        client.index(Article("hospitals", original))
        verdict = client.index(Article("hospitals-ascii", copy))
        assert [m.id for m in verdict.matches] == ["hospitals"]
        assert verdict.duplicate_of == "hospitals"
        [match] = verdict.matches
        assert match.containment > 0.9
        # a copy sent whole without its accents is the original itself
        whole = client.check(Article("hospitals-ascii-whole", stripped(original)))
        assert {m.id: m.relation for m in whole.matches}["hospitals"] == "identical"
        assert client.stats().parameters["fingerprint_scheme"] == FINGERPRINT_SCHEME


@pytest.mark.parametrize("workers", [0, 1])
def test_a_store_of_scheme_nd4_starts_reports_nd4_and_reads_accents_as_written(
    tmp_path: Path, workers: int, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    ascii_copy = Article("hospitals-ascii", stripped(HOSPITALS))
    # Written as the version of scheme nd4 wrote it (its reading: accents compared as written).
    with in_process_server(data, detection=DetectionParams(scheme=ND4_SCHEME)) as (_, client):
        client.index(Article("trains", TRAINS))
        client.index(Article("hospitals", HOSPITALS))
        before = client.check(ascii_copy)
        assert before.matches == ()  # (nd4 compares "hôpitaux" and "hopitaux" as two words)
    caplog.set_level(logging.WARNING, logger="service.grpc_server")
    # This version's settings (nd5), with fingerprint workers or without: the store is read as nd4.
    with in_process_server(data, fingerprint_workers=workers) as (running, client):
        assert (running.pool is not None) == (workers > 0)
        assert client.stats().parameters["fingerprint_scheme"] == ND4_SCHEME
        assert client.check(ascii_copy) == before
        # An accented story indexed now (fingerprinted in a worker, where there is one) is read as nd4 too: its
        # accented copy, checked in the server process, finds it; its stripped copy does not, as before.
        second = TRAINS.replace("vingt nouvelles", "vingt-cinq nouvelles")
        client.index(Article("trains-2", second))
        assert "trains-2" in {m.id for m in client.check(Article("trains-2-copy", second)).matches}
        assert "trains-2" not in {m.id for m in client.index(Article("trains-2-ascii", stripped(second))).matches}
    said = [r.getMessage() for r in caplog.records if "fingerprint scheme nd4" in r.getMessage()]
    assert len(said) == 1 and "ingest into a new store" in said[0]
