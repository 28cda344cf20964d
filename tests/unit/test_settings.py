from pathlib import Path

import pytest

from service.settings import DetectionParams, Settings


def test_flags_win_over_environment_which_wins_over_defaults() -> None:
    env = {"NEARDUP_PORT": "6000", "NEARDUP_DATA_DIR": "/tmp/x", "NEARDUP_SHINGLE_SIZE": "4"}
    s = Settings.from_args(["--port", "7000"], env)
    assert s.port == 7000
    assert s.data_dir == Path("/tmp/x")
    assert s.detection.shingle_size == 4
    assert Settings.from_args([], {}).port == Settings().port


def test_impossible_band_layout_is_refused() -> None:
    with pytest.raises(ValueError, match="exceeds num_perm"):
        Settings.from_args(["--lsh-bands", "50", "--lsh-rows", "3"], {})


def test_thresholds_are_not_recorded_parameters() -> None:
    a = DetectionParams(min_containment=0.5).recorded()
    b = DetectionParams(min_containment=0.7).recorded()
    assert a == b
    assert DetectionParams(shingle_size=4).recorded() != a


def test_fingerprint_workers_default_to_one_per_spare_core() -> None:
    auto = Settings.from_args([], {})
    assert [auto.worker_processes(cores) for cores in (None, 1, 2, 4, 64)] == [0, 0, 1, 3, 4]
    assert Settings.from_args(["--fingerprint-workers", "0"], {}).worker_processes(8) == 0  # asked: none
    assert Settings.from_args([], {"NEARDUP_FINGERPRINT_WORKERS": "2"}).worker_processes(1) == 2
    with pytest.raises(ValueError, match="fingerprint-workers"):
        Settings.from_args(["--fingerprint-workers", "-2"], {})


def test_check_lanes_default_to_one_on_the_embedded_store_and_no_limit_on_redis() -> None:
    assert Settings.from_args([], {}).check_limit() == 1
    assert Settings.from_args(["--store", "redis"], {}).check_limit() is None
    assert Settings.from_args(["--check-lanes", "3"], {}).check_limit() == 3
    assert Settings.from_args(["--store", "redis"], {"NEARDUP_CHECK_LANES": "2"}).check_limit() == 2
    for bad in ("0", "-2"):
        with pytest.raises(ValueError, match="check-lanes"):
            Settings.from_args(["--check-lanes", bad], {})


def test_redis_wait_is_off_by_default_and_refused_where_it_cannot_apply() -> None:
    default = Settings.from_args(["--store", "redis"], {})
    assert (default.redis_wait_replicas, default.redis_wait_seconds) == (0, 1.0)
    waiting = Settings.from_args(
        ["--store", "redis", "--redis-wait-seconds", "0.5"], {"NEARDUP_REDIS_WAIT_REPLICAS": "2"}
    )
    assert (waiting.redis_wait_replicas, waiting.redis_wait_seconds) == (2, 0.5)
    with pytest.raises(ValueError, match="applies to --store redis only"):
        Settings.from_args(["--redis-wait-replicas", "1"], {})
    with pytest.raises(ValueError, match="0 \\(do not wait\\) or more"):
        Settings.from_args(["--store", "redis", "--redis-wait-replicas", "-1"], {})
    with pytest.raises(ValueError, match="must be above 0"):
        Settings.from_args(["--store", "redis", "--redis-wait-seconds", "0"], {})
