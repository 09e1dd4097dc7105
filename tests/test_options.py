"""One options protocol: replace / to_dict / from_dict on every options object."""
import json

import pytest

from sasnets.data.augment import AugmentSpec
from sasnets.data.preprocess import PreprocessSpec
from sasnets.data.qgrid import QGrid
from sasnets.errors import UsageError
from sasnets.networks.base import Recipe
from sasnets.options import Options
from sasnets.simulate.options import GenerationOptions

EXAMPLES = {
    "Recipe": (Recipe(), {"epochs": 3}),
    "QGrid": (QGrid(0.001, 0.5, 64), {"nq": 32}),
    "PreprocessSpec": (PreprocessSpec(), {"channels": ("logi", "mask")}),
    "AugmentSpec": (AugmentSpec(), {"noise": (0.0, 0.02)}),
    "GenerationOptions": (GenerationOptions.preset("realistic"), {"noise": GenerationOptions().noise}),
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_replace_and_a_json_round_trip(name):
    obj, changes = EXAMPLES[name]
    assert isinstance(obj, Options)
    changed = obj.replace(**changes)
    assert changed != obj and all(getattr(changed, k) == v for k, v in changes.items())
    for o in (obj, changed):
        assert type(o).from_dict(json.loads(json.dumps(o.to_dict()))) == o
    assert type(obj).from_dict({**obj.to_dict(), "written_by_a_newer_version": 1}) == obj


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_an_unknown_option_names_the_known_ones(name):
    obj, changes = EXAMPLES[name]
    with pytest.raises(UsageError, match=next(iter(changes))):
        obj.replace(no_such_option=1)
