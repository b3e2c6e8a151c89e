r"""Safe text for messages: what a reader cannot see is shown, what they must not see is masked.

Two rules, used by every message paindiary prints or shows:

* :func:`visible` writes every character a reader would not see as itself —
  control characters (terminal escapes included), byte-order marks, zero-width
  and other format characters, bidirectional overrides, unusual spaces and line
  separators — as a Python-style escape (``\x1b``, ``\ufeff``, ``\u202e``),
  so ``found: \ufeffpatient_id`` shows why ``patient_id`` was not found and a
  value cannot move the cursor, recolour the terminal or reverse the text.
* :func:`mask_secrets` replaces the password of every database URL form — the
  ``user:password@`` part, a ``?password=`` (or ``pwd``, ``token``, ...)
  parameter, a libpq ``password=...`` keyword — with ``***``.

:func:`hidden_characters` names the invisible characters and the non-ASCII
letters that pass for ASCII ones (a Cyrillic ``а`` in ``pаtient_id``), for
messages about text that must be plain ASCII such as column names and ids.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["visible", "mask_secrets", "safe_message", "hidden_characters", "plain_form", "MASK"]

#: What a masked secret is replaced with (SQLAlchemy's own choice).
MASK = "***"

_SHORT_ESCAPES = {"\t": "\\t", "\r": "\\r", "\n": "\\n"}

# user:password@ inside scheme://...; the password runs to the last '@' before a space
_USERINFO_RE = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s/@:'\"]*:)[^\s'\"]*(?=@)")
# key=value secrets: URL query parameters and libpq keyword/value connection strings
_SECRET_KEYS = (
    "password|passwd|pwd|pass|sslpassword|secret|client_secret|token|access_token|"
    "auth_token|api_key|apikey|sslkey"
)
_KEYVALUE_RE = re.compile(
    rf"(?P<head>(?<![A-Za-z0-9_])(?:{_SECRET_KEYS})\s*=\s*)"
    # a bare value stops at a separator; a ':' or '.' ending it belongs to the sentence
    r"(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^\s&;'\",)]*[^\s&;'\",):.])",
    re.IGNORECASE,
)

# Letters of other scripts that look exactly like ASCII letters (Unicode confusables, the
# common subset seen in pasted text); compatibility forms (fullwidth, ligatures) are found
# by NFKC normalisation instead.
_CONFUSABLES = dict(
    zip(
        "АВЕКМНОРСТХЅІЈаеорсухѕіјԁһӏԛԝΑΒΕΖΗΙΚΜΝΟΡΤΥΧορνϲ",
        "ABEKMHOPCTXSIJaeopcyxsijdhlqwABEZHIKMNOPTYXopvc",
        strict=True,
    )
)


def _escape(ch: str) -> str:
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    cp = ord(ch)
    if cp <= 0xFF:
        return f"\\x{cp:02x}"
    if cp <= 0xFFFF:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def visible(text: str, *, keep: str = "") -> str:
    r"""``text`` with every invisible or control character written as an escape.

    A character is escaped when :meth:`str.isprintable` says it is not printable:
    C0 and C1 controls (ESC of terminal codes, CR, TAB, DEL), format characters
    (BOM, zero-width space and joiners, bidirectional embeddings and overrides,
    tag characters), separators other than the ASCII space (no-break and other
    Unicode spaces, line and paragraph separators), surrogates, private-use and
    unassigned code points. Printable text, backslashes included, is unchanged.

    Parameters
    ----------
    text : str
    keep : str, default ""
        Characters left as they are (``"\n"`` for a multi-line message).

    Examples
    --------
    >>> visible("\ufeffpatient_id")
    '\\ufeffpatient_id'
    >>> visible("P1\x1b[31m")
    'P1\\x1b[31m'
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch in keep else _escape(ch) for ch in text)


def mask_secrets(text: str) -> str:
    """``text`` with the password of every database URL (and similar secrets) as ``***``.

    Masks ``scheme://user:SECRET@host``, ``?password=SECRET`` / ``&pwd=SECRET`` (and
    ``token``, ``api_key``, ``sslpassword``, ...) and libpq keyword strings
    (``host=db password='SECRET'``), wherever they appear in the text.

    Examples
    --------
    >>> mask_secrets("postgresql://ana:s3cret@db/clinic?sslmode=require&password=x")
    'postgresql://ana:***@db/clinic?sslmode=require&password=***'
    """
    text = _USERINFO_RE.sub(lambda m: m["head"] + MASK, text)
    return _KEYVALUE_RE.sub(lambda m: m["head"] + MASK, text)


def safe_message(text: str, *, keep: str = "\n") -> str:
    """Make a message fit to print or show: secrets masked, invisible characters escaped."""
    return visible(mask_secrets(text), keep=keep)


def _lookalike(ch: str) -> str | None:
    like = _CONFUSABLES.get(ch)
    if like is None:
        norm = unicodedata.normalize("NFKC", ch)
        like = norm if norm.isascii() and norm.isprintable() and norm.strip() else None
    return like


def hidden_characters(text: str) -> list[str]:
    """Describe the characters of ``text`` a reader cannot tell apart from plain ASCII.

    One phrase per distinct character: invisible ones (BOM, zero-width, controls,
    unusual spaces) and non-ASCII letters that pass for ASCII ones (a Cyrillic
    ``а`` in ``pаtient_id``, fullwidth letters). Empty when there are none.

    Examples
    --------
    >>> hidden_characters("p\u0430tient_id\u200b")
    ["U+0430 CYRILLIC SMALL LETTER A (looks like 'a')", 'U+200B ZERO WIDTH SPACE (invisible)']
    """
    found: list[str] = []
    for ch in dict.fromkeys(text):
        if ch.isascii() and ch.isprintable():
            continue
        code = f"U+{ord(ch):04X}"
        name = unicodedata.name(ch, "")
        if not ch.isprintable():
            kind = "control character" if unicodedata.category(ch) == "Cc" else "invisible"
            found.append(f"{code} {name} ({kind})" if name else f"{code} ({kind})")
        elif (like := _lookalike(ch)) is not None:
            found.append(f"{code} {name} (looks like '{like}')")
    return found


def plain_form(text: str) -> str:
    """``text`` as a reader sees it: invisible characters dropped, look-alikes made ASCII.

    Examples
    --------
    >>> plain_form("\ufeffp\u0430tient_id")
    'patient_id'
    """
    out = []
    for ch in text:
        if ch.isascii() and ch.isprintable():
            out.append(ch)
        elif ch.isprintable():
            out.append(_lookalike(ch) or ch)
        elif ch.isspace():
            out.append(" ")
    return "".join(out)
