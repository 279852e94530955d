"""Score a network on a stimulus set: verify, load, infer, decide, write trial records.

The run, in order (every step before the first row is written can refuse with one line):

1. read the manifest; refuse an unwritable ``--out`` and outputs that exist already
   (with ``--resume``: check the interrupted run's files instead, see :mod:`models.runs`);
2. check every file's sha256 against the manifest and that it decodes (sharded over ranks);
3. build the network with its weights; fold batch norms into convolutions, move it to
   the device, ``channels_last`` (:mod:`models.acceleration`);
4. create the trial file(s) under a ``.partial`` name with their JSON sidecar
   (``"complete": false``), or reopen them to resume;
5. stream batches (DataLoader workers decode, the device normalises), ``inference_mode``,
   bf16/fp16 autocast on CUDA, one batch kept in flight on CUDA while the previous one is
   decided and written; rank 0 gathers each step and appends its rows in manifest order;
6. mark the sidecar complete and publish each TSV under its final name.

A run that stops half-way (a full disk, Ctrl-C, ``kill -9``) leaves its finished batches
in the ``.partial`` file: ``python -m models score <same options> --resume`` continues at
the first unscored file.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torchvision
from torch import nn

from lab.decision_rules import describe
from lab.errors import LabInputError
from lab.inputs import check_manifest_conditions
from lab.lock import SessionLock
from lab.manifest import MANIFEST_NAME, ManifestEntry, read_manifest, sha256_file, verify_files
from lab.progress import progress
from lab.provenance import provenance
from lab.schema import DNN_FILE_COLUMNS, column_descriptions
from lab.trial_file import TrialFile, sidecar_path, write_json_atomic
from models.acceleration import DeviceChoices, device_choices, prepare_model
from models.decision import Decisions, decide
from models.distributed import Team, join
from models.loading import StimulusDataset, make_loader, normalise, shard_positions
from models.options import ScoreOptions
from models.records import correct_indices, make_records, output_path
from models.registry import ModelSpec, Preprocessing, get_spec
from models.runs import (
    RESUME_KEYS,
    ResumeState,
    check_out_folder,
    lock_path,
    partial_path,
    publish,
    refuse_existing,
    resume_hint,
    resume_state,
)
from models.weights import WeightsIdentity, build_model, spec_for_weights, weights_identity

log = logging.getLogger(__name__)


@dataclass
class ScoreResult:
    """What a run wrote (on rank 0; other ranks get an empty one)."""

    paths: list[Path] = field(default_factory=list)
    n_images: int = 0
    correct: Counter = field(default_factory=Counter)  #: experiment -> correct trials
    totals: Counter = field(default_factory=Counter)  #: experiment -> trials
    seconds: float = 0.0  #: inference loop, first batch to last row

    @property
    def images_per_second(self) -> float:
        return self.n_images / self.seconds if self.seconds > 0 else float("nan")


# -- choices made for the device ---------------------------------------------------------
def auto_batch_size(device: torch.device) -> int:
    """256 on CUDA; 32 on CPU (resnet50 on 2 cores: 32 was faster than 16 and 64)."""
    return 256 if device.type == "cuda" else 32


# -- the sidecar -------------------------------------------------------------------------
#: Packages a network sidecar names (torch and torchvision as they report themselves).
PACKAGES = ("numpy", "pillow")


def _program() -> str:
    name = Path(sys.argv[0]).name
    return "python -m models" if name == "__main__.py" else name


def _sidecar(
    opts: ScoreOptions, spec: ModelSpec, pre: Preprocessing, weights: str, team: Team,
    *, experiment: str, n_images: int, batch_size: int,
    choices: DeviceChoices, optimisations: list[str], rule: str, identity: WeightsIdentity,
) -> dict[str, Any]:
    device = str(team.device)
    if team.device.type == "cuda":
        device += f" ({torch.cuda.get_device_name(team.device)})"
    return {
        "kind": "dnn-trials",
        "complete": False,
        "experiment": experiment,
        "observer": identity.observer,
        "model": spec.name,
        "model_source": spec.source,
        "weights": weights,
        "weights_option": opts.weights,
        **identity.sidecar(),
        "rule": rule,
        "rule_description": describe(rule),
        "preprocessing": pre.as_dict(),
        "device": device,
        "dtype": choices.dtype_text,
        "optimisations": optimisations,
        "batch_size": batch_size,
        "world_size": team.world,
        "backend": team.backend or "single process",
        "workers_per_rank": choices.workers,
        "seed": opts.seed,
        "session": opts.session,
        "n_images": n_images,
        **provenance(opts.stimuli, sha256_file(opts.stimuli / MANIFEST_NAME), PACKAGES,
                     runtime={"torch": torch.__version__,
                              "torchvision": torchvision.__version__}),
        "command": " ".join([_program(), *sys.argv[1:]]),
    }


# -- the run -----------------------------------------------------------------------------
class _Writer:
    """Rank 0: turns gathered decisions into rows, in manifest order, per experiment."""

    def __init__(self, entries: list[ManifestEntry], files: dict[str, TrialFile],
                 model: str, session: int, rule: str, resume: ResumeState,
                 paths: dict[str, Path], sidecars: dict[str, dict[str, Any]]) -> None:
        self.entries = entries
        self.files = files
        self.model = model
        self.session = session
        self.rule = rule
        self.done = dict(resume.done)  #: experiment -> rows on disk
        self.next_position = resume.start
        self.paths = paths
        self.sidecars = sidecars
        counters: Counter = Counter()
        self.trial_of = []
        for e in entries:
            counters[e.experiment] += 1
            self.trial_of.append(counters[e.experiment])
        self.result = ScoreResult(paths=list(paths.values()))
        self.result.totals.update(resume.done)
        self.result.correct.update(resume.correct)

    def add(self, rows: np.ndarray) -> int:
        """``rows``: [position, entropy_1000, p_16...] per image; returns images written."""
        rows = rows[np.argsort(rows[:, 0], kind="stable")]
        rows = rows[rows[:, 0] < len(self.entries)]
        positions = rows[:, 0].astype(np.int64)
        expected = np.arange(self.next_position, self.next_position + len(rows))
        if not np.array_equal(positions, expected):
            raise RuntimeError(f"results out of order: got {positions[:3]}..., "
                               f"expected {expected[:3]}...")
        self.next_position += len(rows)
        decisions = Decisions(rule=self.rule, probs_16=rows[:, 2:], entropy_1000=rows[:, 1])
        entries = [self.entries[p] for p in positions]
        records = make_records(entries, [self.trial_of[p] for p in positions], decisions,
                               model=self.model, session=self.session)
        # resumed: rows that one experiment's file holds already are not written again
        records = [r for r in records if r.trial > self.done[r.experiment]]
        start = 0
        for i in range(1, len(records) + 1):  # contiguous runs of one experiment
            if i == len(records) or records[i].experiment != records[start].experiment:
                experiment = records[start].experiment
                try:
                    self.files[experiment].write_many(records[start:i])
                except OSError as err:
                    raise LabInputError(
                        f"{self.files[experiment].path}: writing failed ({err.strerror or err}); "
                        f"the {self.done[experiment]} trials before are kept; free space, "
                        f"then {resume_hint()}") from err
                self.done[experiment] += i - start
                start = i
        for record in records:
            self.result.totals[record.experiment] += 1
            self.result.correct[record.experiment] += int(record.correct)
        self.result.n_images += len(positions)
        return len(positions)

    def publish(self) -> None:
        """Every file complete: close, mark the sidecars complete, publish the TSVs."""
        for experiment, f in self.files.items():
            f.close()
            expected = sum(1 for e in self.entries if e.experiment == experiment)
            if self.done[experiment] != expected:
                raise RuntimeError(f"{f.path}: {self.done[experiment]} of {expected} rows")
            try:
                publish(self.paths[experiment], self.sidecars[experiment], expected)
            except OSError as err:
                raise LabInputError(
                    f"{self.paths[experiment]}: publishing the finished run failed "
                    f"({err.strerror or err}); its trials are in "
                    f"{partial_path(self.paths[experiment])}; free space, then "
                    f"{resume_hint()}") from err


def _launch(model: nn.Module, batch: torch.Tensor, pre: Preprocessing, device: torch.device,
            dtype: torch.dtype | None, classes: int) -> tuple[torch.Tensor, Any]:
    """Start one batch; return host logits (float32) and a CUDA event to wait on."""
    autocast = (torch.autocast(device.type, dtype=dtype) if dtype is not None
                else contextlib.nullcontext())
    with torch.inference_mode(), autocast:
        logits = model(normalise(batch, pre, device))
    if not isinstance(logits, torch.Tensor):  # e.g. a named tuple of heads
        logits = logits[0]
    if logits.ndim != 2 or logits.shape[1] != classes:
        raise LabInputError(
            f"the network outputs shape {tuple(logits.shape)}; the 16-class mapping needs "
            "the 1000 ImageNet classes (a 16-way head needs the weights file written by "
            "python -m models train)"
        )
    if device.type != "cuda":
        return logits.float(), None
    host = torch.empty(logits.shape, dtype=torch.float32, pin_memory=True)
    host.copy_(logits.float(), non_blocking=True)
    event = torch.cuda.Event()
    event.record()
    return host, event


def score(opts: ScoreOptions) -> ScoreResult:
    """Run ``opts`` (single process, or one rank of a torchrun job)."""
    opts.check()
    team = join(opts.device)
    try:
        return _score(opts, team)
    finally:
        team.close()


def _score(opts: ScoreOptions, team: Team) -> ScoreResult:
    entries = read_manifest(opts.stimuli)
    check_manifest_conditions(entries, opts.stimuli / MANIFEST_NAME)  # no phantom condition
    correct_indices(entries)  # every category is one of the 16, before anything is written
    spec = spec_for_weights(get_spec(opts.model), opts.weights)  # sets its label space
    pre = spec.preprocessing if opts.resize is None else spec.preprocessing.with_resize(
        opts.resize)
    rule = spec.label_space.rule(opts.rule)
    identity = weights_identity(spec, opts.weights, opts.name)
    experiments = list(dict.fromkeys(e.experiment for e in entries))
    paths = {x: output_path(opts.out, x, identity.observer, rule, opts.session)
             for x in experiments}
    counts = Counter(e.experiment for e in entries)
    team.agree(lambda: check_out_folder(opts.out), leader_only=True)
    locks = [SessionLock(lock_path(paths[x]), what="this scoring output") for x in experiments]
    # folders the locks create: removed again if the run leaves them empty (a refused run
    # leaves nothing behind)
    new_dirs = [d for d in dict.fromkeys([Path(opts.out), *(p.parent for p in paths.values())])
                if not d.exists()]

    def lock_all() -> None:
        for lock in locks:
            try:
                lock.acquire()
            except LabInputError:
                for held in locks:
                    held.release()
                raise

    team.agree(lock_all, leader_only=True)
    try:
        return _score_locked(opts, team, entries, spec, pre, rule, experiments, paths, counts,
                             identity)
    finally:
        for lock in locks:
            lock.release()
        for folder in reversed(new_dirs):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty


def _score_locked(opts: ScoreOptions, team: Team, entries: list[ManifestEntry],
                  spec: ModelSpec, pre: Preprocessing, rule: str, experiments: list[str],
                  paths: dict[str, Path], counts: Counter,
                  identity: WeightsIdentity) -> ScoreResult:
    """The run once the leader holds the lock of every output (:func:`_score`)."""
    if opts.resume:
        resumed = {x: {"kind": "dnn-trials", "experiment": x, "model": spec.name,
                        "weights_option": opts.weights, "rule": opts.rule,
                        "session": opts.session, "preprocessing": pre.as_dict(),
                        "seed": opts.seed, "n_images": counts[x],
                        "manifest_sha256": sha256_file(opts.stimuli / MANIFEST_NAME)}
                    for x in experiments}
        assert set(RESUME_KEYS) == set(resumed[experiments[0]])
        resume = team.agree(lambda: resume_state(paths, entries, resumed))
        assert resume is not None
    else:
        team.agree(lambda: refuse_existing(list(paths.values())), leader_only=True)
        resume = ResumeState(done=dict.fromkeys(experiments, 0),
                             correct=dict.fromkeys(experiments, 0))
    if resume.start >= len(entries):  # every row written; only publishing was left
        log.info("all %d trials were scored already", len(entries))

    def verify() -> None:
        mine = entries[resume.start:][team.rank::team.world]
        checked = verify_files(opts.stimuli, mine)
        bar = progress(checked, total=len(mine), unit="file", desc="sha256",
                       disable=not (opts.progress and team.leader), leave=False)
        for _ in bar:
            pass

    team.agree(verify)

    # Rank 0 first: a download lands in the cache once, and its failure stops everyone.
    def build() -> tuple[nn.Module, str]:
        return build_model(spec, opts.weights, seed=opts.seed)

    first = team.agree(build, leader_only=True)
    model, weights_text = team.agree(build if first is None else lambda: first)
    model, optimisations = prepare_model(model, team.device, optimise=opts.fuse)
    choices = device_choices(team.device, precision=opts.precision, workers=opts.workers,
                             world=team.world)
    if team.device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    batch_size = opts.batch_size or auto_batch_size(team.device)

    def create() -> _Writer:
        files: dict[str, TrialFile] = {}
        sidecars: dict[str, dict[str, Any]] = {}
        created: list[Path] = []
        try:
            for x in experiments:
                sidecar = _sidecar(opts, spec, pre, weights_text, team, experiment=x,
                                   n_images=counts[x], batch_size=batch_size,
                                   choices=choices, optimisations=optimisations, rule=rule,
                                   identity=identity)
                partial = partial_path(paths[x])
                if x in resume.sidecars:
                    sidecars[x] = dict(resume.sidecars[x])
                    sidecars[x].setdefault("resumed", []).append(sidecar["started"])
                    write_json_atomic(sidecar_path(paths[x]), sidecars[x])
                    files[x] = TrialFile.resume(partial, DNN_FILE_COLUMNS)
                else:
                    sidecar["columns"] = column_descriptions(DNN_FILE_COLUMNS)
                    sidecars[x] = sidecar
                    created += [partial, sidecar_path(paths[x])]
                    files[x] = TrialFile.create(partial, DNN_FILE_COLUMNS)
                    write_json_atomic(sidecar_path(paths[x]), sidecar)
        except OSError as err:
            for f in files.values():
                f.close()
            for path in created:  # nothing half-written stays behind
                with contextlib.suppress(OSError):
                    path.unlink()
            raise LabInputError(f"--out {opts.out}: cannot write the trial files "
                                f"({err.strerror or err}); choose another --out or free "
                                "space") from err
        return _Writer(entries, files, identity.observer, opts.session, rule, resume,
                       paths, sidecars)

    writer = team.agree(create, leader_only=True)
    try:
        result = _infer(opts, team, entries, model, spec, pre, choices, batch_size, writer,
                        rule, resume.start)
        team.agree(lambda: writer.publish(), leader_only=True)
        return result
    finally:
        if writer is not None:
            for f in writer.files.values():
                f.close()


def _infer(opts: ScoreOptions, team: Team, entries: list[ManifestEntry], model: nn.Module,
           spec: ModelSpec, pre: Preprocessing, choices: DeviceChoices, batch_size: int,
           writer: _Writer | None, rule: str, start: int = 0) -> ScoreResult:
    dataset = StimulusDataset(opts.stimuli, [e.file for e in entries], pre,
                              shard_positions(len(entries), team.rank, team.world, start))
    loader = make_loader(dataset, batch_size=batch_size, workers=choices.workers,
                         pin_memory=team.device.type == "cuda")
    bar = progress(total=len(entries), initial=start, unit="img",
                   desc=f"{opts.model} ({opts.rule})",
                   disable=not (opts.progress and team.leader), smoothing=0.1)

    def finish(positions: torch.Tensor, host: torch.Tensor, event: Any) -> None:
        if event is not None:
            event.synchronize()
        decisions = decide(host.numpy(), rule, spec.label_space, logits=True)
        rows = np.column_stack([positions.numpy().astype(np.float64),
                                decisions.entropy_1000, decisions.probs_16])
        gathered = team.gather_rows(torch.from_numpy(rows))
        if writer is not None:
            bar.update(writer.add(gathered.numpy()))

    started = time.perf_counter()
    pending = None
    with bar:
        for positions, batch in loader:
            launched = _launch(model, batch, pre, team.device, choices.dtype,
                               spec.label_space.num_classes)
            if pending is not None:
                finish(*pending)
            pending = (positions, *launched)
        if pending is not None:
            finish(*pending)
    if writer is None:
        return ScoreResult()
    writer.result.seconds = time.perf_counter() - started
    return writer.result
