"""The analysis settings: one frozen object shared by the library, the CLI and the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._common import check_int, check_number

__all__ = ["AnalysisSettings", "DEFAULT_SETTINGS"]


@dataclass(frozen=True)
class AnalysisSettings:
    """Every option of the analysis, validated on creation.

    Parameters
    ----------
    baseline_days : int, default 14
        Baseline window before the index date, days, in [1, 3650].
    followup_days : int, default 14
        Follow-up window length, days, in [1, 3650].
    followup_at : int or None, default None
        Follow-up horizon H in days after the index date (window ends on day
        H − 1); None = the patient's last diary days.
    min_entries : int, default 4
        Fewest diary entries for a valid baseline or follow-up mean, in [1, 3650].
    responder_threshold : float, default 30.0
        % pain reduction that makes a responder, in [0, 100].
    seed : int, default 0
        Seed of the bootstrap confidence intervals, >= 0.
    n_boot : int, default 2000
        Bootstrap replicates, in [1, 1000000].

    Raises
    ------
    ValueError
        In scikit-learn's wording, naming the parameter and the allowed range.

    Examples
    --------
    >>> AnalysisSettings(responder_threshold=35.0).responder_threshold
    35.0
    """

    baseline_days: int = 14
    followup_days: int = 14
    followup_at: int | None = None
    min_entries: int = 4
    responder_threshold: float = 30.0
    seed: int = 0
    n_boot: int = 2000

    def __post_init__(self) -> None:
        func = "AnalysisSettings"
        check_int(self.baseline_days, "baseline_days", func, 1, 3650)
        check_int(self.followup_days, "followup_days", func, 1, 3650)
        if self.followup_at is not None:
            check_int(self.followup_at, "followup_at", func, 1, 36500)
        check_int(self.min_entries, "min_entries", func, 1, 3650)
        threshold = check_number(self.responder_threshold, "responder_threshold", func, 0.0, 100.0)
        object.__setattr__(self, "responder_threshold", threshold)
        check_int(self.seed, "seed", func, 0)
        check_int(self.n_boot, "n_boot", func, 1, 1_000_000)

    def window_kwargs(self) -> dict[str, Any]:
        """The options of :func:`analytics.outcomes.patient_outcomes` windows."""
        return {
            "baseline_days": self.baseline_days,
            "followup_days": self.followup_days,
            "followup_at": self.followup_at,
            "min_entries": self.min_entries,
        }


#: The settings every default follows (DOMAIN.md section 4).
DEFAULT_SETTINGS = AnalysisSettings()
