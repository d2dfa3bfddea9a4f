"""kerasplug: Keras training made extensible the way pytest makes testing extensible.

Importing this package is cheap: TensorFlow, pandas and scikit-learn load only when a run needs
them.
"""

from __future__ import annotations

__version__ = "0.1.0"

from kerasplug.config import Option
from kerasplug.context import RunContext, RunResult
from kerasplug.errors import (
    ConfigError,
    DataError,
    KerasplugError,
    PluginError,
    PluginLoadError,
    UnsafeArtifactError,
    UsageError,
)
from kerasplug.manager import PluginManager, create_manager, hookimpl
from kerasplug.runs import LoadedRun, load_run
from kerasplug.trainer import Trainer
from kerasplug.types import Explanation, Split, Stage, Step

__all__ = [
    "ConfigError",
    "DataError",
    "Explanation",
    "KerasplugError",
    "LoadedRun",
    "Option",
    "PluginError",
    "PluginLoadError",
    "PluginManager",
    "RunContext",
    "RunResult",
    "Split",
    "Stage",
    "Step",
    "Trainer",
    "UnsafeArtifactError",
    "UsageError",
    "__version__",
    "create_manager",
    "hookimpl",
    "load_run",
]
