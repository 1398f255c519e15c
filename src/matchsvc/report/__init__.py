"""The report people would rather look at than read: one self-contained HTML file.

:func:`render_report` turns an audit (``POST /audit``'s body) and, when there is one, the match
(``POST /match``'s body) into a page with a summary, the flagged groups, a chart and a table per
audited attribute, the fairness floors, score and mentor-load distributions, the unmatched
mentees' reasons and example explanations. Charts are hand-written inline SVG; there is no
script and nothing is fetched. ``matchsvc report`` and ``GET /jobs/{id}/report`` write it.

An edge module, like :mod:`matchsvc.service`: it reads the response models; the core never
imports it.
"""

from __future__ import annotations

from matchsvc.report._page import CHART_ROWS, EXAMPLES, TABLE_ROWS, render_report
from matchsvc.report._svg import COLOURS

__all__ = ["CHART_ROWS", "COLOURS", "EXAMPLES", "TABLE_ROWS", "render_report"]
