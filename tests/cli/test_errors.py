"""stylist.cli.user_error: user errors are found inside Hydra's and OmegaConf's wrappers, bugs are not."""

from __future__ import annotations

import pytest
from hydra.errors import InstantiationException
from omegaconf import OmegaConf
from omegaconf.errors import MissingMandatoryValue

from stylist.cli import user_error
from stylist.utils import StylistError


def _raised(make):
    try:
        make()
    except Exception as err:  # noqa: BLE001
        return err
    raise AssertionError("nothing raised")


def _wrapped_in_instantiation():
    try:
        raise StylistError("VGG16 weights must be one of (...)")
    except StylistError as err:
        raise InstantiationException("Error in call to target 'get_backbone':\nStylistError(...)") from err


def test_error_inside_instantiation_is_a_user_error():
    assert user_error(_raised(_wrapped_in_instantiation)) == "VGG16 weights must be one of (...)"


def test_missing_mandatory_value_names_the_key():
    cfg = OmegaConf.create({"image": "???"})
    err = _raised(lambda: cfg.image)
    assert isinstance(err, MissingMandatoryValue)
    assert user_error(err) == "missing value for 'image': give it on the command line, e.g. image=..."


def test_bugs_are_not_user_errors():
    assert user_error(TypeError("unsupported operand")) is None
    try:
        raise ValueError("a bug") from KeyError("x")
    except ValueError as err:
        assert user_error(err) is None


@pytest.mark.parametrize("cause", [StylistError("bad"), FileNotFoundError("no such file")])
def test_direct_user_errors(cause):
    assert user_error(cause) == str(cause)
