"""QR codes of share links, drawn locally with segno (no network)."""

from __future__ import annotations

import io

__all__ = ["qr_png", "qr_svg"]


def _check(text: str, name: str) -> None:
    if not isinstance(text, str) or not text:
        raise ValueError(
            f"The 'text' parameter of {name} must be a non-empty str. Got {text!r} instead."
        )


def qr_png(text: str, *, scale: int = 6) -> bytes:
    r"""Draw a QR code of ``text`` as PNG bytes (error correction level M, 2-module border).

    Examples
    --------
    >>> qr_png("https://example.org")[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    import segno

    _check(text, "qr_png")
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


def qr_svg(text: str, *, scale: int = 4) -> str:
    """Draw a QR code of ``text`` as an SVG document (no XML declaration)."""
    import segno

    _check(text, "qr_svg")
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=scale, border=2, xmldecl=False)
    return out.getvalue().decode("utf-8")
