"""Who the businesses are: industry, place, legal form, size, 法人番号, name, founding date."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kizashi.domain.corporate_number import make_corporate_number

from .calendar import parse_month
from .names import make_names
from .params import Params

_KAISHAHO = parse_month("2006-05")  # 会社法施行: no new 有限会社 after, 合同会社 from then
_CORP_NUMBER_MULTIPLIER = 7_919_937  # odd, not a multiple of 5: a bijection mod 10**12
_CORP_NUMBER_OFFSET = 318_204_551_977


@dataclass(frozen=True)
class Identity:
    business_id: np.ndarray  # int64, 1..N
    industry: np.ndarray  # index into params.industry.codes
    industry_code: np.ndarray  # str
    prefecture_code: np.ndarray  # str
    sole: np.ndarray  # bool: 個人事業主
    legal_form: np.ndarray  # str, '' for sole proprietors
    fiscal_year_end_month: np.ndarray  # int
    employees: np.ndarray  # int
    capital: np.ndarray  # int64 yen, 0 when none (null in the table)
    founded_mi: np.ndarray  # month index
    founded_day: np.ndarray  # 1..28
    name: np.ndarray  # object str
    corporate_number: np.ndarray  # object str or None


def corporate_numbers(business_id: np.ndarray) -> list[str]:
    """Distinct valid 法人番号 derived from the business id (synthetic, never looked up)."""
    base = (business_id * _CORP_NUMBER_MULTIPLIER + _CORP_NUMBER_OFFSET) % 10**12
    return [make_corporate_number(f"{b:012d}") for b in base.tolist()]


def draw_identity(rng: np.random.Generator, business_id: np.ndarray, params: Params) -> Identity:
    n = business_id.size
    pop = params.section("population")
    ind = params.industry
    industry = rng.choice(len(ind.codes), size=n, p=ind.share)
    industry_code = np.asarray(ind.codes)[industry]
    pref = np.asarray(params.prefecture_codes)[
        rng.choice(len(params.prefecture_codes), size=n, p=params.prefecture_p)
    ]
    sole = rng.random(n) < pop["sole_proprietor_share"]
    years = pop["founded_years"]
    y_corp = rng.integers(years["corporation"][0], years["corporation"][1] + 1, n)
    y_sole = rng.integers(years["sole_proprietor"][0], years["sole_proprietor"][1] + 1, n)
    founded_mi = np.where(sole, y_sole, y_corp) * 12 + rng.integers(0, 12, n)
    founded_day = rng.integers(1, 29, n)

    forms = pop["legal_form_weights"]
    u = rng.random(n)
    kabu, yugen, godo = forms["株式会社"], forms["有限会社"], forms["合同会社"]
    old = founded_mi < _KAISHAHO
    legal = np.where(
        old,
        np.where(u < kabu / (kabu + yugen), "株式会社", "有限会社"),
        np.where(u < kabu / (kabu + godo), "株式会社", "合同会社"),
    ).astype(object)
    legal = np.where(industry_code == "83", "医療法人", legal)
    legal = np.where(sole, "", legal)

    fye = np.where(sole, 12, rng.choice(params.fye_months, size=n, p=params.fye_p))
    median = ind["employees_median"][industry]
    emp_corp = np.exp(np.log(median) + pop["employees_sigma"] * rng.standard_normal(n))
    emp_corp = np.clip(np.round(emp_corp), 1, pop["employees_max"])
    emp_sole = rng.choice(5, size=n, p=[0.25, 0.30, 0.20, 0.15, 0.10])
    employees = np.where(sole, emp_sole, emp_corp).astype(np.int64)

    choices = np.asarray(pop["capital_choices"], dtype=np.int64)
    cap_idx = np.floor(np.log1p(employees) * 1.1 + rng.normal(0.0, 0.8, n)).astype(np.int64)
    cap_idx = np.where(legal == "有限会社", np.maximum(cap_idx, 1), cap_idx)
    cap_idx = np.where(legal == "合同会社", np.minimum(cap_idx, 1), cap_idx)
    capital = choices[np.clip(cap_idx, 0, choices.size - 1)]
    capital = np.where(sole | (legal == "医療法人"), 0, capital)

    names = make_names(rng, industry_code, legal.astype(str), sole)
    numbers = np.empty(n, dtype=object)
    corp_idx = np.flatnonzero(~sole)
    numbers[corp_idx] = corporate_numbers(business_id[corp_idx])
    return Identity(
        business_id=business_id,
        industry=industry,
        industry_code=industry_code,
        prefecture_code=pref,
        sole=sole,
        legal_form=legal.astype(str),
        fiscal_year_end_month=fye.astype(np.int64),
        employees=employees,
        capital=capital,
        founded_mi=founded_mi,
        founded_day=founded_day,
        name=names,
        corporate_number=numbers,
    )
