"""numpydoc validation of the public API: every public object documents itself and its parameters."""

import dataclasses
import inspect
import pathlib
import warnings

import numpydoc.validate
import pytest

import sklearn_convexnn

#: checks every public function, class, method and property must pass
ALWAYS = {"GL08", "SS01", "SS02", "SS03", "SS05", "PR02", "PR10", "GL02", "GL03", "RT02"}
#: checks the top-level functions and classes (the API a user reads first) must also pass
TOP_LEVEL = ALWAYS | {"PR01", "PR06"}


def public_names():
    for name in sklearn_convexnn.__all__:
        obj = getattr(sklearn_convexnn, name)
        # result dataclasses document their fields under "Attributes", not "Parameters"
        yield f"sklearn_convexnn.{name}", ALWAYS if dataclasses.is_dataclass(obj) and name != "ReLUNetwork" else TOP_LEVEL
        if inspect.isclass(obj):
            for member, value in vars(obj).items():
                if not member.startswith("_") and (inspect.isfunction(value) or isinstance(value, property)):
                    yield f"sklearn_convexnn.{name}.{member}", ALWAYS


@pytest.mark.parametrize("name,checks", list(public_names()), ids=lambda value: value if isinstance(value, str) else "")
def test_numpydoc(name, checks):
    errors = [(code, message) for code, message in numpydoc.validate.validate(name)["errors"] if code in checks]
    assert not errors, f"{name}: {errors}"


@pytest.mark.parametrize("path", sorted(pathlib.Path(sklearn_convexnn.__file__).parent.rglob("*.py")),
                         ids=lambda path: path.name)
def test_sources_compile_without_escape_warnings(path):
    # an invalid escape in a docstring ("\o" of \operatorname) is a SyntaxWarning from Python 3.12 (a DeprecationWarning
    # in 3.11), and a valid one is worse: the "\t" of \tilde became a tab in enumerate_patterns' formula
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
