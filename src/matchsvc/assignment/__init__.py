"""Exact capacity-constrained mentee-mentor assignment (pure numpy/scipy/numba).

Public API: :func:`assign` returns an :class:`Assignment`; :func:`verify_certificate` checks
the dual certificate of the exact solvers against the full score matrix. :class:`MoveLimitSolver`
adds a side constraint (keep most of given pairs) that ``assign`` runs like any solver object.
:func:`assign_group_fair` adds floors on the matched share of groups of mentees and
:func:`verify_floor_certificate` checks its proof.
"""

from __future__ import annotations

from matchsvc.assignment._assign import assign
from matchsvc.assignment._certificate import CertificateReport, verify_certificate
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
from matchsvc.assignment._registry import SolverName
from matchsvc.assignment._types import Assignment, BlockScores, Certificate, Solver

__all__ = [
    "Assignment",
    "BlockScores",
    "Certificate",
    "CertificateReport",
    "FloorCertificate",
    "GroupFairAssignment",
    "GroupFloor",
    "GroupOutcome",
    "MoveLimitSolver",
    "Solver",
    "SolverName",
    "assign",
    "assign_group_fair",
    "share_floor",
    "verify_certificate",
    "verify_floor_certificate",
]
