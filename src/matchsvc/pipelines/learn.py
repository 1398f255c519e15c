"""Learn facet weights from the programme's feedback on past pairs (:mod:`matchsvc.learning`).

profiles + history -> :class:`MatchProblem` (the facets of every pair, under the current
options) -> one facet row per rated pair -> :func:`matchsvc.learning.fit_weights`. The weights
that come back are ready for ``options.weights`` of match, recommend and re-match; they are the
learned ones only when held-out evidence says they rank past pairs better, else the current ones
with the reason. Pure core: no web types.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from matchsvc.bounds import RATING_MAX, RATING_MIN
from matchsvc.errors import InvalidInputError
from matchsvc.learning import LearnResult, feedback_target, fit_weights
from matchsvc.pipelines.match import MatchOptions, build_problem
from matchsvc.problem import MatchProblem
from matchsvc.profiles import Profile
from matchsvc.scoring import MENTOR_FACET, Embedder

__all__ = ["Feedback", "LearnSettings", "learn"]


@dataclass(frozen=True, slots=True)
class Feedback:
    """What is known of one past pair (the shape of re-match's history, with either side's
    rating). Every signal is optional; a record without any is counted and left out."""

    mentee_id: str
    mentor_id: str
    outcome: Literal["good", "neutral", "bad"] | None = None
    rating: float | None = None
    mentee_rating: float | None = None
    mentor_rating: float | None = None


@dataclass(frozen=True, slots=True)
class LearnSettings:
    """How the evidence is gathered (see :func:`matchsvc.learning.fit_weights`).

    Attributes:
        folds: cross-validation folds, 2 to 20.
        seed: seeds the folds, the comparison sample and the bootstrap, 0 to 2**31 - 1.
        bootstrap: bootstrap resamples for the intervals, 100 to 10,000.
        calibrate: also return, per score band, the share of pairs that ended well.
    """

    folds: int = 5
    seed: int = 0
    bootstrap: int = 1000
    calibrate: bool = False


_LIMITS = {"folds": (2, 20), "seed": (0, 2**31 - 1), "bootstrap": (100, 10_000)}


def _check(settings: LearnSettings, history: Sequence[Feedback]) -> None:
    for name, (low, high) in _LIMITS.items():
        value = getattr(settings, name)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise InvalidInputError(f"{name} is {value!r}; use {low} to {high:,}", field=name)
    for k, record in enumerate(history):
        for side in ("rating", "mentee_rating", "mentor_rating"):
            value = getattr(record, side)
            if value is not None and not RATING_MIN <= value <= RATING_MAX:
                raise InvalidInputError(
                    f"history[{k}].{side} is {value!r}; ratings run from 1 to 5",
                    field=f"history[{k}].{side}",
                )


def _rows(
    problem: MatchProblem, pairs: Sequence[tuple[str, str]], where: str
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    comp = problem.comp
    rows = np.empty(len(pairs), dtype=np.int64)
    cols = np.empty(len(pairs), dtype=np.int64)
    for k, (mentee_id, mentor_id) in enumerate(pairs):
        for side, pid, index, out in (
            ("mentee", mentee_id, comp.mentee_index, rows),
            ("mentor", mentor_id, comp.mentor_index, cols),
        ):
            try:
                out[k] = index(pid)
            except KeyError:
                raise InvalidInputError(
                    f"{where}[{k}] names {side} {pid!r}, who is not in this request: add their "
                    f"profile to the {side}s (their facets are needed) or drop the record",
                    field=f"{where}[{k}].{side}_id",
                ) from None
    return rows, cols


def learn(
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    history: Sequence[Feedback],
    declined: Sequence[tuple[str, str]],
    options: MatchOptions,
    embedder: Embedder,
    settings: LearnSettings | None = None,
) -> LearnResult:
    """Fit the facet weights of ``options`` to the feedback on past pairs.

    Args:
        mentees, mentors: the people of the past pairs (their profiles give the facets).
        history: the past pairs and what is known of them.
        declined: (mentee id, mentor id) proposals that were declined: the lowest level.
        options: the current options; their weights are the baseline and the prior.
        embedder: texts -> unit vectors.
        settings: folds, seed, bootstrap, calibration.

    Returns:
        The :class:`~matchsvc.learning.LearnResult`: ``weights`` ready for ``options.weights``.

    Raises:
        InvalidInputError: bad people, options or records (unknown ids, ratings outside 1-5),
            or too little data (the message says how many rated pairs are needed).
    """
    settings = settings if settings is not None else LearnSettings()
    _check(settings, history)
    problem = build_problem(mentees, mentors, options, embedder)
    past = [(r.mentee_id, r.mentor_id) for r in history]
    rows_h, cols_h = _rows(problem, past, "history")
    rows_d, cols_d = _rows(problem, declined, "declined")
    rows, cols = np.concatenate([rows_h, rows_d]), np.concatenate([cols_h, cols_d])
    comp = problem.comp
    names = tuple(comp.weights)
    features = np.stack([comp.facets[f][rows, cols].astype(np.float64) for f in names], axis=1)

    def column(side: str) -> NDArray[np.float64]:
        given = [getattr(r, side) for r in history] + [None] * len(declined)
        return np.array([np.nan if v is None else v for v in given], dtype=np.float64)

    target = feedback_target(
        rating=column("rating"),
        mentee_rating=column("mentee_rating"),
        mentor_rating=column("mentor_rating"),
        outcome=[r.outcome for r in history] + [None] * len(declined),
        declined=np.array([False] * len(history) + [True] * len(declined)),
    )
    result = fit_weights(
        features,
        target,
        [comp.mentee_ids[i] for i in rows.tolist()],
        [comp.mentor_ids[j] for j in cols.tolist()],
        names,
        comp.weights,
        folds=settings.folds,
        seed=settings.seed,
        bootstrap=settings.bootstrap,
        calibrate=settings.calibrate,
    )
    return _as_options(result)


def _as_options(result: LearnResult) -> LearnResult:
    """``weights`` in the shape of ``options.weights``: when the mentor side took part, its
    share becomes ``mentor_side_weight`` and the other facets are renormalised to sum 1 (the
    score is ``(1 - beta) * mentee_fit + beta * mentor_fit``, see
    :attr:`matchsvc.scoring.ScoringOptions.mentor_side_weight`). A fit that put every weight
    on the mentor side keeps the current mentee-side weights."""
    if MENTOR_FACET not in result.weights:
        return result
    beta = float(result.weights[MENTOR_FACET])
    rest = {name: w for name, w in result.weights.items() if name != MENTOR_FACET}
    total = sum(rest.values())
    if total <= 0:
        rest = {n: w for n, w in result.current_weights.items() if n != MENTOR_FACET}
        total = sum(rest.values())
    weights = {name: w / total for name, w in rest.items()}
    return replace(result, weights=MappingProxyType(weights), mentor_side_weight=beta)
