"""Generalisation targets as trial files: ImageNet-style top-1 and PGD robust accuracy of
one network on a folder (``python -m models imagenet`` / ``adversarial``).

The measures are Gavrikov & Keuper's (2024; ``paulgavrikov/biases_vs_generalization``,
``code/eval_imagenet_ood.py``, ``eval_imagenet_c.py``, ``eval_imagenet_adv.py``): top-1 of
the 1000 ImageNet classes (val, -v2, -Sketch, -C), top-1 restricted to the folder's classes
(-A, -R: their 200), and PGD-40 L-inf robust accuracy at eps = 0.5/255 (1000-way) --
:mod:`models.imagenet_eval` and :mod:`models.pgd` hold the pieces; this module makes a run
of them the way ``score`` runs (:mod:`models.scoring`, :mod:`models.runs`):

* one trial file per network, ``<out>/<experiment>/<observer>_<rule>_ses-<n>.tsv``, in the
  trial schema every scoring run writes (:data:`lab.schema.DNN_FILE_COLUMNS`;
  ``category`` / ``response`` are wnids, ``rule`` says the top-1 (``top1-1000``,
  ``top1-<k>`` for k folder classes), the 16-class columns are ``n/a``), one row per image
  in the folder's sorted order, ``sha256`` of each file, ``condition`` the path above the
  wnid folder (ImageNet-C: ``<corruption>/<severity>``; PGD: the eps, e.g. ``0.5/255``);
* experiments ``imagenet-<variant>`` (val, v2, sketch, c, r, a) and ``imagenet-pgd``;
* rows are appended and fsynced per batch to ``<file>.partial``, with a JSON sidecar
  (``kind`` ``imagenet-trials``, ``complete`` false) and a lock; the finished file is
  published under its final name (never overwriting); ``--resume`` checks the sidecar's
  options and every written row's file and sha256, then continues at the first unscored
  image. PGD's random start is drawn per image from ``(seed, image position)``, so a
  resumed run gives the rows an uninterrupted one would.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from lab.errors import LabInputError
from lab.lock import SessionLock
from lab.manifest import sha256_file
from lab.progress import progress
from lab.schema import DNN_FILE_COLUMNS, DnnTrialRecord, column_descriptions
from lab.trial_file import TrialFile, read_rows, sidecar_path, write_json_atomic
from models.imagenet_eval import VARIANTS, list_images, load_image
from models.pgd import STEP_SIZE, STEPS, Normalised, pgd_linf
from models.records import output_path
from models.registry import get_spec
from models.runs import (
    check_out_folder,
    lock_path,
    partial_path,
    publish,
    read_run_sidecar,
    refuse_existing,
    resume_hint,
)
from models.weights import build_model, spec_for_weights, weights_identity

log = logging.getLogger(__name__)

KIND = "imagenet-trials"  #: the sidecar ``kind`` of these files (:mod:`lab.readers`)
PGD_EXPERIMENT = "imagenet-pgd"
#: sidecar fields that must be equal for ``--resume`` to continue a run
RESUME_KEYS = ("kind", "experiment", "model", "weights_option", "rule", "session", "seed",
               "n_images", "listing_sha256", "eps", "steps", "step_size")


@dataclass(frozen=True)
class EvalOptions:
    """One network on one folder (``python -m models imagenet`` / ``adversarial``)."""

    model: str
    folder: Path
    out: Path
    variant: str = "val"  #: :data:`models.imagenet_eval.VARIANTS`, or ``pgd``
    weights: str = "DEFAULT"
    eps: float = 0.5 / 255  #: PGD only, pixel units in [0, 1]
    eps_text: str = "0.5/255"  #: the eps as the condition names it
    steps: int = STEPS
    step_size: float = STEP_SIZE
    session: int = 1
    device: str = "auto"
    batch_size: int | None = None
    workers: int | None = None  #: None: 0 on CPU, up to 8 on CUDA
    seed: int = 0
    progress: bool = True
    resume: bool = False
    name: str | None = None

    @property
    def experiment(self) -> str:
        return PGD_EXPERIMENT if self.variant == "pgd" else f"imagenet-{self.variant}"


@dataclass
class EvalResult:
    path: Path
    n_images: int = 0
    correct: int = 0
    seconds: float = 0.0
    scored_now: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.n_images if self.n_images else math.nan


def imagenet_wnids() -> list[str]:
    """The 1000 ILSVRC-2012 wnids in class-index order (bundled list)."""
    from lab.categories import read_imagenet_wnids
    from stimuli.data_files import IMAGENET_FILE

    return read_imagenet_wnids(IMAGENET_FILE)


class _Images(Dataset):
    """``(position, image (3, 224, 224) in [0, 1], sha256)`` of the listed files."""

    def __init__(self, files: list[Path], positions: range, resize_crop: bool) -> None:
        self.files, self.positions, self.resize_crop = files, positions, resize_crop

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, i: int) -> tuple[int, torch.Tensor, str]:
        position = self.positions[i]
        path = self.files[position]
        try:
            return position, load_image(path, self.resize_crop), sha256_file(path)
        except OSError as err:
            raise LabInputError(f"{path}: cannot be read as an image ({err}); remove or "
                                "replace the file") from err


def _collate(batch):
    positions, images, digests = zip(*batch, strict=True)
    return list(positions), torch.stack(images), list(digests)


def listing_sha256(root: Path, files: list[tuple[Path, str, str]]) -> str:
    """sha256 of the sorted relative file list (what ``--resume`` checks it continues)."""
    text = "\n".join(str(f.relative_to(root)) for f, _, _ in files)
    return hashlib.sha256(text.encode()).hexdigest()


def _device(choice: str) -> torch.device:
    if choice == "cuda" and not torch.cuda.is_available():
        raise LabInputError("--device cuda: no CUDA device here; use --device cpu or auto")
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(choice)


def _program() -> str:
    name = Path(sys.argv[0]).name
    return "python -m models" if name == "__main__.py" else name


def _start_noise(seed: int, positions: list[int], shape: tuple[int, ...]) -> torch.Tensor:
    """PGD's random start for each image, from ``(seed, position)`` alone."""
    g = torch.Generator()
    out = []
    for p in positions:
        g.manual_seed(seed * 1_000_003 + p)
        out.append(torch.rand(shape, generator=g))
    return torch.stack(out)


def _entropy_bits(logits: torch.Tensor) -> torch.Tensor:
    logp = torch.log_softmax(logits.float(), dim=1)
    return -(logp.exp() * logp).sum(1) / math.log(2)


def evaluate(opts: EvalOptions) -> EvalResult:
    """Run ``opts``: write (or finish, with ``resume``) the network's trial file."""
    if opts.variant != "pgd" and opts.variant not in VARIANTS:
        raise LabInputError(f"--variant {opts.variant}: use one of {', '.join(VARIANTS)}")
    folder = Path(opts.folder)
    files = list_images(folder)
    wnids = imagenet_wnids()
    index = {w: i for i, w in enumerate(wnids)}
    unknown = sorted({w for _, w, _ in files} - set(index))
    if unknown:
        bad = next(f for f, w, _ in files if w == unknown[0]).parent
        raise LabInputError(f"{bad}: {unknown[0]} is not one of the 1000 ILSVRC-2012 "
                            "classes; remove the folder")
    masked = opts.variant != "pgd" and VARIANTS[opts.variant] == "masked"
    columns = sorted({index[w] for _, w, _ in files})
    n_way = len(columns) if masked else 1000
    rule = f"top1-{n_way}"
    spec = spec_for_weights(get_spec(opts.model), opts.weights)
    if spec.label_space.num_classes != 1000:
        raise LabInputError(f"{opts.weights}: a network with a "
                            f"{spec.label_space.num_classes}-way head has no ImageNet top-1; "
                            "give 1000-class weights")
    identity = weights_identity(spec, opts.weights, opts.name)
    file_rule = rule if opts.variant != "pgd" else (
        f"pgd{opts.steps}-eps{opts.eps_text.replace('/', '-')}")
    path = output_path(opts.out, opts.experiment, identity.observer, file_rule, opts.session)
    check_out_folder(Path(opts.out))
    new_dirs = [d for d in dict.fromkeys([Path(opts.out), path.parent]) if not d.exists()]
    lock = SessionLock(lock_path(path), what="this evaluation output")
    try:
        lock.acquire()
        return _locked(opts, folder, files, wnids, index, columns, masked, rule, spec,
                       identity, path)
    finally:
        lock.release()
        for d in reversed(new_dirs):
            with contextlib.suppress(OSError):
                d.rmdir()  # only if empty: a refused run leaves nothing behind


def _locked(opts: EvalOptions, folder: Path, files: list[tuple[Path, str, str]],
            wnids: list[str], index: dict[str, int], columns: list[int], masked: bool,
            rule: str, spec, identity, path: Path) -> EvalResult:
    pgd = opts.variant == "pgd"
    identity_fields: dict[str, Any] = {
        "kind": KIND, "experiment": opts.experiment, "model": spec.name,
        "weights_option": opts.weights, "rule": rule, "session": opts.session,
        "seed": opts.seed, "n_images": len(files),
        "listing_sha256": listing_sha256(folder, files),
        "eps": opts.eps if pgd else None, "steps": opts.steps if pgd else None,
        "step_size": opts.step_size if pgd else None,
    }
    assert set(identity_fields) == set(RESUME_KEYS)
    partial = partial_path(path)
    done, correct, sidecar = 0, 0, None
    if opts.resume:
        done, correct, sidecar = _resume_state(path, folder, files, identity_fields)
    else:
        refuse_existing([path])
    device = _device(opts.device)
    model, weights_text = build_model(spec, opts.weights, seed=opts.seed)
    pre = spec.preprocessing
    mean = tuple(m / pre.scale for m in pre.mean)
    std = tuple(s / pre.scale for s in pre.std)
    net = Normalised(model, mean, std).to(device).eval()  # type: ignore[arg-type]
    batch_size = opts.batch_size or (256 if device.type == "cuda" else 16)
    if pgd:
        batch_size = opts.batch_size or (128 if device.type == "cuda" else 8)
    meta = {
        **identity_fields, "complete": False, "observer": identity.observer,
        "model_source": spec.source, "weights": weights_text, **identity.sidecar(),
        "folder": str(folder.resolve()), "variant": opts.variant,
        "n_way": len(columns) if masked else 1000,
        "classes_in_folder": len(columns),
        "preprocessing": ("as stored (ImageNet-C)" if opts.variant == "c" else
                          "Resize(256) shorter side, bilinear, + CenterCrop(224)")
        + f"; then (x - {mean}) / {std} inside the network",
        "attack": (f"PGD L-inf, {opts.steps} steps of {opts.step_size:.6g}, eps "
                   f"{opts.eps_text} = {opts.eps:.6g}, random start per image, "
                   "cross-entropy (sum), robust = classified correctly after the attack "
                   "(Gavrikov & Keuper 2024, code/eval_imagenet_adv.py)") if pgd else None,
        "device": str(device), "batch_size": batch_size, "torch": torch.__version__,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join([_program(), *sys.argv[1:]]),
    }
    if sidecar is not None:
        meta = dict(sidecar)
        meta.setdefault("resumed", []).append(time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        write_json_atomic(sidecar_path(path), meta)
        trial_file = TrialFile.resume(partial, DNN_FILE_COLUMNS)
    else:
        meta["columns"] = column_descriptions(DNN_FILE_COLUMNS)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            trial_file = TrialFile.create(partial, DNN_FILE_COLUMNS)
            write_json_atomic(sidecar_path(path), meta)
        except OSError as err:
            raise LabInputError(f"--out {opts.out}: cannot write the trial file "
                                f"({err.strerror or err}); choose another --out or free "
                                "space") from err
    result = EvalResult(path=path, n_images=len(files), correct=correct)
    paths = [f for f, _, _ in files]
    workers = opts.workers
    if workers is None:
        workers = min(8, max(0, (os.cpu_count() or 1) - 2)) if device.type == "cuda" else 0
    meta.setdefault("workers", workers)
    loader = DataLoader(_Images(paths, range(done, len(files)), opts.variant != "c"),
                        batch_size=batch_size, shuffle=False, num_workers=workers,
                        collate_fn=_collate)
    column_index = torch.tensor(columns)
    bar = progress(total=len(files), initial=done, unit="img",
                   desc=f"{identity.observer} {opts.experiment}", disable=not opts.progress)
    started = time.perf_counter()
    try:
        with bar:
            for positions, x, digests in loader:
                x = x.to(device)
                y = torch.tensor([index[files[p][1]] for p in positions], device=device)
                if pgd and opts.eps > 0:  # eps 0: the clean image (no step can move it)
                    start = _start_noise(opts.seed, positions, tuple(x.shape[1:]))
                    x = pgd_linf(net, x, y, eps=opts.eps, steps=opts.steps,
                                 step_size=opts.step_size, start=start)
                with torch.inference_mode():
                    logits = net(x).float().cpu()
                pick = (column_index[logits[:, column_index].argmax(1)] if masked
                        else logits.argmax(1))
                entropy = _entropy_bits(logits)
                records = []
                for i, p in enumerate(positions):
                    file, wnid, condition = files[p]
                    response = wnids[int(pick[i])]
                    records.append(DnnTrialRecord(
                        experiment=opts.experiment, observer=identity.observer,
                        session=opts.session, trial=p + 1, block=1,
                        image=file.relative_to(folder).as_posix(), sha256=digests[i],
                        category=wnid, condition=opts.eps_text if pgd else condition,
                        response=response, correct=response == wnid, rt=math.nan,
                        rule=rule, prob_correct_16=math.nan, entropy_16=math.nan,
                        entropy_1000=float(entropy[i]),
                        rank_correct_16=math.nan,  # type: ignore[arg-type]
                        probs_16={}, weights_sha256=identity.sha256))
                try:
                    trial_file.write_many(records)
                except OSError as err:
                    raise LabInputError(
                        f"{partial}: writing failed ({err.strerror or err}); the "
                        f"{done} trials before are kept; free space, then "
                        f"{resume_hint()}") from err
                done += len(records)
                result.correct += sum(r.correct for r in records)
                result.scored_now += len(records)
                bar.update(len(records))
    finally:
        trial_file.close()
    result.seconds = time.perf_counter() - started
    try:
        publish(path, meta, len(files))
    except OSError as err:
        raise LabInputError(f"{path}: publishing the finished run failed "
                            f"({err.strerror or err}); its trials are in {partial}; free "
                            f"space, then {resume_hint()}") from err
    return result


def _resume_state(path: Path, folder: Path, files: list[tuple[Path, str, str]],
                  identity: dict[str, Any]) -> tuple[int, int, dict[str, Any]]:
    """Rows on disk, correct ones and the sidecar of an interrupted run; one line naming
    the first difference from this run's options or folder."""

    partial = partial_path(path)
    if path.exists():
        raise LabInputError(f"{path}: this run is complete already; nothing to resume")
    if not partial.exists():
        raise LabInputError(f"nothing to resume: no interrupted run at {partial}; start "
                            "without --resume")
    meta = read_run_sidecar(path, "evaluate into a new --session")
    for key in RESUME_KEYS:
        if meta.get(key) != identity[key]:
            raise LabInputError(
                f"{partial}: was started with {key} {meta.get(key)!r}, not "
                f"{identity[key]!r}; resume with the options and folder it was started "
                "with, or evaluate into a new --session")
    rows = read_rows(partial)
    if len(rows) > len(files):
        raise LabInputError(f"{partial}: holds {len(rows)} trials, more than the "
                            f"{len(files)} images; evaluate into a new --session")
    for i, row in enumerate(rows):
        file = files[i][0]
        rel = file.relative_to(folder).as_posix()
        if (row.get("image"), row.get("trial")) != (rel, str(i + 1)) or (
                row.get("sha256") != sha256_file(file)):
            raise LabInputError(
                f"{partial}: trial {i + 1} is {row.get('image')!r}, but the folder's image "
                f"there is {rel!r} (or its content changed); resume with the folder the "
                "run started with")
    correct = sum(r.get("correct") == "1" for r in rows)
    return len(rows), correct, meta

