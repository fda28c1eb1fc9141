"""Checks at the public boundary of the package (private module).

Every public function that takes a transition matrix validates it once,
through :func:`as_transition_matrix` (usually by building a
:class:`repetition.BigramChain`), so bad input raises a clear error naming the
argument instead of producing a silent wrong number. A general nonnegative
matrix (for :func:`repetition.spectral_radius`) goes through
:func:`as_nonnegative_matrix`; random sources through :func:`as_generator`
(scipy's ``rng`` convention: an int seed, None or a ``numpy.random.Generator``).
"""

from __future__ import annotations

import math
import numbers
import os

import numpy as np
import scipy.sparse as sp

#: Row sums may exceed 1 by at most this much (floating-point rounding of a
#: normalised row); anything larger is refused.
ROW_SUM_TOLERANCE = 1e-12

#: A start distribution must sum to 1 within this much (after the rounding of
#: a normalised count vector, which is below ``n ε``).
START_SUM_TOLERANCE = 1e-9


def _describe(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_dtype(values: np.ndarray, name: str) -> None:
    """Refuse complex, boolean, object and other non-real dtypes."""
    kind = values.dtype.kind
    if kind not in "fiu":
        raise TypeError(
            f"{name} must have a real floating or integer dtype, got dtype {values.dtype}"
        )


def as_array(values, name: str) -> np.ndarray:
    """``numpy.asarray(values)`` with errors that name ``name``: ragged nesting, masked entries, sparse input.

    A ``numpy.ma.MaskedArray`` with a masked entry is refused (the mask
    would otherwise be dropped silently: a masked entry has no value here); one
    with no masked entry is read as its data.
    """
    if sp.issparse(values):
        raise TypeError(
            f"{name} must be a dense array here, got a sparse {type(values).__name__}"
        )
    if isinstance(values, np.ma.MaskedArray):
        mask = np.ma.getmaskarray(values)
        if mask.any():
            where = tuple(int(i) for i in np.argwhere(mask)[0])
            raise ValueError(
                f"{name} is a masked array with {int(mask.sum())} masked entries (e.g. {name}{list(where)}); a masked "
                f"entry has no value here: fill them first (e.g. {name}.filled(0)) or drop them"
            )
        values = np.ma.getdata(values)
    try:
        return np.asarray(values)
    except ValueError as exc:
        raise ValueError(
            f"{name} must be a rectangular array of numbers; its nested sequences have different lengths ({exc})"
        ) from None


def as_float64(values: np.ndarray, name: str) -> np.ndarray:
    """A real array as a new float64 array; refused where that would change a value (never rounded silently).

    ``numpy.longdouble`` entries that are not exactly float64, and integers
    beyond 2^53 that float64 cannot hold, raise ValueError with the first
    such entry: the package computes in float64, so convert explicitly (e.g.
    ``P.astype(float)``) if that rounding is acceptable.
    """
    check_dtype(values, name)
    out = values.astype(np.float64, copy=True)
    lossy = (values.dtype.kind == "f" and values.dtype.itemsize > 8) or (
        values.dtype.kind in "iu"
        and values.size
        and int(np.max(np.abs(values.astype(object)))) > 2**53
    )
    if lossy:
        same = (out.astype(values.dtype) == values) | (
            np.isnan(out) & np.isnan(values.astype(np.float64))
        )
        if not np.all(same):
            where = tuple(int(i) for i in np.argwhere(~same)[0])
            raise ValueError(
                f"{name} has dtype {values.dtype} and entries that float64 cannot hold exactly (e.g. "
                f"{name}{list(where)} = {values[where]!r}); the package computes in float64: convert explicitly, "
                f"e.g. {name}.astype(float), if that rounding is acceptable"
            )
    return out


def row_sum_tolerance(dtype, name: str = "P") -> float:
    """How far above 1 a row sum of a transition matrix of this dtype may be: rounding of a normalised row.

    ``ROW_SUM_TOLERANCE`` (1e-12) for float64 and integer input; for float32,
    whose normalised rows round to about ``ε₃₂ = 1.2e-7`` per entry and to
    ``log2(n) ε₃₂`` in their sum, ``64 ε₃₂ ≈ 7.6e-6``. Coarser floats
    (float16) are refused: three significant digits are too few for
    transition probabilities.
    """
    dtype = np.dtype(dtype)
    if dtype.kind != "f" or dtype.itemsize >= 8:
        return ROW_SUM_TOLERANCE
    if dtype.itemsize < 4:
        raise TypeError(
            f"{name} has dtype {dtype}, about 3 significant digits, too coarse for transition "
            "probabilities; normalise the rows in float32 or float64"
        )
    return max(ROW_SUM_TOLERANCE, 64.0 * float(np.finfo(dtype).eps))


def _as_square(X, name: str, allow_sparse: bool):
    """Shape, dtype and finiteness checks shared by the two matrix validators; returns float64 (CSR or dense copy)."""
    if sp.issparse(X):
        if not allow_sparse:
            raise TypeError(
                f"{name} must be a dense array here, got a sparse {type(X).__name__}"
            )
        if X.ndim != 2 or X.shape[0] != X.shape[1] or X.shape[0] == 0:
            raise ValueError(
                f"{name} must be a non-empty square matrix of shape (n, n), got shape {X.shape}"
            )
        check_dtype(np.empty(0, dtype=X.dtype), name)
        return X
    A = as_array(X, name)
    check_dtype(A, name)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] == 0:
        raise ValueError(
            f"{name} must be a non-empty square matrix of shape (n, n), got shape {A.shape}"
        )
    A = as_float64(A, name)
    if not np.all(np.isfinite(A)):
        raise ValueError(f"{name} has NaN or infinite entries")
    if np.any(A < 0):
        i, j = np.argwhere(A < 0)[0]
        raise ValueError(
            f"{name} has a negative entry {name}[{i}, {j}] = {float(A[i, j])!r}"
        )
    return A


def _rows_above(A, threshold: float) -> np.ndarray:
    """Rows whose exact sum exceeds ``threshold``; the same answer for dense and sparse storage of one matrix.

    The floating-point sum decides rows farther from the threshold than its
    rounding error; the others by ``math.fsum`` (the correctly rounded exact
    sum), so the decision never depends on the order of summation.
    """
    if sp.issparse(A):
        sums = np.asarray(A.sum(axis=1)).ravel()
        counts = np.diff(A.indptr)
    else:
        sums = A.sum(axis=1)
        counts = np.full(A.shape[0], A.shape[1])
    slack = (counts + 2) * np.finfo(float).eps * np.maximum(sums, 1.0)
    above = sums > threshold + slack
    for i in np.flatnonzero(np.abs(sums - threshold) <= slack):
        row = A.data[A.indptr[i] : A.indptr[i + 1]] if sp.issparse(A) else A[i]
        above[i] = math.fsum(row.tolist()) > threshold
    return above


def transition_matrix_and_tolerance(P, name: str = "P", *, allow_sparse: bool = True):
    """:func:`as_transition_matrix` and the row-sum tolerance of the input's dtype (:func:`row_sum_tolerance`)."""
    if sp.issparse(P):
        dtype = P.dtype
    else:
        dtype = as_array(P, name).dtype
    check_dtype(np.empty(0, dtype=dtype), name)
    tol = row_sum_tolerance(dtype, name)
    A = _as_square(P, name, allow_sparse)
    if sp.issparse(A):
        coo = A.tocoo()
        data = as_float64(np.asarray(coo.data), name)
        if not np.all(np.isfinite(data)):
            raise ValueError(f"{name} has NaN or infinite stored entries")
        if np.any(np.signbit(data)):
            bad = data[np.signbit(data)][0]
            raise ValueError(
                f"{name} has negative stored entries (e.g. {float(bad)!r}); a transition matrix is nonnegative"
            )
        keys = coo.row.astype(np.int64) * A.shape[1] + coo.col
        if np.unique(keys).size != keys.size:
            raise ValueError(
                f"{name} has duplicate stored entries (e.g. at {divmod(int(np.sort(keys)[np.flatnonzero(np.diff(np.sort(keys)) == 0)[0]]), A.shape[1])}); call sum_duplicates() first if they are meant to add up"
            )
        A = sp.csr_array((data, (coo.row, coo.col)), shape=A.shape)
        A.sort_indices()
    above = _rows_above(A, 1.0 + tol)
    if above.any():
        i = int(np.flatnonzero(above)[0])
        total = math.fsum(
            (A.data[A.indptr[i] : A.indptr[i + 1]] if sp.issparse(A) else A[i]).tolist()
        )
        raise ValueError(
            f"{name} has row sums above 1: row {i} sums to {total!r}; rows of a transition matrix sum to at "
            f"most 1 (the rest is the end-token probability), within {tol:g} for dtype {np.dtype(dtype)}"
        )
    return A, tol


def as_transition_matrix(P, name: str = "P", *, allow_sparse: bool = True):
    """Validate a (sub)stochastic transition matrix and return it as float64.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Candidate transition matrix: entries in [0, 1], finite, row sums at
        most ``1 + ROW_SUM_TOLERANCE`` (``1 + 7.6e-6`` for float32 input,
        whose normalised rows round more: 64 float32 epsilons).
    name : str
        Name of the argument, used in error messages.
    allow_sparse : bool
        Whether sparse input is accepted (returned as canonical CSR).

    Returns
    -------
    numpy.ndarray or scipy.sparse.csr_array, shape (n, n), dtype float64
        A new array (never a view of ``P``).

    Raises
    ------
    TypeError
        For complex, boolean, object, string or float16 dtypes, or sparse
        input where it is not accepted.
    ValueError
        For a shape that is not (n, n) with n >= 1, ragged nested lists, a
        masked array with masked entries, NaN or infinite entries, negative
        entries (including stored negative zeros in sparse input), duplicate
        stored entries in sparse input, ``longdouble`` entries that float64
        cannot hold exactly, or a row whose exact sum is above 1 plus the
        tolerance.
    """
    return transition_matrix_and_tolerance(P, name, allow_sparse=allow_sparse)[0]


def as_nonnegative_matrix(X, name: str = "X"):
    """Validate any nonnegative square matrix (rows may sum to anything) and return it as float64.

    Parameters
    ----------
    X : array_like or scipy.sparse matrix, shape (n, n)
        Finite, nonnegative, real. Sparse input may store zeros (also ``-0.0``)
        and duplicate entries (which add up).
    name : str
        Name of the argument, used in error messages.

    Returns
    -------
    numpy.ndarray or scipy.sparse.csr_array, shape (n, n), dtype float64
        A new array; sparse input becomes canonical CSR (duplicates summed,
        indices sorted).

    Raises
    ------
    TypeError
        For complex, boolean, object or string dtypes.
    ValueError
        For a shape that is not (n, n) with n >= 1, NaN or infinite entries,
        or negative entries.
    """
    A = _as_square(X, name, True)
    if not sp.issparse(A):
        return A
    A = sp.csr_array(A, copy=True)
    A.data = as_float64(np.asarray(A.data), name)
    A.sum_duplicates()
    A.sort_indices()
    if not np.all(np.isfinite(A.data)):
        raise ValueError(f"{name} has NaN or infinite entries")
    if np.any(A.data < 0):
        raise ValueError(
            f"{name} has negative entries (e.g. {float(A.data[A.data < 0][0])!r}); "
            "it must be a nonnegative matrix"
        )
    return A


#: The largest count, length or size the package accepts: numpy sizes arrays and indexes with int64.
MAX_INT = int(np.iinfo(np.int64).max)


def _check_int(value, name: str, low: int) -> int:
    """``value`` as an int in ``low..2^63 - 1``, else a TypeError or ValueError naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {low}, got {_describe(value)}")
    if value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if value > MAX_INT:
        raise ValueError(
            f"{name} must be an integer in {low}..2^63 - 1 (numpy's int64), got {_describe(value)}"
        )
    return int(value)


def check_positive_int(value, name: str) -> int:
    """Return ``value`` as an int if it is an integer in ``1..2^63 - 1``, else raise.

    The upper end is numpy's int64 (array sizes, indices, loop counts): a
    larger Python int would fail inside numpy with a bare OverflowError.
    """
    return _check_int(value, name, 1)


def check_nonnegative_int(value, name: str) -> int:
    """Return ``value`` as an int if it is an integer in ``0..2^63 - 1``, else raise (as :func:`check_positive_int`)."""
    return _check_int(value, name, 0)


def _physical_memory() -> int:
    """Bytes of physical memory of this machine (``os.sysconf``), or 16 GiB where it is not reported."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 16 * 1024**3
    return int(total) if total > 0 else 16 * 1024**3


#: The most memory the arrays that grow with a count argument (the K of the repetition terms, ...) may
#: need: the machine's physical memory. A larger need cannot be met, and numpy would fail with a
#: bare MemoryError (or the operating system would end the process) after accepting the argument.
MEMORY_LIMIT = _physical_memory()


def check_memory(value: int, name: str, bytes_each: int, what: str) -> int:
    """Return ``value`` if ``value * bytes_each`` bytes fit in :data:`MEMORY_LIMIT`, else a ValueError naming ``name``.

    ``bytes_each`` is what the caller allocates per unit of ``value`` (e.g.
    ``8`` for one float64 per repeat length, ``8 n`` for a row of ``n`` of
    them); ``what`` says which arrays, for the message.
    """
    need = value * bytes_each
    if need > MEMORY_LIMIT:
        raise ValueError(
            f"{name} = {value} is too large: {what} would need {need / 1024**3:.3g} GiB, more than this "
            f"machine's {MEMORY_LIMIT / 1024**3:.3g} GiB of physical memory; choose a smaller {name}"
        )
    return value


def check_real(
    value, name: str, low=None, high=None, *, low_open=True, high_open=False
) -> float:
    """Return ``value`` as a float in the given interval, else raise.

    ``low_open``/``high_open`` say whether the ends are excluded.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    try:
        x = float(value)
    except OverflowError:  # an int or Fraction beyond the float range
        raise ValueError(
            f"{name} must be a real number within the range of a float (about 1.8e308 in magnitude), "
            f"got {_describe(value)}"
        ) from None
    lo_txt = "(" if low_open else "["
    hi_txt = ")" if high_open else "]"
    interval = f"{lo_txt}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi_txt}"
    if not np.isfinite(x):
        raise ValueError(f"{name} must be finite and in {interval}, got {value!r}")
    if low is not None and (x < low or (low_open and x == low)):
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    if high is not None and (x > high or (high_open and x == high)):
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return x


def as_generator(rng, name: str = "rng") -> np.random.Generator:
    """``numpy.random.default_rng(rng)``, with an error that names ``name`` for anything it cannot seed from."""
    if isinstance(rng, (bool, np.bool_)):
        raise TypeError(
            f"{name} must be a numpy.random.Generator, a nonnegative int seed or None, got {rng!r}"
        )
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError) as exc:
        raise type(exc)(
            f"{name} must be a numpy.random.Generator, a nonnegative int seed or None, got {_describe(rng)}"
        ) from exc


def check_choice(value, name: str, choices: tuple) -> str:
    """Return ``value`` if it is one of the strings ``choices``, else raise naming ``name``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {choices}, got {_describe(value)}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_starts(starts, n: int, name: str = "starts") -> np.ndarray:
    """Return ``starts`` as a 1-D integer array of tokens in ``0..n-1``, else raise naming ``name``."""
    starts = as_array(starts, name)
    if starts.ndim != 1 or starts.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must be a 1-D integer array, got dtype {starts.dtype} and shape {starts.shape}"
        )
    if starts.size and (starts.min() < 0 or starts.max() >= n):
        bad = starts[(starts < 0) | (starts >= n)][0]
        raise ValueError(f"{name} must hold tokens in 0..{n - 1}, got {bad}")
    return starts


def check_samples(samples, name: str = "samples") -> int:
    """Return ``samples`` as an int if it is an integer >= 2 (a standard error needs two samples), else raise."""
    samples = check_positive_int(samples, name)
    if samples < 2:
        raise ValueError(
            f"{name} must be at least 2 to estimate a standard error, got {samples}"
        )
    return samples


def as_start(start, n: int, name: str = "start") -> np.ndarray:
    """The start distribution ``π`` as float64 of shape (n,): uniform for None, else validated.

    Nonnegative, finite, real, summing to 1 within :data:`START_SUM_TOLERANCE`
    (the exact sum of the entries, by ``math.fsum``).
    """
    if start is None:
        return np.full(n, 1.0 / n)
    if sp.issparse(start):
        raise TypeError(
            f"{name} must be a dense 1-D array of probabilities, got a sparse {type(start).__name__}"
        )
    pi = as_array(start, name)
    check_dtype(pi, name)
    if pi.shape != (n,):
        raise ValueError(
            f"{name} must have shape ({n},), one probability per token, got shape {pi.shape}"
        )
    pi = as_float64(pi, name)
    if not np.all(np.isfinite(pi)):
        raise ValueError(f"{name} has NaN or infinite entries")
    if np.any(pi < 0):
        i = int(np.flatnonzero(pi < 0)[0])
        raise ValueError(
            f"{name} has a negative entry {name}[{i}] = {float(pi[i])!r}; a start distribution is nonnegative"
        )
    total = math.fsum(pi.tolist())
    if abs(total - 1.0) > START_SUM_TOLERANCE:
        raise ValueError(
            f"{name} sums to {total!r}; a start distribution sums to 1 (within {START_SUM_TOLERANCE:g}); "
            "divide counts by their total first"
        )
    return pi


def as_token_lengths(
    token_lengths, n: int, *, integer: bool, name: str = "token_lengths"
) -> np.ndarray:
    """Characters per token, shape (n,): positive finite reals, or (``integer``) nonnegative integers."""
    lengths = as_array(token_lengths, name)
    if integer and lengths.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must be integers (characters per token), got dtype {lengths.dtype}"
        )
    check_dtype(lengths, name)
    if lengths.shape != (n,):
        raise ValueError(
            f"{name} must have shape ({n},), one length per token, got shape {lengths.shape}"
        )
    if integer:
        if np.any(lengths < 0):
            i = int(np.flatnonzero(lengths < 0)[0])
            raise ValueError(
                f"{name} must be nonnegative, got {name}[{i}] = {int(lengths[i])}"
            )
        return lengths.astype(np.int64)
    lengths = as_float64(lengths, name)
    bad = ~(np.isfinite(lengths) & (lengths > 0))
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name} must be finite and positive, got {name}[{i}] = {float(lengths[i])!r}"
        )
    return lengths


def as_list(values, name: str, what: str) -> list:
    """``list(values)``; a bare str or a non-iterable raises a TypeError naming ``name`` and ``what`` it must be."""
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be {what}, got a {type(values).__name__}")
    try:
        return list(values)
    except TypeError:
        raise TypeError(f"{name} must be {what}, got {type(values).__name__}") from None


def as_token_lists(sequences, name: str = "sequences", ids: bool = False) -> list[list]:
    """Sentences as lists of str tokens (or integer ids with ``ids``), empty ones kept; errors name the sentence."""
    seqs = as_list(sequences, name, "a list of sentences (lists of tokens)")
    out = []
    for i, s in enumerate(seqs):
        if isinstance(s, (str, bytes)):
            raise TypeError(
                f"{name}[{i}] is a {type(s).__name__} ({s[:20]!r}), not a list of tokens; pass list(text) "
                "for characters or text.split() for words"
            )
        try:
            s = s.tolist() if isinstance(s, np.ndarray) else list(s)
        except TypeError:
            raise TypeError(
                f"{name}[{i}] must be a sequence of tokens, got {type(s).__name__}"
            ) from None
        for t in s:
            ok = (
                (
                    isinstance(t, numbers.Integral)
                    and not isinstance(t, (bool, np.bool_))
                )
                if ids
                else isinstance(t, str)
            )
            if not ok:
                kind = "integer token ids" if ids else "str tokens"
                raise TypeError(
                    f"{name}[{i}] must hold {kind}, got {t!r} of type {type(t).__name__}"
                )
        out.append(s)
    return out
