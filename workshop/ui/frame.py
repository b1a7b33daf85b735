"""The frame every page calls first: page config, session defaults, shared Workbench, sidebar.

Streamlit's pages-directory convention runs a deep-linked page without ``app.py`` on a
fresh server, so each page (``app.py`` included) calls :func:`page` itself; that is what
makes a bookmark of any step show the whole console.

Usage, at the top of a page::

    from workshop.ui.frame import page
    ctx = page("Invoke", step=4, icon=":material/bolt:")
    with ctx.guard():
        result = ctx.workbench().invoke(...)
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

from workshop import PATH_LABELS
from workshop.errors import WorkshopError
from workshop.ui import alerts, state

if TYPE_CHECKING:  # the frame imports the core lazily: a page that needs no Workbench stays fast
    from workshop.config import WorkshopConfig
    from workshop.workbench import Workbench

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
"""The repo root: where ``app.py`` and ``pages/`` live."""


@dataclass(frozen=True)
class PageInfo:
    """One step of the walk-through, as the sidebar links to it."""

    step: int
    file: str  # relative to ROOT, as st.page_link wants it
    label: str
    icon: str


PAGES: tuple[PageInfo, ...] = (
    PageInfo(1, "app.py", "Home", ":material/home:"),
    PageInfo(2, "pages/2_Setup.py", "Setup", ":material/settings:"),
    PageInfo(3, "pages/3_Model_and_prompt.py", "Model & prompt", ":material/tune:"),
    PageInfo(4, "pages/4_Invoke.py", "Invoke", ":material/bolt:"),
    PageInfo(5, "pages/5_Compare_paths.py", "Compare paths", ":material/monitoring:"),
    PageInfo(6, "pages/6_Diagnostics.py", "Diagnostics", ":material/troubleshoot:"),
    PageInfo(7, "pages/7_History.py", "History", ":material/history:"),
    PageInfo(8, "pages/8_Room.py", "Room", ":material/groups:"),
)

SANDBOX_LABEL = "modelled, not measured on AWS"


def sandbox_label(figure: str = "") -> str:
    """Caption text for a figure produced by the sandbox: it is modelled, not measured.

    Here rather than in ``widgets`` so that Home, which draws no bound widget, does not
    import (and, without a bytecode cache, compile) the widgets module.
    """
    return f"{figure}: {SANDBOX_LABEL}" if figure else f"Sandbox figures are {SANDBOX_LABEL}."


DONE_MARK = ":green[:material/check_box:]"
TODO_MARK = ":gray[:material/check_box_outline_blank:]"
"""Checklist marks: Material icons ship with Streamlit, so they render offline (emoji need a font)."""

CHECKLIST: tuple[tuple[str, str], ...] = (
    (state.SETUP_DONE, "Setup done"),
    (state.MODEL_CHOSEN, "Model chosen"),
    (state.BODY_VALID, "Request body valid"),
    (state.INVOKED, "Invoked"),
    (state.COMPARED, "Paths compared"),
)


def config_fingerprint(config: Any) -> str:
    """A stable hash of a config's contents: the cache key of its Workbench.

    Secrets go into the hash input but never out of this function; only the digest is
    kept, so two sessions with the same config share one Workbench (and one sandbox).
    """
    if config is None:
        return "builtin-sandbox"
    data = dataclasses.asdict(config) if dataclasses.is_dataclass(config) else vars(config)
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _close_workbench(workbench: Any) -> None:
    with contextlib.suppress(Exception):  # closing at exit must never raise
        workbench.close()


@st.cache_resource(show_spinner="Starting the workbench (and the sandbox, if used)…", max_entries=8,
                   on_release=_close_workbench)
def _open_workbench(fingerprint: str, _config: Any) -> Workbench:
    """One Workbench per distinct config per server process (the sandbox starts once).

    ``fingerprint`` is the cache key; ``_config`` is not hashed (leading underscore).
    """
    from workshop.workbench import Workbench

    workbench = Workbench.open(_config)
    # Streamlit does not clear resource caches at shutdown; stop the sandbox ourselves.
    atexit.register(_close_workbench, workbench)
    return workbench


def _close_invoker(invoker: Any) -> None:
    with contextlib.suppress(Exception):
        invoker.close()


@st.cache_resource(show_spinner=False, max_entries=8, on_release=_close_invoker)
def _open_invoker(fingerprint: str, workbench_id: int, _workbench: Any) -> Any:
    """The Invoke page's measuring process for this config (``runner.InvokeWorker``): single
    calls are measured there, never in this (Streamlit's) process. Keyed on the workbench too:
    a workbench opened anew (its sandbox restarted) gets a worker that knows its endpoints."""
    from workshop.runner import InvokeWorker, WorkerSetup
    from workshop.store import resolve_url

    describe = getattr(_workbench.sandbox, "describe", None)
    config = _workbench.config
    worker = InvokeWorker.start(WorkerSetup(
        config=config, store_url=resolve_url(getattr(config, "store_url", None)),
        sandbox=describe() if callable(describe) else None, debug=bool(getattr(config, "debug", False)),
    ))
    atexit.register(_close_invoker, worker)
    return worker


@st.cache_resource(show_spinner="Listing models…", ttl=300, max_entries=32)
def _list_models(fingerprint: str, path: str, _workbench: Any) -> Any:
    """The model catalog per (config, path), cached: the live part is a control-plane call."""
    from workshop.catalog import list_models

    return list_models(_workbench, path)


def _configure_logging(debug: bool) -> None:
    """Install the redacting log handler, and re-install it when something changed.

    Not cached: handlers added later (by Streamlit, pytest) must get the redacting filter
    too, and a config with ``Debug = true`` turns the wire logging on. Cheap when nothing
    changed. Logging is per process, so the last config loaded decides the level.
    """
    from workshop import logs
    from workshop.secrets import RedactingFilter

    root = logging.getLogger()
    want = logging.DEBUG if debug else logging.WARNING
    ours = any(getattr(h, "_workshop_handler", False) for h in root.handlers)
    unfiltered = any(not any(isinstance(f, RedactingFilter) for f in h.filters) for h in root.handlers)
    if ours and root.level == want and not unfiltered:
        return
    logs.configure(debug=debug)


@dataclass(frozen=True)
class Context:
    """What a page gets from the frame: its step, the active config and the Workbench."""

    title: str
    step: int
    status: Any = None  # the sidebar's status placeholder, redrawn by refresh()

    @property
    def config(self) -> WorkshopConfig:
        """The active config: what Setup loaded, else the built-in sandbox."""
        chosen = state.get(state.CONFIG)
        if chosen is not None:
            return chosen
        from workshop.config import default_config

        return default_config()

    @property
    def is_sandbox(self) -> bool:
        """True when the figures on screen come from the local emulator, not AWS."""
        chosen = state.get(state.CONFIG)
        return chosen is None or bool(getattr(chosen, "sandbox", False))

    def workbench(self) -> Workbench:
        """The shared Workbench for this session's config (opened once, then cached)."""
        chosen = state.get(state.CONFIG)
        config = self.config
        return _open_workbench(config_fingerprint(chosen), config)

    def invoker(self) -> Any:
        """The process that measures this config's single calls (``runner.InvokeWorker``),
        started once per config and kept: Invoke's figures are not the console's redraws."""
        workbench = self.workbench()
        return _open_invoker(config_fingerprint(state.get(state.CONFIG)), id(workbench), workbench)

    @property
    def participant(self) -> str | None:
        """The participant's name (the sidebar's field, or the lab's $WORKSHOP_PARTICIPANT);
        None without one (calls are then unnamed: see workshop.ui.participant)."""
        from workshop.ui.participant import current

        return current()

    def models(self, path: str) -> Any:
        """The models ``path`` offers (``catalog.ModelList``; ``.notes`` says what is missing)."""
        return _list_models(config_fingerprint(state.get(state.CONFIG)), path, self.workbench())

    def refresh(self) -> None:
        """Redraw the sidebar status after the page changed state (checklist, model)."""
        if self.status is not None:
            with self.status.container():
                _status(self)

    def path_names(self) -> list[str]:
        """The access paths of the active config, in walk-through order."""
        try:
            return list(self.config.paths)
        except WorkshopError as err:
            show_error(err)
            return []

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Show a ``WorkshopError`` as one error line (redacted) instead of a traceback."""
        try:
            yield
        except WorkshopError as err:
            show_error(err)

    def link(self, file: str, label: str, icon: str | None = None) -> None:
        """A link to another step, drawn only once that page exists (pages land separately)."""
        if (ROOT / file).exists():
            with contextlib.suppress(StreamlitAPIException):  # page run as its own entry point
                st.page_link(file, label=label, icon=icon)

    def sandbox_caption(self, figure: str = "") -> None:
        """Label a figure "modelled, not measured on AWS" when it comes from the sandbox."""
        if self.is_sandbox:
            st.caption(f":orange[{sandbox_label(figure)}]")


def show_error(err: BaseException) -> None:
    """One clear line naming the field and the fix; never a traceback, never a secret."""
    if isinstance(err, WorkshopError):
        alerts.error(str(err), icon=":material/error:")
    else:  # a bug: say so plainly, keep the details in the (redacted) log
        log.exception("unexpected error in the console")
        alerts.error(f"Unexpected error ({type(err).__name__}); the details are in the server log.", icon=":material/bug_report:")


def page(title: str, step: int, icon: str = ":material/explore:", *, heading: bool = True) -> Context:
    """Set up the page and draw the shared frame; call it first on every page."""
    st.set_page_config(page_title=f"{title} · Bedrock workshop", page_icon=icon, layout="wide")
    state.init()
    _config_from_environment()
    _record_finished_invoke()
    with st.sidebar:
        st.markdown("**Bedrock access-path workshop**")
        from workshop.ui.participant import participant_field

        participant_field(where="sidebar")
        ctx = Context(title=title, step=step, status=st.empty())
    ctx.refresh()
    _links(ctx)
    if heading:
        st.title(f"{icon} {step}. {title}" if step > 1 else f"{icon} {title}")
    # After the frame is on its way to the browser (the first run imports the redaction code,
    # ~0.08 s) but before the page's own body: nothing above logs, the page's work may.
    _configure_logging(bool(getattr(state.get(state.CONFIG), "debug", False)))
    for level, text in state.take_flash():
        if level in ("error", "warning"):
            getattr(alerts, level)(text)
        else:
            (st.success if level == "success" else st.info)(text)
    return ctx


CONFIG_ENV = "WORKSHOP_CONFIG"
"""A config file the console loads for every new session (``make run CONFIG=...``, the lab's
instances): a participant starts on their paths, not on the sandbox."""
ENV_CONFIG_TRIED = state.register("frame.env_config_tried", lambda: False)


def _config_from_environment() -> None:
    """Load ``$WORKSHOP_CONFIG`` once per session, when nothing was chosen on Setup yet."""
    if state.get(ENV_CONFIG_TRIED) or state.get(state.CONFIG) is not None:
        return
    state.put(ENV_CONFIG_TRIED, True)
    import os

    path = os.environ.get(CONFIG_ENV, "").strip()
    if not path:
        return
    from workshop.config import load_config

    try:
        config = load_config(path)
    except WorkshopError as err:
        state.flash("error", f"{err} (from ${CONFIG_ENV}; the built-in sandbox is used meanwhile: load a config on "
                             "step 2, Setup)")
        return
    state.put(state.CONFIG, config)
    state.put(state.CONFIG_LABEL, f"{Path(path).name} (${CONFIG_ENV})")
    state.put(state.CONFIG_PROBLEMS, list(config.warnings))
    state.put(state.SETUP_DONE, not any(p.severity == "error" for p in config.problems))
    if config.paths:  # a new session starts on the config's own default path
        state.put(state.PATH, config.default_path if config.default_path in config.paths else next(iter(config.paths)))


def _record_finished_invoke() -> None:
    """Move a finished step-4 job's result into state before the sidebar draws its checklist."""
    job = state.get(state.INVOKE_JOB)
    if job is None or job.running:
        return
    result = job.snapshot().result
    if result is not None and result is not state.get(state.LAST_RESULT):
        state.put(state.LAST_RESULT, result)
        if result.ok:
            state.put(state.INVOKED, True)


def _status(ctx: Context) -> None:
    """Mode badge, current choices and the checklist (inside the sidebar placeholder)."""
    if ctx.is_sandbox:
        st.badge("SANDBOX", icon=":material/science:", color="orange",
                 help="A local, wire-compatible Bedrock emulator on 127.0.0.1: no AWS account needed.")
        st.caption(sandbox_label())
    else:
        config = state.get(state.CONFIG)
        region = getattr(config, "region", "?")
        accounts = sorted({account for account, _arn in state.get(state.IDENTITY).values()})
        account = ", ".join(accounts) if accounts else "account not checked yet"
        st.badge("AWS", icon=":material/cloud:", color="blue")
        st.caption(f"{account} · {region}")
    path = state.get(state.PATH)
    st.markdown(
        f"**Path:** {PATH_LABELS.get(path, path)}  \n"
        f"**Credentials:** {_credential_mode(ctx, path)}  \n"
        f"**Model:** `{state.get(state.MODEL_ID) or 'not chosen'}`  \n"
        f"**Config:** {state.get(state.CONFIG_LABEL)}"
    )
    st.markdown("**Progress**")
    st.markdown("  \n".join(
        f"{DONE_MARK if done else TODO_MARK} {label}" for label, done in checklist(ctx)
    ))


def checklist(ctx: Context) -> list[tuple[str, bool]]:
    """The walk-through's steps and whether each is done (the sandbox needs no setup)."""
    items = []
    for key, label in CHECKLIST:
        done = bool(state.get(key))
        if key == state.SETUP_DONE and ctx.is_sandbox and not done:
            label, done = "Setup done (sandbox preselected)", True
        items.append((label, done))
    return items


def _links(ctx: Context) -> None:
    """Links to every step that exists (pages 5-7 land separately; never link a missing file)."""
    with st.sidebar:
        st.divider()
        for info in PAGES:
            if not (ROOT / info.file).exists():
                continue
            try:
                st.page_link(info.file, label=f"{info.step}. {info.label}", icon=info.icon,
                             disabled=info.step == ctx.step)
            except StreamlitAPIException:
                # The page was started as its own entry point (`streamlit run pages/4_Invoke.py`,
                # AppTest.from_file(page)): there is no multipage app to link into.
                st.caption("Start the console with `streamlit run app.py` for links to every step.")
                return


BUILTIN_CREDENTIALS: dict[str, str] = {"nat": "instance", "vpce": "instance", "cross-account": "assume-role",
                                       "api-gateway": "instance", "llm-gateway": "instance"}
"""Credential mode of each path of the built-in sandbox (``config.default_config()``; a test
keeps the two in step). The sidebar reads it from here because building the default config
imports the sandbox server and botocore, ~0.2 s of the first page's script run."""


def _credential_mode(ctx: Context, path: str) -> str:
    """The chosen path's credential mode, without touching the network."""
    if state.get(state.CONFIG) is None and path in BUILTIN_CREDENTIALS:
        return BUILTIN_CREDENTIALS[path]
    try:
        return ctx.config.path(path).credentials.kind
    except Exception:  # a half-loaded config must not break the sidebar
        return "—"
