"""Long work off the script thread: a worker-thread job, and a fragment that draws it.

A widget click aborts a script run, so anything slower than a blink (a streamed answer,
a comparison run) runs in a worker thread owned by a :class:`Job` kept in
``st.session_state``. The worker never calls ``st.*``: it writes to the job under a lock
(``append_text``, ``set_progress``) and the page draws ``job.snapshot()`` from a
``@st.fragment(run_every=...)`` via :func:`follow`. When the job ends the fragment asks
for one full rerun, so the page shows the final result and the fragment stops ticking.

Usage::

    def start() -> None:                       # an on_click callback
        st.session_state["job"] = Job(lambda job: work(on_text=job.append_text)).start()

    st.button("Go", on_click=start)
    follow("job", draw=lambda snap: st.write(snap.text))
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import streamlit as st

from workshop.errors import WorkshopError

log = logging.getLogger(__name__)

T = TypeVar("T")

PENDING, RUNNING, DONE, FAILED, CANCELLED = "pending", "running", "done", "failed", "cancelled"


@dataclass(frozen=True)
class Snapshot(Generic[T]):
    """A consistent copy of a job's progress, safe to draw from the script thread."""

    status: str
    text: str
    done: int
    total: int | None
    note: str
    result: T | None
    error: str | None
    error_kind: str | None
    elapsed_s: float

    @property
    def running(self) -> bool:
        return self.status in (PENDING, RUNNING)

    @property
    def finished(self) -> bool:
        return not self.running


class Job(Generic[T]):
    """One unit of long work in a daemon thread, with progress, streamed text and cancel.

    ``target(job)`` does the work and returns the result; it may call
    :meth:`append_text` / :meth:`set_progress` and should poll :attr:`cancelled`.
    A ``WorkshopError`` becomes ``error`` (its one-line message); any other exception is
    a bug, logged, and reported by type only so no secret can ride along into the UI.
    """

    def __init__(self, target: Callable[[Job[T]], T], *, name: str = "console-job") -> None:
        self._target = target
        self._name = name
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._finished = threading.Event()
        self._thread: threading.Thread | None = None
        self._status = PENDING
        self._chunks: list[str] = []
        self._done = 0
        self._total: int | None = None
        self._note = ""
        self._result: T | None = None
        self._error: str | None = None
        self._error_kind: str | None = None
        self._started = time.perf_counter()
        self._ended: float | None = None

    # --- called from the script thread -------------------------------------------------
    def start(self) -> Job[T]:
        """Start the worker thread (once) and return self, for one-line use in callbacks."""
        if self._thread is None:
            self._started = time.perf_counter()
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            with self._lock:
                self._status = RUNNING
            self._thread.start()
        return self

    def cancel(self) -> None:
        """Ask the worker to stop at its next check; the snapshot turns ``cancelled``."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ended (for tests and the CLI); True if it did in time."""
        return self._finished.wait(timeout)

    def snapshot(self) -> Snapshot[T]:
        """A consistent copy of the progress so far."""
        with self._lock:
            end = self._ended if self._ended is not None else time.perf_counter()
            return Snapshot(
                status=self._status,
                text="".join(self._chunks),
                done=self._done,
                total=self._total,
                note=self._note,
                result=self._result,
                error=self._error,
                error_kind=self._error_kind,
                elapsed_s=end - self._started,
            )

    @property
    def running(self) -> bool:
        return not self._finished.is_set()

    # --- called from the worker thread --------------------------------------------------
    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def append_text(self, delta: str) -> None:
        """Add streamed text (an ``on_text`` callback)."""
        if delta:
            with self._lock:
                self._chunks.append(delta)

    def set_progress(self, done: int, total: int | None = None, note: str = "") -> None:
        with self._lock:
            self._done, self._total, self._note = done, total, note

    def _run(self) -> None:
        status, result, error, kind = DONE, None, None, None
        try:
            result = self._target(self)
            if self._cancel.is_set():
                status = CANCELLED
        except WorkshopError as err:
            status, error, kind = FAILED, str(err), err.kind
        except Exception as err:  # a bug: keep the details in the redacted log only
            log.exception("console job %s crashed", self._name)
            status, error, kind = FAILED, f"Unexpected error ({type(err).__name__}); see the server log.", "bug"
        with self._lock:
            self._status, self._result, self._error, self._error_kind = status, result, error, kind
            self._ended = time.perf_counter()
        self._finished.set()


def follow(
    job_key: str,
    draw: Callable[[Any], None],
    *,
    interval: float = 0.2,
    is_running: Callable[[Any], bool] = lambda job: bool(job.running),
) -> None:
    """Draw the job in ``st.session_state[job_key]`` with ``draw(job)`` and keep it live.

    While the job runs the fragment reruns every ``interval`` seconds (only the fragment,
    not the page, so the rest of the page stays interactive); when it has ended, one full
    rerun redraws the page with the final result and stops the ticking. Works with any
    job object (``Job``, the compare engine's ``ComparisonJob``) through ``is_running``.
    ``draw`` receives the job itself (or ``None``) and calls ``job.snapshot()`` as needed.
    """
    job = st.session_state.get(job_key)
    live = job is not None and is_running(job)

    @st.fragment(run_every=interval if live else None)
    def _frame() -> None:
        current = st.session_state.get(job_key)
        draw(current)
        if live and current is not None and not is_running(current):
            st.rerun(scope="app")

    _frame()
