"""The submission gate and the model-free submit checks (one test per kind of refusal)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from matchsvc import schemas
from matchsvc.config import Settings
from matchsvc.engine import Engine
from matchsvc.errors import BusyError, InvalidInputError, LimitExceededError
from matchsvc.jobs import SubmissionGate, check_people


def test_the_gate_refuses_one_more_and_frees_its_slots() -> None:
    gate = SubmissionGate(2)
    gate.enter()
    with gate.slot():
        assert gate.in_use == 2
        with pytest.raises(BusyError, match="MATCHSVC_JOB_MAX_CONCURRENT_SUBMISSIONS=2") as e:
            gate.enter()
        assert e.value.retry_after == 1
    gate.leave()
    assert gate.in_use == 0
    with pytest.raises(RuntimeError, match="without a matching enter"):
        gate.leave()
    with pytest.raises(ValueError, match="slots is 0"):
        SubmissionGate(0)


def test_a_slot_is_freed_when_the_block_raises() -> None:
    gate = SubmissionGate(1)
    with pytest.raises(KeyError), gate.slot():
        raise KeyError("x")
    assert gate.in_use == 0


def person(pid: str, **extra: Any) -> dict[str, Any]:
    return {"id": pid, "skills": ["python"], "communication": {"languages": ["en"]}, **extra}


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    """An engine whose model never loads: the checks must not need it."""
    return Engine(Settings(data_dir=tmp_path, max_mentees=3, max_skills=2))


def match(**body: Any) -> schemas.MatchRequest:
    return schemas.MatchRequest.model_validate(
        {"mentees": [person("a")], "mentors": [person("m")], **body}
    )


def test_a_valid_request_passes_without_a_model(engine: Engine) -> None:
    assert not engine.ready
    check_people(engine, match())


@pytest.mark.parametrize(
    ("body", "error", "field", "message"),
    [
        (
            {"mentees": [person(f"a{k}") for k in range(4)]},
            LimitExceededError,
            "mentees",
            "4 mentees exceed the limit of 3",
        ),
        (
            {"mentors": [person("m", skills=["a", "b", "c"])]},
            LimitExceededError,
            "mentors[0].skills",
            "lists 3 skills; the limit is 2",
        ),
        (
            {"mentees": [person("a"), person("a")]},
            InvalidInputError,
            "mentees[1].id",
            "duplicate id 'a'",
        ),
        (
            {"mentees": [person("a", communication={"timezone": "Mars/Olympus"})]},
            InvalidInputError,
            "mentees[0].communication.timezone",
            "Mars/Olympus",
        ),
        (
            {"mentors": [person("m", exclude=["ghost"])]},
            InvalidInputError,
            "mentors[0].exclude[0]",
            "excludes 'ghost', which is not one of the mentees",
        ),
        (
            {"options": {"weights": {"charisma": 1}}},
            InvalidInputError,
            "options.weights.charisma",
            "unknown weight 'charisma'",
        ),
        (
            {"options": {"weights": {"skills": 0, "goals": 0, "communication": 0}}},
            InvalidInputError,
            "options.weights",
            "all weights are zero",
        ),
    ],
)
def test_each_refusal_names_the_field(
    engine: Engine, body: dict[str, Any], error: type[Exception], field: str, message: str
) -> None:
    with pytest.raises(error, match=message) as caught:
        check_people(engine, match(**body))
    assert caught.value.field == field  # type: ignore[attr-defined]


def test_rematch_checks_its_people_and_options(engine: Engine) -> None:
    body = schemas.RematchRequest.model_validate(
        {"mentees": [person("a"), person("a")], "mentors": [person("m")]}
    )
    with pytest.raises(InvalidInputError, match="duplicate id 'a'"):
        check_people(engine, body)
    ok = schemas.RematchRequest.model_validate(
        {"mentees": [person("a")], "mentors": [person("m")], "options": {"min_score": 0.5}}
    )
    check_people(engine, ok)
