"""The committed generated code must match what proto/generate.py makes from the .proto files."""

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("proto_generate", ROOT / "proto" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_generated_code_is_fresh(tmp_path: Path) -> None:
    generated = _generator().generate(tmp_path)
    assert generated, "protoc produced nothing"
    stale = []
    for path in generated:
        rel = path.relative_to(tmp_path)
        committed = ROOT / "proto" / rel
        if not committed.exists() or committed.read_bytes() != path.read_bytes():
            stale.append(str(rel))
    assert not stale, f"stale generated code, run `python proto/generate.py` and commit: {stale}"


def test_no_orphan_generated_files(tmp_path: Path) -> None:
    module = _generator()
    expected = {p.relative_to(tmp_path) for p in module.generate(tmp_path)}
    present = {
        p.relative_to(ROOT / "proto")
        for p in (ROOT / "proto" / "neardup").rglob("*")
        if p.name.endswith(module.GENERATED_SUFFIXES)
    }
    assert present == expected
