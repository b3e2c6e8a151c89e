"""The audit log in words: what each row records, as a sentence an administrator can read.

The dashboard's Admin page, ``paindiary audit`` and the audit CSV show the same
"What happened" column, built here from a row's action, patient, outcome and detail.
The raw detail (a JSON object) stays next to it: the words say what happened, the
detail keeps every value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

__all__ = [
    "AUDIT_ACTION_LABELS",
    "AUDIT_OUTCOME_LABELS",
    "AUDIT_COLUMN_LABELS",
    "audit_what",
    "audit_table",
]

#: Words of each audit action, for a filter.
AUDIT_ACTION_LABELS = {
    "view": "Viewed patient data",
    "edit": "Changed a diary day or session",
    "import": "Import (and import preview)",
    "export": "Exported a file",
    "report": "Made a report",
    "login": "Signed in",
    "login_failed": "Sign-in refused",
    "lockout": "Account locked",
    "logout": "Signed out",
    "user_admin": "Account administration",
    "share_create": "Created a share link",
    "share_revoke": "Revoked a share link",
    "share_use": "Opened a share link",
    "refresh": "Recomputed outcomes",
    "settings": "Changed the analysis settings",
}

#: What a refused request asked for, by audit action ("Denied: export of P040").
_ASKED = {
    "view": "view",
    "edit": "change",
    "import": "import",
    "export": "export",
    "report": "report",
    "user_admin": "account change",
    "share_create": "new share link",
    "share_revoke": "share link revocation",
    "refresh": "outcome refresh",
    "settings": "settings change",
}

#: Words of each outcome.
AUDIT_OUTCOME_LABELS = {"ok": "Done", "denied": "Denied", "failed": "Failed"}

#: Headings of :func:`audit_table`'s columns.
AUDIT_COLUMN_LABELS = {
    "at": "When (UTC)",
    "what": "What happened",
    "username": "User",
    "role": "Role",
    "face": "Where",
    "action": "Action",
    "patient_id": "Patient",
    "outcome": "Outcome",
    "n_times": "Times",
    "last_at": "Last time (UTC)",
    "detail": "Detail (as recorded)",
}

_SIGN_IN_REASONS = {
    "unknown user": "no such account",
    "disabled": "the account is disabled",
    "locked": "the account is locked",
}

_ACCOUNT_OPS = {
    "add_user": "Added the account {username}",
    "set_password": "Set a new password for {username}",
    "disable_user": "Disabled the account {username}",
    "enable_user": "Enabled the account {username}",
    "unlock_user": "Unlocked the account {username}",
    "assign": "Assigned {n} patient(s) to {clinician}",
    "unassign": "Took {n} patient(s) from {clinician}",
    "map_clinician_code": "Mapped the clinician code {code} to {clinician}",
    "invite": "Made a first sign-in link for {username}",
    "invite_use": "Chose a password with the first sign-in link of {username}",
    "create_patient_accounts": "Made patient accounts",
}


def _whose(patient_id: Any) -> str:
    if patient_id is None or (isinstance(patient_id, float) and pd.isna(patient_id)):
        return ""
    text = str(patient_id)
    if text in ("", "nan", "None"):
        return ""
    return "all patients in reach" if text == "*" else text


def _view(d: Mapping[str, Any], who: str) -> str:
    purpose = str(d.get("purpose") or "")
    page = f" ({purpose})" if purpose and purpose != "patient list" else ""
    if purpose == "onboarding":
        return f"Viewed the clinicians and accounts of {d.get('n_patients', '')} new patient(s)"
    if who == "all patients in reach":
        n = d.get("n_patients")
        some = f"{n} patient(s)" if n is not None else "the patients in reach"
        if purpose == "patient list":
            return f"Viewed the list of {some}"
        if "diary" in d:
            return f"Viewed the diaries of {some}{page}"
        return f"Viewed the outcomes of {some}{page}"
    if purpose == "history":
        return f"Viewed the history of changes of {who}"
    if purpose == "diary entry":
        return f"Viewed the diary day {d.get('date', '')} of {who}"
    if not who:
        return f"Viewed {purpose}" if purpose else "Viewed"
    return f"Viewed the diary of {who}{page}"


def _edit(d: Mapping[str, Any], who: str) -> str:
    day = f" {d['date']}" if d.get("date") else ""
    done = {
        "save_diary_entry": f"Saved the diary day{day} of {who}",
        "delete_diary_entry": f"Deleted the diary day{day} of {who}",
        "save_session": f"Saved the session{day} of {who}",
    }.get(str(d.get("call")), f"Changed the records of {who}")
    result = d.get("result")
    return done + (f" ({result})" if result and result != "deleted" else "")


def _import(d: Mapping[str, Any], who: str) -> str:
    if d.get("error"):
        return "Import failed" + (" (preview)" if d.get("dry_run") else "")
    counts = d.get("counts") if d.get("dry_run") else d
    new = sum(
        int(c.get("inserted", 0) or 0)
        for c in (counts or {}).values()
        if isinstance(c, Mapping)
    )  # fmt: skip
    changed = sum(
        int(c.get("updated", 0) or 0) for c in (counts or {}).values() if isinstance(c, Mapping)
    )
    rows = f"{new} new row(s), {changed} changed"
    if d.get("dry_run"):
        return f"Previewed an import: it would add {rows}"
    return f"Imported {rows}"


def _export(d: Mapping[str, Any], who: str) -> str:
    what = d.get("what")
    if what:
        return f"Exported {what}" + (
            f" for {who}" if who and who != "all patients in reach" else ""
        )
    whose = "the clinic" if who in ("", "all patients in reach") else who
    how = ", de-identified" if d.get("deidentified") else ""
    form = f" ({d['format']})" if d.get("format") else ""
    return f"Exported {whose}{how}{form}"


def _report(d: Mapping[str, Any], who: str) -> str:
    what = d.get("what") or "a report"
    return f"Made {what}" + (f" for {who}" if who and who != "all patients in reach" else "")


def _user_admin(d: Mapping[str, Any], who: str) -> str:
    op = str(d.get("op") or "")
    template = _ACCOUNT_OPS.get(op)
    if template is None:
        return "Changed an account"
    ids = d.get("patient_ids")
    text = template.format(
        username=d.get("username", ""),
        clinician=d.get("clinician", ""),
        code=d.get("code", ""),
        n=len(ids) if isinstance(ids, list) else "",
    )
    return text + (f" (refused: {d['reason']})" if d.get("reason") else "")


def _share_use(d: Mapping[str, Any], who: str) -> str:
    reason = d.get("reason")
    if reason:
        return f"Share link to {who} refused: {reason}"
    return f"Opened the share link to {who}"


_WORDS: dict[str, Callable[[Mapping[str, Any], str], str]] = {
    "view": _view,
    "edit": _edit,
    "import": _import,
    "export": _export,
    "report": _report,
    "login": lambda d, who: "Signed in" + (" (single sign-on)" if d.get("method") == "sso" else ""),
    "login_failed": lambda d, who: (
        "Sign-in refused: " + _SIGN_IN_REASONS.get(str(d.get("reason")), str(d.get("reason")))
    ),
    "lockout": lambda d, who: (
        f"Account locked for {d.get('minutes', '')} "
        f"minute{'' if str(d.get('minutes')) == '1' else 's'} after failed sign-ins"
    ),
    "logout": lambda d, who: "Signed out",
    "user_admin": _user_admin,
    "share_create": lambda d, who: f"Created a share link to {who}",
    "share_revoke": lambda d, who: f"Revoked a share link to {who}",
    "share_use": _share_use,
    "refresh": lambda d, who: (
        f"Recomputed the stored outcomes of {d.get('n_patients', '')} patient(s)"
    ),
    "settings": lambda d, who: "Changed the clinic's analysis settings",
}


def _detail(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(str(text))
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def audit_what(
    action: str, detail: Any, *, patient_id: Any = None, outcome: str = "ok", n_times: int = 1
) -> str:
    """Say in words what one audit row records.

    Parameters
    ----------
    action : str
        The row's action ("view", "export", "login_failed", ...).
    detail : str or dict
        The row's detail: its JSON text, or the object.
    patient_id : str, optional
        The row's patient ("*" for the patients in reach).
    outcome : {"ok", "denied", "failed"}, default "ok"
    n_times : int, default 1
        How many times it happened (repeats counted on the row).

    Returns
    -------
    str
        E.g. "Viewed the diary of P003 (My progress)", "Sign-in refused: wrong
        password", "Denied: export of all patients in reach (outcomes.csv)"; an event
        that happened more than once ends with "— 5 times".

    Examples
    --------
    >>> audit_what("view", '{"purpose": "My progress"}', patient_id="P003")
    'Viewed the diary of P003 (My progress)'
    """
    d = detail if isinstance(detail, dict) else _detail(detail)
    who = _whose(patient_id)
    words = _WORDS.get(str(action))
    if outcome == "denied" and action != "share_use":
        target = f" of {who}" if who else ""
        text = f"Denied: {_ASKED.get(str(action), str(action))}{target}"
        asked = d.get("what") or d.get("call")
        if asked:
            text += f" ({asked})"
    elif words is None:
        text = AUDIT_ACTION_LABELS.get(str(action), str(action))
    else:
        text = words(d, who)
        if outcome == "failed" and action not in ("login_failed", "import"):
            text = f"Failed: {text[0].lower()}{text[1:]}"
    if int(n_times) > 1:
        text += f" — {int(n_times)} times"
    return text


def audit_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Add the "what" column to audit rows, second after ``at``.

    Parameters
    ----------
    rows : pandas.DataFrame
        Rows of ``Store.audit_log``: ``at``, ``username``, ``role``, ``face``,
        ``action``, ``patient_id``, ``outcome``, ``n_times``, ``last_at``, ``detail``.

    Returns
    -------
    pandas.DataFrame
        ``at``, ``what`` (str, :func:`audit_what`), then the other columns as given
        (``detail`` kept as the recorded JSON text). The input is not changed.
    """
    times = rows["n_times"] if "n_times" in rows.columns else pd.Series(1, index=rows.index)
    what = [
        audit_what(a, d, patient_id=p, outcome=o, n_times=n)
        for a, d, p, o, n in zip(
            rows["action"], rows["detail"], rows["patient_id"], rows["outcome"], times, strict=True
        )
    ]
    out = rows.copy()
    out.insert(
        1 if "at" in out.columns else 0, "what", pd.Series(what, index=rows.index, dtype="str")
    )
    return out
