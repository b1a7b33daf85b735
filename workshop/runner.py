"""Where a comparison is measured: a process that does nothing else.

The console never measures in its own process: Streamlit's script runs and fragment
refreshes share one interpreter (one GIL) with whatever runs there, and a comparison's
worker threads would wait behind them — that wait lands in the measured overhead (the
issue that made this module: a page run's p90 overhead at 2.4x the CLI's, its medians in
the wrong order on a busy machine). So the Compare page starts ``python -m workshop.runner``:

* the console sends one :class:`RunRequest` (settings, the config with its secrets, the
  running sandbox's endpoints, the store URL, the run id) over the child's stdin — never a
  file, never the command line;
* the child runs the comparison with the same engine the CLI uses
  (:func:`workshop.compare.run_comparison`), writing every sample to the store as it
  completes, and prints a JSON progress line four times a second;
* ``cancel`` on stdin cancels (as does stdin closing: the console went away);
* the console keeps a :class:`RunnerProcess` per run and draws :meth:`RunnerProcess.snapshot`,
  the same ``compare.Progress`` a ComparisonJob gives. A closed tab or a browser refresh
  changes nothing for the child; the page finds the run again (see ``workshop.ui.compare_view``).

The CLI runs the same engine in its own process (it has nothing else to do), with the
sandbox in a process of its own, so console and CLI figures come from the same conditions.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import pickle
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from workshop.compare import PathProgress, Progress, RecentSample, RunSettings
from workshop.sequential import PrecisionStatus

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.25
_HEADER = struct.Struct("!Q")


@dataclass(frozen=True)
class RunRequest:
    """Everything a runner process needs for one comparison run."""

    settings: RunSettings
    config: Any  # WorkshopConfig, bound to the sandbox's endpoints when one is used
    store_url: str
    sandbox: dict[str, Any] | None = None  # SandboxProcess.describe(): endpoints, sts, control, region
    participant: str | None = None
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    debug: bool = False


# ============================================================================ the child


def execute(request: RunRequest, *, on_progress: Any = None, cancel: threading.Event | None = None,
            interval_s: float = PROGRESS_INTERVAL_S) -> Any:
    """Run ``request`` to the end in this process and return the finished ComparisonJob.

    ``cancel`` (an Event) cancels the run when set. WorkshopError (a refused quota, a
    store that cannot be opened) propagates before anything is measured.
    """
    from workshop.compare import ComparisonJob
    from workshop.paths import DEFAULT_POOL_SIZE
    from workshop.sandbox.process import RemoteSandbox
    from workshop.store import Store
    from workshop.workbench import Workbench

    settings = request.settings
    store = Store.open(request.store_url)
    sandbox = RemoteSandbox(request.sandbox) if request.sandbox else None
    workbench = Workbench(request.config, sandbox=sandbox, owns_sandbox=False, store=store,
                          pool_size=max(DEFAULT_POOL_SIZE, settings.concurrency))
    try:
        job = ComparisonJob(settings, workbench, store, participant=request.participant,
                            sandbox=sandbox is not None, run_id=request.run_id)
        job.start()
        while not job.wait(interval_s):
            if cancel is not None and cancel.is_set() and not job.cancelled:
                job.cancel()
            if on_progress is not None:
                on_progress(job.snapshot())
        if on_progress is not None:
            on_progress(job.snapshot())
        return job
    finally:
        workbench.close()
        store.close()


def progress_to_json(progress: Progress, since: int) -> dict[str, Any]:
    """One progress line: the snapshot without the recent samples the reader already has
    (``since`` = completions already sent)."""
    data = asdict(progress)
    seen = progress.done + progress.warmup_done
    new = seen - since
    data["recent"] = [asdict(r) for r in progress.recent[-new:]] if new > 0 else []
    data["completed"] = seen
    for key, value in list(data.items()):
        if isinstance(value, float) and not math.isfinite(value):
            data[key] = None
    for path in data["per_path"].values():
        for key, value in path.items():
            if isinstance(value, float) and not math.isfinite(value):
                path[key] = None
    if data.get("precision") and not math.isfinite(data["precision"]["widest_ms"]):
        data["precision"]["widest_ms"] = None
    return data


def _child_main() -> int:
    """``python -m workshop.runner``: read a RunRequest from stdin, run it, report on stdout."""
    out = sys.stdout
    lock = threading.Lock()
    gone = threading.Event()  # the console stopped reading: it went away

    def emit(message: dict[str, Any]) -> None:
        if gone.is_set():
            return
        with lock:
            try:
                out.write(json.dumps(message, default=str) + "\n")
                out.flush()
            except (BrokenPipeError, OSError, ValueError):
                gone.set()  # nobody to report to: cancel (below), keep what was measured

    raw = sys.stdin.buffer
    header = raw.read(_HEADER.size)
    if len(header) != _HEADER.size:
        return 2
    (size,) = _HEADER.unpack(header)
    request: RunRequest = pickle.loads(raw.read(size))  # from our own parent, over a pipe

    from workshop import logs
    from workshop.errors import WorkshopError

    logs.configure(debug=request.debug)
    cancel = threading.Event()

    def watch_stdin() -> None:
        # "cancel" cancels; end of input (the console went away) cancels too.
        try:
            for line in iter(raw.readline, b""):
                if line.strip() == b"cancel":
                    cancel.set()
        except (OSError, ValueError):
            pass
        cancel.set()

    threading.Thread(target=watch_stdin, name="runner-stdin", daemon=True).start()
    sent = 0

    def on_progress(progress: Progress) -> None:
        nonlocal sent
        if gone.is_set():
            cancel.set()
            return
        message = progress_to_json(progress, sent)
        sent = message["completed"]
        emit({"type": "progress", **message})

    try:
        job = execute(request, on_progress=on_progress, cancel=cancel)
    except WorkshopError as err:
        emit({"type": "end", "status": "failed", "error": str(err), "kind": err.kind, "run_id": request.run_id})
        return 2
    except Exception as err:  # a bug: the details go to the (redacted) log, not to the page
        log.exception("comparison runner crashed")
        emit({"type": "end", "status": "failed", "kind": "bug", "run_id": request.run_id,
              "error": f"Unexpected error ({type(err).__name__}); see the console's log."})
        return 1
    error = job.error
    emit({"type": "end", "status": job.status, "run_id": job.run_id, "note": job.note,
          "error": str(error) if error else None,
          "kind": getattr(error, "kind", "bug") if error else None, "analysis_s": job.analysis_s})
    return 0


# ============================================================================ the parent


class RunnerProcess:
    """The console's handle on a runner child: snapshot, cancel, wait — like a ComparisonJob."""

    def __init__(self, request: RunRequest, process: subprocess.Popen[bytes]) -> None:
        self.request = request
        self.settings = request.settings
        self.run_id = request.run_id
        self.started = time.perf_counter()
        self._process = process
        self._lock = threading.Lock()
        self._last: dict[str, Any] | None = None
        self._recent: deque[RecentSample] = deque(maxlen=200)
        self._end: dict[str, Any] | None = None
        self._cancelling = False
        self._finished = threading.Event()
        self._reader = threading.Thread(target=self._read, name=f"runner-{self.run_id[:8]}", daemon=True)
        self._reader.start()

    @classmethod
    def start(cls, request: RunRequest) -> RunnerProcess:
        """Start ``python -m workshop.runner`` and hand it the request; returns at once."""
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        process = subprocess.Popen(
            [sys.executable, "-m", "workshop.runner"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env=env, start_new_session=True,  # a Ctrl-C at the console's terminal is the console's
        )
        payload = pickle.dumps(request)
        assert process.stdin is not None
        process.stdin.write(_HEADER.pack(len(payload)) + payload)
        process.stdin.flush()
        return cls(request, process)

    @property
    def pid(self) -> int:
        return self._process.pid

    # ------------------------------------------------------------ reading the child

    def _read(self) -> None:
        stream = self._process.stdout
        assert stream is not None
        try:
            for line in stream:
                try:
                    message = json.loads(line)
                except ValueError:
                    continue  # not ours (a library printing): ignore
                with self._lock:
                    if message.get("type") == "progress":
                        for r in message.pop("recent", []):
                            self._recent.append(RecentSample(**r))
                        self._last = message
                    elif message.get("type") == "end":
                        self._end = message
        finally:
            code = self._process.wait()
            with self._lock:
                if self._end is None:
                    self._end = {"type": "end", "status": "failed", "kind": "bug", "run_id": self.run_id,
                                 "error": f"the comparison process ended unexpectedly (exit status {code})"}
            stream.close()
            self._finished.set()

    # ------------------------------------------------------------ the ComparisonJob surface

    def cancel(self) -> None:
        """Ask the child to cancel; the snapshot says "cancelling" at once."""
        with self._lock:
            if self._end is not None:
                return
            self._cancelling = True
        with contextlib.suppress(OSError, ValueError):
            assert self._process.stdin is not None
            self._process.stdin.write(b"cancel\n")
            self._process.stdin.flush()

    def wait(self, timeout: float | None = None) -> bool:
        return self._finished.wait(timeout)

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancelling

    @property
    def running(self) -> bool:
        return not self.finished

    @property
    def status(self) -> str:
        with self._lock:
            return (self._end or {}).get("status") or "running"

    @property
    def error(self) -> str | None:
        with self._lock:
            return (self._end or {}).get("error")

    @property
    def error_kind(self) -> str | None:
        with self._lock:
            return (self._end or {}).get("kind")

    @property
    def note(self) -> str | None:
        with self._lock:
            return (self._end or {}).get("note")

    def snapshot(self) -> Progress:
        """The latest progress the child reported, as a ``compare.Progress``."""
        with self._lock:
            last = dict(self._last or {})
            end = self._end
            recent = tuple(self._recent)
            cancelling = self._cancelling
        s = self.settings
        per_path = {
            p: PathProgress(**{k: (math.nan if v is None and k.startswith("p50") else v) for k, v in d.items()})
            for p, d in (last.get("per_path") or {}).items()
        } or {p: PathProgress() for p in s.paths}
        precision = last.get("precision")
        if precision:
            precision = PrecisionStatus(**{**precision, "widest_pair": tuple(precision["widest_pair"])
                                           if precision.get("widest_pair") else None,
                                           "widest_ms": math.inf if precision.get("widest_ms") is None
                                           else precision["widest_ms"]})
        phase = last.get("phase", "starting")
        if end is not None:
            phase = "finished"
        elif cancelling and phase not in ("analysing",):
            phase = "cancelling"
        return Progress(
            run_id=self.run_id,
            phase=phase,
            status=(end or {}).get("status") or last.get("status", "running"),
            done=int(last.get("done", 0)),
            total=s.total,
            warmup_done=int(last.get("warmup_done", 0)),
            warmup_total=s.warmup_total,
            errors=int(last.get("errors", 0)),
            retried=int(last.get("retried", 0)),
            rate_per_s=float(last.get("rate_per_s") or 0.0),
            elapsed_s=float(last.get("elapsed_s") or (time.perf_counter() - self.started)),
            per_path=per_path,
            recent=recent,
            error=(end or {}).get("error"),
            note=(end or {}).get("note") or last.get("note"),
            precision=precision,
            time_limit_s=s.time_limit_s,
            eta_s=last.get("eta_s"),
        )

    def stop(self) -> None:
        """Cancel and wait for the child (used when the console shuts down)."""
        self.cancel()
        if not self.wait(10):
            self._process.kill()


# ============================================================================ single calls


@dataclass(frozen=True)
class WorkerSetup:
    """What a long-lived invocation worker needs: the config (bound to the sandbox when one is
    used), the sandbox's endpoints, the store for the invocation log."""

    config: Any
    store_url: str
    sandbox: dict[str, Any] | None = None
    debug: bool = False


class InvokeWorker:
    """The Invoke page's measuring process: one per console config, kept for the server's life.

    A single call from the page is measured here, not in the Streamlit process, for the same
    reason a comparison is (the page's redraws landed in the call's overhead: 24-430 ms on the
    sandbox against 13 ms from the CLI). The worker keeps one client per path, so the second
    call on a path reuses its connection and credentials as it would in an application.
    Requests are JSON lines on the child's stdin; the child answers with the streamed text as
    it arrives and the finished ``InvocationResult``. One call at a time (calls queue).
    """

    def __init__(self, setup: WorkerSetup, process: subprocess.Popen[bytes]) -> None:
        self.setup = setup
        self._process = process
        self._lock = threading.Lock()  # one call at a time
        self._ids = iter(range(1, 1 << 62))
        self._paths: set[str] = set()

    @classmethod
    def start(cls, setup: WorkerSetup) -> InvokeWorker:
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        process = subprocess.Popen([sys.executable, "-m", "workshop.runner", "--serve"], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, env=env, start_new_session=True)
        payload = pickle.dumps(setup)
        assert process.stdin is not None
        process.stdin.write(_HEADER.pack(len(payload)) + payload)
        process.stdin.flush()
        return cls(setup, process)

    @property
    def pid(self) -> int:
        return self._process.pid

    def has_client(self, path: str) -> bool:
        """Whether a call on ``path`` went through this worker (its credentials are cached)."""
        return path in self._paths

    def invoke(self, path: str, model_id: str, body: dict[str, Any], api: str = "invoke", *,
               participant: str | None = None, on_text: Any = None, on_quota: Any = None) -> Any:
        """One call through ``path``, measured in the worker; ``on_text(delta)`` as text arrives,
        ``on_quota(QuotaStatus)`` after a usage plan's 429 on an api-gateway path (its figures
        read by the worker once the call is over). Raises the WorkshopError the call raised (a
        quota refusal, a misconfigured path)."""
        from workshop.errors import WorkshopError
        from workshop.results import InvocationResult

        with self._lock:
            if self._process.poll() is not None:
                raise WorkshopError("the console's measuring process has stopped", field="console",
                                    fix="restart the console (make run)")
            call = next(self._ids)
            request = {"id": call, "path": path, "model_id": model_id, "body": body, "api": api,
                       "participant": participant}
            assert self._process.stdin is not None and self._process.stdout is not None
            try:
                self._process.stdin.write((json.dumps(request) + "\n").encode())
                self._process.stdin.flush()
            except (BrokenPipeError, OSError) as exc:
                raise WorkshopError("the console's measuring process has stopped", field="console",
                                    fix="restart the console (make run)") from exc
            for line in self._process.stdout:
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if message.get("id") != call:
                    continue
                kind = message.get("type")
                if kind == "text":
                    if on_text is not None:
                        on_text(message["delta"])
                elif kind == "result":
                    self._paths.add(path)
                    if message.get("quota") is not None and on_quota is not None:
                        from workshop.gateway import QuotaStatus

                        on_quota(QuotaStatus.from_dict(message["quota"]))
                    return InvocationResult.from_dict(message["result"])
                elif kind == "error":
                    raise _rebuild_error(message)
            raise WorkshopError("the console's measuring process stopped during the call", field="console",
                                fix="restart the console (make run)")

    def close(self) -> None:
        """Close the worker's stdin (it stops, closing its clients), then make sure it is gone."""
        with contextlib.suppress(OSError, ValueError):
            assert self._process.stdin is not None
            self._process.stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)


def _rebuild_error(message: dict[str, Any]) -> Exception:
    """The worker's WorkshopError on this side: the same one line, the same kind."""
    from workshop.errors import WorkshopError

    class RelayedError(WorkshopError):
        """A user mistake found in the measuring process, relayed as its one line."""

    err = RelayedError(str(message.get("message", "")))
    err.kind = str(message.get("kind") or "error")
    return err


def _quota_of(workbench: Any, path: str, result: Any) -> dict[str, Any] | None:
    """A usage plan's figures behind a 429 on an api-gateway path (``gateway.quota_status``),
    as a dict for the pipe; None for every other result."""
    from workshop.gateway import limit_of, quota_status

    if limit_of(result) is None:
        return None
    status = quota_status(workbench.client(path), result)
    return status.to_dict() if status is not None else None


def _serve_main() -> int:
    """``python -m workshop.runner --serve``: an InvokeWorker's child."""
    raw = sys.stdin.buffer
    header = raw.read(_HEADER.size)
    if len(header) != _HEADER.size:
        return 2
    (size,) = _HEADER.unpack(header)
    setup: WorkerSetup = pickle.loads(raw.read(size))  # from our own parent, over a pipe

    from workshop import logs
    from workshop.errors import WorkshopError
    from workshop.sandbox.process import RemoteSandbox
    from workshop.store import Store
    from workshop.workbench import Workbench

    logs.configure(debug=setup.debug)
    out = sys.stdout

    def emit(message: dict[str, Any]) -> None:
        out.write(json.dumps(message, default=str) + "\n")
        out.flush()

    store = Store.open(setup.store_url)
    sandbox = RemoteSandbox(setup.sandbox) if setup.sandbox else None
    workbench = Workbench(setup.config, sandbox=sandbox, owns_sandbox=False, store=store)
    try:
        for line in iter(raw.readline, b""):
            try:
                request = json.loads(line)
            except ValueError:
                continue
            call = request.get("id")
            try:
                result = workbench.invoke(
                    request["path"], request["model_id"], request["body"], request.get("api", "invoke"),
                    participant=request.get("participant"),
                    on_text=lambda delta, call=call: emit({"id": call, "type": "text", "delta": delta}),
                )
            except WorkshopError as err:
                emit({"id": call, "type": "error", "kind": err.kind, "message": str(err)})
                continue
            except Exception as err:  # a bug: logged (redacted), reported by type only
                log.exception("invocation worker crashed on a call")
                emit({"id": call, "type": "error", "kind": "bug",
                      "message": f"Unexpected error ({type(err).__name__}); see the console's log."})
                continue
            emit({"id": call, "type": "result", "result": result.to_dict(include_body=True),
                  "quota": _quota_of(workbench, request["path"], result)})
    except (BrokenPipeError, OSError):
        pass  # the console went away
    finally:
        workbench.close()
        store.close()
    return 0


if __name__ == "__main__":
    code = _serve_main() if "--serve" in sys.argv[1:] else _child_main()
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    logging.shutdown()
    # The stdin watcher may still be blocked in a read; interpreter finalisation would wait on
    # its buffer lock. Everything is closed and flushed: leave without finalising.
    os._exit(code)
