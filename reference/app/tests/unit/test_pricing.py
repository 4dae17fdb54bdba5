from __future__ import annotations

import pytest

from shopfront.pricing import Line, subtotal, total


def test_subtotal_multiplies_price_by_quantity() -> None:
    assert subtotal([Line("A", 250, 2), Line("B", 100, 1)]) == 600


def test_discount_rounds_half_up() -> None:
    assert total([Line("A", 5, 1)], discount_percent=10) == 4


def test_discount_outside_range_is_refused() -> None:
    with pytest.raises(ValueError, match="0..100"):
        total([], discount_percent=101)
