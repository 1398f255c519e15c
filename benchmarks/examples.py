"""The learning example files (``examples/learn/``, ``examples/http/learn.json``), generated.

A programme of 120 mentees and 40 mentors from :func:`benchmarks.generator.generate_programme`,
1,000 past pairs, and feedback drawn from hidden weights (skills 0.2, goals 0.6, communication
0.2) over the facets the bundled model gives, with :func:`benchmarks.generator.draw_feedback`:
ratings from both sides and outcomes, some missing. So ``matchsvc learn`` on these files, with
the default model, should find weights near the hidden ones
(``tests/benchmarks/test_examples_learn.py`` checks it).

    python -m benchmarks.examples
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.generator import OutcomeTruth, draw_feedback, generate_programme, history_pairs
from matchsvc.pipelines import MatchOptions, build_problem
from matchsvc.profiles import Profile
from matchsvc.scoring import EmbeddingCache
from matchsvc.scoring.encoder import load_encoder

ROOT = Path(__file__).resolve().parents[1] / "examples"
HIDDEN = {"skills": 0.2, "goals": 0.6, "communication": 0.2}


def profile_json(p: Profile) -> dict[str, Any]:
    """A core profile as the API's ``Profile`` object (empty fields left out)."""
    comm = p.communication
    communication = {
        "style": comm.style,
        "channels": list(comm.channels),
        "languages": list(comm.languages),
        "timezone": comm.timezone,
        "availability": [{"day": a.day, "start": a.start, "end": a.end} for a in comm.availability],
        "frequency": comm.frequency,
    }
    body: dict[str, Any] = {
        "id": p.id,
        "skills": list(p.skills),
        "goals": p.goals,
        "communication": {k: v for k, v in communication.items() if v not in (None, "", [])},
        "attributes": {k: list(v) if isinstance(v, tuple) else v for k, v in p.attributes.items()},
        "capacity": p.capacity,
        "demand": p.demand,
    }
    return {k: v for k, v in body.items() if v not in ({}, [], "")}


def learn_example() -> dict[str, Any]:
    """The ``POST /learn`` body of the example."""
    programme = generate_programme(120, 40, seed=7)
    i, j = history_pairs(programme, 1000, seed=7)
    problem = build_problem(
        programme.mentees, programme.mentors, MatchOptions(), EmbeddingCache(load_encoder())
    )
    names = tuple(problem.comp.weights)
    x = np.stack([problem.comp.facets[f][i, j] for f in names], axis=1).astype(np.float64)
    fb = draw_feedback(OutcomeTruth(HIDDEN, noise=0.5), x, names, seed=8)
    history = []
    for k, (a, b) in enumerate(zip(i.tolist(), j.tolist(), strict=True)):
        record: dict[str, Any] = {
            "mentee_id": programme.mentees[a].id,
            "mentor_id": programme.mentors[b].id,
        }
        if fb.outcome[k] is not None:
            record["outcome"] = fb.outcome[k]
        for side, values in (
            ("mentee_rating", fb.mentee_rating),
            ("mentor_rating", fb.mentor_rating),
        ):
            if not math.isnan(values[k]):
                record[side] = int(values[k])
        history.append(record)
    return {
        "mentees": [profile_json(p) for p in programme.mentees],
        "mentors": [profile_json(p) for p in programme.mentors],
        "history": history,
    }


def history_csv(history: list[dict[str, Any]]) -> str:
    columns = ["mentee_id", "mentor_id", "outcome", "mentee_rating", "mentor_rating"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([[record.get(c, "") for c in columns] for record in history])
    return buffer.getvalue()


def files() -> dict[Path, str]:
    """Every example file and its text."""
    body = learn_example()
    return {
        ROOT / "http" / "learn.json": json.dumps(body, indent=1) + "\n",
        ROOT / "learn" / "mentees.json": json.dumps(body["mentees"], indent=1) + "\n",
        ROOT / "learn" / "mentors.json": json.dumps(body["mentors"], indent=1) + "\n",
        ROOT / "learn" / "history.csv": history_csv(body["history"]),
    }


def main() -> None:
    for path, text in files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path} ({len(text):,} bytes)")


if __name__ == "__main__":
    main()
