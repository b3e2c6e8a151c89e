"""Sign in: username and password (or single sign-on), the first page of the app.

The error after a failed sign-in is the library's, and never says whether the
username exists. While the database is the demo clinic, the demo accounts and
their passwords are listed below the form. The router also shows :func:`page` at
every other address while nobody is signed in.
"""

from __future__ import annotations

import streamlit as st

from dashboard.components.feedback import table

__all__ = ["SIGN_IN_UNAVAILABLE", "page"]

#: Shown by the router to anyone but an administrator when the database cannot be read
#: (a full disk, a server down): a visitor learns nothing about the server.
SIGN_IN_UNAVAILABLE = (
    "Signing in is not possible right now: the clinic's database cannot be reached. "
    "Try again in a few minutes; if it keeps happening, tell the clinic's administrator."
)


def page() -> None:
    """Show the sign-in page: username and password (or single sign-on), demo accounts.

    The error after a failed sign-in is the library's, and never says whether the
    username exists. While the database is the demo clinic, the demo accounts and
    their passwords are listed below the form.
    """
    from analytics.errors import AuthenticationError
    from dashboard import data, session

    st.title("🩺 Pain diary")
    notice = session.pop_notice()
    if notice:
        st.info(notice, icon="🔒")

    if session.sso_enabled():
        st.button(
            "Sign in with your organisation's account",
            type="primary",
            key="login.sso",
            on_click=session.login_sso,
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
                session.login(username.strip(), password)
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
            # password second, so that it is visible on a phone without scrolling sideways
            table(
                demo[["username", "password", "role"]],
                key="login.demo",
                column_config={
                    "username": st.column_config.TextColumn("Username"),
                    "password": st.column_config.TextColumn("Password"),
                    "role": st.column_config.TextColumn("Role"),
                },
            )


if __name__ == "__main__":  # run by Streamlit as the page script
    page()
