"""Facet kernels against direct computations."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics.pairwise import cosine_similarity

from matchsvc.scoring import _facets
from matchsvc.scoring._facets import (
    cosine_facet,
    cosine_to_unit,
    jaccard_from_counts,
    overlap_slots,
    skills_facet,
)


def unit_rows(rng: np.random.Generator, k: int, d: int = 16) -> np.ndarray:
    x = rng.normal(size=(k, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def direct_skills(vectors: np.ndarray, mentees: list[list[int]], mentors: list[list[int]]):
    out = np.full((len(mentees), len(mentors)), np.nan)  # missing where either list is empty
    for i, mine in enumerate(mentees):
        for j, theirs in enumerate(mentors):
            if mine and theirs:
                c = cosine_similarity(vectors[mine], vectors[theirs])
                sims = np.where(c < 0, 0.05 * (1 + c), c + 0.05 * (1 - c))  # the cosine map
                out[i, j] = sims.max(axis=1).mean()
    return out


def random_lists(rng: np.random.Generator, count: int, vocab: int) -> list[list[int]]:
    return [
        sorted(rng.choice(vocab, size=rng.integers(0, 5), replace=False).tolist())
        for _ in range(count)
    ]


@pytest.mark.parametrize("seed", range(4))
def test_skills_facet_matches_direct_computation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    vectors = unit_rows(rng, 30)
    mentees, mentors = random_lists(rng, 25, 30), random_lists(rng, 12, 30)
    got = skills_facet(vectors, mentees, mentors)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, direct_skills(vectors, mentees, mentors), atol=1e-6)


def test_skills_facet_small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The chunked path (many small skill chunks) gives the same numbers."""
    rng = np.random.default_rng(7)
    vectors = unit_rows(rng, 40)
    mentees, mentors = random_lists(rng, 50, 40), random_lists(rng, 9, 40)
    expected = skills_facet(vectors, mentees, mentors)
    monkeypatch.setattr(_facets, "_BLOCK_ELEMENTS", 8)
    np.testing.assert_allclose(skills_facet(vectors, mentees, mentors), expected, atol=1e-6)


def test_skills_facet_hand_example() -> None:
    e = np.eye(3, dtype=np.float32)
    half = np.array([[0.6, 0.8, 0.0]], dtype=np.float32)
    vectors = np.vstack([e, half])  # rows: s0, s1, s2, mix of s0/s1
    got = skills_facet(vectors, [[0, 1], [2], []], [[3], [0, 2], []])
    # similarity c + 0.05 (1 - c): 0.6 -> 0.62, 0.8 -> 0.81, 1 -> 1, 0 -> 0.05; NaN = missing
    nan = np.nan
    expected = np.array(
        [
            [(0.62 + 0.81) / 2, (1.0 + 0.05) / 2, nan],
            [0.05, 1.0, nan],
            [nan, nan, nan],
        ]
    )
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_skills_facet_empty_shapes() -> None:
    v = np.zeros((0, 4), dtype=np.float32)
    assert skills_facet(v, [], []).shape == (0, 0)
    np.testing.assert_array_equal(skills_facet(v, [[], []], []), np.zeros((2, 0)))
    np.testing.assert_array_equal(skills_facet(v, [], [[]]), np.zeros((0, 1)))


def test_cosine_facet_maps_monotonically_and_marks_missing() -> None:
    rows = np.array([[1, 0], [0, 1], [0, 0]], dtype=np.float32)
    cols = np.array([[-1, 0], [0.6, 0.8]], dtype=np.float32)
    got = cosine_facet(rows, cols, np.array([True, True, False]), np.array([True, True]))
    # cos -1 -> 0, 0 -> 0.05 (distinct: opposite still ranks below unrelated), 0.6 -> 0.62
    nan = np.nan
    np.testing.assert_allclose(got, [[0, 0.62], [0.05, 0.81], [nan, nan]], atol=1e-7)


def test_cosine_to_unit_keeps_the_order_of_negative_cosines() -> None:
    cos = np.array([-1.0, -0.5, -0.01, 0.0, 0.3, 1.0, 1.0000001], dtype=np.float32)
    got = cosine_to_unit(cos.copy())
    np.testing.assert_allclose(got, [0.0, 0.025, 0.0495, 0.05, 0.335, 1.0, 1.0], atol=1e-7)
    assert (np.diff(got[:6]) > 0).all()  # strictly increasing on [-1, 1]: no ties
    assert got[0] == 0.0 and got[5] == 1.0  # exact at the ends
    x = np.linspace(-1, 1, 2001, dtype=np.float32)
    assert (np.diff(cosine_to_unit(x.copy())) > 0).all()
    assert got.dtype == np.float32


def test_overlap_slots_equals_direct_count() -> None:
    rng = np.random.default_rng(3)
    left = np.zeros((20, 672), dtype=bool)
    right = np.zeros((15, 672), dtype=bool)
    for mat in (left, right):
        for row in mat:
            for _ in range(rng.integers(0, 4)):
                start = rng.integers(0, 660)
                row[start : start + rng.integers(1, 12)] = True
    got = overlap_slots(left, right)
    direct = (left[:, None, :] & right[None, :, :]).sum(axis=2)
    np.testing.assert_array_equal(got, direct)
    assert overlap_slots(left[:0], right).shape == (0, 15)


def test_jaccard_from_counts() -> None:
    a = np.array([[1, 1, 0], [0, 0, 0]], dtype=np.float32)
    b = np.array([[1, 0, 1], [0, 0, 0]], dtype=np.float32)
    jac, inter = jaccard_from_counts(a, b)
    np.testing.assert_allclose(jac, [[1 / 3, 0], [0, 0]])
    np.testing.assert_array_equal(inter, [[1, 0], [0, 0]])
