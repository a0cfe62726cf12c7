"""The README's Python example runs as written (with no generator, so that it is quick;
the generator's own path is tested in test_models_e2e)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _python_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert len(blocks) == 1, "the README has one Python example"
    return blocks[0]


def test_the_readme_python_example_runs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code = _python_example()
    assert "load_generator(settings)" in code
    code = code.replace("load_generator(settings)", "None")
    monkeypatch.chdir(ROOT)  # the example reads "seeds" from the checkout's root
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - the project's own README
    out = capsys.readouterr().out
    # the two Riverton articles form one story, and the seeds their two stories
    headings = [line for line in out.splitlines() if line.startswith("## ")]
    assert len(headings) == 3, headings
    riverton = out[out.index("Riverton") :]
    riverton = riverton[: riverton.find("\n## ") if "\n## " in riverton else None]
    assert "Old Mill" in riverton
    # the vote both outlets carry is one sentence that lists them both as sources
    assert "to cars. [1][2]" in riverton
    assert "2 articles" in riverton and "1. AP" in riverton and "2. Reuters" in riverton
