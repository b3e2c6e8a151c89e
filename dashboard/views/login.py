"""Sign in: username and password (or single sign-on), the first page of the app.

The error after a failed sign-in is the library's, and never says whether the
username exists. While the database is the demo clinic, the demo accounts and
their passwords are listed below the form.
"""

from __future__ import annotations

from dashboard import widgets

widgets.login_form()
