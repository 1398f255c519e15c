"""Check an assignment's certificate against the full problem, block by block."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from matchsvc.assignment._types import Assignment, Certificate, Problem
from matchsvc.assignment._validate import validate

__all__ = ["CertificateReport", "block_violations", "verify_certificate"]

# Reduced costs may be off by rounding; violations are counted beyond TOL * max(1, max|score|).
TOL = 1e-9
_BLOCK = 2048


@dataclass(frozen=True)
class CertificateReport:
    """Outcome of :func:`verify_certificate`: ``valid`` and, if not, the reasons."""

    valid: bool
    tolerance: float
    reasons: tuple[str, ...]


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


def _check(problem: Problem, a: Assignment, cert: Certificate, tol: float) -> list[str]:
    n, m = problem.shape
    why: list[str] = []
    p = a.pairs
    if p.shape != (a.scores.shape[0], 2) or (p.size and (p.min() < 0 or p[:, 0].max() >= n)):
        return ["pairs out of range"]
    if p.size and p[:, 1].max() >= m:
        return ["pairs out of range"]
    key = p[:, 0] * max(m, 1) + p[:, 1]
    if np.unique(key).size != key.size:
        why.append("duplicate pairs")
    got_d = np.bincount(p[:, 0], minlength=n)
    got_c = np.bincount(p[:, 1], minlength=m)
    if (got_d > problem.demand).any():
        why.append("a mentee exceeds its demand")
    if (got_c > problem.capacity).any():
        why.append("a mentor exceeds its capacity")
    unmet = problem.demand - got_d
    if cert.mentee_potential.shape != (n,) or cert.mentor_potential.shape != (m,):
        return [*why, "certificate has the wrong shape"]
    pe, pr, ps, pt = (
        cert.mentee_potential,
        cert.mentor_potential,
        cert.source_potential,
        cert.sink_potential,
    )
    if ((unmet > 0) & (pe > ps + tol)).any() or ((got_d > 0) & (pe < ps - tol)).any():
        why.append("source condition violated (a cheaper exchange of mentees exists)")
    spare = got_c < problem.capacity
    if (spare & (pr < pt - tol)).any() or ((got_c > 0) & (pr > pt + tol)).any():
        why.append("sink condition violated (a cheaper exchange of mentors exists)")
    if (unmet > 0)[~cert.reach_mentees].any():
        why.append("cut: a mentee with unmet demand is outside the source side")
    if (spare & cert.reach_mentors).any():
        why.append("cut: a mentor with spare capacity is reachable (augmenting path)")
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
        why.append(f"{forbidden} forbidden pairs are matched")
    if neg:
        why.append(f"{neg} unmatched pairs have negative reduced cost (dual infeasible)")
    if pos:
        why.append(f"{pos} matched pairs have positive reduced cost (slackness violated)")
    if cut:
        why.append(f"{cut} arcs cross the cut the wrong way (count not proven maximal)")
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
    """
    problem = validate(scores, capacity, demand, allowed, "total", min_score)
    cert = certificate if certificate is not None else assignment.certificate
    if cert is None:
        return CertificateReport(False, tol, ("no certificate",))
    scale = max(
        1.0,
        float(np.max(np.abs(assignment.scores), initial=0.0)),
        float(np.max(np.abs(cert.mentee_potential), initial=0.0)),
        float(np.max(np.abs(cert.mentor_potential), initial=0.0)),
    )
    abs_tol = tol * scale
    reasons = _check(problem, assignment, cert, abs_tol)
    return CertificateReport(not reasons, abs_tol, tuple(reasons))
