"""Fixtures the unit tests share."""

import pytest

from service.detector import Detector
from service.settings import DetectionParams


@pytest.fixture
def detector() -> Detector:
    """A detection core with the default parameters and a 1 MiB body limit: plain function calls, no store."""
    return Detector(DetectionParams(), 1 << 20)
