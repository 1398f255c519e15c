"""POST /rematch over HTTP: same engine as the core, explained new pairs, 422s with field paths."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import person

MENTEES = [person("ann", ["python", "sql"], "data"), person("bob", ["design"], "ux")]
MENTORS = [
    person("m-py", ["python", "sql"], "data", capacity=1),
    person("m-ux", ["design"], "ux", capacity=1),
    person("m-gen", ["career advice"], "general", capacity=2),
]


def test_rematch_keeps_good_pairs_and_moves_the_low_rated_one(client: TestClient) -> None:
    body = {
        "mentees": MENTEES,
        "mentors": MENTORS,
        "current": [
            {"mentee_id": "ann", "mentor_id": "m-py"},
            {"mentee_id": "bob", "mentor_id": "m-gen", "mentee_rating": 1},
        ],
        "policy": {"min_rating_to_keep": 3},
    }
    response = client.post("/rematch", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    actions = {a["mentee_id"]: a for a in result["actions"]}
    assert (actions["ann"]["action"], actions["ann"]["reason"]) == ("kept", "stable")
    bob = actions["bob"]
    assert (bob["action"], bob["from_mentor_id"], bob["to_mentor_id"]) == ("moved", "m-gen", "m-ux")
    assert bob["reason"] == "low_rating"
    assert bob["explanation"]["skill_pairs"][0]["wanted"] == "design"
    summary = result["summary"]
    assert (summary["kept"], summary["moves"], summary["ended_by_policy"]) == (1, 0, 1)
    assert summary["total_after"] > summary["total_before"]
    assert {m["mentor_id"]: m["assigned"] for m in result["mentors"]} == {
        "m-py": 1,
        "m-ux": 1,
        "m-gen": 0,
    }


def test_rematch_rejects_pairs_with_unknown_people(client: TestClient) -> None:
    body = {
        "mentees": MENTEES,
        "mentors": MENTORS,
        "current": [{"mentee_id": "ann", "mentor_id": "ghost"}],
    }
    response = client.post("/rematch", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "current[0].mentor_id"


def test_rematch_rejects_a_rating_out_of_range(client: TestClient) -> None:
    body = {
        "mentees": MENTEES,
        "mentors": MENTORS,
        "current": [{"mentee_id": "ann", "mentor_id": "m-py", "mentor_rating": 9}],
    }
    response = client.post("/rematch", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "current[0].mentor_rating"
