"""Exact capacity-constrained mentee-mentor assignment (pure numpy/scipy/numba).

Public API: :func:`assign` returns an :class:`Assignment`; :func:`verify_certificate` checks
the dual certificate of the exact solvers against the full score matrix.
"""

from __future__ import annotations

from matchsvc.assignment._assign import assign
from matchsvc.assignment._certificate import (
    CertificateCode,
    CertificateReport,
    verify_certificate,
)
from matchsvc.assignment._registry import SolverName
from matchsvc.assignment._types import Assignment, BlockScores, Certificate, Solver

__all__ = [
    "Assignment",
    "BlockScores",
    "Certificate",
    "CertificateCode",
    "CertificateReport",
    "Solver",
    "SolverName",
    "assign",
    "verify_certificate",
]
