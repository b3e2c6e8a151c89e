"""Words for flares and rescue medicine: the patient's sentences and the clinician's line.

The numbers come from a patient's flare table (:attr:`analytics.pipeline.PatientSummary.flares`,
:func:`analytics.stats.flare_table`); the chart, My progress and the visit PDF print
these words. A patient without entries during the day has no row: every function then
gives nothing to print.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._labels import is_missing
from ._numbers import number_text

__all__ = ["flare_row", "flare_duration_text", "flare_sentences", "flare_line"]


def flare_row(flares: Any) -> dict[str, Any] | None:
    """Return the one row of a patient's flare table as a dict, or None without one.

    Parameters
    ----------
    flares : pandas.DataFrame or None
        :attr:`analytics.pipeline.PatientSummary.flares`.

    Returns
    -------
    dict or None
    """
    if flares is None or not len(flares):
        return None
    row: dict[str, Any] = flares.iloc[0].to_dict()
    return row


def flare_duration_text(minutes: Any) -> str:
    """Write a duration in minutes as hours and minutes ("" when missing).

    Examples
    --------
    >>> flare_duration_text(45), flare_duration_text(130), flare_duration_text(120.4)
    ('45 min', '2 h 10 min', '2 h')
    """
    if is_missing(minutes):
        return ""
    total = int(round(float(minutes)))
    hours, rest = divmod(total, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def _flares(value: Any) -> str:
    text = number_text(float(value), 0)
    return f"{text} flare" + ("" if text == "1" else "s")


def _rate(per_4w: Any, none: str = "none") -> str:
    """Say a rate of flares per 4 weeks ("about 3 flares per 4 weeks", or ``none``)."""
    text = number_text(float(per_4w), 0)
    if text == "0":
        return none
    return f"about {_flares(per_4w)} per 4 weeks"


def _helped(row: Mapping[str, Any]) -> tuple[int, int] | None:
    """Return (times the rescue medicine helped, times answered), or None without answers."""
    answered: Any = row.get("n_rescue_answered")
    rate: Any = row.get("rescue_helped_rate")
    if is_missing(answered) or int(answered) == 0 or is_missing(rate):
        return None
    return int(round(float(rate) * int(answered))), int(answered)


def flare_sentences(flares: Any, *, before: str = "treatment") -> list[str]:
    """Say in plain words how often the patient had flares lately and whether rescue helped.

    Parameters
    ----------
    flares : pandas.DataFrame or mapping or None
        The patient's flare table (or its row).
    before : str, default "treatment"
        What the baseline came before: "treatment", or for a patient without
        sessions the start event ("you joined the waiting list").

    Returns
    -------
    list of str
        Empty for a patient without entries during the day; otherwise up to three
        sentences, e.g. "Lately you logged about 3 flares per 4 weeks; before
        treatment, about 5 flares per 4 weeks.", "A typical flare lasted 45 min." and "Your rescue
        medicine helped 2 of 3 times."

    Examples
    --------
    >>> row = {"n_flares": 8, "baseline_flares_per_4w": 5.0, "followup_flares_per_4w": 3.0,
    ...        "median_flare_minutes": 45.0, "n_rescue_answered": 3,
    ...        "rescue_helped_rate": 2 / 3}
    >>> flare_sentences(row)  # doctest: +NORMALIZE_WHITESPACE
    ['Lately you logged about 3 flares per 4 weeks; before treatment, about 5 flares per 4
     weeks.', 'A typical flare lasted 45 min.', 'Your rescue medicine helped 2 of 3 times.']
    >>> flare_sentences({**row, "followup_flares_per_4w": 0.0, "n_rescue_answered": 0})
    ... # doctest: +NORMALIZE_WHITESPACE
    ['Lately you logged no flares; before treatment, about 5 flares per 4 weeks.',
     'A typical flare lasted 45 min.']
    """
    row = flares if isinstance(flares, Mapping) else flare_row(flares)
    if not row:
        return []
    said = []
    follow, base = row.get("followup_flares_per_4w"), row.get("baseline_flares_per_4w")
    if not is_missing(follow):
        head = f"Lately you logged {_rate(follow, 'no flares')}"
        said.append(head + ("." if is_missing(base) else f"; before {before}, {_rate(base)}."))
    elif not is_missing(base):
        said.append(f"Before {before} you logged {_rate(base, 'no flares')}.")
    elif not is_missing(row.get("n_flares")) and int(row["n_flares"]):
        said.append(f"You logged {_flares(row['n_flares'])} so far.")
    if duration := flare_duration_text(row.get("median_flare_minutes")):
        said.append(f"A typical flare lasted {duration}.")
    if (helped := _helped(row)) is not None:
        said.append(f"Your rescue medicine helped {helped[0]} of {helped[1]} times.")
    return said


def flare_line(flares: Any) -> str:
    """Write the clinician's one line on flares: per 4 weeks before and lately, duration, rescue.

    Parameters
    ----------
    flares : pandas.DataFrame or mapping or None
        The patient's flare table (or its row).

    Returns
    -------
    str
        "" for a patient without entries during the day; otherwise e.g. "Flares per 4
        weeks: 5.0 before, 3.0 at follow-up (2.0 fewer). 8 flares in 12 entries. Median
        flare 45 min (8 with a duration). Rescue medicine helped 2 of 3 answered uses (4 taken)."

    Examples
    --------
    >>> flare_line({"n_entries": 12, "n_flares": 8, "baseline_flares_per_4w": 5.0,
    ...             "followup_flares_per_4w": 3.0, "change_flares_per_4w": 2.0,
    ...             "median_flare_minutes": 45.0, "n_flares_with_duration": 8,
    ...             "n_rescue": 4, "n_rescue_answered": 3, "rescue_helped_rate": 2 / 3})
    ... # doctest: +NORMALIZE_WHITESPACE
    'Flares per 4 weeks: 5.0 before, 3.0 at follow-up (2.0 fewer). 8 flares in 12 entries.
     Median flare 45 min (8 with a duration). Rescue medicine helped 2 of 3 answered uses (4 taken).'
    """
    row = flares if isinstance(flares, Mapping) else flare_row(flares)
    if not row:
        return ""
    text = (
        f"Flares per 4 weeks: {number_text(row.get('baseline_flares_per_4w'))} before, "
        f"{number_text(row.get('followup_flares_per_4w'))} at follow-up"
    )
    change: Any = row.get("change_flares_per_4w")
    if not is_missing(change):
        word = "fewer" if float(change) >= 0 else "more"
        text += f" ({number_text(abs(float(change)))} {word})"
    text += f". {_flares(row.get('n_flares') or 0)} in {int(row['n_entries'])} entries."
    if duration := flare_duration_text(row.get("median_flare_minutes")):
        text += f" Median flare {duration} ({int(row['n_flares_with_duration'])} with a duration)."
    if (helped := _helped(row)) is not None:
        text += (
            f" Rescue medicine helped {helped[0]} of {helped[1]} answered uses"
            f" ({int(row['n_rescue'])} taken)."
        )
    return text
