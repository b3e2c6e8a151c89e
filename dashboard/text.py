"""Stored text is data, never markup: the one escaping rule of the dashboard.

Anything a person typed — a patient's group, condition, clinician, practitioner,
notes, an uploaded file's name — is passed through :func:`shown` at the point it
is put on the page, with the kind of place it goes to:

``"markdown"`` (``st.markdown``, captions, alerts, titles, widget labels)
    Every ASCII punctuation character is backslash-escaped, which CommonMark
    renders as the character itself: no link ``[..](..)``, image ``![..](..)``,
    autolink, emphasis, heading, list, table, HTML, Streamlit colour or icon
    directive (``:red[..]``, ``:material/..:``), emoji shortcode or ``$`` maths
    can start. Escapes do not stop GitHub-style autolinks (``http://...``,
    ``www.``, ``name@host``), which Streamlit finds in the text after parsing, so
    an invisible WORD JOINER (U+2060) is put before every ``:``, ``.`` and ``@``:
    the text looks the same and no link is made. Line breaks become spaces, so
    the text stays inside the sentence it was placed in.
``"chart"`` (plotly titles, axis and tick labels, legend names, hover text)
    ``&``, ``<`` and ``>`` become entities, so plotly's pseudo-HTML (``<a href>``,
    ``<img>``, ``<span style>``, ``<br>``) shows as text.
``"table"`` (``st.dataframe`` cells, select-box options)
    Shown as plain text by Streamlit already; only the invisible-character rule
    below applies.

In every kind, invisible characters that could disguise the text — controls,
zero-width characters, bidirectional overrides, byte-order marks — are written
as escapes (:func:`analytics.safe_text.visible`); line breaks are kept in tables.

The module is pure (no streamlit import) so the rule is unit-tested on strings.
"""

from __future__ import annotations

import html
import re
import string
from typing import Any, Literal

import pandas as pd

from analytics.safe_text import mask_secrets, visible

__all__ = ["shown", "shown_error", "Where", "NO_LINK"]

Where = Literal["markdown", "chart", "table"]

_MD_SPECIAL = re.compile("([" + re.escape(string.punctuation) + "])")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029]")
#: Zero-width, no break: splits "http://", "www." and "a@b" so no autolink matches.
NO_LINK = "\u2060"
_LINK_PUNCTUATION = re.compile(r"\\([:.@])")


def _text(value: Any) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and value != value:  # NaN
        return ""
    return str(value)


def shown(value: Any, where: Where = "markdown") -> str:
    r"""``value`` (stored text) made safe to show in ``where``; missing values as ``""``.

    Parameters
    ----------
    value : object
        The stored value; it is converted with ``str``.
    where : {"markdown", "chart", "table"}, default "markdown"
        Where the text is shown (see the module notes).

    Returns
    -------
    str

    Examples
    --------
    >>> shown("![g](leak.png) :red[x]")
    '\\!\\[g\\]\\(leak\u2060\\.png\\) \u2060\\:red\\[x\\]'
    >>> shown('<a href="http://x">A</a>', "chart")
    '&lt;a href=&quot;http://x&quot;&gt;A&lt;/a&gt;'
    """
    text = _text(value)
    if where == "table":
        return visible(text, keep="\n")
    if where == "chart":
        return html.escape(visible(_LINE_BREAKS.sub(" ", text)), quote=True)
    if where == "markdown":
        escaped = _MD_SPECIAL.sub(r"\\\1", visible(_LINE_BREAKS.sub(" ", text)))
        return _LINK_PUNCTUATION.sub(NO_LINK + r"\\\1", escaped)
    raise ValueError(
        f"The 'where' parameter of shown must be a str among {{'markdown', 'chart', 'table'}}. "
        f"Got {where!r} instead."
    )


def shown_error(exc: BaseException) -> str:
    """Return the first line of an error's message for an error box: secrets masked, text escaped."""
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return shown(mask_secrets(message))
