"""The audit core: a hand-built programme whose figures are computed by hand below, the
interval and Gini against published values, history metrics, and every validation branch."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from matchsvc.audit import HistoryPair, audit, gini, pairs_from_ids, wilson_interval
from matchsvc.errors import InvalidInputError

MENTEES = ["e0", "e1", "e2", "e3", "e4", "e5"]
MENTORS = ["r0", "r1", "r2"]
SCORES = np.array(
    [
        [0.9, 0.5, 0.1],  # e0: top r0
        [0.8, 0.7, 0.2],  # e1: top r0
        [0.6, 0.9, 0.3],  # e2: top r1
        [0.4, 0.3, 0.2],  # e3: top r0
        [0.2, 0.1, 0.6],  # e4: top r2
        [0.3, 0.2, 0.1],  # e5: top r0 (r2 forbidden)
    ]
)
ALLOWED = np.ones((6, 3), dtype=bool)
ALLOWED[5, 2] = False
DEMAND = [1, 1, 2, 1, 1, 1]
CAPACITY = [2, 2, 1]
PAIRS = np.array([[0, 0], [1, 0], [2, 1], [2, 2], [3, 1]])
REASONS = [None, None, None, None, "capacity_exhausted", "capacity_exhausted"]
REGION = ["north", "north", "north", "south", "south", "south"]


def _report(**kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "scores": SCORES,
        "allowed": ALLOWED,
        "demand": DEMAND,
        "capacity": CAPACITY,
        "unmatched_reasons": REASONS,
        "mentee_groups": {"region": REGION},
        "mentor_groups": {"org": ["a", "a", "b"]},
        "bins": 3,
    }
    args.update(kw)
    return audit(MENTEES, MENTORS, PAIRS, **args)  # type: ignore[arg-type]


def test_group_figures_by_hand() -> None:
    north, south = _report().groups
    # north: e0, e1, e2; demand 1 + 1 + 2 = 4, all four slots matched; pair scores
    # 0.9 (e0-r0), 0.8 (e1-r0), 0.9 (e2-r1), 0.3 (e2-r2): mean 2.9 / 4 = 0.725, min 0.3,
    # 10th percentile (inverted CDF) of [0.3, 0.8, 0.9, 0.9] is 0.3. Each member got its top
    # mentor: 3 / 3.
    assert (north.value, north.people, north.demand, north.matched) == ("north", 3, 4, 4)
    assert north.people_matched == 3 and north.pairs == 4
    assert north.matched_share == 1.0
    assert north.mean_score == pytest.approx(0.725)
    assert (north.min_score, north.bottom_decile_score) == (0.3, 0.3)
    assert (north.top_choice_share, north.top_choice_base) == (1.0, 3)
    assert north.unmatched_reasons == {}
    assert (north.share_ratio, north.score_ratio) == (1.0, 1.0)
    assert not north.share_flag and not north.score_flag
    # south: e3, e4, e5; 1 of 3 slots (e3-r1, score 0.3); no one got the top mentor (e3's is
    # r0, e4's r2, e5's r0). Ratios 1/3 and 0.3 / 0.725, both under four fifths.
    assert (south.people, south.demand, south.matched, south.people_matched) == (3, 3, 1, 1)
    assert south.matched_share == pytest.approx(1 / 3)
    assert (south.mean_score, south.min_score, south.bottom_decile_score) == (0.3, 0.3, 0.3)
    assert (south.top_choice_share, south.top_choice_base) == (0.0, 3)
    assert south.unmatched_reasons == {"capacity_exhausted": 2}
    assert south.share_ratio == pytest.approx(1 / 3)
    assert south.score_ratio == pytest.approx(0.3 / 0.725)
    assert south.share_flag and south.score_flag
    # 3 slots is under the default minimum group size of 30.
    assert south.caution and south.caution_reason == "fewer than 30 slots"


def test_small_group_flag_is_not_robust_within_the_intervals() -> None:
    # Wilson 95%: north 4/4 -> [0.510, 1.0]; south 1/3 -> [0.0615, 0.792]. The flag holds
    # at the point estimates but not at the ends: 0.792 >= 0.8 * 0.510.
    north, south = _report(min_group_size=0).groups
    assert north.share_interval == pytest.approx((0.5101, 1.0), abs=1e-4)
    assert south.share_interval == pytest.approx((0.0615, 0.7923), abs=1e-4)
    assert south.share_flag and not south.share_robust
    assert south.caution_reason == "the share flag changes within the 95% intervals"
    assert north.share_robust and not north.caution


def test_totals_loads_and_score_distribution_by_hand() -> None:
    r = _report()
    assert (r.mentees, r.mentors, r.demand, r.matched) == (6, 3, 7, 5)
    assert r.matched_share == pytest.approx(5 / 7)
    load = r.mentor_load
    # loads [2, 2, 1] = capacities: utilisation 1; Gini of [1, 2, 2] = 2 / 15.
    assert (load.capacity, load.load, load.utilisation) == (5, 5, 1.0)
    assert load.gini == pytest.approx(2 / 15)
    assert (load.full, load.idle, load.load_counts) == (3, 0, (0, 1, 2))
    assert load.utilisation_counts == (0,) * 9 + (3,)
    sc = r.scores
    # pair scores 0.9, 0.8, 0.9, 0.3, 0.3
    assert (sc.count, sc.minimum, sc.p10, sc.median, sc.p90, sc.maximum) == (
        5, 0.3, 0.3, 0.8, 0.9, 0.9,
    )  # fmt: skip
    assert sc.mean == pytest.approx(0.64)
    assert sc.bin_edges == pytest.approx((0.3, 0.5, 0.7, 0.9))
    assert sc.counts == (2, 0, 3)
    a, b = r.mentor_groups
    assert (a.value, a.people, a.capacity, a.load, a.utilisation) == ("a", 2, 4, 4, 1.0)
    assert a.mean_score == pytest.approx((0.9 + 0.8 + 0.9 + 0.3) / 4)
    assert (b.value, b.load, b.mean_score) == ("b", 1, 0.3)


def test_pair_scores_instead_of_the_matrix() -> None:
    r = _report(scores=None, allowed=None, pair_scores=[0.9, 0.8, 0.9, 0.3, 0.3])
    north, south = r.groups
    assert north.mean_score == pytest.approx(0.725)
    assert north.top_choice_share is None and south.top_choice_share is None


def test_top_choice_ties_go_to_the_lowest_mentor_index() -> None:
    s = np.array([[0.5, 0.5]])
    r = audit(["e"], ["a", "b"], [[0, 1]], scores=s, mentee_groups={"g": ["x"]})
    assert r.groups[0].top_choice_share == 0.0
    r = audit(["e"], ["a", "b"], [[0, 0]], scores=s, mentee_groups={"g": ["x"]})
    assert r.groups[0].top_choice_share == 1.0


def test_score_ratio_needs_a_positive_best_mean() -> None:
    s = -np.ones((2, 2))
    r = audit(["a", "b"], ["x", "y"], [[0, 0], [1, 1]], scores=s, mentee_groups={"g": [1, 2]})
    assert all(g.score_ratio is None and not g.score_flag for g in r.groups)


def test_nobody_matched_flags_nobody() -> None:
    r = audit(["a", "b"], ["x"], np.zeros((0, 2), int), scores=np.ones((2, 1)),
              mentee_groups={"g": [1, 2]})  # fmt: skip
    assert [g.share_ratio for g in r.groups] == [1.0, 1.0]
    assert r.scores.count == 0 and r.scores.mean is None and r.scores.counts == ()


@pytest.mark.parametrize(
    ("k", "n", "lo", "hi"),
    # Published Wilson 95% intervals (e.g. Newcombe 1998, Table I; Brown, Cai & DasGupta).
    [(0, 10, 0.0, 0.2775), (5, 10, 0.2366, 0.7634), (81, 263, 0.2553, 0.3662)],
)
def test_wilson_interval_matches_published_values(k: int, n: int, lo: float, hi: float) -> None:
    assert wilson_interval(k, n) == pytest.approx((lo, hi), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("values", "g"),
    [([0, 0, 0, 4], 0.75), ([3, 3, 3], 0.0), ([1, 2, 3], 8 / 36), ([], 0.0), ([0, 0], 0.0)],
)
def test_gini_by_hand(values: list[int], g: float) -> None:
    assert gini(values) == pytest.approx(g)


def test_history_metrics_by_hand() -> None:
    history = [
        HistoryPair("e0", "r0", date(2025, 1, 10), date(2025, 3, 1), "bad_outcome",
                    ratings=((date(2025, 1, 20), 2), (date(2025, 2, 15), 1))),
        HistoryPair("e0", "r1", date(2025, 3, 5)),  # after e0's pair ended: a re-match
        HistoryPair("e1", "r0", date(2025, 1, 15), date(2025, 6, 1), "goals_met", "good",
                    ratings=((date(2025, 2, 20), 4),)),
        HistoryPair("e1", "r0", date(2025, 7, 1)),  # the same mentor again: not a re-match
        HistoryPair("e2", "r2", date(2025, 2, 1), date(2025, 4, 1), "rematch", "neutral"),
        HistoryPair("e2", "r1", date(2025, 4, 1)),  # on the day the last one ended
        HistoryPair("e3", "r1", date(2025, 2, 10), date(2025, 5, 1), None, "bad"),
        HistoryPair("e4", "r2", date(2025, 1, 5), date(2025, 2, 1), "other"),
    ]  # fmt: skip
    h = _report(history=history).history
    assert h is not None
    assert (h.pairs, h.mentees, h.rematched) == (8, 5, 2)
    assert h.rematch_rate == pytest.approx(0.4)
    assert (h.ended, h.ended_bad_outcome, h.ended_by_policy, h.ended_by_rematch) == (5, 2, 1, 1)
    assert h.ended_other == 1
    assert [c.cohort for c in h.cohorts] == ["2025-01", "2025-02", "2025-03", "2025-04", "2025-07"]
    jan = h.cohorts[0]
    # Jan cohort: e0-r0 rated 2 on day 10 (period 0) and 1 on day 36 (period 1); e1-r0
    # rated 4 on day 36 (period 1).
    assert (jan.pairs, jan.period, jan.count) == (3, (0, 1), (1, 2))
    assert jan.mean == pytest.approx((2.0, 2.5))
    assert (h.cohorts[1].pairs, h.cohorts[1].period) == (2, ())
    assert _report().history is None


def test_pairs_from_ids() -> None:
    p = pairs_from_ids(MENTEES, MENTORS, [("e2", "r1"), ("e0", "r0")])
    np.testing.assert_array_equal(p, [[2, 1], [0, 0]])
    with pytest.raises(InvalidInputError, match="names mentor 'r9'") as err:
        pairs_from_ids(MENTEES, MENTORS, [("e0", "r9")])
    assert err.value.field == "pairs[0].mentor_id"


# -- validation: one test per branch -----------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"pairs": [[0.5, 1]]}, "integer array of shape"),
        ({"pairs": [[0, 3]]}, r"pairs\[0\] = \(0, 3\) is out of range"),
        ({"pairs": [[0, 0], [0, 0]]}, "repeats a"),
        ({"pairs": [[0, 0], [0, 1]]}, "has 2 pairs but demand 1"),
        ({"pairs": [[0, 2], [2, 2]]}, "has 2 pairs but capacity 1"),
        ({"scores": None}, "exactly one of scores"),
        ({"pair_scores": [1.0] * 5}, "exactly one of scores"),
        ({"scores": SCORES[:, :2]}, r"scores must have shape \(6, 3\)"),
        ({"allowed": ALLOWED.astype(int)}, "allowed must be a bool array"),
        ({"scores": np.where(ALLOWED, SCORES, np.nan)}, None),
        ({"scores": np.full((6, 3), np.nan)}, "scores contains nan at"),
        ({"allowed": ~ALLOWED | np.eye(6, 3, dtype=bool)}, "is a forbidden pair"),
        ({"scores": None, "allowed": None, "pair_scores": [1.0]}, "pair_scores must hold 5"),
        ({"unmatched_reasons": [None]}, "unmatched_reasons has 1 entries"),
        ({"four_fifths": 1.5}, "four_fifths must be in"),
        ({"mentee_groups": {"region": ["a"]}}, "give one value per person"),
        ({"mentee_groups": {"x": np.array(["a", 1, 2, 3, 4, None], dtype=object)}}, "mixes"),
        ({"demand": [-1] * 6}, "demand must be 6 non-negative integers"),
        ({"capacity": [1.5] * 3}, "capacity must be 3 non-negative integers"),
    ],
)
def test_rejects(kw: dict[str, object], match: str | None) -> None:
    pairs = kw.pop("pairs", PAIRS)
    if match is None:  # NaN on forbidden pairs only is fine
        _report(**kw)
        return
    args: dict[str, object] = {
        "scores": SCORES,
        "allowed": ALLOWED,
        "demand": DEMAND,
        "capacity": CAPACITY,
        "unmatched_reasons": REASONS,
        "mentee_groups": {"region": REGION},
    }
    args.update(kw)
    with pytest.raises(InvalidInputError, match=match):
        audit(MENTEES, MENTORS, pairs, **args)  # type: ignore[arg-type]


def test_rejects_duplicate_ids() -> None:
    with pytest.raises(InvalidInputError, match="mentor_ids repeats 'r0'") as err:
        audit(MENTEES, ["r0", "r0", "r2"], PAIRS, scores=SCORES)
    assert err.value.field == "mentor_ids"


@pytest.mark.parametrize(
    ("pair", "match"),
    [
        (HistoryPair("e0", "r0", date(2025, 2, 1), date(2025, 1, 1)), "ends .* before it starts"),
        (HistoryPair("e0", "r0", date(2025, 1, 1), ratings=((date(2025, 2, 1), 6),)), "1 to 5"),
        (HistoryPair("e0", "r0", date(2025, 1, 1), ratings=((date(2024, 2, 1), 3),)), "before"),
    ],
)
def test_rejects_bad_history(pair: HistoryPair, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        _report(history=[pair])


def test_a_programme_without_mentors_is_audited_not_refused() -> None:
    # the fuzzer's case: argmax over zero mentors raised a ValueError (a 500 through /audit)
    r = audit(["a", "b", "c"], [], np.zeros((0, 2), int), scores=np.zeros((3, 0)),
              mentee_groups={"g": ["x", "x", "y"]})  # fmt: skip
    assert (r.mentees, r.mentors, r.matched, r.matched_share) == (3, 0, 0, 0.0)
    assert [g.top_choice_share for g in r.groups] == [None, None]  # nobody has a top choice
