"""The Examples blocks in the package's docstrings run and print what they show."""

import doctest
import importlib
import pkgutil

import pytest

import repetition

MODULES = sorted(
    m.name for m in pkgutil.iter_modules(repetition.__path__, "repetition.")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(
        module,
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
        verbose=False,
    )
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_every_public_function_is_documented():
    import inspect

    for name in (
        repetition.__all__ if hasattr(repetition, "__all__") else dir(repetition)
    ):
        obj = getattr(repetition, name)
        if name.startswith("_") or not (
            inspect.isfunction(obj) or inspect.isclass(obj)
        ):
            continue
        doc = inspect.getdoc(obj) or ""
        assert doc, f"repetition.{name} has no docstring"
        if inspect.isfunction(obj):
            assert "Returns" in doc or "Yields" in doc, (
                f"repetition.{name}: docstring has no Returns section"
            )
