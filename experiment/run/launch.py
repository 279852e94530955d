"""Running a session from start to end: lock, plan, pre-flight, create or reopen the
files, walk the trials (the presenter, a window or none, is handed in).

Order, so that a refusal writes nothing and a crash at any instant can be continued:

1. the session lock (:mod:`lab.lock`): one process per session;
2. the plan (:func:`experiment.run.session.plan_session`): checks, saved settings on resume,
   the trial list; nothing written;
3. the stimulus files' sha256, then the presenter the caller chose: the window and its
   pre-flight (:class:`experiment.window.booth.Booth`), or the window-less presenter
   (:class:`experiment.run.windowless.HeadlessPresenter`, ``--no-window``);
4. the files (:mod:`experiment.files.creation`): a new session's dataset files, trial list,
   sidecar and trial header (the commit point), or the resumed run appended to the
   sidecar; the log file starts here, with the lines logged before it;
5. the trials (:class:`experiment.run.runner.SessionRunner`).

A run that stops before step 4 leaves nothing behind: the lock and any folders it made
are removed. An OS error (disk full, read-only, ...) ends in one line naming the path.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import signal
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from experiment.files.bids import (
    SessionPaths,
    claim_label,
    ensure_dataset_files,
    session_paths,
)
from experiment.files.creation import (
    create_session,
    lock_path,
    open_for_resume,
    remove_half_created,
)
from experiment.files.stimulus_check import verify_session_stimuli
from experiment.plan.checkpoints import checkpoint
from experiment.plan.config import SessionConfig
from experiment.plan.trial_list import work_left
from experiment.run.session import (
    SessionOutcome,
    SessionPlan,
    _own_version,
    new_sidecar,
    plan_session,
)
from lab.design import load_experiment
from lab.errors import LabInputError
from lab.lock import SessionLock, remove_if_stale
from lab.oserrors import os_error_line, setup_error
from lab.schema import HUMAN_FILE_COLUMNS
from lab.trial_file import TrialFile, read_rows

log = logging.getLogger(__name__)

#: (trial file, rows so far) from the run's pre-flight record
OpenData = Callable[[dict[str, Any]], tuple[TrialFile, list[dict[str, str]]]]


class SessionPresenter(Protocol):
    """Shows a planned session (a window, or none) and returns its outcome."""

    def run(self) -> SessionOutcome: ...


#: (config, plan, number of stimulus files, the files' opener) -> a presenter
MakePresenter = Callable[[SessionConfig, SessionPlan, int, OpenData], SessionPresenter]
#: picks the presenter for a session; may import the window's stack
ChoosePresenter = Callable[[SessionConfig], MakePresenter]


class SessionInterrupted(KeyboardInterrupt):
    """Ctrl-C; ``created`` says whether the session's files exist (resume) or not."""

    def __init__(self, created: bool) -> None:
        super().__init__()
        self.created = created


class _Buffer(logging.Handler):
    """Holds the session's log lines until its log file may be written."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class _LogFile(logging.FileHandler):
    """The session log; a failed write (disk full) never disturbs the session: the
    trial file's own write reports the problem."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802
        pass


class _Opener:
    """Step 4: creates or reopens the session's files, once the pre-flight passed."""

    def __init__(self, config: SessionConfig, plan: SessionPlan, buffer: _Buffer) -> None:
        self.config = config
        self.plan = plan
        self.buffer = buffer
        self.committed = False
        self.log_handler: logging.Handler | None = None

    def __call__(self, run: dict[str, Any]) -> tuple[TrialFile, list[dict[str, str]]]:
        config, plan, paths = self.config, self.plan, self.plan.paths
        try:
            if config.resume:
                trial_file, rows = open_for_resume(paths, plan.sidecar, run,
                                                   HUMAN_FILE_COLUMNS)
            else:
                remove_half_created(paths, HUMAN_FILE_COLUMNS)
                ensure_dataset_files(config.data, config.observer, _own_version(),
                                     config.participant, config.lab)
                checkpoint("created-dataset-files")
                claim_label(paths, config.observer)
                checkpoint("created-observer-file")
                trial_file = create_session(paths, plan.trials,
                                            new_sidecar(config, plan, run),
                                            HUMAN_FILE_COLUMNS)
                rows = []
        except OSError as err:
            raise setup_error(err, paths.beh_dir) from err
        self.committed = True
        self._start_log_file()
        return trial_file, rows

    def _start_log_file(self) -> None:
        handler = _LogFile(self.plan.paths.log, mode="a", encoding="utf-8", delay=True)
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.setLevel(logging.INFO)
        for record in self.buffer.records:
            handler.handle(record)
        root = logging.getLogger()
        root.removeHandler(self.buffer)
        root.addHandler(handler)
        self.log_handler = handler


def _missing_folders(folder: Path) -> list[Path]:
    """``folder`` and its parents that do not exist yet, deepest first."""
    out = []
    for p in [folder, *folder.parents]:
        if p.exists():
            break
        out.append(p)
    return out


def _clean_leftovers(paths: SessionPaths, data: Path) -> None:
    """A run killed right after taking the lock leaves the lock and the empty folders it
    made: a stale lock (its process gone from this host) goes, then those folders if empty
    (up to, not including, ``data``)."""
    lock = lock_path(paths)
    if not (lock.is_file() and remove_if_stale(lock)):
        return
    for folder in [paths.beh_dir, *paths.beh_dir.parents]:
        if folder == data or not folder.is_relative_to(data):
            break
        try:
            folder.rmdir()
        except OSError:  # not empty (other sessions, the observer's files): kept
            break


def _remove_empty(folders: list[Path]) -> None:
    for p in folders:
        try:
            p.rmdir()
        except OSError as err:
            if err.errno in (errno.ENOENT, errno.ENAMETOOLONG, errno.ENOTDIR):
                continue  # never made (e.g. its name was refused)
            return  # not empty: something else lives there


def launch(config: SessionConfig, choose_presenter: ChoosePresenter) -> SessionOutcome:
    """Run (or resume) a session; :class:`LabInputError` on a refusal (nothing written
    before the pre-flight passed), :class:`SessionInterrupted` on Ctrl-C.

    ``choose_presenter(config)`` returns the class (or factory) that shows the trials
    (the booth's window or the window-less presenter); it is called after the plan and
    the stimulus check, so that a refusal never waits for a window."""
    checkpoint("start")
    design = load_experiment(config.experiment)
    paths = session_paths(config.data, config.observer, config.session, design.name)
    # the buffer first: the line about a stale lock of a killed run reaches the session log
    buffer = _Buffer()
    root = logging.getLogger()
    root.addHandler(buffer)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    try:
        _clean_leftovers(paths, Path(config.data))
    except BaseException:
        root.removeHandler(buffer)
        raise
    made = _missing_folders(paths.beh_dir)
    lock = SessionLock(lock_path(paths))
    opener: _Opener | None = None
    interrupted = _watch_ctrl_c()
    try:
        try:
            lock.acquire()
        except OSError as err:
            raise setup_error(err, lock.path) from err
        checkpoint("locked")
        plan = plan_session(config)
        assert plan.config is not None
        config = plan.config
        log.info("session %s: observer %s, session %d, experiment %s, seed %d%s",
                 paths.stem, config.observer, config.session, design.name, plan.seed,
                 " (resumed)" if config.resume else "")
        if config.resume and not work_left(plan.trials, read_rows(paths.trials),
                                           config.rerun_flagged):
            log.info("session %s is complete: nothing to resume", paths.stem)
            return SessionOutcome(paths, 0, completed=True)
        n_files = verify_session_stimuli(Path(config.stimuli), plan.entries,
                                         [*plan.trials, *plan.practice])
        checkpoint("verified")
        opener = _Opener(config, plan, buffer)
        try:  # the window's stack (PsychoPy) is imported here: everything above needs none
            make = choose_presenter(config)
        except LabInputError:
            raise
        except Exception as err:  # pyglet cannot reach an X display
            if interrupted():
                raise KeyboardInterrupt from err
            raise LabInputError(
                f"cannot open the display ({str(err).splitlines()[0]}): run on the "
                "booth's screen, or under xvfb-run -a -s '-screen 0 1280x1024x24'"
            ) from err
        return make(config, plan, n_files, opener).run()
    except KeyboardInterrupt as err:
        raise SessionInterrupted(opener is not None and opener.committed) from err
    except LabInputError:
        raise
    except Exception as err:
        if interrupted():  # a library turned Ctrl-C into its own error (e.g. the window's)
            raise SessionInterrupted(opener is not None and opener.committed) from err
        if not isinstance(err, OSError):
            raise
        committed = opener is not None and opener.committed
        raise LabInputError(
            f"{os_error_line(err, paths.beh_dir)}; then "
            f"{'continue with --resume' if committed else 'run the same command again'}"
        ) from err
    finally:
        _restore_ctrl_c()
        lock.release()
        if opener is None or not opener.committed:
            _remove_empty(made)
        root.removeHandler(buffer)
        if opener is not None and opener.log_handler is not None:
            root.removeHandler(opener.log_handler)
            opener.log_handler.close()


_previous_handler: Any = None


def _watch_ctrl_c() -> Callable[[], bool]:
    """Remember a Ctrl-C (a library that turns it into another error during start-up,
    e.g. the display's, must not hide it); returns 'was it pressed?'."""
    global _previous_handler
    pressed = [False]

    def handler(signum: int, frame: FrameType | None) -> None:
        pressed[0] = True
        raise KeyboardInterrupt

    try:
        _previous_handler = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread
        _previous_handler = None
    return lambda: pressed[0]


def _restore_ctrl_c() -> None:
    if _previous_handler is not None:
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGINT, _previous_handler)


__all__ = ["ChoosePresenter", "MakePresenter", "OpenData", "SessionInterrupted", "SessionPresenter",
           "launch"]
