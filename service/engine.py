"""The service's use cases over the library and the store (the routes stay thin).

``StoryService`` owns the story index (one in memory, persisted in the same transaction as
the articles), the cache of prepared articles, and the two lanes:

* the **ingest** lane cleans, splits and embeds new articles and adds them to stories;
  one ingest at a time, so the index is never mutated concurrently;
* the **brief** lane writes briefs (generation is CPU-bound; one at a time).

Every ingest is one transaction: articles, their vectors, the stories and the index state
are committed together or not at all (the in-memory index is reloaded from the store when
a transaction fails).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from pydantic import ValidationError
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import DatabaseError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from service.errors import Conflict, NotFound, shown
from service.schemas import (
    ArticleDeleted,
    ArticlePublic,
    ArticleReplaced,
    BriefOut,
    DeletedStory,
    IngestItem,
    IngestOut,
    StoriesOut,
    StoryArticle,
    StoryDetail,
    StorySummary,
    TimelineEntry,
)
from service.store import (
    ArticleRow,
    BriefRow,
    DatabaseGone,
    DeletionRow,
    IndexProfileRow,
    IndexStateRow,
    JobRow,
    Store,
    StoryRow,
    VectorRow,
    damaged,
    database_fault,
    utcnow,
)
from service.worker import Deadline, Lane
from summarizer.cluster import SPLIT_FORMAT, StoryIndex
from summarizer.errors import ConfigError, InputError
from summarizer.generate import (
    PROMPT_OVERHEAD_TOKENS,
    estimate_brief_seconds,
    generation_config,
    headline_from_sentence,
)
from summarizer.io import decode_references
from summarizer.pipeline import CleanedSet, Pipeline, PreparedArticle
from summarizer.sentences import prepare_article
from summarizer.settings import Settings
from summarizer.types import (
    LENGTH_SENTENCES,
    Article,
    Brief,
    CleanText,
    Length,
    Sentence,
    Story,
    same_words,
)

log = logging.getLogger(__name__)

INDEX_ROW = 1


def content_hash(clean_text: str) -> str:
    """Identity of an article's cleaned text (whitespace-insensitive)."""
    return hashlib.sha256(same_words(clean_text).encode("utf-8")).hexdigest()


def _same_text(a: str, b: str) -> bool:
    return a == b or same_words(a) == same_words(b)


def _article_of(row: ArticleRow) -> Article:
    return Article(
        id=row.id,
        outlet=row.outlet,
        text=row.text,
        title=row.title,
        url=row.url,
        published=row.published,
    )


def _date_key(published: date | None, ident: str) -> tuple[str, str]:
    return (published.isoformat() if published else "9999", ident)


@dataclass(frozen=True, slots=True)
class _Member:
    id: str
    outlet: str
    title: str | None
    url: str | None
    published: date | None


class PreparedCache:
    """Prepared articles by id, least recently used dropped first (thread-safe).

    ``epoch`` (the store's lock epoch) emptying it when it changes: after the database lock
    was lost and taken again, another service may have changed any article."""

    def __init__(self, size: int, epoch: Callable[[], int] = lambda: 0) -> None:
        self.size = size
        self._items: OrderedDict[str, PreparedArticle] = OrderedDict()
        self._lock = threading.Lock()
        self._epoch = epoch
        self._seen = epoch()

    def _check_epoch(self) -> None:  # with ``_lock`` held
        now = self._epoch()
        if now != self._seen:
            self._items.clear()
            self._seen = now

    def get(self, article_id: str) -> PreparedArticle | None:
        with self._lock:
            self._check_epoch()
            item = self._items.get(article_id)
            if item is not None:
                self._items.move_to_end(article_id)
            return item

    def put(self, item: PreparedArticle) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._check_epoch()
            self._items[item.article.id] = item
            self._items.move_to_end(item.article.id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def drop(self, article_id: str) -> None:
        with self._lock:
            self._items.pop(article_id, None)

    def __len__(self) -> int:
        return len(self._items)


class StoryService:
    """Ingest, stories and briefs over one ``Pipeline`` and one ``Store``."""

    def __init__(self, settings: Settings, store: Store, pipeline: Pipeline) -> None:
        self.settings = settings
        self.store = store
        self.pipeline = pipeline
        self.index = StoryIndex()
        self.cache = PreparedCache(settings.prepared_cache_size, lambda: store.lock_epoch)
        budget = settings.request_timeout_s
        self.ingest_lane = Lane(
            "ingest", settings.ingest_queue_size, budget_s=budget, estimate_s=1.0
        )
        # Until the warm-up has timed the generator (``_calibrate_brief_lane``), assume a
        # generation takes its whole time limit.
        first_guess = settings.generation_timeout_s if pipeline.generator is not None else 5.0
        self.brief_lane = Lane(
            "brief", settings.queue_size, budget_s=budget, estimate_s=first_guess
        )
        self._inflight: dict[tuple[str, str, bool, int], concurrent.futures.Future[BriefOut]] = {}
        self._inflight_lock = threading.Lock()
        self.models_ready = threading.Event()
        self._index_dirty = False  # the in-memory index may hold uncommitted articles
        self._lock_epoch = store.lock_epoch  # see ``Store.check_lock``
        # when each write that stamps stories' ``updated_at`` began, until it commits: a
        # listing's ``as_of`` is the earliest, so a poll from it misses no later commit
        self._writes: dict[int, datetime] = {}
        self._writes_lock = threading.Lock()

    @contextmanager
    def _stamping(self) -> Iterator[None]:
        """Around a transaction that stamps stories' ``updated_at``: from before its stamp
        is taken until after it commits (``as_of``)."""
        token = object()
        with self._writes_lock:
            self._writes[id(token)] = utcnow()
        try:
            yield
        finally:
            with self._writes_lock:
                del self._writes[id(token)]

    def as_of(self) -> datetime:
        """A time at or before every stamp a listing made now might not show yet: the start
        of the earliest write still open, else now."""
        now = utcnow()
        with self._writes_lock:
            return min([now, *self._writes.values()])

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Load the story index from the store (rebuild it when it is missing, unreadable,
        or disagrees with the stored articles). A damaged database is a ``ConfigError``."""
        try:
            self._load_index()
        except DatabaseError as exc:
            if not damaged(exc):
                raise
            raise ConfigError(
                f"the database {self.store.url} is damaged ({database_fault(exc)}); restore it "
                "from a backup, or move it away to start with an empty one"
            ) from None

    def _load_index(self) -> None:
        retired: list[str] = []
        with self.store.session() as s:
            state = s.get(IndexStateRow, INDEX_ROW)
            n_articles = s.scalar(select(func.count()).select_from(ArticleRow)) or 0
            if state is not None:
                # the ids of deleted stories outlive a snapshot that must be rebuilt
                kept = state.data.get("retired") if isinstance(state.data, dict) else None
                retired = [x for x in kept if isinstance(x, str)] if isinstance(kept, list) else []
                made_by = state.data.get("embedder") if isinstance(state.data, dict) else None
                if made_by is None:  # a snapshot from before it said: ask the stored vectors
                    models = s.scalars(select(VectorRow.model).distinct()).all()
                    made_by = ", ".join(sorted(models)) or None
                try:
                    if made_by not in (None, self.pipeline.embedder.name):
                        # its vectors are another model's: they cannot be compared with new ones
                        raise InputError(f"its vectors come from {made_by!r}")
                    index = _read_index(s, state.data)
                    differ = _disagreeing(index, s)
                    if differ:
                        # written over by a second process on the same database, or by hand
                        raise InputError(
                            f"it disagrees with the stored articles on {differ} of them"
                        )
                    self.index = index
                    return
                except DatabaseError:
                    raise
                except Exception as exc:  # a format this build cannot read
                    log.warning("stored story index unusable (%s); rebuilding", exc)
        if n_articles:
            self._rebuild_index(retired)
        else:  # nothing to rebuild from; the ids of deleted stories stay retired
            self.index = StoryIndex()
            self.index.retire(retired)

    def _rebuild_index(self, retired: Sequence[str] = ()) -> None:
        """A fresh index from every stored article (one pass over all of them).

        Stories keep their ids and members as stored (each article's ``story_id``): grouping
        the articles again could rename a story a client holds, or cut it differently, and
        its stored briefs would be lost. Only an article that belongs to no stored story is
        grouped anew.
        """
        log.warning("rebuilding the story index from the stored articles")
        with self._stamping(), self.store.session() as s:
            rows = s.scalars(select(ArticleRow)).all()
            prepared = self._restore(s, rows)
            by_id = {p.article.id: p for p in prepared}
            founded = dict(s.execute(select(StoryRow.id, StoryRow.created_at)).tuples().all())
            members: dict[str, list[ArticleRow]] = {}
            for row in rows:
                if row.story_id is not None and row.story_id in founded and row.id in by_id:
                    members.setdefault(row.story_id, []).append(row)
            order = sorted(members, key=lambda sid: (founded[sid], sid))
            self.index = StoryIndex()
            self.index.retire(retired)
            self.index.seed(
                (self.pipeline.profile(by_id[aid]) for sid in order for aid in _ids(members[sid])),
                ((sid, _ids(members[sid])) for sid in order),
            )
            rest = [p for p in prepared if p.article.id not in self.index]
            joined = self.pipeline.assign(rest, self.index) if rest else {}
            self._sync_stories(s, set(joined.values()), by_id, full=True)
            s.execute(delete(IndexProfileRow))  # every profile is written anew
            self._save_index(s)

    def warm_up(self) -> None:
        """Load the models in the background (the lanes' threads), so /readyz turns ready."""
        pipeline = self.pipeline

        def load_embedder() -> None:
            pipeline.embedder.encode(["warm-up"])

        embedder_loaded = self.ingest_lane.submit(load_embedder, bounded=False, measure=False)

        def load_generator() -> None:
            if pipeline.generator is not None:
                pipeline.generator.count_tokens("warm-up")
                # Time the generator only once the embedder has loaded, so that the two
                # warm-ups do not share the cores and the measurement is not slowed.
                concurrent.futures.wait([embedder_loaded])
                self._calibrate_brief_lane()

        futures = [
            embedder_loaded,
            self.brief_lane.submit(load_generator, bounded=False, measure=False),
        ]

        def done(_f: concurrent.futures.Future[None]) -> None:
            if any(f.cancelled() for f in futures):
                return
            if all(f.done() for f in futures):
                failed = [f.exception() for f in futures if f.exception() is not None]
                if failed:
                    log.error("model warm-up failed: %s", failed[0])
                else:
                    self.models_ready.set()

        for f in futures:
            f.add_done_callback(done)

    def _calibrate_brief_lane(self) -> None:
        """Replace the brief lane's first guess (the whole time limit) by a measured one.

        A probe brief (``estimate_brief_seconds``) gives this machine's prefill and decode
        speeds; a standard brief (the evidence budget plus the instructions in, the
        standard length's token allowance out) is assumed to take that long, plus a fifth.
        A failed probe only logs: the lane keeps its cautious guess.
        """
        generator = self.pipeline.generator
        if generator is None:
            return
        s = self.settings
        new_tokens = generation_config(
            s.max_new_tokens, s.repeat_penalty, None, LENGTH_SENTENCES["standard"]
        ).max_new_tokens
        try:
            seconds = estimate_brief_seconds(
                generator,
                prompt_tokens=s.evidence_token_budget + PROMPT_OVERHEAD_TOKENS,
                new_tokens=new_tokens,
                repeat_penalty=s.repeat_penalty,
            )
        except Exception as exc:  # the real briefs will report a broken generator
            log.warning(
                "could not time the generator (%s); assuming %.0f s a brief",
                exc,
                self.brief_lane.mean_task_s,
            )
            return
        if seconds is None:
            return
        guess = min(s.generation_timeout_s, 1.2 * seconds)
        if self.brief_lane.set_estimate(guess):
            log.info("brief lane: about %.1f s a brief on this machine (measured)", guess)

    def close(self) -> None:
        self.ingest_lane.close()
        self.brief_lane.close()

    # ------------------------------------------------------------------ prepared articles

    def _restore(self, s: Session, rows: Sequence[ArticleRow]) -> list[PreparedArticle]:
        """Prepared articles for stored rows: from the cache, else re-split + stored vectors."""
        out: list[PreparedArticle] = []
        split: list[tuple[Article, CleanText, list[Sentence]]] = []  # another model's vectors
        missing: list[Article] = []
        model = self.pipeline.embedder.name
        for row in rows:
            hit = self.cache.get(row.id)
            # an entry is the row's only while it holds the row's text and metadata: a
            # brief that restored the article just before a correction may put the old
            # version back after the correction's own entry
            if hit is not None and hit.article == _article_of(row):
                out.append(hit)
                continue
            article = _article_of(row)
            vec = s.get(VectorRow, row.id)
            item = None
            if vec is not None and vec.model == model:
                vectors = np.frombuffer(vec.data, dtype=np.float32).reshape(vec.rows, vec.dim)
                item = self.pipeline.restore(article, vectors, vec.spans)
            elif vec is not None:
                found = self.pipeline.resplit(article, vec.spans)
                if found is not None:
                    split.append((article, *found))
                    continue
            if item is not None:
                self.cache.put(item)
                out.append(item)
            else:
                missing.append(article)
        fresh: list[PreparedArticle] = []
        if split:  # the sentences they were stored with, embedded by this model
            log.info("re-embedding %d stored articles", len(split))
            vectors = self.pipeline.embedder.encode([x.text for _, _, ss in split for x in ss])
            pos = 0
            for article, clean, sents in split:
                fresh.append(
                    PreparedArticle(article, clean, tuple(sents), vectors[pos : pos + len(sents)])
                )
                pos += len(sents)
        if missing:  # each alone: lines other articles of its request shared are not known
            log.info("preparing %d stored articles again", len(missing))
            for article in missing:
                fresh.extend(self.pipeline.prepare([article]))
        for item in fresh:
            self._put_vectors(s, item, model)
            self.cache.put(item)
            out.append(item)
        return out

    @staticmethod
    def _put_vectors(s: Session, item: PreparedArticle, model: str) -> None:
        arr = np.ascontiguousarray(item.vectors, dtype=np.float32)
        rows, dim = (arr.shape[0], arr.shape[1]) if arr.ndim == 2 else (0, 0)
        s.merge(
            VectorRow(
                article_id=item.article.id,
                model=model,
                rows=rows,
                dim=dim,
                spans=[[x.start, x.end] for x in item.sentences],
                data=arr.tobytes(),
            )
        )

    # ------------------------------------------------------------------ ingest

    def ingest(
        self,
        articles: Sequence[Article],
        deadline: Deadline | None = None,
        *,
        deleted_since: datetime | None = None,
        ready: Mapping[str, PreparedArticle] | None = None,
    ) -> IngestOut:
        """Store new articles and add them to stories; one transaction, idempotent.

        An article already stored (same id and text, same url, or same cleaned text) is
        answered with its existing id. With ``deleted_since`` (a job's submission time), an
        article whose cleaned text was deleted at or after it is not stored again (status
        ``deleted``). ``ready`` holds articles prepared beforehand (``prepare_new``), by
        id; the others are prepared here. Runs in the ingest lane.
        """
        with self._index_write("ingest"):
            self._index_dirty = True  # articles join the index before the commit
            with self._stamping(), self.store.session(epoch=self._lock_epoch) as s:
                out = self._ingest(s, articles, deadline, deleted_since, ready or {})
                if deadline is not None:
                    deadline.check("ingest")
        return out

    @contextmanager
    def _index_write(self, what: str) -> Iterator[None]:
        """Around a transaction that may change the in-memory story index. An index left
        dirty by an earlier failure is reloaded first. The body sets ``_index_dirty`` once
        it changes the index; if the body then fails, the index is reloaded from the store
        (the last committed state), and on success it is clean."""
        try:
            self.store.check_lock()
            if self.store.lock_epoch != self._lock_epoch:
                # the database lock was lost and taken again: another service may have
                # written meanwhile, so the index is read again (the cache empties itself)
                self._reload_index()
            elif self._index_dirty:
                self._reload_index()
            yield
            self._index_dirty = False
        except BaseException:
            if self._index_dirty:
                try:
                    self._reload_index()
                except Exception:  # keep the original error; the next write retries the reload
                    if not self.store.closed:  # stopping: the next start loads it anyway
                        log.exception("could not reload the story index after a failed %s", what)
            raise

    def delete_article(self, article_id: str) -> ArticleDeleted:
        """Delete a stored article: its text, vectors and place in its story; one
        transaction. Runs in the ingest lane, so no ingest sees the index half changed.

        The story keeps its id and its other articles (it is not grouped again); its
        revision goes up, its headline is taken again from the articles left, and its
        stored briefs are deleted, since they quote the article. A story left with no
        article is deleted with its briefs.
        """
        with self._index_write("delete"):
            with self._stamping(), self.store.session(epoch=self._lock_epoch) as s:
                row = s.get(ArticleRow, article_id)
                if row is None:
                    raise NotFound(f"no article with id {shown(article_id)}", "article_id")
                sid, left = self._delete_row(s, row, "deleted")
                self._save_index(s)
            self.cache.drop(article_id)
        return ArticleDeleted(id=article_id, story_id=sid, story_articles=len(left))

    def _delete_row(self, s: Session, row: ArticleRow, how: str) -> tuple[str | None, list[Any]]:
        """``delete_article``'s work inside its transaction: the story the article was in
        and the articles left there. ``how`` names it in the notes of pending jobs."""
        article_id = row.id
        sid = row.story_id
        if article_id in self.index:
            sid = self.index.remove(article_id)
            self._index_dirty = True  # until the transaction commits
        s.execute(delete(VectorRow).where(VectorRow.article_id == article_id))
        self._drop_from_pending_jobs(s, row, how)
        _record_deletion(s, row)
        s.delete(row)
        s.flush()
        left: list[ArticleRow] = []
        if sid is not None:
            s.execute(delete(BriefRow).where(BriefRow.story_id == sid))
            left = list(s.scalars(select(ArticleRow).where(ArticleRow.story_id == sid)).all())
        # the headline may have come from the deleted article: take it anew from the first
        # article left (restored, so that its first sentence is known)
        first = sorted(left, key=lambda r: _date_key(r.published, r.id))[:1]
        fresh = {p.article.id: p for p in self._restore(s, first)}
        self._sync_stories(s, {sid} if sid is not None and left else set(), fresh)
        return sid, left

    def replace_article(
        self, article: Article, deadline: Deadline | None = None
    ) -> ArticleReplaced:
        """Put ``article`` in place of the stored article of its id: a correction. One
        transaction, in the ingest lane. The article keeps its id and its story (which is
        not grouped again, as after a delete); its text, metadata, sentences and vectors
        are the new ones, the story's revision goes up and its stored briefs are deleted,
        since they quote the old text. A text (and outlet, title, url and date) the same
        as the stored one changes nothing. Another stored article with the same url or
        the same cleaned text is a conflict: the text is that article's, not a correction
        of this one."""
        prepared = self._prepare_located([article], [0], deadline)[0]
        digest = content_hash(prepared.clean.text)
        with self._index_write("replace"):
            with self._stamping(), self.store.session(epoch=self._lock_epoch) as s:
                row = s.get(ArticleRow, article.id)
                if row is None:
                    raise NotFound(
                        f"no article with id {shown(article.id)}; POST /v1/articles stores "
                        "a new one",
                        "article_id",
                    )
                if _article_of(row) == article:
                    return ArticleReplaced(id=row.id, story_id=row.story_id, status="unchanged")
                for other, what in (
                    (s.scalar(select(ArticleRow).where(ArticleRow.content_hash == digest)), "text"),
                    (
                        s.scalar(select(ArticleRow).where(ArticleRow.url == article.url))
                        if article.url
                        else None,
                        "url",
                    ),
                ):
                    if other is not None and other.id != row.id:
                        raise Conflict(
                            f"article {shown(other.id)} is stored with this {what}; a "
                            "correction replaces the article of its own id only",
                            what,
                        )
                self._drop_from_pending_jobs(s, row, "replaced")
                if row.content_hash != digest:  # a job resumed later does not bring it back
                    _record_deletion(s, row)
                sid = self.index.replace(self.pipeline.profile(prepared))
                self._index_dirty = True  # until the transaction commits
                s.execute(delete(VectorRow).where(VectorRow.article_id == row.id))
                row.outlet = article.outlet
                row.title = article.title
                row.url = article.url
                row.published = article.published
                row.text = article.text
                row.content_hash = digest
                row.n_sentences = len(prepared.sentences)
                s.flush()
                self._put_vectors(s, prepared, self.pipeline.embedder.name)
                s.execute(delete(BriefRow).where(BriefRow.story_id == sid))
                # the headline may have come from this article's old title or first line
                self._sync_stories(s, {sid}, {row.id: prepared})
                self._save_index(s)
                if deadline is not None:
                    deadline.check("replace")
            self.cache.drop(article.id)
            self.cache.put(prepared)
        return ArticleReplaced(id=article.id, story_id=sid, status="replaced")

    @staticmethod
    def _drop_from_pending_jobs(s: Session, deleted: ArticleRow, how: str = "deleted") -> None:
        """Take a deleted article out of the jobs that have not finished, so that a job
        resumed after a restart (which ingests its articles again) does not bring it back:
        the item of its id, and any item that ingest would take for it under another id
        (the same url, or the same text)."""

        def same(item: Mapping[str, Any]) -> bool:
            if item.get("id") == deleted.id:
                return True
            if deleted.url and item.get("url") == deleted.url:
                return True
            text = item.get("text")
            return isinstance(text, str) and _same_text(deleted.text, text)

        for job in s.scalars(select(JobRow).where(JobRow.status.in_(("queued", "running")))):
            if not job.store:
                continue
            gone = {str(p.get("id")) for p in job.payload or [] if same(p)}
            if not gone:
                continue
            job.payload = [p for p in job.payload or [] if str(p.get("id")) not in gone]
            job.article_ids = [a for a in job.article_ids or [] if a not in gone]
            job.note = with_note(
                job.note, f"article {shown(deleted.id)} was {how} while the job ran"
            )
            job.updated_at = utcnow()

    def _reload_index(self) -> None:
        """The index read back from the store. Until that succeeds it counts as dirty, so
        the next write tries again instead of writing what memory held; the lock epoch it
        was read under goes with it (``Store.session(epoch=...)``)."""
        self._index_dirty = True
        epoch = self.store.lock_epoch
        with self.store.session() as s:
            state = s.get(IndexStateRow, INDEX_ROW)
            try:
                index = _read_index(s, state.data) if state is not None else StoryIndex()
            except InputError as exc:
                raise DatabaseGone(
                    f"the stored story index cannot be read ({exc.message}); nothing was "
                    "changed: restart the service, which rebuilds it from the stored articles"
                ) from None
        self.index = index
        self._lock_epoch = epoch
        self._index_dirty = False

    def _ingest(
        self,
        s: Session,
        articles: Sequence[Article],
        deadline: Deadline | None,
        deleted_since: datetime | None = None,
        ready: Mapping[str, PreparedArticle] | None = None,
    ) -> IngestOut:
        items: list[IngestItem | None] = [None] * len(articles)
        alias: dict[int, int] = {}  # a later duplicate within the request -> the first one
        by_url: dict[str, int] = {}
        candidates: list[tuple[int, Article]] = []
        by_id: dict[str, int] = {}
        for i, art in enumerate(articles):
            if art.id in by_id:  # a copy sent twice in one request (``to_articles``)
                alias[i] = by_id[art.id]
                continue
            by_id[art.id] = i
            row = s.get(ArticleRow, art.id)
            if row is not None:
                _check_same(row, art, i)
                items[i] = IngestItem(
                    index=i, id=row.id, story_id=row.story_id, status="existing",
                    note=_kept_note(row, art),
                )  # fmt: skip
                continue
            if art.url:
                row = s.scalar(select(ArticleRow).where(ArticleRow.url == art.url))
                if row is not None:
                    items[i] = IngestItem(
                        index=i, id=row.id, story_id=row.story_id, status="existing",
                        note=_kept_note(row, art),
                    )  # fmt: skip
                    continue
                if art.url in by_url:
                    alias[i] = by_url[art.url]
                    continue
                by_url[art.url] = i
            candidates.append((i, art))

        ready = ready or {}
        todo = [(i, a) for i, a in candidates if _prepared_as(ready, a) is None]
        made = self._prepare_located([a for _, a in todo], [i for i, _ in todo], deadline)
        fresh = {i: p for (i, _), p in zip(todo, made, strict=True)}
        prepared = [fresh[i] if i in fresh else ready[a.id] for i, a in candidates]
        if deadline is not None:
            deadline.check("ingest")
        new: list[tuple[int, PreparedArticle, str]] = []
        by_hash: dict[str, int] = {}
        for (i, _art), item in zip(candidates, prepared, strict=True):
            digest = content_hash(item.clean.text)
            row = s.scalar(select(ArticleRow).where(ArticleRow.content_hash == digest))
            if row is not None:
                items[i] = IngestItem(
                    index=i, id=row.id, story_id=row.story_id, status="existing",
                    note=_other_outlet_note(row, item.article),
                )  # fmt: skip
            elif deleted_since is not None and _deleted_since(s, digest, deleted_since):
                items[i] = IngestItem(index=i, id=item.article.id, story_id=None, status="deleted")
            elif digest in by_hash:
                alias[i] = by_hash[digest]
            else:
                by_hash[digest] = i
                new.append((i, item, digest))

        touched: set[str] = set()
        if new:
            joined = self.pipeline.assign([p for _, p, _ in new], self.index)
            model = self.pipeline.embedder.name
            for i, item, digest in new:
                art = item.article
                s.add(
                    ArticleRow(
                        id=art.id,
                        outlet=art.outlet,
                        title=art.title,
                        url=art.url,
                        published=art.published,
                        text=art.text,
                        content_hash=digest,
                        n_sentences=len(item.sentences),
                        story_id=None,
                    )
                )
                self._put_vectors(s, item, model)
                items[i] = IngestItem(index=i, id=art.id, story_id=joined[art.id], status="created")
            s.flush()
            touched = set(joined.values())
            self._sync_stories(s, touched, {p.article.id: p for _, p, _ in new})
            self._save_index(s)
        for i, j in alias.items():
            while j in alias:  # the first may itself be a copy (same url, then same text)
                j = alias[j]
            first = items[j]
            assert first is not None
            # what of this copy was not stored: its text under the first's url, or its outlet
            row = s.get(ArticleRow, first.id)
            art = articles[i]
            note = None
            if row is not None:
                same_url = bool(art.url) and row.url == art.url
                note = _kept_note(row, art) if same_url else _other_outlet_note(row, art)
            items[i] = IngestItem(
                index=i, id=first.id, story_id=first.story_id, status="existing", note=note
            )
        done = [it for it in items if it is not None]
        assert len(done) == len(articles)
        for _, item, _ in new:
            self.cache.put(item)
        stories: dict[str, None] = {}
        for it in done:
            if it.story_id:
                stories.setdefault(it.story_id, None)
        return IngestOut(
            data=done,
            count=len(done),
            created=sum(1 for it in done if it.status == "created"),
            stories=list(stories),
        )

    def clean_new(self, articles: Sequence[Article]) -> tuple[CleanedSet, list[int]]:
        """The articles of ``articles`` that ``ingest`` would prepare (not stored under
        their id or url), cleaned and split, with their places in ``articles``. With
        ``embed_part`` of its parts, a job prepares its set a piece at a time, each piece a
        task of the ingest lane, so that requests get their turn between the pieces; its
        ``ingest`` then only stores. Runs in the ingest lane."""
        with self.store.session() as s:
            stored_ids: set[str] = set()
            stored_urls: set[str] = set()
            ids = [a.id for a in articles]
            urls = [a.url for a in articles if a.url]
            for k in range(0, len(ids), 500):
                stored_ids.update(
                    s.scalars(select(ArticleRow.id).where(ArticleRow.id.in_(ids[k : k + 500])))
                )
            for k in range(0, len(urls), 500):
                stored_urls.update(
                    u
                    for u in s.scalars(
                        select(ArticleRow.url).where(ArticleRow.url.in_(urls[k : k + 500]))
                    )
                    if u
                )
        where = []
        seen_urls: set[str] = set()
        for i, a in enumerate(articles):
            if a.id in stored_ids or (a.url and a.url in stored_urls | seen_urls):
                continue  # stored, or a later copy by url that ``ingest`` passes over too
            if a.url:
                seen_urls.add(a.url)
            where.append(i)
        new = [articles[i] for i in where]
        try:
            return self.pipeline.clean_set(new), where
        except InputError as err:
            raise _located(err, new, where) from None

    def embed_part(self, part: CleanedSet) -> dict[str, PreparedArticle]:
        """``clean_new``'s articles ``part`` embedded, by id (for ``ingest``'s ``ready``).
        Runs in the ingest lane."""
        return {p.article.id: p for p in self.pipeline.embed_cleaned(part)}

    def check_articles(self, articles: Sequence[Article], *, stored: bool) -> None:
        """The input errors ingest would raise for ``articles`` (a text that cleans to
        nothing; with ``stored``, an id stored with another text), each naming its article,
        without embedding or storing anything: a job's set is checked before it is
        accepted, so that it is refused as ``POST /v1/briefs`` would refuse it instead of
        failing later."""
        try:
            self.pipeline.check_texts(articles)
        except InputError as err:
            raise _located(err, articles, range(len(articles))) from None
        if not stored:
            return
        at = {a.id: i for i, a in reversed(list(enumerate(articles)))}
        ids = list(at)
        with self.store.session() as s:
            for k in range(0, len(ids), 500):
                rows = s.scalars(select(ArticleRow).where(ArticleRow.id.in_(ids[k : k + 500])))
                for row in rows:
                    _check_same(row, articles[at[row.id]], at[row.id])

    def _prepare_located(
        self, articles: list[Article], where: list[int], deadline: Deadline | None = None
    ) -> list[PreparedArticle]:
        """``pipeline.prepare``, stopped past ``deadline``; an input error names the article
        it is about. A request within the size limits can hold minutes of embedding; past
        its deadline its client has had a 504, and the lane is freed for the next one."""
        if not articles:
            return []
        check = (lambda: deadline.check("ingest")) if deadline is not None else None
        try:
            return self.pipeline.prepare(articles, check=check)
        except InputError as err:
            raise _located(err, articles, where) from None

    def _sync_stories(
        self,
        s: Session,
        touched: set[str],
        fresh: Mapping[str, PreparedArticle],
        *,
        full: bool = False,
    ) -> None:
        """Make the stories table (and each article's story) match the index.

        ``touched`` are the stories articles joined. With ``full`` (after a rebuild) every
        story whose stored members differ from the index's counts as changed, too.
        """
        now = utcnow()
        index_stories = {st.id: st for st in self.index.stories()}
        counts = dict(s.execute(select(StoryRow.id, StoryRow.article_count)).tuples().all())
        changed = set(touched) | {
            sid for sid, st in index_stories.items() if counts.get(sid) != len(st.article_ids)
        }
        if full:
            stored: dict[str, set[str]] = {}
            for aid, sid in s.execute(select(ArticleRow.id, ArticleRow.story_id)).tuples():
                if sid is not None:
                    stored.setdefault(sid, set()).add(aid)
            changed |= {
                sid for sid, st in index_stories.items() if stored.get(sid) != set(st.article_ids)
            }
        for sid in sorted(changed):
            st = index_stories.get(sid)
            if st is None:
                continue
            ids = list(st.article_ids)
            members = [
                _Member(*r)
                for r in s.execute(
                    select(
                        ArticleRow.id,
                        ArticleRow.outlet,
                        ArticleRow.title,
                        ArticleRow.url,
                        ArticleRow.published,
                    ).where(ArticleRow.id.in_(ids))
                ).tuples()
            ]
            members.sort(key=lambda m: _date_key(m.published, m.id))
            dates = [m.published for m in members if m.published]
            outlets = list(dict.fromkeys(m.outlet for m in members))
            row = s.get(StoryRow, sid)
            if row is None:
                row = StoryRow(
                    id=sid,
                    headline=self._headline(members, fresh),
                    revision=1,
                    created_at=now,
                )
                s.add(row)
            else:
                row.revision = (row.revision or 0) + 1
                if any(m.title for m in members) or members[0].id in fresh:
                    row.headline = self._headline(members, fresh)  # an earlier article joined
            row.article_count = len(members)
            row.outlets = outlets
            row.first_published = min(dates) if dates else None
            row.last_published = max(dates) if dates else None
            row.updated_at = now
            s.flush()
            s.execute(update(ArticleRow).where(ArticleRow.id.in_(ids)).values(story_id=sid))
        vanished = set(counts) - set(index_stories)
        if vanished:
            s.execute(delete(BriefRow).where(BriefRow.story_id.in_(vanished)))
            s.execute(delete(StoryRow).where(StoryRow.id.in_(vanished)))
            s.add_all(DeletionRow(kind="story", item_id=sid, deleted_at=now) for sid in vanished)

    def _headline(self, members: Sequence[_Member], fresh: Mapping[str, PreparedArticle]) -> str:
        for m in members:
            if m.title:
                return m.title
        if members:
            first = fresh.get(members[0].id) or self.cache.get(members[0].id)
            if first is not None and first.sentences:
                headline = headline_from_sentence(first.sentences[0].text)
                if headline:
                    return headline
            return f"Story from {members[0].outlet}"
        return "Untitled story"

    def _save_index(self, s: Session) -> None:
        """Write the index: the profiles of the articles added or removed since the last
        save, and the snapshot of stories (small: no profiles), so that an ingest's cost
        does not grow with every article stored before it."""
        changed, removed, everything = self.index.take_changes()
        ids = sorted(changed | removed)
        if everything:  # read from a snapshot of the older form: no stored row is known
            s.execute(delete(IndexProfileRow))
            ids = []
        for k in range(0, len(ids), 500):
            s.execute(
                delete(IndexProfileRow).where(IndexProfileRow.article_id.in_(ids[k : k + 500]))
            )
        rows = [{"article_id": a, "data": self.index.profile_record(a)} for a in sorted(changed)]
        for k in range(0, len(rows), 500):
            s.execute(insert(IndexProfileRow), rows[k : k + 500])
        data = self.index.snapshot() | {"embedder": self.pipeline.embedder.name}
        s.merge(IndexStateRow(id=INDEX_ROW, data=data, updated_at=utcnow()))

    # ------------------------------------------------------------------ reading

    def get_article(self, article_id: str) -> ArticlePublic:
        with self.store.session() as s:
            row = s.get(ArticleRow, article_id)
            if row is None:
                raise NotFound(f"no article with id {shown(article_id)}", "article_id")
            return ArticlePublic(
                id=row.id,
                outlet=row.outlet,
                title=row.title,
                url=row.url,
                published=row.published,
                story_id=row.story_id,
                created_at=row.created_at,
                sentences=row.n_sentences,
                text=row.text,
            )

    def _current_stories(self, s: Session, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` whose current revision has a brief by the model running now.

        The model is read inside the database (a JSON path), not by loading every brief.
        """
        id_list = list(ids)
        if not id_list:
            return set()
        want = self.pipeline.model_info()
        model = BriefRow.data["model"]
        rows = s.execute(
            select(BriefRow.story_id)
            .join(StoryRow, StoryRow.id == BriefRow.story_id)
            .where(
                BriefRow.story_id.in_(id_list),
                BriefRow.revision == StoryRow.revision,
                model["name"].as_string() == want.name,
                model["backend"].as_string() == want.backend,
                model["sha256"].as_string() == want.sha256,
            )
        ).scalars()
        return set(rows)

    def _same_model(self, data: Mapping[str, Any]) -> bool:
        """Whether a stored brief was written by the model this service runs now."""
        model = data.get("model")
        if not isinstance(model, Mapping):
            return False
        want = self.pipeline.model_info()
        have = (model.get("name"), model.get("backend"), model.get("sha256"))
        return have == (want.name, want.backend, want.sha256)

    @staticmethod
    def _summary(row: StoryRow, current: bool) -> dict[str, Any]:
        return {
            "id": row.id,
            "headline": row.headline,
            "article_count": row.article_count,
            "outlets": list(row.outlets or []),
            "first_published": row.first_published,
            "last_published": row.last_published,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
            "revision": row.revision,
            "has_current_brief": current,
        }

    def list_stories(
        self, *, limit: int, offset: int, updated_since: datetime | None
    ) -> StoriesOut:
        """Newest first: by latest publication date (undated last), then by last update.

        ``as_of`` is taken before the query: every story that changes in a transaction
        committed after it has ``updated_at`` at or after ``as_of``, so a client that polls
        with ``updated_since=as_of`` misses none (a write in progress takes its stamp when it
        begins and may commit after this listing)."""
        as_of = self.as_of()
        with self.store.session() as s:
            query = select(StoryRow)
            count_q = select(func.count()).select_from(StoryRow)
            if updated_since is not None:
                query = query.where(StoryRow.updated_at >= updated_since)
                count_q = count_q.where(StoryRow.updated_at >= updated_since)
            query = query.order_by(
                StoryRow.last_published.is_(None),
                StoryRow.last_published.desc(),
                StoryRow.updated_at.desc(),
                StoryRow.id,
            )
            rows = s.scalars(query.limit(limit).offset(offset)).all()
            total = s.scalar(count_q) or 0
            current = self._current_stories(s, (r.id for r in rows))
            deleted: dict[str, datetime] = {}
            if updated_since is not None:
                # a story id that came back (a regrouping) is in ``data``, not here
                gone = (
                    select(DeletionRow.item_id, DeletionRow.deleted_at)
                    .where(DeletionRow.kind == "story", DeletionRow.deleted_at >= updated_since)
                    .where(DeletionRow.item_id.not_in(select(StoryRow.id)))
                    .order_by(DeletionRow.deleted_at, DeletionRow.id)
                )
                for sid, when in s.execute(gone).tuples():
                    deleted[sid] = when  # the last time, if it went twice
            return StoriesOut(
                data=[StorySummary(**self._summary(r, r.id in current)) for r in rows],
                count=total,
                as_of=as_of,
                deleted=[
                    DeletedStory(id=sid, deleted_at=when)
                    for sid, when in sorted(deleted.items(), key=lambda kv: kv[1])
                ],
            )

    def get_story(self, story_id: str) -> StoryDetail:
        with self.store.session() as s:
            row = s.get(StoryRow, story_id)
            if row is None:
                raise NotFound(f"no story with id {shown(story_id)}", "story_id")
            members = (
                s.execute(
                    select(
                        ArticleRow.id,
                        ArticleRow.outlet,
                        ArticleRow.title,
                        ArticleRow.url,
                        ArticleRow.published,
                    ).where(ArticleRow.story_id == story_id)
                )
                .tuples()
                .all()
            )
            ordered = sorted(
                (_Member(*m) for m in members), key=lambda m: _date_key(m.published, m.id)
            )
            current = bool(self._current_stories(s, [story_id]))
            return StoryDetail(
                **self._summary(row, current),
                articles=[
                    StoryArticle(
                        id=m.id, outlet=m.outlet, title=m.title, url=m.url, published=m.published
                    )
                    for m in ordered
                ],
                timeline=[
                    TimelineEntry(date=m.published, article_id=m.id, outlet=m.outlet, title=m.title)
                    for m in ordered
                ],
            )

    def count_stories(self) -> int:
        with self.store.session() as s:
            return s.scalar(select(func.count()).select_from(StoryRow)) or 0

    # ------------------------------------------------------------------ briefs

    def stored_brief(self, story_id: str, length: Length) -> BriefOut | None:
        """The stored brief when it was made from the story's current articles."""
        with self.store.session() as s:
            story = s.get(StoryRow, story_id)
            if story is None:
                raise NotFound(f"no story with id {shown(story_id)}", "story_id")
            row = s.get(BriefRow, (story_id, length))
            if row is None or row.revision != story.revision:
                return None
            if not self._same_model(row.data):  # the model was changed since: write it again
                return None
            try:
                return BriefOut.model_validate(
                    {**row.data, "generated_at": row.generated_at, "cached": True, "current": True}
                )
            except ValidationError:  # written by an older build: write it again
                log.warning("stored brief %s/%s is unreadable; regenerating", story_id, length)
                return None

    def submit_story_brief(
        self, story_id: str, length: Length, *, refresh: bool, bounded: bool = True
    ) -> concurrent.futures.Future[BriefOut]:
        """Queue a brief for a stored story; identical requests share one task.

        A request may join a task writing the brief anew; a ``refresh`` request does not
        join one that may answer with the stored brief. Only a task started at the story's
        current revision is joined: one started before an ingest changed the story would
        answer with a brief of the old articles (a job would finish holding it).
        """
        with self.store.session() as s:
            row = s.get(StoryRow, story_id)
            if row is None:
                raise NotFound(f"no story with id {shown(story_id)}", "story_id")
            revision = row.revision
        key = (story_id, length, refresh, revision)
        with self._inflight_lock:
            for joinable in [(story_id, length, True, revision)] + ([] if refresh else [key]):
                running = self._inflight.get(joinable)
                if running is not None and not running.done():
                    return running
            future = self.brief_lane.submit(
                lambda: self.story_brief(story_id, length, refresh=refresh), bounded=bounded
            )
            self._inflight[key] = future

        def forget(f: concurrent.futures.Future[BriefOut]) -> None:
            with self._inflight_lock:
                if self._inflight.get(key) is f:
                    del self._inflight[key]

        future.add_done_callback(forget)
        return future

    def story_brief(self, story_id: str, length: Length, *, refresh: bool = False) -> BriefOut:
        """The story's brief: stored while current (unless ``refresh``), else written now."""
        if not refresh:
            stored = self.stored_brief(story_id, length)
            if stored is not None:
                return stored
        with self.store.session() as s:
            row = s.get(StoryRow, story_id)
            if row is None:
                raise NotFound(f"no story with id {shown(story_id)}", "story_id")
            revision = row.revision
            members = s.scalars(select(ArticleRow).where(ArticleRow.story_id == story_id)).all()
            prepared = self._restore(s, members)
        by_id = {p.article.id: p for p in prepared}
        ordered = sorted(by_id.values(), key=lambda p: _date_key(p.article.published, p.article.id))
        story = Story(id=story_id, article_ids=tuple(p.article.id for p in ordered))
        brief = self.pipeline.brief(story, by_id, length=length)
        generated = utcnow()
        try:
            with self.store.session() as s:
                row = s.get(StoryRow, story_id)
                current = row is not None and row.revision == revision
                if current:  # a brief of older articles would overwrite a newer one
                    s.merge(
                        BriefRow(
                            story_id=story_id,
                            length=length,
                            revision=revision,
                            article_ids=list(brief.article_ids),
                            data=brief.model_dump(mode="json"),
                            generated_at=generated,
                        )
                    )
        except (IntegrityError, StaleDataError):
            # an article was deleted between the check and the commit: the story (a new
            # row would name it) or its stored brief (an update would find it) is gone,
            # and the brief is no longer current
            current = False
        return BriefOut(**brief.model_dump(), generated_at=generated, cached=False, current=current)

    def stateless_briefs(
        self, articles: Sequence[Article], length: Length | None, deadline: Deadline | None = None
    ) -> list[BriefOut]:
        """Stories and briefs of an article set, nothing stored (runs in the brief lane).

        Past ``deadline`` no further story is briefed: the request has been answered with a
        timeout, and the lane is free for the next one."""
        out: list[BriefOut] = []
        check = (lambda: deadline.check("briefs")) if deadline is not None else None
        try:
            for brief in self.pipeline.iter_briefs(articles, length=length, check=check):
                out.append(unstored_brief(brief))
        except InputError as err:
            raise _located(err, articles, range(len(articles))) from None
        return out

    def group_stateless(
        self, articles: Sequence[Article], prepared: Sequence[PreparedArticle] | None = None
    ) -> tuple[list[Story], dict[str, PreparedArticle]]:
        """Prepare and group an article set into stories, without storing anything;
        ``prepared``, when given, is the set prepared beforehand (in pieces, by a job)."""
        if prepared is None:
            prepared = self.pipeline.prepare(articles)
        index = StoryIndex()
        self.pipeline.assign(prepared, index)
        return list(index.stories()), {p.article.id: p for p in prepared}


def _read_index(s: Session, data: Mapping[str, Any]) -> StoryIndex:
    """The stored index: its snapshot and the profile records kept apart, or (as written
    before profiles were kept apart) a snapshot that holds them, whose profiles the next
    save writes apart."""
    if not isinstance(data, Mapping) or data.get("format") != SPLIT_FORMAT:
        index = StoryIndex.from_dict(data)  # the older form, or a malformed one it refuses
        _check_profiles(data.get("articles", ()))
        return index
    members = {a for st in data.get("stories", ()) for a in st.get("article_ids", ())}
    records = {
        aid: rec
        for aid, rec in s.execute(select(IndexProfileRow.article_id, IndexProfileRow.data)).tuples()
        if aid in members
    }
    _check_profiles(records.values())
    return StoryIndex.from_parts(data, records)


def _check_profiles(records: Iterable[Any]) -> None:
    """Refuse profiles written before they said what an article tells of another event
    (``StoryIndex.other_event``): read as they are, a story of theirs would keep no other
    event apart. The index is then rebuilt from the stored articles, stories as stored."""
    if any(isinstance(rec, Mapping) and "kinds" not in rec for rec in records):
        raise InputError("its profiles predate the other-event fields")


def _disagreeing(index: StoryIndex, s: Session) -> int:
    """How many articles the index puts in another story than the stored articles do (or
    knows and the store does not, or the reverse)."""
    stored = {
        aid: sid
        for aid, sid in s.execute(select(ArticleRow.id, ArticleRow.story_id)).tuples()
        if sid is not None
    }
    indexed = {aid: st.id for st in index.stories() for aid in st.article_ids}
    return sum(1 for aid in stored.keys() | indexed.keys() if stored.get(aid) != indexed.get(aid))


def _check_same(row: ArticleRow, art: Article, i: int) -> None:
    """``Conflict`` unless ``art``, sent under a stored article's id, is that article: the
    same text (whitespace aside) or the same url."""
    same = (
        _same_text(row.text, art.text)
        # stored before references were decoded on input
        or _same_text(decode_references(row.text), art.text)
        or (art.url and row.url == art.url)
    )
    if not same:
        raise Conflict(
            f"article id {art.id!r} is already stored with a different text", f"articles.{i}.id"
        )


def _record_deletion(s: Session, row: ArticleRow) -> None:
    """Note that the text of ``row`` left the store now (a delete, or a correction): a job
    submitted before does not store it again (``_deleted_since``)."""
    s.add(
        DeletionRow(
            kind="article", item_id=row.id, content_hash=row.content_hash, deleted_at=utcnow()
        )
    )


def _kept_note(row: ArticleRow, art: Article) -> str | None:
    """What an ingest answered ``existing`` left as stored, where the article sent differs
    from it: its text (the same url, or the same id and url), which a correction replaces."""
    if _same_text(row.text, art.text) or _same_text(decode_references(row.text), art.text):
        return None
    return (
        f"the stored article {shown(row.id)} has this url and another text, and was kept; "
        f"PUT /v1/articles/{row.id} replaces it with this one"
    )


def _other_outlet_note(row: ArticleRow, art: Article) -> str | None:
    """What an ingest answered ``existing`` for the same cleaned text left out: the
    outlet that sent it, where that is another than the stored article's."""
    if art.outlet.strip().casefold() == row.outlet.strip().casefold():
        return None
    return (
        f"the same text is stored as article {shown(row.id)} from {row.outlet!r}; this copy "
        f"from {art.outlet!r} was not stored, and briefs name {row.outlet!r} for it"
    )


def with_note(note: str | None, more: str) -> str:
    """A job's note with ``more`` added (once)."""
    if not note:
        return more
    return note if more in note.split("; ") else f"{note}; {more}"


def _deleted_since(s: Session, digest: str, since: datetime) -> bool:
    """Whether an article of this cleaned text was deleted at or after ``since``."""
    found = s.scalar(
        select(DeletionRow.id)
        .where(DeletionRow.kind == "article", DeletionRow.content_hash == digest)
        .where(DeletionRow.deleted_at >= since)
        .limit(1)
    )
    return found is not None


def _ids(rows: Sequence[ArticleRow]) -> list[str]:
    """Article ids in the order a story lists its members: by date, undated last."""
    return [r.id for r in sorted(rows, key=lambda r: _date_key(r.published, r.id))]


def _prepared_as(ready: Mapping[str, PreparedArticle], article: Article) -> PreparedArticle | None:
    """The article prepared beforehand, when it was prepared from this very article."""
    found = ready.get(article.id)
    return found if found is not None and found.article == article else None


def _located(err: InputError, articles: Sequence[Article], where: Iterable[int]) -> InputError:
    """``err`` naming the article it is about (``articles.N.text``) where one alone fails."""
    if err.field not in (None, "text"):
        return err
    for i, art in zip(where, articles, strict=True):
        try:
            prepare_article(art)
        except InputError as inner:
            # by its place in the request first: an id derived from the text is not one
            # its sender knows
            message = inner.message.replace(
                f"article {art.id!r}", f"article #{i} (id {art.id!r})", 1
            )
            return type(inner)(message, f"articles.{i}.text")
    return err


def fresh_brief(brief: Brief) -> BriefOut:
    return BriefOut(**brief.model_dump(), generated_at=utcnow(), cached=False, current=True)


def unstored_id(story_id: str) -> str:
    """The id of a story briefed and not stored: ``tmp_`` instead of ``st_``, so that it
    never names a stored story (whose founding article may share an id with the set's)."""
    return "tmp_" + story_id.removeprefix("st_")


def unstored_brief(brief: Brief) -> BriefOut:
    out = fresh_brief(brief)
    return out.model_copy(update={"story_id": unstored_id(out.story_id)})
