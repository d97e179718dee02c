"""The sparse helpers agree with scipy on random matrices, empty columns included."""

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.optimize import _sparse
from planner.optimize._sparse import gather, segment_sums


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 40), st.integers(1, 30), st.floats(0.0, 0.4), st.integers(0, 10_000))
def test_segment_sums_is_a_transposed_product(n, m, density, seed):
    rng = np.random.default_rng(seed)
    a = sp.random(n, m, density=density, random_state=seed, format="csc")
    v = rng.random(n)
    expected = (a != 0).astype(float).T @ v
    assert np.allclose(segment_sums(a.indptr.astype(np.int64), a.indices, v), expected)


def test_segment_sums_in_small_chunks(monkeypatch):
    monkeypatch.setattr(_sparse, "CHUNK_NNZ", 3)
    a = sp.random(50, 40, density=0.2, random_state=1, format="csc")
    v = np.arange(50, dtype=float)
    expected = (a != 0).astype(float).T @ v
    assert np.allclose(segment_sums(a.indptr.astype(np.int64), a.indices, v), expected)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 30), st.floats(0.0, 0.5), st.integers(0, 10_000))
def test_gather_returns_the_rows_entries(n, density, seed):
    a = sp.random(n, 12, density=density, random_state=seed, format="csr")
    rows = np.random.default_rng(seed).choice(n, size=min(n, 5), replace=False)
    entries, owner = gather(a.indptr.astype(np.int64), a.indices, rows)
    for pos, r in enumerate(rows):
        assert sorted(entries[owner == pos].tolist()) == sorted(
            a.indices[a.indptr[r] : a.indptr[r + 1]].tolist()
        )
