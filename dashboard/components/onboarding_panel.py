"""Onboarding: the new patients of an import, clinician codes and sign-in sheets (admins).

- :func:`remember_import` keeps the new patients of the import just made (ids only),
  and :func:`new_patients_panel` shows them after the page reruns: their clinician
  code, clinicians, account and first sign-in link, with one button that assigns them
  all (by their clinician codes, or to one clinician) and one that makes their
  accounts and a printable sign-in sheet.
- :func:`clinician_code_table` maps the clinician codes of the data (C01, ...) to
  clinician accounts, once (the Admin page).
- :func:`sign_in_sheet_form` makes a sheet for any patients (the Admin page).

A sheet's links are made when the button is pressed and live only in the PDF
offered for download in that run: nothing keeps them, and a link works once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from analytics.access import User
from analytics.errors import AccessDeniedError, DataValidationError, NotFoundError, StoreError
from dashboard import data
from dashboard.components import feedback
from dashboard.components.share_panel import app_address
from dashboard.text import shown

__all__ = [
    "NEW_PATIENTS",
    "BY_CODE",
    "remember_import",
    "new_patients_panel",
    "clinician_code_table",
    "sign_in_sheet_form",
]

#: Session key of the new patients of the last import (ids only).
NEW_PATIENTS = "onboarding.new"
#: The choice "by their clinician codes" of the Assign box.
BY_CODE = "by their clinician codes"
_EXPECTED = (AccessDeniedError, DataValidationError, NotFoundError, StoreError, ValueError)
_STATUS_TITLES = {
    "patient_id": "Patient",
    "clinician_id": "Clinician code",
    "clinicians": "Clinician(s)",
    "username": "Account",
    "invite_expires_at": "Sign-in link valid until (UTC)",
}


def remember_import(report: Any) -> None:
    """Keep the new patients of an import for :func:`new_patients_panel` (after the rerun)."""
    ids = list(getattr(report, "new_patients", ()) or ())
    if ids:
        st.session_state[NEW_PATIENTS] = ids
    else:
        st.session_state.pop(NEW_PATIENTS, None)


def _status_table(status: pd.DataFrame, key: str) -> None:
    frame = status[list(_STATUS_TITLES)].assign(
        clinicians=status["clinicians"].where(status["clinicians"] != "", None)
    )
    feedback.table(
        frame.rename(columns=_STATUS_TITLES),
        key=key,
        column_config={
            _STATUS_TITLES["invite_expires_at"]: st.column_config.DatetimeColumn(
                _STATUS_TITLES["invite_expires_at"], format="YYYY-MM-DD HH:mm"
            )
        },
    )


def _sheet_download(pdf: bytes, n: int, made: int, key: str) -> None:
    """Offer a sheet just made (its links exist only in these bytes)."""
    st.success(
        f"{n} first sign-in link(s) made ({made} new account(s)). Download and print the "
        "sheet now: its links are not kept, and each works once.",
        icon="✅",
    )
    st.download_button(
        "Download the sign-in sheet (PDF)", pdf,
        file_name=f"paindiary-sign-in-sheets-{dt.date.today():%Y-%m-%d}.pdf",
        mime="application/pdf", key=key, icon="⬇️", on_click="ignore",
    )  # fmt: skip


def _make_sheet(user: User, ids: Sequence[str], key: str, purpose: str) -> None:
    try:
        pdf, n, made = data.sign_in_sheet(user, ids, base_url=app_address(), purpose=purpose)
    except _EXPECTED as exc:
        feedback.show_error(exc)
    else:
        _sheet_download(pdf, n, made, key)


def _assign(user: User, ids: list[str], choice: str) -> None:
    try:
        if choice == BY_CODE:
            done = data.assign_by_code(user, ids, purpose="Data")
            n = sum(len(v) for v in done.values())
            text = ", ".join(f"{len(v)} to {k}" for k, v in done.items()) or "none"
            feedback.flash("data", f"Assigned by clinician code: {text}." if n else
                           "No patient was assigned: map their clinician codes on the Admin "
                           "page first.")  # fmt: skip
        else:
            data.assign(user, choice, ids)
            feedback.flash("data", f"Assigned the {len(ids)} new patient(s) to {choice}.")
    except _EXPECTED as exc:
        feedback.show_error(exc)
    else:
        st.rerun()


def new_patients_panel(user: User) -> None:
    """Show the new patients of the last import with "assign" and "create accounts" for all.

    Parameters
    ----------
    user : analytics.access.User
        The signed-in administrator.
    """
    ids = list(st.session_state.get(NEW_PATIENTS) or [])
    if not ids:
        return
    accounts = data.users(user)
    clinicians = accounts.loc[accounts["role"] == "clinician", "username"].astype(str).tolist()
    status = data.onboarding_status(user, ids, purpose="Data")
    st.subheader(f"The {len(ids)} new patient(s) of the import")
    no_clinician = int((status["clinicians"] == "").sum())
    no_account = int(status["username"].isna().sum())
    st.caption(
        f"{no_clinician} without a clinician, {no_account} without an account. Assign them and "
        "make their accounts here, for all of them at once."
    )
    _status_table(status, "onboarding.status")
    unmapped = sorted(
        status.loc[(status["clinicians"] == "") & status["mapped_clinician"].isna(), "clinician_id"]
        .dropna()
        .unique()
    )
    if unmapped:
        st.caption(
            "Clinician codes not mapped to an account yet: "
            + ", ".join(shown(c) for c in unmapped)
            + " — map them once on the Admin page (Assignments), or assign to one clinician."
        )
    c1, c2 = st.columns(2)
    with c1:
        choice = st.selectbox(
            "Assign to", [BY_CODE, *clinicians], key="onboarding.assign.to",
            help="By their clinician codes: each patient goes to the clinician their code is "
            "mapped to on the Admin page.",
        )  # fmt: skip
        if st.button(f"Assign the {len(ids)} new patient(s)", key="onboarding.assign", icon="🔗"):
            _assign(user, ids, str(choice))
    with c2:
        st.caption(
            "Accounts (username: the patient id in lower case) with a one-time first sign-in "
            "link each, printed with its QR code, one page per patient."
        )
        if st.button("Create patient accounts and sign-in sheets", key="onboarding.invite",
                     type="primary", icon="🖨️"):  # fmt: skip
            _make_sheet(user, ids, "onboarding.sheet", "Data")
    if st.button("Done with these patients", key="onboarding.done"):
        st.session_state.pop(NEW_PATIENTS, None)
        st.rerun()


def clinician_code_table(user: User, clinicians: Sequence[str]) -> None:
    """Show the clinician codes of the data with the account each is mapped to, and map one.

    Parameters
    ----------
    user : analytics.access.User
        The signed-in administrator.
    clinicians : sequence of str
        The clinician accounts to choose from.
    """
    codes = data.clinician_codes(user)
    st.markdown("**Clinician codes of the data**")
    if codes.empty:
        st.info("No patient has a clinician code (clinician_id) yet: import patients first.")
        return
    feedback.table(
        codes.rename(
            columns={"clinician_id": "Clinician code", "n_patients": "Patients",
                     "clinician": "Clinician account"}
        ),
        key="admin.codes.table",
    )  # fmt: skip
    if not clinicians:
        st.info("No clinician accounts yet: add one under **Users**.")
        return
    with st.form("admin.codes"):
        c1, c2 = st.columns(2)
        code = c1.selectbox(
            "Clinician code", codes["clinician_id"].tolist(), index=None,
            placeholder="Choose a code", key="admin.codes.code",
        )  # fmt: skip
        who = c2.selectbox(
            "Clinician account", list(clinicians), index=None, placeholder="Choose a clinician",
            key="admin.codes.clinician",
        )  # fmt: skip
        st.caption(
            "Imports then assign new patients with this code to the account; stored patients "
            "with the code and no clinician are assigned now."
        )
        mapped = st.form_submit_button("Map", type="primary")
    if mapped:
        if code is None or who is None:
            st.error("Choose a clinician code and the clinician account it stands for.", icon="⚠️")
            return
        try:
            now = data.map_clinician_code(user, code, who)
        except _EXPECTED as exc:
            feedback.show_error(exc)
        else:
            feedback.flash(
                "admin",
                f"Mapped {code} to {who}"
                + (f"; {len(now)} patient(s) assigned to {who} now." if now else "."),
            )
            st.rerun()


def sign_in_sheet_form(user: User, patient_ids: Sequence[str], accounts: pd.DataFrame) -> None:
    """Make first sign-in links and a printable sheet for chosen patients (Admin page).

    Parameters
    ----------
    user : analytics.access.User
        The signed-in administrator.
    patient_ids : sequence of str
        Every patient of the clinic.
    accounts : pandas.DataFrame
        The accounts (``Service.users``): patients without one are offered together.
    """
    st.markdown("**First sign-in links and sign-in sheets**")
    have = set(accounts.loc[accounts["role"] == "patient", "patient_id"].dropna().astype(str))
    without = [p for p in patient_ids if p not in have]
    st.caption(
        f"{len(without)} patient(s) have no account yet. A sheet makes the missing accounts and "
        "a new one-time link for each patient (an older link of theirs stops working)."
    )
    with st.form("admin.sheets"):
        everyone = st.checkbox(
            f"Every patient without an account ({len(without)})", key="admin.sheets.all",
            value=bool(without),
        )  # fmt: skip
        chosen = st.multiselect("Or these patients", list(patient_ids), key="admin.sheets.ids")
        pressed = st.form_submit_button("Make the sign-in sheet", icon="🖨️")
    if pressed:
        ids = sorted(set(chosen) | (set(without) if everyone else set()))
        if not ids:
            st.error("Choose the patients of the sheet.", icon="⚠️")
        else:
            _make_sheet(user, ids, "admin.sheets.download", "Admin")
