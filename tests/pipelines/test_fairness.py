"""Group-fair matching in the match pipeline and through /match: a planted programme whose
unconstrained optimum under-serves one group, worked out by hand; a brute-force differential
on tiny programmes; unmatched reasons under floors; one test per validation branch."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from types import MappingProxyType
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from matchsvc.api import create_app
from matchsvc.assignment import GroupFloor
from matchsvc.config import Settings
from matchsvc.errors import FloorInfeasibleError, InvalidInputError
from matchsvc.pipelines import MatchOptions, build_problem, match
from matchsvc.profiles import Profile
from matchsvc.scoring import EmbeddingCache, ScoringOptions
from tests.fakes import TokenEncoder

SKILLS = ScoringOptions(weights=MappingProxyType({"skills": 1.0}))


def person(pid: str, skills: list[int], **extra: Any) -> Profile:
    attributes = extra.pop("attributes", {})
    return Profile(
        id=pid,
        skills=tuple(f"k{k}" for k in skills),
        attributes=MappingProxyType(attributes),
        **extra,
    )


def embedder() -> EmbeddingCache:
    return EmbeddingCache(TokenEncoder(), None)


# The planted programme. Skill coverage (TokenEncoder): a north mentee wants k0 and every
# mentor offers it (score 1); a south mentee wants k0 and k3, of which each mentor offers k0
# (score (1 + U) / 2, U = 0.05 the score of unrelated texts under the cosine map). Two mentors
# of capacity 2: four slots for six mentees. The best total (4.0) gives every slot to the
# north and none to the south.
U = 0.05
SOUTH_SCORE = (1 + U) / 2
NORTH = [person(f"n{k}", [0], attributes={"region": "north"}) for k in range(1, 5)]
SOUTH = [person(f"s{k}", [0, 3], attributes={"region": "south"}) for k in range(1, 3)]
MENTEES = NORTH + SOUTH
MENTORS = [person("x", [0, 1], capacity=2), person("y", [0, 2], capacity=2)]


def options(*rules: GroupFloor, **kw: Any) -> MatchOptions:
    return MatchOptions(scoring=SKILLS, fairness=rules, **kw)


def by_group(report: Any) -> dict[str, tuple[int, int, int, int]]:
    f = report.summary.fairness
    return {g.value: (g.demand, g.floor, g.matched_without_floors, g.matched) for g in f.groups}


def test_without_floors_the_south_gets_nothing() -> None:
    report = match(MENTEES, MENTORS, MatchOptions(scoring=SKILLS), embedder())
    assert {m.mentee_id for m in report.matches} == {"n1", "n2", "n3", "n4"}
    assert report.summary.total_score == 4.0 and report.summary.fairness is None


def test_a_share_floor_moves_one_slot_to_the_south_at_a_cost_of_half_a_point() -> None:
    # floors: north ceil(0.5 x 4) = 2, south ceil(0.5 x 2) = 1. The best assignment meeting
    # them keeps the 4 pairs, three norths (1.0 each) and one south (0.525): total 3.525.
    report = match(MENTEES, MENTORS, options(GroupFloor("region", 0.5)), embedder())
    f = report.summary.fairness
    assert f is not None
    assert by_group(report) == {"north": (4, 2, 4, 3), "south": (2, 1, 0, 1)}
    assert f.total_score_without_floors == 4.0
    assert f.total_score == pytest.approx(3 + SOUTH_SCORE)
    assert f.cost_of_fairness == pytest.approx(1 - SOUTH_SCORE)
    assert f.method == "flow" and report.summary.solver.endswith("+floors")
    assert report.summary.matched == 4
    assert report.summary.total_score == pytest.approx(3 + SOUTH_SCORE)
    assert sum(m.score for m in report.matches) == pytest.approx(3 + SOUTH_SCORE)
    south = next(g for g in f.groups if g.value == "south")
    assert (south.matched_share, south.matched_share_without_floors) == (0.5, 0.0)
    assert sum(m.mentee_id.startswith("s") for m in report.matches) == 1
    # the two left out (one north, one south) are out because both mentors are full
    assert sorted(u.reason for u in report.unmatched) == ["capacity_exhausted"] * 2


def test_a_gap_floor_is_the_overall_share_minus_the_gap() -> None:
    # overall share without floors: 4 of 6 slots. Gap 0.5: south ceil((2/3 - 1/2) x 2) = 1,
    # north ceil((2/3 - 1/2) x 4) = 1.
    report = match(MENTEES, MENTORS, options(GroupFloor("region", max_share_gap=0.5)), embedder())
    assert by_group(report) == {"north": (4, 1, 4, 3), "south": (2, 1, 0, 1)}
    # gap 0.7: 2/3 - 0.7 < 0, no floor asks for anything: the unconstrained answer
    free = match(MENTEES, MENTORS, options(GroupFloor("region", max_share_gap=0.7)), embedder())
    assert free.summary.fairness is not None
    assert (free.summary.fairness.method, free.summary.fairness.cost_of_fairness) == (
        "unconstrained",
        0.0,
    )
    assert free.summary.total_score == 4.0


def test_a_floor_that_cannot_hold_names_the_group_and_the_largest_floor() -> None:
    # share 1.0: north 4 and south 2 of four slots. With the north's four floors kept, the
    # south can get 0; alone, both its mentees (2).
    with pytest.raises(FloorInfeasibleError) as info:
        match(MENTEES, MENTORS, options(GroupFloor("region", 1.0)), embedder())
    err = info.value
    assert err.field == "options.fairness[0].min_matched_share"
    assert (err.attribute, err.group, err.floor, err.largest_floor, err.group_demand) == (
        "region", "south", 2, 0, 2,
    )  # fmt: skip
    assert err.message.startswith(
        "fairness floor cannot hold for group 'south' of attribute 'region': it asks 2 of the "
        "group's 2 slots (min_matched_share 1.0) but at most 0 can be matched while the other "
        "groups keep their floors (2 with no other floor); lower min_matched_share to at most "
        "0.0000"
    )


def test_mentees_without_the_attribute_are_a_group_of_their_own() -> None:
    lone = person("z", [0, 3])  # no region
    report = match([*MENTEES, lone], MENTORS, options(GroupFloor("region", 0.4)), embedder())
    f = report.summary.fairness
    assert f is not None
    assert [g.value for g in f.groups] == ["north", "south", None]
    assert [g.floor for g in f.groups] == [2, 1, 1]
    assert [g.matched for g in f.groups] == [2, 1, 1]
    barred = person("z", [0], exclude=("x",))  # no region, and no mentor it may have
    rule = options(GroupFloor("region", 1.0))
    with pytest.raises(FloorInfeasibleError, match=r"group \(no value\) of attribute") as info:
        match([NORTH[0], barred], [person("x", [0], capacity=2)], rule, embedder())
    assert info.value.group is None and info.value.largest_floor == 0


def test_floors_on_two_attributes() -> None:
    # The integer program's path: each attribute's own optimum breaks the other's floor.
    # Scores with the one mentor: a 1, b (1 + U)/2, c (1 + U)/2, d (1 + 2U)/3; two slots.
    people = [
        person("a", [0], attributes={"region": "n", "track": "x"}),
        person("b", [0, 5], attributes={"region": "n", "track": "y"}),
        person("c", [0, 3], attributes={"region": "s", "track": "x"}),
        person("d", [0, 3, 4], attributes={"region": "s", "track": "y"}),
    ]
    mentors = [person("m", [0], capacity=2)]
    plain = match(people, mentors, MatchOptions(scoring=SKILLS), embedder())
    assert plain.summary.total_score == pytest.approx(1 + SOUTH_SCORE)  # a with b or c
    # region floors alone: a + c (tracks x, x); track floors alone: a + b (regions n, n).
    # Both: one of each region and each track: a + d (1.37) beats b + c (1.05).
    rules = (GroupFloor("region", 0.5), GroupFloor("track", 0.5))
    report = match(people, mentors, options(*rules), embedder())
    assert {m.mentee_id for m in report.matches} == {"a", "d"}
    f = report.summary.fairness
    assert f is not None and f.method == "milp+flow"
    d_score = (1 + 2 * U) / 3
    assert f.total_score == pytest.approx(1 + d_score)
    assert f.cost_of_fairness == pytest.approx(SOUTH_SCORE - d_score)
    assert [(g.attribute, g.value, g.matched) for g in f.groups] == [
        ("region", "n", 1), ("region", "s", 1), ("track", "x", 1), ("track", "y", 1),
    ]  # fmt: skip


def _brute_force(
    scores: np.ndarray, capacity: np.ndarray, groups: np.ndarray, share: float
) -> tuple[int, float] | None:
    """Most pairs, then the best total, among assignments (demand 1) meeting the floors."""
    n, m = scores.shape
    floors = {g: int(np.ceil(share * (groups == g).sum() - 1e-12)) for g in set(groups.tolist())}
    best: tuple[int, float] | None = None
    for choice in itertools.product(range(-1, m), repeat=n):
        loads = np.bincount([j for j in choice if j >= 0], minlength=m)
        if (loads > capacity).any():
            continue
        got = {g: sum(1 for i, j in enumerate(choice) if j >= 0 and groups[i] == g) for g in floors}
        if any(got[g] < floors[g] for g in floors):
            continue
        count = sum(j >= 0 for j in choice)
        total = float(sum(scores[i, j] for i, j in enumerate(choice) if j >= 0))
        if best is None or (count, total) > (best[0], best[1] + 1e-9):
            best = (count, total)
    return best


@pytest.mark.parametrize("seed", range(12))
def test_floors_agree_with_brute_force_on_tiny_programmes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = 5, 3
    regions = ["a", "b"]
    mentees = [
        person(f"e{i}", sorted(rng.choice(6, 2, replace=False).tolist()),
               attributes={"region": regions[int(rng.integers(2))]})
        for i in range(n)
    ]  # fmt: skip
    mentors = [
        person(f"r{j}", sorted(rng.choice(6, 3, replace=False).tolist()),
               capacity=int(rng.integers(1, 3)))
        for j in range(m)
    ]  # fmt: skip
    share = float(rng.choice([0.34, 0.5, 0.67]))
    problem = build_problem(mentees, mentors, MatchOptions(scoring=SKILLS), embedder())
    groups = np.array([p.attributes["region"] for p in mentees])
    expected = _brute_force(problem.scores.astype(np.float64), problem.capacity, groups, share)
    rules = options(GroupFloor("region", share))
    if expected is None:
        with pytest.raises(FloorInfeasibleError):
            match(mentees, mentors, rules, embedder())
        return
    report = match(mentees, mentors, rules, embedder())
    assert report.summary.matched == expected[0]
    assert report.summary.total_score == pytest.approx(expected[1], abs=1e-6)


def test_unmatched_reasons_stay_true_under_floors() -> None:
    # A floor never lowers the matched count, so a mentee left out with a feasible mentor
    # still finds every such mentor full; the other reasons come from the constraints.
    rng = np.random.default_rng(7)
    mentees = [
        person(f"e{i}", rng.choice(8, 2, replace=False).tolist(),
               attributes={"region": "ab"[i % 2]}, demand=int(rng.integers(1, 3)))
        for i in range(30)
    ]  # fmt: skip
    mentors = [
        person(f"r{j}", rng.choice(8, 3, replace=False).tolist(), capacity=3) for j in range(8)
    ]
    mentees.append(person("nobody-teaches", [9], attributes={"region": "a"}))
    mentees.append(
        person(
            "excluded", [0], attributes={"region": "b"}, exclude=tuple(f"r{j}" for j in range(8))
        )
    )
    opts = MatchOptions(scoring=SKILLS, min_score=0.4, fairness=(GroupFloor("region", 0.5),))
    report = match(mentees, mentors, opts, embedder())
    plain = match(mentees, mentors, MatchOptions(scoring=SKILLS, min_score=0.4), embedder())
    f = report.summary.fairness
    assert f is not None
    assert any(g.matched_without_floors < g.floor for g in f.groups)  # the floors bind
    assert report.summary.matched == plain.summary.matched
    load = {m.mentor_id: m.assigned for m in report.mentors}
    capacity = {m.mentor_id: m.capacity for m in report.mentors}
    reasons = {u.mentee_id: u.reason for u in report.unmatched}
    assert reasons["nobody-teaches"] == "below_min_score"
    assert reasons["excluded"] == "no_feasible_mentor"
    assert "capacity_exhausted" in reasons.values()
    for u in report.unmatched:
        if u.reason == "capacity_exhausted":
            assert all(load[b.mentor_id] == capacity[b.mentor_id] for b in u.best_mentors)
            assert all(b.reason == "at_capacity" for b in u.best_mentors)
        else:
            assert u.best_mentors == ()


# ---------------------------------------------------------------- validation, one per branch


@pytest.mark.parametrize(
    ("rules", "extra", "field", "message"),
    [
        ((GroupFloor("region", 0.5),) * 9, {}, "options.fairness", "at most 8"),
        ((GroupFloor("region", 0.5),), {"objective": "fair"}, "options.fairness", "'total'"),
        ((GroupFloor("region", 0.5),), {"solver": "flow"}, "options.solver", "'auto'"),
        (("region",), {}, "options.fairness[0]", "must be a GroupFloor"),
        ((GroupFloor("", 0.5),), {}, "options.fairness[0].attribute", "non-empty"),
        (
            (GroupFloor("region", 0.5), GroupFloor("region", max_share_gap=0.1)),
            {},
            "options.fairness[1].attribute",
            "two rules",
        ),
        ((GroupFloor("region"),), {}, "options.fairness[0]", r"exactly one .* \(got 0\)"),
        ((GroupFloor("region", 0.5, 0.1),), {}, "options.fairness[0]", r"\(got 2\)"),
        ((GroupFloor("region", 1.5),), {}, "options.fairness[0].min_matched_share", "0 to 1"),
        ((GroupFloor("region", True),), {}, "options.fairness[0].min_matched_share", "0 to 1"),  # type: ignore[arg-type]
        ((GroupFloor("region", max_share_gap=-0.1),), {}, "options.fairness[0].max_share_gap", "0 to 1"),
        ((GroupFloor("tags", 0.5),), {}, "options.fairness[0].attribute", "has a list"),
        ((GroupFloor("nope", 0.5),), {}, "options.fairness[0].attribute", "no mentee has"),
    ],
)  # fmt: skip
def test_bad_rules_are_refused_before_embedding(
    rules: tuple[Any, ...], extra: dict[str, Any], field: str, message: str
) -> None:
    encoder = TokenEncoder()
    calls = []
    original = encoder.encode
    encoder.encode = lambda texts: calls.append(texts) or original(texts)  # type: ignore[method-assign]
    mentees = [*MENTEES[:-1], person("s9", [0], attributes={"region": "s", "tags": ("a",)})]
    with pytest.raises(InvalidInputError, match=message) as info:
        match(mentees, MENTORS, options(*rules, **extra), EmbeddingCache(encoder, None))
    assert info.value.field == field
    assert calls == []


# ---------------------------------------------------------------- through /match


def _json(p: Profile) -> dict[str, Any]:
    return {
        "id": p.id,
        "skills": list(p.skills),
        "attributes": dict(p.attributes),
        "capacity": p.capacity,
    }


BODY = {
    "mentees": [_json(p) for p in MENTEES],
    "mentors": [_json(p) for p in MENTORS],
    "options": {"weights": {"skills": 1.0}},
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("fair"))
    with TestClient(create_app(settings, encoder=TokenEncoder())) as test_client:
        yield test_client


def test_match_over_http_reports_the_floors_and_their_cost(client: TestClient) -> None:
    rules = [{"attribute": "region", "min_matched_share": 0.5}]
    body = {**BODY, "options": {**BODY["options"], "fairness": rules}}
    response = client.post("/match", json=body)
    assert response.status_code == 200, response.text
    fairness = response.json()["summary"]["fairness"]
    assert fairness["total_score_without_floors"] == 4.0
    assert fairness["total_score"] == pytest.approx(3 + SOUTH_SCORE)
    assert fairness["cost_of_fairness"] == pytest.approx(1 - SOUTH_SCORE)
    assert fairness["method"] == "flow"
    assert [
        (g["value"], g["floor"], g["matched_without_floors"], g["matched"])
        for g in fairness["groups"]
    ] == [("north", 2, 4, 3), ("south", 1, 0, 1)]


def test_without_fairness_the_summary_keeps_its_keys(client: TestClient) -> None:
    for options_body in (BODY["options"], {**BODY["options"], "fairness": []}):
        response = client.post("/match", json={**BODY, "options": options_body})
        summary = response.json()["summary"]
        assert list(summary) == [
            "matched", "unmatched", "total_score", "mean_score", "min_score", "optimal",
            "solver", "timings_ms", "mean_coverage", "complementary",
        ]  # fmt: skip
        assert b"fairness" not in response.content


def test_an_infeasible_floor_is_a_422_infeasible(client: TestClient) -> None:
    rules = [{"attribute": "region", "min_matched_share": 1.0}]
    response = client.post(
        "/match", json={**BODY, "options": {**BODY["options"], "fairness": rules}}
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "urn:matchsvc:problem:infeasible"
    assert problem["errors"][0]["field"] == "options.fairness[0].min_matched_share"
    assert "of attribute 'region'" in problem["detail"] and "at most" in problem["detail"]


def test_recommend_takes_no_fairness_rules(client: TestClient) -> None:
    rules = [{"attribute": "region", "min_matched_share": 0.5}]
    body = {**BODY, "options": {**BODY["options"], "fairness": rules}}
    response = client.post("/recommend", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "options.fairness"


def _planted(n: int, seed: int) -> dict[str, Any]:
    """A larger planted programme: region 'c' wants a skill few mentors teach."""
    rng = np.random.default_rng(seed)
    mentees = []
    for i in range(n):
        region = "abc"[i % 3]
        pool = range(0, 10) if region != "c" else range(6, 16)
        mentees.append(
            {"id": f"e{i:03d}", "skills": [f"k{k}" for k in rng.choice(pool, 3, replace=False)],
             "attributes": {"region": region}}
        )  # fmt: skip
    mentors = [
        {"id": f"m{j:02d}", "skills": [f"k{k}" for k in rng.choice(10, 4, replace=False)],
         "capacity": 3}
        for j in range(n // 5)
    ]  # fmt: skip
    return {"mentees": mentees, "mentors": mentors, "options": {"weights": {"skills": 1.0}}}


def test_a_planted_programme_through_match_lifts_the_underserved_group(client: TestClient) -> None:
    body = _planted(90, seed=3)  # 54 slots for 90 mentees
    plain = client.post("/match", json=body).json()
    got = {r: 0 for r in "abc"}
    region = {p["id"]: p["attributes"]["region"] for p in body["mentees"]}
    for m in plain["matches"]:
        got[region[m["mentee_id"]]] += 1
    assert got["c"] < 0.5 * 30  # the unconstrained optimum under-serves region c
    rules = [{"attribute": "region", "min_matched_share": 0.5}]
    fair = client.post(
        "/match", json={**body, "options": {**body["options"], "fairness": rules}}
    ).json()
    groups = {g["value"]: g for g in fair["summary"]["fairness"]["groups"]}
    assert groups["c"]["matched_without_floors"] == got["c"]
    assert all(g["matched"] >= g["floor"] == 15 for g in groups.values())
    assert fair["summary"]["matched"] == plain["summary"]["matched"] == 54
    f = fair["summary"]["fairness"]
    assert f["total_score_without_floors"] == pytest.approx(plain["summary"]["total_score"])
    assert f["cost_of_fairness"] > 0
    assert f["cost_of_fairness"] == pytest.approx(
        plain["summary"]["total_score"] - fair["summary"]["total_score"]
    )
    assert sum(m["score"] for m in fair["matches"]) == pytest.approx(f["total_score"])
