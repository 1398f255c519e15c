"""The error tree and the one helper that turns a validation location into a field path."""

from __future__ import annotations

import pytest

from matchsvc.errors import InfeasibleError, InvalidInputError, MatchsvcError, field_path


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        (("mentees", 2, "capacity"), "mentees[2].capacity"),
        (
            ("body", "mentors", 0, "communication", "languages", 1),
            "mentors[0].communication.languages[1]",
        ),
        (("query", "top_n"), "top_n"),
        (("payload", "options", "weights", "skills"), "payload.options.weights.skills"),
        ((3,), "[3]"),
        (("body",), ""),
        ((), ""),
    ],
)
def test_field_path(loc: tuple[int | str, ...], path: str) -> None:
    assert field_path(loc) == path


def test_infeasible_is_not_invalid_input() -> None:
    error = InfeasibleError("no assignment keeps max_moves=0", field="policy.max_moves")
    assert isinstance(error, MatchsvcError) and not isinstance(error, InvalidInputError)
    assert (error.code, error.field, error.message) == (
        "infeasible",
        "policy.max_moves",
        "no assignment keeps max_moves=0",
    )
