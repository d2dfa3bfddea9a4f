"""Explanation methods (SHAP, LIME, LRP) as plain functions of (model, pipeline, rows).

The `explain` hook implementations and `kerasplug explain` share these functions. Modules here
import numpy, pandas, SHAP and LIME at top level, so the plugin modules import them lazily.
"""
