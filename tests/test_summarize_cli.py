"""``storybrief summarize`` on odd input: what cannot be briefed is skipped and reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from summarizer.cli import main

TEXT = (
    "Russian Foreign Minister Sergei Lavrov held talks in Pyongyang with North Korean "
    "leader Kim Jong Un on Thursday, state media reported. The two sides discussed "
    "cooperation between the two countries, according to the report."
)


def test_duplicates_and_empty_articles_are_skipped_not_fatal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        {"id": "d1", "outlet": "AP", "text": TEXT},
        {"id": "d1", "outlet": "AFP", "text": TEXT + " More follows."},
        {"id": "g2", "outlet": "AP", "text": "Advertisement\nFull Screen\n"},
        {"id": "d1", "outlet": "AP", "text": TEXT + "\n"},  # a copy of the first: no problem
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code = main(["summarize", str(path), "--extractive", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 1  # some input skipped
    assert f"{path}:2: duplicate article id 'd1' (first read at {path}:1)" in err
    assert f"{path}:3: " in err and "boilerplate" in err
    assert f"{path}:4" not in err  # a copy of an article already read is read once
    briefs = json.loads(out)["briefs"]
    assert [b["article_ids"] for b in briefs] == [["d1"]]
    assert main(["summarize", str(path), "--extractive", "--strict"]) == 2


def test_a_path_name_too_long_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["summarize", str(tmp_path / ("a" * 300 + ".json")), "--extractive"])
    assert code == 2  # nothing readable
    assert "cannot read" in capsys.readouterr().err


def test_extractive_only_setting_is_honoured_without_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import summarizer.backends as backends
    from summarizer.settings import get_settings

    def no_generator(*args: object, **kwargs: object) -> None:
        raise AssertionError("the generator was loaded")

    monkeypatch.setattr(backends, "load_generator", no_generator)
    monkeypatch.setenv("STORYBRIEF_EXTRACTIVE_ONLY", "true")
    get_settings.cache_clear()
    try:
        path = tmp_path / "in.jsonl"
        path.write_text(json.dumps({"id": "x1", "outlet": "AP", "text": TEXT}) + "\n")
        code = main(["summarize", str(path), "--format", "json"])
    finally:
        get_settings.cache_clear()
    out, err = capsys.readouterr()
    assert code == 0, err
    (brief,) = json.loads(out)["briefs"]
    assert brief["extractive_fallback"] is True
    assert brief["model"]["name"] == "extractive" and brief["sentences"]
