"""Admin: accounts, sign-in sheets, assignments and clinician codes, the audit log, share links.

Accounts: add, enable, disable, unlock, reset a password; first sign-in links printed
as sheets. Assignments: patients to clinicians, clinician codes of the data mapped to
accounts. Share links: the clinic's active links by creator, each one revocable.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from analytics.access import User
from analytics.errors import AccessDeniedError, DataValidationError, NotFoundError, StoreError
from analytics.presentation import (
    AUDIT_ACTION_LABELS,
    AUDIT_COLUMN_LABELS,
    AUDIT_OUTCOME_LABELS,
    ROLE_LABELS,
    account_table,
    creator_label,
)
from dashboard import data, navigation
from dashboard.components import feedback, onboarding_panel, share_link_review
from dashboard.text import shown

PAGE = "Admin"
AUDIT_PAGE_SIZE = 50
EXPECTED = (AccessDeniedError, DataValidationError, NotFoundError, StoreError, ValueError)
#: The widgets of the Add user form, by the service's field names.
ADD_FIELDS = {
    "username": "admin.add.username",
    "display_name": "admin.add.name",
    "role": "admin.add.role",
    "patient_id": "admin.add.patient",
    "password": "admin.add.password",
}
#: The field messages of the last press of Add user (field -> sentence; "" for the form).
ADD_ERRORS = "admin.add.errors"


def _add_user(admin: User) -> None:
    """Add the account of the form (the button's callback, before the page runs).

    The form keeps what was typed after a refusal and shows each problem under its
    field; after a success its fields are emptied.
    """
    state = st.session_state
    role = state.get(ADD_FIELDS["role"])
    name = str(state.get(ADD_FIELDS["username"]) or "").strip()
    state[ADD_ERRORS] = {}
    try:
        data.add_user(
            admin,
            name,
            role=role,
            password=str(state.get(ADD_FIELDS["password"]) or ""),
            patient_id=state.get(ADD_FIELDS["patient_id"]) if role == "patient" else None,
            display_name=str(state.get(ADD_FIELDS["display_name"]) or "").strip(),
        )
    except DataValidationError as exc:
        fields = exc.problems["column"].tolist() if len(exc.problems) else []
        messages = exc.problems["message"].tolist() if len(exc.problems) else []
        state[ADD_ERRORS] = dict(zip(fields, messages, strict=True)) or {"": str(exc)}
    except EXPECTED as exc:
        state[ADD_ERRORS] = {"": str(exc)}
    else:
        for field, key in ADD_FIELDS.items():
            state[key] = None if field in ("role", "patient_id") else ""
        feedback.flash(
            "admin",
            f"Added {name} ({ROLE_LABELS[str(role)]}). Give them the password by a safe way; "
            "they choose their own at the first sign-in.",
        )


def _field_error(field: str) -> None:
    """Show the message of the last Add user press about ``field``, if any."""
    message = st.session_state.get(ADD_ERRORS, {}).get(field)
    if message:
        st.error(shown(message), icon="⚠️")


def _account_state(row: Any) -> str:
    """Say in words whether an account is active, locked, and what is due."""
    parts = ["disabled (cannot sign in)" if row["disabled"] else "active"]
    locked = row["locked_until"]
    if pd.notna(locked) and locked > pd.Timestamp(dt.datetime.now(dt.UTC).replace(tzinfo=None)):
        parts.append(f"locked until {locked:%H:%M} UTC")
    if int(row["failed_count"]):
        parts.append(f"{int(row['failed_count'])} failed sign-in(s) in a row")
    if row["must_change_password"]:
        parts.append("must choose a new password at the next sign-in")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


user = navigation.require_role("admin")
st.title("🛡️ Admin")
feedback.show_flash("admin")

#: The chosen tab is kept in the session (``key`` and ``on_change="rerun"``): the rerun
#: after adding a user or mapping a clinician code shows the same tab again, not Users.
ADMIN_TABS = ["👥 Users", "🔗 Assignments", "📜 Audit log", "🔑 Share links"]
tab_users, tab_assign, tab_audit, tab_links = st.tabs(
    ADMIN_TABS, key="admin.section", on_change="rerun", default=ADMIN_TABS[0]
)

accounts = data.users(user)
usernames = accounts["username"].astype(str).tolist()
clinicians = accounts.loc[accounts["role"] == "clinician", "username"].astype(str).tolist()
patient_ids = data.patient_ids(user)

# ------------------------------------------------------------------ users
with tab_users:
    feedback.table(
        account_table(accounts),
        key="admin.users",
        column_config={
            "Active": st.column_config.CheckboxColumn("Active"),
            "Password to change": st.column_config.CheckboxColumn("Password to change"),
            **{
                c: st.column_config.DatetimeColumn(c, format="YYYY-MM-DD HH:mm")
                for c in (
                    "Locked until (UTC)",
                    "Last sign-in (UTC)",
                    "Password set (UTC)",
                    "Created (UTC)",
                )
            },  # fmt: skip
        },
    )

    st.subheader("Add a user")
    with st.form("admin.add", clear_on_submit=False):
        c1, c2 = st.columns(2)
        with c1:
            st.text_input(
                "Username", key=ADD_FIELDS["username"],
                help="1 to 64 letters, digits, dots, dashes or underscores.",
            )  # fmt: skip
            _field_error("username")
        with c2:
            st.text_input("Name (optional)", key=ADD_FIELDS["display_name"])
            _field_error("display_name")
        c1, c2 = st.columns(2)
        with c1:
            st.selectbox(
                "Role", list(ROLE_LABELS), format_func=ROLE_LABELS.__getitem__, index=None,
                placeholder="Choose a role", key=ADD_FIELDS["role"],
            )  # fmt: skip
            _field_error("role")
        with c2:
            st.selectbox(
                "Patient (for a patient account)", patient_ids, index=None,
                placeholder="Choose a patient", key=ADD_FIELDS["patient_id"],
            )  # fmt: skip
            _field_error("patient_id")
        st.text_input(
            "Initial password", type="password", key=ADD_FIELDS["password"],
            autocomplete="new-password",
            help="The person chooses their own password at the first sign-in.",
        )  # fmt: skip
        _field_error("password")
        _field_error("")
        st.form_submit_button("Add user", type="primary", on_click=_add_user, args=(user,))

    onboarding_panel.sign_in_sheet_form(user, patient_ids, accounts)

    st.subheader("Enable, disable or unlock an account")
    who = st.selectbox(
        "Account", usernames, index=None, placeholder="Choose an account", key="admin.account.user"
    )
    if who is not None:
        row = accounts.set_index("username").loc[who]
        st.caption(f"**{shown(who)}**: {_account_state(row)}")
        sure = st.checkbox(
            f"I understand {shown(who)} can no longer sign in after Disable",
            key=f"admin.account.sure.{who}",  # a tick for one account never carries to another
            disabled=bool(row["disabled"]) or who == user.username,
        )
        c1, c2, c3 = st.columns(3)
        actions = {
            "enable": c1.button(
                "Enable", key="admin.account.enable", disabled=not row["disabled"], icon="✅"
            ),
            "disable": c2.button(
                "Disable",
                key="admin.account.disable",
                icon="⛔",
                disabled=bool(row["disabled"]) or who == user.username or not sure,
            ),  # fmt: skip
            "unlock": c3.button(
                "Unlock",
                key="admin.account.unlock",
                icon="🔓",
                disabled=pd.isna(row["locked_until"]) and not int(row["failed_count"]),
            ),  # fmt: skip
        }
        done = {
            "enable": f"Enabled {who}: they can sign in again with their password.",
            "disable": f"Disabled {who}: they can no longer sign in; their sessions ended.",
            "unlock": f"Unlocked {who}: the failed sign-ins are cleared; their password is kept.",
        }
        for action, pressed in actions.items():
            if pressed:
                try:
                    getattr(data, f"{action}_user")(user, who)
                except EXPECTED as exc:
                    feedback.show_error(exc)
                else:
                    feedback.flash("admin", done[action])
                    st.rerun()
        if who == user.username:
            st.caption("You cannot disable your own account; ask another administrator.")

    with st.form("admin.reset", clear_on_submit=True):
        st.markdown("**Reset a password**")
        reset_who = st.selectbox(
            "User", usernames, index=None, placeholder="Choose an account", key="admin.reset.user"
        )
        password = st.text_input("New password", type="password", key="admin.reset.password")
        reset = st.form_submit_button("Set password")
    if reset:
        if reset_who is None:
            st.error("Choose the user whose password to set.", icon="⚠️")
        else:
            try:
                data.set_password(user, reset_who, password)
            except EXPECTED as exc:
                feedback.show_error(exc)
            else:
                then = (
                    ""
                    if reset_who == user.username
                    else "; they choose their own at the next sign-in"
                )
                feedback.flash(
                    "admin", f"New password set for {reset_who}; their sessions ended{then}."
                )
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

    st.divider()
    onboarding_panel.clinician_code_table(user, clinicians)

# ------------------------------------------------------------------ audit log
with tab_audit:
    st.caption(
        "Who viewed or changed which patient's data, every import, export, report and "
        "sign-in, newest first. The log cannot be edited or deleted from the app."
    )
    c1, c2, c3 = st.columns(3)
    f_action = c1.selectbox(
        "Action", list(AUDIT_ACTION_LABELS), format_func=AUDIT_ACTION_LABELS.__getitem__,
        index=None, placeholder="Any action", key="admin.audit.action",
    )  # fmt: skip
    f_user = c2.selectbox(
        "User", usernames, index=None, placeholder="Anyone", key="admin.audit.user"
    )
    f_patient = c3.selectbox(
        "Patient", ["*", *patient_ids], index=None, placeholder="Any patient",
        format_func=lambda p: "All patients in reach (lists, exports)" if p == "*" else p,
        key="admin.audit.patient",
    )  # fmt: skip
    c1, c2, c3 = st.columns(3)
    f_problems = c1.toggle(
        "Denied and failed only", key="admin.audit.problems",
        help="Refused requests and failures: wrong passwords, pages or patients out of reach, "
        "failed imports.",
    )  # fmt: skip
    f_outcome = c2.selectbox(
        "Outcome", list(AUDIT_OUTCOME_LABELS), format_func=AUDIT_OUTCOME_LABELS.__getitem__,
        index=None, placeholder="Any outcome", key="admin.audit.outcome", disabled=f_problems,
    )  # fmt: skip
    f_since = c3.date_input("Since", value=None, key="admin.audit.since", format="YYYY-MM-DD")
    outcomes = ["denied", "failed"] if f_problems else None if f_outcome is None else [f_outcome]
    filters = (f_action, f_user, f_patient, f_since, tuple(outcomes or ()))
    if st.session_state.get("admin.audit.filters") != filters:
        st.session_state["admin.audit.filters"] = filters
        st.session_state["admin.audit.page"] = 0
    page = int(st.session_state.get("admin.audit.page", 0))
    since = (
        pd.Timestamp(dt.datetime.combine(f_since, dt.time()), tz="UTC")
        if f_since is not None
        else None
    )
    chosen = {
        "username": f_user, "patient_id": f_patient, "since": since, "action": f_action,
        "outcomes": outcomes,
    }  # fmt: skip
    rows = data.audit_log(
        user,
        **chosen,  # type: ignore[arg-type]
        limit=AUDIT_PAGE_SIZE + 1,  # one more tells whether a next page exists
        offset=page * AUDIT_PAGE_SIZE,
    )
    has_next = len(rows) > AUDIT_PAGE_SIZE
    rows = rows.head(AUDIT_PAGE_SIZE)
    if rows.empty:
        st.info("No audit rows match these filters.")
    else:
        feedback.table(
            rows.rename(columns=AUDIT_COLUMN_LABELS),
            key="admin.audit.table",
            column_config={
                AUDIT_COLUMN_LABELS["at"]: st.column_config.DatetimeColumn(
                    AUDIT_COLUMN_LABELS["at"], format="YYYY-MM-DD HH:mm:ss"
                ),
                AUDIT_COLUMN_LABELS["last_at"]: st.column_config.DatetimeColumn(
                    AUDIT_COLUMN_LABELS["last_at"], format="YYYY-MM-DD HH:mm:ss"
                ),
                AUDIT_COLUMN_LABELS["what"]: st.column_config.TextColumn(
                    AUDIT_COLUMN_LABELS["what"], width="large"
                ),
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
    # every matching row, not just this page; the download itself is recorded as an export
    st.download_button(
        "Download these rows (CSV)",
        data.audit_csv_callable(user, **chosen),  # type: ignore[arg-type]
        file_name=f"paindiary-audit-{dt.datetime.now(dt.UTC):%Y-%m-%d}.csv",
        mime="text/csv",
        key="admin.audit.download",
        icon="⬇️",
        on_click="ignore",
        disabled=rows.empty,
    )

# ------------------------------------------------------------------ share links
with tab_links:
    links = data.active_share_links(user)
    revoke = share_link_review.active_links_panel(links, key="admin.links")
    if revoke is not None and revoke not in set(links["link_id"].astype(int)):
        st.info("That link stopped working meanwhile (expired or revoked).", icon="🔗")
    elif revoke is not None:
        link = links.set_index("link_id").loc[revoke]
        try:
            data.revoke_share_link(user, revoke, purpose=PAGE)
        except EXPECTED as exc:
            feedback.show_error(exc)
        else:
            feedback.flash(
                "admin",
                f"Revoked the share link to {shown(link['patient_id'])} made by "
                f"{shown(creator_label(link['created_by']))}: it no longer opens.",
            )
            st.rerun()
