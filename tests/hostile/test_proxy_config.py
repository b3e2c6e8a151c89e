"""What the app cannot do itself, the documented proxy does: the configs say so line by line.

Streamlit sends no HTTP headers of the app's choosing, so framing, the XSRF cookie's
``Secure`` flag and the upload size limit are the proxy's job (docs/operations.md,
"Serving phones on the clinic network"). A clinic copies those two configurations as
they are; these tests keep every protective line in both, and the upload limit equal to
the app's own ``server.maxUploadSize``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from dashboard import session

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
CONFIG = tomllib.loads((ROOT / "dashboard" / ".streamlit" / "config.toml").read_text())


def _block(language: str) -> list[str]:
    """The lines of the one fenced ``language`` block of operations.md, comments removed."""
    blocks = re.findall(rf"```{language}\n(.*?)```", OPERATIONS, flags=re.S)
    assert len(blocks) == 1, f"operations.md has {len(blocks)} {language} blocks, not one"
    return [line.split("#", 1)[0].strip() for line in blocks[0].splitlines()]


CADDY = _block("caddyfile")
NGINX = _block("nginx")
UPLOAD_MB = int(CONFIG["server"]["maxUploadSize"])


@pytest.mark.parametrize(
    "lines,expected",
    [
        (CADDY, "header Content-Security-Policy \"frame-ancestors 'none'\""),
        (CADDY, "header X-Frame-Options DENY"),
        (CADDY, 'header >Set-Cookie "^(.*)$" "${1}; Secure"'),
        (CADDY, f"max_size {UPLOAD_MB}MB"),
        (NGINX, "add_header Content-Security-Policy \"frame-ancestors 'none'\" always;"),
        (NGINX, "add_header X-Frame-Options DENY always;"),
        (NGINX, 'add_header Strict-Transport-Security "max-age=31536000" always;'),
        (NGINX, "proxy_cookie_flags ~ secure samesite=strict;"),
        (NGINX, f"client_max_body_size {UPLOAD_MB}m;"),
        (NGINX, "limit_req zone=uploads burst=6 nodelay;"),
        (NGINX, "client_max_body_size 1m;"),
    ],
)
def test_each_protective_line_is_in_the_documented_proxy(lines: list[str], expected: str) -> None:
    assert expected in lines


def test_the_upload_limit_of_the_proxy_is_the_only_place_a_body_is_larger_than_a_megabyte() -> None:
    # nginx: 1 MB everywhere, the app's upload limit only on the upload endpoint
    upload = NGINX.index("location /_stcore/upload_file/ {")
    assert NGINX[upload + 1] == f"client_max_body_size {UPLOAD_MB}m;"
    sizes = [line for line in NGINX if line.startswith("client_max_body_size")]
    assert sizes == ["client_max_body_size 1m;", f"client_max_body_size {UPLOAD_MB}m;"]


def test_the_dashboard_s_own_cookie_is_secure_over_https_and_strict() -> None:
    js = session._COOKIE_JS
    assert 'window.location.protocol === "https:" ? "; Secure" : ""' in js
    assert '"; SameSite=Strict" + secure' in js
