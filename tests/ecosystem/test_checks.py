"""The testing kit's checks: each catches its own kind of broken plugin, with a useful message."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kerasplug import hookimpl
from kerasplug.manager import known_hooks
from kerasplug.testing import (
    PluginCheckError,
    check_argument_names,
    check_hooks_exist,
    check_no_defaults,
    check_plugin,
    check_return_kinds,
    check_state_resets,
    parametrize_with_checks,
    plugin_checks,
)
from kerasplug.testing.kinds import KINDS, is_lifecycle


class MisspelledHook:
    @hookimpl
    def should_stopp(self, epoch):
        return None


class UnknownArgument:
    @hookimpl
    def should_stop(self, epoch, model):
        return None


class DefaultedArgument:
    @hookimpl
    def should_stop(self, epoch, logs=None):
        return None


class WrongReturnKind:
    """Answers the stopping hook with a bool where the contract asks for a reason (a str):
    `False` is not `None`, so the very first epoch's `False` stops training."""

    @hookimpl
    def should_stop(self, epoch):
        return epoch >= 1


class LeakedState:
    """Counts epochs but never resets the count, so a second run stops at once."""

    def __init__(self):
        self.epochs = 0

    @hookimpl
    def on_epoch_end(self):
        self.epochs += 1

    @hookimpl
    def should_stop(self):
        return "three epochs are enough" if self.epochs >= 3 else None


class ResetState(LeakedState):
    """The same rule, with the count reset whenever a split starts training."""

    @hookimpl
    def before_fit(self, run):
        if run.epoch == 0:
            self.epochs = 0


def test_a_misspelled_hook_is_caught_with_the_hook_it_meant():
    with pytest.raises(PluginCheckError, match=r"unknown hook 'should_stopp' .*'should_stop'"):
        check_hooks_exist(MisspelledHook())


def test_an_unknown_argument_is_caught_with_the_arguments_the_hook_passes():
    with pytest.raises(PluginCheckError, match=r"unknown argument 'model'; the hook passes \["):
        check_argument_names(UnknownArgument())


def test_a_defaulted_argument_is_caught():
    with pytest.raises(PluginCheckError, match=r"argument 'logs' has a default value"):
        check_no_defaults(DefaultedArgument())


def test_each_static_check_passes_what_the_others_catch():
    check_hooks_exist(UnknownArgument())
    check_argument_names(DefaultedArgument())
    check_no_defaults(MisspelledHook())


def test_a_class_registered_without_parentheses_is_caught():
    with pytest.raises(PluginCheckError, match=r"forgotten the `\(\)`"):
        check_hooks_exist(ResetState)


@pytest.mark.hook("should_stop")
def test_a_wrong_return_kind_is_caught_in_a_tiny_run():
    with pytest.raises(PluginCheckError) as caught:
        check_return_kinds(WrongReturnKind(), "wrong")
    assert str(caught.value) == (
        "plugin 'wrong' hook should_stop returned bool False; expected a str, the reason to "
        "stop or None"
    )


@pytest.mark.hook("on_epoch_end")
def test_state_leaked_across_runs_is_caught_and_a_reset_passes():
    with pytest.raises(
        PluginCheckError, match=r"keeps state across runs: call \d+ \(should_stop\)"
    ):
        check_state_resets(LeakedState(), "leaky")
    check_state_resets(ResetState(), "reset")


def test_check_plugin_reports_every_static_problem_before_running_anything():
    class TwoMistakes(DefaultedArgument, MisspelledHook):
        pass

    with pytest.raises(PluginCheckError) as caught:
        check_plugin(TwoMistakes(), "two")
    lines = str(caught.value).splitlines()
    assert [line.split(":")[0] for line in lines] == ["check_hooks_exist", "check_no_defaults"]


def test_the_parametrized_form_has_one_id_per_check():
    mark = parametrize_with_checks([("mine", ResetState()), LeakedState()])
    ids = [param.id for param in mark.args[1]]
    names = [c.__name__ for c in plugin_checks(LeakedState())]
    assert ids == [f"mine-{n}" for n in names] + [f"LeakedState-{n}" for n in names]
    assert len(names) == 6


def test_the_kit_knows_the_return_kind_of_every_hook():
    unknown = [h for h in known_hooks() if not is_lifecycle(h) and h not in KINDS]
    assert not unknown, f"add these hooks to kerasplug.testing.kinds.KINDS: {unknown}"
    assert not [h for h in KINDS if h not in known_hooks()]


def test_the_pytest_plugin_loads_without_tensorflow_pandas_or_sklearn():
    code = (
        "import sys, kerasplug.testing.pytest_plugin; "
        "print(sorted(m for m in ('tensorflow', 'keras', 'pandas', 'sklearn') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr
