"""The committed reference report is what the code produces (no model needed to check this).

Quality numbers need the model, so a full re-run is `make bench` followed by
`python -m benchmarks.check_reference bench-out/quick`; here we check what can be checked fast:
the report is rendered from its results alone, it was made by the quick suite with the default
seed, and the instances it describes are the ones the generator and scoring build today.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from benchmarks.encoders import HashingEncoder
from benchmarks.generator import generate_programme
from benchmarks.pipeline import profile_texts
from benchmarks.report import render_report
from benchmarks.suite import DEFAULT_SEED, QUICK, n_mentors_for

REF = Path(__file__).resolve().parents[2] / "benchmarks" / "reference"


@pytest.fixture(scope="module")
def results() -> dict:
    return json.loads((REF / "results.json").read_text())


def test_reference_report_is_rendered_from_its_results(results: dict) -> None:
    report = (REF / "report.md").read_text()
    assert report == render_report(results)
    meta = results["meta"]
    assert meta["quick"] is True and meta["encoder"] == "model" and meta["cache"] is None
    assert meta["seed"] == DEFAULT_SEED and meta["sizes"] == list(QUICK.sizes)
    assert meta["machine"]["cpu_model"] and meta["machine"]["cores"] >= 1
    for png in re.findall(r"\]\(([\w.]+\.png)\)", report):
        assert (REF / png).stat().st_size > 0, png


def test_reference_instances_are_what_the_code_builds_today(results: dict) -> None:
    from matchsvc.pipelines import score
    from matchsvc.scoring import EmbeddingCache, ScoringOptions

    programme = generate_programme(QUICK.sizes[-1], seed=DEFAULT_SEED)
    for row in results["scaling"]["rows"]:
        if row["stage"] == "embed":
            n = row["n_mentees"]
            sub = programme.subset(n, n_mentors_for(n))
            assert row["n_mentors"] == len(sub.mentors)
            assert row["texts"] == len(profile_texts([*sub.mentees, *sub.mentors]))
    # the constraint mask does not depend on embeddings: rebuild it with the hashing encoder
    inst = results["solvers"]["instance"]
    sub = programme.subset(inst["n_mentees"], inst["n_mentors"])
    comp = score(sub.mentees, sub.mentors, ScoringOptions(), EmbeddingCache(HashingEncoder()))
    assert int(sub.capacity.sum()) == inst["capacity"]
    assert float(np.asarray(comp.allowed).mean()) == pytest.approx(inst["allowed_share"])
