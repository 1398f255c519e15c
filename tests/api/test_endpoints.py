"""/recommend, /assign and /score answer with the core's numbers."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from matchsvc.assignment import assign
from tests.api.conftest import person

MENTEES = [person("a", ["python", "sql"], "data"), person("b", ["design"], "ux")]
MENTORS = [
    person("m1", ["python"], "data", capacity=1),
    person("m2", ["design", "figma"], "ux", capacity=1),
    person("m3", ["python", "sql"], "data", capacity=2),
]


def test_recommend_ranks_feasible_mentors_best_first(client: TestClient) -> None:
    response = client.post("/recommend", json={"mentees": MENTEES, "mentors": MENTORS, "top_n": 2})
    assert response.status_code == 200, response.text
    results = {r["mentee_id"]: r["recommendations"] for r in response.json()["results"]}
    assert list(results) == ["a", "b"]
    assert [r["rank"] for r in results["a"]] == [1, 2]
    assert results["a"][0]["mentor_id"] == "m3"
    assert results["a"][0]["score"] >= results["a"][1]["score"]
    assert results["b"][0]["mentor_id"] == "m2"
    for recs in results.values():
        for r in recs:
            assert r["explanation"]["best_not_given"] is None
            facets = r["explanation"]["facets"]
            assert sum(f["contribution"] for f in facets.values()) == pytest.approx(r["score"])


def test_recommend_skips_full_mentors_unless_asked(client: TestClient) -> None:
    body = {"mentees": MENTEES, "mentors": MENTORS, "assigned": {"m3": 2}}
    available = client.post("/recommend", json=body).json()["results"][0]["recommendations"]
    assert "m3" not in [r["mentor_id"] for r in available]
    everyone = client.post("/recommend", json=body | {"only_available": False}).json()
    first = everyone["results"][0]["recommendations"][0]
    assert (first["mentor_id"], first["remaining_capacity"]) == ("m3", 0)


def test_recommend_rejects_unknown_assigned_mentor(client: TestClient) -> None:
    body = {"mentees": MENTEES, "mentors": MENTORS, "assigned": {"ghost": 1}}
    response = client.post("/recommend", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "assigned.ghost"


def test_assign_solves_the_given_matrix_with_forbidden_pairs(client: TestClient) -> None:
    scores = [[0.9, 0.4], [0.8, None], [0.3, 0.7]]
    response = client.post("/assign", json={"scores": scores, "capacity": [2, 1]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(p["mentee"], p["mentor"]) for p in body["pairs"]] == [(0, 0), (1, 0), (2, 1)]
    assert body["total_score"] == pytest.approx(0.9 + 0.8 + 0.7)
    assert body["unmatched"] == [0, 0, 0]
    assert body["loads"] == [2, 1]
    assert body["optimal"] is True


def test_assign_matches_the_python_api(client: TestClient) -> None:
    rng = np.random.default_rng(7)
    scores = rng.random((9, 4)).round(3)
    capacity = [2, 1, 3, 1]
    body = client.post(
        "/assign", json={"scores": scores.tolist(), "capacity": capacity, "objective": "fair"}
    ).json()
    direct = assign(scores, capacity=capacity, objective="fair")
    assert [[p["mentee"], p["mentor"]] for p in body["pairs"]] == direct.pairs.tolist()
    assert body["total_score"] == pytest.approx(direct.total)


def test_assign_empty_matrix(client: TestClient) -> None:
    body = client.post("/assign", json={"scores": []}).json()
    assert body["pairs"] == [] and body["total_score"] == 0


def test_score_returns_facets_that_decompose_the_score(client: TestClient) -> None:
    response = client.post("/score", json={"mentees": MENTEES, "mentors": MENTORS})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mentee_ids"] == ["a", "b"] and body["mentor_ids"] == ["m1", "m2", "m3"]
    scores = np.array(body["scores"])
    recombined = sum(  # null (a missing facet) becomes NaN, then 0: it adds nothing
        body["weights"][f] * np.nan_to_num(np.array(m, dtype=float))
        for f, m in body["facets"].items()
    )
    np.testing.assert_allclose(scores, recombined, atol=1e-6)
    assert body["facets"]["communication"][0][0] is None  # nobody gave a communication field
    coverage = np.array(body["coverage"])
    # everybody gave skills and goals (0.5 + 0.3 of the weight), nobody communication (0.2)
    np.testing.assert_allclose(coverage, np.full(scores.shape, 0.8), atol=1e-6)
    assert body["mentor_side_weight"] == 0
    assert set(body["facets"]) == {"skills", "goals", "communication"}
    assert scores[0, 2] > scores[0, 1]
