"""Model families by name: every registered family is a Model under its own name, and an
unknown name is a clear error that lists the names."""

from __future__ import annotations

import pytest

from kstarter.errors import ConfigError
from kstarter.models import MODELS, Model, get_model


def test_every_family_is_a_model_registered_under_its_name() -> None:
    assert {"lightgbm", "linear"} <= set(MODELS)
    for name, family in MODELS.items():
        assert issubclass(family, Model) and family.name == name
        assert get_model(name) is family


def test_an_unknown_name_lists_the_models() -> None:
    with pytest.raises(ConfigError) as err:
        get_model("tabpfn")
    message = str(err.value)
    assert "'tabpfn'" in message and "lightgbm, linear" in message
    assert "Did you mean" not in message


def test_a_near_miss_says_which_name_was_meant() -> None:
    with pytest.raises(ConfigError, match="Did you mean 'lightgbm'"):
        get_model("LightGMB")


def test_the_contract_cannot_be_half_implemented() -> None:
    class Half(Model):
        name = "half"

    with pytest.raises(TypeError):
        Half()  # type: ignore[abstract]
