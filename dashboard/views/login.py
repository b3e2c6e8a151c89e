"""Sign in: username and password (or single sign-on), the first page of the app.

The error after a failed sign-in is the library's, and never says whether the
username exists. While the database is the demo clinic, the demo accounts and
their passwords are listed below the form. The router also shows :func:`page` at
every other address while nobody is signed in.

:func:`choose_password` is the one page of a person whose password an administrator
set, at every address, until they choose their own (the service refuses them
everything else meanwhile).

:func:`first_sign_in` is the page a first sign-in link opens (``/?invite=TOKEN``, from
a sign-in sheet): the patient chooses a password, the link is spent, and they are
signed in. A used, replaced or expired link is refused in a sentence that says what
to do.
"""

from __future__ import annotations

import streamlit as st

from analytics.access import User
from dashboard.components.feedback import table
from dashboard.text import shown

__all__ = ["SIGN_IN_UNAVAILABLE", "page", "choose_password", "first_sign_in"]

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

    invite = st.query_params.get("invite")
    if invite:
        first_sign_in(str(invite))
        return
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


def choose_password(user: User) -> None:
    """Show "Choose a new password": the only page until the person sets their own.

    The password the administrator gave is asked for again (an unattended session
    cannot take the account over), the new one twice. The service checks the rules
    and that the new password is not the one given, and clears the request; the new
    password then starts a fresh session and the page the address names opens.

    Parameters
    ----------
    user : analytics.access.User
        The signed-in user, whose ``must_change_password`` is set.
    """
    from analytics.errors import AccessDeniedError, AuthenticationError, NotFoundError
    from dashboard import data, session
    from dashboard.components import feedback

    st.title("🔑 Choose a new password")
    st.info(
        "An administrator set your password. Choose your own to continue: nobody else will "
        "know it. A few unrelated words make a good one.",
        icon="🔒",
    )
    with st.form("first.password", clear_on_submit=False, enter_to_submit=True):
        given = st.text_input(
            "Password you were given", type="password", key="first.given",
            autocomplete="current-password",
        )  # fmt: skip
        new = st.text_input(
            "New password", type="password", key="first.new", autocomplete="new-password"
        )
        again = st.text_input(
            "New password again", type="password", key="first.again", autocomplete="new-password"
        )
        submitted = st.form_submit_button("Save my password", type="primary")
    if submitted:
        if not new:
            st.error("Enter a new password.", icon="⚠️")
        elif new != again:
            st.error("The two new passwords differ. Type the same new password twice.", icon="⚠️")
        elif not session.password_ok(user.username, given):
            st.error("The password you were given is not this one; type it again.", icon="⚠️")
        else:
            try:
                data.set_password(user, user.username, new, purpose="Choose a new password")
            except (AccessDeniedError, NotFoundError, ValueError) as exc:
                feedback.show_error(exc)
            else:
                try:  # the change ended every session of this account, this one too
                    session.login(user.username, new)
                except AuthenticationError:
                    session.logout()
                st.rerun()
    if st.button("Sign out", key="first.logout", icon="🚪"):
        session.logout()
        st.rerun()


def _leave_invite() -> None:
    """Forget the link's token in the address: the sign-in page (or the home page) follows."""
    st.query_params.pop("invite", None)


def first_sign_in(token: str) -> None:
    """Show "Choose your password" for a first sign-in link; sign the patient in with it.

    Parameters
    ----------
    token : str
        The link's token (the ``invite`` query parameter).
    """
    from analytics.errors import AuthenticationError
    from dashboard import data, session

    st.title("🩺 Welcome to your pain diary")
    try:
        username = data.invite_account(token)
    except AuthenticationError as exc:
        st.error(str(exc), icon="⚠️")
        st.button("Go to the sign-in page", key="invite.leave", on_click=_leave_invite)
        return
    st.markdown(
        f"Your username is **{shown(username)}**. Choose a password of your own: at least "
        "8 characters; a few unrelated words make a good one. You sign in with it from now on."
    )
    with st.form("invite.form", clear_on_submit=False, enter_to_submit=True):
        new = st.text_input(
            "Choose a password", type="password", key="invite.new", autocomplete="new-password"
        )
        again = st.text_input(
            "The same password again", type="password", key="invite.again",
            autocomplete="new-password",
        )  # fmt: skip
        submitted = st.form_submit_button("Save my password and sign in", type="primary")
    if not submitted:
        return
    if not new:
        st.error("Enter a password.", icon="⚠️")
    elif new != again:
        st.error("The two passwords differ. Type the same password twice.", icon="⚠️")
    else:
        try:
            data.accept_invite(token, new)
        except (AuthenticationError, ValueError) as exc:
            st.error(str(exc), icon="⚠️")
            return
        try:
            session.login(username, new)
        except AuthenticationError as exc:
            st.error(str(exc), icon="⚠️")
            return
        _leave_invite()
        st.rerun()


if __name__ == "__main__":  # run by Streamlit as the page script
    page()
