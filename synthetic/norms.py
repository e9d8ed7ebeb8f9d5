"""Score scales of the synthetic district: MAP Growth status norms and DIBELS 8 benchmark anchors.

MAP means and standard deviations approximate NWEA's 2020 status norms (grades K-8; fall,
winter, spring). DIBELS 8 anchors are the lowest scores of Below, At and Above Benchmark per
grade and period; the kindergarten composite and grade 1-3 ORF anchors are read from
config/cut_scores.csv, the others approximate the published benchmark goals.
"""

from __future__ import annotations


import numpy as np
import pandas as pd
from scipy.special import ndtri

# [grade K..8][fall, winter, spring]
MAP_MEANS = {
    "reading": np.array(
        [
            [137, 147, 153],
            [156, 166, 171],
            [172, 179, 184],
            [187, 192, 197],
            [197, 201, 204],
            [205, 208, 210],
            [210, 212, 214],
            [214, 216, 217],
            [217, 218, 220],
        ],
        dtype=float,
    ),
    "math": np.array(
        [
            [140, 151, 158],
            [160, 170, 176],
            [175, 184, 189],
            [189, 197, 202],
            [200, 207, 212],
            [209, 215, 219],
            [215, 219, 222],
            [220, 224, 226],
            [225, 228, 230],
        ],
        dtype=float,
    ),
}
MAP_SDS = {
    "reading": np.array([13.0, 13.7, 15.5, 16.3, 16.2, 16.0, 15.7, 15.8, 15.8]),
    "math": np.array([12.4, 13.0, 13.5, 13.9, 14.5, 15.5, 16.0, 17.2, 18.5]),
}
MAP_SUBJECTS = ("reading", "math")
MAP_SUBJECT_TEXT = {"reading": "Reading", "math": "Mathematics"}
MAP_COURSE_TEXT = {"reading": "Reading", "math": "Math K-12"}
MAP_MEASURE_ID = {"reading": "map_reading", "math": "map_math"}
MAP_TEST_NAMES = {
    "reading": ("Growth: Reading K-2 CCSS 2010", "Growth: Reading 2-5 CCSS 2010", "Growth: Reading 6+ CCSS 2010"),
    "math": ("Growth: Math K-2 CCSS 2010", "Growth: Math 2-5 CCSS 2010", "Growth: Math 6+ CCSS 2010"),
}
# The typical RIT standard error of a Growth test.
MAP_STANDARD_ERROR = 3.2


def map_typical_growth(subject: str) -> dict[str, np.ndarray]:
    """Typical growth per grade between windows, from the norm means (integers).

    Fall-to-fall and spring-to-spring use the next grade; grade 8 repeats grade 7's gain.
    """
    m = MAP_MEANS[subject]
    nxt = np.vstack([m[1:], m[-1:] + (m[-1:] - m[-2:-1])])
    return {
        "FallToFall": np.rint(nxt[:, 0] - m[:, 0]),
        "FallToWinter": np.rint(m[:, 1] - m[:, 0]),
        "FallToSpring": np.rint(m[:, 2] - m[:, 0]),
        "WinterToWinter": np.rint(nxt[:, 1] - m[:, 1]),
        "WinterToSpring": np.rint(m[:, 2] - m[:, 1]),
        "SpringToSpring": np.rint(nxt[:, 2] - m[:, 2]),
    }


# ---- DIBELS 8 ----------------------------------------------------------------------------

DIBELS_LEVELS = ("Well Below Benchmark", "Below Benchmark", "At Benchmark", "Above Benchmark")
# National shares of Well Below, Below, At, Above the anchors are set to.
DIBELS_LEVEL_SHARES = (0.23, 0.18, 0.36, 0.23)

# Measures given at each form grade (composite first).
DIBELS_MEASURES_BY_GRADE = {
    0: ("dibels8_composite", "dibels8_lnf", "dibels8_psf", "dibels8_nwf_cls", "dibels8_nwf_wrc", "dibels8_wrf"),
    1: (
        "dibels8_composite", "dibels8_lnf", "dibels8_psf", "dibels8_nwf_cls", "dibels8_nwf_wrc",
        "dibels8_wrf", "dibels8_orf", "dibels8_orf_accuracy",
    ),
    2: ("dibels8_composite", "dibels8_nwf_cls", "dibels8_nwf_wrc", "dibels8_wrf", "dibels8_orf", "dibels8_orf_accuracy"),
    3: (
        "dibels8_composite", "dibels8_nwf_cls", "dibels8_nwf_wrc", "dibels8_wrf", "dibels8_orf",
        "dibels8_orf_accuracy", "dibels8_maze",
    ),
}
DIBELS_MEASURE_ORDER = (
    "dibels8_composite", "dibels8_lnf", "dibels8_psf", "dibels8_nwf_cls", "dibels8_nwf_wrc",
    "dibels8_wrf", "dibels8_orf", "dibels8_orf_accuracy", "dibels8_maze",
)

# (measure, grade) -> ((Below, At, Above) minimum scores) for BOY, MOY, EOY.
_DIBELS_ANCHORS = {
    ("dibels8_composite", 1): ((330, 360, 395), (355, 385, 420), (380, 410, 445)),
    ("dibels8_composite", 2): ((375, 405, 440), (400, 430, 465), (415, 445, 480)),
    ("dibels8_composite", 3): ((405, 435, 470), (420, 450, 485), (435, 465, 500)),
    ("dibels8_lnf", 0): ((6, 14, 27), (20, 33, 45), (30, 41, 53)),
    ("dibels8_lnf", 1): ((29, 40, 53), (40, 51, 62), (45, 55, 68)),
    ("dibels8_psf", 0): ((3, 9, 22), (16, 26, 40), (25, 38, 51)),
    ("dibels8_psf", 1): ((25, 38, 50), (34, 44, 55), (38, 48, 58)),
    ("dibels8_nwf_cls", 0): ((1, 3, 9), (11, 17, 27), (17, 28, 40)),
    ("dibels8_nwf_cls", 1): ((17, 27, 42), (32, 47, 70), (43, 62, 87)),
    ("dibels8_nwf_cls", 2): ((42, 60, 85), (58, 78, 105), (70, 89, 117)),
    ("dibels8_nwf_cls", 3): ((58, 80, 105), (70, 92, 120), (78, 100, 128)),
    ("dibels8_nwf_wrc", 0): ((1, 2, 4), (1, 3, 6), (2, 5, 9)),
    ("dibels8_nwf_wrc", 1): ((1, 4, 9), (5, 11, 19), (9, 16, 26)),
    ("dibels8_nwf_wrc", 2): ((8, 15, 24), (13, 21, 31), (17, 25, 35)),
    ("dibels8_nwf_wrc", 3): ((15, 22, 31), (19, 26, 35), (21, 29, 38)),
    ("dibels8_wrf", 0): ((1, 2, 4), (2, 5, 9), (4, 8, 14)),
    ("dibels8_wrf", 1): ((3, 7, 13), (10, 18, 29), (16, 26, 39)),
    ("dibels8_wrf", 2): ((18, 28, 40), (26, 35, 47), (30, 40, 53)),
    ("dibels8_wrf", 3): ((27, 37, 48), (32, 42, 53), (35, 45, 57)),
    ("dibels8_orf_accuracy", 1): ((50, 70, 85), (73, 84, 92), (83, 90, 95)),
    ("dibels8_orf_accuracy", 2): ((83, 90, 95), (90, 95, 98), (92, 96, 98)),
    ("dibels8_orf_accuracy", 3): ((92, 95, 98), (94, 97, 99), (95, 97, 99)),
    ("dibels8_maze", 3): ((6, 9, 13), (8, 11, 15), (10, 13, 17)),
}
_WINDOW_PERIOD = {"Fall": 0, "Winter": 1, "Spring": 2}
_LEVEL_POSITION = {"Below Benchmark": 0, "At Benchmark": 1, "Above Benchmark": 2}


def dibels_anchors(cut_scores: pd.DataFrame) -> dict[tuple[str, int, int], tuple[float, float, float]]:
    """(measure, form grade, period 0..2) -> lowest Below, At and Above Benchmark scores.

    The district's configured cut scores (the validated, expanded config cut_scores) take
    precedence over the approximations above.
    """
    anchors = {
        (measure, grade, period): tuple(float(x) for x in values[period])
        for (measure, grade), values in _DIBELS_ANCHORS.items()
        for period in range(3)
    }
    cuts = cut_scores[
        cut_scores["measure_id"].str.startswith("dibels8_")
        & cut_scores["grade_level"].between(0, 3)
        & cut_scores["level"].isin(_LEVEL_POSITION)
        & cut_scores["window_name"].isin(_WINDOW_PERIOD)
    ]
    configured = cuts.pivot_table(
        index=[cuts["measure_id"], cuts["grade_level"], cuts["window_name"].map(_WINDOW_PERIOD)],
        columns=cuts["level"].map(_LEVEL_POSITION),
        values="min_score",
        aggfunc="min",
    ).dropna()
    for (measure, grade, period), row in configured.iterrows():
        anchors[(measure, int(grade), int(period))] = tuple(float(row[i]) for i in range(3))
    return anchors


DIBELS_SCORE_BOUNDS = {
    "dibels8_composite": (200.0, 1000.0),
    "dibels8_orf_accuracy": (0.0, 100.0),
    "dibels8_maze": (0.0, 100.0),
}
_ANCHOR_Z = ndtri(np.cumsum(DIBELS_LEVEL_SHARES)[:3])
_TAIL_Z = 2.6


def dibels_score(measure: str, anchors: tuple[float, float, float], z: np.ndarray) -> np.ndarray:
    """Score whose national distribution puts DIBELS_LEVEL_SHARES in the four levels.

    Piecewise linear in the national z-score through the anchors, flattening at plausible
    floors and ceilings.
    """
    b1, b2, b3 = anchors
    low_bound, high_bound = DIBELS_SCORE_BOUNDS.get(measure, (0.0, 400.0))
    spread = b3 - b1
    floor = max(low_bound, b1 - 1.2 * spread)
    ceiling = min(high_bound, b3 + 1.2 * spread)
    xs = np.concatenate([[-_TAIL_Z], _ANCHOR_Z, [_TAIL_Z]])
    ys = np.array([floor, b1, b2, b3, max(ceiling, b3)])
    return np.interp(z, xs, ys)


def dibels_level(anchors: tuple[float, float, float], score: np.ndarray) -> np.ndarray:
    """Level index 0..3 (Well Below .. Above) of each score: the band whose minimum is the greatest one <= score."""
    return np.searchsorted(np.asarray(anchors), score, side="right")
