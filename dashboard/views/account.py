"""Account: who is signed in, change the password, sign out."""

from __future__ import annotations

import streamlit as st

from analytics.errors import AccessDeniedError, AuthenticationError, DataValidationError
from dashboard import data, navigation, session
from dashboard.components import feedback
from dashboard.text import shown

PAGE = "Account"
user = navigation.user()
st.title("👤 Account")
feedback.show_flash("account")

with st.container(border=True):
    st.markdown(f"**{shown(user.display_name or user.username)}**")
    if user.role == "patient":
        st.caption(f"Username {shown(user.username)} · your diary: {shown(user.patient_id)}")
    else:
        st.caption(f"Username {shown(user.username)} · role {user.role}")

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
    elif not session.password_ok(user.username, current):
        st.error("The current password is wrong.", icon="⚠️")
    else:
        try:
            data.set_password(user, user.username, new, purpose=PAGE)
        except (DataValidationError, AccessDeniedError, ValueError) as exc:
            feedback.show_error(exc)
        else:
            # the change ended every session of this account, this one too: start afresh
            try:
                session.login(user.username, new)
            except AuthenticationError:
                session.logout()
                st.rerun()
            feedback.flash(
                "account", "Password changed. Your other sessions (other devices) are signed out."
            )
            st.rerun()

st.subheader("Sign out")
st.caption(
    f"You are signed out automatically after {session.IDLE_MINUTES} minutes without activity. "
    "On a shared computer, sign out when you are done."
)
if st.button("Sign out", key="account.logout", icon="🚪"):
    session.logout()
    st.rerun()
