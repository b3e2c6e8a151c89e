"""The questionnaire definitions load, and a broken definition is refused in sentences."""

from __future__ import annotations

import json

import pytest

from analytics.contract import INSTRUMENTS, load_instrument
from analytics.errors import DataValidationError


def test_shipped_instruments_cover_the_three_immpact_domains():
    domains = {instrument.domain for instrument in INSTRUMENTS.values()}
    assert domains == {
        "physical functioning",
        "emotional functioning",
        "global impression of change",
        "headache frequency",
    }
    for instrument in INSTRUMENTS.values():
        assert instrument.licence and instrument.source
        for score in instrument.scores:
            assert set(score.items) <= {item.id for item in instrument.items}


def test_phq4_carries_its_verified_loinc_codes():
    phq4 = INSTRUMENTS["phq4"]
    # US Core PHQ-9 example (44250-9, 44255-8) and HL7 PGHD GAD-7 example (69725-0, 68509-9).
    assert [item.loinc for item in phq4.items] == ["69725-0", "68509-9", "44250-9", "44255-8"]
    assert phq4.item("down").values == (0, 1, 2, 3)


def test_headache_days_counts_days_in_four_weeks_for_headache_conditions_only():
    days = INSTRUMENTS["headache_days"]
    assert days.conditions == ("migraine", "tension_type_headache")
    assert [item.count for item in days.items] == [True, True]
    assert days.item("headache_days").values == tuple(range(29))  # 0-28 days
    (score, _) = days.scores
    assert score.responder_reduction_pct == 50  # IHS guidelines: >= 50 % fewer days
    assert [(b.low, b.high) for b in score.bands] == [(0, 14), (15, 28)]  # ICHD-3: 15+ chronic
    assert all(not i.conditions for k, i in INSTRUMENTS.items() if k != "headache_days")


def test_a_broken_definition_names_each_problem(tmp_path):
    path = tmp_path / "bad.json"
    definition = json.loads(
        json.dumps({"id": "Bad Id", "name": "x", "short_name": "x", "domain": "mood"})
    )
    definition.update(
        source="s",
        licence="l",
        intro="i",
        version="one",
        conditions="migraine",
        items=[
            {"id": "a", "text": "A", "options": "missing"},
            {"id": "c", "text": "C", "options": {"from": 5, "to": 2}},
        ],
    )
    definition["scores"] = [
        {"id": "s", "label": "S", "rule": "median", "items": ["b"], "better": "up"}
    ]
    path.write_text(json.dumps(definition), encoding="utf-8")
    with pytest.raises(DataValidationError) as caught:
        load_instrument(path)
    message = str(caught.value)
    for expected in (
        "bad.json",
        "'domain' must be one of",
        "option set 'missing'",
        "'rule' must be one of",
        "'better' must be",
        "'items' must list item ids",
        "'id' must be lower-case",
        "'version' must be text such as 1",
        "'conditions' must be a list of condition codes",
        "item 2: a count's 'options' must be",
    ):
        assert expected in message


def test_a_file_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(DataValidationError, match="cannot be read as JSON"):
        load_instrument(path)


def test_data_format_documents_questionnaires_csv_as_the_contract_defines_it():
    from pathlib import Path

    from analytics.contract import QUESTIONNAIRES

    doc = (Path(__file__).resolve().parents[2] / "docs" / "data-format.md").read_text()
    section = doc.split("## questionnaires.csv")[1].split("\n## ")[0]
    documented = [line.split("`")[1] for line in section.splitlines() if line.startswith("| `")]
    assert documented == QUESTIONNAIRES.column_names
    for instrument in INSTRUMENTS.values():
        assert f"`{instrument.id}`" in section
        for item in instrument.items:
            assert f"`{item.id}`" in section
