"""The Share links tab of the Admin page: the clinic's active links in words, by creator,
each one revocable (through the service, recorded), and a clear empty state."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analytics.access import LOCAL_OPERATOR, user_from_record
from analytics.errors import AuthenticationError
from analytics.presentation import SHARE_LINK_COLUMN_LABELS
from analytics.service import Service
from analytics.store import open_store
from dashboard.components.share_link_review import EMPTY
from dashboard.text import shown

from .conftest import open_page

TAB = "🔑 Share links"
PICK, REVOKE = "admin.links.pick", "admin.links.revoke"


def _create(url: str, username: str, patient_id: str, days: int = 7) -> str:
    """A share link made by ``username`` through the service; its token."""
    with open_store(url) as store:
        record = store.user_record(username)
        assert record is not None
        service = Service(store, user_from_record(record), face="test")
        return service.create_share_link(patient_id, days=days)


def _links(url: str) -> pd.DataFrame:
    with open_store(url) as store:
        return store.share_links("test")


def _audit(url: str, action: str) -> pd.DataFrame:
    with open_store(url) as store:
        log = store.audit_log("test")
    return log[log["action"] == action]


def _tab(user: str = "admin"):
    at = open_page("views/admin.py", user=user)
    at.session_state["admin.section"] = TAB
    at.run()
    assert not at.exception, at.exception
    return at


def _links_table(at) -> pd.DataFrame:
    tables = [
        d.value
        for d in at.dataframe
        if list(d.value.columns) == [*SHARE_LINK_COLUMN_LABELS.values()]
    ]
    assert len(tables) == 1
    return tables[0]


def test_the_tab_lists_the_active_links_in_words_by_creator(demo_db):
    tokens = [_create(demo_db, "p003", "P003"), _create(demo_db, "dr.a", "P001")]
    with open_store(demo_db) as store:
        Service(store, LOCAL_OPERATOR, face="test").create_share_link("P040", days=3)
    at = _tab()
    table = _links_table(at)
    assert list(table.columns) == ["Made by", "Patient", "Made on (UTC)", "Expires (UTC)"]
    operator = LOCAL_OPERATOR.username.removeprefix("local:") + " (operator of this machine)"
    assert table[["Made by", "Patient"]].values.tolist() == [
        ["dr.a", "P001"],
        [operator, "P040"],
        ["p003", "P003"],
    ]
    options = at.selectbox(key=PICK).options
    assert len(options) == 3
    assert options[0].startswith("P001, made by dr.a on ") and options[0].endswith("(UTC)")
    with open_store(demo_db) as store:
        stored = [store.share_link(link_id=int(i)) for i in _links(demo_db)["link_id"]]
    secrets = [*tokens, *(str(link["token_hash"]) for link in stored if link is not None)]
    shown_text = "\n".join(
        [table.to_csv(), *options, *(str(c.value) for c in [*at.caption, *at.markdown])]
    )
    assert len(secrets) == 5 and not [t for t in secrets if t in shown_text]


def test_revoke_revokes_the_chosen_link_says_so_and_the_list_updates(demo_db):
    token = _create(demo_db, "dr.a", "P003")
    [link_id] = _links(demo_db)["link_id"].tolist()
    at = _tab()
    assert at.button(key=REVOKE).disabled  # nothing chosen yet
    at.selectbox(key=PICK).set_value(link_id).run()
    at.button(key=REVOKE).click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == [
        f"Revoked the share link to {shown('P003')} made by {shown('dr.a')}: it no longer opens."
    ]
    assert EMPTY in [i.value for i in at.info]
    assert pd.notna(_links(demo_db).set_index("link_id").loc[link_id, "revoked_at"])
    revokes = _audit(demo_db, "share_revoke")
    assert revokes[["username", "outcome", "patient_id", "face"]].values.tolist() == [
        ["admin", "ok", "P003", "dashboard:Admin"]
    ]
    assert json.loads(revokes["detail"].iloc[0])["link_id"] == link_id
    with open_store(demo_db) as store, pytest.raises(AuthenticationError, match="not valid"):
        Service.for_share_link(store, token)


def test_the_tab_says_when_no_link_is_active(demo_db):
    at = _tab()
    assert EMPTY in [i.value for i in at.info]
    assert PICK not in [s.key for s in at.selectbox]
    assert REVOKE not in [b.key for b in at.button]


def test_after_a_revoke_the_choice_is_empty_and_the_other_links_stay(demo_db):
    _create(demo_db, "dr.a", "P003")
    _create(demo_db, "dr.a", "P004")
    first, second = _links(demo_db)["link_id"].tolist()
    at = _tab()
    at.selectbox(key=PICK).set_value(first).run()
    at.button(key=REVOKE).click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key=PICK).value is None  # the revoked link is not shown as chosen
    assert at.selectbox(key=PICK).options == [at.selectbox(key=PICK).format_func(second)]
    assert at.button(key=REVOKE).disabled
