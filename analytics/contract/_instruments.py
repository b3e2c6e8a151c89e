"""Outcome questionnaires as data: the instrument definitions and their loader.

Each instrument is one JSON file in ``analytics/contract/instruments``: its items,
the answer options of each, the scores computed from the answers (rule, items,
direction, bands, minimal important difference), LOINC codes where they exist, and
its source and licence. :func:`load_instrument` checks a file and returns an
:class:`Instrument`; every problem is named with the file and the field, and how
to fix it. The definitions shipped with paindiary are in :data:`INSTRUMENTS`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from ..errors import DataValidationError

__all__ = [
    "AnswerOption",
    "Item",
    "ScoreRule",
    "Band",
    "Instrument",
    "load_instrument",
    "INSTRUMENTS",
    "SCORE_RULES",
]

#: Scoring rules an instrument may name.
SCORE_RULES = ("sum", "mean")

_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_VERSION_RE = re.compile(r"^\d+(\.\d+){0,2}$")
_LOINC_RE = re.compile(r"^(LA)?\d{1,7}-\d$")


@dataclass(frozen=True)
class AnswerOption:
    """One answer a patient can pick: its number and its words."""

    value: int
    label: str
    loinc: str | None = None


@dataclass(frozen=True)
class Item:
    """One question of an instrument."""

    id: str
    text: str
    options: tuple[AnswerOption, ...]
    loinc: str | None = None
    count: bool = False

    @property
    def values(self) -> tuple[int, ...]:
        """Return the answer values this item accepts."""
        return tuple(option.value for option in self.options)


@dataclass(frozen=True)
class Band:
    """A named range of a score (both ends included)."""

    low: float
    high: float
    label: str


@dataclass(frozen=True)
class ScoreRule:
    """How one score is computed from the answers of an instrument.

    ``rule`` is ``"sum"`` or ``"mean"`` over ``items``, computed only when every
    item was answered. ``better`` says which direction is improvement. ``mid`` is the
    published minimal important difference of a change (score points);
    ``responder_at_most`` marks a responder by the score's own value (PGIC 1-2);
    ``responder_reduction_pct`` a responder by the reduction from baseline, as a
    percentage of the baseline value (headache days: 50 %).
    ``baseline`` is False for scores that are themselves a change (PGIC), which have
    no change from baseline.
    """

    id: str
    label: str
    rule: Literal["sum", "mean"]
    items: tuple[str, ...]
    better: Literal["higher", "lower"]
    bands: tuple[Band, ...] = ()
    mid: float | None = None
    mid_source: str | None = None
    responder_at_most: float | None = None
    responder_source: str | None = None
    responder_reduction_pct: float | None = None
    baseline: bool = True
    loinc: str | None = None


@dataclass(frozen=True)
class Instrument:
    """An outcome questionnaire: items, scores, source and licence.

    ``conditions`` limits the patients it is asked of to those conditions (the
    ``condition`` codes of ``patients.csv``); empty = every patient.
    """

    id: str
    name: str
    short_name: str
    domain: str
    source: str
    licence: str
    intro: str
    items: tuple[Item, ...]
    scores: tuple[ScoreRule, ...]
    loinc: str | None = None
    version: str = "1"
    conditions: tuple[str, ...] = ()

    def item(self, item_id: str) -> Item:
        """Return the item called ``item_id``."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


_DOMAINS = (
    "physical functioning",
    "emotional functioning",
    "global impression of change",
    "headache frequency",
)
_REQUIRED = ("id", "name", "short_name", "domain", "source", "licence", "intro", "items", "scores")


class _Problems:
    """Problems found in one definition file, each a sentence."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.found: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.found.append(f"{self.name}, {where}: {message}")

    def text(self, data: dict[str, Any], key: str, where: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            self.add(where, f"'{key}' must be non-empty text. Got {value!r} instead.")
            return ""
        return value

    def code(self, data: dict[str, Any], where: str) -> str | None:
        value = data.get("loinc")
        if value is None:
            return None
        if not isinstance(value, str) or not _LOINC_RE.match(value):
            self.add(
                where, f"'loinc' must be a LOINC code such as 72514-3 or LA6568-5. Got {value!r}."
            )
            return None
        return value

    def raise_if_any(self) -> None:
        if self.found:
            shown = "\n".join(f"  - {line}" for line in self.found[:10])
            more = f"\n  … and {len(self.found) - 10} more." if len(self.found) > 10 else ""
            raise DataValidationError(
                f"The questionnaire definition {self.name} has {len(self.found)} problem(s):\n"
                f"{shown}{more}\nFix the file (see docs/questionnaires.md) and load it again."
            )


def _count(raw: dict[str, Any], where: str, problems: _Problems) -> tuple[AnswerOption, ...]:
    """Options of a count: every whole number from ``from`` to ``to``, labelled by itself."""
    low, high = raw.get("from"), raw.get("to")
    if (
        not isinstance(low, int)
        or not isinstance(high, int)
        or isinstance(low, bool)
        or isinstance(high, bool)
        or not 0 <= low < high <= 366
    ):
        problems.add(
            where,
            'a count\'s \'options\' must be {"from": whole number, "to": whole number} with '
            f"0 ≤ from < to ≤ 366. Got {raw!r}.",
        )
        return ()
    return tuple(AnswerOption(n, str(n)) for n in range(low, high + 1))


def _options(
    raw: Any, sets: dict[str, Any], where: str, problems: _Problems
) -> tuple[AnswerOption, ...]:
    if isinstance(raw, dict):
        return _count(raw, where, problems)
    if isinstance(raw, str):
        if raw not in sets:
            problems.add(where, f"the option set '{raw}' is not defined under 'option_sets'.")
            return ()
        raw = sets[raw]
    if not isinstance(raw, list) or not raw:
        problems.add(where, "'options' must be a non-empty list or the name of an option set.")
        return ()
    options = []
    for n, entry in enumerate(raw, start=1):
        spot = f"{where}, option {n}"
        value = entry.get("value") if isinstance(entry, dict) else None
        if not isinstance(value, int) or isinstance(value, bool):
            problems.add(spot, f"'value' must be a whole number. Got {value!r}.")
            continue
        label = problems.text(entry, "label", spot)
        options.append(AnswerOption(value, label, problems.code(entry, spot)))
    values = [option.value for option in options]
    if len(set(values)) != len(values):
        problems.add(where, "two options have the same value; give each option its own value.")
    return tuple(options)


def _items(data: dict[str, Any], problems: _Problems) -> tuple[Item, ...]:
    sets = data.get("option_sets") or {}
    raw = data.get("items")
    if not isinstance(raw, list) or not raw:
        problems.add("items", "an instrument needs a non-empty list of items.")
        return ()
    items = []
    for n, entry in enumerate(raw, start=1):
        where = f"item {n}"
        if not isinstance(entry, dict):
            problems.add(where, "each item must be an object with 'id', 'text' and 'options'.")
            continue
        item_id = problems.text(entry, "id", where)
        if item_id and not _ID_RE.match(item_id):
            problems.add(where, f"'id' must be lower-case letters, digits and _. Got {item_id!r}.")
        raw_options = entry.get("options")
        options = _options(raw_options, sets, where, problems)
        items.append(
            Item(
                item_id,
                problems.text(entry, "text", where),
                options,
                problems.code(entry, where),
                count=isinstance(raw_options, dict),
            )
        )
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        problems.add("items", "two items have the same id; give each item its own id.")
    return tuple(items)


def _bands(raw: Any, where: str, problems: _Problems) -> tuple[Band, ...]:
    bands = []
    for n, entry in enumerate(raw or [], start=1):
        low, high = entry.get("low"), entry.get("high")
        if not isinstance(low, int | float) or not isinstance(high, int | float) or low > high:
            problems.add(
                f"{where}, band {n}",
                f"'low' and 'high' must be numbers, low ≤ high. Got {low!r}, {high!r}.",
            )
            continue
        bands.append(
            Band(float(low), float(high), problems.text(entry, "label", f"{where}, band {n}"))
        )
    return tuple(bands)


def _number(entry: dict[str, Any], key: str, where: str, problems: _Problems) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        problems.add(where, f"'{key}' must be a positive number. Got {value!r}.")
        return None
    return float(value)


def _percent(entry: dict[str, Any], where: str, problems: _Problems) -> float | None:
    value = _number(entry, "responder_reduction_pct", where, problems)
    if value is not None and value > 100:
        problems.add(where, f"'responder_reduction_pct' must be at most 100. Got {value!r}.")
        return None
    return value


def _conditions(data: dict[str, Any], problems: _Problems) -> tuple[str, ...]:
    raw = data.get("conditions", [])
    if not isinstance(raw, list) or not all(isinstance(c, str) and _ID_RE.match(c) for c in raw):
        problems.add(
            "conditions",
            "'conditions' must be a list of condition codes such as migraine (lower-case "
            f"letters, digits and _). Got {raw!r}.",
        )
        return ()
    return tuple(raw)


def _scores(
    data: dict[str, Any], items: tuple[Item, ...], problems: _Problems
) -> tuple[ScoreRule, ...]:
    raw = data.get("scores")
    if not isinstance(raw, list) or not raw:
        problems.add("scores", "an instrument needs a non-empty list of scores.")
        return ()
    known = {item.id for item in items}
    scores = []
    for n, entry in enumerate(raw, start=1):
        where = f"score {n}"
        rule, better, members = entry.get("rule"), entry.get("better"), entry.get("items")
        if rule not in SCORE_RULES:
            problems.add(where, f"'rule' must be one of {', '.join(SCORE_RULES)}. Got {rule!r}.")
        if better not in ("higher", "lower"):
            problems.add(where, f"'better' must be 'higher' or 'lower'. Got {better!r}.")
        if not isinstance(members, list) or not members or not set(members) <= known:
            problems.add(
                where,
                f"'items' must list item ids of this instrument ({', '.join(sorted(known))}).",
            )
            members = []
        scores.append(
            ScoreRule(
                id=problems.text(entry, "id", where),
                label=problems.text(entry, "label", where),
                rule=rule if rule in SCORE_RULES else "sum",
                items=tuple(members),
                better=better if better in ("higher", "lower") else "lower",
                bands=_bands(entry.get("bands"), where, problems),
                mid=_number(entry, "mid", where, problems),
                mid_source=entry.get("mid_source"),
                responder_at_most=_number(entry, "responder_at_most", where, problems),
                responder_source=entry.get("responder_source"),
                responder_reduction_pct=_percent(entry, where, problems),
                baseline=bool(entry.get("baseline", True)),
                loinc=problems.code(entry, where),
            )
        )
    return tuple(scores)


def _version(data: dict[str, Any], problems: _Problems) -> str:
    value = data.get("version", "1")
    if not isinstance(value, str) or not _VERSION_RE.match(value):
        problems.add(
            "version", f"'version' must be text such as 1 or 1.2 (digits and dots). Got {value!r}."
        )
        return "1"
    return value


def load_instrument(path: str | Path) -> Instrument:
    """Read and check one instrument definition file.

    Parameters
    ----------
    path : str or pathlib.Path
        A JSON file in the format of docs/questionnaires.md.

    Returns
    -------
    Instrument
        The checked definition.

    Raises
    ------
    DataValidationError
        The file cannot be read or breaks the format; the message lists every
        problem with the field it concerns and how to fix it.

    Examples
    --------
    >>> from analytics.contract import INSTRUMENTS
    >>> INSTRUMENTS["phq4"].short_name
    'PHQ-4'
    """
    path = Path(path)
    problems = _Problems(path.name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataValidationError(
            f"The questionnaire definition {path.name} cannot be read as JSON ({exc}). "
            "Save it as UTF-8 JSON (see docs/questionnaires.md)."
        ) from None
    if not isinstance(data, dict):
        raise DataValidationError(
            f"The questionnaire definition {path.name} must hold one JSON object."
        )
    for key in _REQUIRED:
        if key not in data:
            problems.add("top level", f"'{key}' is missing.")
    if data.get("domain") not in _DOMAINS:
        problems.add(
            "domain", f"'domain' must be one of: {', '.join(_DOMAINS)}. Got {data.get('domain')!r}."
        )
    items = _items(data, problems)
    scores = _scores(data, items, problems)
    text = {
        key: problems.text(data, key, key)
        for key in ("id", "name", "short_name", "source", "licence", "intro")
    }
    if text["id"] and not _ID_RE.match(text["id"]):
        problems.add("id", f"'id' must be lower-case letters, digits and _. Got {text['id']!r}.")
    version, conditions = _version(data, problems), _conditions(data, problems)
    loinc = problems.code(data, "top level")
    problems.raise_if_any()
    return Instrument(
        id=text["id"],
        name=text["name"],
        short_name=text["short_name"],
        domain=data["domain"],
        source=text["source"],
        licence=text["licence"],
        intro=text["intro"],
        items=items,
        scores=scores,
        loinc=loinc,
        version=version,
        conditions=conditions,
    )


def _shipped() -> dict[str, Instrument]:
    folder = resources.files("analytics.contract") / "instruments"
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            instrument = load_instrument(Path(str(entry)))
            found[instrument.id] = instrument
    return found


#: The instruments shipped with paindiary, by id (see docs/questionnaires.md).
INSTRUMENTS: dict[str, Instrument] = _shipped()
