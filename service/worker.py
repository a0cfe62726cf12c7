"""Lanes: one worker thread each, with a bounded number of waiting requests.

CPU-bound work (embedding on ingest, generation for briefs) runs in a lane one task at a
time. A request that finds its lane full is refused at once with ``Busy`` (503 +
``Retry-After``); a request whose deadline passes while its task waits or runs gets
``RequestTimeout`` (504): a waiting task is cancelled unless someone else still waits
for it (a brief shared by several requests, or by a job), a running one finishes in the
background (threads cannot be interrupted) and its result is kept only where that is
harmless (a generated brief is stored; an ingest checks its deadline before committing).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from service.errors import Busy, RequestTimeout

T = TypeVar("T")
log = logging.getLogger(__name__)


class Deadline:
    """A point in time (monotonic clock) by which a request must be answered."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def check(self, what: str = "request") -> None:
        """Raise ``RequestTimeout`` when the deadline has passed."""
        if self.expired():
            raise RequestTimeout(f"the {what} ran past the {self.seconds:g} s time limit")


class Lane:
    """A single worker thread that admits at most ``1 + queue_size`` tasks at once, and no
    more than can finish within ``budget_s`` at the mean task time.

    ``estimate_s`` is the mean task time assumed before any task has been measured; it is
    then updated as a running mean. The time test always admits a task into an empty
    lane, so a wrong estimate can only make the lane cautious, never shut.
    """

    def __init__(
        self,
        name: str,
        queue_size: int,
        *,
        budget_s: float | None = None,
        estimate_s: float = 5.0,
    ) -> None:
        self.name = name
        self.capacity = 1 + queue_size
        self.budget_s = budget_s
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"lane-{name}"
        )
        self._lock = threading.Lock()
        self._pending = 0
        self._avg_s = estimate_s  # running mean of task time
        self._measured = 0  # tasks whose time went into the mean
        self._closed = False
        self._futures: set[concurrent.futures.Future[Any]] = set()

    @property
    def pending(self) -> int:
        return self._pending

    @property
    def closed(self) -> bool:
        """Whether ``close`` was called (the service is stopping)."""
        return self._closed

    @property
    def mean_task_s(self) -> float:
        return self._avg_s

    def set_estimate(self, seconds: float) -> bool:
        """Replace the assumed task time while no task has been measured (a calibration).

        Returns whether it was taken: once real tasks have been timed, they decide.
        """
        if not seconds > 0:
            raise ValueError(f"an estimate must be positive, not {seconds}")
        with self._lock:
            if self._measured:
                return False
            self._avg_s = seconds
            return True

    def admits(self) -> int:
        """How many tasks may be in the lane now (running and waiting)."""
        if self.budget_s is None:
            return self.capacity
        by_time = max(1, math.floor(self.budget_s / max(self._avg_s, 1e-3)))
        return min(self.capacity, by_time)

    def retry_after(self) -> int:
        """Seconds until a refused client would be admitted, at the mean task time."""
        over = self._pending - self.admits() + 1
        return max(1, min(600, math.ceil(max(1, over) * self._avg_s)))

    def submit(
        self, fn: Callable[[], T], *, bounded: bool = True, measure: bool = True
    ) -> concurrent.futures.Future[T]:
        """Queue ``fn``; ``bounded`` tasks are refused with ``Busy`` when the lane is full.

        ``measure=False`` keeps the task's time out of the running mean (warm-ups).
        """
        with self._lock:
            if self._closed:
                raise Busy(f"the {self.name} lane is shutting down", headers={"Retry-After": "5"})
            limit = self.admits()
            if bounded and self._pending >= limit:
                wait = self.retry_after()
                why = (
                    f"the {self.name} queue is full ({self.capacity} tasks)"
                    if limit == self.capacity
                    else f"the {self.name} queue is full ({self._pending} tasks of about "
                    f"{self._avg_s:.0f} s each would not finish in {self.budget_s:g} s)"
                )
                raise Busy(f"{why}; retry in {wait} s", headers={"Retry-After": str(wait)})
            self._pending += 1

        def timed() -> T:
            t0 = time.perf_counter()
            try:
                return fn()
            finally:
                took = time.perf_counter() - t0
                if measure:
                    with self._lock:
                        self._avg_s = 0.7 * self._avg_s + 0.3 * took
                        self._measured += 1

        try:
            future = self._executor.submit(timed)
        except RuntimeError:  # closed since the check above
            with self._lock:
                self._pending -= 1
            raise stopping(self.name) from None
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._release)
        return future

    def _release(self, future: concurrent.futures.Future[T]) -> None:
        with self._lock:
            self._pending -= 1
            self._futures.discard(future)

    async def run(self, fn: Callable[[], T], deadline: Deadline, what: str = "request") -> T:
        """Run ``fn`` in the lane and wait for it, at most until ``deadline``."""
        return await wait_future(self.submit(fn), deadline, what, lane=self.name)

    def close(self, timeout: float = 10.0) -> None:
        """Refuse new tasks, cancel waiting ones, give the running one ``timeout`` seconds."""
        with self._lock:
            self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)
        # Only the running task is waited for: a cancelled one never counts as done for
        # ``concurrent.futures.wait`` and would hold the stop for the whole ``timeout``.
        with self._lock:
            running = [f for f in self._futures if not f.cancelled()]
        done, left = concurrent.futures.wait(running, timeout=timeout)
        if left:
            log.warning("%s lane: a task was still running at shutdown", self.name)


class Waiters:
    """How many waiters (requests, jobs) each lane task has, so that one giving up cancels
    a task still queued only when nobody else waits for it.

    Every waiter ``join``s before it waits and ``leave``s when it stops waiting, whatever
    the reason; a task without waiters is not tracked.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[concurrent.futures.Future[Any], int] = {}

    def join(self, future: concurrent.futures.Future[Any]) -> bool:
        """Count one more waiter; ``False`` (and not counted) when the task was cancelled."""
        with self._lock:
            if future.cancelled():
                return False
            self._counts[future] = self._counts.get(future, 0) + 1
            return True

    def leave(self, future: concurrent.futures.Future[Any], *, cancel: bool) -> bool:
        """Count one waiter less; with ``cancel``, the last one cancels a task still queued.

        Returns whether the task was cancelled.
        """
        with self._lock:
            left = self._counts.get(future, 0) - 1
            if left > 0:
                self._counts[future] = left
                return False
            self._counts.pop(future, None)
            return cancel and future.cancel()

    def count(self, future: concurrent.futures.Future[Any]) -> int:
        with self._lock:
            return self._counts.get(future, 0)


waiters = Waiters()


def stopping(lane: str = "") -> Busy:
    """The error for a task cancelled because the service is stopping (503)."""
    return Busy(f"the {lane or 'work'} lane is shutting down", headers={"Retry-After": "5"})


def _retrieve(wrapped: asyncio.Future[Any]) -> None:
    """Mark an asyncio future's error as read (a done callback)."""
    if not wrapped.cancelled():
        wrapped.exception()


async def wait_future(
    future: concurrent.futures.Future[T],
    deadline: Deadline,
    what: str = "request",
    *,
    cancel: bool = True,
    lane: str = "",
) -> T:
    """Await a lane's future until ``deadline``; past it, ``RequestTimeout``.

    With ``cancel`` a task still waiting in the queue is cancelled, unless another waiter
    (a request sharing the same brief, a job) still waits for it: then it is left to run
    and its result is kept. A task cancelled because the service is stopping answers
    ``Busy`` (503).
    """
    if not waiters.join(future):
        raise stopping(lane)
    wrapped = asyncio.wrap_future(future)
    # Past the deadline (or when this request is cancelled) nobody awaits ``wrapped`` any
    # more; the task's error, if it fails later, is read here, so that asyncio does not log
    # "Future exception was never retrieved" (the error is not lost: the lane's future has
    # it, and ``wrapped.result()`` below still raises it).
    wrapped.add_done_callback(_retrieve)
    finished = False
    try:
        done, _ = await asyncio.wait({wrapped}, timeout=max(0.0, deadline.remaining()))
        finished = wrapped in done
    finally:
        # Also reached when this request is itself cancelled while it waits.
        cancelled = waiters.leave(future, cancel=cancel and not finished)
    if finished:
        if future.cancelled():
            raise stopping(lane)
        return wrapped.result()
    log.warning(
        "%s lane: %s timed out after %.1f s (%s)",
        lane or "a",
        what,
        deadline.seconds,
        "cancelled while waiting" if cancelled else "left to finish",
    )
    raise RequestTimeout(f"the {what} ran past the {deadline.seconds:g} s time limit")
