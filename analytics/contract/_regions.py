"""Body regions a patient marks as painful: the 19 regions of the widespread pain index.

The region set is the widespread pain index (WPI) of the 2016 revision of the
fibromyalgia diagnostic criteria (Wolfe F, Clauw DJ, Fitzcharles MA, et al.
2016 Revisions to the 2010/2011 fibromyalgia diagnostic criteria. Semin
Arthritis Rheum 2016;46:319-329): 19 regions grouped in 5 areas (left upper,
right upper, left lower, right lower, axial). It is the region set of the
self-report fibromyalgia survey, so the index (0-19) is the number of regions
marked on a day, and it names the back, neck, hip and limb regions the other
conditions the clinic treats point at. Head pain is not a WPI region; headache
days are a diary item of their own.

Codes are short and stable (``l_shoulder``, ``low_back``); their words are in
:mod:`analytics.presentation`.
"""

from __future__ import annotations

__all__ = [
    "BODY_AREAS",
    "BODY_REGIONS",
    "REGION_AREA",
]

#: The five areas of the 2016 criteria with their regions, in the criteria's order.
BODY_AREAS: dict[str, tuple[str, ...]] = {
    "left_upper": ("l_jaw", "l_shoulder", "l_upper_arm", "l_lower_arm"),
    "right_upper": ("r_jaw", "r_shoulder", "r_upper_arm", "r_lower_arm"),
    "left_lower": ("l_hip", "l_upper_leg", "l_lower_leg"),
    "right_lower": ("r_hip", "r_upper_leg", "r_lower_leg"),
    "axial": ("neck", "upper_back", "low_back", "chest", "abdomen"),
}

#: Every region code of the diary's ``body_regions`` column (19), area by area.
BODY_REGIONS: tuple[str, ...] = tuple(code for codes in BODY_AREAS.values() for code in codes)

#: The area of each region.
REGION_AREA: dict[str, str] = {code: area for area, codes in BODY_AREAS.items() for code in codes}
