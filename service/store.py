"""The service's state in a SQL database (SQLAlchemy 2): SQLite by default, or PostgreSQL
(``postgresql+psycopg://...``, with the ``postgres`` extra installed). One service per
database: the service holds a lock on it while it runs.

Tables::

    articles         one row per stored article: the original text, its story, a hash of
                     the cleaned text (for idempotent ingest)
    article_vectors  the article's sentence vectors (float32 bytes), so a restart does not
                     re-embed everything (≈1.5 KB per sentence with a 384-d embedder)
    stories          one row per story: headline, revision (bumped when articles join),
                     dates, outlets
    briefs           the latest brief per (story, length) and the revision it was made at
    index_state      the story index (``StoryIndex.to_dict()``) as JSON, one row
    jobs             background jobs: status, progress, results, error, attempts
    schema_version   the schema's version, checked at start

SQLite runs in WAL mode with a busy timeout, so readers do not block the single writer.

``dispose`` closes the store before it lets the lock go: from then on no session opens and
no transaction commits (``StoreClosed``; the transaction is rolled back), and the lock is
released once no commit is under way any more. A lane task still running at shutdown (a
thread cannot be stopped) therefore cannot write into a database a second service has
meanwhile opened.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    create_engine,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from summarizer.errors import ConfigError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
# the advisory lock a service holds on a PostgreSQL database (one key for every storybrief
# service: advisory locks are per database, so two databases on one server do not clash)
_PG_LOCK_KEY = 0x73746F7279627266  # "storybrf"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC (SQLite drops the zone; this puts it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class StoryRow(Base):
    __tablename__ = "stories"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    headline: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    article_count: Mapped[int] = mapped_column(Integer, default=0)
    outlets: Mapped[list[str]] = mapped_column(JSON, default=list)
    first_published: Mapped[date | None] = mapped_column(Date, nullable=True)
    last_published: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ArticleRow(Base):
    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    outlet: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True, unique=True)
    published: Mapped[date | None] = mapped_column(Date, nullable=True)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    n_sentences: Mapped[int] = mapped_column(Integer)
    story_id: Mapped[str | None] = mapped_column(
        ForeignKey("stories.id"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VectorRow(Base):
    __tablename__ = "article_vectors"

    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(Integer)
    dim: Mapped[int] = mapped_column(Integer)
    spans: Mapped[list[list[int]]] = mapped_column(JSON)  # sentence (start, end) offsets
    data: Mapped[bytes] = mapped_column(LargeBinary)


class BriefRow(Base):
    __tablename__ = "briefs"

    story_id: Mapped[str] = mapped_column(
        ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True
    )
    length: Mapped[str] = mapped_column(String(16), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    article_ids: Mapped[list[str]] = mapped_column(JSON)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IndexStateRow(Base):
    __tablename__ = "index_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IndexProfileRow(Base):
    """One article's grouping profile (``StoryIndex.profile_record``), kept apart from the
    index snapshot so that an ingest writes the new articles' profiles, not every one."""

    __tablename__ = "index_profiles"

    article_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class JobRow(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued|running|done|failed
    length: Mapped[str] = mapped_column(String(16))
    store: Mapped[bool] = mapped_column(Boolean, default=True)
    payload: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    article_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DeletionRow(Base):
    """What was deleted, and when: a story that vanished (reported to listings polled with
    ``updated_since``), or an article with the hash of its cleaned text (so that a job
    submitted before the delete, and resumed after it, does not store the same article
    again under another id)."""

    __tablename__ = "deletions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # story | article
    item_id: Mapped[str] = mapped_column(String(200), index=True)
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class SchemaVersionRow(Base):
    __tablename__ = "schema_version"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


class _LockHeld(ConfigError):
    """Another service holds the database's lock."""


class DatabaseGone(RuntimeError):
    """The SQLite file the service opened is no longer there."""


class StoreClosed(DatabaseGone):
    """The store is closed (the service is stopping): no session opens, nothing commits.

    Handled like ``DatabaseGone``: a request answers 503, a job is left to the next start.
    """


def database_fault(exc: BaseException) -> str:
    """One line saying what failed in the database (the driver's message, if any)."""
    lines = str(getattr(exc, "orig", None) or exc).splitlines()
    return (lines[0] if lines else type(exc).__name__)[:200]


def _probe_column(table: Table) -> Any:
    """A column whose reading needs the table's own pages, not an index (a readiness probe
    must see a damaged table), and a small one where there is one: the first that is
    neither a key nor indexed, preferring one that is not text, JSON or bytes (a job's
    payload of thousands of articles, the index snapshot); else the key."""
    plain = [c for c in table.columns if not (c.primary_key or c.index or c.unique)]
    small = [c for c in plain if not isinstance(c.type, Text | JSON | LargeBinary)]
    return (small or plain or list(table.primary_key.columns))[0]


def damaged(exc: BaseException) -> bool:
    """Whether a database error says the file is damaged (not a fault a retry mends)."""
    text_ = database_fault(exc).lower()
    return "malformed" in text_ or "not a database" in text_ or "corrupt" in text_


def _sqlite_in_memory(url: URL) -> bool:
    """Whether a SQLite URL names no database file: ``sqlite://``, ``:memory:``, a URI with
    ``mode=memory`` or ``file::memory:``, or an empty name (a temporary database that
    SQLite deletes when the connection closes)."""
    database = url.database or ""
    mode = url.query.get("mode", ())
    modes = (mode,) if isinstance(mode, str) else mode
    return database in ("", ":memory:") or database.startswith("file::memory:") or "memory" in modes


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


class Store:
    """The database: engine, sessions, schema creation and the queries the service needs."""

    lock_check_s = 1.0  # PostgreSQL: how often the lock's connection is checked (a SELECT 1)

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise ConfigError(
                "STORYBRIEF_DATABASE_URL is not a database URL (sqlite:///PATH or "
                "postgresql+psycopg://USER@HOST/NAME)"
            ) from None
        self.url = parsed.render_as_string(hide_password=True)  # for messages
        backend = parsed.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise ConfigError(
                f"the database {self.url} is neither SQLite nor PostgreSQL, the two this "
                "service can lock for itself"
            )
        if backend == "sqlite" and _sqlite_in_memory(parsed):
            # no file to lock, each pooled connection (one a thread) its own empty database
            # ("no such table"), and everything stored gone when the process ends
            raise ConfigError(
                f"the database {unquote(self.url)} is an in-memory SQLite database, which loses "
                "everything stored when the service stops; the service needs a database file "
                "(sqlite:///PATH) or server (postgresql+psycopg://USER@HOST/NAME)"
            )
        kwargs: dict[str, Any] = {}
        self.is_sqlite = backend == "sqlite"
        # the SQLite file and its identity once the schema is in place: a file deleted or
        # replaced under a running service must not take writes that vanish on restart
        self.sqlite_path: Path | None = None
        self._file_id: tuple[int, int] | None = None
        self._lock_fh: IO[str] | None = None
        self._db_fh: IO[str] | None = None
        self.is_postgres = backend == "postgresql"
        self._lock_conn: Connection | None = None
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
            self.sqlite_path = Path(parsed.database or "")  # not empty: checked above
            try:
                self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(
                    f"cannot use {self.sqlite_path.parent} as the data folder: "
                    f"{exc.strerror or exc} (set STORYBRIEF_DATA_DIR or --data-dir to a "
                    "folder this user can write)"
                ) from None
        else:
            # a server that does not answer must not hold a connection attempt forever
            kwargs["pool_pre_ping"] = True
            kwargs["connect_args"] = {"connect_timeout": 10}
        try:
            self.engine: Engine = create_engine(url, **kwargs)
        except (ImportError, NoSuchModuleError) as exc:
            raise ConfigError(
                f"no driver for the database {self.url} ({exc}); for PostgreSQL install "
                "the postgres extra (pip install -e '.[postgres]') and use postgresql+psycopg://"
            ) from None
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # closing: set by ``dispose``; commits: transactions committing now (the lock is
        # released only once none is); release_pending: ``dispose`` gave up waiting for
        # them, and the last one to end releases the lock
        self._state = threading.Condition()
        self._closing = False
        self._commits = 0
        self._release_pending = False
        # PostgreSQL: a thread checks the lock's connection every ``lock_check_s`` s;
        # ``lock_epoch`` counts the times the lock was taken again after its connection
        # dropped (another service may have written meanwhile); ``_lock_problem`` says why
        # requests are refused while the lock is not held
        self.lock_epoch = 0
        self._lock_problem: str | None = None
        self._watch_stop = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def closed(self) -> bool:
        """Whether ``dispose`` was called: no session opens, nothing commits any more."""
        return self._closing

    def create_schema(self) -> None:
        """Create missing tables, after ``check_schema``: a database this build cannot use
        is refused before anything in it changes."""
        self.check_schema()
        try:
            Base.metadata.create_all(self.engine)
            with self.session() as s:
                found = s.scalar(
                    select(SchemaVersionRow.version).order_by(SchemaVersionRow.version.desc())
                )
                if found is None:
                    s.add(SchemaVersionRow(version=SCHEMA_VERSION))
        except OperationalError as exc:  # read-only, locked, a full disk ...
            raise ConfigError(
                f"cannot set up the database {self.url}: {database_fault(exc)}"
            ) from None
        if self.sqlite_path is not None:
            self._file_id = _file_id(self.sqlite_path)

    def check_schema(self) -> None:
        """Refuse, without changing anything, a database this build cannot use: another
        program's (tables and no schema version), one written by a newer schema, or a
        SQLite file or folder this user cannot write (SQLite writes its journal beside the
        file)."""
        path = self.sqlite_path
        if path is not None:  # first: a read-only folder also stops the reading below
            folder = path.resolve().parent
            if not os.access(folder, os.W_OK | os.X_OK):
                raise ConfigError(
                    f"the data folder {folder} is not writable by this user; the service writes "
                    "the database and its journal there (set STORYBRIEF_DATA_DIR or --data-dir "
                    "to a folder this user can write)"
                )
            if path.exists() and not os.access(path, os.W_OK):
                raise ConfigError(
                    f"the database file {path} is read-only for this user; the service writes "
                    "to it (make it writable, or set STORYBRIEF_DATA_DIR elsewhere)"
                )

        tables, version = self._peek()
        if tables and SchemaVersionRow.__tablename__ not in tables:
            raise ConfigError(
                f"the database {self.url} holds tables that are not this service's "
                f"({', '.join(sorted(tables)[:5])}); refusing to change it (point "
                "STORYBRIEF_DATA_DIR or STORYBRIEF_DATABASE_URL elsewhere)"
            )
        if version is not None and version > SCHEMA_VERSION:
            raise ConfigError(
                f"the database {self.url} has schema version {version}; this build knows up "
                f"to {SCHEMA_VERSION} (run a newer build, or point STORYBRIEF_DATA_DIR or "
                "STORYBRIEF_DATABASE_URL elsewhere)"
            )

    def _peek(self) -> tuple[set[str], int | None]:
        """The tables already there and the highest schema version stored, read without
        changing anything (the engine's own connections would switch a SQLite file to WAL,
        rewriting its header)."""
        version_q = f"SELECT max(version) FROM {SchemaVersionRow.__tablename__}"
        if self.sqlite_path is None:
            tables = set(inspect(self.engine).get_table_names())
            if SchemaVersionRow.__tablename__ not in tables:
                return tables, None
            with self.engine.connect() as conn:
                found = conn.execute(text(version_q)).scalar()
            return tables, None if found is None else int(found)
        if not self.sqlite_path.exists():
            return set(), None
        uri = f"{self.sqlite_path.resolve().as_uri()}?mode=ro"
        try:
            db = sqlite3.connect(uri, uri=True)
            try:
                rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
                tables = {str(r[0]) for r in rows if not str(r[0]).startswith("sqlite_")}
                found = (
                    db.execute(version_q).fetchone()[0]
                    if SchemaVersionRow.__tablename__ in tables
                    else None
                )
            finally:
                db.close()
        except sqlite3.Error as exc:
            raise ConfigError(
                f"the database {self.sqlite_path} cannot be read ({exc}); if it is damaged, "
                "move it away or restore a backup"
            ) from exc
        return tables, None if found is None else int(found)

    def check_file(self) -> None:
        """Raise ``DatabaseGone`` when the SQLite file was deleted or replaced since start."""
        if self._file_id is None or self.sqlite_path is None:
            return
        if _file_id(self.sqlite_path) != self._file_id:
            raise DatabaseGone(
                f"the database file {self.sqlite_path} was deleted or replaced while the "
                "service ran; restart the service"
            )

    def check_lock(self) -> None:
        """PostgreSQL: ``DatabaseGone`` while this service does not hold its advisory lock.

        The lock lives as long as the one connection that took it; a watch thread
        (``_watch_lock``) checks that connection every ``lock_check_s`` seconds. This only
        reads what the watch found, so a request never waits on the network here.
        """
        problem = self._lock_problem
        if problem is not None and not self._closing:
            raise DatabaseGone(problem)

    def _watch_lock(self) -> None:
        """Check the lock's connection every ``lock_check_s`` seconds. When it has dropped
        (the server restarted, a network fault), refuse every request (``check_lock``) and
        take the lock again as soon as it is free; ``lock_epoch`` then goes up, and the
        service reloads what it holds in memory, since another service may have written
        meanwhile. While another service holds the lock (or the server still keeps the
        dropped session), requests stay refused; nothing is ever written without it."""
        while not self._watch_stop.wait(self.lock_check_s):
            conn = self._lock_conn
            if conn is not None:
                try:
                    conn.execute(text("SELECT 1"))
                    conn.commit()
                    continue
                except Exception as exc:  # the connection is unusable, whatever the cause
                    if self._watch_stop.is_set():
                        return
                    log.warning("the connection holding the database lock dropped: %s", exc)
                    self._lock_problem = (
                        f"this service lost its lock on the database {self.url} (the "
                        "connection that held it dropped); nothing was changed: retry later"
                    )
                    with contextlib.suppress(Exception):
                        conn.close()
                    self._lock_conn = None
            with self._state:  # not while ``dispose`` releases the lock
                if self._closing:
                    return
                try:
                    self._take_pg_lock()
                except _LockHeld:
                    self._lock_problem = (
                        f"this service lost its lock on the database {self.url} and "
                        "another storybrief service holds it now; nothing was changed: "
                        "stop one of them"
                    )
                    continue
                except Exception as exc:  # the server is not back yet
                    log.debug("taking the database lock again failed: %s", exc)
                    continue
                self.lock_epoch += 1
                self._lock_problem = None
            log.warning("the database lock was taken again on a new connection")

    @contextmanager
    def session(self, epoch: int | None = None) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error.

        Once the store is closed (``dispose``), ``StoreClosed``: no session opens, and one
        opened before is rolled back instead of committed. ``epoch``: the lock epoch what
        the transaction writes was read under (default: now); it commits only while the
        lock has not been lost and taken again since.
        """
        self._check_open()
        self.check_file()
        self.check_lock()
        if epoch is None:
            epoch = self.lock_epoch
        with self._sessions() as s:  # closing the session rolls back what is not committed
            s.begin()
            yield s
            with self._committing(epoch):
                s.commit()

    def _check_open(self) -> None:
        if self._closing:
            raise StoreClosed(
                f"the database {self.url} is closed: the service is stopping; nothing was changed"
            )

    @contextmanager
    def _committing(self, epoch: int | None = None) -> Iterator[None]:
        """Around a commit: refused once the store is closed, and counted, so that
        ``dispose`` releases the lock only after every commit under way has ended.

        PostgreSQL: refused too while the lock is not held, and when it was lost and taken
        again since the transaction began (``epoch``): what the transaction read may have
        been changed by another service meanwhile, and it would write over that."""
        with self._state:
            self._check_open()
            if self._lock_problem is not None:
                raise DatabaseGone(self._lock_problem)
            if epoch is not None and epoch != self.lock_epoch:
                raise DatabaseGone(
                    f"the lock on the database {self.url} was lost and taken again while "
                    "this request ran; nothing was changed, retry"
                )
            self._commits += 1
        try:
            yield
        finally:
            with self._state:
                self._commits -= 1
                if self._commits == 0:
                    self._state.notify_all()
                    if self._release_pending:
                        self._release()

    def ping(self) -> None:
        """Raise when the database cannot serve: gone, its lock lost, unreachable, or a
        table that cannot be read (one row of each is read: a damaged page shows)."""
        self.check_file()
        self.check_lock()
        with self.engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                conn.execute(select(_probe_column(table)).limit(1)).all()

    def journal_mode(self) -> str | None:
        if not self.is_sqlite:
            return None
        with self.engine.connect() as conn:
            return str(conn.execute(text("PRAGMA journal_mode")).scalar())

    def lock(self) -> None:
        """Hold an exclusive lock on the database for this process's lifetime: a lock file
        beside a SQLite file, a session-level advisory lock on PostgreSQL (held by one
        connection of its own, released when the process ends or its connection drops).

        The story index lives in each process's memory and is written back whole, so a
        second service on the same database would overwrite the first one's stories.
        """
        if self.is_postgres:
            self._lock_postgres()
            return
        if self.sqlite_path is None or self._lock_fh is not None:
            return
        # The database file itself is locked (flock, which SQLite's own byte-range locks
        # do not touch), so a link to it, or a lock file deleted under a running service,
        # does not let a second one in; the lock file beside it, named by the real path,
        # keeps older builds out too.
        real = self.sqlite_path.resolve()
        handles: list[IO[str]] = []
        try:
            for path in (real.with_name(real.name + ".lock"), real):
                try:
                    fh = path.open("a")
                except OSError as exc:
                    raise ConfigError(
                        f"cannot open {path} to lock the database: {exc.strerror or exc} "
                        "(set STORYBRIEF_DATA_DIR or --data-dir to a folder this user can write)"
                    ) from None
                handles.append(fh)
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise ConfigError(
                        f"another storybrief service is using the database {real} (it holds "
                        f"a lock on {path}); stop it, or give this one another "
                        "STORYBRIEF_DATA_DIR"
                    ) from None
        except BaseException:
            for opened in handles:
                opened.close()
            raise
        self._lock_fh, self._db_fh = handles

    def _lock_postgres(self) -> None:
        if self._lock_conn is not None:
            return
        self._take_pg_lock()
        if self._watcher is None:
            self._watcher = threading.Thread(
                target=self._watch_lock, name="storybrief-lock-watch", daemon=True
            )
            self._watcher.start()

    def _take_pg_lock(self) -> None:
        try:
            conn = self.engine.connect()
        except DBAPIError as exc:
            raise ConfigError(
                f"cannot connect to the database {self.url}: {database_fault(exc)}"
            ) from None
        try:
            held = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": _PG_LOCK_KEY})
            got = bool(held.scalar())
            conn.commit()
        except BaseException:
            conn.close()
            raise
        if not got:
            conn.close()
            raise _LockHeld(
                f"another storybrief service is using the database {self.url} (it holds "
                "the service's advisory lock); stop it, or point this one at another "
                "database with STORYBRIEF_DATABASE_URL"
            )
        self._lock_conn = conn

    def dispose(self, timeout: float = 10.0) -> None:
        """Close the store, then release the lock on the database and the connections.

        From now on no session opens and no transaction commits (``StoreClosed``: a task
        still running rolls back), so nothing is written after the lock is gone. A commit
        already under way is waited for, at most ``timeout`` seconds; past that, the lock
        is kept until it ends (it is released by that commit's thread, or at exit).
        """
        with self._state:
            self._closing = True
            if self._release_pending:
                return
            if not self._state.wait_for(lambda: self._commits == 0, timeout):
                log.warning(
                    "a commit to %s was still under way at shutdown; the database stays "
                    "locked until it ends",
                    self.url,
                )
                self._release_pending = True
                return
            self._release()

    def _release(self) -> None:
        """The lock and the connections let go (called with ``_state`` held)."""
        self._release_pending = False
        self._watch_stop.set()
        if self._lock_conn is not None:
            self._lock_conn.close()  # ends the session, and with it the advisory lock
            self._lock_conn = None
        self.engine.dispose()
        for fh in (self._db_fh, self._lock_fh):  # the database's lock after its connections
            if fh is not None:
                fcntl.flock(fh, fcntl.LOCK_UN)
                fh.close()
        self._lock_fh = self._db_fh = None
