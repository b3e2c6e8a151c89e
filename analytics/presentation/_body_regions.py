"""Words for the body map: region and area names, and the sentences of the change since baseline.

The dashboard's body map, the clinician's heat map and every text naming a
region take their words from here; the codes are those of
:data:`analytics.contract.BODY_REGIONS` (the 19 regions of the widespread pain
index).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from analytics.contract import BODY_REGIONS

__all__ = [
    "AREA_LABELS",
    "BODY_MAP_QUESTION",
    "BODY_MAP_HELP",
    "REGION_LABELS",
    "REGION_SHORT_LABELS",
    "REGION_HEATMAP_TITLE",
    "REGION_SHARE_LABEL",
    "NO_REGIONS_TEXT",
    "WPI_LABEL",
    "region_words",
    "region_change_lines",
]

#: The question above the body map of a diary day.
BODY_MAP_QUESTION = "Where does it hurt today?"
#: One line under it.
BODY_MAP_HELP = "Tap every part that hurts; leave it empty if you prefer not to say."

#: Each region in words, side first.
REGION_LABELS: dict[str, str] = {
    "l_jaw": "Left jaw",
    "l_shoulder": "Left shoulder",
    "l_upper_arm": "Left upper arm",
    "l_lower_arm": "Left lower arm",
    "r_jaw": "Right jaw",
    "r_shoulder": "Right shoulder",
    "r_upper_arm": "Right upper arm",
    "r_lower_arm": "Right lower arm",
    "l_hip": "Left hip or buttock",
    "l_upper_leg": "Left upper leg",
    "l_lower_leg": "Left lower leg",
    "r_hip": "Right hip or buttock",
    "r_upper_leg": "Right upper leg",
    "r_lower_leg": "Right lower leg",
    "neck": "Neck",
    "upper_back": "Upper back",
    "low_back": "Lower back",
    "chest": "Chest",
    "abdomen": "Belly (abdomen)",
}

#: Each region in words within its area (the area names the side).
REGION_SHORT_LABELS: dict[str, str] = {
    code: (label.split(" ", 1)[1].capitalize() if label.startswith(("Left", "Right")) else label)
    for code, label in REGION_LABELS.items()
}

#: The five areas of the widespread pain index, in words.
AREA_LABELS: dict[str, str] = {
    "left_upper": "Left jaw, shoulder and arm",
    "right_upper": "Right jaw, shoulder and arm",
    "left_lower": "Left hip and leg",
    "right_lower": "Right hip and leg",
    "axial": "Neck, back, chest and belly",
}

#: Title of the clinician's heat map.
REGION_HEATMAP_TITLE = "Where it hurt, week by week"
#: Its colour scale.
REGION_SHARE_LABEL = "Days marked (share of days with the body map filled in)"
#: The widespread pain index in words.
WPI_LABEL = "Painful regions (widespread pain index, 0–19)"
#: The empty state of the body map's results.
NO_REGIONS_TEXT = "No body regions were marked in this period."


def region_words(codes: Any, *, short: bool = False) -> str:
    """Name ``;``-joined region codes in words: "Lower back, left hip or buttock".

    Parameters
    ----------
    codes : str or None
        Region codes joined by ``;`` (a missing value or "" names none).
    short : bool, default False
        Leave out the side ("Shoulder") — for a list already under its area.

    Returns
    -------
    str
        The regions in the contract's order, the first capitalised; "" when none.
    """
    if codes is None or (isinstance(codes, float) and math.isnan(codes)):
        return ""
    marked = {c.strip() for c in str(codes).split(";") if c.strip()}
    labels = REGION_SHORT_LABELS if short else REGION_LABELS
    words = [labels[c] for c in BODY_REGIONS if c in marked]
    words += sorted(marked - set(BODY_REGIONS))  # a code of a newer contract, as it is
    return ", ".join(w[0].lower() + w[1:] if i else w for i, w in enumerate(words))


def _number(value: Any) -> float | None:
    if value is None:
        return None
    v = float(value)
    return None if math.isnan(v) else v


def region_change_lines(
    row: Mapping[str, Any] | None, *, recent_days: int, before: str = "before treatment"
) -> list[str]:
    """Say how the painful area changed since baseline, one sentence a line.

    Parameters
    ----------
    row : mapping or None
        One row of :func:`analytics.stats.region_change`.
    recent_days : int
        Length of its recent window (``AnalysisSettings.followup_days``).
    before : str, default "before treatment"
        The baseline window in words ("before you joined the waiting list" for a
        patient with no treatment).

    Returns
    -------
    list of str
        Markdown-free sentences; empty when there is no row.
    """
    if row is None:
        return []
    reference = before if row["reference"] == "baseline" else "in the first days"
    ref_wpi, rec_wpi = _number(row["reference_wpi"]), _number(row["recent_wpi"])
    lines = []
    if ref_wpi is not None:
        lines.append(f"{reference.capitalize()}: {ref_wpi:.1f} painful regions a day on average.")
    if rec_wpi is not None:
        lines.append(f"Last {recent_days} days: {rec_wpi:.1f} painful regions a day on average.")
    if _number(row["wpi_change"]) is None:
        lines.append(
            "No comparison yet: each period needs enough days with the body map filled in."
        )
        return lines
    added, gone = region_words(row["regions_added"]), region_words(row["regions_gone"])
    lines.append(f"Painful now, not {reference}: {added or 'none'}.")
    lines.append(f"Painful {reference}, not now: {gone or 'none'}.")
    return lines
