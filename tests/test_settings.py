"""Settings from the environment: a bad value is a clear error, not a traceback."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import redirect_stderr

import pytest

from summarizer.cli import main
from summarizer.errors import ConfigError
from summarizer.settings import get_settings


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("STORYBRIEF_PROMPT_LOOKUP", "-1", "STORYBRIEF_PROMPT_LOOKUP: Input should be greater"),
        ("STORYBRIEF_PROMPT_LOOKUP", "abc", "STORYBRIEF_PROMPT_LOOKUP: Input should be a valid"),
        ("STORYBRIEF_EVIDENCE_TOKEN_BUDGET", "10", "STORYBRIEF_EVIDENCE_TOKEN_BUDGET:"),
        ("STORYBRIEF_GENERATOR", "all-minilm-l6-v2", "generator and embedder must be different"),
    ],
)
def test_bad_environment_value_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match="invalid settings") as info:
        get_settings()
    assert message in str(info.value)


def test_the_command_reports_a_bad_setting_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYBRIEF_PROMPT_LOOKUP", "-1")
    err = io.StringIO()
    with redirect_stderr(err):
        code = main(["models", "list"])
    assert code == 2
    lines = err.getvalue().strip().splitlines()
    assert lines == [
        "storybrief: error: invalid settings: STORYBRIEF_PROMPT_LOOKUP: "
        "Input should be greater than or equal to 0"
    ]


def test_good_environment_values_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYBRIEF_PROMPT_LOOKUP", "0")
    monkeypatch.setenv("STORYBRIEF_EVIDENCE_TOKEN_BUDGET", "600")
    s = get_settings()
    assert s.prompt_lookup == 0 and s.evidence_token_budget == 600
