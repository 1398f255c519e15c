"""Exact capacity-constrained mentee-mentor assignment (pure numpy/scipy/numba).

Public API: :func:`assign` returns an :class:`Assignment`; :func:`verify_certificate` checks
the dual certificate of the exact solvers against the full score matrix. :class:`MoveLimitSolver`
adds a side constraint (keep most of given pairs) that ``assign`` runs like any solver object.
A :class:`BlockExecutor` (``assign(..., executor=...)``) runs the ``pricing`` solver's full
passes elsewhere (:class:`SerialExecutor` here, ``matchsvc.cluster.RayExecutor`` on Ray).
"""

from __future__ import annotations

from matchsvc.assignment._assign import assign
from matchsvc.assignment._certificate import CertificateReport, verify_certificate
from matchsvc.assignment._executor import BlockExecutor, BlockRunner, SerialExecutor
from matchsvc.assignment._milp import MoveLimitSolver
from matchsvc.assignment._registry import SolverName
from matchsvc.assignment._types import Assignment, BlockScores, Certificate, Solver

__all__ = [
    "Assignment",
    "BlockExecutor",
    "BlockRunner",
    "BlockScores",
    "Certificate",
    "CertificateReport",
    "MoveLimitSolver",
    "SerialExecutor",
    "Solver",
    "SolverName",
    "assign",
    "verify_certificate",
]
