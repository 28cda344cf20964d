"""What the `neardup` client commands import of the server: its version and settings only, as cli.py says."""

from __future__ import annotations

import subprocess
import sys


def test_a_client_command_loads_only_the_servers_version_and_settings() -> None:
    # (In a new interpreter: in this one, other tests have imported the server's modules already.)
    script = (
        "import sys; from client.cli import _parser; _parser({}).parse_args(['stats']); "
        "print(' '.join(sorted(m for m in sys.modules if m == 'service' or m.startswith('service.'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert loaded.stdout.split() == ["service", "service.settings"]
