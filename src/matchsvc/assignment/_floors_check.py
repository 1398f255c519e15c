"""Check a group-floor assignment's certificate against the full problem, block by block.

Independent of the solver: it reads only the problem (scores, capacity, demand, allowed,
min_score), the partition and floors the caller asked for, the pairs and the certificate's
numbers, and re-derives every count itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from matchsvc.assignment._certificate import CertificateReport
from matchsvc.assignment._floors import FloorCertificate
from matchsvc.assignment._types import Assignment
from matchsvc.assignment._validate import validate

__all__ = ["verify_floor_certificate"]

TOL = 1e-9
_BLOCK = 2048


def verify_floor_certificate(
    assignment: Assignment,
    certificate: FloorCertificate,
    groups: npt.ArrayLike,
    floors: npt.ArrayLike,
    scores: Any,
    capacity: Any = None,
    demand: Any = None,
    allowed: Any = None,
    min_score: float | None = None,
    tol: float = TOL,
) -> CertificateReport:
    """Check that ``assignment`` meets the floors and that ``certificate`` proves it optimal.

    ``groups`` (an int per mentee, ``0..G-1``) and ``floors`` (matched slots per group) are
    the rule being checked, passed by the caller, not read from the certificate.

    Checks, each with its own reason when it fails:

    * primal: pairs in range, no duplicates, demand, capacity, no forbidden pair, every group
      at or above its floor;
    * every allowed pair (scores read in row blocks): unmatched pairs have a non-negative
      reduced cost ``-s_ij + p_i - p_j``, matched pairs a non-positive one;
    * mentee/group, group/source and mentor/sink conditions of :class:`FloorCertificate`;
    * the cut: every mentee with unmet demand reachable, no mentor with spare capacity
      reachable, no allowed unmatched pair from a reachable mentee to an unreachable mentor,
      no matched pair from an unreachable mentee to a reachable mentor.

    Why this proves optimality: the cut shows that no augmenting path exists, so the count is
    the maximum of any assignment, floors or not (Ford-Fulkerson); non-negative reduced costs
    on every residual arc of the lower-bounded network mean no negative cycle, so no
    assignment with the same count that meets the floors scores more (Ahuja, Magnanti &
    Orlin, *Network Flows*, 1993, Thm 9.3). Tolerance as in
    :func:`~matchsvc.assignment.verify_certificate`: violations beyond ``tol * scale`` with
    ``scale = max(1, max |matched score|, max |potential|)``.
    """
    problem = validate(scores, capacity, demand, allowed, "total", min_score)
    n, m = problem.shape
    codes = np.asarray(groups)
    low = np.asarray(floors)
    cert = certificate
    why: list[str] = []
    if codes.shape != (n,) or not np.issubdtype(codes.dtype, np.integer):
        return CertificateReport(False, tol, ("groups must hold one integer per mentee",))
    ng = low.shape[0] if low.ndim == 1 else -1
    if ng < 0 or (n and (codes.min() < 0 or codes.max() >= ng)):
        return CertificateReport(False, tol, ("groups and floors do not match",))
    pots = (cert.mentee_potential, cert.mentor_potential, cert.group_potential)
    if tuple(x.shape for x in pots) != ((n,), (m,), (ng,)) or cert.reach_mentees.shape != (n,):
        return CertificateReport(False, tol, ("certificate has the wrong shape",))
    scale = max(
        1.0,
        float(np.max(np.abs(assignment.scores), initial=0.0)),
        *(float(np.max(np.abs(x), initial=0.0)) for x in pots),
        abs(cert.source_potential),
        abs(cert.sink_potential),
    )
    t = tol * scale
    p = np.asarray(assignment.pairs, dtype=np.int64).reshape(-1, 2)
    if p.size and (p.min() < 0 or p[:, 0].max() >= n or p[:, 1].max() >= m):
        return CertificateReport(False, t, ("pairs out of range",))
    p = p[np.lexsort((p[:, 1], p[:, 0]))]
    key = p[:, 0] * max(m, 1) + p[:, 1]
    if np.unique(key).size != key.size:
        why.append("duplicate pairs")
    got = np.bincount(p[:, 0], minlength=n)
    load = np.bincount(p[:, 1], minlength=m)
    if (got > problem.demand).any():
        why.append("a mentee exceeds its demand")
    if (load > problem.capacity).any():
        why.append("a mentor exceeds its capacity")
    f = np.bincount(codes, weights=got, minlength=ng)
    upper = np.bincount(codes, weights=problem.demand, minlength=ng)
    if (f < low).any():
        k = int(np.flatnonzero(f < low)[0])
        why.append(f"floor violated: group {k} has {int(f[k])} slots, floor {int(low[k])}")
    unmet = problem.demand - got
    pe, pr, pg = pots
    ps, pt = cert.source_potential, cert.sink_potential
    pgi = pg[codes] if n else np.zeros(0)
    if ((unmet > 0) & (pe > pgi + t)).any() or ((got > 0) & (pe < pgi - t)).any():
        why.append("mentee/group condition violated (an exchange inside a group gains)")
    if ((f < upper) & (pg > ps + t)).any() or ((f > low) & (pg < ps - t)).any():
        why.append("group/source condition violated (an exchange between groups gains)")
    spare = load < problem.capacity
    if (spare & (pr < pt - t)).any() or ((load > 0) & (pr > pt + t)).any():
        why.append("mentor/sink condition violated (an exchange of mentors gains)")
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
        red = pe[i0:i1, None] - pr[None, :] - s
        free = mask & ~matched
        neg += int((free & (red < -t)).sum())
        pos += int((matched & (red > t)).sum())
        re = cert.reach_mentees[i0:i1, None]
        rm = cert.reach_mentors[None, :]
        cut += int((free & re & ~rm).sum()) + int((matched & ~re & rm).sum())
    if forbidden:
        why.append(f"{forbidden} forbidden pairs are matched")
    if neg:
        why.append(f"{neg} unmatched pairs have negative reduced cost (dual infeasible)")
    if pos:
        why.append(f"{pos} matched pairs have positive reduced cost (slackness violated)")
    if cut:
        why.append(f"{cut} pairs cross the cut the wrong way (count not proven maximal)")
    return CertificateReport(not why, t, tuple(why))
