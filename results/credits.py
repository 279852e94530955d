"""Whom a report credits: the 2018 paper always (the experiments, their stimuli and
procedure come from it, whoever recorded the data), and the later papers where their data
or metrics are used."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

GEIRHOS_2018 = (
    "Geirhos, R., Temme, C. R. M., Rauber, J., Schütt, H. H., Bethge, M. & Wichmann, F. A. "
    "(2018). Generalisation in humans and deep neural networks. Advances in Neural "
    "Information Processing Systems 31 (NeurIPS). arXiv:1808.08750."
)
GEIRHOS_2019 = (
    "Geirhos, R., Rubisch, P., Michaelis, C., Bethge, M., Wichmann, F. A. & Brendel, W. "
    "(2019). ImageNet-trained CNNs are biased towards texture; increasing shape bias "
    "improves accuracy and robustness. ICLR. arXiv:1811.12231 (texture-vs-shape)."
)
GEIRHOS_2020 = (
    "Geirhos, R., Meding, K. & Wichmann, F. A. (2020). Beyond accuracy: quantifying "
    "trial-by-trial behaviour of CNNs and humans by measuring error consistency. NeurIPS "
    "33. arXiv:2006.16736."
)
GEIRHOS_2021 = (
    "Geirhos, R., Narayanappa, K., Mitzkus, B., Thieringer, T., Bethge, M., Wichmann, F. A. "
    "& Brendel, W. (2021). Partial success in closing the gap between human and machine "
    "vision. NeurIPS 34. arXiv:2106.07411 (model-vs-human)."
)

SUBRAMANIAN_2023 = (
    "Subramanian, A., Sizikova, E., Majaj, N. J. & Pelli, D. G. (2023). Spatial-frequency "
    "channels, shape bias, and adversarial robustness. NeurIPS 36. arXiv:2309.13190 "
    "(code: github.com/ajaysub110/critical-band-masking)."
)
GAVRIKOV_2024 = (
    "Gavrikov, P. & Keuper, J. (2024). Can biases in ImageNet models explain "
    "generalization? CVPR. arXiv:2404.01509 (code and per-model data, CC BY-SA 4.0: "
    "github.com/paulgavrikov/biases_vs_generalization)."
)
#: experiments whose stimuli or metrics come from the successor papers
_CRITICAL_BAND = ("critical-band", "critical-band-ideal")
_FFC_EXPERIMENTS = ("spectral-ffc",)


@dataclass(frozen=True)
class Credit:
    reference: str
    why: str  #: what of it this report uses


#: A texture-vs-shape cue-conflict image name: ``<shape><n>-<texture><m>.<ext>`` (also as
#: the source part of a stimulus made from one).
_CUE_CONFLICT_NAME = re.compile(r"[a-z]+\d+-[a-z]+\d+\.\w+$")


def report_credits(table: pd.DataFrame, *, shape_bias_used: bool, consistency_used: bool,
                   benchmark_used: bool) -> list[Credit]:
    """The papers to credit for a report of ``table``: 2018 always; 2019 when cue-conflict
    trials are analysed (shape bias) or stimuli were made from its cue-conflict images;
    2020 for error consistency; 2021 for its data (model-vs-human files) or its benchmark
    metrics."""
    formats = set(table["source_format"].unique()) if "source_format" in table.columns \
        else set()
    data_2018 = "geirhos2018" in formats
    credits = [Credit(GEIRHOS_2018,
                      "the experiments, stimuli and procedure"
                      + ("; the human and network data analysed here (CC-BY 4.0)"
                         if data_2018 else ""))]
    images_2019 = "image" in table.columns and bool(
        table["image"].astype(str).str.contains(_CUE_CONFLICT_NAME).any())
    if shape_bias_used:
        credits.append(Credit(GEIRHOS_2019, "the cue-conflict stimuli and the shape-bias "
                                            "metric"))
    elif images_2019:
        credits.append(Credit(GEIRHOS_2019, "its cue-conflict (style-transfer) images, "
                                            "from which stimuli of this report were made"))
    if consistency_used:
        credits.append(Credit(GEIRHOS_2020, "the error-consistency metric"))
    uses = []
    if "model-vs-human" in formats:
        uses.append("the human data of model-vs-human analysed here (CC-BY 4.0)")
    if benchmark_used:
        uses.append("the benchmark metrics (OOD accuracy, accuracy difference, observed "
                    "and error consistency)")
    if uses:
        credits.append(Credit(GEIRHOS_2021, "; ".join(uses)))
    experiments = set(table["experiment"].unique()) if "experiment" in table.columns \
        else set()
    if experiments & set(_CRITICAL_BAND):
        credits.append(Credit(SUBRAMANIAN_2023, "the critical-band masking stimulus and the "
                                                "channel analysis (threshold index, BW, CF, "
                                                "PNS)"))
    if experiments & set(_FFC_EXPERIMENTS):
        credits.append(Credit(GAVRIKOV_2024, "the spectral-bias stimulus (square FFT "
                                             "low/high-pass) and its metric"))
    return credits
