"""The synthetic programme generator: determinism, sizes, and a consistent planted truth."""

from __future__ import annotations

import numpy as np
import pytest
from benchmarks.generator import N_SUB, generate_programme, planted_best
from benchmarks.taxonomy import DOMAINS, all_skills


def test_same_seed_same_programme_other_seed_differs() -> None:
    a = generate_programme(60, seed=7)
    b = generate_programme(60, seed=7)
    c = generate_programme(60, seed=8)
    assert a.mentees == b.mentees and a.mentors == b.mentors
    np.testing.assert_array_equal(a.truth.best, b.truth.best)
    np.testing.assert_array_equal(a.truth.mentee_latent, b.truth.mentee_latent)
    assert a.mentees != c.mentees


@pytest.mark.parametrize(
    ("n", "m", "expected_m"), [(36, None, 15), (40, 10, 10), (5000, None, 2000)]
)
def test_sizes_ids_and_fields(n: int, m: int | None, expected_m: int) -> None:
    p = generate_programme(n, m, seed=1)
    assert len(p.mentees) == n and len(p.mentors) == expected_m
    assert p.mentees[0].id == "mentee-000000" and p.mentors[-1].id == f"mentor-{expected_m - 1:06d}"
    assert p.truth.best.shape == (n, 5)
    assert p.truth.mentor_cluster.shape == (expected_m,)
    assert set(p.capacity.tolist()) <= {1, 2, 3, 4, 5}
    assert set(p.demand.tolist()) <= {1, 2}
    known = set(all_skills())
    assert all(set(x.skills) <= known and x.goals for x in (*p.mentees, *p.mentors))
    assert len(p.texts()) < 2000  # templated texts keep cold embedding bounded


def test_planted_truth_is_consistent() -> None:
    p = generate_programme(400, seed=3, exclude_rate=0.2)
    t = p.truth
    best = t.best
    # the clusters explain the skills: most of a person's skills come from their sub-topic
    d0, s0 = divmod(int(t.mentee_cluster[0]), N_SUB)
    own = set(DOMAINS[d0].subtopics[s0].skills)
    assert sum(s in own for s in p.mentees[0].skills) >= len(p.mentees[0].skills) / 2
    for i in range(len(p.mentees)):
        row = best[i][best[i] >= 0]
        assert len(set(row.tolist())) == len(row)
        assert (t.mentor_domain[row] == t.mentee_domain[i]).all()
        assert f"mentor-{row[0]:06d}" not in p.mentees[i].exclude if len(row) else True
        affinity = t.mentor_latent[row] @ t.mentee_latent[i] + (
            t.mentor_cluster[row] == t.mentee_cluster[i]
        )
        assert (np.diff(affinity) <= 1e-6).all()
        same_cluster = np.flatnonzero(t.mentor_cluster == t.mentee_cluster[i])
        excluded = t.excluded[t.excluded[:, 0] == i, 1]
        eligible = np.setdiff1d(same_cluster, excluded)
        if eligible.size:
            assert t.mentor_cluster[row[0]] == t.mentee_cluster[i]
        for j in excluded:
            assert j not in row
            assert p.mentees[i].exclude == (f"mentor-{j:06d}",)


def test_subset_recomputes_truth_on_the_prefix() -> None:
    p = generate_programme(300, seed=5, exclude_rate=0.5)
    s = p.subset(100, 30)
    assert s.mentors == p.mentors[:30]
    for a, b in zip(s.mentees, p.mentees[:100], strict=True):
        assert a.skills == b.skills and a.goals == b.goals
        assert set(a.exclude) <= set(b.exclude)
        assert all(int(x.removeprefix("mentor-")) < 30 for x in a.exclude)
    assert s.truth.best.max() < 30
    t = s.truth
    again = planted_best(
        t.mentee_cluster, t.mentor_cluster, t.mentee_latent, t.mentor_latent, t.excluded
    )
    np.testing.assert_array_equal(again, t.best)
    with pytest.raises(ValueError, match="must be within"):
        p.subset(301, 10)


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="at least one mentee"):
        generate_programme(0, seed=1)
    with pytest.raises(ValueError, match="exclude_rate"):
        generate_programme(10, seed=1, exclude_rate=2.0)
    with pytest.raises(ValueError, match="truth_k"):
        generate_programme(10, seed=1, truth_k=0)
