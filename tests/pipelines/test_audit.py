"""The audit of a match through the pipeline and every door: a hand-built programme whose
figures are worked out below (Python API and HTTP give the same), history through the
schema, the audit job kind, the CLI, and every validation branch."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from matchsvc.api import create_app
from matchsvc.audit import AuditReport
from matchsvc.cli import create_cli
from matchsvc.config import Settings
from matchsvc.errors import InvalidInputError
from matchsvc.pipelines import AuditSettings, MatchOptions, audit
from matchsvc.profiles import Profile
from matchsvc.scoring import EmbeddingCache, ScoringOptions
from tests.fakes import TokenEncoder

SKILLS = ScoringOptions(weights=MappingProxyType({"skills": 1.0}))
OPTIONS = MatchOptions(scoring=SKILLS, min_score=0.25)
OPTIONS_BODY = {"weights": {"skills": 1.0}, "min_score": 0.25}


def person(pid: str, skills: list[int], **extra: Any) -> Profile:
    attributes = extra.pop("attributes", {})
    return Profile(
        id=pid,
        skills=tuple(f"k{k}" for k in skills),
        attributes=MappingProxyType(attributes),
        **extra,
    )


# Skill coverage (TokenEncoder), min_score 0.25; unrelated skills score U = 0.05 under the
# cosine map, so bob (k0, k2) scores B = (1 + U) / 2 = 0.525 with each mentor:
#          x (cap 2, org a)  y (cap 1, org b)  z (cap 1, org b)  w (cap 1, org a)
# ann  k0        1                 U                 1                 1
# bob  k0 k2     B                 B                 B                 B
# cat  k1        1                 U                 U                 U      demand 2
# hal  k1        1                 U                 U                 U
# dan  k2        U                 1                 U                 U
# eve  k3        U                 U                 U                 U
# fay  k0        excludes every mentor
# gus  k0        1                 U                 1                 1      no region
U = 0.05
B = (1 + U) / 2
MENTEES = [
    person("ann", [0], attributes={"region": "north"}),
    person("bob", [0, 2], attributes={"region": "north"}),
    person("cat", [1], attributes={"region": "north"}, demand=2),
    person("hal", [1], attributes={"region": "north"}),
    person("dan", [2], attributes={"region": "south"}),
    person("eve", [3], attributes={"region": "south"}),
    person("fay", [0], attributes={"region": "south"}, exclude=("x", "y", "z", "w")),
    person("gus", [0]),
]
MENTORS = [
    person("x", [0, 1], capacity=2, attributes={"org": "a"}),
    person("y", [2], capacity=1, attributes={"org": "b"}),
    person("z", [0], capacity=1, attributes={"org": "b"}),
    person("w", [0], capacity=1, attributes={"org": "a"}),
]
# The audited match (not an optimum: w is left idle though gus could take it).
PAIRS = [("ann", "x"), ("cat", "x"), ("bob", "z"), ("dan", "y")]


def embedder() -> EmbeddingCache:
    return EmbeddingCache(TokenEncoder(), None)


def run(**kw: Any) -> AuditReport:
    args: dict[str, Any] = {"attributes": ["region", "org"]}
    args.update(kw)
    pairs = args.pop("pairs", PAIRS)
    return audit(MENTEES, MENTORS, pairs, args.pop("options", OPTIONS), embedder(), **args)


def check_by_hand(r: Any) -> None:
    """The figures of the hand-built programme (attribute access: core or response model)."""
    assert (r.mentees, r.mentors, r.demand, r.matched) == (8, 4, 9, 4)
    assert r.matched_share == pytest.approx(4 / 9)
    # cat: 1 of 2 slots, its only allowed mentor is x (theirs): the rest is below min_score;
    # hal: x (allowed) is full; eve: every mentor below 0.25; fay: excluded everywhere;
    # gus: x and z are full but w (allowed) has room.
    assert dict(r.unmatched_reasons) == {
        "below_min_score": 2,
        "capacity_exhausted": 1,
        "no_feasible_mentor": 1,
        "open_slot_left": 1,
    }
    north, south, none = r.groups
    # north: ann, bob, cat (demand 2), hal: 5 slots, 3 matched (ann-x 1, cat-x 1, bob-z B)
    assert (north.value, north.people, north.demand, north.matched) == ("north", 4, 5, 3)
    assert north.people_matched == 3 and north.pairs == 3
    assert north.matched_share == pytest.approx(0.6)
    assert north.mean_score == pytest.approx((2 + B) / 3)
    assert (north.min_score, north.bottom_decile_score) == (pytest.approx(B), pytest.approx(B))
    # top-ranked allowed mentor (ties to the lowest index): x for all four; ann and cat have x
    assert (north.top_choice_share, north.top_choice_base) == (0.5, 4)
    assert dict(north.unmatched_reasons) == {"below_min_score": 1, "capacity_exhausted": 1}
    assert (north.share_ratio, north.share_flag, north.caution) == (1.0, False, False)
    assert north.score_ratio == pytest.approx((2 + B) / 3) and not north.score_flag
    # south: dan-y (1.0); eve and fay have no allowed mentor (not in the top-choice base)
    assert (south.value, south.people, south.demand, south.matched) == ("south", 3, 3, 1)
    assert south.matched_share == pytest.approx(1 / 3)
    assert (south.mean_score, south.min_score, south.score_ratio) == (1.0, 1.0, 1.0)
    assert (south.top_choice_share, south.top_choice_base) == (1.0, 1)
    assert dict(south.unmatched_reasons) == {"below_min_score": 1, "no_feasible_mentor": 1}
    assert south.share_ratio == pytest.approx((1 / 3) / 0.6) and south.share_flag
    assert south.caution and south.caution_reason == "fewer than 30 slots"
    # gus, without a region: the group None
    assert (none.value, none.people, none.matched, none.matched_share) == (None, 1, 0, 0.0)
    assert none.mean_score is None and none.score_ratio is None
    assert (none.top_choice_share, none.top_choice_base) == (0.0, 1)
    assert dict(none.unmatched_reasons) == {"open_slot_left": 1}
    assert none.share_ratio == 0.0 and none.share_flag
    # mentors by org: a = x, w (capacity 3, ann and cat with x); b = y, z (dan, bob)
    a, b = r.mentor_groups
    assert (a.value, a.people, a.capacity, a.load, a.mean_score) == ("a", 2, 3, 2, 1.0)
    assert a.utilisation == pytest.approx(2 / 3)
    assert (b.value, b.capacity, b.load, b.utilisation) == ("b", 2, 2, 1.0)
    assert b.mean_score == pytest.approx((1 + B) / 2)
    # loads 2, 1, 1, 0 of 5 places; Gini of [0, 1, 1, 2] = (0 - 1 + 1 + 6) / (4 x 4)
    load = r.mentor_load
    assert (load.capacity, load.load, load.utilisation) == (5, 4, 0.8)
    assert load.gini == pytest.approx(6 / 16)
    assert (load.full, load.idle, tuple(load.load_counts)) == (3, 1, (1, 2, 1))
    sc = r.scores
    assert (sc.count, sc.minimum, sc.maximum) == (4, pytest.approx(B), 1.0)
    assert sc.mean == pytest.approx((3 + B) / 4)


def test_figures_by_hand_through_the_python_api() -> None:
    check_by_hand(run())


def test_the_four_fifths_threshold_and_small_group_size_are_settings() -> None:
    r = run(settings=AuditSettings(four_fifths=0.5, min_group_size=0, bins=2))
    _, south, none = r.groups
    assert not south.share_flag  # 0.556 >= 0.5
    assert none.share_flag and r.four_fifths == 0.5 and r.min_group_size == 0
    assert len(r.scores.counts) == 2


# ---------------------------------------------------------------- validation, one per branch


@pytest.mark.parametrize(
    ("kw", "field", "message"),
    [
        ({"settings": AuditSettings(four_fifths=0.0)}, "four_fifths", "above 0"),
        ({"settings": AuditSettings(four_fifths=math.nan)}, "four_fifths", "above 0"),
        ({"settings": AuditSettings(four_fifths=True)}, "four_fifths", "above 0"),  # type: ignore[arg-type]
        ({"settings": AuditSettings(min_group_size=-1)}, "min_group_size", "0 to 1,000,000"),
        ({"settings": AuditSettings(bins=0)}, "bins", "1 to 100"),
        ({"settings": AuditSettings(bins=101)}, "bins", "1 to 100"),
        ({"attributes": "region"}, "attributes", "a list"),
        ({"attributes": [f"a{k}" for k in range(17)]}, "attributes", "at most 16"),
        ({"attributes": ["region", ""]}, "attributes[1]", "give an attribute name"),
        ({"attributes": ["region", "region"]}, "attributes[1]", "listed twice"),
        ({"attributes": ["nope"]}, "attributes[0]", "no mentee or mentor has"),
        ({"pairs": [("ann", "x"), ("zed", "y")]}, "pairs[1].mentee_id", "not among the mentees"),
        ({"pairs": [("ann", "q")]}, "pairs[0].mentor_id", "not among the mentors"),
        ({"pairs": [("fay", "x")]}, "pairs[0]", "a hard constraint removes it"),
        ({"pairs": [("eve", "x")]}, "pairs[0]", "below min_score 0.25"),
        ({"pairs": [("ann", "x"), ("ann", "x")]}, "pairs", "repeats"),
        ({"pairs": [("ann", "x"), ("ann", "z")]}, "pairs", "has 2 pairs but demand 1"),
    ],
)  # fmt: skip
def test_bad_input_is_refused(kw: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message) as info:
        run(**kw)
    assert info.value.field == field


def test_a_list_attribute_cannot_group() -> None:
    tagged = [*MENTEES[:-1], person("gus", [0], attributes={"tags": ("a", "b")})]
    with pytest.raises(InvalidInputError, match="has a list") as info:
        audit(tagged, MENTORS, PAIRS, OPTIONS, embedder(), attributes=["tags"])
    assert info.value.field == "attributes[0]"


# ---------------------------------------------------------------- through HTTP, jobs, CLI


def _json(p: Profile) -> dict[str, Any]:
    return {
        "id": p.id,
        "skills": list(p.skills),
        "attributes": dict(p.attributes),
        "capacity": p.capacity,
        "demand": p.demand,
        "exclude": list(p.exclude),
    }


BODY: dict[str, Any] = {
    "mentees": [_json(p) for p in MENTEES],
    "mentors": [_json(p) for p in MENTORS],
    "pairs": [{"mentee_id": a, "mentor_id": b} for a, b in PAIRS],
    "attributes": ["region", "org"],
    "options": OPTIONS_BODY,
}


class _Row:
    """Attribute access over a response body's dicts (``check_by_hand`` reads attributes)."""

    def __init__(self, data: Any) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        value = self._data[name]
        if isinstance(value, dict) and name not in ("unmatched_reasons",):
            return _Row(value)
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return [_Row(v) for v in value]
        return value


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("audit"))
    with TestClient(create_app(settings, encoder=TokenEncoder())) as test_client:
        yield test_client


def test_figures_by_hand_through_http(client: TestClient) -> None:
    response = client.post("/audit", json=BODY)
    assert response.status_code == 200, response.text
    check_by_hand(_Row(response.json()))


def test_a_match_body_is_audited_like_its_pairs(client: TestClient) -> None:
    body = {k: v for k, v in BODY.items() if k != "pairs"}
    result = client.post(
        "/match",
        json={"mentees": body["mentees"], "mentors": body["mentors"], "options": OPTIONS_BODY},
    ).json()
    by_match = client.post("/audit", json={**body, "match": result}).json()
    pairs = [{"mentee_id": m["mentee_id"], "mentor_id": m["mentor_id"]} for m in result["matches"]]
    by_pairs = client.post("/audit", json={**body, "pairs": pairs}).json()
    assert by_match == by_pairs
    # the same reasons as the match gives its unmatched mentees
    reasons: dict[str, int] = {}
    for u in result["unmatched"]:
        reasons[u["reason"]] = reasons.get(u["reason"], 0) + 1
    assert by_match["unmatched_reasons"] == dict(sorted(reasons.items()))
    # an exact match leaves no open slot that an unmatched mentee could take
    assert "open_slot_left" not in by_match["unmatched_reasons"]
    assert by_match["matched"] == result["summary"]["matched"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"pairs": None}, "match"),
        ({"match": {"matches": [], "unmatched": [], "mentors": [], "summary": {
            "matched": 0, "unmatched": 0, "total_score": 0, "mean_score": None,
            "min_score": None, "optimal": True, "solver": "flow", "timings_ms": {}}}}, "pairs"),
        ({"attributes": ["nope"]}, "attributes[0]"),
        ({"pairs": [{"mentee_id": "ann", "mentor_id": "q"}]}, "pairs[0].mentor_id"),
        ({"four_fifths": 0}, "four_fifths"),
        ({"bins": 101}, "bins"),
        ({"history": [{"mentee_id": "ann", "mentor_id": "x", "start": "2025-02-01",
                       "end": "2025-01-01"}]}, "history[0].end"),
        ({"history": [{"mentee_id": "ann", "mentor_id": "x", "start": "2025-02-01",
                       "ratings": [{"date": "2025-03-01", "rating": 6}]}]},
         "history[0].ratings[0].rating"),
    ],
)  # fmt: skip
def test_http_names_the_bad_field(client: TestClient, change: dict[str, Any], field: str) -> None:
    response = client.post("/audit", json={**BODY, **change})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


def test_a_bad_pair_of_a_match_body_is_named_there(client: TestClient) -> None:
    body = {k: v for k, v in BODY.items() if k != "pairs"}
    result = client.post(
        "/match",
        json={"mentees": body["mentees"], "mentors": body["mentors"], "options": OPTIONS_BODY},
    ).json()
    result["matches"][0]["mentor_id"] = "q"
    response = client.post("/audit", json={**body, "match": result})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "match.matches[0].mentor_id"


def test_history_figures_through_http(client: TestClient) -> None:
    history = [
        {"mentee_id": "ann", "mentor_id": "y", "start": "2025-01-10", "end": "2025-03-01",
         "end_reason": "bad_outcome",
         "ratings": [{"date": "2025-01-20", "rating": 2}, {"date": "2025-02-15", "rating": 1}]},
        {"mentee_id": "ann", "mentor_id": "x", "start": "2025-03-05"},
        {"mentee_id": "bob", "mentor_id": "z", "start": "2025-01-15", "end": "2025-06-01",
         "end_reason": "goals_met", "outcome": "good",
         "ratings": [{"date": "2025-02-20", "rating": 4}]},
    ]  # fmt: skip
    h = client.post("/audit", json={**BODY, "history": history}).json()["history"]
    # ann re-matched (new mentor after an end), bob did not: 1 of 2
    assert (h["pairs"], h["mentees"], h["rematched"], h["rematch_rate"]) == (3, 2, 1, 0.5)
    assert (h["ended"], h["ended_bad_outcome"], h["ended_by_policy"]) == (2, 1, 1)
    jan = h["cohorts"][0]
    # January: ann-y rated 2 on day 10 (period 0), 1 on day 36; bob-z 4 on day 36 (period 1)
    assert (jan["cohort"], jan["pairs"], jan["period"], jan["count"]) == (
        "2025-01",
        2,
        [0, 1],
        [1, 2],
    )
    assert jan["mean"] == [2.0, 2.5]


def _wait(client: TestClient, job_id: str) -> dict[str, Any]:
    for _ in range(400):
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job  # type: ignore[no-any-return]
        time.sleep(0.025)
    raise AssertionError(f"job {job_id} did not finish")


def test_an_audit_job_returns_the_audit_body(client: TestClient) -> None:
    submitted = client.post("/jobs", json={"kind": "audit", "payload": BODY})
    assert submitted.status_code == 202, submitted.text
    job = _wait(client, submitted.json()["id"])
    assert job["status"] == "succeeded", job
    result = client.get(f"/jobs/{job['id']}/result").json()
    assert result == client.post("/audit", json=BODY).json()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"pairs": None}, "payload.match"),
        ({"attributes": ["nope"]}, "payload.attributes[0]"),
        ({"pairs": [{"mentee_id": "zed", "mentor_id": "x"}]}, "payload.pairs[0].mentee_id"),
        ({"bins": 0}, "payload.bins"),
    ],
)
def test_an_audit_job_is_refused_at_submit(
    client: TestClient, change: dict[str, Any], field: str
) -> None:
    response = client.post("/jobs", json={"kind": "audit", "payload": {**BODY, **change}})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


def test_the_cli_audit_writes_the_http_body(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATCHSVC_DATA_DIR", str(tmp_path / "data"))
    for key in ("mentees", "mentors", "options"):
        (tmp_path / f"{key}.json").write_text(json.dumps(BODY[key]))
    (tmp_path / "pairs.csv").write_text(
        "mentee_id,mentor_id\n" + "".join(f"{a},{b}\n" for a, b in PAIRS)
    )
    out = tmp_path / "audit.json"
    cli = create_cli(encoder=TokenEncoder())
    args = [
        "audit", f"--mentees={tmp_path / 'mentees.json'}", f"--mentors={tmp_path / 'mentors.json'}",
        f"--options={tmp_path / 'options.json'}", f"--pairs={tmp_path / 'pairs.csv'}",
        "--attributes=region,org", f"--out={out}",
    ]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == client.post("/audit", json=BODY).json()
    bad = CliRunner().invoke(cli, [*args[:-2], "--attributes=nope", f"--out={out}.2.json"])
    assert bad.exit_code == 2
    assert "--attributes (attributes[0]): attributes[0]: no mentee or mentor has" in bad.stderr
    assert not Path(f"{out}.2.json").exists()
