"""The shipped house-price workflow, as ordinary kerasplug plugins (one module per concern).

Each module is registered through an entry point of group `kerasplug` in kerasplug's own
`pyproject.toml`, exactly as a third-party plugin would be, and can be disabled by its name
(`-p no:housing.model`) and replaced by another plugin.
"""

#: The plugins that explain and report: disabling them changes no prediction, only the time a
#: run takes (benchmarks and tests that need predictions alone disable them).
REPORTING_PLUGINS = (
    "housing.explain",
    "housing.shap",
    "housing.lime",
    "housing.lrp",
    "housing.agreement",
    "housing.diagnosis",
    "housing.plots",
    "housing.report_html",
    "housing.tensorboard",
)
