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
        ("STORYBRIEF_CACHE_DIR", "", "STORYBRIEF_CACHE_DIR: Value error, must not be empty"),
        ("STORYBRIEF_DATA_DIR", "  ", "STORYBRIEF_DATA_DIR: Value error, must not be empty"),
        ("STORYBRIEF_REQUEST_TIMEOUT_S", "inf", "STORYBRIEF_REQUEST_TIMEOUT_S: Input should be"),
        ("STORYBRIEF_GENERATION_TIMEOUT_S", "nan", "STORYBRIEF_GENERATION_TIMEOUT_S:"),
        ("STORYBRIEF_API_KEYS", "abc", "STORYBRIEF_API_KEYS is not valid: Expecting value"),
        ("STORYBRIEF_CORS_ORIGINS", "http://x", "list settings take JSON"),
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


def test_list_settings_take_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYBRIEF_API_KEYS", '["k1", "k2"]')
    assert get_settings().api_keys == ["k1", "k2"]


def test_the_default_thread_count_stays_within_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setattr(os, "cpu_count", lambda: 384)
    assert get_settings().threads == 256


def test_command_line_overrides_are_checked_like_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bad option is named as the value given, not as a variable nobody set."""
    from summarizer.settings import make_settings

    with pytest.raises(ConfigError, match="invalid settings: port 70000: Input should be"):
        make_settings(port=70000)
    assert make_settings(port=8001).port == 8001
    monkeypatch.setenv("STORYBRIEF_PORT", "70000")
    with pytest.raises(ConfigError, match="invalid settings: STORYBRIEF_PORT: Input should be"):
        make_settings(host="127.0.0.1")


def test_an_evidence_budget_the_context_cannot_hold_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from summarizer.backends import load_generator

    monkeypatch.setenv("STORYBRIEF_N_CTX", "1024")
    monkeypatch.setenv("STORYBRIEF_EVIDENCE_TOKEN_BUDGET", "600")
    with pytest.raises(ConfigError, match=r"BUDGET 600 does not fit a context of 1024 .* 472 fits"):
        load_generator(get_settings())
    monkeypatch.setenv("STORYBRIEF_EVIDENCE_TOKEN_BUDGET", "450")
    get_settings.cache_clear()
    gen = load_generator(get_settings())  # lazily loaded: nothing is read yet
    assert gen.context_length == 1024


def test_a_misspelt_variable_is_named_with_the_setting_it_resembles(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from summarizer.settings import unknown_variables

    env = {"STORYBRIEF_THREAD": "0", "STORYBRIEF_PORT": "8001", "STORYBRIEF_ZZZ": "1"}
    assert unknown_variables(env) == [
        "STORYBRIEF_THREAD (did you mean STORYBRIEF_THREADS?)",
        "STORYBRIEF_ZZZ",
    ]
    monkeypatch.setenv("STORYBRIEF_THREAD", "0")
    with caplog.at_level("WARNING"):
        get_settings()
    assert "unknown setting STORYBRIEF_THREAD (did you mean STORYBRIEF_THREADS?)" in caplog.text
