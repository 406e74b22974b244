"""Why a score is what it is, in words: SHAP values turned into sentences.

LightGBM's ``pred_contrib`` gives exact TreeSHAP values (log-odds, summing with the base value to
the raw score). The reasons are the features that push the probability up most (then, if fewer
than three do, those that hold it down most), each said with the indicator's name, its value in
its unit and where it stands among peers (the percentile the engine stored)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .catalogue import feature
from .features import Feature

MAX_REASONS = 5
MIN_REASONS = 3


@dataclass(frozen=True)
class Reason:
    feature: str
    contribution: float  # log-odds; > 0 raises the probability
    value: float | None
    percentile: float | None  # the business's peer percentile of the indicator, if any
    ja: str
    en: str


def _fmt(value: float, unit: str, lang: str) -> str:
    ja = lang == "ja"
    if unit == "yen":
        if abs(value) >= 1e8:
            return f"{value / 1e8:,.1f}億円" if ja else f"¥{value / 1e6:,.0f}m"
        return f"{value / 1e4:,.0f}万円" if ja else f"¥{value / 1e3:,.0f}k"
    if unit == "%":
        return f"{value:,.1f}%"
    if unit == "percentile":
        return f"{value:.0f}%"
    suffix = {
        "months": ("か月", " months"),
        "years": ("年", " years"),
        "times": ("倍", "×"),
        "points": ("点", " points"),
        "thousand_yen_per_person": ("千円/人", " thousand yen per person"),
        "count": ("件", ""),
        "days": ("日", " days"),
    }.get(unit, ("", ""))
    digits = 0 if unit in ("count", "days", "points") else 1
    return f"{value:,.{digits}f}{suffix[0] if ja else suffix[1]}"


def peer_band(percentile: float | None, lang: str) -> str | None:
    """Where a percentile (share of peers below, 0–100) stands, in words."""
    if percentile is None or math.isnan(percentile):
        return None
    if percentile < 25:
        return "同業の下位25%" if lang == "ja" else "bottom quarter of peers"
    if percentile > 75:
        return "同業の上位25%" if lang == "ja" else "top quarter of peers"
    return "同業の中位(25〜75%)" if lang == "ja" else "middle half of peers"


def sentence(
    f: Feature, value: float | None, percentile: float | None, up: bool
) -> tuple[str, str]:
    """(ja, en) for one reason."""
    if f.unit == "bool":
        yes = value is not None and value >= 0.5
        v_ja, v_en = ("該当" if yes else "非該当"), ("yes" if yes else "no")
    elif f.unit == "presence":  # data that exist or not (``bank_data``)
        yes = value is not None and value >= 0.5
        v_ja, v_en = ("ある状態" if yes else "ない状態"), ("present" if yes else "missing")
    elif value is None or math.isnan(value):
        v_ja, v_en = "値なし", "no value"
    else:
        v_ja, v_en = _fmt(value, f.unit, "ja"), _fmt(value, f.unit, "en")
    band_ja, band_en = peer_band(percentile, "ja"), peer_band(percentile, "en")
    ja = f"{f.ja}が{v_ja}" + (f"({band_ja})" if band_ja else "")
    en = f"{f.en} is {v_en}" + (f" ({band_en})" if band_en else "")
    if up:
        return ja + "で、確率を押し上げています。", en + ", which raises the probability."
    return ja + "で、確率を押し下げています。", en + ", which lowers the probability."


def reasons(
    contributions: np.ndarray, x: np.ndarray, names: tuple[str, ...], limit: int = MAX_REASONS
) -> list[Reason]:
    """The reasons of one row (``contributions``: its SHAP values, the base value column may
    follow). An indicator and its peer percentile are one reason (their SHAP values add up)."""
    idx = {n: i for i, n in enumerate(names)}
    groups: dict[str, float] = {}
    for j, n in enumerate(names):
        f = feature(n)
        key = f.indicator or f.id
        groups[key] = groups.get(key, 0.0) + float(contributions[j])
    keys = list(groups)
    c = np.asarray([groups[k] for k in keys])
    picked = [j for j in np.argsort(-c, kind="stable") if c[j] > 1e-9][:limit]
    if len(picked) < MIN_REASONS:
        downs = [j for j in np.argsort(c, kind="stable") if c[j] < -1e-9]
        picked += downs[: MIN_REASONS - len(picked)]
    out = []
    for j in picked:
        key = keys[j]
        f = feature(key)
        value = float(x[idx[key]]) if key in idx and not np.isnan(x[idx[key]]) else None
        p = idx.get(f"pct_{key}")
        pct = None if p is None or np.isnan(x[p]) else float(x[p])
        ja, en = sentence(f, value, pct, c[j] > 0)
        out.append(Reason(key, float(c[j]), value, pct, ja, en))
    return out
