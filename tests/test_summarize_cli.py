"""``storybrief summarize`` on odd input: what cannot be briefed is skipped and reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from summarizer.cli import main
from summarizer.types import derive_article_id

ROOT = Path(__file__).resolve().parent.parent

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


def test_strict_stops_at_the_first_problem_with_an_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--strict printed "storybrief: skipped ...:2: malformed JSON" and exited 2 without
    saying that this was the error; batch --strict words it as one."""
    path = tmp_path / "in.jsonl"
    good = json.dumps({"id": "x1", "outlet": "AP", "text": TEXT})
    path.write_text(good + "\n{bad json\n{also bad\n", encoding="utf-8")
    assert main(["summarize", str(path), "--extractive", "--strict"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"storybrief: error: {path}:2: malformed JSON: Expecting property name enclosed in "
        "double quotes (column 2) (--strict)\n"
    )


def test_a_field_the_api_refuses_is_one_line_naming_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An escape sequence in an outlet was read and printed on every source line; it is
    refused as the API refuses it, before any model is loaded."""
    path = tmp_path / "in.jsonl"
    rows = [
        {"id": "x1", "outlet": "AP", "text": TEXT},
        {"id": "x2", "outlet": "AP\x1b[2J", "text": TEXT + " More follows."},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert main(["summarize", str(path), "--extractive", "--strict"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"storybrief: error: {path}:2: outlet must not contain control characters "
        "(U+001B at character 3) (--strict)\n"
    )


def test_problems_in_a_json_list_are_placed_as_articles_of_the_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A duplicate in a pretty-printed list was "pretty.json:3: ... (first read at
    pretty.json:1)", list positions shown as line numbers; an id derived from the url was
    shown as if the user had written it."""
    rows = [
        {"id": "x1", "outlet": "AP", "text": TEXT},
        {"id": "x2", "outlet": "AP", "text": "Advertisement\nFull Screen\n"},
        {"id": "x1", "outlet": "AFP", "text": TEXT + " More follows."},
        {"outlet": "BBC", "url": "https://example.com/1", "text": TEXT + " First version."},
        {"outlet": "BBC", "url": "https://example.com/1", "text": TEXT + " Second version."},
    ]
    path = tmp_path / "pretty.json"
    path.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    assert main(["summarize", str(path), "--extractive", "--format", "json"]) == 1
    err = capsys.readouterr().err
    assert f"skipped {path}: article #2 of the list: article 'x2': nothing is left" in err
    assert (
        f"skipped {path}: article #3 of the list: duplicate article id 'x1' "
        f"(first read at {path}, article #1 of the list)"
    ) in err
    assert (
        f"skipped {path}: article #5 of the list: duplicate article id "
        f"'{derive_article_id('https://example.com/1', '')}' "
        f"(derived from the url, as no id was given; first read at {path}, article #4 of "
        "the list)"
    ) in err


def _summarize_process(src: Path, stdout: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "summarizer.cli", "summarize", str(src), "--extractive"],
        stdout=stdout,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.timeout(300)
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_that_cannot_be_written_is_one_line_and_a_closed_pipe_is_quiet(
    tmp_path: Path,
) -> None:
    """``summarize ... > /dev/full`` was an OSError traceback, ``| head -1`` (once the
    reader has gone) a BrokenPipeError one; the embedder's "Loading weights" bar went to
    stderr too, which is no terminal here."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "x1", "outlet": "AP", "text": TEXT}) + "\n")
    with open("/dev/full", "wb") as full:
        proc = _summarize_process(src, full)
        _, err = proc.communicate(timeout=280)
    assert (proc.returncode, err.decode()) == (
        2,
        "storybrief: error: cannot write the output: No space left on device\n",
    )
    proc = _summarize_process(src, subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first byte is written
    err = proc.stderr.read()
    assert (proc.wait(timeout=280), err.decode()) == (141, "")
