"""POST /match: explained matches, every unmatched reason, faithfulness of the explanations."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from matchsvc.assignment import assign
from tests.api.conftest import person

MENTEES = [
    person("alice", ["python", "data pipelines"], "become a data engineer"),
    person("bob", ["public speaking"], "lead a team"),
    person("cara", ["python", "machine learning"], "become a data scientist"),
]
MENTORS = [
    person("m-data", ["python", "data pipelines", "sql"], "help data engineers grow", capacity=1),
    person("m-lead", ["public speaking", "leadership"], "coach new team leads", capacity=1),
    person("m-ml", ["machine learning", "python"], "mentor data scientists", capacity=1),
]


def _match(client: TestClient, mentees: list[Any], mentors: list[Any], **options: Any) -> Any:
    response = client.post(
        "/match", json={"mentees": mentees, "mentors": mentors, "options": options}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_each_mentee_gets_the_mentor_that_fits(client: TestClient) -> None:
    body = _match(client, MENTEES, MENTORS)
    pairs = {(m["mentee_id"], m["mentor_id"]) for m in body["matches"]}
    assert pairs == {("alice", "m-data"), ("bob", "m-lead"), ("cara", "m-ml")}
    assert body["unmatched"] == []
    summary = body["summary"]
    assert summary["matched"] == 3 and summary["unmatched"] == 0
    assert summary["optimal"] is True
    assert summary["total_score"] == pytest.approx(sum(m["score"] for m in body["matches"]))
    assert set(summary["timings_ms"]) == {"embed", "score", "solve", "explain"}
    assert {m["mentor_id"]: m["assigned"] for m in body["mentors"]} == {
        "m-data": 1,
        "m-lead": 1,
        "m-ml": 1,
    }


def test_contributions_sum_to_the_score(client: TestClient) -> None:
    body = _match(client, MENTEES, MENTORS)
    for m in body["matches"]:
        facets = m["explanation"]["facets"]
        assert sum(f["contribution"] for f in facets.values()) == pytest.approx(
            m["score"], abs=1e-5
        )
        for f in facets.values():
            if f["missing"]:  # nobody gave a communication field here: shown as missing
                assert f["similarity"] is None and f["contribution"] == 0 and f["coverage"] == 0
            else:
                assert f["contribution"] == pytest.approx(f["weight"] * f["similarity"])
        assert facets["communication"]["missing"] is True
        assert sum(f["weight"] for f in facets.values()) == pytest.approx(1.0)
        # skills and goals were compared, communication (0.2) was not
        assert m["coverage"] == pytest.approx(0.8) == m["explanation"]["coverage"]


def test_explanation_names_the_matched_skills_and_facts(client: TestClient) -> None:
    body = _match(client, MENTEES, MENTORS)
    alice = next(m for m in body["matches"] if m["mentee_id"] == "alice")
    explanation = alice["explanation"]
    assert {"wanted": "python", "offered": "python", "similarity": pytest.approx(1.0)} in (
        explanation["skill_pairs"]
    )
    assert explanation["shared_languages"] == ["en"]
    assert explanation["rank"] == 1
    assert explanation["feasible_mentors"] == 3
    assert explanation["best_not_given"] is None
    assert "m-data is alice's top choice" in explanation["summary"]


def test_best_mentor_not_given_is_really_full_and_forcing_it_does_not_help(
    client: TestClient,
) -> None:
    # Both want python; one python mentor with one slot, one weaker general mentor.
    mentees = [
        person("ann", ["python"], "write python"),
        person("ben", ["python", "sql"], "write python and sql"),
    ]
    mentors = [
        person("py", ["python", "sql"], "teach python and sql"),
        person("gen", ["communication"], "general career advice"),
    ]
    body = _match(client, mentees, mentors)
    scores = client.post("/score", json={"mentees": mentees, "mentors": mentors}).json()
    s = np.array(scores["scores"])
    loser = next(m for m in body["matches"] if m["mentor_id"] == "gen")
    forgone = loser["explanation"]["best_not_given"]
    assert forgone["mentor_id"] == "py"
    assert forgone["reason"] == "at_capacity"
    holder = forgone["held_by"][0]["mentee_id"]
    assert holder != loser["mentee_id"]
    # Forcing the forgone pair: the rest solved optimally can't beat the reported total.
    i = [p["id"] for p in mentees].index(loser["mentee_id"])
    rest = assign(np.delete(s, i, axis=0)[:, [1]], capacity=[1])
    forced_total = s[i, 0] + rest.total
    assert forced_total <= body["summary"]["total_score"] + 1e-6


def test_unmatched_no_feasible_mentor_counts_what_each_rule_removed(client: TestClient) -> None:
    mentees = [person("solo", ["rust"], communication={"languages": ["fr"]})]
    mentors = [person("m1", ["rust"]), person("m2", ["go"], exclude=["solo"])]
    body = _match(client, mentees, mentors)
    assert body["matches"] == []
    (unmatched,) = body["unmatched"]
    assert unmatched["mentee_id"] == "solo"
    assert unmatched["reason"] == "no_feasible_mentor"
    assert unmatched["unmet"] == 1
    detail = unmatched["detail"]
    assert detail["feasible_mentors"] == 0
    assert detail["removed_by"]["language"] == 2
    assert detail["removed_by"]["exclude"] == 1


def test_unmatched_capacity_exhausted_names_who_holds_the_slots(client: TestClient) -> None:
    mentees = [person("a", ["python"]), person("b", ["python"]), person("c", ["python"])]
    mentors = [person("m", ["python"], capacity=2)]
    body = _match(client, mentees, mentors)
    assert len(body["matches"]) == 2
    (unmatched,) = body["unmatched"]
    assert unmatched["reason"] == "capacity_exhausted"
    (best,) = unmatched["detail"]["best_mentors"]
    assert best["mentor_id"] == "m" and best["reason"] == "at_capacity"
    holders = {h["mentee_id"] for h in best["held_by"]}
    assert holders == {m["mentee_id"] for m in body["matches"]}
    assert unmatched["mentee_id"] not in holders


def test_unmatched_below_min_score(client: TestClient) -> None:
    mentees = [person("a", ["python"], "x"), person("b", ["knitting"], "y")]
    mentors = [person("m", ["python"], "x", capacity=2)]
    # a x m: skills 1 * 0.5 + goals 1 * 0.3, communication missing (adds 0) = 0.8
    body = _match(client, mentees, mentors, min_score=0.75)
    assert [m["mentee_id"] for m in body["matches"]] == ["a"]
    assert body["matches"][0]["score"] == pytest.approx(0.8)
    (unmatched,) = body["unmatched"]
    assert unmatched["reason"] == "below_min_score"
    assert unmatched["detail"]["removed_by"]["min_score"] == 1
    assert unmatched["detail"]["best_score"] < 0.75


def test_unmatched_reasons_agree_with_the_constraint_mask(client: TestClient) -> None:
    rng = np.random.default_rng(3)
    words = ["python", "go", "sql", "design", "sales", "ml", "cloud", "security"]
    langs = [["en"], ["de"], ["en", "de"]]
    mentees = [
        person(
            f"e{k}",
            list(rng.choice(words, 2, replace=False)),
            communication={"languages": langs[k % 3]},
        )
        for k in range(12)
    ]
    mentors = [
        person(
            f"m{k}",
            list(rng.choice(words, 3, replace=False)),
            capacity=int(rng.integers(0, 3)),
            communication={"languages": langs[(k + 1) % 2]},
        )
        for k in range(4)
    ]
    body = _match(client, mentees, mentors)
    allowed = np.array(
        client.post("/score", json={"mentees": mentees, "mentors": mentors}).json()["allowed"]
    )
    index = {p["id"]: i for i, p in enumerate(mentees)}
    for unmatched in body["unmatched"]:
        row = allowed[index[unmatched["mentee_id"]]]
        if unmatched["reason"] == "no_feasible_mentor":
            assert not row.any()
        else:
            assert unmatched["reason"] == "capacity_exhausted"
            assert row.any()
            for best in unmatched["detail"]["best_mentors"]:
                assert best["reason"] == "at_capacity"


def test_same_request_gives_byte_identical_answers_except_timings(client: TestClient) -> None:
    first = _match(client, MENTEES, MENTORS)
    second = _match(client, MENTEES, MENTORS)
    for body in (first, second):
        del body["summary"]["timings_ms"]
    assert first == second


def test_fair_objective_and_explain_off(client: TestClient) -> None:
    body = _match(client, MENTEES, MENTORS, objective="fair", explain=False)
    assert len(body["matches"]) == 3
    assert all(m["explanation"] is None for m in body["matches"])
