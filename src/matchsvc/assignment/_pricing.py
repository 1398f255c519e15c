"""Placeholder replaced below."""

from __future__ import annotations

from matchsvc.assignment._flow import FlowSolver


class PricingSolver(FlowSolver):
    name = "pricing"
