"""``storybrief batch``: stories from pooled inputs, resuming, bad input, output formats.

Most tests run ``main(argv)`` in-process with the real embedder and no generator
(``open_pipeline`` patched to hand out one shared, counting extractive pipeline); one test
runs the console script, one (marked ``model``) the real generator.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import types
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from summarizer import batch
from summarizer.batch import BatchBrief, RecordLog, articles_hash, main, run_batch
from summarizer.embed import Embedder
from summarizer.errors import InputError
from summarizer.io import InputProblem, article_to_dict, iter_inputs
from summarizer.pipeline import Pipeline, PreparedArticle
from summarizer.settings import Settings
from summarizer.types import Article, Brief, Story

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


class CountingPipeline(Pipeline):
    """The real pipeline, counting briefs; ``fail_on`` raises on that (1-based) brief call.

    Prepared articles are memoised across runs (keyed by the whole article), so the many
    runs of these tests embed each seed once.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[str] = []
        self.fail_on: int | None = None
        self.fail_with: Any = KeyboardInterrupt()
        self._prepared: dict[Article, PreparedArticle] = {}

    def prepare(
        self, articles: Sequence[Article], *, check: Callable[[], None] | None = None
    ) -> list[PreparedArticle]:
        todo = [a for a in articles if a not in self._prepared]
        if todo:
            self._prepared.update(zip(todo, super().prepare(todo, check=check), strict=True))
        return [self._prepared[a] for a in articles]

    def brief(self, story: Story, *args: Any, **kwargs: Any) -> Brief:
        self.calls.append(story.id)
        if self.fail_on is not None and len(self.calls) == self.fail_on:
            if self.fail_with == "sigterm":
                os.kill(os.getpid(), signal.SIGTERM)  # the handler raises at once
            raise self.fail_with
        return super().brief(story, *args, **kwargs)


@pytest.fixture(scope="module")
def shared_embedder() -> Iterator[Embedder]:
    emb = Embedder()
    yield emb
    emb.close()


@pytest.fixture(scope="module")
def shared_pipe(shared_embedder: Embedder) -> CountingPipeline:
    return CountingPipeline(Settings(), shared_embedder, None)


@pytest.fixture
def pipe(monkeypatch: pytest.MonkeyPatch, shared_pipe: CountingPipeline) -> CountingPipeline:
    pipeline = shared_pipe
    pipeline.fail_on = None
    pipeline.fail_with = KeyboardInterrupt()

    @contextlib.contextmanager
    def fake_open(settings: Settings, *, extractive: bool) -> Iterator[Pipeline]:
        pipeline.calls.clear()
        yield pipeline

    monkeypatch.setattr(batch, "open_pipeline", fake_open)
    return pipeline


def run(argv: list[str], stdin: io.TextIOBase | None = None) -> tuple[int, str]:
    err = io.StringIO()
    code = main(argv, stdin=stdin, stderr=err)  # type: ignore[arg-type]
    return code, err.getvalue()


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def without_timings(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "timings"} for r in recs]


def seed_articles() -> list[Article]:
    return [a for a in iter_inputs([str(SEEDS)]) if isinstance(a, Article)]


def seeds_jsonl(path: Path) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for art in seed_articles():
            fh.write(json.dumps(article_to_dict(art)) + "\n")
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, shared_embedder: Embedder) -> Path:
    """An uninterrupted run over the seeds (JSONL), made once."""
    out = tmp_path_factory.mktemp("ref") / "ref.jsonl"
    pipeline = Pipeline(Settings(), shared_embedder, None)  # not memoised: the real thing
    with out.open("w", encoding="utf-8") as fh:
        for item in run_batch(seed_articles(), pipeline):
            fh.write(json.dumps(item.record()) + "\n")
    return out


# ---------------------------------------------------------------- the seeds


def test_seeds_make_two_stories_like_a_one_shot_run(
    pipe: CountingPipeline, tmp_path: Path, reference: Path
) -> None:
    out = tmp_path / "briefs.jsonl"
    code, err = run([str(SEEDS), "--out", str(out), "--extractive"])
    assert code == 0, err
    recs = records(out)
    assert sorted(len(r["article_ids"]) for r in recs) == [1, 4]
    assert sorted(a for r in recs for a in r["article_ids"]) == sorted(
        a.id for a in seed_articles()
    )
    one_shot = pipe.summarize(seed_articles())
    assert [r["story_id"] for r in recs] == [b.story_id for b in one_shot]
    by_id = {a.id: a for a in seed_articles()}
    for r in recs:
        brief = Brief.model_validate({k: v for k, v in r.items() if k != "articles_hash"})
        assert r["articles_hash"] == articles_hash(by_id[a] for a in brief.article_ids)
        assert brief.sentences and brief.model.name == "extractive"
        for sent in brief.sentences:
            for c in sent.citations:
                assert by_id[c.article_id].text[c.start : c.end] == c.quote
    assert without_timings(recs) == without_timings(records(reference))
    # not a terminal: no progress bar, but the summary line
    assert "\x1b[" not in err
    assert re.search(
        r"storybrief batch: 5 articles read, 0 skipped, 2 stories, 2 briefs \(2 new, 0 reused\)",
        err,
    )


def test_quiet_prints_nothing(pipe: CountingPipeline, tmp_path: Path) -> None:
    code, err = run([str(SEEDS), "--out", str(tmp_path / "o.jsonl"), "--quiet"])
    assert (code, err) == (0, "")


def test_progress_bar_on_a_terminal(pipe: CountingPipeline, tmp_path: Path) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Tty()
    code = main([str(SEEDS), "--out", str(tmp_path / "o.jsonl")], stderr=err)
    text = err.getvalue()
    assert code == 0
    assert "stories" in text and "2/2" in text
    assert "storybrief batch: 5 articles read" in text


# ---------------------------------------------------------------- resuming


def test_resume_after_limit_generates_only_the_rest(
    pipe: CountingPipeline, tmp_path: Path, reference: Path
) -> None:
    out = tmp_path / "briefs.jsonl"
    code, err = run([str(SEEDS), "--out", str(out), "--limit", "1"])
    assert code == 0, err
    assert "1 stories left (rerun to continue)" in err
    first = out.read_bytes()
    assert first.count(b"\n") == 1
    assert len(pipe.calls) == 1

    code, err = run([str(SEEDS), "--out", str(out)])
    assert code == 0, err
    assert len(pipe.calls) == 1, "the done story was briefed again"
    assert out.read_bytes().startswith(first)
    assert without_timings(records(out)) == without_timings(records(reference))
    assert "2 briefs (1 new, 1 reused)" in err

    before = out.read_bytes()
    code, _ = run([str(SEEDS), "--out", str(out)])
    assert code == 0 and pipe.calls == [] and out.read_bytes() == before


def test_ctrl_c_keeps_complete_records_and_a_rerun_finishes(
    pipe: CountingPipeline, tmp_path: Path, reference: Path
) -> None:
    out = tmp_path / "briefs.jsonl"
    pipe.fail_on = 2
    code, err = run([str(SEEDS), "--out", str(out)])
    assert code == 130
    assert f"interrupted; 1 brief saved in {out}; rerun the same command" in err
    assert len(records(out)) == 1 and out.read_bytes().endswith(b"\n")
    pipe.fail_on = None
    code, err = run([str(SEEDS), "--out", str(out)])
    assert code == 0, err
    assert len(pipe.calls) == 1
    assert without_timings(records(out)) == without_timings(records(reference))


def test_sigterm_stops_cleanly_and_a_rerun_finishes(
    pipe: CountingPipeline, tmp_path: Path, reference: Path
) -> None:
    out = tmp_path / "digest.md"
    pipe.fail_on, pipe.fail_with = 2, "sigterm"
    handler = signal.getsignal(signal.SIGTERM)
    code, err = run([str(SEEDS), "--out", str(out)])
    assert code == 143
    assert "terminated; 1 brief saved in" in err
    assert not out.exists()  # a digest is written only at the end of a run
    assert len(records(tmp_path / "digest.md.briefs.jsonl")) == 1
    assert signal.getsignal(signal.SIGTERM) == handler  # the handler is put back
    pipe.fail_on = None
    code, err = run([str(SEEDS), "--out", str(out)])
    assert code == 0, err
    assert len(pipe.calls) == 1
    assert out.read_text(encoding="utf-8").count("\n---\n") == 2


def test_truncated_last_line_is_dropped_and_redone(
    pipe: CountingPipeline, tmp_path: Path, reference: Path
) -> None:
    out = tmp_path / "briefs.jsonl"
    data = reference.read_bytes()
    out.write_bytes(data[: len(data) - 40])  # the second record cut short
    code, err = run([str(SEEDS), "--out", str(out)])
    assert code == 0, err
    assert err.count("its last record was cut short; it will be dropped and redone") == 1
    assert len(pipe.calls) == 1
    assert without_timings(records(out)) == without_timings(records(reference))


# ---------------------------------------------------------------- a full disk

NO_SPACE = os.strerror(errno.ENOSPC)  # "No space left on device"


class FullDisk:
    """An append handle on a disk with ``room`` bytes left: a write past it is cut short
    (what fits is written), the next one raises ENOSPC, as a file system does."""

    def __init__(self, fh: Any, room: int) -> None:
        self._fh = fh
        self.room = room

    def write(self, data: Any) -> int:
        if self.room <= 0:
            raise OSError(errno.ENOSPC, NO_SPACE)
        n: int = self._fh.write(bytes(data[: self.room]))
        self.room -= n
        return n

    def __getattr__(self, name: str) -> Any:  # seek, truncate, fileno, close
        return getattr(self._fh, name)


def fill_disk_after(monkeypatch: pytest.MonkeyPatch, out: Path, room: int) -> None:
    """Appends to ``out`` (the records file) get ``room`` bytes, then the disk is full."""
    real_open = Path.open

    def open_(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        fh = real_open(self, mode, *args, **kwargs)
        return FullDisk(fh, room) if self == out and "a" in mode else fh

    monkeypatch.setattr(Path, "open", open_)


@pytest.mark.parametrize("whole_records", [0, 1])
def test_a_full_disk_mid_record_exits_2_and_leaves_only_complete_records(
    pipe: CountingPipeline,
    tmp_path: Path,
    reference: Path,
    monkeypatch: pytest.MonkeyPatch,
    whole_records: int,
) -> None:
    """ENOSPC part-way through a record was a traceback with exit 1, and left the part
    written in OUT: now one line naming the file and the error, exit 2, and OUT ends at
    the last complete record; a rerun with room finishes."""
    out = tmp_path / "briefs.jsonl"
    first = reference.read_bytes().splitlines(keepends=True)[0]
    room = whole_records * (len(first) + 200) + 100  # the next record is cut part-way
    with monkeypatch.context() as mp:  # not undo(): that would undo ``pipe``'s patch too
        fill_disk_after(mp, out, room)
        code, err = run([str(SEEDS), "--out", str(out)])
    assert code == 2, err
    assert f"storybrief: error: cannot write {out}: {NO_SPACE}" in err
    assert "Traceback" not in err and err.count("\n") == 1
    if whole_records:
        assert "; 1 brief saved in" in err and "rerun the same command to continue" in err
    data = out.read_bytes()
    assert data == b"" or data.endswith(b"\n")
    assert len(records(out)) == whole_records  # every line a whole record
    assert len(RecordLog(out).records) == whole_records
    code, err = run([str(SEEDS), "--out", str(out)])
    assert code == 0, err
    assert "cut short" not in err
    assert len(pipe.calls) == 2 - whole_records
    assert without_timings(records(out)) == without_timings(records(reference))


def test_a_failed_fsync_cuts_the_record_off_again(
    tmp_path: Path, reference: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk that takes the bytes but fails them on fsync (delayed allocation, EIO): the
    record is cut off again, and the error is an OSError naming the file."""
    lines = reference.read_bytes().splitlines(keepends=True)
    path = tmp_path / "log.jsonl"
    path.write_bytes(lines[0])
    rec = json.loads(lines[1])
    digest = rec.pop("articles_hash")
    brief = Brief.model_validate(rec)
    story = Story(id=brief.story_id, article_ids=tuple(brief.article_ids))
    log = RecordLog(path)

    def fsync(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OSError, match=f"cannot write {re.escape(str(path))}: ") as info:
        log.append(BatchBrief(story, digest, brief))
    assert info.value.errno == errno.EIO
    log.close()
    assert path.read_bytes() == lines[0]
    assert len(RecordLog(path).records) == 1


def test_a_full_disk_at_the_end_keeps_the_records_for_a_rerun(
    pipe: CountingPipeline, tmp_path: Path, reference: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The JSON file (and a Markdown digest) is written at the end: when that fails, the
    error names it, exit 2, OUT is not written, and the records stay for the rerun."""
    from summarizer.io import write_atomic as real

    def write_atomic(path: Path, chunks: Any) -> None:
        if path.suffix in (".json", ".md"):
            raise OSError(errno.ENOSPC, NO_SPACE)
        real(path, chunks)

    for name in ("briefs.json", "digest.md"):
        out = tmp_path / name
        with monkeypatch.context() as mp:
            mp.setattr("summarizer.batch.write_atomic", write_atomic)
            code, err = run([str(SEEDS), "--out", str(out)])
        assert code == 2, err
        assert f"storybrief: error: cannot write {out}: {NO_SPACE}; 2 briefs saved" in err
        assert not out.exists() and "Traceback" not in err
        store = next(p for p in tmp_path.iterdir() if p.name.startswith(name + "."))
        assert len(records(store)) == 2
        code, err = run([str(SEEDS), "--out", str(out)])
        assert code == 0 and "(0 new, 2 reused)" in err, err
        assert out.exists()


def test_a_full_spool_folder_is_one_line_and_exit_2(
    pipe: CountingPipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The prepared articles are spooled to a temporary file: a full TMPDIR is reported
    as such, not as a traceback."""

    class FullSpool:
        def __init__(self) -> None:
            self._fh = tempfile.TemporaryFile()

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, NO_SPACE)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._fh, name)

    fake = types.SimpleNamespace(
        TemporaryFile=lambda **kw: FullSpool(), gettempdir=lambda: "/the/tmp"
    )
    monkeypatch.setattr(batch, "tempfile", fake)
    out = tmp_path / "briefs.jsonl"
    code, err = run([str(SEEDS), "--out", str(out)])
    assert code == 2
    assert err == (
        "storybrief: error: cannot write the temporary spool file in /the/tmp "
        f"(TMPDIR chooses the folder): {NO_SPACE}\n"
    )
    assert not out.exists()


def test_a_changed_article_rebriefs_only_its_story(pipe: CountingPipeline, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    out = tmp_path / "briefs.jsonl"
    assert run([str(seeds), "--out", str(out)])[0] == 0
    lone = next(r for r in records(out) if len(r["article_ids"]) == 1)
    path = seeds / f"{lone['article_ids'][0]}.txt"
    path.chmod(0o644)
    path.write_text(path.read_text(encoding="utf-8") + "\nA line added later to the text.\n")
    code, err = run([str(seeds), "--out", str(out)])
    assert code == 0, err
    assert pipe.calls == [lone["story_id"]]
    recs = records(out)
    assert len(recs) == 2 and recs[-1]["story_id"] == lone["story_id"]
    assert recs[-1]["articles_hash"] != lone["articles_hash"]


def test_another_length_rebriefs(pipe: CountingPipeline, tmp_path: Path) -> None:
    out = tmp_path / "briefs.jsonl"
    assert run([str(SEEDS), "--out", str(out)])[0] == 0
    code, _ = run([str(SEEDS), "--out", str(out), "--length", "short"])
    assert code == 0 and len(pipe.calls) == 2
    assert [r["length"] for r in records(out)] == ["short", "short"]


def test_refuses_to_overwrite_a_file_it_did_not_write(
    pipe: CountingPipeline, tmp_path: Path
) -> None:
    out = seeds_jsonl(tmp_path / "articles.jsonl")
    before = out.read_bytes()
    code, err = run([str(SEEDS), "--out", str(out)])
    assert code == 2
    assert f"{out}:1 is not a brief record" in err
    assert out.read_bytes() == before


@pytest.mark.parametrize(
    "content",
    [
        b"my notes, one line, no newline",  # no complete line to check, only a tail
        b'{"outlet": "AP", "text": "An article."}\n{"outlet": "AP", "te',  # input, cut
    ],
)
def test_a_foreign_file_is_refused_before_it_is_touched(
    pipe: CountingPipeline, tmp_path: Path, content: bytes
) -> None:
    out = tmp_path / "notes.txt"
    out.write_bytes(content)
    code, err = run([str(SEEDS), "--out", str(out), "--format", "jsonl"])
    assert code == 2
    assert "is not a brief record" in err
    assert out.read_bytes() == content


def test_a_markdown_out_that_is_not_a_digest_is_refused(
    pipe: CountingPipeline, tmp_path: Path
) -> None:
    out = tmp_path / "precious.md"
    out.write_text("# My notes\n\nNothing to do with briefs.\n", encoding="utf-8")
    before = out.read_bytes()
    code, err = run([str(SEEDS), "--out", str(out)])
    assert code == 2 and "is not a digest this command wrote" in err
    assert out.read_bytes() == before


def test_out_keeps_its_mode_or_follows_the_umask(pipe: CountingPipeline, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        new = tmp_path / "briefs.json"
        assert run([str(SEEDS), "--out", str(new)])[0] == 0
        assert stat.S_IMODE(new.stat().st_mode) == 0o644
        new.chmod(0o640)
        assert run([str(SEEDS), "--out", str(new)])[0] == 0  # rewritten, mode kept
        assert stat.S_IMODE(new.stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_out_must_be_a_regular_file(pipe: CountingPipeline, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    code, err = run([str(SEEDS), "--out", str(fifo)])
    assert code == 2 and "is not a regular file" in err
    assert stat.S_ISFIFO(fifo.stat().st_mode)


# ---------------------------------------------------------------- bad input


def test_malformed_jsonl_lines_are_reported_and_skipped(
    pipe: CountingPipeline, tmp_path: Path, reference: Path
) -> None:
    good = seeds_jsonl(tmp_path / "good.jsonl").read_bytes().splitlines(keepends=True)
    src = tmp_path / "mixed.jsonl"
    src.write_bytes(
        good[0] + b"{broken\n" + good[1] + b'{"outlet": "x"}\n' + b"\xff\xfe\n" + b"".join(good[2:])
    )
    out = tmp_path / "briefs.jsonl"
    code, err = run([str(src), "--out", str(out)])
    assert code == 1
    assert f"skipped {src}:2: malformed JSON" in err
    assert f"skipped {src}:4: text is required" in err
    assert f"skipped {src}:5: not valid UTF-8" in err
    assert "5 articles read, 3 skipped, 2 stories" in err
    assert without_timings(records(out)) == without_timings(records(reference))

    strict_out = tmp_path / "strict.jsonl"
    code, err = run([str(src), "--out", str(strict_out), "--strict"])
    assert code == 2
    assert f"error: {src}:2: malformed JSON" in err and "(--strict)" in err
    assert not strict_out.exists()


def test_duplicate_articles_across_inputs(pipe: CountingPipeline, tmp_path: Path) -> None:
    """Overlapping inputs (the same articles again) are read once and are no problem; an
    id another input gives to another article is."""
    out = tmp_path / "briefs.jsonl"
    again = seeds_jsonl(tmp_path / "again.jsonl")
    code, err = run([str(SEEDS), str(again), "--out", str(out)])
    assert code == 0, err
    assert "duplicate article id" not in err and "5 copies read once" in err
    assert len(records(out)) == 2
    rows = [json.loads(line) for line in again.read_text(encoding="utf-8").splitlines()]
    rows[0]["text"] += " A sentence the first file does not have."
    other = tmp_path / "other.jsonl"
    other.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code, err = run([str(SEEDS), str(other), "--out", str(tmp_path / "b2.jsonl")])
    assert code == 1
    assert err.count("duplicate article id") == 1
    assert re.search(
        r"other\.jsonl:1: duplicate article id '000_4bf6fc54423e42e9' "
        r"\(first read at .*000_4bf6fc54423e42e9\.txt\)",
        err,
    )


def test_non_utf8_file_in_a_folder(pipe: CountingPipeline, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    (seeds / "zz_latin1.txt").write_bytes(b"Caf\xe9 news, not UTF-8.")
    out = tmp_path / "briefs.jsonl"
    code, err = run([str(seeds), "--out", str(out)])
    assert code == 1
    assert "zz_latin1.txt: not valid UTF-8 (byte 3)" in err
    assert len(records(out)) == 2


def test_a_folder_reads_upper_case_txt_and_reports_a_subfolder(
    pipe: CountingPipeline, tmp_path: Path
) -> None:
    """A folder with CHOE.TXT and sub/choe2.txt gave "4 articles read, 0 skipped", exit 0:
    two inputs lost without a word. The .TXT is read (its manifest entry still applies);
    the subfolder is reported and the run exits 1; hidden files pass without a word."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    lone = next(seeds.glob("004_*.txt"))
    upper = lone.with_name(lone.stem + ".TXT")
    lone.rename(upper)
    (seeds / "sub").mkdir()
    shutil.copy(upper, seeds / "sub" / "choe2.txt")
    (seeds / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    out = tmp_path / "briefs.jsonl"
    code, err = run([str(seeds), "--out", str(out)])
    assert code == 1, err
    assert f"storybrief: skipped {seeds / 'sub'}: not read: a folder" in err
    assert "5 articles read, 1 skipped" in err and ".DS_Store" not in err
    briefs = records(out)
    assert sorted(len(r["article_ids"]) for r in briefs) == [1, 4]
    outlets = {s["outlet"] for r in briefs for s in r["sources"]}
    assert "Yonhap (via a Korean English-language daily)" in outlets  # from the manifest


@pytest.mark.parametrize("content", [b"", b"\n\n", b"{bad\n"])
def test_no_readable_article_is_a_fatal_error(
    pipe: CountingPipeline, tmp_path: Path, content: bytes
) -> None:
    src = tmp_path / "empty.jsonl"
    src.write_bytes(content)
    out = tmp_path / "briefs.jsonl"
    code, err = run([str(src), "--out", str(out)])
    assert code == 2
    assert "error: no readable articles in the input" in err
    assert not out.exists()


def test_usage_errors(
    pipe: CountingPipeline, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([str(SEEDS)])[0] == 2  # no --out
    assert run([str(SEEDS), "--out", str(tmp_path / "o"), "--limit", "0"])[0] == 2
    code, err = run([str(SEEDS), "--out", str(tmp_path / "missing" / "o.jsonl")])
    assert code == 2 and "does not exist" in err
    code, err = run([str(SEEDS), "--out", str(tmp_path)])
    assert code == 2 and "is a folder" in err
    assert pipe.calls == []


# ---------------------------------------------------------------- inputs and formats


def test_stdin_and_json_list_inputs_are_pooled(
    pipe: CountingPipeline, tmp_path: Path, reference: Path
) -> None:
    arts = [article_to_dict(a) for a in seed_articles()]
    listed = tmp_path / "three.json"
    listed.write_text(json.dumps(arts[:3]))
    stdin = io.StringIO("".join(json.dumps(a) + "\n" for a in arts[3:]))
    out = tmp_path / "briefs.jsonl"
    code, err = run([str(listed), "-", "--out", str(out)], stdin=stdin)
    assert code == 0, err
    assert without_timings(records(out)) == without_timings(records(reference))


def test_markdown_digest_and_its_resume(pipe: CountingPipeline, tmp_path: Path) -> None:
    whole = tmp_path / "whole.md"
    assert run([str(SEEDS), "--out", str(whole)])[0] == 0
    md = whole.read_text(encoding="utf-8")
    assert md.startswith("# Story briefs\n\n2 stories from 5 articles.\n")
    sections = md.split("\n---\n")[1:]
    assert len(sections) == 2
    for i, section in enumerate(sections, start=1):
        assert re.match(rf"\n## {i}\. \S", section)
        assert re.search(r"\*Story `st_[0-9a-f]{12}`\.\*", section)
        sources = re.findall(r"^(\d+)\. ", section.split("Sources:")[1], flags=re.M)
        assert sources == [str(n) for n in range(1, len(sources) + 1)]
        markers = {m for m in re.findall(r"\[(\d+)\]", section)}
        assert markers and markers <= set(sources)
    # the records stay beside the digest, so a rerun of a finished digest reuses them
    kept = tmp_path / "whole.md.briefs.jsonl"
    assert len(records(kept)) == 2
    assert not (tmp_path / "whole.md.partial.jsonl").exists()
    code, err = run([str(SEEDS), "--out", str(whole)])
    assert code == 0 and pipe.calls == [], err
    assert "2 briefs (0 new, 2 reused)" in err and f"records kept in {kept}" in err
    assert whole.read_text(encoding="utf-8") == md
    # without the records, everything is briefed again
    kept.unlink()
    assert run([str(SEEDS), "--out", str(whole)])[0] == 0
    assert len(pipe.calls) == 2
    assert whole.read_text(encoding="utf-8") == md

    part = tmp_path / "part.md"
    assert run([str(SEEDS), "--out", str(part), "--limit", "1"])[0] == 0
    assert len(records(tmp_path / "part.md.briefs.jsonl")) == 1
    assert part.read_text(encoding="utf-8").startswith("# Story briefs\n\n1 story from")
    assert run([str(SEEDS), "--out", str(part)])[0] == 0
    assert len(pipe.calls) == 1
    assert part.read_text(encoding="utf-8") == md


def test_json_output_and_a_rerun_reuses_it(pipe: CountingPipeline, tmp_path: Path) -> None:
    out = tmp_path / "briefs.json"
    assert run([str(SEEDS), "--out", str(out)])[0] == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["briefs"]) == 2 and all("articles_hash" in b for b in data["briefs"])
    assert not (tmp_path / "briefs.json.partial.jsonl").exists()
    before = out.read_bytes()
    code, err = run([str(SEEDS), "--out", str(out), "--format", "json"])
    assert code == 0 and pipe.calls == [], err
    assert out.read_bytes() == before


def test_format_flag_wins_over_the_suffix(pipe: CountingPipeline, tmp_path: Path) -> None:
    out = tmp_path / "digest.txt"
    assert run([str(SEEDS), "--out", str(out), "--format", "md"])[0] == 0
    assert out.read_text(encoding="utf-8").startswith("# Story briefs")


# ---------------------------------------------------------------- Python API and files


def test_run_batch_skips_done_stories_and_honours_limit(shared_pipe: CountingPipeline) -> None:
    pipeline = shared_pipe
    items = list(run_batch(seed_articles(), pipeline))
    assert len(items) == 2 and all(isinstance(i, BatchBrief) for i in items)
    done = {items[0].story.id: items[0].articles_hash}
    rest = list(run_batch(seed_articles(), pipeline, done=done))
    assert [i.story.id for i in rest] == [items[1].story.id]
    assert len(list(run_batch(seed_articles(), pipeline, limit=1))) == 1
    with pytest.raises(InputError, match="no readable articles"):
        list(run_batch([], pipeline))
    problems: list[InputProblem] = []
    bad = [InputProblem("x.jsonl", 3, "malformed JSON"), *seed_articles()]
    assert len(list(run_batch(bad, pipeline, on_problem=problems.append))) == 2
    assert [str(p) for p in problems] == ["x.jsonl:3: malformed JSON"]
    with pytest.raises(InputError, match="x.jsonl:3"):
        list(run_batch(bad, pipeline))


def test_articles_hash_ignores_order_and_sees_changes() -> None:
    a, b = seed_articles()[:2]
    assert articles_hash([a, b]) == articles_hash([b, a])
    changed = Article(a.id, a.outlet, a.text + " More.", a.title, a.url, a.published)
    assert articles_hash([changed, b]) != articles_hash([a, b])


def test_record_log_rewrite_orders_and_drops(tmp_path: Path, reference: Path) -> None:
    lines = reference.read_bytes().splitlines(keepends=True)
    path = tmp_path / "log.jsonl"
    path.write_bytes(lines[1] + lines[0])
    log = RecordLog(path)
    ids = [json.loads(x)["story_id"] for x in lines]
    assert list(log.records) == [ids[1], ids[0]]
    assert log.rewrite(ids) is True
    assert path.read_bytes() == lines[0] + lines[1]
    assert log.rewrite(ids) is False
    assert log.rewrite(ids[:1]) is True
    assert path.read_bytes() == lines[0]


# ---------------------------------------------------------------- the console script


def test_console_script(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "storybrief"
    if not exe.exists():
        pytest.skip("the storybrief console script is not installed")
    out = tmp_path / "briefs.jsonl"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [str(exe), "batch", str(SEEDS), "--out", str(out), "--extractive"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(records(out)) == 2
    assert "storybrief batch: 5 articles read, 0 skipped, 2 stories" in proc.stderr
    bad = subprocess.run(
        [str(exe), "batch", str(SEEDS)], capture_output=True, text=True, timeout=60, check=False
    )
    assert bad.returncode == 2 and "--out" in bad.stderr


@pytest.mark.model
def test_real_model_writes_a_markdown_digest(tmp_path: Path) -> None:
    out = tmp_path / "digest.md"
    err = io.StringIO()
    code = main([str(SEEDS), "--out", str(out), "--length", "short"], stderr=err)
    assert code == 0, err.getvalue()
    md = out.read_text(encoding="utf-8")
    assert md.startswith("# Story briefs\n\n2 stories from 5 articles.")
    sections = md.split("\n---\n")[1:]
    assert len(sections) == 2
    generator = Settings().generator
    for section in sections:
        assert "Sources:" in section and re.search(r"\[\d+\]", section)
        assert f"; model {generator}.*" in section  # the generator was loaded and used


def test_extractive_only_setting_means_no_generator(
    shared_pipe: CountingPipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from summarizer.settings import get_settings

    asked: list[bool] = []

    @contextlib.contextmanager
    def recording_open(settings: Settings, *, extractive: bool) -> Iterator[Pipeline]:
        asked.append(extractive)
        yield shared_pipe

    monkeypatch.setattr(batch, "open_pipeline", recording_open)
    out = tmp_path / "briefs.jsonl"
    for env, flag in (("false", False), ("true", False), ("false", True)):
        monkeypatch.setenv("STORYBRIEF_EXTRACTIVE_ONLY", env)
        get_settings.cache_clear()
        try:
            code, err = run([str(SEEDS), "--out", str(out)] + (["--extractive"] if flag else []))
        finally:
            get_settings.cache_clear()
        assert code == 0, err
    assert asked == [False, True, True]


def _first_person_column(tmp_path: Path) -> Path:
    """A one-article set written in the first person: nothing in it is servable."""
    text = (
        "I went to the harbour market on Saturday morning with my neighbours.\n"
        "We talked for an hour about the new ferry timetable and the fares.\n"
    )
    src = tmp_path / "column.jsonl"
    src.write_text(json.dumps({"id": "col", "outlet": "Gazette", "text": text}) + "\n")
    return src


def test_an_empty_brief_is_reported_and_exits_1(pipe: CountingPipeline, tmp_path: Path) -> None:
    from summarizer.pipeline import NOTHING_SERVABLE

    src = _first_person_column(tmp_path)
    out = tmp_path / "briefs.jsonl"
    code, err = run([str(src), "--out", str(out)])
    assert code == 1
    assert f"empty brief: {NOTHING_SERVABLE}" in err and "1 empty briefs" in err
    (rec,) = records(out)
    assert rec["sentences"] == [] and rec["fallback_reason"] == NOTHING_SERVABLE


# ---------------------------------------------------------------- OUT and its records files


def test_out_inside_an_input_folder_is_never_read(pipe: CountingPipeline, tmp_path: Path) -> None:
    """``batch crawl --out crawl/briefs.txt``: the rerun read briefs.txt as an article; with
    --out crawl/digest.md every rerun reported its records file, not a .txt, and exit 1."""
    crawl = tmp_path / "crawl"
    shutil.copytree(SEEDS, crawl)
    for name, fmt in (("briefs.txt", "jsonl"), ("digest.md", "md"), ("b.json", "json")):
        out = crawl / name
        for limit in ("1", None):  # a JSON run leaves its .partial.jsonl after the first
            code, err = run(
                [str(crawl), "--out", str(out), "--format", fmt]
                + (["--limit", limit] if limit else [])
            )
            assert code == 0, err
            assert "5 articles read, 0 skipped" in err and "storybrief: skipped" not in err
        assert len(pipe.calls) == 1  # the rerun briefed only the story left
        code, err = run([str(crawl), "--out", str(out), "--format", fmt])
        assert code == 0 and pipe.calls == [], err
        assert "5 articles read, 0 skipped, 2 stories, 2 briefs (0 new, 2 reused)" in err
        out.unlink()  # the next format reads the folder as the seeds were
        for sidecar in crawl.glob(name + ".*"):
            sidecar.unlink()


def test_out_or_its_records_given_as_an_input_is_refused(
    pipe: CountingPipeline, tmp_path: Path
) -> None:
    """An input l.json used as --out l.json said "(list indices must be integers or
    slices, not str)"."""
    listed = tmp_path / "l.json"
    listed.write_text(json.dumps([article_to_dict(a) for a in seed_articles()]))
    before = listed.read_bytes()
    code, err = run([str(listed), "--out", str(listed)])
    assert (code, err) == (
        2,
        f"storybrief: error: --out {listed} is an input of this command; give another file\n",
    )
    assert listed.read_bytes() == before
    digest = tmp_path / "d.md"
    assert run([str(SEEDS), "--out", str(digest)])[0] == 0
    kept = tmp_path / "d.md.briefs.jsonl"
    code, err = run([str(SEEDS), str(kept), "--out", str(digest)])
    assert code == 2 and f"{kept} keeps its briefs and is an input of this command" in err
    # a JSON list that is no briefs file is refused in the same words as any other
    code, err = run([str(SEEDS), "--out", str(listed)])
    assert code == 2 and 'is not a briefs file this command wrote (not {"briefs": [...]})' in err


def test_a_linked_out_updates_its_target_and_keeps_the_link(
    pipe: CountingPipeline, tmp_path: Path, reference: Path
) -> None:
    """A symlinked --out was appended through, then replaced by a regular file: the link
    was gone and its target left with the records of the first run."""
    real = tmp_path / "real"
    real.mkdir()
    for name in ("target.jsonl", "target.md"):
        link = tmp_path / ("link" + Path(name).suffix)
        link.symlink_to(real / name)  # dangling until the first run writes the target
        assert run([str(SEEDS), "--out", str(link), "--limit", "1"])[0] == 0
        code, err = run([str(SEEDS), "--out", str(link)])
        assert code == 0 and len(pipe.calls) == 1, err
        assert link.is_symlink() and link.resolve() == real / name
        records_file = real / name if name.endswith(".jsonl") else real / f"{name}.briefs.jsonl"
        assert without_timings(records(records_file)) == without_timings(records(reference))
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
            ["real", "link.jsonl", "link.md"][: 2 + name.endswith(".md")]
        )
    assert (real / "target.md").read_text(encoding="utf-8").count("\n---\n") == 2


@pytest.mark.parametrize(
    ("name", "fmt"), [("o.jsonl", "jsonl"), ("o.json", "json"), ("o.md", "md")]
)
def test_an_empty_out_is_taken_for_none(
    pipe: CountingPipeline, tmp_path: Path, name: str, fmt: str
) -> None:
    """A file made by touch or mktemp was accepted for JSONL but refused for JSON and
    Markdown as a file this command did not write."""
    out = tmp_path / name
    out.touch()
    code, err = run([str(SEEDS), "--out", str(out)])
    assert code == 0, err
    assert len(pipe.calls) == 2 and out.stat().st_size > 0


@pytest.mark.parametrize("name", ["deep.jsonl", "deep.json"])
def test_a_deeply_nested_out_is_refused_not_a_traceback(
    pipe: CountingPipeline, tmp_path: Path, name: str
) -> None:
    out = tmp_path / name
    content = b"[" * 100_000 + b"]" * 100_000 + b"\n"
    out.write_bytes(content)
    code, err = run([str(SEEDS), "--out", str(out)])
    assert code == 2 and err.count("\n") == 1 and "refusing to overwrite" in err, err
    assert out.read_bytes() == content


def test_blank_lines_in_out_are_passed_over(pipe: CountingPipeline, tmp_path: Path) -> None:
    """One blank line appended to OUT (an editor's last newline) made the rerun fatal."""
    out = tmp_path / "briefs.jsonl"
    assert run([str(SEEDS), "--out", str(out)])[0] == 0
    first = out.read_bytes()
    out.write_bytes(first.replace(b"\n", b"\n\n", 1) + b"\n  \n\t")
    code, err = run([str(SEEDS), "--out", str(out)])
    assert code == 0 and pipe.calls == [], err
    assert "cut short" not in err
    assert out.read_bytes() == first  # the blank lines are gone with the rewrite


def test_a_cut_short_record_is_kept_when_nothing_is_written(
    pipe: CountingPipeline,
    tmp_path: Path,
    reference: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An input with no article said "OUT was not written", yet OUT had lost its cut-short
    last record; the notice came twice, as a log warning and a message."""
    out = tmp_path / "t.jsonl"
    data = reference.read_bytes()
    out.write_bytes(data[:-40])
    empty = tmp_path / "none.jsonl"
    empty.write_bytes(b"\n")
    code, err = run([str(empty), "--out", str(out)])
    assert code == 2 and f"{out} was not written" in err
    assert err.count("cut short") == 1
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
    assert out.read_bytes() == data[:-40]


# ---------------------------------------------------------------- what a run says


def test_an_empty_brief_kept_from_an_earlier_run_still_exits_1(
    pipe: CountingPipeline, tmp_path: Path
) -> None:
    """A resumed run exited 0 while OUT still held the empty brief of a run before."""
    from summarizer.pipeline import NOTHING_SERVABLE

    src = _first_person_column(tmp_path)
    out = tmp_path / "briefs.jsonl"
    assert run([str(src), "--out", str(out)])[0] == 1
    code, err = run([str(src), "--out", str(out)])
    assert code == 1 and pipe.calls == []
    assert f"empty brief (from an earlier run): {NOTHING_SERVABLE}" in err
    assert "1 briefs (0 new, 1 reused), 1 empty briefs" in err


def test_an_interrupt_counts_only_the_briefs_a_rerun_reuses(
    pipe: CountingPipeline, tmp_path: Path
) -> None:
    """After --length short on an OUT of standard briefs, Ctrl-C before any short brief
    said "2 briefs saved"; before the first brief of a new OUT, "0 briefs saved in OUT"
    of a file that did not exist."""
    out = tmp_path / "briefs.jsonl"
    pipe.fail_on = 1
    code, err = run([str(SEEDS), "--out", str(out)])
    assert code == 130 and not out.exists()
    assert "storybrief: interrupted; no brief saved yet; rerun the same command" in err
    pipe.fail_on = None
    assert run([str(SEEDS), "--out", str(out)])[0] == 0
    pipe.fail_on = 1
    code, err = run([str(SEEDS), "--out", str(out), "--length", "short"])
    assert code == 130 and "interrupted; no brief saved yet" in err, err
    pipe.fail_on = 2
    code, err = run([str(SEEDS), "--out", str(out), "--length", "short"])
    assert code == 130 and f"interrupted; 1 brief saved in {out};" in err, err


def test_a_full_tmpdir_is_reported_when_the_spool_fails_again_on_close(
    pipe: CountingPipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The spool is a buffered file: its close flushed the buffer into the full TMPDIR
    again, and that second ENOSPC (a bare OSError) took the first one's message's place."""

    class FullDevice(io.FileIO):
        def write(self, data: Any) -> int:
            raise OSError(errno.ENOSPC, NO_SPACE)

    def spool(**kwargs: Any) -> io.BufferedRandom:
        fd, name = tempfile.mkstemp(dir=tmp_path)
        os.unlink(name)
        # a buffer that takes the seeds' prepared articles: the flush at the end of
        # reading is the first write to fail, and close tries the same bytes again
        return io.BufferedRandom(FullDevice(fd, "r+"), buffer_size=1 << 22)

    fake = types.SimpleNamespace(TemporaryFile=spool, gettempdir=lambda: "/the/tmp")
    monkeypatch.setattr(batch, "tempfile", fake)
    out = tmp_path / "briefs.jsonl"
    code, err = run([str(SEEDS), "--out", str(out)])
    assert (code, err) == (
        2,
        "storybrief: error: cannot write the temporary spool file in /the/tmp "
        f"(TMPDIR chooses the folder): {NO_SPACE}\n",
    )
