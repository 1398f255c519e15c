"""Options: weight normalisation and one test per validation branch."""

from __future__ import annotations

import math
from datetime import date

import pytest

from matchsvc.errors import InvalidInputError
from matchsvc.scoring import (
    Constraints,
    Criterion,
    ScoringOptions,
    normalized_weights,
    validate_options,
)


def test_default_weights_are_documented_values() -> None:
    assert normalized_weights(ScoringOptions()) == pytest.approx(
        {"skills": 0.5, "goals": 0.3, "communication": 0.2}
    )


def test_weights_are_normalised_to_sum_one_and_missing_facets_get_zero() -> None:
    weights = normalized_weights(ScoringOptions(weights={"skills": 3.0, "goals": 1.0}))
    assert weights == {"skills": 0.75, "goals": 0.25, "communication": 0.0}
    assert math.fsum(weights.values()) == 1.0


def test_soft_criterion_weight_is_included_in_order() -> None:
    options = ScoringOptions(
        weights={"skills": 1, "goals": 1, "communication": 1, "dept": 1},
        criteria=(Criterion("dept", "department", "different"),),
    )
    assert list(normalized_weights(options)) == ["skills", "goals", "communication", "dept"]
    assert normalized_weights(options)["dept"] == 0.25


@pytest.mark.parametrize(
    ("weights", "criteria", "field", "match"),
    [
        ({"skills": -1.0}, (), "options.weights.skills", "use a number in \\[0, 1e\\+06\\]"),
        ({"skills": float("nan")}, (), "options.weights.skills", "finite number"),
        ({"goals": float("inf")}, (), "options.weights.goals", "finite number"),
        ({"skills": "1"}, (), "options.weights.skills", "finite number"),
        ({"skills": 0.0, "goals": 0}, (), "options.weights", "all weights are zero"),
        ({"skils": 1.0}, (), "options.weights.skils", "unknown weight 'skils'"),
        (
            {"skills": 1.0, "mentor_age": 1.0},
            (Criterion("mentor_age", "age", "gap", min=0, hard=True),),
            "options.weights.mentor_age",
            "is hard",
        ),
        (
            {"skills": 1.0},
            (Criterion("dept", "department", "different"),),
            "options.weights.dept",
            "has no weight",
        ),
    ],
)
def test_weight_validation_branches(
    weights: dict[str, float], criteria: tuple[Criterion, ...], field: str, match: str
) -> None:
    options = ScoringOptions(weights=weights, criteria=criteria)
    with pytest.raises(InvalidInputError, match=match) as info:
        validate_options(options)
    assert info.value.field == field


def _crit(**kwargs: object) -> ScoringOptions:
    base: dict[str, object] = {"name": "c", "attribute": "a", "kind": "same"}
    base.update(kwargs)
    return ScoringOptions(
        weights={"skills": 1.0, str(base["name"]): 1.0},
        criteria=(Criterion(**base),),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("options", "field", "match"),
    [
        (_crit(name=""), "options.criteria[0].name", "has no name"),
        (_crit(name="skills"), "options.criteria[0].name", "reserved"),
        (_crit(name="language"), "options.criteria[0].name", "reserved"),
        (_crit(attribute=""), "options.criteria[0].attribute", "names no attribute"),
        (_crit(kind="equal"), "options.criteria[0].kind", "has kind 'equal'"),
        (_crit(kind="gap"), "options.criteria[0].min", "neither min nor max"),
        (_crit(kind="gap", min=3, max=1), "options.criteria[0].min", "min 3 > max 1"),
        (_crit(kind="gap", min=float("nan")), "options.criteria[0].min", "finite number"),
        (_crit(kind="gap", max="2"), "options.criteria[0].max", "finite number"),
        (_crit(kind="same", min=1), "options.criteria[0].min", "takes no min/max"),
        (
            ScoringOptions(constraints=Constraints(min_overlap_hours=-1)),
            "options.constraints.min_overlap_hours",
            "in \\[0, 168\\]",
        ),
        (ScoringOptions(overlap_target_hours=0), "options.overlap_target_hours", "\\(0, 168\\]"),
        (
            ScoringOptions(reference_date="2025-01-06"),  # type: ignore[arg-type]
            "options.reference_date",
            "datetime.date",
        ),
    ],
)
def test_option_validation_branches(options: ScoringOptions, field: str, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match) as info:
        validate_options(options)
    assert info.value.field == field


def test_duplicate_criterion_names() -> None:
    options = ScoringOptions(
        weights={"skills": 1.0, "c": 1.0},
        criteria=(Criterion("c", "a", "same"), Criterion("c", "b", "same")),
    )
    with pytest.raises(InvalidInputError, match="used by criteria 0 and 1") as info:
        validate_options(options)
    assert info.value.field == "options.criteria[1].name"


def test_valid_options_pass() -> None:
    validate_options(
        ScoringOptions(
            weights={"skills": 2, "gap": 1},
            criteria=(
                Criterion("gap", "years", "gap", min=2),
                Criterion("dept", "department", "different", hard=True),
            ),
            reference_date=date(2025, 7, 9),
        )
    )
