from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kizashi.domain.corporate_number import (
    CorporateNumberError,
    check_digit,
    make_corporate_number,
    normalize_corporate_number,
)


def test_published_example():
    # 国税庁's own 法人番号 (7000012050002): check digit 7 for base 000012050002
    assert check_digit("000012050002") == 7
    assert (
        normalize_corporate_number("７０００－０１２０５－０００２".replace("－", "-"))
        == "7000012050002"
    )


@pytest.mark.parametrize(
    "bad", ["700001205000", "70000120500021", "700001205000X", "1000012050002", ""]
)
def test_rejects(bad):
    with pytest.raises(CorporateNumberError):
        normalize_corporate_number(bad)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_generated_numbers_validate(base):
    assert normalize_corporate_number(make_corporate_number(base)) == make_corporate_number(base)


@given(
    st.text(alphabet="0123456789", min_size=12, max_size=12), st.integers(0, 11), st.integers(1, 9)
)
def test_a_single_changed_digit_is_caught_unless_it_keeps_the_sum_mod_9(base, pos, delta):
    good = make_corporate_number(base)
    digits = list(good)
    digits[pos + 1] = str((int(digits[pos + 1]) + delta) % 10)
    changed = "".join(digits)
    weight = 1 if (12 - pos) % 2 else 2  # position counted from the right of the base
    diff = (int(changed[pos + 1]) - int(good[pos + 1])) * weight
    if diff % 9:
        with pytest.raises(CorporateNumberError):
            normalize_corporate_number(changed)
