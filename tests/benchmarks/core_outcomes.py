"""The core outcomes from the three CSV files, as one process: ours or a DuckDB query.

``python -m tests.benchmarks.core_outcomes {paindiary,duckdb} DIR OUT.json``

Both read patients.csv, diary.csv and sessions.csv and compute, per patient,
the index date (start_date, else the first session's day), the baseline (mean
pain of the 14 days before it, >= 4 entries), the follow-up (mean pain of the
last 14 diary days from the index date on, >= 4 entries), change, % change and
responder (>= 30 %, with the project's tolerance ``analytics.stats.EPS`` for
a % change that is 30 up to rounding); then per group: patients, complete patients, mean
baseline, mean follow-up, mean change, % change of the means, evaluable
patients and responders. ``paindiary`` does it with the loaders (every cell
validated), :func:`analytics.stats.patient_outcomes` and
:func:`analytics.stats.group_summary` (which also computes the intervals);
``duckdb`` with one SQL query and no validation. The group table is written as
JSON so the benchmark can check that both agree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

COLUMNS = [
    "group",
    "n_patients",
    "n_with_followup",
    "mean_baseline",
    "mean_followup",
    "mean_change",
    "pct_change_of_means",
    "n_evaluable",
    "n_responders",
]

DUCKDB_SQL = """
WITH d AS (
  SELECT patient_id, CAST(date AS DATE) AS day, CAST(pain AS DOUBLE) AS pain
  FROM read_csv('{dir}/diary.csv', header = true, all_varchar = true)
),
p AS (
  SELECT patient_id, "group", TRY_CAST(NULLIF(start_date, '') AS DATE) AS start_date
  FROM read_csv('{dir}/patients.csv', header = true, all_varchar = true)
),
s AS (
  SELECT patient_id, MIN(CAST(SUBSTR(date, 1, 10) AS DATE)) AS first_session
  FROM read_csv('{dir}/sessions.csv', header = true, all_varchar = true)
  GROUP BY patient_id
),
ix AS (
  SELECT p.patient_id, p."group", COALESCE(p.start_date, s.first_session) AS t0
  FROM p LEFT JOIN s USING (patient_id)
),
last_day AS (
  SELECT d.patient_id, MAX(d.day) AS fu_end
  FROM d JOIN ix USING (patient_id) WHERE d.day >= ix.t0 GROUP BY d.patient_id
),
per_patient AS (
  SELECT ix.patient_id, ix."group",
    AVG(d.pain) FILTER (WHERE d.day BETWEEN ix.t0 - 14 AND ix.t0 - 1) AS b,
    COUNT(*) FILTER (WHERE d.day BETWEEN ix.t0 - 14 AND ix.t0 - 1) AS b_n,
    AVG(d.pain) FILTER (WHERE d.day BETWEEN GREATEST(l.fu_end - 13, ix.t0) AND l.fu_end) AS f,
    COUNT(*) FILTER (WHERE d.day BETWEEN GREATEST(l.fu_end - 13, ix.t0) AND l.fu_end) AS f_n
  FROM ix LEFT JOIN last_day l USING (patient_id) LEFT JOIN d USING (patient_id)
  GROUP BY ix.patient_id, ix."group"
),
outcomes AS (
  SELECT patient_id, "group",
    CASE WHEN b_n >= 4 THEN b END AS b,
    CASE WHEN f_n >= 4 THEN f END AS f
  FROM per_patient
),
scored AS (
  SELECT *, b - f AS change, CASE WHEN b > 0 THEN 100 * (b - f) / b END AS pct FROM outcomes
)
SELECT "group",
  COUNT(*) AS n_patients,
  COUNT(change) AS n_with_followup,
  AVG(b) FILTER (WHERE change IS NOT NULL) AS mean_baseline,
  AVG(f) FILTER (WHERE change IS NOT NULL) AS mean_followup,
  AVG(change) AS mean_change,
  100 * (AVG(b) FILTER (WHERE change IS NOT NULL) - AVG(f) FILTER (WHERE change IS NOT NULL))
    / AVG(b) FILTER (WHERE change IS NOT NULL) AS pct_change_of_means,
  COUNT(pct) AS n_evaluable,
  COUNT(*) FILTER (WHERE pct >= 30 - {eps}) AS n_responders
FROM scored GROUP BY "group" ORDER BY "group"
"""


def paindiary(directory: Path) -> list[dict]:
    from analytics.io import load_dataset
    from analytics.stats import group_summary, patient_outcomes

    ds = load_dataset(directory)
    outcomes = patient_outcomes(ds.diary, ds.patients, ds.sessions)
    table = group_summary(outcomes, by="group")
    return json.loads(table[COLUMNS].to_json(orient="records"))


def duckdb(directory: Path) -> list[dict]:
    import duckdb as db

    con = db.connect()
    from analytics.stats import EPS  # the project's tolerance at a threshold

    sql = DUCKDB_SQL.format(dir=str(directory).replace("'", "''"), eps=repr(EPS))
    rows = con.execute(sql).fetchall()
    return [dict(zip(COLUMNS, r, strict=True)) for r in rows]


def main(argv: list[str]) -> int:
    engine, directory, out = argv
    rows = {"paindiary": paindiary, "duckdb": duckdb}[engine](Path(directory))
    Path(out).write_text(json.dumps(rows, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
