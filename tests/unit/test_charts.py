"""The console's SVG charts: round ticks that cover the data, one shape per value, tooltips
that name the label and the value, and nothing a label could inject."""

import itertools
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pickpost.api.charts import Series, chart, legend, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"


def money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


@given(st.lists(st.integers(-(10**9), 10**9), min_size=1, max_size=50))
def test_ticks_are_round_and_cover_every_value_and_zero(values: list[int]) -> None:
    ticks = nice_ticks(min(values), max(values))
    assert ticks[0] <= min([*values, 0])
    assert ticks[-1] >= max([*values, 0])
    steps = {b - a for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1
    step = steps.pop()
    assert re.fullmatch(r"[125]0*", str(step))
    assert len(ticks) <= 7


def test_ticks_of_nothing_still_make_an_axis() -> None:
    assert nice_ticks(0, 0) == [0, 1]


def parse(svg: str) -> ET.Element:
    # The chart is inlined in HTML, but it is well-formed XML: parse it as such.
    return ET.fromstring(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def test_bars_and_lines_have_one_shape_and_tooltip_per_value() -> None:
    labels = ["Mon", "Tue", "Wed"]
    revenue, profit = Series("Revenue", [1000, 2500, 0]), Series("Profit", [200, -100, 0])
    root = parse(chart(labels, revenue, [profit], title="Revenue and profit", value_text=money))
    bars = root.findall(f"{SVG}rect")
    dots = root.findall(f"{SVG}circle")
    assert len(bars) == 3
    assert len(dots) == 3
    tips = [r.find(f"{SVG}title").text for r in bars]  # type: ignore[union-attr]
    assert tips == ["Mon: Revenue $10.00", "Tue: Revenue $25.00", "Wed: Revenue $0.00"]
    assert dots[1].find(f"{SVG}title").text == "Tue: Profit $-1.00"  # type: ignore[union-attr]
    assert root.get("aria-label") == "Revenue and profit"


def test_a_higher_value_is_drawn_higher() -> None:
    root = parse(chart(["a", "b"], None, [Series("Leads", [5, 50])], title="t", value_text=str))
    first, second = root.findall(f"{SVG}circle")
    assert float(second.get("cy", 0)) < float(first.get("cy", 0))


def test_labels_and_names_are_escaped() -> None:
    svg = chart(["<b>"], Series('x"<script>', [1]), [], title="<t>", value_text=str)
    assert "<script>" not in svg
    assert "<b>" not in svg
    parse(svg)  # still well-formed
    assert "<script>" not in legend(Series("<script>", [1]), [])


def test_a_series_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="has 1 values"):
        chart(["a", "b"], Series("x", [1]), [], title="t", value_text=str)
