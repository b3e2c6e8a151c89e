"""Shared summary: what a share link opens, without signing in (one patient, read-only)."""

from __future__ import annotations

from dashboard import sharing

sharing.share_page()
