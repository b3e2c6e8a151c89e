"""A patient's pages in plain words: no acronym and no statistical shorthand anywhere a
patient reads, and a waiting-list patient compared since joining, without a verdict."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf.message import Message

from .conftest import open_page

#: Abbreviations a patient should never have to decode (PDF stays: it names a file type
#: everyone knows).
ACRONYMS = (
    "IMMPACT", "CI", "FHIR", "R4", "PEG", "MME", "NRS", "JSON", "MCID", "CPRA", "ITS",
    "NAP", "NNT", "LOINC", "SNOMED", "STRICTA", "HIPAA", "EA", "SD", "IQR", "Visit-12",
)  # fmt: skip
_ACRONYM = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, ACRONYMS)) + r")(?![\w-])")
_VISIT_12 = re.compile(r"visit[- ]12", re.IGNORECASE)

#: Fields of an element's message that are not text a person reads.
_NOT_TEXT = {"id", "form_id", "spec", "config", "theme", "url", "data", "key", "element_hash"}
#: Elements whose message is not read as text: charts (built by the chart modules,
#: checked there) and the session-cookie component (script source, never shown).
_NOT_READ = {"plotly_chart", "component_instance", "html"}

PATIENT_PAGES = [
    "views/log_today.py",
    "views/my_progress.py",
    "views/history.py",
    "views/account.py",
]


def _strings(message: Message) -> Iterator[str]:
    for field, value in message.ListFields():
        if field.name in _NOT_TEXT:
            continue
        for item in value if field.is_repeated else [value]:
            if isinstance(item, Message):
                yield from _strings(item)
            elif isinstance(item, str):
                yield item


def visible_text(node: Any) -> str:
    """Every string a person can read on the page (labels, help, options, table headers)."""
    parts: list[str] = []
    proto = getattr(node, "proto", None)
    if isinstance(proto, Message) and getattr(node, "type", "") not in _NOT_READ:
        parts.extend(_strings(proto))
    if getattr(node, "type", "") == "arrow_data_frame":
        parts.extend(map(str, node.value.columns))
    for child in getattr(node, "children", {}).values():
        parts.append(visible_text(child))
    return "\n".join(p for p in parts if p)


def acronyms_in(text: str) -> set[str]:
    return set(_ACRONYM.findall(text)) | set(_VISIT_12.findall(text))


def test_the_acronym_check_finds_what_it_should():
    assert acronyms_in("About 30% (IMMPACT). 95% CI 0.2 to 0.8; Prepare FHIR R4 bundle (JSON)") == {
        "IMMPACT", "CI", "FHIR", "R4", "JSON"
    }  # fmt: skip
    assert acronyms_in("Prepare Visit-12 report; opioid dose (MME); PEG score") == {
        "Visit-12", "MME", "PEG"
    }  # fmt: skip
    assert not acronyms_in("Report for my doctor (PDF) · CIRCLE · mcg/h · its · Sessions")


@pytest.mark.parametrize("page", PATIENT_PAGES)
def test_no_acronym_on_a_patients_page(demo_db, page):
    at = open_page(page, user="p003")
    assert not at.exception, at.exception
    text = visible_text(at._tree)
    assert "My progress" in text or page != "views/my_progress.py"
    assert not acronyms_in(text), (page, acronyms_in(text))


def test_waitlist_patient_sees_findings_in_words_and_no_verdict(demo_db):
    at = open_page("views/my_progress.py", user="p002")  # waitlist, no sessions
    assert not at.exception, at.exception
    markdown = "\n".join(m.value for m in at.markdown)
    assert "since you joined the waiting list" in markdown
    assert "improvement" not in markdown and "before treatment" not in markdown
    assert "Before you joined the waiting list (average)" in {m.label for m in at.metric}
    # findings as sentences without numbers in brackets; the rest on one line
    bullets = [line for line in markdown.splitlines() if line.startswith("- On ")]
    assert bullets and all(b.endswith("than on other days.") and "(" not in b for b in bullets)
    assert "No clear link yet: " in markdown
    text = visible_text(at._tree)
    assert "Prepare report for my doctor (PDF)" in text and "Prepare health-record file" in text
    assert not acronyms_in(text)
    assert "after 12 sessions" not in text  # no report of sessions a waitlist patient has not had
