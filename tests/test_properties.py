"""Random input never gets past the validators as anything but the project's own refusal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kit import assessments, db, validate
from kit.errors import InvalidInput, KitError

from .conftest import scores_for

texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "1e9", "NaN", "-0", "０", "٣", "1_000", "0x10", "'; DROP TABLE scores; --", "\u202e12"]),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)


@given(raw=texts)
def test_number_returns_a_bounded_decimal_or_refuses(raw: str) -> None:
    refusal: InvalidInput | None = None
    try:
        value = validate.number(raw, field="f", label="得分", maximum=15)
    except InvalidInput as e:
        refusal = e
    if refusal is not None:
        assert set(refusal.errors) == {"f"}
        assert "得分" in refusal.errors["f"]
    else:
        assert value is not None
        assert Decimal(0) <= value <= 15
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)
        assert exponent >= -2


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(texts, min_size=3, max_size=3), note=st.text(max_size=3000))
def test_save_sheet_refuses_with_kit_errors_only_and_writes_nothing(
    office: dict[str, Any], table_counts: Any, values: list[str], note: str
) -> None:
    before = table_counts(office["db"])
    try:
        with db.write(office["db"], action="保存评分表") as con:
            assessments.save_sheet(
                con,
                scheme_id=office["scheme"],
                unit_id=office["a"],
                year=2024,
                scores=scores_for(office, *values),
                note=note,
            )
    except KitError:
        assert table_counts(office["db"]) == before
