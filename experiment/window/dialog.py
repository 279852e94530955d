"""The interactive info dialog (PsychoPy ``gui.Dlg``) with validated fields."""

from __future__ import annotations

import argparse
from pathlib import Path

from psychopy import gui

from experiment.files.bids import check_observer_id, check_session
from experiment.files.profiles import list_profiles
from experiment.plan.config import SessionConfig
from experiment.plan.frames import parse_durations
from experiment.plan.participants import lab_of, participant_of
from lab.design import list_experiments
from lab.errors import LabInputError
from lab.manifest import read_manifest

SEX_CHOICES = ["", "F", "M", "O"]
HAND_CHOICES = ["", "R", "L", "A"]


def ask_session(args: argparse.Namespace) -> SessionConfig | None:
    """Ask until every field is valid; None if the experimenter cancels.

    Options given on the command line besides the dialog's fields (``--trials``,
    ``--practice``, ``--windowed``, ...) are kept.
    """
    values = {"observer": "", "session": "1", "experiment": list_experiments()[0],
              "display": args.display, "stimuli": "", "data": "data",
              "age": args.age or "", "sex": args.sex if args.sex in SEX_CHOICES else "",
              "handedness": args.handedness if args.handedness in HAND_CHOICES else "",
              "visual_acuity": args.visual_acuity or ""}
    error = ""
    while True:
        dlg = gui.Dlg(title="Run a session")
        if error:
            dlg.addText(f"Please fix: {error}", color="red")
        dlg.addField("observer", values["observer"], label="Observer ID")
        dlg.addField("session", values["session"], label="Session")
        dlg.addField("experiment", choices=list_experiments(),
                     initial=values["experiment"], label="Experiment")
        dlg.addField("display", choices=list_profiles(), initial=values["display"],
                     label="Display profile")
        dlg.addField("stimuli", values["stimuli"], label="Stimulus folder")
        dlg.addField("data", values["data"], label="Data folder")
        dlg.addField("age", values["age"], label="Age (optional)")
        dlg.addField("sex", choices=SEX_CHOICES, initial=values["sex"], label="Sex (optional)")
        dlg.addField("handedness", choices=HAND_CHOICES, initial=values["handedness"],
                     label="Handedness (optional)")
        dlg.addField("visual_acuity", values["visual_acuity"],
                     label="Visual acuity, e.g. 1.0 or 20/20 (optional)")
        data = dlg.show()
        if not dlg.OK:
            return None
        values.update({k: str(v) for k, v in data.items()})
        try:
            check_observer_id(values["observer"])
            session = check_session(values["session"])
            participant = participant_of(args, **{k: values[k] for k in (
                "age", "sex", "handedness", "visual_acuity")})
            lab = lab_of(args)
            sets = {e.experiment for e in read_manifest(values["stimuli"])}
            if sets != {values["experiment"]}:
                raise LabInputError(f"{values['stimuli']} holds {', '.join(sorted(sets))} "
                                    f"stimuli, not {values['experiment']}")
        except LabInputError as err:
            error = str(err)
            continue
        return SessionConfig(
            experiment=values["experiment"], stimuli=Path(values["stimuli"]),
            observer=values["observer"], session=session, data=Path(values["data"]),
            display=values["display"], screen=args.screen, windowed=args.windowed,
            trials=args.trials, per_condition=args.per_condition,
            practice=args.practice, simulate_observer=args.simulate_observer,
            resume=args.resume, seed=args.seed, click_to_continue=args.click_to_continue,
            allow_rate_mismatch=args.allow_rate_mismatch, block_size=args.block_size,
            durations=parse_durations(args.durations), image_units=args.image_units,
            rerun_flagged=not args.no_rerun, participant=participant, lab=lab,
            no_window=args.no_window, repeat_sources=args.repeat_sources,
            given=getattr(args, "given_flags", None))
