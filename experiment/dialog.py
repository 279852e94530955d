"""The interactive info dialog (PsychoPy ``gui.Dlg``) with validated fields."""

from __future__ import annotations

import argparse
from pathlib import Path

from psychopy import gui

from experiment.bids import check_observer_id, check_session
from experiment.frames import Durations
from experiment.profiles import list_profiles
from experiment.session import SessionConfig
from stimuli.design import list_experiments
from stimuli.errors import LabInputError
from stimuli.manifest import read_manifest


def ask_session(args: argparse.Namespace) -> SessionConfig | None:
    """Ask until every field is valid; None if the experimenter cancels.

    Options given on the command line besides the dialog's fields (``--trials``,
    ``--practice``, ``--windowed``, ...) are kept.
    """
    values = {"observer": "", "session": "1", "experiment": list_experiments()[0],
              "display": args.display, "stimuli": "", "data": "data"}
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
        data = dlg.show()
        if not dlg.OK:
            return None
        values.update({k: str(v) for k, v in data.items()})
        try:
            check_observer_id(values["observer"])
            session = check_session(values["session"])
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
            durations=Durations.parse(args.durations), image_units=args.image_units,
            rerun_flagged=not args.no_rerun, no_window=args.no_window,
            repeat_sources=args.repeat_sources,
            given=getattr(args, "given_flags", None))
