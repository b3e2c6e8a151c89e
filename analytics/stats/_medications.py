"""Named medicines of the diary: what was taken, at which dose, and opioid starts and rises.

Three results from the diary's ``medication``, ``medication_dose`` and
``opioid_mme`` columns, for every patient at once:

- :func:`opioid_mme_per_day`: the opioid dose of each diary day in morphine
  milligram equivalents (MME/day) — the one daily value the secondary outcomes,
  the medicines table and the opioid flags use;
- :func:`medicine_table`: one row per patient and medicine: days taken, dose
  range, MME range, first and last day, and whether an opioid was first logged
  after the baseline window;
- :func:`opioid_change`: one row per patient: mean MME/day of the reference
  (baseline) window and of the last days of the diary, and the two flags
  "opioid started" and "MME rose".

Definitions and the reasons for them are in ``docs/analytics.md`` ("Medicines").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.checks import check_int, check_number
from analytics.contract import DOSE_UNITS, MME_FACTORS, opioid_code
from analytics.contract.schema import DATE_DTYPE
from analytics.stats._common import no_rows, patient_codes, shared_result
from analytics.stats._outcomes import all_patients, outcome_windows
from analytics.stats._thresholds import at_least

__all__ = [
    "MEDICINE_COLUMNS",
    "OPIOID_CHANGE_COLUMNS",
    "MIN_MME_RISE",
    "medicine_names",
    "opioid_mme_per_day",
    "medicine_table",
    "opioid_change",
    "reference_windows",
]

#: Columns of :func:`medicine_table`, in order.
MEDICINE_COLUMNS = (
    "patient_id",
    "medicine",
    "opioid",
    "n_days",
    "n_dose_days",
    "dose_min",
    "dose_max",
    "dose_unit",
    "mme_min",
    "mme_max",
    "first_day",
    "last_day",
    "started",
)
#: Columns of :func:`opioid_change`, in order.
OPIOID_CHANGE_COLUMNS = (
    "patient_id",
    "reference",
    "reference_start",
    "reference_end",
    "n_reference_days",
    "reference_mme",
    "recent_start",
    "recent_end",
    "n_recent_days",
    "recent_mme",
    "mme_rise",
    "flag_opioid_started",
    "opioids_started",
    "flag_mme_rose",
)
#: Default smallest rise of the mean daily MME that raises the "MME rose" flag
#: (MME/day). Below it the flag would mostly follow a forgotten day or two in the
#: reference window: one blank day of a 30 MME/day patient lowers a 14-day mean
#: by 2.1. A new opioid is flagged as "started" whatever its dose.
MIN_MME_RISE = 5.0

_DAY = pd.Timedelta(days=1)


def medicine_names(medication: pd.Series) -> pd.Series:
    """Name the medicines of a ``medication`` column the way every table groups them.

    Parameters
    ----------
    medication : pandas.Series
        Free text as typed or imported ("Tramadol ", "fentanyl patch").

    Returns
    -------
    pandas.Series
        Same index, ``str`` dtype: lower case, surrounding spaces removed, runs of
        spaces and underscores as one space ("fentanyl patch"); missing where the
        text is missing or blank.

    Examples
    --------
    >>> import pandas as pd
    >>> medicine_names(pd.Series([" Tramadol", "Fentanyl_Patch", "", None])).tolist()
    ['tramadol', 'fentanyl patch', nan, nan]
    """
    text = medication.astype("str").str.strip().str.lower()
    text = text.str.replace(r"[\s_]+", " ", regex=True)
    return text.where(text.notna() & (text != "")).astype("str")


def _opioid_codes(medication: pd.Series) -> pd.Series:
    """Return the :data:`analytics.contract.MME_FACTORS` key of each opioid name, else missing.

    Names are read by :func:`analytics.contract.opioid_code`, as every import reads them.
    """
    table = {name: opioid_code(name) for name in medication.dropna().unique()}
    return medication.map(table).astype("str")


def _mme_factors(medication: pd.Series) -> np.ndarray:
    """Return the MME factor of each day's named opioid (float64), NaN for any other day.

    Each distinct name is read once by :func:`analytics.contract.opioid_code`.
    """
    named = medication.notna().to_numpy()
    factors = np.full(len(medication), np.nan, dtype="float64")
    if named.any():
        codes, names = pd.factorize(medication[named])
        known = [MME_FACTORS.get(opioid_code(name) or "", np.nan) for name in names]
        factors[named] = np.array(known, dtype="float64")[codes]
    return factors


@shared_result
def opioid_mme_per_day(diary: pd.DataFrame) -> pd.Series:
    """Opioid dose of each diary day, morphine milligram equivalents per day.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary frame (``patient_id``, ``opioid_mme``, ``medication``,
        ``medication_dose``). Not modified.

    Returns
    -------
    pandas.Series
        float64, aligned with ``diary`` (same index), MME/day:

        1. the recorded ``opioid_mme`` of the day;
        2. else, when the day names an opioid of :data:`analytics.contract.OPIOIDS`
           with a dose, ``medication_dose × factor`` (CDC 2022; the dose is the
           day's total, so one administration);
        3. else, on a diary that holds an MME on some day, 0 when the patient's
           latest earlier value is 0 or there is none yet (a blank day while no
           opioid is being taken is a day without one: the entry form leaves the
           item empty on such days);
        4. else missing: a blank day after a day with an opioid (forgotten or not
           taken cannot be told apart), and every day of a patient who never
           records an opioid.

    Notes
    -----
    Steps 3 and 4 are a choice. Counting every blank as 0 would lower a steady
    user's mean with each forgotten day (60 MME/day with one blank day in 14
    reads 55.7); counting none as 0 leaves a diary whose opioid item is only
    filled on the days one is taken without any baseline before the first dose,
    and a new opioid invisible in the baseline and follow-up means.

    Examples
    --------
    >>> import pandas as pd
    >>> from analytics.contract import empty_frame
    >>> d = empty_frame("diary")
    >>> d.loc[0, ["patient_id", "date", "pain"]] = ["p1", pd.Timestamp("2026-01-01"), 5]
    >>> d.loc[1, ["patient_id", "date", "pain", "medication", "medication_dose"]] = [
    ...     "p1", pd.Timestamp("2026-01-02"), 5, "tramadol", 100.0]
    >>> opioid_mme_per_day(d).tolist()
    [0.0, 20.0]
    """
    recorded = pd.to_numeric(diary["opioid_mme"]).astype("float64")
    factor = _mme_factors(diary["medication"])
    dose = pd.to_numeric(diary["medication_dose"]).astype("float64")
    mme = recorded.fillna(dose * factor)
    pid = diary["patient_id"].astype("str")
    # each patient's days in date order: the value before a blank day decides it
    codes, _ = patient_codes(pid)
    day = diary["date"].to_numpy()
    step = codes[1:] - codes[:-1]
    if ((step > 0) | ((step == 0) & (day[1:] >= day[:-1]))).all():
        order = np.arange(len(codes))  # already by patient and date, as the loaders give it
    else:
        order = np.lexsort((day, codes))
    by_day = mme.to_numpy(dtype="float64")[order]
    filled = np.empty(len(by_day), dtype="float64")
    filled[order] = _blank_days_filled(by_day, codes[order])
    return pd.Series(filled, index=diary.index, name="opioid_mme", dtype="float64")


def _blank_days_filled(by_day: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Apply steps 3 and 4 of :func:`opioid_mme_per_day` to days sorted by patient and date."""
    n = len(by_day)
    if not n:
        return by_day.copy()
    position = np.arange(n)
    start = np.flatnonzero(np.append(True, key[1:] != key[:-1]))
    first = np.zeros(n, dtype=bool)
    first[start] = True
    group = np.cumsum(first) - 1
    known = ~np.isnan(by_day)
    # the latest known value strictly before each day, within the patient
    latest = np.maximum.accumulate(np.where(known, position, -1))
    before = np.append(-1, latest[:-1])
    has_before = before >= start[group]
    none_before = ~has_before | (by_day[np.where(has_before, before, 0)] == 0)
    records = np.logical_or.reduceat(known, start)[group]
    return np.where(known | ~records | ~none_before, by_day, 0.0)


@shared_result
def reference_windows(
    diary: pd.DataFrame, index_dates: pd.Series | None, *, baseline_days: int
) -> pd.DataFrame:
    """Return the reference window of each patient with a diary (``patient_id`` index).

    The baseline window of the pain outcome (the ``baseline_days`` days before the
    index date); without an index date, the first ``baseline_days`` days of the
    diary. Columns ``reference`` ("baseline" or "diary_start"),
    ``reference_start``, ``reference_end`` (inclusive).
    """
    ids = all_patients(diary)
    index = index_dates if index_dates is not None else pd.Series(dtype=DATE_DTYPE)
    index = index.astype(DATE_DTYPE)
    index.index = index.index.astype("str")
    windows, _ = outcome_windows(diary, index.reindex(ids), baseline_days=baseline_days)
    first = diary["date"].astype(DATE_DTYPE).groupby(diary["patient_id"].astype("str")).min()
    first = first.reindex(ids)
    start = windows["baseline_start"].reindex(ids).fillna(first)
    end = windows["baseline_end"].reindex(ids).fillna(first + (baseline_days - 1) * _DAY)
    out = pd.DataFrame({"reference_start": start, "reference_end": end}, index=ids)
    out = out.astype(DATE_DTYPE)
    has_baseline = windows["baseline_start"].reindex(ids).notna()
    out.insert(0, "reference", np.where(has_baseline, "baseline", "diary_start"))
    out["reference"] = out["reference"].astype("str")
    out.index.name = "patient_id"
    return out


@shared_result
def medicine_table(
    diary: pd.DataFrame,
    index_dates: pd.Series | None = None,
    *,
    baseline_days: int = 14,
) -> pd.DataFrame:
    """One row per patient and named medicine: days taken, doses, MME, first and last day.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary frame. Not modified.
    index_dates : pandas.Series, optional
        Index date per patient (``patient_id`` index), e.g.
        :func:`analytics.contract.index_dates`; decides the reference window of
        ``started``.
    baseline_days : int, default 14
        Length of the reference window, days, in [1, 3650].

    Returns
    -------
    pandas.DataFrame
        Columns :data:`MEDICINE_COLUMNS`, sorted by ``patient_id``, ``first_day``,
        ``medicine``; no rows when no day names a medicine:

        - ``patient_id`` (str);
        - ``medicine`` (str): :func:`medicine_names` of ``medication``;
        - ``opioid`` (bool): one of :data:`analytics.contract.OPIOIDS`;
        - ``n_days`` (int): diary days naming it;
        - ``n_dose_days`` (int): of them, days with a dose;
        - ``dose_min``, ``dose_max`` (float): smallest and largest daily dose,
          NaN without a dose;
        - ``dose_unit`` (str): ``mcg/h`` for a fentanyl patch, else ``mg``;
        - ``mme_min``, ``mme_max`` (float, MME/day): smallest and largest
          :func:`opioid_mme_per_day` of the days it was taken; NaN for a medicine
          that is not an opioid;
        - ``first_day``, ``last_day`` (datetime64[ns]): first and last day taken;
        - ``started`` (bool): an opioid first taken after the reference window
          (the baseline window; without an index date, the first ``baseline_days``
          days of the diary): not taken during or before it.

    Examples
    --------
    >>> import pandas as pd
    >>> from analytics.contract import empty_frame
    >>> d = empty_frame("diary")
    >>> for i, dose in enumerate([100.0, 200.0]):
    ...     d.loc[i, ["patient_id", "date", "pain", "medication", "medication_dose"]] = [
    ...         "p1", pd.Timestamp("2026-01-01") + pd.Timedelta(days=i), 5, "Tramadol", dose]
    >>> medicine_table(d)[["medicine", "n_days", "dose_max", "mme_min", "mme_max"]].values.tolist()
    [['tramadol', 2, 200.0, 20.0, 40.0]]
    """
    baseline_days = check_int(baseline_days, "baseline_days", "medicine_table", 1, 3650)
    if len(diary) and diary["medication"].isna().all():  # no medicine named: no rows
        return no_rows(medicine_table, diary, lambda: medicine_table(diary.iloc[:0]))
    names = medicine_names(diary["medication"])
    taken = names.notna()
    rows = pd.DataFrame(
        {
            "patient_id": diary["patient_id"].astype("str"),
            "medicine": names,
            "date": diary["date"].astype(DATE_DTYPE),
            "dose": pd.to_numeric(diary["medication_dose"]).astype("float64"),
            "mme": opioid_mme_per_day(diary),
        }
    )[taken.to_numpy()]
    rows["opioid"] = _opioid_codes(rows["medicine"]).notna()
    rows["mme"] = rows["mme"].where(rows["opioid"])
    g = rows.groupby(["patient_id", "medicine"], sort=False)
    out = g.agg(
        opioid=("opioid", "first"),
        n_days=("date", "size"),
        n_dose_days=("dose", "count"),
        dose_min=("dose", "min"),
        dose_max=("dose", "max"),
        mme_min=("mme", "min"),
        mme_max=("mme", "max"),
        first_day=("date", "min"),
        last_day=("date", "max"),
    ).reset_index()
    codes = _opioid_codes(out["medicine"])
    out["dose_unit"] = codes.map(dict(DOSE_UNITS)).fillna("mg").astype("str")
    ref = reference_windows(diary, index_dates, baseline_days=baseline_days)
    ref_end = ref["reference_end"].reindex(out["patient_id"]).to_numpy()
    out["started"] = (out["opioid"] & (out["first_day"].to_numpy() > ref_end)).astype(bool)
    out = out.astype(
        {
            "patient_id": "str",
            "medicine": "str",
            "opioid": bool,
            "n_days": "int64",
            "n_dose_days": "int64",
            "dose_min": "float64",
            "dose_max": "float64",
            "mme_min": "float64",
            "mme_max": "float64",
            "first_day": DATE_DTYPE,
            "last_day": DATE_DTYPE,
        }
    )
    out = out.sort_values(["patient_id", "first_day", "medicine"], kind="mergesort")
    return out[list(MEDICINE_COLUMNS)].reset_index(drop=True)


def _window_mme(
    pid: pd.Series, date: pd.Series, mme: pd.Series, start: pd.Series, end: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Return the mean MME/day and the days with a value of each patient's window."""
    row_start = start.reindex(pid).to_numpy()
    row_end = end.reindex(pid).to_numpy()
    inside = (date.to_numpy() >= row_start) & (date.to_numpy() <= row_end)
    values = mme.where(inside)
    g = values.groupby(pid.to_numpy())
    return g.mean().reindex(start.index), g.count().reindex(start.index, fill_value=0)


def opioid_change(
    diary: pd.DataFrame,
    index_dates: pd.Series | None = None,
    *,
    baseline_days: int = 14,
    recent_days: int = 7,
    min_rise: float = MIN_MME_RISE,
) -> pd.DataFrame:
    """Opioid dose at the end of the diary against the reference window, and the flags.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary frame. Not modified.
    index_dates : pandas.Series, optional
        Index date per patient (``patient_id`` index).
    baseline_days : int, default 14
        Length of the reference window, days, in [1, 3650].
    recent_days : int, default 7
        The recent window: the ``recent_days`` days ending on the patient's last
        diary day, in [1, 3650] (``AnalysisSettings.trend_window_days``).
    min_rise : float, default :data:`MIN_MME_RISE` (5)
        Smallest rise of the mean MME/day that raises ``flag_mme_rose``, in
        [0, 1000].

    Returns
    -------
    pandas.DataFrame
        One row per patient with a diary, sorted by ``patient_id``; columns
        :data:`OPIOID_CHANGE_COLUMNS`:

        - ``reference`` (str): ``baseline`` (the baseline window of the pain
          outcome) or ``diary_start`` (no index date: the first ``baseline_days``
          days of the diary);
        - ``reference_start``, ``reference_end`` (datetime64[ns], inclusive): that
          window;
        - ``n_reference_days`` (int), ``reference_mme`` (float, MME/day): diary
          days of the window with an MME and their mean :func:`opioid_mme_per_day`;
        - ``recent_start``, ``recent_end``, ``n_recent_days``, ``recent_mme``: the
          same for the ``recent_days`` days ending on the last diary day;
        - ``mme_rise`` (float, MME/day): ``recent_mme − reference_mme``
          (positive = more opioid now); NaN when the windows overlap or either
          has no value;
        - ``flag_opioid_started`` (bool): an opioid of :func:`medicine_table` is
          ``started``; ``opioids_started`` (str): their names joined by ``;``
          (``""`` when none);
        - ``flag_mme_rose`` (bool): ``mme_rise ≥ min_rise``.

    Notes
    -----
    The flags point at what CDC 2022 (Dowell et al., MMWR Recomm Rep 71(RR-3),
    recommendation 4) asks clinicians to evaluate: an opioid being started and a
    dosage being increased. The recent window is the trailing window of the pain
    trend; any diary day with a value counts (no minimum), so an opioid taken on
    the last diary day shows at once.
    """
    func = "opioid_change"
    baseline_days = check_int(baseline_days, "baseline_days", func, 1, 3650)
    recent_days = check_int(recent_days, "recent_days", func, 1, 3650)
    min_rise = check_number(min_rise, "min_rise", func, 0.0, 1000.0)
    ids = all_patients(diary)
    pid = diary["patient_id"].astype("str")
    date = diary["date"].astype(DATE_DTYPE)
    mme = opioid_mme_per_day(diary)
    out = reference_windows(diary, index_dates, baseline_days=baseline_days)
    out["recent_end"] = date.groupby(pid).max().reindex(ids)
    out["recent_start"] = out["recent_end"] - (recent_days - 1) * _DAY
    ref_mean, ref_n = _window_mme(pid, date, mme, out["reference_start"], out["reference_end"])
    rec_mean, rec_n = _window_mme(pid, date, mme, out["recent_start"], out["recent_end"])
    out["n_reference_days"], out["reference_mme"] = ref_n.astype("int64"), ref_mean
    out["n_recent_days"], out["recent_mme"] = rec_n.astype("int64"), rec_mean
    apart = out["recent_start"] > out["reference_end"]
    out["mme_rise"] = (rec_mean - ref_mean).where(apart).astype("float64")
    meds = medicine_table(diary, index_dates, baseline_days=baseline_days)
    started = meds[meds["started"]].groupby("patient_id", sort=False)["medicine"].agg(";".join)
    out["opioids_started"] = started.reindex(ids).fillna("").astype("str")
    out["flag_opioid_started"] = (out["opioids_started"] != "").astype(bool)
    out["flag_mme_rose"] = np.asarray(at_least(out["mme_rise"], min_rise), dtype=bool)
    out = out.reset_index()
    out["patient_id"] = out["patient_id"].astype("str")
    return out[list(OPIOID_CHANGE_COLUMNS)]
