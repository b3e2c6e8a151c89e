"""A clinic whose free-text cells are hostile markup pointing at a given base URL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .conftest import write_clinic


def hostile_texts(base: str) -> dict[str, str]:
    """Stored text that would leak or fake content if it were rendered as markup."""
    return {
        "group": f"[Session expired, log in again]({base}/login) ![g]({base}/leak-group.png)",
        "condition": f":red[OVERDOSE ALERT] $x^2$ ![c]({base}/leak-condition.png)",
        "clinician_id": f'<a href="{base}/a">dr</a> <img src="{base}/leak-img.png">',
        "notes": f"![n]({base}/leak-note.png) :material/warning: **fake**",
    }


def write_hostile_clinic(folder: Path, base: str) -> Path:
    """Two patients of a hostile and a plain group, each with a baseline and a follow-up."""
    text = hostile_texts(base)

    def cell(value: str) -> str:
        return '"' + value.replace('"', '""') + '"'

    start = dt.date(2026, 1, 15)
    patients = (
        "patient_id,condition,group,start_date,sex,birth_year,clinician_id\n"
        f"H1,{cell(text['condition'])},{cell(text['group'])},{start},F,1980,"
        f"{cell(text['clinician_id'])}\n"
        f"H2,neck_pain,plain,{start},M,1970,C01\n"
    )
    diary = ["patient_id,date,pain,notes"]
    for pid, drop in (("H1", 4), ("H2", 1)):
        for k in range(60):
            day = dt.date(2026, 1, 1) + dt.timedelta(days=k)
            pain = 7 if day < start else max(0, 7 - drop)
            note = cell(text["notes"]) if k == 3 else ""
            diary.append(f"{pid},{day},{pain},{note}")
    sessions = ["patient_id,date,technique,points"]
    for pid in ("H1", "H2"):
        for week in range(4):
            sessions.append(f"{pid},{start + dt.timedelta(days=7 * week)},manual,LI4;ST36")
    return write_clinic(
        folder,
        patients=patients,
        diary="\n".join(diary) + "\n",
        sessions="\n".join(sessions) + "\n",
    )
