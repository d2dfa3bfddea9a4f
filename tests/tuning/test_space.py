"""The search space, the built-in strategies and the checks made before any trial runs.

None of these tests trains a model.
"""

from __future__ import annotations

import numpy as np
import pytest

from kerasplug import ConfigError, Trainer
from kerasplug.tuning import (
    Choice,
    GridSearch,
    RandomSearch,
    Range,
    Search,
    builtin_strategy,
    grid_points,
    parse_space,
)
from tests.helpers import EXAMPLES

BOSTON = EXAMPLES / "housing" / "boston.toml"


def test_a_list_is_a_choice_and_a_table_is_a_range():
    space = parse_space(
        {
            "model.hidden": [[64, 64], [128, 64]],
            "train.learning_rate": {"low": 1e-4, "high": 1e-2, "log": True},
            "train.batch_size": {"low": 16, "high": 64, "step": 16},
        }
    )
    assert space["model.hidden"] == Choice(([64, 64], [128, 64]))
    assert space["train.learning_rate"] == Range(1e-4, 1e-2, log=True)
    assert space["train.batch_size"] == Range(16, 64, step=16, integer=True)


@pytest.mark.parametrize(
    ("key", "spec", "message"),
    [
        ("hidden", [1], 'tune.space."hidden": name a config key as section.key'),
        ("tune.trials", [1, 2], "cannot change [tune] itself"),
        ("model.dropout", [], "list at least one value"),
        ("model.dropout", [0.1, 0.1], "lists a value twice"),
        ("model.dropout", 0.1, "give a list of values ([a, b]) or a range"),
        ("model.dropout", {"low": 0.1}, "a range needs both low and high"),
        ("model.dropout", {"low": 0.5, "high": 0.1}, "low = 0.5 must be smaller than high"),
        ("train.learning_rate", {"low": 0, "high": 1, "log": True}, "a log range needs low > 0"),
        ("model.dropout", {"low": 0, "high": 1, "steps": 2}, "unknown key 'steps'"),
        ("model.dropout", {"low": "a", "high": 1}, "must be numbers"),
        ("train.batch_size", {"low": 8, "high": 64, "log": True, "step": 1}, "(> 1 on a log"),
    ],
)
def test_a_bad_dimension_is_one_line_that_names_its_key(key, spec, message):
    with pytest.raises(ConfigError) as info:
        parse_space({key: spec})
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_an_empty_space_is_refused():
    with pytest.raises(ConfigError, match=r"tune\.space is empty"):
        parse_space({})


def test_the_grid_varies_the_last_key_fastest():
    space = parse_space({"model.hidden": [[8], [16]], "train.batch_size": {"low": 1, "high": 3}})
    assert grid_points(space) == [
        {"model.hidden": [8], "train.batch_size": 1},
        {"model.hidden": [8], "train.batch_size": 2},
        {"model.hidden": [8], "train.batch_size": 3},
        {"model.hidden": [16], "train.batch_size": 1},
        {"model.hidden": [16], "train.batch_size": 2},
        {"model.hidden": [16], "train.batch_size": 3},
    ]


def test_a_log_range_with_a_step_multiplies():
    assert Range(16, 128, log=True, step=2, integer=True).grid() == [16, 32, 64, 128]
    assert Range(1e-4, 1e-2, log=True, step=10).grid() == pytest.approx([1e-4, 1e-3, 1e-2])


def test_grid_search_proposes_every_point_once_then_stops():
    space = parse_space({"model.dropout": [0.0, 0.1, 0.2]})
    strategy = builtin_strategy("grid", space, seed=0)
    assert isinstance(strategy, GridSearch)
    proposed = [strategy.propose() for _ in range(4)]
    assert proposed == [{"model.dropout": v} for v in (0.0, 0.1, 0.2)] + [None]


def test_a_continuous_range_cannot_be_gridded():
    space = parse_space({"train.learning_rate": {"low": 1e-4, "high": 1e-2}})
    with pytest.raises(ConfigError, match=r'"train\.learning_rate" is a continuous range'):
        builtin_strategy("grid", space, seed=0)


def test_random_search_draws_a_finite_space_without_replacement():
    space = parse_space({"model.hidden": [[8], [16], [32]], "model.dropout": [0.0, 0.5]})
    strategy = RandomSearch(space, seed=3)
    drawn = [strategy.propose() for _ in range(6)]
    assert sorted(map(str, drawn)) == sorted(map(str, grid_points(space)))
    assert strategy.propose() is None


def test_random_search_is_reproducible_from_the_seed():
    space = parse_space({"train.learning_rate": {"low": 1e-4, "high": 1e-1, "log": True}})
    first = [RandomSearch(space, seed=7).propose() for _ in range(2)]
    assert first[0] == first[1]
    other = RandomSearch(space, seed=8).propose()
    assert other != first[0]


def test_random_draws_respect_bounds_steps_and_log_scale():
    rng = np.random.default_rng(0)
    stepped = Range(0.0, 0.5, step=0.1)
    values = [stepped.sample(rng) for _ in range(200)]
    assert all(0.0 <= v <= 0.5 for v in values)
    assert all(abs(v * 10 - round(v * 10)) < 1e-9 for v in values)
    logs = np.log10([Range(1e-4, 1e-1, log=True).sample(rng) for _ in range(2000)])
    # log-uniform: each decade gets about a third of the draws
    counts = np.histogram(logs, bins=[-4, -3, -2, -1])[0]
    assert counts.min() > 550
    integers = {Range(1, 4, integer=True).sample(rng) for _ in range(200)}
    assert integers == {1, 2, 3, 4}


# --- checks of the whole search before anything runs ------------------------------------------


def make_search(*overrides: str) -> Search:
    return Search(Trainer(BOSTON, overrides=list(overrides), third_party=False))


def test_a_misspelled_key_in_the_space_fails_before_any_trial():
    with pytest.raises(ConfigError) as info:
        make_search('tune.space={"model.hiden" = [[8]]}')
    assert str(info.value).startswith('tune.space."model.hiden": unknown config key model.hiden')
    assert "did you mean 'hidden'" in str(info.value)


def test_a_value_the_key_does_not_accept_fails_before_any_trial():
    with pytest.raises(ConfigError) as info:
        make_search('tune.space={"model.dropout" = {low = 0.0, high = 2.0}}')
    assert str(info.value) == (
        'tune.space."model.dropout": model.dropout = 2.0 is too large; expected at most 0.95'
    )


def test_the_test_rows_cannot_choose_the_model():
    with pytest.raises(ConfigError, match=r"leak them into the choice; use 'valid\.rmse'"):
        make_search("tune.metric=test.rmse", 'tune.space={"model.dropout" = [0.0]}')


def test_a_metric_must_name_its_part():
    with pytest.raises(ConfigError, match=r"must be <part>\.<name>"):
        make_search("tune.metric=rmse", 'tune.space={"model.dropout" = [0.0]}')


def test_mode_auto_maximises_scores_and_minimises_errors():
    space = 'tune.space={"model.dropout" = [0.0]}'
    assert make_search("tune.metric=valid.r2", space).mode == "max"
    assert make_search("tune.metric=valid.mae", space).mode == "min"


def test_an_unknown_method_names_the_ones_that_exist():
    with pytest.raises(ConfigError, match=r"tune\.method = 'anneal' is not provided by any plugin"):
        make_search("tune.method=anneal", 'tune.space={"model.dropout" = [0.0]}')


def test_hyperband_owns_the_epochs():
    with pytest.raises(ConfigError, match="Hyperband sets each round's epochs itself"):
        make_search("tune.method=hyperband", 'tune.space={"train.epochs" = [5, 10]}')
