"""Account: who is signed in, change the password, sign out."""

from __future__ import annotations

import streamlit as st

from analytics.errors import AccessDeniedError, AuthenticationError, DataValidationError
from dashboard import data, state, widgets

PAGE = "Account"
user = state.user()
st.title("👤 Account")
widgets.show_flash("account")

with st.container(border=True):
    st.markdown(f"**{widgets.escape_md(user.display_name or user.username)}**")
    st.caption(
        f"Username {widgets.escape_md(user.username)} · role {user.role}"
        + (f" · patient {widgets.escape_md(user.patient_id)}" if user.patient_id else "")
    )

st.subheader("Change your password")
with st.form("account.password", clear_on_submit=True):
    current = st.text_input(
        "Current password", type="password", key="account.current", autocomplete="current-password"
    )
    new = st.text_input(
        "New password", type="password", key="account.new", autocomplete="new-password"
    )
    again = st.text_input(
        "New password again", type="password", key="account.again", autocomplete="new-password"
    )
    submitted = st.form_submit_button("Change password", type="primary")

if submitted:
    if new != again:
        st.error("The two new passwords differ. Type the same new password twice.", icon="⚠️")
    elif not state.password_ok(user.username, current):
        st.error("The current password is wrong.", icon="⚠️")
    else:
        try:
            data.set_password(user, user.username, new, purpose=PAGE)
        except (DataValidationError, AccessDeniedError, ValueError) as exc:
            widgets.show_error(exc)
        else:
            # the change ended every session of this account, this one too: start afresh
            try:
                state.login(user.username, new)
            except AuthenticationError:
                state.logout()
                st.rerun()
            widgets.flash(
                "account", "Password changed. Your other sessions (other devices) are signed out."
            )
            st.rerun()

st.subheader("Sign out")
st.caption(
    f"You are signed out automatically after {state.IDLE_MINUTES} minutes without activity. "
    "On a shared computer, sign out when you are done."
)
if st.button("Sign out", key="account.logout", icon="🚪"):
    state.logout()
    st.rerun()
