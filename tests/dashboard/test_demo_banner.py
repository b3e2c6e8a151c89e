"""Every page of the demo clinic says it is the demo; a clinic's pages do not."""

from __future__ import annotations

import pytest

from analytics.store import open_store
from dashboard.labels import DEMO_BANNER

from .conftest import open_page


def _banners(at) -> list[str]:
    return [i.value for i in at.info if i.value == DEMO_BANNER]


@pytest.mark.parametrize(
    ("page", "user"),
    [
        ("views/clinic_overview.py", "admin"),
        ("views/admin.py", "admin"),
        ("views/log_today.py", "p001"),
    ],
)
def test_the_demo_says_so_on_every_page(demo_db: str, page: str, user: str) -> None:
    with open_store(demo_db) as store:
        store.set_setting("test", "demo", "true")
    at = open_page(page, user=user)
    assert not at.exception
    assert _banners(at) == [DEMO_BANNER]


def test_a_clinic_database_shows_no_demo_banner(demo_db: str) -> None:
    at = open_page("views/clinic_overview.py", user="admin")  # no demo marker: a clinic
    assert not at.exception
    assert _banners(at) == []
