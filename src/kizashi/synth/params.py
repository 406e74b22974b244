"""Typed view of ``params.yaml``: per-industry parameters as NumPy arrays for vectorised draws."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import yaml

from kizashi.domain.industry import industries, prefectures

COST_MODELS = ("trade", "manufacturing", "construction", "service")
INVENTORY_LEAVES = ("merchandise_and_products", "work_in_process", "raw_materials_and_supplies")
FIXED_ASSET_LEAVES = (
    "buildings",
    "structures",
    "machinery",
    "vehicles",
    "tools_furniture_fixtures",
)
COST_LEAVES = (
    "purchases",
    "mfg_materials",
    "mfg_labour",
    "mfg_subcontracting",
    "mfg_overhead",
)

_INDUSTRY_FIELDS = (
    "sales_per_employee",
    "gross_margin",
    "sga_ratio",
    "rent_weight",
    "receivable_days",
    "inventory_days",
    "payable_days",
    "fixed_assets_ratio",
    "land_share",
    "growth",
    "employees_median",
)


@dataclass(frozen=True)
class IndustryTable:
    """One entry per synthetic industry, aligned arrays indexed by industry position."""

    codes: tuple[str, ...]
    share: np.ndarray  # probabilities, sum 1
    cost_model: np.ndarray  # int index into COST_MODELS
    seasonality: np.ndarray  # (n_ind, 12), mean 1 per row; column 0 = January
    values: dict[str, np.ndarray]  # _INDUSTRY_FIELDS -> (n_ind,)
    cost_weights: np.ndarray  # (n_ind, len(COST_LEAVES))
    inventory_weights: np.ndarray  # (n_ind, len(INVENTORY_LEAVES))
    fixed_asset_weights: np.ndarray  # (n_ind, len(FIXED_ASSET_LEAVES))
    notes_share: np.ndarray  # (n_ind,)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]


@dataclass(frozen=True)
class Params:
    raw: dict[str, Any]
    industry: IndustryTable
    prefecture_codes: tuple[str, ...]
    prefecture_p: np.ndarray
    fye_months: np.ndarray
    fye_p: np.ndarray

    def section(self, name: str) -> dict[str, Any]:
        return dict(self.raw[name])


def _probabilities(weights: list[float]) -> np.ndarray:
    p = np.asarray(weights, dtype=np.float64)
    if (p < 0).any() or p.sum() <= 0:
        raise ValueError("synth params: weights must be non-negative with a positive sum")
    return p / p.sum()


def parse_params(doc: dict[str, Any]) -> Params:
    """Check and convert the YAML document; unknown industry or prefecture codes are errors."""
    known_ind = industries()
    codes = tuple(doc["industries"])
    unknown = [c for c in codes if c not in known_ind]
    if unknown:
        raise ValueError(f"synth params: unknown industry codes {unknown}")
    rows = [doc["industries"][c] for c in codes]
    models = doc["cost_models"]
    cost_w = np.zeros((len(codes), len(COST_LEAVES)))
    inv_w = np.zeros((len(codes), len(INVENTORY_LEAVES)))
    fa_w = np.zeros((len(codes), len(FIXED_ASSET_LEAVES)))
    for i, r in enumerate(rows):
        model = models[r["cost_model"]]
        for leaf, w in model["cost"].items():
            cost_w[i, COST_LEAVES.index(leaf)] = w
        for leaf, w in model["inventory"].items():
            inv_w[i, INVENTORY_LEAVES.index(leaf)] = w
        for leaf, w in model["fixed_assets"].items():
            fa_w[i, FIXED_ASSET_LEAVES.index(leaf)] = w
    season = np.asarray([r["seasonality"] for r in rows], dtype=np.float64)
    if season.shape[1] != 12:
        raise ValueError("synth params: seasonality needs 12 factors per industry")
    season = season / season.mean(axis=1, keepdims=True)
    table = IndustryTable(
        codes=codes,
        share=_probabilities([r["share"] for r in rows]),
        cost_model=np.asarray([COST_MODELS.index(r["cost_model"]) for r in rows]),
        seasonality=season,
        values={f: np.asarray([float(r[f]) for r in rows]) for f in _INDUSTRY_FIELDS},
        cost_weights=cost_w / cost_w.sum(axis=1, keepdims=True),
        inventory_weights=inv_w / inv_w.sum(axis=1, keepdims=True),
        fixed_asset_weights=fa_w / fa_w.sum(axis=1, keepdims=True),
        notes_share=np.asarray([float(models[r["cost_model"]]["notes_share"]) for r in rows]),
    )
    prefs = doc["prefecture_weights"]
    if set(prefs) != set(prefectures()):
        raise ValueError("synth params: prefecture_weights must list all 47 prefectures")
    fye = doc["population"]["fiscal_year_end_month_weights"]
    return Params(
        raw=doc,
        industry=table,
        prefecture_codes=tuple(sorted(prefs)),
        prefecture_p=_probabilities([prefs[k] for k in sorted(prefs)]),
        fye_months=np.asarray(sorted(fye), dtype=np.int64),
        fye_p=_probabilities([fye[k] for k in sorted(fye)]),
    )


@cache
def load_params() -> Params:
    """The shipped parameters (``kizashi/synth/params.yaml``)."""
    text = resources.files("kizashi.synth").joinpath("params.yaml").read_text("utf-8")
    return parse_params(yaml.safe_load(text))
