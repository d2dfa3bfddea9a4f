"""kerasplug-example: a third-party kerasplug plugin, written as a template for your own.

The hooks live in `kerasplug_example.plugin` (imported by `kerasplug plugins`, so it imports
nothing heavy); the scikit-learn transformer lives in `kerasplug_example.steps`, imported
only when a run needs it.
"""

__version__ = "0.1.0"
