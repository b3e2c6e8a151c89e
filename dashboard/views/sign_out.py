"""Sign out: end the sign-in session (revoked in the database), then open the sign-in form.

The top row's last link opens this page; it shows nothing of its own.
"""

from __future__ import annotations

import streamlit as st

from dashboard import session

session.logout()
st.switch_page("views/login.py")
