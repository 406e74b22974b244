"""日本標準産業分類 (major and middle groups) and 都道府県 codes, read from shipped data."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class Industry:
    code: str  # middle group, two digits ("09")
    ja: str
    en: str
    major: str  # major group letter ("E")


@dataclass(frozen=True)
class MajorGroup:
    code: str
    ja: str
    en: str


@dataclass(frozen=True)
class Prefecture:
    code: str  # JIS X 0401, two digits
    ja: str
    en: str


def _read(name: str) -> dict:
    return yaml.safe_load(
        resources.files("kizashi.domain").joinpath(f"data/{name}").read_text("utf-8")
    )


@cache
def major_groups() -> dict[str, MajorGroup]:
    return {
        m["code"]: MajorGroup(m["code"], m["ja"], m["en"])
        for m in _read("industries.yaml")["majors"]
    }


@cache
def industries() -> dict[str, Industry]:
    doc = _read("industries.yaml")
    out: dict[str, Industry] = {}
    for m in doc["middles"]:
        major = next(
            g["code"] for g in doc["majors"] if g["middle_from"] <= m["code"] <= g["middle_to"]
        )
        out[m["code"]] = Industry(m["code"], m["ja"], m["en"], major)
    return out


@cache
def prefectures() -> dict[str, Prefecture]:
    return {
        p["code"]: Prefecture(p["code"], p["ja"], p["en"])
        for p in _read("prefectures.yaml")["prefectures"]
    }


def industry_by_code(code: str) -> Industry:
    """The middle group for a two-digit code; raises ValueError naming the code if unknown."""
    code = code.strip().zfill(2)
    try:
        return industries()[code]
    except KeyError:
        raise ValueError(f"unknown 日本標準産業分類 middle group {code!r}") from None


def prefecture_by_name_or_code(value: str) -> Prefecture:
    """Accept "13", "東京都", "東京" or "Tokyo"."""
    v = value.strip()
    prefs = prefectures()
    if v.isdigit() and v.zfill(2) in prefs:
        return prefs[v.zfill(2)]
    for p in prefs.values():
        if (
            v in (p.ja, p.en)
            or v.lower() == p.en.lower()
            or (v + "県") == p.ja
            or (v + "府") == p.ja
            or (v + "都") == p.ja
        ):
            return p
    raise ValueError(f"unknown prefecture {value!r}")
