"""How the console writes numbers and draws a report's series; masked configuration."""

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from pickpost.api.console.config_view import MASK, as_yaml, masked
from pickpost.api.console.figures import count, figures, money, percent, steps
from pickpost.domain.reports import Grouping, Report, ReportQuery, ReportRow, Tally
from pickpost.domain.workspace import SupplierConfig


def test_money_is_exact_from_cents() -> None:
    assert money(123456789) == "$1,234,567.89"
    assert money(-5) == "-$0.05"
    assert money(0) == "$0.00"
    assert money(None) == "—"
    assert percent(0.1234) == "12.3%"
    assert percent(None) == "—"
    assert count(12345) == "12,345"


def test_a_day_has_every_local_hour_even_when_clocks_change() -> None:
    chicago = ZoneInfo("America/Chicago")
    ordinary = ReportQuery(date(2026, 11, 27), date(2026, 11, 27), chicago)
    assert len(steps(ordinary, Grouping.HOUR)) == 24
    fall_back = ReportQuery(date(2026, 11, 1), date(2026, 11, 1), chicago)
    hours = steps(fall_back, Grouping.HOUR)
    assert len(hours) == 25  # 01:00 twice, told apart by the offset
    assert hours[1] == "2026-11-01T01:00:00-05:00"
    assert hours[2] == "2026-11-01T01:00:00-06:00"
    week = ReportQuery(date(2026, 11, 21), date(2026, 11, 27), chicago)
    assert steps(week, Grouping.DAY)[0] == "2026-11-21"
    assert len(steps(week, Grouping.DAY)) == 7


def test_the_charts_fill_empty_days_and_tabulate_every_value() -> None:
    query = ReportQuery(date(2026, 11, 25), date(2026, 11, 27), ZoneInfo("UTC"))
    sold = Tally(leads=3, sold=2, revenue_cents=9000, cost_cents=7000)
    series = Report([ReportRow({"day": "2026-11-26"}, sold)], sold)
    money_figure, leads_figure = figures(query, Grouping.DAY, series)
    assert money_figure.columns == ["Day", "Revenue", "Cost", "Profit"]
    assert money_figure.rows == [
        ["11-25", "$0.00", "$0.00", "$0.00"],
        ["11-26", "$90.00", "$70.00", "$20.00"],
        ["11-27", "$0.00", "$0.00", "$0.00"],
    ]
    assert leads_figure.rows[1] == ["11-26", "3", "2"]
    assert money_figure.svg.count('class="bar series-0"') == 3
    assert 'class="line series-1"' in money_figure.svg
    assert 'class="swatch series-2"' in money_figure.legend


def test_secrets_are_masked_in_the_configuration() -> None:
    document = {
        "key_sha256": "ab" * 32,
        "mapping": {
            "ping": {
                "url": "https://user:pw@buyer.example/ping?api_key=s3cret&zip=1",
                "headers": {"Authorization": "Bearer s3cret", "X-Plain": "also hidden"},
            }
        },
        "additional_data": {"partner_token": "s3cret", "display_name": "Shown"},
    }
    shown = masked(document)
    assert "s3cret" not in str(shown)
    assert "pw@" not in str(shown)
    assert shown["key_sha256"] == MASK
    assert shown["additional_data"]["display_name"] == "Shown"
    assert "zip=1" in shown["mapping"]["ping"]["url"]
    supplier = SupplierConfig(id="7", name="Acme", key="a-secret-supplier-key").hashed()
    text = as_yaml(supplier)
    assert "a-secret-supplier-key" not in text
    assert supplier.key_sha256 is not None
    assert supplier.key_sha256 not in text
    assert "name: Acme" in text


def test_yaml_numbers_read_as_the_file_wrote_them() -> None:
    supplier = SupplierConfig.model_validate(
        {"id": "7", "key": "a-secret-supplier-key", "min_buyer_bid": Decimal("12.50")}
    )
    assert "min_buyer_bid: 12.5\n" in as_yaml(supplier)
