"""Validation at the core's entry: every error names the value found and the fix."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import numpy.typing as npt

from matchsvc.assignment._checks import check_real, check_scores
from matchsvc.assignment._types import BlockScores, Problem
from matchsvc.bounds import MAX_ABS_SCORE, MAX_COUNT
from matchsvc.errors import InvalidInputError

__all__ = ["OBJECTIVES", "validate"]

OBJECTIVES = ("total", "fair")


def _counts(value: Any, size: int, name: str, axis: str) -> npt.NDArray[np.int64]:
    if value is None:
        return np.ones(size, dtype=np.int64)
    arr = np.asarray(value)
    if arr.ndim == 0:
        arr = np.full(size, arr)
    if arr.ndim != 1:
        raise InvalidInputError(
            f"{name} must be 1-D (one entry per {axis}), got shape {arr.shape}", field=name
        )
    if arr.shape[0] != size:
        raise InvalidInputError(
            f"{name} has {arr.shape[0]} entries but scores has {size} {axis} "
            f"{'columns' if axis == 'mentor' else 'rows'}",
            field=name,
        )
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.number):
        raise InvalidInputError(f"{name} must contain integers, got dtype {arr.dtype}", field=name)
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise InvalidInputError(f"{name} must contain integers, got complex values", field=name)
    if np.issubdtype(arr.dtype, np.floating):
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise InvalidInputError(
                f"{name}[{k}] = {arr[k]} is not an integer; {name} counts people", field=name
            )
    if size and (arr < 0).any():
        k = int(np.flatnonzero(arr < 0)[0])
        raise InvalidInputError(
            f"{name}[{k}] = {arr[k]} is negative; use 0 for a {axis} that takes no one",
            field=name,
        )
    if size and (arr > MAX_COUNT).any():
        k = int(np.flatnonzero(arr > MAX_COUNT)[0])
        raise InvalidInputError(
            f"{name}[{k}] = {arr[k]} is above {MAX_COUNT:,}, the largest count this service "
            f"takes; use a number in [0, {MAX_COUNT:,}]",
            field=name,
        )
    return arr.astype(np.int64)


def _dense_scores(scores: Any) -> npt.NDArray[np.float64]:
    arr = np.asarray(scores)
    if arr.ndim != 2:
        raise InvalidInputError(
            f"scores must be 2-D (n_mentees x n_mentors), got {arr.ndim}-D shape {arr.shape}",
            field="scores",
        )
    check_real(arr, "scores")
    out = np.ascontiguousarray(arr, dtype=np.float64)
    check_scores(out)
    return out


def validate(
    scores: Any,
    capacity: Any,
    demand: Any,
    allowed: Any,
    objective: str,
    min_score: float | None,
) -> Problem:
    """Check every input and return the :class:`Problem` solvers see."""
    if objective not in OBJECTIVES:
        raise InvalidInputError(
            f"unknown objective {objective!r}; use one of {', '.join(map(repr, OBJECTIVES))}",
            field="objective",
        )
    src: npt.NDArray[np.float64] | BlockScores
    if isinstance(scores, BlockScores) and not isinstance(scores, np.ndarray):
        shape = tuple(int(x) for x in scores.shape)
        if len(shape) != 2 or min(shape) < 0:
            raise InvalidInputError(
                f"scores.shape must be (n_mentees, n_mentors), got {scores.shape}",
                field="scores",
            )
        src = scores
        n, m = shape
    else:
        src = _dense_scores(scores)
        n, m = src.shape
    cap = _counts(capacity, m, "capacity", "mentor")
    dem = _counts(demand, n, "demand", "mentee")
    mask = None
    if allowed is not None:
        mask = np.asarray(allowed)
        if mask.dtype != np.bool_:
            raise InvalidInputError(
                f"allowed must be a bool array, got dtype {mask.dtype}; "
                "pass e.g. np.asarray(allowed, dtype=bool)",
                field="allowed",
            )
        if mask.shape != (n, m):
            raise InvalidInputError(
                f"allowed has shape {mask.shape} but scores has shape {(n, m)}", field="allowed"
            )
        mask = np.ascontiguousarray(mask)
    ms = None
    if min_score is not None:
        if not isinstance(min_score, numbers.Real) or not abs(float(min_score)) <= MAX_ABS_SCORE:
            raise InvalidInputError(
                f"min_score must be a finite number in [-{MAX_ABS_SCORE:g}, {MAX_ABS_SCORE:g}] "
                f"or None, got {min_score!r}",
                field="min_score",
            )
        ms = float(min_score)
    return Problem(scores=src, capacity=cap, demand=dem, allowed=mask, min_score=ms)
