"""Background jobs: an article set too large for one request, ingested and briefed.

A job is stored first (``queued``, with its validated articles), then one runner thread
takes jobs in order: ingest (through the ingest lane, idempotent), then one brief per
story (through the brief lane, one story at a time, so interactive requests interleave).
Progress (stories done / total) and every finished brief are committed as they come, so
a restart loses nothing:

* a job found ``queued`` at start is queued again;
* a job found ``running`` was interrupted (crash, kill): it is resumed (stories already
  done are kept, the rest are written) unless it has been started
  ``job_max_attempts`` times, then it is marked ``failed`` with the reason.

A graceful stop leaves the job being run ``queued``: the runner stops waiting for its
task (a task of the job's still queued in a lane is cancelled), and a task cancelled or
refused because the lanes are closing is not a failure of the job.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from service.engine import StoryService, unstored_brief, unstored_id, with_note
from service.errors import Busy, NotFound, ServiceError, shown
from service.schemas import ArticleIn, BriefOut, IngestOut, JobIn, JobOut, Progress
from service.store import DatabaseGone, JobRow, database_fault, utcnow
from service.worker import waiters
from summarizer.errors import InputError, StoryBriefError
from summarizer.pipeline import CleanedSet, PreparedArticle
from summarizer.types import Article, Length

T = TypeVar("T")
log = logging.getLogger(__name__)

POLL_S = 0.25  # how often a waiting runner looks whether the service is stopping


# Every finished brief is committed at once while a job has few; past ``PROGRESS_ALWAYS``
# results, at most every ``PROGRESS_EVERY_S`` (and at the end, and at a stop or a fault).
# Each commit rewrites the job's whole result list, so one per story made a job's writes
# quadratic in its stories (73 s of commits at 1,000 stories, 296 s at 2,000); a crash
# now loses at most that many seconds of briefs, which the resumed job writes again.
PROGRESS_ALWAYS = 100
PROGRESS_EVERY_S = 2.0


# A job's note lists what happened to it, "; " between. How its run went (stopped,
# interrupted, the database failed) is one part, which the next such event replaces; what
# happened to its articles and stories (deleted) stays.
_RUN_NOTES = ("interrupted by ", "the database failed")
SHUTDOWN_NOTE = "interrupted by a shutdown, resumes at start"


# notes on how a job ran as an older build wrote them, with "; " inside one note
_OLD_RUN_NOTES = (
    ("interrupted by a shutdown; resumes at start", "interrupted by a shutdown, resumes at start"),
    ("interrupted by a shutdown; resumed", "interrupted by a shutdown, resumed"),
    (" stories; resumed (attempt", " stories, resumed (attempt"),
    ("); tried again shortly", "), tried again shortly"),
)


def _modern(note: str) -> str:
    for old, new in _OLD_RUN_NOTES:
        note = note.replace(old, new)
    return note


def run_note(note: str | None, new: str) -> str:
    """``note`` with its part on how the job ran replaced by ``new``."""
    parts = _modern(note or "").split("; ")
    kept = [p for p in parts if p and not p.startswith(_RUN_NOTES)]
    return "; ".join([*kept, new])


# a job's sentences embedded per task of a lane (~1-2 s of work); an article is not split
EMBED_PART = 512


def pieces(cleaned: CleanedSet, size: int) -> list[CleanedSet]:
    """``cleaned`` cut into runs of whole articles of about ``size`` sentences each (an
    article longer than that is a piece of its own)."""
    out: list[CleanedSet] = []
    start = count = 0
    for i, (_, sentences) in enumerate(cleaned.cleaned):
        if count and count + len(sentences) > size:
            out.append(cleaned.part(start, i))
            start, count = i, 0
        count += len(sentences)
    if start < len(cleaned):
        out.append(cleaned.part(start, len(cleaned)))
    return out


RETRY_FIRST_S = 5.0  # a job hit by a database fault is tried again after this long,
RETRY_MAX_S = 60.0  # doubling up to this


class _Stopping(Exception):
    pass


class _Progress:
    """A job's results and stories done, committed as ``PROGRESS_ALWAYS`` and
    ``PROGRESS_EVERY_S`` say."""

    def __init__(
        self,
        update: Callable[..., None],
        job_id: str,
        results: list[dict[str, Any]],
        done_ids: set[str],
    ) -> None:
        self._update, self.job_id = update, job_id
        self.results, self.done_ids = results, done_ids
        self._last = time.monotonic()
        self._pending = False

    def add(self, result: dict[str, Any], story_id: str) -> None:
        self.results.append(result)
        self.done_ids.add(story_id)
        self._pending = True
        if (
            len(self.results) <= PROGRESS_ALWAYS
            or time.monotonic() - self._last >= PROGRESS_EVERY_S
        ):
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self._update(self.job_id, results=list(self.results), done=len(self.done_ids))
            self._pending = False
            self._last = time.monotonic()

    @contextlib.contextmanager
    def flushed(self) -> Iterator[_Progress]:
        """Flush at the end; on an error too, as far as the database lets it."""
        try:
            yield self
        except BaseException:
            with contextlib.suppress(Exception):
                self.flush()
            raise
        self.flush()


class _DatabaseFault(Exception):
    """The database failed under a job (locked, full, gone): the job is tried again."""


def job_public(row: JobRow, offset: int = 0, limit: int | None = None) -> JobOut:
    """A job as the API shows it, with the page ``offset:offset + limit`` of its results
    (all from ``offset`` on when ``limit`` is None)."""
    results = row.results or []
    end = len(results) if limit is None else min(len(results), offset + limit)
    page = results[offset:end]
    return JobOut(
        id=row.id,
        status=row.status,
        progress=Progress(done=row.done, total=row.total),
        length=row.length,
        store=row.store,
        article_ids=list(row.article_ids or []),
        results=[BriefOut.model_validate(r) for r in page],
        results_offset=offset,
        results_next=end if end < len(results) else None,
        error=row.error,
        note=row.note,
        attempts=row.attempts,
        created_at=row.created_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
    )


class JobRunner:
    """Runs stored jobs one after another on a background thread."""

    def __init__(self, service: StoryService) -> None:
        self.service = service
        self.store = service.store
        self.settings = service.settings
        self._queue: queue.Queue[str] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="jobs", daemon=True)
        self._retries: dict[str, int] = {}  # job id -> database faults in a row
        # interrupted jobs not yet put back in the queue (the database failed at start):
        # the runner tries again from this monotonic time on
        self._recover_at: float | None = None
        self._recover_faults = 0
        # jobs whose last run hit a database fault that could not be written down
        self._uncounted: set[str] = set()
        self._known: set[str] = set()  # jobs this process has queued

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Queue the stored jobs and start the runner. A database that cannot take the
        writes this needs (full, locked) does not stop the service from starting: the
        runner tries again, and the jobs wait as they are stored."""
        self._try_recover()
        self._thread.start()

    def _try_recover(self) -> None:
        try:
            self.recover()
        except Exception as exc:  # a database fault, or worse: the runner goes on
            delay = min(RETRY_MAX_S, RETRY_FIRST_S * 2**self._recover_faults)
            self._recover_faults += 1
            self._recover_at = time.monotonic() + delay
            reason = (
                database_fault(exc)
                if isinstance(exc, OperationalError | DatabaseGone)
                else f"{type(exc).__name__}: {exc}"
            )
            log.warning(
                "stored jobs could not be resumed: the database failed (%s); trying again in "
                "%.0f s",
                reason,
                delay,
            )
        else:
            self._recover_at = None
            self._recover_faults = 0

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def recover(self) -> list[str]:
        """Requeue queued jobs; resume or fail the ones a restart interrupted. Jobs this
        process has queued already (made since it started, or requeued by an earlier
        call) are left to it: a recovery tried again must not take them for interrupted."""
        requeued: list[str] = []
        with self.store.session() as s:
            rows = s.scalars(
                select(JobRow)
                .where(JobRow.status.in_(("queued", "running")))
                .order_by(JobRow.created_at)
            ).all()
            for row in rows:
                if row.id in self._known or row.id in self._uncounted:
                    continue
                if row.status == "running":
                    if row.attempts >= self.settings.job_max_attempts:
                        row.status = "failed"
                        row.error = (
                            f"interrupted by a restart of the service {row.attempts} times "
                            f"(at {row.done}/{row.total} stories); giving up"
                        )
                        row.finished_at = utcnow()
                        row.updated_at = utcnow()
                        log.warning("job %s failed: %s", row.id, row.error)
                        continue
                    row.status = "queued"
                    note = (
                        f"interrupted by a restart at {row.done}/{row.total} stories, "
                        f"resumed (attempt {row.attempts + 1})"
                    )
                    row.note = run_note(row.note, note)
                    row.updated_at = utcnow()
                    log.warning("job %s: %s", row.id, note)
                requeued.append(row.id)
        for job_id in requeued:
            self._known.add(job_id)
            self._queue.put(job_id)
        return requeued

    # ------------------------------------------------------------------ public

    def create(self, body: JobIn, articles: list[Article]) -> JobOut:
        """Store a job for validated articles and queue it."""
        job_id = uuid.uuid4().hex
        length: Length = body.length or self.settings.length
        payload = [a.model_dump(mode="json", exclude_none=True) for a in body.articles]
        # Ids are fixed now, so a resumed job refers to the same articles.
        for item, art in zip(payload, articles, strict=True):
            item["id"] = art.id
        now = utcnow()
        with self.store.session() as s:
            row = JobRow(
                id=job_id,
                status="queued",
                length=length,
                store=body.store,
                payload=payload,
                total=0,
                done=0,
                results=[],
                article_ids=[a.id for a in articles],
                attempts=0,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
        self._known.add(job_id)
        self._queue.put(job_id)
        return job_public(row)

    def get(self, job_id: str, offset: int = 0, limit: int | None = None) -> JobOut:
        """A job with the page ``offset``, ``limit`` of its results (see ``job_public``)."""
        with self.store.session() as s:
            row = s.get(JobRow, job_id)
            if row is None:
                raise NotFound(f"no job with id {shown(job_id)}", "job_id")
            return job_public(row, offset, limit)

    # ------------------------------------------------------------------ the runner

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self._recover_at is not None and time.monotonic() >= self._recover_at:
                self._try_recover()
            try:
                job_id = self._queue.get(timeout=0.25)
            except queue.Empty:
                continue
            try:
                self._run(job_id)
                self._retries.pop(job_id, None)
            except _Stopping:
                log.info("job %s left queued: the service is stopping", job_id)
            except (_DatabaseFault, OperationalError, DatabaseGone) as exc:
                self._retry_later(job_id, exc)
            except Exception:  # never let the runner thread die
                log.exception("job %s: unexpected error", job_id)

    def _retry_later(self, job_id: str, exc: Exception) -> None:
        """Queue the job again after a pause (doubling, up to ``RETRY_MAX_S``): a job whose
        status could not even be written stays ``running`` in the database until then,
        and is not left there for good."""
        n = self._retries.get(job_id, 0)
        self._retries[job_id] = n + 1
        delay = min(RETRY_MAX_S, RETRY_FIRST_S * 2**n)
        log.warning("job %s: the database failed (%s); trying again in %.0f s", job_id, exc, delay)
        timer = threading.Timer(delay, self._requeue, args=(job_id,))
        timer.daemon = True
        timer.start()

    def _requeue(self, job_id: str) -> None:
        if not self._stop.is_set():
            self._queue.put(job_id)

    def _update(self, job_id: str, run: str | None = None, **values: Any) -> None:
        """Set ``values`` on the job; ``run`` replaces its note on how it ran (``run_note``)."""
        with self.store.session() as s:
            row = s.get(JobRow, job_id)
            if row is None:
                return
            for key, value in values.items():
                setattr(row, key, value)
            if run is not None:
                row.note = run_note(row.note, run)
            row.updated_at = utcnow()

    def _add_note(self, job_id: str, note: str, drop_articles: Collection[str] = ()) -> None:
        """Add to the job's note (a note written by a delete stays); ``drop_articles`` leave
        its article ids."""
        with self.store.session() as s:
            row = s.get(JobRow, job_id)
            if row is None:
                return
            row.note = with_note(row.note, note)
            if drop_articles:
                row.article_ids = [a for a in row.article_ids or [] if a not in drop_articles]
            row.updated_at = utcnow()

    def _run(self, job_id: str) -> None:
        with self.store.session() as s:
            row = s.get(JobRow, job_id)
            if row is None or row.status not in ("queued", "running"):
                return
            # a run whose database fault could not be written down is counted in the row
            # already (it stayed "running"): this run does not count again
            if not (job_id in self._uncounted and row.status == "running"):
                row.attempts += 1
            row.status = "running"
            attempt = row.attempts
            if SHUTDOWN_NOTE in _modern(row.note or "").split("; "):
                row.note = run_note(row.note, "interrupted by a shutdown, resumed")
            row.updated_at = utcnow()
            payload = list(row.payload)
            length: Length = row.length  # type: ignore[assignment]
            store = row.store
            results: list[dict[str, Any]] = list(row.results or [])
        # once this run's count is committed: a failure of that write keeps the marker
        self._uncounted.discard(job_id)
        try:
            # the articles as stored: validated when the job was made, under the rules then
            articles = [
                ArticleIn.model_validate(d, context={"stored": True}).to_article() for d in payload
            ]
        except (ValidationError, InputError) as exc:  # one this build no longer accepts
            if isinstance(exc, ValidationError):
                errors = exc.errors()
                reason = errors[0]["msg"] if errors else str(exc)
            else:  # the library's own rules, which the schema calls
                reason = str(exc)
            message = f"a stored article is no longer valid: {reason}"
            log.warning("job %s failed: %s", job_id, message)
            self._update(job_id, status="failed", error=message, finished_at=utcnow())
            return
        try:
            done_ids = {r["story_id"] for r in results}
            if store:
                self._run_stored(job_id, articles, length, results, done_ids)
            else:
                self._run_stateless(job_id, articles, length, results, done_ids)
            # inside the try: a database fault on this last write costs no attempt either
            self._update(job_id, status="done", finished_at=utcnow())
        except _Stopping:
            # a graceful stop is not a failed attempt: only crashes count against the job
            self._update(
                job_id,
                status="queued",
                attempts=attempt - 1,
                run=SHUTDOWN_NOTE,
            )
            raise
        except (OperationalError, DatabaseGone) as exc:
            reason = database_fault(exc)
            try:
                self._update(
                    job_id,
                    status="queued",
                    attempts=attempt - 1,
                    run=f"the database failed ({reason}), tried again shortly",
                )
            except Exception:  # the database is still failing: the attempt stays counted
                self._uncounted.add(job_id)  # in the row, and the next run does not add one
            raise _DatabaseFault(reason) from exc
        except (StoryBriefError, ServiceError) as exc:
            message = getattr(exc, "message", None) or str(exc)
            log.warning("job %s failed: %s", job_id, message)
            self._update(job_id, status="failed", error=message, finished_at=utcnow())
            return
        except Exception as exc:
            log.exception("job %s failed", job_id)
            self._update(
                job_id,
                status="failed",
                error=f"internal error: {type(exc).__name__}",
                finished_at=utcnow(),
            )
            return

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise _Stopping

    def _stopping(self) -> bool:
        """Whether the service is stopping (the runner was told to, or a lane is closed)."""
        svc = self.service
        return self._stop.is_set() or svc.ingest_lane.closed or svc.brief_lane.closed

    def _result(self, submit: Callable[[], concurrent.futures.Future[T]]) -> T:
        """Queue a task with ``submit`` and wait for its result; ``_Stopping`` once the
        service stops.

        A task the closing lanes cancel or refuse is no failure of the job. A task shared
        with a request (a story's brief) that the request cancelled before this runner
        joined it is queued again.
        """
        while True:
            self._check_stop()
            try:
                future = submit()
            except Busy:  # only a closed lane refuses the runner's tasks
                if self._stopping():
                    raise _Stopping from None
                raise
            try:
                return self._wait(future)
            except concurrent.futures.CancelledError:
                if self._stopping():
                    raise _Stopping from None
                log.info("a job's task was cancelled by a request it shared; queued again")

    def _wait(self, future: concurrent.futures.Future[T]) -> T:
        """The task's result, waited for in steps of ``POLL_S`` so that a stop is seen at
        once; on a stop, the task is cancelled if it is still queued and nobody else waits
        for it."""
        if not waiters.join(future):
            raise concurrent.futures.CancelledError
        # A done callback, not ``concurrent.futures.wait``: a task the closing lane cancels
        # never reaches the executor's waiters, but its callbacks do run.
        done = threading.Event()
        future.add_done_callback(lambda _f: done.set())
        try:
            while not done.wait(POLL_S):
                if self._stop.is_set():
                    raise _Stopping
            return future.result()
        finally:
            waiters.leave(future, cancel=self._stop.is_set())

    def _run_stored(
        self,
        job_id: str,
        articles: list[Article],
        length: Length,
        results: list[dict[str, Any]],
        done_ids: set[str],
    ) -> None:
        svc = self.service
        ready = self._prepare(job_id, articles)

        # The articles still wanted are read inside the ingest lane, where deletes run too:
        # an article deleted while the job waited is not ingested again.
        def run_ingest() -> IngestOut:
            wanted, submitted = self._still_wanted(job_id, articles)
            return svc.ingest(wanted, deleted_since=submitted, ready=ready)

        ingest = self._result(
            lambda: svc.ingest_lane.submit(run_ingest, bounded=False, measure=False)
        )
        story_ids = ingest.stories
        self._update(job_id, total=len(story_ids), done=len(done_ids & set(story_ids)))
        refused = [it.id for it in ingest.data if it.status == "deleted"]
        if refused:
            self._add_note(
                job_id,
                f"{len(refused)} of its articles were deleted after it was submitted and "
                "were not stored again: "
                + ", ".join(shown(a) for a in refused[:10])
                + (" ..." if len(refused) > 10 else ""),
                drop_articles=refused,
            )
        gone: list[str] = []  # stories whose articles were all deleted while the job ran
        with _Progress(self._update, job_id, results, done_ids).flushed() as progress:
            for sid in story_ids:
                if sid in done_ids:
                    continue
                brief = self._story_brief(sid, length)
                if brief is None:
                    gone.append(sid)
                    continue
                progress.add(brief.model_dump(mode="json"), sid)
        if gone:
            self._update(job_id, total=len(story_ids) - len(gone))
            self._add_note(
                job_id,
                f"{len(gone)} of its stories were deleted while it ran: "
                + ", ".join(gone[:10])
                + (" ..." if len(gone) > 10 else ""),
            )

    def _prepare(self, job_id: str, articles: list[Article]) -> dict[str, PreparedArticle]:
        """The job's new articles cleaned, split and embedded ahead of its ingest, each
        piece of about ``EMBED_PART`` sentences a task of the ingest lane: a job of thousands of
        articles had held the lane for minutes in one task, and every request that came
        meanwhile timed out. Its tasks stay out of the lane's mean task time, which sizes
        the queue for requests."""
        svc = self.service
        wanted, _ = self._still_wanted(job_id, articles)
        cleaned, _ = self._result(
            lambda: svc.ingest_lane.submit(
                partial(svc.clean_new, wanted), bounded=False, measure=False
            )
        )
        ready: dict[str, PreparedArticle] = {}
        for part in pieces(cleaned, EMBED_PART):
            task = partial(svc.embed_part, part)
            got: dict[str, PreparedArticle] = self._result(
                partial(svc.ingest_lane.submit, task, bounded=False, measure=False)
            )
            ready.update(got)
        return ready

    def _story_brief(self, sid: str, length: Length) -> BriefOut | None:
        """A stored story's brief for a job; None when the story was deleted meanwhile.

        A brief that came out not current (an article was deleted, or joined, while it was
        written) is written again, once: it may quote an article that is gone."""
        svc = self.service
        for _ in range(2):
            try:
                brief = self._result(
                    partial(svc.submit_story_brief, sid, length, refresh=False, bounded=False)
                )
            except NotFound:
                return None
            if brief.current:
                return brief
        return brief

    def _still_wanted(
        self, job_id: str, articles: list[Article]
    ) -> tuple[list[Article], datetime | None]:
        """``articles`` without those deleted since the job was stored (see
        ``StoryService.delete_article``), and the job's submission time: an article whose
        text was deleted after it is not stored again."""
        with self.store.session() as s:
            row = s.get(JobRow, job_id)
            if row is None:
                return [], None
            wanted = set(row.article_ids or [])
            return [a for a in articles if a.id in wanted], row.created_at

    def _run_stateless(
        self,
        job_id: str,
        articles: list[Article],
        length: Length,
        results: list[dict[str, Any]],
        done_ids: set[str],
    ) -> None:
        svc = self.service
        # results written before unstored briefs had tmp_ ids carry st_ ids: the same stories
        for r in results:
            if str(r.get("story_id", "")).startswith("st_"):
                r["story_id"] = unstored_id(r["story_id"])
        done_ids = {unstored_id(i) if i.startswith("st_") else i for i in done_ids}
        # prepared a piece at a time, as a stored job's articles are (``_prepare``), in the
        # lane that briefs requests, so that they get their turn between the pieces
        cleaned = self._result(
            partial(
                svc.brief_lane.submit,
                partial(svc.pipeline.clean_set, articles),
                bounded=False,
                measure=False,
            )
        )
        embedded: list[PreparedArticle] = []
        for part in pieces(cleaned, EMBED_PART):
            task = partial(svc.pipeline.embed_cleaned, part)
            got: list[PreparedArticle] = self._result(
                partial(svc.brief_lane.submit, task, bounded=False, measure=False)
            )
            embedded.extend(got)
        stories, prepared = self._result(
            partial(
                svc.brief_lane.submit,
                partial(svc.group_stateless, articles, embedded),
                bounded=False,
                measure=False,
            )
        )
        self._update(job_id, total=len(stories), done=len(done_ids))
        with _Progress(self._update, job_id, results, done_ids).flushed() as progress:
            for story in stories:
                sid = unstored_id(story.id)
                if sid in done_ids:
                    continue
                write = partial(svc.pipeline.brief, story, prepared, length=length)
                brief = self._result(partial(svc.brief_lane.submit, write, bounded=False))
                progress.add(unstored_brief(brief).model_dump(mode="json"), sid)
