"""Learning from feedback through the pipeline and every door: a planted programme recovers
its hidden weights; noise keeps the current ones; bad records are refused by name."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from benchmarks.encoders import HashingEncoder
from benchmarks.generator import OutcomeTruth, draw_feedback, generate_programme, history_pairs
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from matchsvc import schemas
from matchsvc.api import create_app
from matchsvc.cli import create_cli
from matchsvc.config import Settings
from matchsvc.errors import InvalidInputError
from matchsvc.pipelines import Feedback, LearnSettings, MatchOptions, build_problem, learn
from matchsvc.scoring import EmbeddingCache

TRUE = {"skills": 0.2, "goals": 0.6, "communication": 0.2}
pytestmark = pytest.mark.slow


def programme_feedback(
    n_pairs: int, *, signal: float = 1.0, seed: int = 0
) -> tuple[Any, list[Feedback]]:
    """A generated programme and feedback drawn from ``TRUE`` over its facets."""
    programme = generate_programme(300, seed=seed)
    i, j = history_pairs(programme, n_pairs, seed=seed)
    problem = build_problem(
        programme.mentees, programme.mentors, MatchOptions(), EmbeddingCache(HashingEncoder())
    )
    names = tuple(problem.comp.weights)
    x = np.stack([problem.comp.facets[f][i, j] for f in names], axis=1).astype(np.float64)
    truth = OutcomeTruth(TRUE, signal=signal, noise=1.0, report_rate=1.0)
    fb = draw_feedback(truth, x, names, seed=seed + 1)
    history = [
        Feedback(
            programme.mentees[a].id,
            programme.mentors[b].id,
            outcome=fb.outcome[k],  # type: ignore[arg-type]
            mentee_rating=None if math.isnan(fb.mentee_rating[k]) else float(fb.mentee_rating[k]),
            mentor_rating=None if math.isnan(fb.mentor_rating[k]) else float(fb.mentor_rating[k]),
        )
        for k, (a, b) in enumerate(zip(i.tolist(), j.tolist(), strict=True))
    ]
    return programme, history


def run(programme: Any, history: list[Feedback], **settings: Any) -> Any:
    return learn(
        programme.mentees,
        programme.mentors,
        history,
        [],
        MatchOptions(),
        EmbeddingCache(HashingEncoder()),
        LearnSettings(bootstrap=200, **settings),
    )


def test_planted_weights_are_recovered_and_adopted() -> None:
    programme, history = programme_feedback(1500)
    result = run(programme, history)
    assert result.adopted and result.reason == "improved"
    assert max(abs(result.weights[f] - TRUE[f]) for f in TRUE) < 0.08
    assert result.evidence.discordant_share.difference.high < 0
    assert result.data.pairs > 1000 and result.current_weights["skills"] == 0.5


def test_pure_noise_keeps_the_current_weights_and_says_so() -> None:
    programme, history = programme_feedback(600, signal=0.0, seed=3)
    result = run(programme, history)
    assert not result.adopted and result.reason in ("not_better", "no_positive_weight")
    assert dict(result.weights) == pytest.approx(
        {"skills": 0.5, "goals": 0.3, "communication": 0.2}
    )
    assert "current weights" in result.message


def test_too_little_data_names_how_much_is_needed() -> None:
    programme, history = programme_feedback(20)
    with pytest.raises(InvalidInputError, match="50"):
        run(programme, history)


def test_records_must_name_people_of_the_request() -> None:
    programme, history = programme_feedback(60)
    bad = [*history[:5], Feedback("nobody", programme.mentors[0].id, rating=3.0)]
    with pytest.raises(InvalidInputError) as info:
        run(programme, bad)
    assert info.value.field == "history[5].mentee_id"
    with pytest.raises(InvalidInputError) as info:
        run(programme, [Feedback(programme.mentees[0].id, programme.mentors[0].id, rating=7.0)])
    assert info.value.field == "history[0].rating"
    with pytest.raises(InvalidInputError) as info:
        run(programme, history, folds=1)
    assert info.value.field == "folds"


def _body(programme: Any, history: list[Feedback]) -> dict[str, Any]:
    people = {
        side: [
            schemas.Profile.model_validate(_profile_dict(p)).model_dump(mode="json") for p in group
        ]
        for side, group in (("mentees", programme.mentees), ("mentors", programme.mentors))
    }
    records = [{k: v for k, v in vars_of(r).items() if v is not None} for r in history]
    return people | {"history": records}


def vars_of(record: Feedback) -> dict[str, Any]:
    return {name: getattr(record, name) for name in Feedback.__dataclass_fields__}


def _profile_dict(p: Any) -> dict[str, Any]:
    comm = p.communication
    return {
        "id": p.id,
        "skills": list(p.skills),
        "goals": p.goals,
        "communication": {
            "style": comm.style,
            "channels": list(comm.channels),
            "languages": list(comm.languages),
            "timezone": comm.timezone,
            "availability": [
                {"day": a.day, "start": a.start, "end": a.end} for a in comm.availability
            ],
            "frequency": comm.frequency,
        },
        "attributes": {k: list(v) if isinstance(v, tuple) else v for k, v in p.attributes.items()},
        "capacity": p.capacity,
        "demand": p.demand,
        "exclude": list(p.exclude),
    }


def test_http_jobs_and_cli_give_the_same_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    programme, history = programme_feedback(400, seed=1)
    body = _body(programme, history)
    settings = Settings(data_dir=tmp_path / "http")
    with TestClient(create_app(settings, encoder=HashingEncoder())) as client:
        http = client.post("/learn", json=body)
        assert http.status_code == 200, http.text
        job = client.post("/jobs", json={"kind": "learn", "payload": body})
        assert job.status_code == 202, job.text
        for _ in range(600):
            state = client.get(f"/jobs/{job.json()['id']}").json()
            if state["status"] in ("succeeded", "failed"):
                break
            time.sleep(0.1)
        assert state["status"] == "succeeded", state
        result = client.get(f"/jobs/{job.json()['id']}/result").json()
    assert result == http.json()
    monkeypatch.setenv("MATCHSVC_DATA_DIR", str(tmp_path / "cli"))
    files = {}
    for key in ("mentees", "mentors", "history"):
        files[key] = tmp_path / f"{key}.json"
        files[key].write_text(json.dumps(body[key]))
    out = tmp_path / "weights.json"
    args = ["learn", *(f"--{k}={v}" for k, v in files.items()), f"--out={out}"]
    cli = create_cli(encoder=HashingEncoder())
    # the CLI's bootstrap is the default 1,000: compare the weights and the decision only
    result_cli = CliRunner().invoke(cli, args)
    assert result_cli.exit_code == 0, result_cli.output
    written = json.loads(out.read_text())
    assert (
        written["weights"] == http.json()["weights"]
        and written["adopted"] == http.json()["adopted"]
    )
    wrong = CliRunner().invoke(cli, [*args[:-1], f"--out={tmp_path / 'weights.csv'}"])
    assert wrong.exit_code == 2 and "use .json" in wrong.stderr


def test_with_mentor_wishes_the_weights_come_back_in_the_options_shape() -> None:
    from dataclasses import replace as with_

    from matchsvc.profiles import Wishes

    programme, history = programme_feedback(400, seed=2)
    mentors = [
        with_(p, wishes=Wishes(topics=tuple(p.skills[:1]))) if k % 2 else p
        for k, p in enumerate(programme.mentors)
    ]
    result = learn(
        programme.mentees,
        mentors,
        history,
        [],
        MatchOptions(),
        EmbeddingCache(HashingEncoder()),
        LearnSettings(bootstrap=200),
    )
    assert set(result.weights) == {"skills", "goals", "communication"}
    assert sum(result.weights.values()) == pytest.approx(1.0)
    assert result.mentor_side_weight is not None and 0 <= result.mentor_side_weight <= 1
    assert "mentor_wishes" in result.current_weights  # the facets as the score used them
    plain = run(programme, history[:200])
    assert plain.mentor_side_weight is None
