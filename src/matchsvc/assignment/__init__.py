"""Exact capacity-constrained mentee-mentor assignment (pure numpy/scipy/numba).

Public API: :func:`assign` returns an :class:`Assignment`; :func:`verify_certificate` checks
the dual certificate of the exact solvers against the full score matrix. :class:`MoveLimitSolver`
adds a side constraint (keep most of given pairs) that ``assign`` runs like any solver object.
:func:`assign_group_fair` adds floors on the matched share of groups of mentees and
:func:`verify_floor_certificate` checks its proof.
Peer matching within one pool: :func:`assign_peers` returns a :class:`PeerAssignment` whose
certificate :func:`verify_peer_certificate` checks; :func:`form_circles` groups a pool into
circles with an upper bound and the gap to it.
A :class:`BlockExecutor` (``assign(..., executor=...)``) runs the ``pricing`` solver's full
passes elsewhere (:class:`SerialExecutor` here, ``matchsvc.cluster.RayExecutor`` on Ray).
"""

from __future__ import annotations

from matchsvc.assignment._assign import assign
from matchsvc.assignment._certificate import (
    CertificateCode,
    CertificateReport,
    verify_certificate,
)
from matchsvc.assignment._circles import (
    CIRCLE_NO_LEADER,
    CIRCLE_NOT_PLACED,
    CIRCLE_POOL_SIZE,
    CIRCLE_TOO_FEW_PARTNERS,
    Circles,
    CircleStats,
    form_circles,
)
from matchsvc.assignment._executor import BlockExecutor, BlockRunner, SerialExecutor
from matchsvc.assignment._floors import FloorCertificate
from matchsvc.assignment._floors_check import verify_floor_certificate
from matchsvc.assignment._group_fair import (
    GroupFairAssignment,
    GroupFloor,
    GroupOutcome,
    assign_group_fair,
    share_floor,
)
from matchsvc.assignment._milp import MoveLimitSolver
from matchsvc.assignment._peer import (
    NO_ALLOWED_PARTNER,
    NO_PARTNER_LEFT,
    PeerAssignment,
    PeerCertificate,
    PeerStats,
    assign_peers,
)
from matchsvc.assignment._peer_verify import (
    PeerCertificateReport,
    PeerReason,
    verify_peer_certificate,
)
from matchsvc.assignment._registry import SolverName
from matchsvc.assignment._types import Assignment, BlockScores, Certificate, Solver

__all__ = [
    "CIRCLE_NOT_PLACED",
    "CIRCLE_NO_LEADER",
    "CIRCLE_POOL_SIZE",
    "CIRCLE_TOO_FEW_PARTNERS",
    "NO_ALLOWED_PARTNER",
    "NO_PARTNER_LEFT",
    "Assignment",
    "BlockExecutor",
    "BlockRunner",
    "BlockScores",
    "Certificate",
    "CertificateCode",
    "CertificateReport",
    "CircleStats",
    "Circles",
    "FloorCertificate",
    "GroupFairAssignment",
    "GroupFloor",
    "GroupOutcome",
    "MoveLimitSolver",
    "PeerAssignment",
    "PeerCertificate",
    "PeerCertificateReport",
    "PeerReason",
    "PeerStats",
    "SerialExecutor",
    "Solver",
    "SolverName",
    "assign",
    "assign_group_fair",
    "assign_peers",
    "form_circles",
    "share_floor",
    "verify_certificate",
    "verify_floor_certificate",
    "verify_peer_certificate",
]
