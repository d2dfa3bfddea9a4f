"""Preprocessing steps: feature scaling and target scaling."""

from __future__ import annotations

from typing import Any

from kerasplug import Option, Step, hookimpl

SCALERS = ("standard", "robust", "minmax", "none")


@hookimpl
def config_sections() -> dict[str, Any]:
    return {
        "preprocess": {
            "scaling": Option("standard", str, "feature scaling", choices=SCALERS),
            "target_scaling": Option(
                "standard",
                str,
                "scaling of a regression target (inverted for predictions)",
                choices=SCALERS,
            ),
        }
    }


def make_scaler(kind: str) -> Any:
    from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

    return {"standard": StandardScaler, "robust": RobustScaler, "minmax": MinMaxScaler}[kind]()


@hookimpl
def preprocessing_steps(run: Any) -> list[Step]:
    kind = run.config["preprocess"]["scaling"]
    return [] if kind == "none" else [Step("scale", make_scaler(kind), order=700)]


@hookimpl(trylast=True)
def target_transformer(run: Any) -> Any:
    kind = run.config["preprocess"]["target_scaling"]
    return None if kind == "none" else make_scaler(kind)
