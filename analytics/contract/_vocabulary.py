"""Words for the codes of the data contract: techniques, conditions, adverse events.

Every face that names a code in words (the dashboard, the PDF reports, the FHIR
bundle's display texts) takes the words from here.
"""

from __future__ import annotations

__all__ = ["TECHNIQUE_LABELS", "CONDITION_LABELS", "ADVERSE_EVENT_LABELS"]


#: Technique bands of ``analytics.stats._common.frequency_band``.
TECHNIQUE_LABELS: dict[str, str] = {
    "manual": "Manual",
    "auricular": "Auricular",
    "other": "Other technique",
    "electro": "Electroacupuncture (EA)",
    "electro_low": "EA low (< 20 Hz, e.g. 2 Hz)",
    "electro_medium": "EA medium (20–49 Hz)",
    "electro_high": "EA high (≥ 50 Hz, e.g. 100 Hz)",
    "electro_mixed": "EA mixed (e.g. 2/100 Hz)",
    "electro_unknown": "EA (frequency not recorded)",
    "none": "None (no sessions)",
    "unassigned": "None (no sessions)",
}


#: Conditions of ``analytics.contract.schema.CONDITIONS``.
CONDITION_LABELS: dict[str, str] = {
    "chronic_low_back_pain": "chronic low back pain",
    "neck_pain": "neck pain",
    "osteoarthritis": "osteoarthritis",
    "rheumatoid_arthritis": "rheumatoid arthritis",
    "migraine": "migraine",
    "tension_type_headache": "tension-type headache",
    "fibromyalgia": "fibromyalgia",
    "neuropathic_pain": "neuropathic pain",
    "musculoskeletal_pain": "musculoskeletal pain",
    "post_surgical_pain": "post-surgical pain",
    "unassigned": "not recorded",
}


#: Adverse events of ``analytics.contract.schema.ADVERSE_EVENTS`` and the ``any`` row.
ADVERSE_EVENT_LABELS: dict[str, str] = {
    "any": "Any event",
    "bleeding": "Bleeding",
    "bruising": "Bruising",
    "soreness": "Soreness",
    "dizziness": "Dizziness",
    "fainting": "Fainting",
    "nausea": "Nausea",
    "infection": "Infection",
    "other": "Other",
}
