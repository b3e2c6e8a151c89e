"""Small Streamlit building blocks shared by the pages: messages, records, cards."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from analytics.errors import DataValidationError

__all__ = [
    "flash",
    "show_flash",
    "show_error",
    "as_record",
    "describe_entry",
    "logging_streak",
    "adherence_summary",
    "fmt",
    "number_columns",
    "improvement_sentence",
    "CATEGORY_WORDS",
    "table",
    "escape_md",
    "login_form",
]

#: Plain-language names of the IMMPACT categories (Dworkin 2008).
CATEGORY_WORDS = {
    "none": "no meaningful improvement",
    "minimal": "a minimal improvement",
    "moderate": "a moderate improvement",
    "substantial": "a substantial improvement",
}


# inline markup only: the text is always placed inside a sentence, never at a line start
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#|<>~$:])")


def escape_md(text: Any) -> str:
    """``text`` with every Markdown character escaped: stored text is data, not markup."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def flash(page: str, message: str) -> None:
    """Keep a success message to show once after the next rerun."""
    st.session_state[f"{page}.flash"] = message


def show_flash(page: str) -> None:
    """Show (and forget) the message kept by :func:`flash`."""
    message = st.session_state.pop(f"{page}.flash", None)
    if message:
        st.success(message, icon="✅")


def show_error(exc: Exception) -> None:
    """Show an expected error as a message (never a traceback)."""
    st.error(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, icon="⚠️")
    if isinstance(exc, DataValidationError) and len(exc.problems):
        table(exc.problems)


def table(frame: pd.DataFrame, **kwargs: Any) -> Any:
    """``st.dataframe`` with the index hidden, full width and missing values as "—".

    Streamlit shows a missing cell as "None" unless told otherwise; every table
    of the dashboard goes through here so none of them does.
    """
    from dashboard.labels import MISSING

    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("width", "stretch")
    return st.dataframe(frame, placeholder=MISSING, **kwargs)


def number_columns(
    frame: pd.DataFrame, *, digits: int = 2, percent: Sequence[str] = ()
) -> dict[str, Any]:
    """``column_config`` showing float columns with ``digits`` decimals (fractions as %)."""
    config: dict[str, Any] = {}
    for col in frame.columns:
        title = str(col).replace("_", " ")
        if col in percent:
            config[col] = st.column_config.NumberColumn(title, format="percent")
        elif pd.api.types.is_float_dtype(frame[col]):
            config[col] = st.column_config.NumberColumn(title, format=f"%.{digits}f")
        else:
            config[col] = st.column_config.Column(title)
    return config


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def as_record(row: Any) -> dict[str, Any]:
    """A stored row (Series, mapping or dataclass-like) as a dict of plain Python values."""
    if row is None:
        return {}
    if isinstance(row, pd.DataFrame):
        row = row.iloc[0] if len(row) else pd.Series(dtype=object)
    if isinstance(row, pd.Series):
        items = row.to_dict()
    elif isinstance(row, Mapping):
        items = dict(row)
    elif hasattr(row, "_asdict"):
        items = row._asdict()
    else:
        items = dict(vars(row))
    return {str(k): _plain(v) for k, v in items.items()}


def fmt(value: Any, spec: str = ".1f", missing: str = "—") -> str:
    """Format a number for display; ``missing`` for NaN/None."""
    value = _plain(value)
    if value is None:
        return missing
    try:
        return format(value, spec)
    except (TypeError, ValueError):
        return str(value)


def describe_entry(entry: Mapping[str, Any]) -> str:
    """'pain 6/10, worst 8/10, sleep 5/10' for a diary entry."""
    parts = [f"pain {fmt(entry.get('pain'), 'g')}/10"]
    for key, label in (
        ("worst_pain", "worst"),
        ("sleep_quality", "sleep"),
        ("mood", "mood"),
        ("stress", "stress"),
    ):
        if _plain(entry.get(key)) is not None:
            parts.append(f"{label} {fmt(entry.get(key), 'g')}/10")
    if _plain(entry.get("notes")):
        parts.append(f"note “{entry['notes']}”")
    return ", ".join(parts)


def logging_streak(dates: pd.Series, *, today: dt.date) -> int:
    """Consecutive logged days ending today (or yesterday, if today is not logged yet).

    A count for the patient's encouragement card, not a statistic.
    """
    days = pd.DatetimeIndex(pd.to_datetime(dates).dt.normalize().unique())
    end = pd.Timestamp(today)
    if end not in days:
        end -= pd.Timedelta(days=1)
    if end not in days:
        return 0
    logged = days[days <= end].sort_values()
    gaps = (end - logged).days.to_numpy()
    # the streak runs while the k-th most recent day is exactly k days before `end`
    expected = np.arange(len(logged))[::-1]
    ok = gaps == expected
    return int(len(ok) - np.flatnonzero(~ok).max() - 1) if (~ok).any() else len(ok)


def adherence_summary(diary: pd.DataFrame, *, today: dt.date) -> str:
    """'🔥 3-day streak · 5/7 days logged this week · 20/28 in 4 weeks' (one line).

    Short enough to sit above the log form on a phone without pushing the pain
    buttons below the fold.
    """
    dates = diary["date"]
    streak = logging_streak(dates, today=today)
    start7 = pd.Timestamp(today - dt.timedelta(days=6))
    start28 = pd.Timestamp(today - dt.timedelta(days=27))
    n7 = int((dates >= start7).sum())
    n28 = int((dates >= start28).sum())
    lead = f"🔥 {streak}-day streak" if streak else "No streak yet"
    return f"{lead} · {n7}/7 days logged this week · {n28}/28 in 4 weeks"


def improvement_sentence(change: float, pct: float, category: Any) -> str:
    """'Your pain is down 2.4 points (38%) — a moderate improvement.' (IMMPACT wording)."""
    change, pct = _plain(change), _plain(pct)
    if change is None:
        return "Not enough diary days yet to compare with your baseline."
    words = CATEGORY_WORDS.get(str(category), "")
    if change > 0:
        head = f"down {fmt(change)} points"
    elif change < 0:
        head = f"up {fmt(-change)} points"
    else:
        head = "unchanged"
    pct_text = f" ({fmt(abs(pct), '.0f')}%)" if pct is not None and change != 0 else ""
    tail = f" — {words}" if words else ""
    return f"Your pain is {head}{pct_text} compared with before treatment{tail}."


def login_form() -> None:
    """The sign-in page: username and password (or single sign-on), demo accounts.

    The error after a failed sign-in is the library's, and never says whether the
    username exists. While the database is the demo clinic, the demo accounts and
    their passwords are listed below the form.
    """
    from analytics.errors import AuthenticationError
    from dashboard import data, state

    st.title("🩺 Pain diary")
    notice = state.pop_notice()
    if notice:
        st.info(notice, icon="🔒")

    if state.sso_enabled():
        st.button(
            "Sign in with your organisation's account",
            type="primary",
            key="login.sso",
            on_click=state.login_sso,
            icon="🔐",
        )
        st.caption(
            "Staff: you are sent to your organisation's sign-in page and come back here; "
            "your role comes from your paindiary account. Patients: sign in below."
        )

    with st.form("login.form", border=True, enter_to_submit=True):
        username = st.text_input("Username", key="login.username", autocomplete="username")
        password = st.text_input(
            "Password", type="password", key="login.password", autocomplete="current-password"
        )
        submitted = st.form_submit_button("Sign in", type="primary", width="stretch")

    if submitted:
        if not username.strip() or not password:
            st.error("Enter your username and your password.", icon="⚠️")
        else:
            try:
                state.login(username.strip(), password)
            except AuthenticationError as exc:
                # one message for every refusal: it never says whether the username exists
                st.error(str(exc) or "Sign-in refused.", icon="⚠️")
            else:
                # the URL still names the page asked for (a deep link): the rerun opens it
                st.rerun()

    demo = data.demo_accounts()
    if demo is not None and len(demo):
        with st.expander("Demo clinic: accounts", expanded=True):
            st.caption(
                "This database is the demo clinic (made-up patients). These accounts exist only "
                "here; a real clinic's database never lists passwords."
            )
            table(demo, key="login.demo")
