"""Test configuration: hypothesis profiles and the counts printed after every run.

Profiles (choose with ``HYPOTHESIS_PROFILE=...``; ``ci`` is the default, so the
plain ``pytest`` command that CI runs uses it):

``ci``    at least 2,000 examples per property, no deadline (timings on a
          shared machine are noise), ``derandomize=True`` so every run draws
          the same examples and a failure reproduces exactly, no example
          database (nothing written to the working tree).
``dev``   the same with 200 examples, for quick iteration.

Every property is required to have *run* at least ``max_examples`` examples:
a property whose strategy is exhausted early, or which discards most of its
draws, fails instead of passing on a handful of cases. The terminal summary
lists the number of examples each property ran.

Properties run with BLAS limited to one thread (threadpoolctl, in this
process only; OPENBLAS_NUM_THREADS, set by ``conftest.py`` at the repository
root unless already set, does the same for everything else, nbval's kernels
included). Their matrices have n <= 60, where threads cannot help, and on a
loaded 2-core machine OpenBLAS thread hand-offs made a 2 x 2
``scipy.linalg.solve`` take 12-30 ms instead of 0.15 ms.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time

import pytest
from hypothesis import HealthCheck, is_hypothesis_test, settings

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - pinned in requirements.txt; without it properties only run slower

    def threadpool_limits(limits=None):
        return contextlib.nullcontext()


settings.register_profile(
    "ci",
    max_examples=2000,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", settings.get_profile("ci"), max_examples=200)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

EXAMPLES_KEY = "hypothesis_examples"
SECONDS_KEY = "hypothesis_seconds"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Count the examples each hypothesis property runs, and insist on at least max_examples."""
    test = getattr(item, "obj", None)
    if test is None or not is_hypothesis_test(test):
        return (yield)
    handle = test.hypothesis
    inner = handle.inner_test
    calls = [0]

    @functools.wraps(inner)
    def counted(*args, **kwargs):
        calls[0] += 1
        return inner(*args, **kwargs)

    handle.inner_test = counted
    start = time.perf_counter()
    try:
        with threadpool_limits(1):
            result = yield
    finally:
        handle.inner_test = inner
        item.user_properties.append((EXAMPLES_KEY, calls[0]))
        item.user_properties.append((SECONDS_KEY, time.perf_counter() - start))
    required = test._hypothesis_internal_use_settings.max_examples
    if calls[0] < required:
        raise AssertionError(
            f"{item.nodeid} ran only {calls[0]} examples, fewer than max_examples={required}: "
            "its strategy is too narrow or it rejects too many draws"
        )
    return result


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    rows = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue
            props = dict(getattr(report, "user_properties", []))
            if EXAMPLES_KEY in props:
                counts = (props[EXAMPLES_KEY], props[SECONDS_KEY], report.outcome)
                rows.append((report.nodeid, *counts))
    if rows:
        profile = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
        terminalreporter.section(
            f"hypothesis: examples run per property (profile max_examples={profile.max_examples}, "
            f"derandomize={profile.derandomize})"
        )
        for nodeid, count, seconds, outcome in sorted(rows):
            terminalreporter.write_line(
                f"{count:7d} examples {seconds:7.1f} s  {outcome:7s} {nodeid}"
            )
        total = sum(r[1] for r in rows)
        terminalreporter.write_line(
            f"{len(rows)} properties, {total} examples in {sum(r[2] for r in rows):.1f} s, "
            f"fewest per property: {min(r[1] for r in rows)}"
        )
