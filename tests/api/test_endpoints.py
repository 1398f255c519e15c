"""/recommend, /assign and /score answer with the core's numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from scipy import stats

from matchsvc.api import create_app
from matchsvc.assignment import assign
from matchsvc.config import Settings
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


@pytest.mark.model
def test_score_orders_short_texts_exactly_as_the_models_cosine(
    tmp_path: Path,
    real_encoder,  # type: ignore[no-untyped-def]
) -> None:
    """Why the STS-style check through /score still holds for short texts: a short text's
    vector is the model's, and the goals facet is a strictly increasing map of the cosine, so
    /score ranks sentence pairs exactly as the raw cosine does (Spearman 1, no ties)."""
    left = [
        "A man is playing a guitar.",
        "A woman is slicing an onion.",
        "The cat sits on the mat.",
        "Stocks fell sharply on Monday.",
        "He is learning to code in Python.",
        "Children are playing football in the park.",
        "The weather is cold and rainy today.",
        "She is reading a book about history.",
    ]
    right = [
        "A person plays an instrument.",
        "Someone is cutting vegetables.",
        "A dog runs across the field.",
        "Markets dropped at the start of the week.",
        "A chef is cooking pasta.",
        "Kids kick a ball outdoors.",
        "It is sunny and warm.",
        "The quick brown fox jumps over the lazy dog.",
    ]
    app = create_app(Settings(data_dir=tmp_path), encoder=real_encoder)
    body = {
        "mentees": [{"id": f"a{k}", "goals": t} for k, t in enumerate(left)],
        "mentors": [{"id": f"b{k}", "goals": t} for k, t in enumerate(right)],
        "options": {"weights": {"goals": 1}},
    }
    with TestClient(app) as client:
        response = client.post("/score", json=body)
    assert response.status_code == 200, response.text
    scores = np.array(response.json()["scores"])
    cosine = real_encoder.encode(left) @ real_encoder.encode(right).T
    order = np.argsort(cosine, axis=None, kind="stable")
    assert (np.diff(scores.ravel()[order]) > 0).all()  # same order, no ties
    assert stats.spearmanr(scores.ravel(), cosine.ravel()).statistic == pytest.approx(1.0)
