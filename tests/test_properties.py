"""Property-based tests: every proven statement of the book, checked on thousands of matrices.

Each property quantifies over the strategies of ``tests/strategies.py`` (dense
and sparse, stochastic and substochastic, irreducible and reducible,
near-deterministic and near-uniform, n = 1, 2 up to 60, exact rationals). The
ci profile (``tests/conftest.py``) runs at least 2,000 derandomized examples of
each and prints the counts.

Tolerances. All traces of powers of ``A = P ⊙ P`` are sums of nonnegative
products, so they are accurate to a few ulps times k; the solve-based ``R`` is
accurate to about ``κ · eps`` relative, where ``κ = 2 ||(I - A)^{-1}||_∞`` is
the condition estimate the package itself uses for its ConditioningWarning.
Every comparison below is scaled by that ``κ`` (``strategies.condition_bound``),
never by a blanket loose constant.
"""

from __future__ import annotations

import itertools
import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, note
from hypothesis import strategies as st

import repetition as rep
import strategies as S
from repetition import reference

EPS = np.finfo(float).eps


def quiet(f, *args, **kwargs):
    """Call f ignoring ConditioningWarning (properties that check accuracy scale tolerances by κ instead)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rep.ConditioningWarning)
        return f(*args, **kwargs)


def rate_tolerance(case_dense: np.ndarray) -> float:
    """Relative tolerance for comparing two correct ways of computing R: 64 n κ eps (at least 1e-13)."""
    kappa = S.condition_bound(case_dense)
    return max(1e-13, 64 * case_dense.shape[0] * kappa * EPS)


def eig_A(dense: np.ndarray) -> np.ndarray:
    return np.linalg.eigvals(dense * dense)


# ---------------------------------------------------------------------------
# Validation and the model


@given(S.transition_matrices())
def test_validation_hadamard_square_support_and_sparsity(case):
    out = rep.as_transition_matrix(case.P)
    assert out.dtype == np.float64
    if sp.issparse(case.P):
        assert isinstance(out, sp.csr_array)
        np.testing.assert_array_equal(out.toarray(), case.dense)
    else:
        np.testing.assert_array_equal(out, case.dense)
    again = rep.as_transition_matrix(out)
    assert (again != out).nnz == 0 if sp.issparse(out) else np.array_equal(again, out)
    # the Hadamard square, the support and the sparsity ζ
    A = rep.hadamard_square(case.P)
    B = rep.support(case.P)
    np.testing.assert_array_equal(
        A.toarray() if sp.issparse(A) else A, case.dense * case.dense
    )
    np.testing.assert_array_equal(
        B.toarray() if sp.issparse(B) else B, (case.dense > 0).astype(np.int64)
    )
    zeta = rep.sparsity(case.P)
    assert zeta == np.count_nonzero(case.dense) / case.n**2
    # ζ n is the mean number of successors per token: at most 1 when every row has <= 1 successor
    if np.all((case.dense > 0).sum(axis=1) <= 1):
        assert zeta * case.n <= 1.0


@given(
    st.integers(1, 6),
    st.integers(0, 2**32 - 1),
    st.sampled_from([0, 0.5, 1, 0.25]),
    st.booleans(),
)
def test_transition_matrix_is_the_exact_mle(n, seed, delta, sparse_in):
    from fractions import Fraction

    rng = np.random.default_rng(seed)
    rows = (
        rng.integers(0, 50, size=(n, n + 1)) * (rng.random((n, n + 1)) < 0.6)
    ).tolist()
    args = rows, delta, sparse_in
    rows, delta, sparse_in = args
    C = np.array(rows, dtype=np.int64)
    n = C.shape[0]
    P = rep.transition_matrix(sp.csr_array(C) if sparse_in else C, smoothing=delta)
    P = P.toarray() if sp.issparse(P) else P
    d = Fraction(delta)
    for i in range(n):
        total = sum(Fraction(int(x)) for x in C[i]) + (n + 1) * d
        for j in range(n):
            expected = (C[i, j] + d) / total if total else Fraction(0)
            assert abs(Fraction(P[i, j]) - expected) <= expected * Fraction(EPS)
    assert np.all(P.sum(axis=1) <= 1 + rep.ROW_SUM_TOLERANCE)
    if delta > 0:
        assert np.all(P > 0)
        # the end token keeps (C[i, n] + δ) / total > 0 of every row
        assert np.all(P.sum(axis=1) < 1)
    rep.as_transition_matrix(P)  # the estimate is itself a valid transition matrix


# ---------------------------------------------------------------------------
# The graph: components and deterministic cycles


@given(S.transition_matrices(max_n=30))
def test_cyclic_components_match_the_transitive_closure(case):
    comps = rep.cyclic_components(case.P)
    reach = reference.transitive_closure(case.dense)
    on_cycle = set(np.flatnonzero(np.diag(reach)).tolist())
    got = [c.tolist() for c in comps]
    assert sorted(v for c in got for v in c) == sorted(
        on_cycle
    )  # disjoint, and exactly the vertices on closed walks
    for c in got:
        assert c == sorted(c)
        assert reach[
            np.ix_(c, c)
        ].all()  # strongly connected (and each vertex on a closed walk)
    # maximal: vertices of different components are not mutually reachable
    for a in range(len(got)):
        for b in range(a + 1, len(got)):
            u, v = got[a][0], got[b][0]
            assert not (reach[u, v] and reach[v, u])
    assert [len(c) for c in got] == sorted((len(c) for c in got), reverse=True)
    # tokens on no closed walk can be deleted without changing Tr(A^k) or R
    keep = np.zeros(case.n, dtype=bool)
    for c in comps:
        keep[c] = True
    pruned = np.where(np.outer(keep, keep), case.dense, 0.0)
    R, R_pruned = quiet(rep.repetition_rate, case.P), quiet(rep.repetition_rate, pruned)
    assert R == R_pruned or abs(R - R_pruned) <= 1e-13 * R
    np.testing.assert_allclose(
        rep.repetition_terms(case.P, 5),
        rep.repetition_terms(pruned, 5),
        rtol=1e-13,
        atol=0,
    )


@given(
    S.transition_matrices(
        kinds=("deterministic", "near_deterministic", "generic", "reducible")
    )
)
def test_infinite_rate_exactly_on_a_deterministic_cycle(case):
    brute = reference.brute_force_deterministic_cycle(case.dense)
    cycle = rep.deterministic_cycle(case.P)
    R = quiet(rep.repetition_rate, case.P)
    rho = rep.spectral_radius(rep.hadamard_square(case.P))
    if brute is None:
        assert cycle is None
        assert math.isfinite(R)
        assert rho < 1.0
    else:
        assert cycle is not None
        assert R == math.inf
        assert rho == 1.0
        members = set(cycle.tolist())
        for v in members:  # every member steps with probability 1 to another member
            assert any(case.dense[v, w] == 1.0 for w in members)


# ---------------------------------------------------------------------------
# The exact repetition rate


@given(S.rational_matrices())
def test_rate_equals_the_exact_rational_value(rc):
    exact = reference.exact_repetition_rate(rc.exact)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        R = rep.repetition_rate(rc.P)
    warned = any(issubclass(w.category, rep.ConditioningWarning) for w in caught)
    if exact == math.inf:
        assert R == math.inf
        assert rep.deterministic_cycle(rc.P) is not None
        return
    assert math.isfinite(R)
    note(f"exact R = {float(exact)!r}, computed {R!r}, warned={warned}")
    err = abs(R - float(exact)) / max(float(exact), 1e-300) if exact else abs(R)
    # The float input differs from the rationals by <= eps/2 per entry, so the
    # attainable accuracy is about κ eps; without a warning the package promises 1e-8.
    assert err <= rate_tolerance(rc.P)
    if not warned:
        assert err <= 1e-8


@given(S.rational_matrices(max_n=5), st.integers(1, 6))
def test_terms_equal_exact_rational_traces(rc, K):
    terms = rep.repetition_terms(rc.P, K)
    exact = reference.exact_repetition_terms(rc.exact, K)
    for k, (t, e) in enumerate(zip(terms, exact, strict=True), start=1):
        assert t >= 0
        assert abs(t - float(e)) <= 8 * k * rc.n * EPS * float(e) + 1e-300


@given(S.transition_matrices(), st.integers(1, 8))
def test_terms_are_traces_of_powers_and_at_most_n_rho_k(case, K):
    terms = rep.repetition_terms(case.P, K)
    A = case.dense * case.dense
    X = np.eye(case.n)
    lam = eig_A(case.dense)
    rho_eig = float(np.max(np.abs(lam)))
    rho = rep.spectral_radius(rep.hadamard_square(case.P))
    for k in range(1, K + 1):
        X = X @ A
        direct = float(np.trace(X))
        t = terms[k - 1]
        assert t >= 0.0
        assert abs(t - direct) <= 4 * k * case.n * EPS * max(direct, t) + 1e-300
        # Tr(A^k) = Σ λ_i^k <= Σ |λ_i|^k <= n ρ^k
        assert (
            t
            <= float(np.sum(np.abs(lam) ** k)) * (1 + 1e-9)
            + 1e-12 * rho_eig**k
            + 1e-300
        )
        assert t <= case.n * max(rho, rho_eig) ** k * (1 + 1e-9) + 1e-300


@given(S.transition_matrices())
def test_solve_eigen_and_series_rates_agree(case):
    R = quiet(rep.repetition_rate, case.P)
    if not math.isfinite(R):
        assert reference.brute_force_deterministic_cycle(case.dense) is not None
        assert math.isinf(quiet(rep.eigen_repetition_rate, case.P))
        return
    tol = rate_tolerance(case.dense)
    lam = eig_A(case.dense)
    rho = float(np.max(np.abs(lam)))
    R_eig = float(np.real(np.sum(lam / (1 - lam))))
    note(f"R={R!r} R_eig={R_eig!r} rho={rho!r} tol={tol!r}")
    assert abs(R - R_eig) <= tol * max(R, 1.0) * 10
    # the package's eigenvalue form: Σ λ/(1-λ) is a symmetric function of the eigenvalues, so the
    # backward error eps ||A|| of a non-normal eigensolve costs about κ eps (no square roots of eps)
    assert abs(R - quiet(rep.eigen_repetition_rate, case.P)) <= 10 * tol * max(R, 1.0)
    # Series: partial sums never exceed R, and the tail after K terms is at most n ρ^(K+1) / (1 - ρ).
    K = 30
    R_K = float(rep.repetition_terms(case.P, K).sum())
    assert R_K <= R * (1 + tol) + 1e-300
    tail = case.n * rho ** (K + 1) / (1 - rho) if rho < 1 else math.inf
    assert R - R_K <= tail * (1 + 1e-6) + tol * R + 1e-300


def _package_upper_bounds(case, R):
    """The same chain as computed by the package (spectrum.py)."""
    mod = quiet(rep.modulus_upper_bound, case.P)
    eig = rep.eigen_upper_bound(case.P)
    row = rep.row_sum_upper_bound(case.P)
    rho = rep.spectral_radius(rep.hadamard_square(case.P))
    note(f"R={R!r} modulus={mod!r} eigen={eig!r} row={row!r} rho={rho!r}")
    if math.isinf(R):
        assert math.isinf(eig) and math.isinf(mod) and math.isinf(row)
        return
    if math.isinf(eig) or math.isinf(
        mod
    ):  # ρ within rounding of 1 without a deterministic cycle
        assert rho >= 1 - 1e-12
        return
    tol = rate_tolerance(case.dense)
    # ρ computed twice (per component and from all eigenvalues) agrees to ~1e-9; n ρ/(1-ρ) amplifies by 1/(1-ρ)^2
    slack = case.n * 1e-9 / (1 - rho) ** 2
    assert R <= mod * (1 + tol) + 1e-300
    assert mod <= eig * (1 + 1e-9) + slack
    assert eig <= row * (1 + 1e-12) + case.n * 8 * EPS / (1 - rho) ** 2 or math.isinf(
        row
    )


@given(S.transition_matrices(max_n=40))
def test_upper_bounds_chain(case):
    """R <= Σ|λ|/(1-|λ|) <= n ρ/(1-ρ) <= n r/(1-r), r the largest row sum of A (independent and package values)."""
    R = quiet(rep.repetition_rate, case.P)
    _package_upper_bounds(case, R)
    if not math.isfinite(R):
        return
    tol = rate_tolerance(case.dense)
    lam = np.abs(eig_A(case.dense))
    rho = rep.spectral_radius(rep.hadamard_square(case.P))
    r = float((case.dense**2).sum(axis=1).max())
    rho_hi = max(rho, float(lam.max()))
    if (
        rho_hi >= 1.0
    ):  # ρ within an ulp of 1 (no deterministic cycle, R ~ 1e16): the bounds are +inf
        return
    modulus_bound = float(np.sum(lam / (1 - lam)))
    assert R <= modulus_bound * (1 + tol) + 1e-300
    assert modulus_bound <= case.n * rho_hi / (1 - rho_hi) * (1 + 1e-12) + 1e-300
    if r < 1:
        assert rho <= r * (1 + 1e-12)
        # equivalent to ρ <= r; a few ulps of rounding in ρ move ρ/(1-ρ) by ~ulp/(1-ρ)^2
        slack = case.n * 8 * EPS / (1 - max(rho, r)) ** 2
        assert case.n * rho / (1 - rho) <= case.n * r / (1 - r) * (1 + 1e-12) + slack


@given(S.transition_matrices(max_n=30))
def test_spectral_radius_frobenius_interval_and_eigenvalues(case):
    rho = rep.spectral_radius(rep.hadamard_square(case.P))
    assert 0.0 <= rho <= 1.0
    # the package's Frobenius interval (min r_i, max r_i) of the row sums r_i of A contains ρ
    lo, hi = rep.frobenius_interval(case.P)
    r = rep.row_square_sums(case.P)
    s = rep.row_sums(case.P)
    floor = rep.row_square_sum_floor(case.P)
    np.testing.assert_allclose(r, (case.dense**2).sum(axis=1), rtol=1e-15, atol=0)
    assert (lo, hi) == (float(r.min()), float(r.max()))
    assert (lo, hi) == rep.row_sum_interval(rep.hadamard_square(case.P))
    assert lo * (1 - 1e-12) <= rho <= hi * (1 + 1e-12)
    # s_i^2 / n <= s_i^2 / nnz_i <= r_i <= s_i^2
    assert np.all(floor <= r * (1 + 1e-12) + 1e-300)
    assert np.all(s**2 / case.n <= floor * (1 + 1e-12) + 1e-300)
    assert np.all(r <= s**2 * (1 + 1e-12) + 1e-300)
    A = case.dense * case.dense
    comps = rep.cyclic_components(case.P)
    if not comps:
        assert rho == 0.0
        return
    if reference.brute_force_deterministic_cycle(case.dense) is not None:
        assert rho == 1.0
        return
    # Perron-Frobenius: on each strongly connected component, min row sum <= ρ_c <= max row sum (same for columns)
    lower = max(A[np.ix_(c, c)].sum(axis=1).min() for c in comps)
    upper = max(A[np.ix_(c, c)].sum(axis=1).max() for c in comps)
    lower_col = max(A[np.ix_(c, c)].sum(axis=0).min() for c in comps)
    assert lower * (1 - 1e-12) <= rho <= upper * (1 + 1e-12)
    assert lower_col * (1 - 1e-12) <= rho
    assert rho <= A.sum(axis=1).max() * (1 + 1e-12)
    rho_eig = float(np.max(np.abs(np.linalg.eigvals(A))))
    assert abs(rho - rho_eig) <= 1e-7 * max(rho, 1e-300) + 1e-12


@given(S.transition_matrices(), st.integers(0, 2**32 - 1))
def test_rate_and_radius_are_invariant_under_relabelling_and_format(case, seed):
    perm = np.random.default_rng(seed).permutation(case.n)
    Q = case.dense[np.ix_(perm, perm)]
    R, R_perm = quiet(rep.repetition_rate, case.P), quiet(rep.repetition_rate, Q)
    # the same matrix in the other storage (dense <-> sparse) gives the same R
    other = case.dense if sp.issparse(case.P) else sp.csr_array(case.dense)
    R_other = quiet(rep.repetition_rate, other)
    assert R == R_other or abs(R - R_other) <= 1e-13 * R
    if math.isinf(R):
        assert math.isinf(R_perm)
    else:
        assert abs(R - R_perm) <= rate_tolerance(case.dense) * max(R, 1e-300)
    rho, rho_perm = (
        rep.spectral_radius(rep.hadamard_square(case.P)),
        rep.spectral_radius(rep.hadamard_square(Q)),
    )
    assert abs(rho - rho_perm) <= 1e-9 * rho + 1e-300
    assert rep.sparsity(case.P) == rep.sparsity(Q)
    assert sorted(sorted(perm[c].tolist()) for c in rep.cyclic_components(Q)) == sorted(
        c.tolist() for c in rep.cyclic_components(case.P)
    )


@given(S.transition_matrices(), st.integers(0, 2**32 - 1))
def test_rate_is_monotone_in_the_entries(case, seed):
    """Lowering entries of P (more end-token mass) never raises R, Tr(A^k) or ρ."""
    rng = np.random.default_rng(seed)
    lower = case.dense * np.where(
        rng.random(case.dense.shape) < 0.5, rng.random(case.dense.shape), 1.0
    )
    R, R_low = quiet(rep.repetition_rate, case.P), quiet(rep.repetition_rate, lower)
    assert R_low <= R * (1 + rate_tolerance(case.dense)) or math.isinf(R)
    t, t_low = rep.repetition_terms(case.P, 6), rep.repetition_terms(lower, 6)
    assert np.all(t_low <= t * (1 + 1e-12) + 1e-300)
    assert (
        rep.spectral_radius(rep.hadamard_square(lower))
        <= rep.spectral_radius(rep.hadamard_square(case.P)) * (1 + 1e-9) + 1e-300
    )


# ---------------------------------------------------------------------------
# Monte Carlo


@given(
    S.transition_matrices(
        max_n=12, formats=("dense", "csr"), kinds=S.KINDS[:3] + S.KINDS[5:]
    ),
    st.integers(1, 6),
    st.integers(0, 2**32 - 1),
)
def test_monte_carlo_agrees_with_the_partial_sum_within_5_standard_errors(
    case, K, seed
):
    samples = 1000
    est = rep.monte_carlo_repetition_rate(
        case.P, K, samples, np.random.default_rng(seed)
    )
    R_K = float(rep.repetition_terms(case.P, K).sum())
    # The per-chain count c takes values in 0..K, so Var(c) <= K E[c] = K R_K / n: a standard
    # error that does not vanish when the sample happens to contain no repeat at all.
    se_bound = math.sqrt(case.n * K * R_K / samples)
    note(
        f"estimate {est.value!r} ± {est.stderr!r}, exact partial sum {R_K!r}, bound se {se_bound!r}"
    )
    assert abs(est.value - R_K) <= 5 * max(est.stderr, se_bound) + 1e-12
    assert est.samples == samples and est.K == K
    np.testing.assert_allclose(est.per_k.sum(), est.value, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------
# Lower bounds (Chapters 2 and 3)


@given(S.transition_matrices(max_n=25), st.integers(1, 6))
def test_lower_bound_chain(case, k):
    """(Tr P^k)^2/N_k <= Σ (P^k)_ii^2/m_i <= Tr(A^k), and Tr(P^k ⊙ P^k)/n^(k-1) <= the per-row bound."""
    t = float(rep.repetition_terms(case.P, k)[-1])
    cs = rep.cauchy_schwarz_bound(case.P, k)
    per_row = rep.per_row_bound(case.P, k)
    row = rep.row_lower_bound(case.P, k)
    note(f"Tr(A^k)={t!r} cs={cs!r} per_row={per_row!r} row={row!r}")
    slack = 16 * k * case.n * EPS
    assert 0.0 <= cs <= per_row * (1 + slack) + 1e-300
    assert 0.0 <= row <= per_row * (1 + slack) + 1e-300
    assert per_row <= t * (1 + slack) + 1e-300
    if k == 1:  # one closed 1-walk per self-loop: the per-row bound is exact
        assert abs(per_row - t) <= slack * t + 1e-300
    # exact walk counts: N_k = Tr(B^k), m_i = (B^k)_ii <= n^(k-1)
    Bk = reference.support_power(case.dense, k)
    m = rep.closed_walk_diagonal(case.P, k)
    assert [int(x) for x in m] == [int(x) for x in np.diag(Bk)]
    N = rep.closed_walk_count(case.P, k)
    assert isinstance(N, int) and N == int(np.trace(Bk)) == sum(int(x) for x in m)
    assert all(int(x) <= case.n ** (k - 1) for x in m)
    # Cauchy-Schwarz is tight exactly when all closed k-walks have one probability: check the value itself
    Pk = np.linalg.matrix_power(case.dense, k)
    trPk = float(np.trace(Pk))
    expected_cs = trPk**2 / N if N else 0.0
    assert abs(cs - expected_cs) <= 1e-12 * expected_cs + 1e-300
    # the values themselves, from P^k and B^k formed here: Σ_i (P^k)_ii^2 / n^(k-1) and Σ_{m_i > 0} (P^k)_ii^2 / m_i
    d2 = np.diag(Pk) ** 2
    expected_row = float(d2.sum()) / case.n ** (k - 1)
    mi = np.diag(Bk)
    expected_per_row = float(
        sum(x / int(w) for x, w in zip(d2.tolist(), mi.tolist(), strict=True) if w > 0)
    )
    assert abs(row - expected_row) <= slack * expected_row + 1e-300
    assert abs(per_row - expected_per_row) <= slack * expected_per_row + 1e-300


@given(S.transition_matrices(max_n=6), st.integers(1, 3))
def test_lower_bound_table_matches_the_functions(case, K):
    table = rep.lower_bound_table(case.P, K)
    np.testing.assert_allclose(
        np.asarray(table.exact, dtype=float),
        rep.repetition_terms(case.P, K),
        rtol=1e-12,
        atol=0,
    )
    for k in range(1, K + 1):
        for field, f in [
            ("cauchy_schwarz", rep.cauchy_schwarz_bound),
            ("per_row", rep.per_row_bound),
            ("row", rep.row_lower_bound),
        ]:
            got = float(np.asarray(getattr(table, field), dtype=float)[k - 1])
            want = f(case.P, k)
            assert abs(got - want) <= 1e-12 * abs(want) + 1e-300, (field, k, got, want)


@given(
    st.one_of(
        S.transition_matrices(max_n=12),
        S.transition_matrices(max_n=12, kinds=("deterministic",)),
    ),
    st.integers(1, 6),
)
def test_zeta_estimate_is_a_bound_when_walks_are_few(case, k):
    """prop-zeta-safe: N_k <= ζ^k n^k implies E_k <= (Tr P^k)^2 / N_k <= Tr(A^k); ζ n = 1 gives E_k >= Tr(A^k)."""
    from fractions import Fraction

    E = rep.zeta_estimate_term(case.P, k)
    cs = rep.cauchy_schwarz_bound(case.P, k)
    t = float(rep.repetition_terms(case.P, k)[-1])
    N = rep.closed_walk_count(case.P, k)
    nnz = int(np.count_nonzero(case.dense))
    zeta_n_k = Fraction(nnz, case.n) ** k  # ζ^k n^k = (nnz / n)^k, exact
    trPk = float(np.trace(np.linalg.matrix_power(case.dense, k)))
    note(f"E_k={E!r} cs={cs!r} Tr(A^k)={t!r} N_k={N} ζ^k n^k={zeta_n_k}")
    slack = 16 * k * case.n * EPS
    # the value: (Tr P^k)^2 / (ζ^k n^k), 0 for the zero matrix
    expected = trPk**2 / float(zeta_n_k) if nnz else 0.0
    assert abs(E - expected) <= slack * expected + 1e-300
    if N <= zeta_n_k:
        assert E <= cs * (1 + slack) + 1e-300
        assert E <= t * (1 + slack) + 1e-300
    elif E > t * (1 + slack):  # an overshoot needs more walks than the estimate assumes
        assert N > zeta_n_k
    if (
        nnz == case.n
    ):  # ζ n = 1: E_k = (Tr P^k)^2 = (Σ_γ w(γ))^2 >= Σ_γ w(γ)^2 = Tr(A^k)
        assert abs(E - trPk**2) <= slack * trPk**2 + 1e-300
        assert E >= t * (1 - slack)
        if N <= 1:  # at most one closed walk: equality
            assert abs(E - t) <= slack * t + 1e-300
        elif case.dense[case.dense > 0].min() >= 1e-2:
            # two walks of weight >= 1e-2^k: the cross terms 2 w w' lift E_k well above rounding
            assert E > t * (1 + 1e-9)


@given(S.transition_matrices(max_n=20), st.integers(1, 4))
def test_trace_of_p_2k_dominates_the_hadamard_trace(case, k):
    """prop-p2k-dominates: Tr(P^2k) = Tr(P^k ⊙ P^k) + Σ_{i≠j} (P^k)_ij (P^k)_ji >= Tr(P^k ⊙ P^k)."""
    Pk = np.linalg.matrix_power(case.dense, k)
    tr_2k = float(np.trace(np.linalg.matrix_power(case.dense, 2 * k)))
    tr_hadamard = float((np.diag(Pk) ** 2).sum())
    off = ~np.eye(case.n, dtype=bool)
    cross = float((Pk * Pk.T)[off].sum())
    slack = 32 * k * case.n * EPS
    note(f"Tr(P^2k)={tr_2k!r} Tr(P^k⊙P^k)={tr_hadamard!r} cross={cross!r}")
    assert abs(tr_2k - (tr_hadamard + cross)) <= slack * tr_2k + 1e-300
    assert tr_2k >= tr_hadamard * (1 - slack)
    # equality exactly when no pair i != j is joined by k-walks both ways (read off the exact support power)
    Bk = reference.support_power(case.dense, k)
    both_ways = (Bk > 0) & (Bk.T > 0) & off
    if not both_ways.any():
        assert cross == 0.0
    elif (
        case.dense[case.dense > 0].min() >= 1e-30
    ):  # no product of <= 2k entries underflows
        assert cross > 0.0
    # the package's printed term (ζ^k n^(k-1) scale) dominates its row bound (n^(k-1) scale), since ζ <= 1
    paper = (
        case.n * rep.arp_terms(case.P, k, "printed")[-1]
    )  # n T_k: the printed term on the n^(k-1) scale
    row = rep.row_lower_bound(case.P, k)
    nnz = int(np.count_nonzero(case.dense))
    expected_paper = tr_2k / ((nnz / case.n) ** k / case.n) if nnz else 0.0
    assert abs(paper - expected_paper) <= slack * expected_paper + 1e-300
    assert paper >= row * (1 - slack)


# ---------------------------------------------------------------------------
# Upper bounds, eigenvalue form and certified series (Chapter 5), Frobenius interval (Chapter 6)


@given(S.transition_matrices(max_n=20))
def test_certified_series_brackets_R(case):
    R = quiet(rep.repetition_rate, case.P)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = rep.repetition_rate_series(case.P, tol=1e-10, max_terms=200)
    if math.isinf(R):
        assert math.isinf(res.value)
        return
    tol = rate_tolerance(case.dense)
    assert res.value <= R * (1 + tol) + 1e-300
    assert R <= (res.value + res.tail_bound) * (1 + tol) + 1e-300
    if res.tail_bound <= 1e-10:
        assert abs(R - res.value) <= 1e-10 + tol * R


# ---------------------------------------------------------------------------
# Decoding transforms (Chapter 4)


def _full_rows(M: np.ndarray) -> np.ndarray:
    """The (n, n + 1) matrix with the end-token column 1 - s_i (clipped at rounding level)."""
    end = np.clip(1.0 - M.sum(axis=1), 0.0, None)
    end[end <= rep.ROW_SUM_TOLERANCE] = 0.0
    return np.hstack([M, end[:, None]])


def _dense(X) -> np.ndarray:
    return X.toarray() if sp.issparse(X) else np.asarray(X)


@given(
    S.transition_matrices(max_n=20),
    st.integers(1, 8),
    st.sampled_from([0.1, 0.5, 0.9, 0.95, 0.999, 1.0]),
)
def test_truncation_never_lowers_a_collision_probability(case, k, p):
    full = _full_rows(case.dense)
    collision = (full**2).sum(axis=1)
    r = (case.dense**2).sum(axis=1)
    for T in (rep.top_k(case.P, k), rep.top_p(case.P, p), rep.greedy(case.P)):
        assert sp.issparse(T) == sp.issparse(case.P)
        T = _dense(T)
        rep.as_transition_matrix(T)  # still a valid transition matrix
        assert np.all((T > 0) <= (case.dense > 0))  # truncation only removes outcomes
        new_full = _full_rows(T)
        live = full.sum(axis=1) > 0
        assert np.all((new_full**2).sum(axis=1)[live] >= collision[live] * (1 - 1e-12))
        end_dropped = new_full[:, -1] == 0
        new_r = (T**2).sum(axis=1)
        assert np.all(new_r[end_dropped & live] >= r[end_dropped & live] * (1 - 1e-12))
    G = _dense(rep.greedy(case.P))
    np.testing.assert_array_equal(G, _dense(rep.top_k(case.P, 1)))
    assert np.all((G > 0).sum(axis=1) <= 1) and rep.sparsity(G) * case.n <= 1.0
    assert set(np.unique(G)) <= {0.0, 1.0}
    if k >= case.n + 1:  # keeping every outcome changes nothing
        np.testing.assert_allclose(
            _dense(rep.top_k(case.P, k)), case.dense, rtol=1e-14, atol=0
        )


@given(
    st.one_of(
        S.transition_matrices(max_n=20),
        S.transition_matrices(max_n=20, masses=("stochastic",)),
    )
)
def test_greedy_rate_is_zero_or_infinite(case):
    """thm-greedy-functional: ζ(G) <= 1/n; no end token gives ρ = 1 and R = ∞; in general R ∈ {0, ∞}."""
    G = _dense(rep.greedy(case.P))
    n = case.n
    full = _full_rows(
        case.dense
    )  # end mass below ROW_SUM_TOLERANCE counts as none (greedy's input convention)
    kept = G.sum(axis=1) > 0
    # (1) each row is zero (the end token wins) or a single 1 on a most probable outcome
    assert set(np.unique(G)) <= {0.0, 1.0} and np.all((G > 0).sum(axis=1) <= 1)
    top = full.max(axis=1)
    for i in range(n):
        chosen = full[i, int(G[i].argmax())] if kept[i] else full[i, n]
        assert chosen >= top[i] - 1e-12
    assert rep.sparsity(G) <= 1 / n
    assert (rep.sparsity(G) == 1 / n) == bool(kept.all())
    R = quiet(rep.repetition_rate, G)
    rho = rep.spectral_radius(rep.hadamard_square(G))
    note(f"R(G)={R!r} rho={rho!r} rows kept={kept.tolist()}")
    # (3) R ∈ {0, ∞}, infinite exactly when some greedy path never ends
    assert R in (0.0, math.inf)
    assert (R == math.inf) == reference.greedy_path_survives(G) == (rho == 1.0)
    assert rho in (0.0, 1.0)
    # (2) no end mass at all (every row sums to 1): a function on the tokens, which has a cycle
    if np.all(full[:, n] == 0.0):
        assert kept.all()
        assert rep.sparsity(G) == 1 / n
        assert R == math.inf and rho == 1.0
        assert rep.deterministic_cycle(G) is not None


@given(S.transition_matrices(max_n=30), st.sampled_from([0.05, 0.5, 1.0, 2.0, 10.0]))
def test_temperature_keeps_the_support_and_t_1_is_the_identity(case, t):
    T = _dense(rep.temperature(case.P, t))
    rep.as_transition_matrix(T)
    assert np.all((T > 0) <= (case.dense > 0))  # never adds an outcome
    # Zeros stay zero and positive entries stay positive, unless P_ij^(1/t) / Σ q^(1/t) is below the
    # smallest float64 (e.g. P = [[0, 1e-300], [0, 0]] at t = 0.05 gives 1e-6000): there it must be 0.
    full = _full_rows(case.dense)
    with np.errstate(divide="ignore"):
        logs = np.log(full) / t
    top = logs.max(axis=1, keepdims=True)
    lognorm = top + np.log(np.exp(logs - top).sum(axis=1, keepdims=True))
    expected_log = (logs - np.where(np.isfinite(lognorm), lognorm, 0.0))[:, : case.n]
    representable = (case.dense > 0) & (
        expected_log > np.log(np.finfo(float).tiny) + 1.0
    )
    assert np.all(T[representable] > 0)
    if np.all(representable == (case.dense > 0)):
        assert rep.sparsity(T) == rep.sparsity(case.P)
    if t == 1.0:
        np.testing.assert_allclose(T, case.dense, rtol=1e-12, atol=1e-15)
    # the order of outcomes within a row is preserved (a monotone map of each probability)
    full, new_full = _full_rows(case.dense), _full_rows(T)
    for i in range(case.n):
        a, b = full[i], new_full[i]
        big = np.subtract.outer(a, a) > 1e-9 * a.max(initial=0)
        assert np.all(np.subtract.outer(b, b)[big] >= -1e-12)


# ---------------------------------------------------------------------------
# Repetition metrics and the rebalanced encoding (Chapter 7)

TOKENS = st.lists(st.sampled_from("abcde"), min_size=1, max_size=60)


@given(TOKENS, st.integers(1, 70), st.integers(1, 5))
def test_metrics_match_their_definitions(tokens, window, n):
    L = len(tokens)
    w = rep.rep_w(tokens, window=window)
    brute_w = sum(tokens[t] in tokens[max(0, t - window) : t] for t in range(L)) / L
    assert w == brute_w
    assert 0.0 <= w <= 1.0
    assert (
        rep.rep_w(tokens, window=window + 1) >= w
    )  # a longer window finds at least as many repeats
    if window >= L:  # every earlier token is in the window: 1 - distinct / L
        assert abs(w - (1 - len(set(tokens)) / L)) <= 1e-15
    bigrams = list(itertools.pairwise(tokens))
    repeated = {b for b in bigrams if bigrams.count(b) >= 2}
    in_repeat = [
        (t >= 1 and (tokens[t - 1], tokens[t]) in repeated)
        or (t + 1 < L and (tokens[t], tokens[t + 1]) in repeated)
        for t in range(L)
    ]
    assert rep.rep_r(tokens) == sum(in_repeat) / L
    if L >= n:
        grams = [tuple(tokens[i : i + n]) for i in range(L - n + 1)]
        value = rep.seq_rep_n(tokens, n)
        assert abs(value - (1 - len(set(grams)) / len(grams))) <= 1e-15
        assert 0.0 <= value <= 1 - 1 / len(grams) + 1e-15
    # relabelling the tokens (a bijection) changes none of the metrics
    relabel = {c: c.upper() + "x" for c in "abcde"}
    other = [relabel[c] for c in tokens]
    assert rep.rep_w(other, window=window) == w and rep.rep_r(other) == rep.rep_r(
        tokens
    )
    pooled = [
        tuple(tokens[i : i + k])
        for k in (1, 2, 3, 4)
        if k <= L
        for i in range(L - k + 1)
    ]
    assert (
        abs(rep.seq_rep_pooled(tokens) - (1 - len(set(pooled)) / len(pooled))) <= 1e-15
    )


@given(
    st.lists(
        st.lists(st.sampled_from("abc"), min_size=0, max_size=12),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from([0.1, 0.3, 0.5, 0.9, 0.999]),
    st.integers(1, 4),
    st.sampled_from([0.0, 1.0]),
)
def test_rebalanced_encoding_only_regroups_the_text(
    sentences, gamma, max_iter, smoothing
):
    if not any(sentences):
        return  # no token: refused (see test_bad_input.py)
    enc = rep.rebalanced_encoding(
        sentences, gamma, max_iter=max_iter, smoothing=smoothing
    )
    originals = ["".join(s) for s in sentences if s]
    assert [
        "".join(s) for s in enc.sequences
    ] == originals  # merges never lose, add or cross a sentence
    assert all(
        len(a) <= len(s)
        for a, s in zip(enc.sequences, [s for s in sentences if s], strict=True)
    )
    assert (
        len(enc.max_probability) == len(enc.merges) + 1 and len(enc.merges) <= max_iter
    )
    assert enc.converged == (enc.max_probability[-1] <= gamma)
    assert sorted(enc.vocab) == sorted({t for s in enc.sequences for t in s})
    for rnd in enc.merges:
        assert rnd == sorted(rnd) and len(rnd) > 0


# ---------------------------------------------------------------------------
# General autoregressive decoding (Chapter 9)


@given(S.transition_matrices(max_n=8), st.integers(1, 6))
def test_pair_lift_has_the_same_repetition(case, K):
    """Tr((Q ⊙ Q)^k) = Tr((P ⊙ P)^k) for the chain on token pairs, so R is unchanged."""
    if not np.any(case.dense > 0):
        # a decoder that always stops has no pair state: the lift is refused (its R is 0)
        with pytest.raises(ValueError, match="no positive entry"):
            rep.lift_to_pairs(case.P)
        assert quiet(rep.repetition_rate, case.P) == 0.0
        return
    chain = rep.lift_to_pairs(case.P)
    np.testing.assert_allclose(
        rep.repetition_terms(chain.Q, K),
        rep.repetition_terms(case.P, K),
        rtol=1e-12,
        atol=1e-300,
    )
    R, R_pairs = quiet(rep.repetition_rate, case.P), quiet(rep.repetition_rate, chain.Q)
    assert (math.isinf(R) and math.isinf(R_pairs)) or abs(
        R - R_pairs
    ) <= rate_tolerance(case.dense) * max(R, 1e-300) * 10
    # time-varying terms with every step matrix equal to P are the ordinary terms
    stack = np.broadcast_to(case.dense, (2 * K, case.n, case.n))
    np.testing.assert_allclose(
        rep.time_varying_repetition_terms(stack, K),
        rep.repetition_terms(case.P, K),
        rtol=1e-12,
        atol=1e-300,
    )


@given(
    S.transition_matrices(max_n=6),
    st.sampled_from([0.0, 1e-3, 0.05, 0.3]),
    st.integers(1, 4),
)
def test_perturbation_keeps_valid_matrices_and_the_mean(case, delta, K):
    c = rep.perturbation_amplitudes(case.P, delta)
    assert np.all(c >= 0) and np.all(c <= delta) and np.all(c <= case.dense)
    for sign in (1.0, -1.0):  # every ± draw is a valid transition matrix
        rep.as_transition_matrix(np.maximum(case.dense + sign * c, 0.0))
        assert np.all(case.dense + sign * c >= 0)
    rep.as_transition_matrix(case.dense + c)
    moments = rep.perturbed_rate_moments(case.P, delta, K)
    np.testing.assert_allclose(
        moments.mean, rep.repetition_terms(case.P, K), rtol=1e-10, atol=1e-300
    )
    # Var R'_k = Tr((A⊗A + E)^k) - Tr(A^k)^2 is a difference: rounding of order eps Tr(A^k)^2
    scale = 64 * K * case.n**2 * EPS * moments.mean**2 + 1e-300
    assert np.all(moments.variance >= -scale)
    if delta == 0.0:
        assert np.all(np.abs(moments.variance) <= scale)


@given(
    S.transition_matrices(max_n=3, masses=("substochastic", "mixed")),
    st.sampled_from([1e-3, 0.05, 0.3, 1.0]),
    st.integers(1, 3),
)
def test_perturbed_variance_matches_enumeration(case, delta, K):
    """thm-ar-perturbed: Var R'_k = Tr((A⊗A + E)^k) - Tr(A^k)^2, against every ± draw (tiny n) and walk pairs."""
    moments = rep.perturbed_rate_moments(case.P, delta, K)
    c = rep.perturbation_amplitudes(case.P, delta)
    m = int(np.count_nonzero(c))
    for k in range(1, K + 1):
        mean, var = reference.perturbed_moments_by_walk_pairs(case.dense, c, k)
        # sums of nonnegative products for the mean; the package's variance is a difference of two traces,
        # so its rounding is of order eps E[R'_k^2] = eps (Tr(A^k)^2 + Var)
        tol_mean = 64 * k * case.n * EPS * mean + 1e-300
        tol_var = 64 * k * case.n**2 * EPS * (mean**2 + var) + 1e-300
        note(
            f"k={k} m={m} package mean={moments.mean[k - 1]!r} var={moments.variance[k - 1]!r}; walks {mean!r} {var!r}"
        )
        assert abs(moments.mean[k - 1] - mean) <= tol_mean
        assert abs(moments.variance[k - 1] - var) <= tol_var
        if (
            2 * k * m <= 14
        ):  # every ± assignment of the 2k step matrices, equally likely
            R = reference.perturbed_terms_by_signs(case.dense, c, k)
            e_mean = float(R.mean())
            e_var = float(((R - e_mean) ** 2).mean())
            assert abs(moments.mean[k - 1] - e_mean) <= tol_mean
            assert abs(moments.variance[k - 1] - e_var) <= tol_var


@given(S.transition_matrices(max_n=10))
def test_paper_theorem1_bounds_hold(case):
    th = rep.paper_theorem1(case.P)
    for value, bound in [
        (th.arp_printed, th.bound_printed),
        (th.arp_hadamard, th.bound_hadamard),
    ]:
        if math.isfinite(bound):
            assert abs(value) <= bound * (1 + 1e-9) + 1e-12
    co = rep.paper_corollaries(case.P)
    if math.isfinite(th.bound_printed):
        assert co.corollary_1_1 >= th.bound_printed * (1 - 1e-9)
        assert co.corollary_1_2 >= th.bound_printed * (1 - 1e-9)


# ---------------------------------------------------------------------------
# Hostile input (issue 16): ties, storage, extreme parameters, the new observables


def _full_rows(dense: np.ndarray) -> np.ndarray:
    """The (n, n + 1) rows with the exact end mass (correctly rounded from math.fsum)."""
    end = [max(0.0, -math.fsum(row.tolist() + [-1.0])) for row in dense]
    return np.hstack([dense, np.array(end)[:, None]])


@given(
    S.transition_matrices(max_n=12),
    st.integers(1, 5),
    st.sampled_from([0.3, 0.5, 0.9, 1 - 1e-9]),
)
def test_decoding_is_storage_independent_and_ranks_by_the_relative_tie_rule(case, k, p):
    dense, sparse = case.dense, sp.csr_array(case.dense)
    for rule in (
        rep.greedy,
        lambda X: rep.top_k(X, k),
        lambda X: rep.top_p(X, p),
        lambda X: rep.temperature(X, 0.4),
    ):
        assert np.array_equal(
            rule(dense), _dense(rule(sparse))
        )  # bit for bit, whatever the storage
    assert rep.beam_search(dense, 0, 2, 3) == rep.beam_search(sparse, 0, 2, 3)
    full = _full_rows(dense)
    full[:, -1][full[:, -1] <= 1e-12] = (
        0.0  # an end mass below the row-sum tolerance is rounding, not an outcome
    )
    kept = _full_rows(_dense(rep.top_k(dense, k))) > 0
    kept[:, -1] = (
        _full_rows(_dense(rep.top_k(dense, k)))[:, -1] > 1e-12
    )  # the end token kept, not rounding
    for i in range(case.n):
        positive = full[i] > 0
        if not positive.any():
            continue
        assert (kept[i] & positive).sum() == min(
            k, positive.sum()
        )  # exactly k outcomes (or all of them)
        smallest_kept = full[i][kept[i] & positive].min()
        largest_dropped = full[i][~kept[i] & positive].max(initial=0.0)
        # nothing dropped is larger than something kept, beyond a tie (relative 1e-12, the module's TIE_TOLERANCE)
        assert largest_dropped <= smallest_kept * (1 + 1e-12)


@given(
    S.transition_matrices(max_n=10),
    st.floats(min_value=5e-324, max_value=1e308, allow_subnormal=True),
)
def test_temperature_is_a_valid_matrix_for_any_temperature(case, t):
    T = _dense(rep.temperature(case.P, t))
    assert np.all(np.isfinite(T)) and np.all(T >= 0)
    rep.as_transition_matrix(T)
    assert np.all((T > 0) <= (case.dense > 0))  # never adds an outcome


@given(st.lists(st.integers(0, 3), max_size=40), st.integers(1, 8))
def test_immediate_repeats_and_repeat_events_follow_the_definition(tokens, K):
    def at(y, t, k):
        return t + 2 * k < len(y) and all(
            y[t + k + j] == y[t + j] for j in range(k + 1)
        )

    L = len(tokens)
    counts = rep.immediate_repeats(tokens, K=K)
    assert counts.tolist() == [
        sum(at(tokens, t, k) for t in range(L)) for k in range(1, K + 1)
    ]
    assert (
        rep.immediate_repeats([str(t) for t in tokens], K=K).tolist() == counts.tolist()
    )
    if L >= 2 * K + 1:
        events = rep.repeat_events([tokens], K)[0]
        assert events.tolist() == [at(tokens, 0, k) for k in range(1, K + 1)]


@given(
    S.transition_matrices(
        max_n=12,
        kinds=("generic", "irreducible", "reducible", "near_uniform", "peaked"),
        masses=("substochastic", "mixed"),
    ),
    st.integers(0, 2**32 - 1),
)
def test_expected_visits_and_repeats_agree_with_dense_solves(case, seed):
    rng = np.random.default_rng(seed)
    n = case.n
    pi = rng.random(n) * (rng.random(n) < 0.6)
    if pi.sum() == 0:
        pi[0] = 1.0
    pi /= math.fsum(pi.tolist())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", rep.ConditioningWarning)
        try:
            result = rep.expected_repeats(case.P, pi, K=3)
        except FloatingPointError:
            # refused only when I - P is singular to working precision (a row short of 1 by ~1e-16)
            with pytest.raises(FloatingPointError):
                rep.expected_repeats(sp.csr_array(case.dense), pi, K=3)
            assert np.linalg.cond(np.eye(n) - case.dense, np.inf) * EPS > 1e-4
            return
        same = rep.expected_repeats(sp.csr_array(case.dense), pi, K=3)
    warned = any(issubclass(w.category, rep.ConditioningWarning) for w in caught)
    assert result.value == same.value or (
        math.isnan(result.value) and math.isnan(same.value)
    )
    np.testing.assert_array_equal(
        result.visits, same.visits
    )  # the same numbers for either storage
    if not np.all(np.isfinite(result.visits)):
        assert result.value == math.inf
        return
    assert np.all(result.visits >= pi * (1 - 1e-12))  # v = π + v P >= π
    if warned:
        return  # the accuracy to expect was stated; the unit tests check statements of that kind
    # the reference solves on the tokens reachable from the support of π (the rest is never generated)
    closure = reference.transitive_closure(case.dense)
    R = np.flatnonzero((pi > 0) | np.any(closure[pi > 0], axis=0))
    assert np.all(result.visits[np.setdiff1d(np.arange(n), R)] == 0)
    P, A, m = case.dense[np.ix_(R, R)], case.dense[np.ix_(R, R)] ** 2, R.size
    # no warning: 2 ||(I - P)^{-1}||_inf ε <= 1e-8, so an LU solve is accurate to about n κ_∞ ε
    kappa = np.linalg.cond(np.eye(m) - P, np.inf) + np.linalg.cond(
        np.eye(m) - A, np.inf
    )
    v = np.linalg.solve((np.eye(m) - P).T, pi[R])
    tol = 64 * n * kappa * EPS
    np.testing.assert_allclose(result.visits[R], v, rtol=tol, atol=tol * v.max())
    expect = float(v @ np.diag(A @ np.linalg.inv(np.eye(m) - A)))
    assert abs(result.value - expect) <= tol * max(expect, v.sum()) + 1e-300


@given(
    st.one_of(
        st.integers(min_value=-(10**400), max_value=10**400),
        st.floats(allow_nan=True, allow_infinity=True),
        st.fractions(),
        st.sampled_from(
            [None, "0.5", 1j, True, np.float64(0.5), np.int64(3), Fraction(10**400, 3)]
        ),
    )
)
def test_scalars_are_accepted_or_refused_with_the_argument_named(value):
    # any input: either a valid result or a TypeError/ValueError that names the argument (never OverflowError)
    for name, call in (
        ("t", lambda: rep.temperature([[0.5, 0.25], [0.0, 0.0]], value)),
        ("p", lambda: rep.top_p([[0.5, 0.25], [0.0, 0.0]], value)),
        ("smoothing", lambda: rep.add_delta([1.0, 2.0], 4.0, 2, value)),
    ):
        try:
            out = call()
        except (TypeError, ValueError) as exc:
            assert name in str(exc)
        else:
            assert np.all(np.isfinite(out))


# A second round of hostile input on the newest functions (issue 16)


@given(
    st.lists(st.integers(0, 10**6), min_size=1, max_size=6),
    st.integers(1, 8),
    st.one_of(
        st.floats(0, 1.7976931348623157e308), st.sampled_from([0.0, 5e-324, 1.0, 1e308])
    ),
    st.booleans(),
)
def test_add_delta_is_a_distribution_for_any_smoothing(counts, extra, delta, end):
    # rows of n + 1 outcomes (or n without the end token): a probability vector summing to 1 for every δ
    n = len(counts) + extra - (1 if end else 0)
    outcomes = n + 1 if end else n
    row = counts + [0] * (outcomes - len(counts))
    total = sum(row)
    p = rep.add_delta(row, float(total), n, delta, end=end)
    assert np.all(np.isfinite(p)) and np.all(p >= 0) and np.all(p <= 1)
    if total == 0 and delta == 0:
        assert not p.any()  # a row never seen, unsmoothed: no estimate
        return
    assert math.fsum(p.tolist()) == pytest.approx(1.0, abs=8 * outcomes * EPS)
    exact = [
        (Fraction(c) + Fraction(delta)) / (total + outcomes * Fraction(delta))
        for c in row
    ]
    np.testing.assert_allclose(p, [float(x) for x in exact], rtol=8 * EPS, atol=0)


@given(
    S.transition_matrices(max_n=8, masses=("substochastic", "mixed")),
    st.integers(0, 2**32 - 1),
)
def test_cross_entropy_is_minus_the_log_likelihood_of_sampled_text(case, seed):
    # sampled text scored by the model that generated it: nats is -Σ log of the probabilities of the start,
    # every transition and every end, summed in exact arithmetic; sampled_repeats agrees with immediate_repeats
    P = case.dense
    end = np.array([max(0.0, -math.fsum(r.tolist() + [-1.0])) for r in P])
    try:
        text = rep.sample_to_end(P, 3, seed, max_length=200)
    except ValueError as exc:  # sequences that need not end, or run past max_length: refused, and said so
        assert "end" in str(exc) or "max_length" in str(exc)
        return
    loss = rep.cross_entropy(P, text)
    n = case.n
    logp = []
    for s in range(text.offsets.size - 1):
        y = text.tokens[text.offsets[s] : text.offsets[s + 1]].tolist()
        logp.append(math.log(1.0 / n))
        logp += [math.log(P[a, b]) for a, b in itertools.pairwise(y)]
        logp.append(math.log(end[y[-1]]) if end[y[-1]] > 0 else -math.inf)
    assert loss.tokens == text.tokens.size + text.offsets.size - 1
    assert loss.nats == pytest.approx(-math.fsum(logp), rel=1e-12, abs=1e-12)
    totals, by_length = rep.sampled_repeats(
        text, K=3
    )  # per sequence: all lengths, and lengths 1..3
    for s, (a, b) in enumerate(itertools.pairwise(text.offsets)):
        y = text.tokens[a:b]
        assert by_length[s].tolist() == rep.immediate_repeats(y, K=3).tolist()
        assert totals[s] == rep.immediate_repeats(y).sum()


@given(
    st.lists(st.lists(st.integers(0, 5), max_size=3), min_size=2, max_size=30),
    st.floats(1e-9, 1 - 1e-9),
    st.integers(0, 2**63 - 1),
)
def test_split_sentences_is_a_reproducible_partition(sentences, heldout, seed):
    train, test = rep.split_sentences(sentences, heldout, seed)
    assert (train, test) == rep.split_sentences(sentences, heldout, seed)
    m = len(sentences)
    assert (
        len(test) == min(max(round(heldout * m), 1), m - 1)
        and len(train) + len(test) == m
    )
    ids = {id(s) for s in sentences}
    assert {id(s) for s in train} | {
        id(s) for s in test
    } == ids  # every sentence once, the objects themselves
