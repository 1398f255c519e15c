"""Check an assignment's certificate against the full problem, block by block."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from matchsvc.assignment._types import Assignment, Certificate, Problem
from matchsvc.assignment._validate import validate

__all__ = ["CertificateCode", "CertificateReport", "block_violations", "verify_certificate"]

# Reduced costs may be off by rounding; violations are counted beyond TOL * max(1, max|score|).
TOL = 1e-9
_BLOCK = 2048


class CertificateCode(StrEnum):
    """Stable, machine-readable name of each condition :func:`verify_certificate` checks.

    One code per failed condition, in :attr:`CertificateReport.codes`; the human-readable
    text (with counts) is the matching entry of :attr:`CertificateReport.reasons`.
    """

    NO_CERTIFICATE = "no_certificate"
    PAIRS_OUT_OF_RANGE = "pairs_out_of_range"
    DUPLICATE_PAIRS = "duplicate_pairs"
    DEMAND_EXCEEDED = "demand_exceeded"
    CAPACITY_EXCEEDED = "capacity_exceeded"
    CERTIFICATE_SHAPE = "certificate_shape"
    NON_FINITE_POTENTIAL = "non_finite_potential"
    SOURCE_CONDITION = "source_condition"
    SINK_CONDITION = "sink_condition"
    CUT_UNMET_MENTEE_OUTSIDE = "cut_unmet_mentee_outside"
    CUT_SPARE_MENTOR_REACHABLE = "cut_spare_mentor_reachable"
    FORBIDDEN_PAIR = "forbidden_pair"
    NEGATIVE_REDUCED_COST = "negative_reduced_cost"
    POSITIVE_REDUCED_COST = "positive_reduced_cost"
    CUT_ARC = "cut_arc"


@dataclass(frozen=True)
class CertificateReport:
    """Outcome of :func:`verify_certificate`: ``valid`` and, if not, the reasons.

    ``codes[k]`` is the :class:`CertificateCode` of ``reasons[k]`` (branch on the code, never
    on the text); ``tolerance`` is the absolute tolerance the reduced costs were held to.
    """

    valid: bool
    tolerance: float
    reasons: tuple[str, ...]
    codes: tuple[CertificateCode, ...] = ()


def block_violations(
    s: npt.NDArray[np.float64],
    mask: npt.NDArray[np.bool_],
    matched: npt.NDArray[np.bool_],
    cert: Certificate,
    i0: int,
    tol: float,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """For mentee rows ``i0:i0+len(s)``: (unmatched pairs with negative reduced cost,
    matched pairs with positive reduced cost, allowed unmatched pairs crossing the cut)."""
    i1 = i0 + s.shape[0]
    red = cert.mentee_potential[i0:i1, None] - cert.mentor_potential[None, :] - s
    free = mask & ~matched
    neg = free & (red < -tol)
    pos = matched & (red > tol)
    cut = free & cert.reach_mentees[i0:i1, None] & ~cert.reach_mentors[None, :]
    return neg, pos, cut


def _check(
    problem: Problem, a: Assignment, cert: Certificate, tol: float
) -> list[tuple[CertificateCode, str]]:
    n, m = problem.shape
    C = CertificateCode
    why: list[tuple[CertificateCode, str]] = []
    p = a.pairs
    if p.shape != (a.scores.shape[0], 2) or (p.size and (p.min() < 0 or p[:, 0].max() >= n)):
        return [(C.PAIRS_OUT_OF_RANGE, "pairs out of range")]
    if p.size and p[:, 1].max() >= m:
        return [(C.PAIRS_OUT_OF_RANGE, "pairs out of range")]
    key = p[:, 0] * max(m, 1) + p[:, 1]
    if np.unique(key).size != key.size:
        why.append((C.DUPLICATE_PAIRS, "duplicate pairs"))
    got_d = np.bincount(p[:, 0], minlength=n)
    got_c = np.bincount(p[:, 1], minlength=m)
    if (got_d > problem.demand).any():
        why.append((C.DEMAND_EXCEEDED, "a mentee exceeds its demand"))
    if (got_c > problem.capacity).any():
        why.append((C.CAPACITY_EXCEEDED, "a mentor exceeds its capacity"))
    unmet = problem.demand - got_d
    shapes = (
        np.shape(cert.mentee_potential),
        np.shape(cert.mentor_potential),
        np.shape(cert.reach_mentees),
        np.shape(cert.reach_mentors),
    )
    if shapes != ((n,), (m,), (n,), (m,)):
        return [*why, (C.CERTIFICATE_SHAPE, f"certificate has the wrong shape {shapes}")]
    pe, pr, ps, pt = (
        cert.mentee_potential,
        cert.mentor_potential,
        cert.source_potential,
        cert.sink_potential,
    )
    if not (np.isfinite(pe).all() and np.isfinite(pr).all() and np.isfinite([ps, pt]).all()):
        # NaN compares false and inf inflates the tolerance: either would pass every check.
        return [*why, (C.NON_FINITE_POTENTIAL, "certificate has non-finite potentials")]
    if ((unmet > 0) & (pe > ps + tol)).any() or ((got_d > 0) & (pe < ps - tol)).any():
        why.append(
            (C.SOURCE_CONDITION, "source condition violated (a cheaper exchange of mentees exists)")
        )
    spare = got_c < problem.capacity
    if (spare & (pr < pt - tol)).any() or ((got_c > 0) & (pr > pt + tol)).any():
        why.append(
            (C.SINK_CONDITION, "sink condition violated (a cheaper exchange of mentors exists)")
        )
    if (unmet > 0)[~cert.reach_mentees].any():
        why.append(
            (
                C.CUT_UNMET_MENTEE_OUTSIDE,
                "cut: a mentee with unmet demand is outside the source side",
            )
        )
    if (spare & cert.reach_mentors).any():
        why.append(
            (
                C.CUT_SPARE_MENTOR_REACHABLE,
                "cut: a mentor with spare capacity is reachable (augmenting path)",
            )
        )
    starts = np.searchsorted(p[:, 0], np.arange(0, n + _BLOCK, _BLOCK))
    forbidden = neg = pos = cut = 0
    for b, i0 in enumerate(range(0, n, _BLOCK)):
        i1 = min(i0 + _BLOCK, n)
        s, mask = problem.block(i0, i1)
        matched = np.zeros(s.shape, dtype=np.bool_)
        lo, hi = int(starts[b]), int(starts[b + 1])
        matched[p[lo:hi, 0] - i0, p[lo:hi, 1]] = True
        forbidden += int((matched & ~mask).sum())
        v = block_violations(s, mask, matched, cert, i0, tol)
        neg += int(v[0].sum())
        pos += int(v[1].sum())
        cut += int(v[2].sum()) + int(
            (matched & ~cert.reach_mentees[i0:i1, None] & cert.reach_mentors[None, :]).sum()
        )
    if forbidden:
        why.append((C.FORBIDDEN_PAIR, f"{forbidden} forbidden pairs are matched"))
    if neg:
        why.append(
            (
                C.NEGATIVE_REDUCED_COST,
                f"{neg} unmatched pairs have negative reduced cost (dual infeasible)",
            )
        )
    if pos:
        why.append(
            (
                C.POSITIVE_REDUCED_COST,
                f"{pos} matched pairs have positive reduced cost (slackness violated)",
            )
        )
    if cut:
        why.append(
            (C.CUT_ARC, f"{cut} arcs cross the cut the wrong way (count not proven maximal)")
        )
    return why


def verify_certificate(
    assignment: Assignment,
    scores: Any,
    capacity: Any = None,
    demand: Any = None,
    allowed: Any = None,
    min_score: float | None = None,
    certificate: Certificate | None = None,
    tol: float = TOL,
) -> CertificateReport:
    """Check that ``assignment`` is feasible and that its certificate proves it optimal.

    Checks primal feasibility (demand, capacity, forbidden pairs, no duplicates), dual
    feasibility and complementary slackness of the potentials on **every** allowed pair
    (scores read in row blocks, so a :class:`BlockScores` works), and the minimum cut that
    proves the matched count maximal.

    Tolerance: a reduced cost counts as violated when it is beyond ``tol * scale`` with
    ``scale = max(1, max |matched score|, max |potential|)`` (default ``tol = 1e-9``, about
    1e7 float64 rounding steps); the total of a certified assignment is then within
    ``2 * k * tol * scale`` of the optimum (``k`` pairs).
    Only the ``total`` objective (or ``fair`` with its threshold passed as ``min_score``) has
    such a certificate.

    Returns:
        A :class:`CertificateReport`; each failed condition adds one entry to ``codes`` (a
        :class:`CertificateCode`) and its text to ``reasons``. Malformed input (pairs out of
        range, a certificate of the wrong shape or with NaN/inf potentials) stops the check
        at that point, so only the conditions found up to it are reported.

    Raises:
        InvalidInputError: ``scores``, ``capacity``, ``demand``, ``allowed`` or ``min_score``
            fail the same validation as :func:`matchsvc.assign`.
    """
    problem = validate(scores, capacity, demand, allowed, "total", min_score)
    cert = certificate if certificate is not None else assignment.certificate
    if cert is None:
        return CertificateReport(False, tol, ("no certificate",), (CertificateCode.NO_CERTIFICATE,))
    scale = max(
        1.0,
        float(np.max(np.abs(assignment.scores), initial=0.0)),
        float(np.max(np.abs(cert.mentee_potential), initial=0.0)),
        float(np.max(np.abs(cert.mentor_potential), initial=0.0)),
    )
    abs_tol = tol * scale
    found = _check(problem, assignment, cert, abs_tol)
    return CertificateReport(
        not found, abs_tol, tuple(r for _, r in found), tuple(c for c, _ in found)
    )
