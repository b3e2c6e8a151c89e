"""Admin: accounts (add, disable, reset a password), assignments, and the audit log."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from analytics.errors import AccessDeniedError, DataValidationError, NotFoundError, StoreError
from dashboard import data, navigation
from dashboard.components import feedback

PAGE = "Admin"
AUDIT_PAGE_SIZE = 50
ROLE_LABELS = {"patient": "Patient", "clinician": "Clinician", "admin": "Administrator"}
EXPECTED = (AccessDeniedError, DataValidationError, NotFoundError, StoreError, ValueError)

user = navigation.require_role("admin")
st.title("🛡️ Admin")
feedback.show_flash("admin")

tab_users, tab_assign, tab_audit = st.tabs(["👥 Users", "🔗 Assignments", "📜 Audit log"])

accounts = data.users(user)
usernames = accounts["username"].astype(str).tolist()
clinicians = accounts.loc[accounts["role"] == "clinician", "username"].astype(str).tolist()
patient_ids = data.patient_ids(user)

# ------------------------------------------------------------------ users
with tab_users:
    feedback.table(accounts, key="admin.users")

    st.subheader("Add a user")
    with st.form("admin.add", clear_on_submit=True):
        c1, c2, c3 = st.columns(3)
        new_name = c1.text_input("Username", key="admin.add.username")
        new_role = c2.selectbox(
            "Role", list(ROLE_LABELS), format_func=ROLE_LABELS.__getitem__, key="admin.add.role"
        )
        new_pid = c3.selectbox(
            "Patient (for a patient account)",
            patient_ids,
            index=None,
            key="admin.add.patient",
        )
        new_password = st.text_input("Initial password", type="password", key="admin.add.password")
        add = st.form_submit_button("Add user", type="primary")
    if add:
        try:
            data.add_user(
                user,
                new_name.strip(),
                role=new_role,
                password=new_password,
                patient_id=new_pid if new_role == "patient" else None,
            )
        except EXPECTED as exc:
            feedback.show_error(exc)
        else:
            feedback.flash("admin", f"Added {new_name.strip()} ({ROLE_LABELS[new_role]}).")
            st.rerun()

    c1, c2 = st.columns(2)
    with c1, st.form("admin.reset", clear_on_submit=True):
        st.markdown("**Reset a password**")
        who = st.selectbox("User", usernames, index=None, key="admin.reset.user")
        password = st.text_input("New password", type="password", key="admin.reset.password")
        reset = st.form_submit_button("Set password")
    if reset:
        if who is None:
            st.error("Choose the user whose password to set.", icon="⚠️")
        else:
            try:
                data.set_password(user, who, password)
            except EXPECTED as exc:
                feedback.show_error(exc)
            else:
                feedback.flash("admin", f"New password set for {who}; their sessions ended.")
                st.rerun()
    with c2, st.form("admin.disable"):
        st.markdown("**Disable an account**")
        gone = st.selectbox(
            "User",
            [u for u in usernames if u != user.username],
            index=None,
            key="admin.disable.user",
        )
        sure = st.checkbox("I understand this user can no longer sign in", key="admin.disable.ok")
        disable = st.form_submit_button("Disable")
    if disable:
        if gone is None or not sure:
            st.error("Choose the user and tick the box to confirm.", icon="⚠️")
        else:
            try:
                data.disable_user(user, gone)
            except EXPECTED as exc:
                feedback.show_error(exc)
            else:
                feedback.flash("admin", f"Disabled {gone}.")
                st.rerun()

# ------------------------------------------------------------------ assignments
with tab_assign:
    if not clinicians:
        st.info("No clinician accounts yet: add one under **Users**.")
    else:
        clinician = st.selectbox("Clinician", clinicians, key="admin.assign.clinician")
        assigned = data.assigned_patients(user, clinician)
        st.caption(
            f"{clinician} sees {len(assigned)} patient(s): "
            + (", ".join(assigned) if assigned else "none yet")
            + "."
        )
        c1, c2 = st.columns(2)
        with c1, st.form("admin.assign"):
            add_ids = st.multiselect(
                "Assign patients",
                [p for p in patient_ids if p not in assigned],
                key="admin.assign.add",
            )
            do_assign = st.form_submit_button("Assign", type="primary")
        with c2, st.form("admin.unassign"):
            drop_ids = st.multiselect("Take patients away", assigned, key="admin.assign.drop")
            do_unassign = st.form_submit_button("Unassign")
        try:
            if do_assign and add_ids:
                data.assign(user, clinician, add_ids)
                feedback.flash("admin", f"Assigned {len(add_ids)} patient(s) to {clinician}.")
                st.rerun()
            if do_unassign and drop_ids:
                data.unassign(user, clinician, drop_ids)
                feedback.flash("admin", f"Took {len(drop_ids)} patient(s) from {clinician}.")
                st.rerun()
        except EXPECTED as exc:
            feedback.show_error(exc)

# ------------------------------------------------------------------ audit log
with tab_audit:
    st.caption(
        "Who viewed or changed which patient's data, every import, export, report and "
        "sign-in, newest first. The log cannot be edited or deleted from the app."
    )
    c1, c2, c3 = st.columns(3)
    f_user = c1.selectbox("User", usernames, index=None, key="admin.audit.user")
    f_patient = c2.selectbox("Patient", ["*", *patient_ids], index=None, key="admin.audit.patient")
    f_since = c3.date_input("Since", value=None, key="admin.audit.since", format="YYYY-MM-DD")
    filters = (f_user, f_patient, f_since)
    if st.session_state.get("admin.audit.filters") != filters:
        st.session_state["admin.audit.filters"] = filters
        st.session_state["admin.audit.page"] = 0
    page = int(st.session_state.get("admin.audit.page", 0))
    since = (
        pd.Timestamp(dt.datetime.combine(f_since, dt.time()), tz="UTC")
        if f_since is not None
        else None
    )
    rows = data.audit_log(
        user,
        username=f_user,
        patient_id=f_patient,
        since=since,
        limit=AUDIT_PAGE_SIZE + 1,  # one more tells whether a next page exists
        offset=page * AUDIT_PAGE_SIZE,
    )
    has_next = len(rows) > AUDIT_PAGE_SIZE
    rows = rows.head(AUDIT_PAGE_SIZE)
    if rows.empty:
        st.info("No audit rows match these filters.")
    else:
        feedback.table(
            rows,
            key="admin.audit.table",
            column_config={
                "at": st.column_config.DatetimeColumn("at (UTC)", format="YYYY-MM-DD HH:mm:ss")
            },
        )
    c1, c2, c3 = st.columns([1, 2, 1])
    if c1.button("← Newer", key="admin.audit.prev", disabled=page == 0):
        st.session_state["admin.audit.page"] = page - 1
        st.rerun()
    c2.caption(
        f"Rows {page * AUDIT_PAGE_SIZE + 1 if len(rows) else 0}–"
        f"{page * AUDIT_PAGE_SIZE + len(rows)} (page {page + 1})"
    )
    if c3.button("Older →", key="admin.audit.next", disabled=not has_next):
        st.session_state["admin.audit.page"] = page + 1
        st.rerun()
