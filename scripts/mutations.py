#!/usr/bin/env python3
"""A mutation check: does the test suite fail when the science breaks?

Each entry of :data:`MUTATIONS` is a one-line bug a developer could plausibly make in code
that carries the science (decision rules, categories, masks, manipulations, frames,
accounting, consistency, shape bias, intervals, psychometric fits, training, resume,
readers, the lab/ base, the output registry, the trial phases). For each one this script

1. copies the repository (tracked and untracked-but-not-ignored files of the working tree,
   so uncommitted edits count) to a scratch folder,
2. replaces the exact ``original`` snippet in ``file`` by ``mutated`` -- it stops with an
   error when the snippet is not found exactly once, so the list must follow the code,
3. runs the entry's ``tests`` (not slow: ``-m "not slow"``) there with this checkout's
   virtual environment and ``PYTHONPATH`` set to the scratch copy,
4. records **caught** (the tests failed), **missed** (they passed: a test is missing) or
   **error** (pytest could not run them: none collected, or every one skipped); a run
   past the time limit is a **timeout**, not counted as caught.

The copy lies in a scratch folder beside a link to this checkout's ``../shared`` (the
reference data some tests read), so the tests see what they see here.

It prints a table and a summary; the exit status is 0 only when every mutation is caught.
Not part of CI (it runs pytest once per mutation). Usage::

    PYTHONPATH=. .venv/bin/python scripts/mutations.py            # all, one at a time
    PYTHONPATH=. .venv/bin/python scripts/mutations.py -j 2       # two at a time
    .venv/bin/python scripts/mutations.py --list                  # names and descriptions
    .venv/bin/python scripts/mutations.py --check                 # snippets in sync? (fast)
    .venv/bin/python scripts/mutations.py --only accounting-first-attempt --only mask-exponent
    .venv/bin/python scripts/mutations.py --baseline              # unmutated tests pass too

See docs/contributing.md ("Tests") for how to add a mutation and what to do when one is
missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutation:
    """One plausible one-line bug and the tests that must catch it."""

    name: str
    file: str  #: relative to the repository root
    original: str  #: exact snippet, found exactly once in ``file``
    mutated: str  #: what replaces it
    tests: tuple[str, ...]  #: pytest arguments: node ids, files, ``-k`` expressions
    description: str
    display: bool = False  #: the tests need an X display (run under xvfb-run if none)


T_DECISION = "tests/models/test_models_decision.py"
T_LABEL = "tests/models/test_models_label_space.py"
T_FRAMES = "tests/experiment/test_experiment_frames.py"
T_LOOP = "tests/experiment/test_experiment_trial_loop.py"
T_TRIALS = "tests/experiment/test_experiment_trial_list.py"
T_ACCOUNT = "tests/results/test_results_accounting.py"
T_METRICS = "tests/results/test_results_metrics.py"
T_UNCERTAINTY = "tests/results/test_results_uncertainty.py"
T_PSYCHO = "tests/results/test_results_psychometric.py"
T_READERS = "tests/results/test_results_readers.py"
T_POINTWISE = "tests/stimuli/test_stimuli_pointwise.py"

MUTATIONS: tuple[Mutation, ...] = (
    # --- the four misses and two weak catches (issue 22) ---------------------------
    Mutation(
        "weight-decay-on-batch-norm", "models/train_model.py",
        "(no_decay if id(p) in norm_ids else decay).append(p)", "decay.append(p)",
        ("tests/models/test_models_parameter_groups.py",),
        "weight decay applied to batch-norm parameters (every parameter in the decay group)"),
    Mutation(
        "mask-drop-not-flagged", "experiment/run/trial_result.py",
        "flagged=any(i > DROP_FACTOR * period for i in critical_intervals),",
        "flagged=any(i > DROP_FACTOR * period for i in critical_intervals[:len(image)]),",
        (T_LOOP,),
        "a dropped frame while the mask is shown no longer flags the trial"),
    Mutation(
        "image-one-frame-too-long", "experiment/run/frame_loop.py",
        "stamps[name] = show_phase(clock, draw[name], frames)",
        "stamps[name] = show_phase(clock, draw[name], frames + (name == \"image\"))",
        (T_LOOP,),
        "the image is drawn one frame more than planned"),
    Mutation(
        "frames-for-rounds", "experiment/plan/frames.py",
        "return math.ceil(exact - WHOLE_FRAME_TOLERANCE)", "return round(exact)",
        (T_LOOP,),
        "frames_for rounds instead of the documented ceil (201 ms at 60 Hz: 12, not 13)"),
    Mutation(
        "manifest-sha256-skipped", "lab/manifest.py",
        "if hashlib.sha256(data).hexdigest() != entry.sha256:", "if False:",
        ("tests/stimuli/test_stimuli_bad_inputs.py", "-k", "sha256"),
        "the manifest's sha256 is not checked (a changed image is shown)"),
    Mutation(
        "percentiles-5-95", "results/uncertainty.py",
        "np.nanpercentile(replicates, [2.5, 97.5], axis=axis)",
        "np.nanpercentile(replicates, [5.0, 95.0], axis=axis)",
        (T_UNCERTAINTY, "-k", "percentile_interval"),
        "90% intervals (5/95 percentiles) instead of 95% (2.5/97.5)"),
    # --- decision rules and categories --------------------------------------------------------
    Mutation(
        "mean-rule-is-sum", "models/decision.py",
        'return sums / MEMBER_COUNTS if rule == "mean" else sums', "return sums",
        (T_DECISION,),
        "the mean rule returns the sum (not divided by the number of ImageNet members)"),
    Mutation(
        "sum-rule-is-mean", "models/decision.py",
        'return sums / MEMBER_COUNTS if rule == "mean" else sums', "return sums / MEMBER_COUNTS",
        (T_DECISION,),
        "the 2018 paper's sum rule divides by the member counts"),
    Mutation(
        "max-rule-is-mean", "models/decision.py",
        "return np.stack([p[:, m].max(axis=1) for m in _MEMBERS], axis=1)",
        "return np.stack([p[:, m].mean(axis=1) for m in _MEMBERS], axis=1)",
        (T_DECISION,),
        "the 2017 max rule averages the members instead"),
    Mutation(
        "index-table-span-short", "lab/categories.py",
        "return list(range(a, b + 1))", "return list(range(a, b))",
        (T_DECISION, "-k", "mapping or member_counts"),
        "the ImageNet index table loses the last index of every range (bear, cat, bird, dog)"),
    Mutation(
        "index-table-knife", "lab/categories.py",
        '"knife": (499,),', '"knife": (498,),',
        ("tests/stimuli/test_stimuli_design.py::test_bundled_mapping_matches_the_index_table",),
        "a wrong ImageNet index for knife in the 16-class table"),
    Mutation(
        "response-class-off-by-one", "models/decision.py",
        "return [CATEGORIES[i] for i in self.response_index]",
        "return [CATEGORIES[i - 1] for i in self.response_index]",
        (T_DECISION,),
        "a class index off by one: the response names the previous class"),
    # --- masks and manipulations ---------------------------------------------------------------
    Mutation(
        "mask-exponent", "stimuli/masks.py",
        "amplitude = f**-0.5", "amplitude = f**-1.0",
        ("tests/stimuli/test_stimuli_masks.py",),
        "the mask's amplitude spectrum 1/f (power 1/f^2) instead of 1/sqrt(f) (power 1/f)"),
    Mutation(
        "contrast-about-zero", "stimuli/manipulations/grey.py",
        "grey += grey.dtype.type((1.0 - c) / 2.0)", "grey += grey.dtype.type(0.0)",
        (T_POINTWISE, "-k", "contrast"),
        "contrast scales about 0 instead of 0.5 (c * x, no (1 - c) / 2)"),
    Mutation(
        "noise-one-sided", "stimuli/manipulations/grey.py",
        "rng.uniform(-width, width, size=grey.shape)", "rng.uniform(0.0, width, size=grey.shape)",
        (T_POINTWISE, "-k", "uniform_noise"),
        "uniform noise drawn from [0, w] instead of [-w, w]"),
    Mutation(
        "filter-sigma", "stimuli/manipulations/filters.py",
        "phi = np.exp(-0.5 * x**2 / sigma**2)", "phi = np.exp(-(x**2) / sigma**2)",
        ("tests/stimuli/test_stimuli_filters.py",),
        "the Gaussian kernel's sigma off by sqrt(2) (exp(-x^2/sigma^2))"),
    # --- frames and trial timing ---------------------------------------------------------------
    Mutation(
        "late-flip-one-frame", "experiment/plan/frames.py",
        "shown = sum(max(1, round(i / period_s)) for i in intervals)",
        "shown = len(intervals)",
        (T_FRAMES,),
        "a late flip counts as one frame shown (the frames the display held are not counted)"),
    Mutation(
        "drop-factor", "experiment/plan/frames.py",
        "DROP_FACTOR = 1.5", "DROP_FACTOR = 2.5",
        (T_FRAMES,),
        "a frame interval of two periods is not a dropped frame"),
    Mutation(
        "soa-from-blank", "experiment/run/trial_result.py",
        "soa_ms=(mask[0] - image[0]) * 1000.0",
        "soa_ms=(mask[0] - onset_after(\"image\")) * 1000.0",
        (T_FRAMES,),
        "the SOA measured from the blank instead of the image onset"),
    # --- accounting and resume -----------------------------------------------------------------
    Mutation(
        "accounting-first-attempt", "lab/accounting.py",
        "last = np.r_[ordered_keys[1:] != ordered_keys[:-1], True]",
        "last = np.r_[True, ordered_keys[1:] != ordered_keys[:-1]]",
        (T_ACCOUNT, "-k", "rule_"),
        "the first attempt of a re-run trial counts instead of the last"),
    Mutation(
        "accounting-superseded-count", "lab/accounting.py",
        "return Selection(kept, attempt[kept].astype(np.int64), (sizes - 1)[in_file_order])",
        "return Selection(kept, attempt[kept].astype(np.int64), sizes[in_file_order])",
        (T_ACCOUNT, "-k", "rule_ or effective_rows"),
        "superseded records counted with the effective one"),
    Mutation(
        "resume-repeats-last-trial", "experiment/plan/trial_list.py",
        "todo = [ScheduledTrial(t) for t in block_trials if t.trial not in done]",
        "todo = [ScheduledTrial(t) for t in block_trials if t.trial not in done"
        " or t.trial == max(done, default=0)]",
        (T_TRIALS, "-k", "remaining or work_left"),
        "a resumed session runs the last recorded trial again (a duplicate)"),
    Mutation(
        "rerun-twice", "experiment/plan/trial_list.py",
        "if last is not None and last.flagged and last.attempt <= MAX_RERUNS:",
        "if last is not None and last.flagged and last.attempt <= MAX_RERUNS + 1:",
        (T_TRIALS, "-k", "rerun or work_left or attempts"),
        "a flagged trial is re-run once more than allowed"),
    # --- analysis: consistency, shape bias, intervals, psychometric fits ---------------------
    Mutation(
        "expected-agreement", "results/consistency.py",
        "expected = p1 * p2 + (1 - p1) * (1 - p2)", "expected = p1 * p2",
        (T_METRICS, "-k", "error_consistency"),
        "error consistency's expected agreement leaves out the both-wrong term"),
    Mutation(
        "bootstrap-expected-agreement", "results/uncertainty.py",
        "expected = p1 * p2 + (1 - p1) * (1 - p2)", "expected = p1 * p2 + (1 - p1) * p2",
        (T_UNCERTAINTY, "-k", "known_counts"),
        "the bootstrap's expected agreement formula wrong (kappa intervals off)"),
    Mutation(
        "shape-bias-keeps-agreeing", "results/shape_bias.py",
        'conflict = has_texture & (table["texture"] != table["category"])',
        "conflict = has_texture",
        (T_METRICS, "-k", "shape_bias_hand_made"),
        "shape bias keeps images whose shape and texture classes agree"),
    Mutation(
        "shape-bias-ratio", "results/shape_bias.py",
        'shape_hits=(frame["response"] == frame["category"]).astype(int),',
        'shape_hits=(frame["response"] == frame["texture"]).astype(int),',
        (T_METRICS, "-k", "shape_bias_hand_made"),
        "shape hits counted on the texture class"),
    Mutation(
        "guess-rate", "results/psychometric.py",
        "N_CHOICES = 16  #: 16-AFC: guess rate 1/16", "N_CHOICES = 2  #: 16-AFC: guess rate 1/16",
        (T_PSYCHO, "-k", "criterion_level or recovered_within_its_interval"),
        "the psychometric fit's guess rate 1/2 instead of 1/16"),
    Mutation(
        "stepped-threshold-lowest", "results/channels.py",
        "return float(np.asarray(levels)[above.max()]) if above.size else math.nan",
        "return float(np.asarray(levels)[above.min()]) if above.size else math.nan",
        (T_PSYCHO, "-k", "stepped"),
        "the stepped threshold takes the lowest level above criterion, not the highest"),
    # --- readers ---------------------------------------------------------------------------------
    Mutation(
        "reader-rule-column-ignored", "lab/readers/lab_tsv.py",
        'return out[(out["rule"] == rule) | (out["rule"] == HEAD_16_RULE)]', "return out",
        (T_READERS, "-k", "lab_rule_filter"),
        "a network's file read under every rule at once (the rule column ignored)"),
    Mutation(
        "reader-2018-plain-columns", "lab/readers/original.py",
        'suffix = "_sums" if kind.observer_type == DNN and scored and rule == "sum" else ""',
        'suffix = ""',
        (T_READERS, "-k", "sum_rule"),  # the by-hand test runs without ../shared too
        "the 2018 network files read from the unsuffixed columns under the sum rule"),
    # --- recently added: lab/ base, decide() with label spaces, output registry ---------------
    Mutation(
        "head-16-softmaxed-twice", "models/decision.py",
        "return Decisions(rule=rule, probs_16=p, entropy_1000=np.full(len(p), np.nan))",
        "return Decisions(rule=rule, probs_16=softmax(p), entropy_1000=np.full(len(p), np.nan))",
        (T_LABEL, "-k", "16_way_head_by_hand"),
        "a 16-way head's probabilities softmaxed a second time"),
    Mutation(
        "label-space-16-mapped", "lab/decision_rules.py",
        "    if num_classes == 16:\n        return HEAD_16_RULE",
        "    if num_classes == 16:\n        return requested",
        (T_LABEL, "-k", "label_space_chooses"),
        "a 16-way network gets a 1000-class mapping rule"),
    Mutation(
        "default-rule-mean", "lab/decision_rules.py",
        '"geirhos2018": "sum",', '"geirhos2018": "mean",',
        (T_LABEL, "-k", "every_rule"),
        "the 2018 paper's default rule becomes the mean"),
    Mutation(
        "rank-ties", "models/decision.py",
        "ahead = (p > pc) | ((p == pc) & (cols < correct[:, None]))",
        "ahead = (p > pc) | ((p == pc) & (cols > correct[:, None]))",
        (T_DECISION, "-k", "rank"),
        "ties ranked unlike argmax (rank 1 no longer means response == category)"),
    Mutation(
        "entropy-nats", "models/decision.py",
        "terms = np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0)",
        "terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)",
        (T_DECISION, "-k", "entropy"),
        "entropy in nats where the records say bits"),
    Mutation(
        "manifest-size-unchecked", "lab/manifest.py",
        "if im.size != (entry.width, entry.height):", "if False:",
        ("tests/stimuli/test_stimuli_bad_inputs.py", "-k", "another_size"),
        "a stimulus of another size than the manifest's is shown"),
    Mutation(
        "torn-line-kept", "lab/trial_file.py",
        'if not data.endswith(b"\\n"):', "if False:",
        ("tests/results/test_results_trial_file.py", "-k", "torn"),
        "a torn last line (a crash inside a write) is kept and appended to"),
    Mutation(
        "registry-order", "results/registry.py",
        "return sorted(self._entries.values(), key=lambda k: (k.order, _name(k)))",
        "return sorted(self._entries.values(), key=lambda k: _name(k))",
        ("tests/results/test_results_registry.py", "-k", "in_order"),
        "tables and report sections listed by name, not in their registered order"),
    Mutation(
        "mask-batch2-stretch", "stimuli/masks.py",
        "mask = np.clip((mask - 0.5) * 4.0 + 0.5, 0.0, 1.0)",
        "mask = np.clip((mask - 0.5) * 2.0 + 0.5, 0.0, 1.0)",
        ("tests/stimuli/test_stimuli_masks.py",),
        "the batch-2 mask stretched by 2 instead of 4"),
    Mutation(
        "whole-frame-tolerance", "experiment/plan/frames.py",
        "return abs(exact - round(exact)) <= WHOLE_FRAME_TOLERANCE * max(1.0, exact) and round(",
        "return abs(exact - round(exact)) <= 0.5 * max(1.0, exact) and round(",
        (T_FRAMES,),
        "a duration that is not a whole number of frames is accepted"),
    # --- the trial phases (design files' [phases], lab/phases.py, the frame loop) -----------
    Mutation(
        "phases-order-unchecked", "lab/phases.py",
        "if out.names[-len(CLOSING):] != CLOSING:", "if False:",
        ("tests/stimuli/test_stimuli_design.py",),
        "a [phases] table with the ITI before the feedback (or the response) is accepted"),
    Mutation(
        "durations-unknown-phase-accepted", "lab/phases.py",
        "            if name not in self.names:", "            if False:",
        (T_FRAMES,),
        "--durations with a phase the design does not have is not refused with the list"),
    Mutation(
        "stall-hook-lost", "experiment/run/frame_loop.py",
        "            clock.stall(stall[1])", "            pass",
        (T_LOOP,),
        "the forced-drop test hook no longer holds a flip back (re-run paths untested)"),
    Mutation(
        "ideal-stamps-late-ignored", "experiment/run/trial_result.py",
        "frame += frames + late.get(name, 0)", "frame += frames",
        (T_FRAMES,),
        "the window-less presenter's forced drop no longer delays the next flip"),
    Mutation(
        "fixation-drop-flagged", "experiment/run/trial_result.py",
        "    critical = [*(t for _, phase in timed[names.index(\"image\"):",
        "    critical = [*(t for _, phase in timed[0:",
        (T_LOOP,),
        "a dropped frame during the fixation flags the trial (re-runs it for nothing)"),
)


# -------------------------------------------------------------------------------------------

def _source_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                         check=True, capture_output=True).stdout.decode()
    return [f for f in out.split("\0") if f and (REPO / f).is_file()]


def snippet_problem(mutation: Mutation, root: Path) -> str | None:
    """Why ``mutation`` cannot be applied under ``root``; None when its file exists and
    holds the original snippet exactly once."""
    path = root / mutation.file
    if not path.is_file():
        return f"{mutation.name}: {mutation.file} does not exist"
    count = path.read_text(encoding="utf-8").count(mutation.original)
    if count != 1:
        return (f"{mutation.name}: the original snippet is found {count} times in "
                f"{mutation.file} (must be once)")
    return None


def apply(mutation: Mutation, root: Path) -> None:
    """Replace the mutation's snippet in ``root``; ValueError unless found exactly once."""
    problem = snippet_problem(mutation, root)
    if problem:
        raise ValueError(f"{problem}; update scripts/mutations.py")
    path = root / mutation.file
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(mutation.original, mutation.mutated), encoding="utf-8")


def _copy(files: list[str], dest: Path) -> None:
    for f in files:
        target = dest / f
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / f, target)


def _python() -> str:
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


@dataclass
class Outcome:
    mutation: Mutation
    status: str  # caught, missed, error, timeout
    seconds: float
    detail: str = ""


def run_one(mutation: Mutation, files: list[str], *, timeout: float, mutate: bool = True
            ) -> Outcome:
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"mutation-{mutation.name}-") as tmp:
        root = Path(tmp) / REPO.name
        _copy(files, root)
        if (REPO.parent / "shared").is_dir():  # reference data beside the checkout
            (Path(tmp) / "shared").symlink_to(REPO.parent / "shared")
        try:
            if mutate:
                apply(mutation, root)
        except ValueError as err:
            return Outcome(mutation, "error", time.monotonic() - start, str(err))
        command = [_python(), "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                   "-m", "not slow", *mutation.tests]
        if mutation.display and not os.environ.get("DISPLAY") and shutil.which("xvfb-run"):
            command = ["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24", *command]
        env = {**os.environ, "PYTHONPATH": str(root), "MPLBACKEND": "Agg",
               "PYTHONDONTWRITEBYTECODE": "1"}
        try:
            done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return Outcome(mutation, "timeout", time.monotonic() - start,
                           f"no result within {timeout:g} s")
        tail = (done.stdout + done.stderr).strip().splitlines()
        last = tail[-1] if tail else ""
        status = {0: "missed", 1: "caught"}.get(done.returncode, "error")
        if status == "missed" and " passed" not in last:  # every selected test skipped
            status, last = "error", f"no test ran: {last}"
        if not mutate:  # baseline: the unmutated tests must pass
            status = "passes" if done.returncode == 0 else "fails"
        return Outcome(mutation, status, time.monotonic() - start, last)


def check_sync(mutations: list[Mutation]) -> list[str]:
    """Problems with the list: snippets not found exactly once, duplicate names."""
    problems = []
    names = [m.name for m in mutations]
    problems += [f"duplicate name {n}" for n in sorted({n for n in names if names.count(n) > 1})]
    for m in mutations:
        problem = snippet_problem(m, REPO)
        if problem:
            problems.append(problem)
        if m.original == m.mutated:
            problems.append(f"{m.name}: the mutation changes nothing")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--check", action="store_true",
                        help="only check that every snippet is found exactly once")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this mutation (repeatable)")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="mutations run at once")
    parser.add_argument("--timeout", type=float, default=900,
                        help="seconds per mutation's test run (default 900)")
    parser.add_argument("--baseline", action="store_true",
                        help="run each selection without its mutation: all must pass")
    args = parser.parse_args(argv)

    chosen = list(MUTATIONS)
    if args.only:
        unknown = sorted(set(args.only) - {m.name for m in MUTATIONS})
        if unknown:
            parser.error(f"unknown mutation {', '.join(unknown)}; see --list")
        chosen = [m for m in MUTATIONS if m.name in args.only]
    if args.list:
        width = max(len(m.name) for m in chosen)
        for m in chosen:
            print(f"{m.name:<{width}}  {m.file}: {m.description}")
        print(f"{len(chosen)} mutations")
        return 0
    problems = check_sync(chosen)
    if problems:
        for p in problems:
            print(f"mutations.py: {p}", file=sys.stderr)
        return 2
    if args.check:
        print(f"{len(chosen)} mutations in sync with the code")
        return 0

    files = _source_files()
    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_one, m, files, timeout=args.timeout,
                               mutate=not args.baseline) for m in chosen]
        for future in futures:
            outcome = future.result()
            outcomes.append(outcome)
            print(f"  {outcome.status:<7} {outcome.mutation.name} ({outcome.seconds:.0f} s)",
                  file=sys.stderr, flush=True)

    width = max(len(m.name) for m in chosen)
    print(f"\n| {'mutation':<{width}} | result  | seconds | what it breaks |")
    print(f"|{'-' * (width + 2)}|---------|---------|----------------|")
    for o in outcomes:
        print(f"| {o.mutation.name:<{width}} | {o.status:<7} | {o.seconds:7.0f} | "
              f"{o.mutation.file}: {o.mutation.description} |")
    counts = {s: sum(o.status == s for o in outcomes)
              for s in ("caught", "missed", "error", "timeout", "passes", "fails")}
    if args.baseline:
        wanted = "passes"
        print(f"\nbaseline: {counts['passes']} of {len(outcomes)} selections pass unmutated, "
              f"{counts['fails']} fail, {counts['error'] + counts['timeout']} did not run")
    else:
        wanted = "caught"
        print(f"\n{counts['caught']} of {len(outcomes)} caught, {counts['missed']} missed, "
              f"{counts['error']} error, {counts['timeout']} timeout")
    for o in outcomes:
        if o.status != wanted:
            print(f"  {o.status}: {o.mutation.name} ({o.detail})")
    return 0 if counts[wanted] == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
