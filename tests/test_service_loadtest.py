"""The load script's own logic: what counts as an allowed error, percentiles, loopback only."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "loadtest.py"


@pytest.fixture(scope="module")
def loadtest() -> ModuleType:
    spec = importlib.util.spec_from_file_location("loadtest", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["loadtest"] = module
    spec.loader.exec_module(module)
    return module


def test_only_503_with_retry_after_is_allowed(loadtest: ModuleType) -> None:
    S = loadtest.Sample
    report = loadtest.Report(
        samples=[
            S("ingest", 201, 1.0),
            S("ingest", 200, 3.0),
            S("ingest", 503, 0.1, retry_after="4", error="busy"),
            S("brief", 200, 10.0),
            S("brief", 503, 0.1, retry_after=None, error="not_ready"),
            S("brief", 504, 300.0, error="timeout"),
            S("brief", 0, 1.0, error="ConnectError"),
        ]
    )
    rows, bad = loadtest.summarize(report)
    assert bad == 3
    ingest, brief = rows
    assert (ingest["ok"], ingest["busy_503"], ingest["other_errors"]) == (2, 1, {})
    assert brief["other_errors"] == {"503 not_ready": 1, "504 timeout": 1, "0 ConnectError": 1}
    assert ingest["p50_s"] == 1.0 and ingest["p95_s"] == 3.0
    assert ingest["throughput_rps"] == round(2 / 3.0, 2)


def test_percentiles(loadtest: ModuleType) -> None:
    values = [float(v) for v in range(1, 101)]
    assert loadtest.pct(values, 0.5) == 51.0  # nearest rank
    assert loadtest.pct(values, 0.95) == 95.0
    assert loadtest.pct([7.0], 0.95) == 7.0


def test_refuses_a_non_loopback_url(loadtest: ModuleType) -> None:
    with pytest.raises(SystemExit) as info:
        loadtest.main(["--url", "http://203.0.113.5:8000"])
    assert info.value.code == 2
