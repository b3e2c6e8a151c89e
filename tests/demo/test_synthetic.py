"""Tests of the demo clinic generator (analytics.demo) and the committed sample_data/."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.contract import index_dates, schema
from analytics.demo import ARMS, EDGE_CASES, TRUTH_COLUMNS, generate_clinic, main
from analytics.io import load_dataset

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = ROOT / "sample_data"
SEED, N_PATIENTS = 2026, 60  # the documented command in sample_data/README.md
SCORES = [c.name for c in schema.DIARY.columns if c.kind == "number" and c.max == 10]


@pytest.fixture(scope="module")
def clinic() -> dict[str, pd.DataFrame]:
    return generate_clinic(N_PATIENTS, rng=SEED)


def _windows(clinic: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per patient: observed baseline (14 days before the index) and follow-up (last 14 days).

    The definitions of DOMAIN.md section 4, computed independently of analytics.stats.
    """
    diary = clinic["diary"].join(
        index_dates(clinic["patients"], clinic["sessions"]), on="patient_id"
    )
    t = (diary["date"] - diary["index_date"]).dt.days
    base = diary[(t >= -14) & (t < 0)].groupby("patient_id")["pain"].agg(["mean", "size"])
    last = diary.groupby("patient_id")["date"].transform("max")
    in_follow = (diary["date"] > last - pd.Timedelta(days=14)) & (t >= 0)
    follow = diary[in_follow].groupby("patient_id")["pain"].agg(["mean", "size"])
    out = base.add_prefix("baseline_").join(follow.add_prefix("followup_"), how="outer")
    out["pct_change"] = 100 * (out["baseline_mean"] - out["followup_mean"]) / out["baseline_mean"]
    return out


def _diary_span(diary: pd.DataFrame) -> pd.DataFrame:
    span = diary.groupby("patient_id")["date"].agg(["min", "max", "size"])
    span["n_days"] = (span["max"] - span["min"]).dt.days + 1
    return span


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_frames(clinic):
    again = generate_clinic(N_PATIENTS, rng=SEED)
    for name in ("patients", "diary", "sessions", "truth"):
        pd.testing.assert_frame_equal(again[name], clinic[name])


def test_generator_argument_is_accepted_and_equals_the_seed(clinic):
    again = generate_clinic(N_PATIENTS, rng=np.random.default_rng(SEED))
    pd.testing.assert_frame_equal(again["diary"], clinic["diary"])


def test_different_seed_gives_different_frames(clinic):
    other = generate_clinic(N_PATIENTS, rng=SEED + 1)
    assert not other["diary"].equals(clinic["diary"])
    assert not other["truth"].equals(clinic["truth"])


# --------------------------------------------------------------------------- contract


@pytest.mark.parametrize("table", ["patients", "diary", "sessions"])
def test_frames_have_the_canonical_columns_and_dtypes(clinic, table):
    frame = clinic[table]
    assert list(frame.columns) == schema.columns(table)
    assert {c: str(t) for c, t in frame.dtypes.items()} == schema.dtypes(table)
    key = list(schema.TABLES[table].key)
    assert not frame.duplicated(key).any()
    pd.testing.assert_frame_equal(
        frame, frame.sort_values(key, kind="stable").reset_index(drop=True)
    )
    required = schema.TABLES[table].required
    assert frame[required].notna().all().all()


def test_truth_columns_and_dtypes(clinic):
    truth = clinic["truth"]
    assert list(truth.columns) == TRUTH_COLUMNS
    assert truth["patient_id"].tolist() == clinic["patients"]["patient_id"].tolist()
    for col in ("true_baseline", "true_emax", "true_k50", "true_pct_change"):
        assert truth[col].dtype == np.float64
    assert truth["responder"].dtype == bool and truth["worsens"].dtype == bool
    assert set(truth["edge_case"].dropna()) <= set(EDGE_CASES)


def test_diary_values_are_in_range(clinic):
    diary = clinic["diary"]
    for col in SCORES:
        values = diary[col].dropna()
        assert values.between(0, 10).all(), col
        assert (values == values.round()).all(), col  # recorded as whole numbers
    assert diary["analgesic_doses"].dropna().between(0, 6).all()
    assert (diary["opioid_mme"].dropna() >= 0).all()
    assert (diary["date"] == diary["date"].dt.normalize()).all()
    assert diary["date"].max() <= pd.Timestamp("2026-10-31")
    assert diary["patient_id"].str.fullmatch(schema.PATIENT_ID_RE.pattern).all()


def test_sessions_follow_the_contract_and_the_clinic_routine(clinic):
    sessions = clinic["sessions"]
    assert set(sessions["technique"]) <= {"manual", "electro"}
    electro = sessions["technique"] == "electro"
    assert sessions.loc[electro, "frequency_hz"].isin(["2", "100", "2/100"]).all()
    assert sessions.loc[~electro, "frequency_hz"].isna().all()
    codes = sessions["points"].str.split(";").explode()
    assert codes.str.fullmatch(schema.POINT_RE.pattern).all()
    assert (
        codes.str.replace(r"-[LR]$", "", regex=True)
        .isin(["LI4", "ST36", "SP6", "GB34", "LR3", "PC6", "BL23", "BL40", "GV20", "GB20"])
        .any()
    )
    assert codes.str.endswith(("-L", "-R")).any()
    assert sessions["needles"].between(4, 20).all()
    assert sessions["retention_min"].between(15, 30).all()
    minutes = sessions["date"].dt.hour * 60 + sessions["date"].dt.minute
    assert minutes.between(8 * 60, 17 * 60 + 30).all()
    assert (sessions["date"].dt.day_of_week < 5).all()  # clinic open Monday to Friday
    both = sessions[["pain_before", "pain_after"]].dropna()
    drop = both["pain_before"] - both["pain_after"]
    assert drop.between(0, 3).all() and (drop > 0).mean() > 0.5
    assert sessions["pain_before"].notna().mean() > 0.8
    events = sessions["adverse_events"].dropna().str.split(";").explode()
    assert events.isin(schema.ADVERSE_EVENTS).all()
    practitioner = sessions.join(
        clinic["patients"].set_index("patient_id")["clinician_id"], on="patient_id"
    )
    assert (practitioner["practitioner"] == practitioner["clinician_id"]).all()


def test_sessions_only_for_acupuncture_patients_inside_the_diary(clinic):
    patients, sessions = clinic["patients"], clinic["sessions"]
    group = patients.set_index("patient_id")["group"]
    assert set(group) == {"acupuncture", "waitlist"}
    treated = set(sessions["patient_id"])
    assert treated == set(group[group == "acupuncture"].index)
    span = _diary_span(clinic["diary"])
    s = sessions.join(span, on="patient_id")
    day = s["date"].dt.normalize()
    assert ((day >= s["min"]) & (day <= s["max"])).all()
    # the last session leaves at least a week of diary after it
    assert (
        s.groupby("patient_id")["date"].max().dt.normalize()
        <= span.loc[sorted(treated), "max"] - pd.Timedelta(days=7)
    ).all()


def test_one_technique_per_patient_matching_the_truth(clinic):
    sessions, truth = clinic["sessions"], clinic["truth"].set_index("patient_id")
    per_patient = sessions.groupby("patient_id")[["technique", "frequency_hz"]].nunique(
        dropna=False
    )
    assert (per_patient == 1).all().all()
    first = sessions.groupby("patient_id").first()
    arm_of = {(tech, freq): arm for arm, tech, freq in ARMS}
    expected = [
        arm_of[(t, None if pd.isna(f) else f)]
        for t, f in zip(first["technique"], first["frequency_hz"], strict=True)
    ]
    assert truth.loc[first.index, "technique"].tolist() == expected
    waitlist = truth[truth["group"] == "waitlist"]
    assert (waitlist["technique"] == "none").all() and waitlist["frequency_hz"].isna().all()
    assert set(truth["technique"]) == {
        "manual",
        "electro_low",
        "electro_high",
        "electro_mixed",
        "none",
    }


# --------------------------------------------------------------------------- realism


def test_patients_demographics_and_groups(clinic):
    patients = clinic["patients"]
    assert patients["condition"].nunique() >= 8
    assert patients["condition"].isin(schema.CONDITIONS).all()
    assert patients[["sex", "birth_year", "clinician_id"]].notna().all().all()
    assert patients["sex"].isin(schema.SEXES).all()
    assert patients["birth_year"].between(1930, 2006).all()
    assert 3 <= patients["clinician_id"].nunique() <= 4
    waitlist = patients[patients["group"] == "waitlist"]
    assert 8 <= len(waitlist) <= 12
    assert waitlist["start_date"].notna().all()
    acu = patients[patients["group"] == "acupuncture"].set_index("patient_id")
    explicit = acu["start_date"].dropna()
    assert 1 <= len(explicit) < len(acu) / 2  # mostly empty: index = first session
    first = clinic["sessions"].groupby("patient_id")["date"].min().dt.normalize()
    pd.testing.assert_series_equal(explicit, first[explicit.index], check_names=False)


def test_waitlist_start_date_leaves_a_baseline(clinic):
    span = _diary_span(clinic["diary"])
    waitlist = clinic["patients"].query("group == 'waitlist'").set_index("patient_id")
    before = (waitlist["start_date"] - span.loc[waitlist.index, "min"]).dt.days
    assert before.between(14, 28).all()


def test_diary_lengths_and_baseline_lengths(clinic):
    span = _diary_span(clinic["diary"])
    assert span["n_days"].between(90, 200).all()
    index = index_dates(clinic["patients"], clinic["sessions"])
    baseline_days = (index - span["min"]).dt.days
    edge = clinic["truth"].set_index("patient_id")["edge_case"]
    short = edge[edge == "short_baseline"].index
    assert baseline_days.drop(short).between(14, 28).all()
    assert (baseline_days[short] <= 3).all()


def test_session_counts_and_schedule(clinic):
    sessions = clinic["sessions"]
    counts = sessions.groupby("patient_id").size()
    edge = clinic["truth"].set_index("patient_id")["edge_case"]
    single = edge[edge == "single_session"].index
    assert counts.drop(single).between(6, 16).all()
    assert (counts[single] == 1).all()
    day = sessions["date"].dt.normalize()
    gaps = day.groupby(sessions["patient_id"]).diff().dt.days.dropna()
    number = sessions.groupby("patient_id").cumcount()[gaps.index]
    assert gaps[number <= 3].median() == 7  # weekly at first
    assert gaps[number >= 9].median() == 14  # fortnightly later
    assert (gaps >= 5).all()


def test_adverse_event_rate_is_realistic(clinic):
    events = clinic["sessions"]["adverse_events"]
    assert 0.04 <= events.notna().mean() <= 0.14
    words = events.dropna().str.split(";").explode().value_counts()
    assert words.index[0] == "soreness"
    assert set(words.index) <= {"soreness", "bruising", "bleeding", "dizziness"}


def test_adherence_with_fewer_entries_at_weekends(clinic):
    span = _diary_span(clinic["diary"])
    adherence = span["size"] / span["n_days"]
    edge = clinic["truth"].set_index("patient_id")["edge_case"]
    adherence = adherence.drop(edge[edge == "long_gap"].index)
    assert adherence.between(0.5, 1.0).all()
    assert adherence.min() < 0.7 and adherence.max() > 0.9
    weekday = clinic["diary"]["date"].dt.day_of_week
    weekend_share = (weekday >= 5).mean()
    assert weekend_share < 2 / 7 - 0.01


def test_edge_cases_exist_and_behave(clinic):
    truth = clinic["truth"].set_index("patient_id")
    assert sorted(truth["edge_case"].dropna()) == sorted(EDGE_CASES)
    windows = _windows(clinic)
    short = truth.index[truth["edge_case"] == "short_baseline"][0]
    assert 2 <= windows.loc[short, "baseline_size"] <= 3
    single = truth.index[truth["edge_case"] == "single_session"][0]
    assert (clinic["sessions"]["patient_id"] == single).sum() == 1
    gap_patient = truth.index[truth["edge_case"] == "long_gap"][0]
    dates = clinic["diary"].loc[clinic["diary"]["patient_id"] == gap_patient, "date"]
    assert dates.diff().dt.days.max() >= 22  # >= 21 days without entries
    others = truth.index[truth["edge_case"].isna()]
    assert (windows.loc[others, "baseline_size"] >= 6).all()
    assert (windows.loc[:, "followup_size"] >= 6).all()


def test_heterogeneous_response_in_the_truth(clinic):
    truth = clinic["truth"]
    acu = truth[truth["group"] == "acupuncture"]
    assert 0.4 <= acu["responder"].mean() <= 0.6
    assert 2 <= acu["worsens"].sum() <= 4
    assert (acu["true_pct_change"] < 0).sum() == acu["worsens"].sum()
    assert ((acu["true_pct_change"] < 0) == acu["worsens"]).all()
    assert (truth["responder"] == (truth["true_pct_change"] >= 30)).all()
    # kept away from the 30 % boundary so a noisy diary gives the same class
    assert ((truth["true_pct_change"] - 30).abs() >= 8).all()
    assert acu.loc[acu["responder"], "true_pct_change"].between(38, 80).all()
    assert (acu.loc[acu["worsens"], "true_emax"] < 0).all()
    assert (acu.loc[~acu["worsens"], "true_emax"] >= 0).all()
    assert acu["true_k50"].between(1, 4).all()
    assert acu["true_baseline"].between(4.5, 8).all()
    waitlist = truth[truth["group"] == "waitlist"]
    assert waitlist["true_pct_change"].between(0, 10).all()
    assert (waitlist["true_emax"] == 0).all() and waitlist["true_k50"].isna().all()


def test_dense_disperse_electroacupuncture_is_slightly_better(clinic):
    acu = clinic["truth"].query("group == 'acupuncture'")
    by_arm = acu.groupby("technique")[["responder", "true_pct_change"]].mean()
    assert by_arm["responder"].idxmax() == "electro_mixed"
    assert by_arm["true_pct_change"].idxmax() == "electro_mixed"
    big = generate_clinic(600, rng=7)["truth"].query("group == 'acupuncture'")
    rate = big.groupby("technique")["responder"].mean()
    assert rate.idxmax() == "electro_mixed"
    assert rate.max() - rate.min() < 0.35  # small differences, not a different treatment


def test_observed_responders_agree_with_the_truth(clinic):
    # DOMAIN.md section 4 on the noisy integer diary vs the noise-free truth
    windows = _windows(clinic).join(clinic["truth"].set_index("patient_id"))
    valid = windows[(windows["baseline_size"] >= 4) & (windows["followup_size"] >= 4)]
    assert len(valid) >= N_PATIENTS - 1
    agree = (valid["pct_change"] >= 30) == valid["responder"]
    assert agree.mean() >= 0.95
    assert (valid["pct_change"] - valid["true_pct_change"]).abs().median() < 8
    observed = valid["baseline_mean"] - valid["true_baseline"]
    assert observed.abs().median() < 0.5


def test_observed_agreement_holds_across_seeds():
    rates = []
    for seed in range(3):
        c = generate_clinic(60, rng=seed)
        w = _windows(c).join(c["truth"].set_index("patient_id"))
        w = w[(w["baseline_size"] >= 4) & (w["followup_size"] >= 4)]
        rates.append(((w["pct_change"] >= 30) == w["responder"]).mean())
    assert min(rates) >= 0.9


def test_secondary_items_move_with_pain(clinic):
    diary = clinic["diary"]
    corr = diary[["pain", "sleep_quality", "mood", "stress"]].corr()["pain"]
    assert corr["sleep_quality"] < -0.3 and corr["mood"] < -0.3 and corr["stress"] > 0.3
    worst = diary[["pain", "worst_pain"]].dropna()
    assert len(worst) and (worst["worst_pain"] >= worst["pain"]).all()
    peg = diary.groupby("patient_id")["enjoyment_interference"].apply(lambda s: s.notna().any())
    assert 0.15 <= peg.mean() <= 0.5
    peg_rows = diary[["pain", "activity_interference"]].dropna()
    assert peg_rows.corr().iloc[0, 1] > 0.3


def test_medication_falls_in_responders(clinic):
    diary = clinic["diary"].join(
        index_dates(clinic["patients"], clinic["sessions"]), on="patient_id"
    )
    truth = clinic["truth"].set_index("patient_id")
    mme = diary.groupby("patient_id")["opioid_mme"].max()
    assert (mme == 0).sum() >= 10 and mme.between(10, 60).sum() >= 5
    assert set(mme.dropna()) <= {0, 10, 15, 20, 22.5, 30, 36, 40, 45, 60}
    responders = diary[diary["patient_id"].isin(truth.index[truth["responder"]])]
    before = responders[responders["date"] < responders["index_date"]]
    last = responders.groupby("patient_id")["date"].transform("max")
    after = responders[responders["date"] > last - pd.Timedelta(days=14)]
    assert after["analgesic_doses"].mean() < 0.8 * before["analgesic_doses"].mean()
    assert after["opioid_mme"].mean() < before["opioid_mme"].mean()


def test_notes_exercise_quoting_and_formula_neutralisation(clinic):
    notes = clinic["diary"]["notes"].dropna()
    assert notes.str.contains(",").any()
    assert notes.str.contains('"').any()
    assert notes.str.contains("\n").any()
    assert notes.str.match(r"^[-=]").sum() >= 2
    assert 0.01 < clinic["diary"]["notes"].notna().mean() < 0.1
    assert clinic["sessions"]["notes"].notna().any()


# --------------------------------------------------------------------------- options


def test_small_clinic_and_fixed_diary_length():
    c = generate_clinic(5, rng=3, n_days=120, end_date="2025-06-30")
    assert len(c["patients"]) == 5 and len(c["truth"]) == 5
    span = _diary_span(c["diary"])
    assert (span["n_days"] == 120).all()
    assert span["max"].max() <= pd.Timestamp("2025-06-30")
    assert c["truth"]["edge_case"].isna().all()  # too few patients for the edge cases


def test_one_patient():
    c = generate_clinic(1, rng=0)
    assert len(c["patients"]) == 1 and len(c["diary"]) > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"n_patients": 0},
            "The 'n_patients' parameter of generate_clinic must be an int in [1, 1000000]. Got 0 instead.",
        ),
        ({"n_patients": 2.5}, "'n_patients' parameter"),
        (
            {"n_days": 30},
            "The 'n_days' parameter of generate_clinic must be an int in [90, 3650]. Got 30 instead.",
        ),
        ({"end_date": "not a date"}, "The 'end_date' parameter of generate_clinic must be a date"),
        ({"end_date": 20261031}, "'end_date' parameter"),
    ],
)
def test_bad_parameters_raise(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        generate_clinic(**{"n_patients": 10, **kwargs})


def test_cli_writes_a_clinic_that_loads(tmp_path, capsys):
    argv = ["--seed", "5", "--patients", "9", "--days", "120", "--end-date", "2025-12-31"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    assert "truth.csv" in capsys.readouterr().out
    dataset = load_dataset(tmp_path)
    expected = generate_clinic(9, rng=5, n_days=120, end_date="2025-12-31")
    pd.testing.assert_frame_equal(dataset.diary, expected["diary"])
    assert (_diary_span(dataset.diary)["n_days"] == 120).all()


# --------------------------------------------------------------------------- committed sample


def test_committed_sample_equals_the_documented_command(tmp_path):
    readme = (SAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    command = f"-m analytics.demo --seed {SEED} --patients {N_PATIENTS} --out sample_data"
    assert command in readme
    out = tmp_path / "regenerated"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "analytics.demo",
            "--seed",
            str(SEED),
            "--patients",
            str(N_PATIENTS),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    for name in ("patients.csv", "diary.csv", "sessions.csv", "questionnaires.csv", "truth.csv"):
        assert (out / name).read_bytes() == (SAMPLE_DIR / name).read_bytes(), name


def test_committed_sample_loads_clean_and_round_trips(clinic):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dataset = load_dataset(SAMPLE_DIR)
    assert dataset.warnings == () and dataset.n_rejected == 0
    for name in ("patients", "diary", "sessions"):
        pd.testing.assert_frame_equal(getattr(dataset, name), clinic[name])
    truth = pd.read_csv(SAMPLE_DIR / "truth.csv", dtype={"frequency_hz": "str"})
    pd.testing.assert_frame_equal(truth, clinic["truth"])
    raw = (SAMPLE_DIR / "diary.csv").read_text(encoding="utf-8")
    assert "'-2 after walk" in raw and "'=better than last week" in raw  # neutralised on disk


def test_freshen_demo_moves_by_whole_weeks_before_today():
    import datetime as dt

    from analytics.demo import freshen_demo, shift_dates
    from analytics.io import load_dataset

    ds = load_dataset(SAMPLE_DIR)
    last = ds.diary["date"].max().date()
    # 22 days after the last entry: three whole weeks fit before "yesterday"
    moved, days = freshen_demo(ds, today=last + dt.timedelta(days=22))
    assert days == 21
    assert moved.diary["date"].max().date() == last + dt.timedelta(days=21)
    assert (moved.diary["date"].dt.day_of_week == ds.diary["date"].dt.day_of_week).all()
    assert ds.diary["date"].max().date() == last  # input untouched
    # already recent (or today is the day after the last entry): nothing moves
    same, zero = freshen_demo(ds, today=last + dt.timedelta(days=7))
    assert zero == 0 and same is ds
    back = shift_dates(moved, -21)
    pd.testing.assert_frame_equal(back.sessions, ds.sessions)
    pd.testing.assert_frame_equal(back.patients, ds.patients)
    # the questionnaire answers move with the sessions they follow
    assert (moved.questionnaires["date"] - ds.questionnaires["date"]).dt.days.eq(21).all()
    pd.testing.assert_frame_equal(back.questionnaires, ds.questionnaires)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--days", "60"], "'60' is not a diary length in days from 90 to 3,650 (a demo patient's"),
        (["--patients", "0"], "'0' is not a number of patients from 1 to 1,000,000"),
    ],
)
def test_out_of_range_arguments_are_refused_in_words(args, said, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main([*args, "--out", str(tmp_path / "demo")])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert said in err and "parameter" not in err
    assert not (tmp_path / "demo").exists()
