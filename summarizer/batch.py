"""Batch summarising: many articles in, one cited brief per story out, resumable.

From Python::

    from summarizer.batch import run_batch

    for item in run_batch(articles, pipeline, length="short", done=already):
        save(item.record())        # Brief.model_dump(mode="json") + "articles_hash"

``run_batch`` pools every article before stories are formed, then briefs one story at a
time. ``done`` maps story id -> articles hash: a story whose id and hash match is skipped,
so a caller that kept the records of an interrupted run continues where it stopped.

Memory stays bounded: articles are streamed and prepared (cleaned, split, embedded) in
small chunks; only what grouping needs (each article's profile, id and a hash) stays in
memory, while the prepared article is pickled to a temporary spool file (deleted on
close) and read back when its story is briefed. Nothing is embedded twice. Grouping
works through the run ``cluster.EXTEND_CHUNK`` articles at a time (see
``StoryIndex.extend``), so its working memory does not grow with the square of the run.

The command ``storybrief batch`` (``main``) wraps this with files: see ``main``'s help.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import hashlib
import json
import logging
import os
import pickle
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any, Literal, NoReturn, TextIO

from summarizer.cluster import ArticleProfile, StoryIndex, profile_article
from summarizer.errors import InputError, StoryBriefError
from summarizer.io import (
    InputProblem,
    Located,
    article_to_dict,
    check_out_file,
    fsync_dir,
    iter_located_inputs,
    render_digest,
    repeated_id,
    write_atomic,
)
from summarizer.pipeline import EXTRACTIVE_MODEL, Pipeline, PreparedArticle
from summarizer.settings import Settings, get_settings
from summarizer.types import Article, Brief, Length, Story, copy_key

log = logging.getLogger(__name__)

Format = Literal["jsonl", "json", "md"]
FORMATS: tuple[Format, ...] = ("jsonl", "json", "md")  # as in summarizer.commands.batch
HASH_KEY = "articles_hash"
_RECORD_START = b'{"story_id":'  # how every brief record's line begins
_DIGEST_START = b"# Story briefs\n"  # how a Markdown digest this command writes begins
SIDECAR_SUFFIX = ".partial.jsonl"  # a JSON run's records until every story is done
DIGEST_RECORDS_SUFFIX = ".briefs.jsonl"  # a Markdown digest's records, kept for reruns
CHUNK_ARTICLES = 32  # articles prepared (and embedded) per call

EXIT_OK, EXIT_SKIPPED, EXIT_FATAL = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143


class OutputError(StoryBriefError, OSError):
    """A file of the run could not be written or read back (a full disk, an I/O error).

    The message names the file and the system's reason; ``errno`` is the system's.
    """

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.errno = code


@contextlib.contextmanager
def _os_errors(doing: str) -> Iterator[None]:
    """Turn an ``OSError`` in the block into an ``OutputError``: "cannot DOING: reason"."""
    try:
        yield
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot {doing}: {exc.strerror or exc}", exc.errno) from exc


# ---------------------------------------------------------------- records


def articles_hash(articles: Iterable[Article]) -> str:
    """A hash of a story's articles (ids, texts and metadata), independent of their order."""
    return _combine_hashes(_article_hash(a) for a in articles)


def _article_hash(article: Article) -> str:
    data = json.dumps(article_to_dict(article), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _combine_hashes(hashes: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(hashes)).encode("ascii")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class PlannedStory:
    """A story formed from the pooled articles, with the hash of its articles."""

    story: Story
    articles_hash: str


@dataclass(frozen=True, slots=True)
class BatchBrief:
    """A brief written by a batch run, with the hash that keys it for resuming."""

    story: Story
    articles_hash: str
    brief: Brief

    def record(self) -> dict[str, Any]:
        """The output record: the brief's JSON plus ``articles_hash``."""
        data = self.brief.model_dump(mode="json")
        data[HASH_KEY] = self.articles_hash
        return data


@dataclass(frozen=True, slots=True)
class Progress:
    """A progress event: ``phase`` is read, group, load, brief or skip."""

    phase: str
    done: int
    total: int | None = None
    story_id: str | None = None
    articles: int = 0


ProgressFn = Callable[[Progress], None]
ProblemFn = Callable[[InputProblem], None]


# ---------------------------------------------------------------- the plan


@dataclass(slots=True)
class _Entry:
    id: str
    digest: str
    offset: int
    size: int
    profile: ArticleProfile | None  # dropped once the stories are formed


@dataclass(slots=True)
class _ReadStats:
    articles: int = 0
    skipped: int = 0
    copies: int = 0  # articles read again from another input (``same_article``)
    seconds: dict[str, float] = field(default_factory=dict)


class BatchPlan:
    """Articles prepared once and grouped into stories; briefs are written on demand.

    Build it with ``BatchPlan.build`` (or use ``run_batch``); close it (or use ``with``)
    to delete the spool file.
    """

    def __init__(self, pipeline: Pipeline, spool: IO[bytes]) -> None:
        self.pipeline = pipeline
        self._spool = spool
        self._spool_dir: str | Path | None = None
        self._entries: dict[str, _Entry] = {}
        self._stats = _ReadStats()
        self.stories: list[PlannedStory] = []

    # ------------------------------------------------------------------ building

    @classmethod
    def build(
        cls,
        items: Iterable[Article | Located | InputProblem],
        pipeline: Pipeline,
        *,
        on_problem: ProblemFn | None = None,
        on_progress: ProgressFn | None = None,
        spool_dir: str | Path | None = None,
        chunk_articles: int = CHUNK_ARTICLES,
    ) -> BatchPlan:
        """Read, prepare and group every article; problems go to ``on_problem``.

        Raises ``InputError`` when ``on_problem`` is None and an input cannot be used.
        """
        with _os_errors(_spool_doing(spool_dir)):
            spool = tempfile.TemporaryFile(prefix="storybrief-batch-", dir=spool_dir)
        plan = cls(pipeline, spool)
        plan._spool_dir = spool_dir
        try:
            plan._read(items, on_problem or _raise_problem, on_progress, max(1, chunk_articles))
            plan._group(on_progress)
        except BaseException:
            plan.close()
            raise
        return plan

    def _read(
        self,
        items: Iterable[Article | Located | InputProblem],
        on_problem: ProblemFn,
        on_progress: ProgressFn | None,
        chunk_articles: int,
    ) -> None:
        t0 = time.perf_counter()
        first_seen: dict[str, tuple[str, str]] = {}  # id -> (where read, copy_key)
        chunk: list[Located] = []
        for n, item in enumerate(items, start=1):
            if isinstance(item, InputProblem):
                self._stats.skipped += 1
                on_problem(item)
                continue
            located = item if isinstance(item, Located) else Located(item, "<articles>", n)
            self._stats.articles += 1
            aid = located.article.id
            if aid in first_seen:
                where, key = first_seen[aid]
                if key == copy_key(located.article):
                    self._stats.copies += 1  # overlapping inputs: read once, no problem
                else:
                    self._stats.skipped += 1
                    on_problem(repeated_id(located, where))
                continue
            first_seen[aid] = (str(located), copy_key(located.article))
            chunk.append(located)
            if len(chunk) >= chunk_articles:
                self._prepare_chunk(chunk, on_problem)
                chunk = []
                if on_progress:
                    on_progress(Progress("read", self._stats.articles))
        if chunk:
            self._prepare_chunk(chunk, on_problem)
        if on_progress:
            on_progress(Progress("read", self._stats.articles))
        self._stats.seconds["prepare"] = time.perf_counter() - t0

    def _prepare_chunk(self, chunk: Sequence[Located], on_problem: ProblemFn) -> None:
        try:
            prepared = self.pipeline.prepare([c.article for c in chunk])
            pairs = list(zip(chunk, prepared, strict=True))
        except InputError:
            # One bad article fails the whole call: redo the chunk one article at a time.
            pairs = []
            for c in chunk:
                try:
                    pairs.extend((c, p) for p in self.pipeline.prepare([c.article]))
                except InputError as exc:
                    self._stats.skipped += 1
                    on_problem(c.problem(str(exc)))
        for located, p in pairs:
            try:
                profile = profile_article(p.article, p.sentences, p.vectors)
            except InputError as exc:
                self._stats.skipped += 1
                on_problem(located.problem(str(exc)))
                continue
            data = pickle.dumps(p, protocol=pickle.HIGHEST_PROTOCOL)
            with _os_errors(_spool_doing(self._spool_dir)):
                offset = self._spool.seek(0, os.SEEK_END)
                self._spool.write(data)
            a = p.article
            self._entries[a.id] = _Entry(
                id=a.id,
                digest=_article_hash(a),
                offset=offset,
                size=len(data),
                profile=profile,
            )

    def _group(self, on_progress: ProgressFn | None) -> None:
        t0 = time.perf_counter()
        if on_progress:
            on_progress(Progress("group", 0, len(self._entries)))
        index = StoryIndex()
        # As Pipeline.assign does it (sorted, order-independent): the same stories as one call.
        # extend groups at most EXTEND_CHUNK articles at a time (in date order, later chunks
        # joining earlier stories), so grouping memory grows with the run, not its square.
        index.extend(e.profile for e in self._entries.values() if e.profile is not None)
        for entry in self._entries.values():
            entry.profile = None
        self.stories = [
            PlannedStory(story, _combine_hashes(self._entries[a].digest for a in story.article_ids))
            for story in index.stories()
        ]
        del index
        with _os_errors(_spool_doing(self._spool_dir)):
            self._spool.flush()
        log.info(
            "%d articles in %d stories; %.1f MB of prepared articles spooled to disk",
            len(self._entries),
            len(self.stories),
            self.spool_bytes / 1e6,
        )
        self._stats.seconds["group"] = time.perf_counter() - t0

    # ------------------------------------------------------------------ reading back

    @property
    def articles_read(self) -> int:
        """Articles read from the input (duplicates and unusable ones included)."""
        return self._stats.articles

    @property
    def articles_used(self) -> int:
        return len(self._entries)

    @property
    def skipped(self) -> int:
        """Input records that were reported as problems and left out."""
        return self._stats.skipped

    @property
    def copies(self) -> int:
        """Input records that repeat an article already read (the same id, url and text)."""
        return self._stats.copies

    @property
    def spool_bytes(self) -> int:
        """Size of the spool file: the prepared articles not held in memory."""
        return sum(e.size for e in self._entries.values())

    def load(self, story: Story) -> dict[str, PreparedArticle]:
        """The prepared articles of ``story``, read back from the spool."""
        out: dict[str, PreparedArticle] = {}
        for aid in story.article_ids:
            entry = self._entries[aid]
            with _os_errors(_spool_doing(self._spool_dir, "read")):
                self._spool.seek(entry.offset)
                data = self._spool.read(entry.size)
            prepared = pickle.loads(data)  # our own spool file
            if not isinstance(prepared, PreparedArticle):  # pragma: no cover - defensive
                raise StoryBriefError(f"spool record for article {aid} is damaged")
            out[aid] = prepared
        return out

    def brief(self, planned: PlannedStory, *, length: Length | None = None) -> BatchBrief:
        """Write the brief of one planned story."""
        shares = {
            k: round(v / max(1, len(self.stories)), 4) for k, v in self._stats.seconds.items()
        }
        t0 = time.perf_counter()
        prepared = self.load(planned.story)
        shares["load"] = round(time.perf_counter() - t0, 4)
        brief = self.pipeline.brief(planned.story, prepared, length=length, timings=shares)
        return BatchBrief(planned.story, planned.articles_hash, brief)

    def close(self) -> None:
        """Delete the spool file. What is still buffered for it goes with it: a flush that
        fails here (a full TMPDIR, already reported as the run's error) is no error, and
        must not take that error's place. The file is closed either way."""
        with contextlib.suppress(OSError):
            self._spool.close()

    def __enter__(self) -> BatchPlan:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _raise_problem(problem: InputProblem) -> None:
    raise InputError(str(problem))


def _spool_doing(spool_dir: str | Path | None, verb: str = "write") -> str:
    where = spool_dir if spool_dir is not None else tempfile.gettempdir()
    return f"{verb} the temporary spool file in {where} (TMPDIR chooses the folder)"


def run_batch(
    articles: Iterable[Article | Located | InputProblem],
    pipeline: Pipeline,
    *,
    length: Length | None = None,
    done: Mapping[str, str] | None = None,
    limit: int | None = None,
    on_problem: ProblemFn | None = None,
    on_progress: ProgressFn | None = None,
) -> Iterator[BatchBrief]:
    """Pool ``articles``, form stories, and yield one ``BatchBrief`` per story.

    ``done`` (story id -> articles hash) names stories already briefed: they are skipped
    when the hash still matches. ``limit`` stops after that many new briefs. Unusable
    input raises ``InputError`` unless ``on_problem`` takes it (then it is skipped).
    Raises ``InputError`` when no article can be used.
    """
    done = done or {}
    with BatchPlan.build(
        articles, pipeline, on_problem=on_problem, on_progress=on_progress
    ) as plan:
        if not plan.stories:
            raise InputError("no readable articles in the input")
        written = 0
        total = len(plan.stories)
        for i, planned in enumerate(plan.stories, start=1):
            sid = planned.story.id
            if done.get(sid) == planned.articles_hash:
                if on_progress:
                    on_progress(Progress("skip", i, total, sid))
                continue
            if limit is not None and written >= limit:
                return
            if on_progress:
                on_progress(Progress("brief", i - 1, total, sid, len(planned.story.article_ids)))
            yield plan.brief(planned, length=length)
            written += 1


# ---------------------------------------------------------------- output files


def _encode_record(record: Mapping[str, Any]) -> bytes:
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    return line.encode("utf-8") + b"\n"


@dataclass(frozen=True, slots=True)
class _Stored:
    offset: int
    size: int
    articles_hash: str
    length: str
    model: str
    empty: str | None = None  # why, for a brief with no sentence a reader can be served


def _empty_reason(brief: Brief) -> str | None:
    """Why ``brief`` is empty (no supported sentence), or None when it is not."""
    if any(s.supported for s in brief.sentences):
        return None
    return brief.fallback_reason or "no sentence could be served as fact"


class RecordLog:
    """An append-only JSONL file of brief records, safe against interruption.

    Each record is appended with one ``write`` followed by ``fsync``; when that fails (a
    full disk), what it wrote is cut off again, so the file ends at the last complete
    record. A last line without its newline (a write cut short, and not cut off: a crash)
    is noted on open (``dropped_tail``) and cut off before the next record is appended, or
    by ``rewrite``: a run that writes nothing leaves the file as it was. Blank lines (an
    editor's last newline) are passed over; a file holding other lines than brief records
    is refused, so a wrong ``--out`` never destroys data.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: dict[str, _Stored] = {}  # story id -> the last record for it
        self.dropped_tail = False  # a record cut short ends the file, to be cut off
        self._end: int | None = None  # where the file's complete lines end, if not at its end
        self._load()
        self._fh: IO[bytes] | None = None

    def _load(self) -> None:
        self.dropped_tail = False
        self._end = None
        if not self.path.exists():
            return
        with _os_errors(f"read {self.path}"):
            data = self.path.read_bytes()
        cut = len(data) if data.endswith(b"\n") else data.rfind(b"\n") + 1
        lines = data[:cut].splitlines(keepends=True)
        tail = data[cut:]
        # Every check comes before the file is touched: a wrong --out is never changed.
        offset = 0
        for lineno, line in enumerate(lines, start=1):
            if line.strip():
                stored = _parse_record(line, offset)
                if stored is None:
                    self._refuse(lineno)
                sid, rec = stored
                self.records[sid] = rec
            offset += len(line)
        if tail:
            if tail.strip() and not (
                tail.startswith(_RECORD_START) or _RECORD_START.startswith(tail)
            ):
                self._refuse(len(lines) + 1)  # not the start of a record cut short
            self._end = cut
            self.dropped_tail = bool(tail.strip())
            if self.dropped_tail:
                log.info("%s: a truncated last record (%d bytes) is dropped", self.path, len(tail))

    def _refuse(self, lineno: int) -> NoReturn:
        raise InputError(
            f"{self.path}:{lineno} is not a brief record; refusing to overwrite a file "
            "this command did not write (choose another --out or remove it)",
            "out",
        )

    def read(self, story_id: str) -> bytes:
        """The raw record line of ``story_id``."""
        rec = self.records[story_id]
        with _os_errors(f"read {self.path}"), self.path.open("rb") as fh:
            fh.seek(rec.offset)
            return fh.read(rec.size)

    def append(self, item: BatchBrief) -> None:
        """Append the record of ``item``; ``OutputError`` (naming the file) when it cannot
        be written, and then the file still ends at the last complete record."""
        data = _encode_record(item.record())
        with _os_errors(f"write {self.path}"):
            if self._fh is None:
                self._fh = self.path.open("ab", buffering=0)
            if self._end is not None:  # the record cut short goes before this one comes
                self._fh.truncate(self._end)
                os.fsync(self._fh.fileno())
                self._end = None
            offset = self._fh.seek(0, os.SEEK_END)
        try:
            view = memoryview(data)
            while view:
                n = self._fh.write(view)
                if n is None or n <= 0:  # pragma: no cover - a full disk raises instead
                    raise OSError(errno.EIO, "the write made no progress")
                view = view[n:]
            os.fsync(self._fh.fileno())
        except OSError as exc:
            self._cut_back(offset)
            raise OutputError(
                f"cannot write {self.path}: {exc.strerror or exc}", exc.errno
            ) from exc
        b = item.brief
        self.records[item.story.id] = _Stored(
            offset, len(data), item.articles_hash, b.length, b.model.name, _empty_reason(b)
        )

    def _cut_back(self, size: int) -> None:
        """Truncate the file to ``size`` after a failed append (a shorter file needs no
        room); if even that fails, the next open drops the partial record."""
        assert self._fh is not None
        try:
            self._fh.truncate(size)
            os.fsync(self._fh.fileno())
        except OSError as exc:  # pragma: no cover - the disk failed twice
            log.warning("%s: could not cut off a partial record: %s", self.path, exc)

    def rewrite(self, story_ids: Sequence[str]) -> bool:
        """Keep only the given stories' records, in that order; False when already so."""
        self.close()
        if not self.path.exists():
            return False
        with _os_errors(f"read {self.path}"):
            size = self.path.stat().st_size
        wanted = [self.records[s] for s in story_ids if s in self.records]
        pos = 0
        in_order = True
        for rec in wanted:
            in_order = in_order and rec.offset == pos
            pos += rec.size
        if in_order and pos == size:
            return False
        lines = [self.read(s) for s in story_ids if s in self.records]
        with _os_errors(f"write {self.path}"):
            write_atomic(self.path, lines)
        self.records = {}
        self._load()
        return True

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def _parse_record(line: bytes, offset: int) -> tuple[str, _Stored] | None:
    """The story id and place of a brief record's line; None for any other line (one
    nested too deeply to parse among them)."""
    try:
        data = json.loads(line)
        if not isinstance(data, dict):
            return None
        digest = data.pop(HASH_KEY)
        brief = Brief.model_validate(data)
    except (ValueError, KeyError, RecursionError):
        return None
    if not isinstance(digest, str):
        return None
    stored = _Stored(
        offset, len(line), digest, brief.length, brief.model.name, _empty_reason(brief)
    )
    return brief.story_id, stored


def _seed_sidecar(out: Path, sidecar: Path) -> None:
    """Start a JSON run's sidecar from a finished OUT, so a rerun reuses its briefs."""
    try:
        with _os_errors(f"read {out}"):
            raw = out.read_bytes()
        data = json.loads(raw)
        records = data.get("briefs") if isinstance(data, dict) else None
        if not isinstance(records, list):
            raise TypeError('not {"briefs": [...]}')
        lines = [_encode_record(r) for r in records]
        if any(_parse_record(line, 0) is None for line in lines):
            raise ValueError("a brief without its articles hash")
    except RecursionError:
        raise InputError(
            f"{out} is not a briefs file this command wrote (nested too deeply); refusing "
            "to overwrite it (choose another --out or remove it)",
            "out",
        ) from None
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"{out} is not a briefs file this command wrote ({exc}); refusing to overwrite it "
            "(choose another --out or remove it)",
            "out",
        ) from exc
    with _os_errors(f"write {sidecar}"):
        write_atomic(sidecar, lines)


def _finish_json(out: Path, records: RecordLog, story_ids: Sequence[str]) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"briefs": ['
        for i, sid in enumerate(s for s in story_ids if s in records.records):
            yield (b",\n" if i else b"\n") + records.read(sid).rstrip(b"\n")
        yield b"\n]}\n"

    with _os_errors(f"write {out}"):
        write_atomic(out, chunks())


def _finish_md(out: Path, records: RecordLog, story_ids: Sequence[str]) -> None:
    briefs = [
        Brief.model_validate(json.loads(records.read(s))) for s in story_ids if s in records.records
    ]
    with _os_errors(f"write {out}"):
        write_atomic(out, [render_digest(briefs).encode("utf-8")])


# ---------------------------------------------------------------- the command


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``main`` (the arguments live with the subcommand)."""
    from summarizer.commands.batch import DESCRIPTION, add_arguments

    parser = argparse.ArgumentParser(
        prog="storybrief batch",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """``storybrief batch``: returns the exit code (see ``storybrief batch --help``)."""
    err = stderr or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_FATAL
    return run_command(args, stdin=stdin, stderr=err)


class _Terminated(BaseException):
    """SIGTERM, turned into an exception so files are closed on the way out."""


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise _Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def open_pipeline(settings: Settings, *, extractive: bool) -> Iterator[Pipeline]:
    """Create the models for one run and release them after."""
    from summarizer.backends import load_generator
    from summarizer.embed import load_embedder

    embedder = load_embedder(settings)
    generator = None if extractive else load_generator(settings)
    try:
        yield Pipeline(settings, embedder, generator)
    finally:
        if generator is not None:
            generator.close()
        embedder.close()


def run_command(
    args: argparse.Namespace, *, stdin: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run ``storybrief batch`` from parsed arguments."""
    err = stderr or sys.stderr
    runner = _Runner(args, stdin, err)
    try:
        with _sigterm_raises():
            return runner.run()
    except KeyboardInterrupt:
        runner.interrupted("interrupted")
        return EXIT_INTERRUPTED
    except _Terminated:
        runner.interrupted("terminated")
        return EXIT_TERMINATED
    except _StrictStop as exc:
        err.write(f"storybrief: error: {exc.problem} (--strict)\n")
        return EXIT_FATAL
    except OutputError as exc:
        err.write(f"storybrief: error: {exc}{runner.saved_note()}\n")
        return EXIT_FATAL
    except StoryBriefError as exc:
        err.write(f"storybrief: error: {exc}\n")
        return EXIT_FATAL
    except OSError as exc:  # not one of the run's own files (those are OutputError)
        err.write(f"storybrief: error: {exc}\n")
        return EXIT_FATAL
    finally:
        runner.close()


@contextlib.contextmanager
def _env(name: str, value: str, *, when: bool) -> Iterator[None]:
    """Set an environment variable for the block (libraries' own progress bars read
    ``TQDM_DISABLE``), unless the user set it."""
    if not when or name in os.environ:
        yield
        return
    os.environ[name] = value
    try:
        yield
    finally:
        os.environ.pop(name, None)


class _StrictStop(Exception):
    def __init__(self, problem: InputProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _format_for(out: Path, chosen: str | None) -> Format:
    if chosen in FORMATS:
        return chosen
    suffix = out.suffix.lower()
    return "md" if suffix in (".md", ".markdown") else "json" if suffix == ".json" else "jsonl"


class _Runner:
    """One run of the command: the files, the progress display and the counts."""

    def __init__(self, args: argparse.Namespace, stdin: TextIO | None, err: TextIO) -> None:
        self.args = args
        self.stdin = stdin
        self.err = err
        self.out: Path = args.out
        self.format = _format_for(self.out, args.format)
        self.t0 = time.perf_counter()
        self.display = _Display(err, enabled=not args.quiet and _isatty(err))
        self.records: RecordLog | None = None
        self.new = 0
        self.failed = 0
        self.empty: set[str] = set()  # stories briefed with no sentence a reader can be served
        self.plan: BatchPlan | None = None
        self.wanted: tuple[str, str] = ("", "")  # (length, model name) of this run

    # ------------------------------------------------------------------ reporting

    def problem(self, problem: InputProblem) -> None:
        if self.args.strict:
            raise _StrictStop(problem)
        self.display.message(f"storybrief: skipped {problem}")

    def interrupted(self, how: str) -> None:
        self.display.stop()
        saved = self._saved() or "no brief saved yet"
        self.err.write(f"storybrief: {how}; {saved}; rerun the same command to continue\n")

    def saved_note(self) -> str:
        """After a file error: where the briefs written so far are, for the rerun."""
        self.display.stop()
        saved = self._saved()
        return f"; {saved}; rerun the same command to continue" if saved else ""

    def _saved(self) -> str:
        """How many briefs a rerun will reuse, and where ("2 briefs saved in OUT"), or ""
        for none. Once the stories are formed, those of this input's stories for the same
        articles, length and model count; before, those of the same length and model. A
        record of another length (before a rerun with ``--length short``) is no brief
        saved, and nothing is saved in a file that does not exist."""
        records = self.records
        if records is None or not records.path.exists():
            return ""
        length, model = self.wanted
        if self.plan is not None and model:
            n = sum(self._has_brief(p) for p in self.plan.stories)
        else:
            n = sum(
                rec.length == length and model in ("", rec.model)
                for rec in records.records.values()
            )
        return f"{_count(n, 'brief')} saved in {records.path}" if n else ""

    def close(self) -> None:
        self.display.stop()
        if self.records is not None:
            self.records.close()
        if self.plan is not None:
            self.plan.close()

    # ------------------------------------------------------------------ the run

    def _check_out(self) -> None:
        """Refuse OUT before any work is done: a path ``check_out_file`` refuses, and OUT or
        a records file beside it given as an input (in an input folder they are passed
        over instead). A link is followed (``_followed``)."""
        self.out = _followed(self.args.out)
        inputs = [raw for raw in self.args.inputs if raw != "-"]
        check_out_file(self.out, inputs=inputs)
        for own in _own_files(self.out)[1:]:
            for raw in inputs:
                with contextlib.suppress(OSError):
                    if own.exists() and own.samefile(raw):
                        raise InputError(
                            f"--out {self.out}: {own} keeps its briefs and is an input of this "
                            "command; give another input or --out",
                            "out",
                        )

    def run(self) -> int:
        args = self.args
        self._check_out()
        settings = get_settings()
        length: Length = args.length or settings.length
        self.wanted = (length, "")
        # OUT is checked before any work is done. An empty OUT (made by touch or mktemp)
        # is taken for no OUT in every format.
        store_path = _store_path(self.out, self.format)
        written = _size(self.out) > 0
        seeded = self.format == "json" and written and not store_path.exists()
        if seeded:
            _seed_sidecar(self.out, store_path)
        if self.format == "md" and written and not store_path.exists():
            with _os_errors(f"read {self.out}"), self.out.open("rb") as fh:
                if fh.read(len(_DIGEST_START)) != _DIGEST_START:
                    raise InputError(
                        f"{self.out} is not a digest this command wrote; refusing to "
                        "overwrite it (choose another --out or remove it)",
                        "out",
                    )
        self.records = records = RecordLog(store_path)
        if records.dropped_tail:
            self.display.message(
                f"storybrief: {store_path}: its last record was cut short; it will be "
                "dropped and redone"
            )
        self.display.start()
        with (
            _env("TQDM_DISABLE", "1", when=not self.display.enabled),
            open_pipeline(
                settings, extractive=args.extractive or settings.extractive_only
            ) as pipeline,
        ):
            model_name = pipeline.generator.name if pipeline.generator else EXTRACTIVE_MODEL.name
            self.wanted = (length, model_name)
            items = iter_located_inputs(
                args.inputs,
                self.stdin,
                max_chars=settings.max_chars_per_article,
                skip=_own_files(self.out),
            )
            self.plan = plan = BatchPlan.build(
                items, pipeline, on_problem=self.problem, on_progress=self.display.update
            )
            if not plan.stories:
                if seeded:
                    store_path.unlink()
                raise InputError(
                    f"no readable articles in the input ({plan.skipped} skipped); "
                    f"{self.out} was not written"
                )
            total = len(plan.stories)
            self.display.stories(total, sum(self._has_brief(p) for p in plan.stories))
            for planned in plan.stories:
                sid = planned.story.id
                if self._has_brief(planned):
                    continue
                if args.limit is not None and self.new >= args.limit:
                    break
                self.display.update(
                    Progress("brief", 0, total, sid, len(planned.story.article_ids))
                )
                try:
                    item = plan.brief(planned, length=length)
                except InputError as exc:
                    self.failed += 1
                    if args.strict:
                        raise
                    self.display.message(f"storybrief: story {sid} skipped: {exc}")
                    self.display.advance()
                    continue
                records.append(item)
                self.new += 1
                if (reason := _empty_reason(item.brief)) is not None:
                    self.empty.add(sid)
                    self.display.message(f"storybrief: story {sid}: empty brief: {reason}")
                self.display.advance()
            self.display.stop()
        return self._finish(plan, records)

    def _has_brief(self, planned: PlannedStory) -> bool:
        """Whether OUT holds a brief of this story for the same articles, length and model."""
        rec = self.records.records.get(planned.story.id) if self.records else None
        return (
            rec is not None
            and rec.articles_hash == planned.articles_hash
            and (rec.length, rec.model) == self.wanted
        )

    def _finish(self, plan: BatchPlan, records: RecordLog) -> int:
        order = [p.story.id for p in plan.stories]
        valid = [p.story.id for p in plan.stories if self._has_brief(p)]
        complete = len(valid) == len(order)
        records.rewrite(valid)
        if self.format == "json":
            _finish_json(self.out, records, valid)
        elif self.format == "md":
            _finish_md(self.out, records, valid)
        if self.format == "json" and complete:
            with _os_errors(f"remove {records.path}"):
                records.path.unlink()
            fsync_dir(records.path.parent)
        left = len(order) - len(valid)
        # OUT ends holding every empty brief among its records, this run's or reused ones
        empty = 0
        for sid in valid:
            reason = records.records[sid].empty
            if reason is not None:
                empty += 1
                if sid not in self.empty:
                    self.err.write(
                        f"storybrief: story {sid}: empty brief (from an earlier run): {reason}\n"
                    )
        code = EXIT_SKIPPED if plan.skipped or self.failed or empty else EXIT_OK
        if not self.args.quiet:
            bits = [
                f"{plan.articles_read} articles read",
                f"{plan.skipped} skipped",
                *([f"{plan.copies} copies read once"] if plan.copies else []),
                f"{len(order)} stories",
                f"{len(valid)} briefs ({self.new} new, {len(valid) - self.new} reused)",
            ]
            if self.failed:
                bits.append(f"{self.failed} stories failed")
            if empty:
                bits.append(f"{empty} empty briefs")
            if left:
                bits.append(f"{left} stories left (rerun to continue)")
            secs = time.perf_counter() - self.t0
            kept = f" (records kept in {records.path})" if self.format == "md" else ""
            self.err.write(
                f"storybrief batch: {', '.join(bits)}; {secs:.1f} s -> {self.out}{kept}\n"
            )
        return code


def _sidecar(out: Path) -> Path:
    return out.with_name(out.name + SIDECAR_SUFFIX)


def _own_files(out: Path) -> tuple[Path, Path, Path]:
    """OUT and the records files a run keeps beside it, in any format: never input."""
    return out, _store_path(out, "json"), _store_path(out, "md")


def _followed(out: Path) -> Path:
    """OUT with a link followed. OUT is replaced whole (``write_atomic``): through a link,
    that put a file in the link's place and left its target stale, appended to and never
    rewritten. The target is updated instead, the link kept, and the records files go
    beside the target."""
    try:
        return out.resolve() if out.is_symlink() else out
    except (OSError, RuntimeError) as exc:  # a loop of links
        raise InputError(f"--out {out}: cannot follow the link: {exc}", "out") from exc


def _size(path: Path) -> int:
    """The size of ``path``, 0 when there is none."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _store_path(out: Path, fmt: Format) -> Path:
    """Where a run keeps its brief records: OUT itself for JSONL; a sidecar removed at the
    end for JSON (a finished OUT seeds the next run's); beside a Markdown digest, a file
    kept after the run, since a rerun cannot read briefs back from Markdown."""
    if fmt == "jsonl":
        return out
    if fmt == "md":
        return out.with_name(out.name + DIGEST_RECORDS_SUFFIX)
    return _sidecar(out)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class _Display:
    """The progress bar on stderr (rich), or nothing when it is off."""

    def __init__(self, err: TextIO, *, enabled: bool) -> None:
        self.err = err
        self.enabled = enabled
        self._progress: Any = None
        self._read_task: Any = None
        self._story_task: Any = None

    def start(self) -> None:
        if not self.enabled or self._progress is not None:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import (
            Progress as RichProgress,
        )

        self._progress = RichProgress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(file=self.err, stderr=True),
            transient=False,
        )
        self._progress.start()
        self._read_task = self._progress.add_task("reading articles", total=None)

    def message(self, text: str) -> None:
        if self._progress is not None:
            self._progress.console.print(text, markup=False, highlight=False)
        else:
            self.err.write(text + "\n")

    def update(self, event: Progress) -> None:
        p = self._progress
        if p is None:
            return
        if event.phase == "read":
            p.update(self._read_task, completed=event.done, description="reading articles")
        elif event.phase == "group":
            p.update(self._read_task, description=f"grouping {event.total} articles")
        elif event.phase == "brief" and self._story_task is not None:
            p.update(
                self._story_task,
                description=f"briefing story {event.story_id} ({event.articles} articles)",
            )

    def stories(self, total: int, done: int) -> None:
        p = self._progress
        if p is None:
            return
        p.update(self._read_task, description="articles read", total=p.tasks[0].completed)
        self._story_task = p.add_task("stories", total=total)
        p.reset(self._story_task, total=total, completed=done, description="stories")

    def advance(self) -> None:
        if self._progress is not None and self._story_task is not None:
            self._progress.advance(self._story_task)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
