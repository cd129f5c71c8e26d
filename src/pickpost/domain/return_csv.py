"""Bulk returns from a CSV file (docs/returns.md): how the user maps its columns, and what
each row asks for. Rows are numbered as a spreadsheet shows them: the header is row 1."""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from pickpost.domain.fields import FieldError
from pickpost.domain.returns import KeyKind


@dataclass(frozen=True, slots=True)
class CsvMapping:
    """Which column holds the key, what kind of key it is, where each row's reason comes
    from (a column, or one ``reason`` for every row) and, for operators, which column names
    the buyer of a lead sold to several."""

    key_column: str
    key_kind: KeyKind
    key_field: str | None = None  # KeyKind.FIELD: the lead field the key is a value of
    reason_column: str | None = None
    reason: str | None = None
    buyer_column: str | None = None
    note: str = ""  # the note of every return opened

    def problems(self) -> list[FieldError]:
        """What is wrong with the mapping itself, whatever the file."""
        errors = []
        if not self.key_column.strip():
            errors.append(FieldError("key_column", "is required"))
        if (self.key_kind is KeyKind.FIELD) != bool(self.key_field):
            errors.append(FieldError("key_field", "is required with key_kind field, and only then"))
        if (self.reason_column is None) == (self.reason is None):
            errors.append(
                FieldError("reason_column", "give exactly one of reason_column or reason")
            )
        return errors

    def columns(self) -> dict[str, str]:
        """The mapping's parameter name of each column it names."""
        named = {
            "key_column": self.key_column,
            "reason_column": self.reason_column,
            "buyer_column": self.buyer_column,
        }
        return {parameter: column for parameter, column in named.items() if column is not None}


@dataclass(frozen=True, slots=True)
class Columns:
    """Where the mapped columns are in the file's rows."""

    key: int
    reason: int | None
    buyer: int | None


def locate(mapping: CsvMapping, header: Sequence[str]) -> Columns | list[FieldError]:
    """The mapped columns' positions in the header row (names compared trimmed)."""
    names = [name.strip() for name in header]
    errors = []
    found: dict[str, int] = {}
    for parameter, column in mapping.columns().items():
        count = names.count(column.strip())
        if count == 0:
            errors.append(FieldError(parameter, "no column of that name in the first row"))
        elif count > 1:
            errors.append(FieldError(parameter, "several columns have that name"))
        else:
            found[parameter] = names.index(column.strip())
    if errors:
        return errors
    return Columns(found["key_column"], found.get("reason_column"), found.get("buyer_column"))


@dataclass(frozen=True, slots=True)
class ReturnRow:
    """What one row asks: return the lead ``key`` names, bought by ``buyer_id`` if given."""

    number: int
    key: str
    reason: str
    buyer_id: str | None


class RowOutcome(StrEnum):
    MATCHED = "matched"  # a return was opened
    NOT_MATCHED = "not_matched"  # the key names no lead (that the user may see)
    FAILED = "failed"  # the row is incomplete, ambiguous, or the return was refused


@dataclass(frozen=True, slots=True)
class RowResult:
    row: int
    outcome: RowOutcome
    message: str  # never a value from the row: it may be personal
    problem: str | None = None  # the refusal's reason, e.g. "window_closed"
    lead_id: str | None = None
    return_id: int | None = None


def read_row(
    number: int, cells: Sequence[str], columns: Columns, mapping: CsvMapping
) -> ReturnRow | RowResult:
    """The row's request, or its failure when a value it needs is blank."""

    def cell(index: int | None) -> str:
        return cells[index].strip() if index is not None and index < len(cells) else ""

    key = cell(columns.key)
    reason = mapping.reason if mapping.reason is not None else cell(columns.reason)
    if any("\x00" in text for text in (key, reason, cell(columns.buyer))):
        return RowResult(number, RowOutcome.FAILED, "a value holds a NUL character", "nul")
    if not key:
        return RowResult(number, RowOutcome.FAILED, "the key is blank", "blank_key")
    if not reason.strip():
        return RowResult(number, RowOutcome.FAILED, "the reason is blank", "blank_reason")
    return ReturnRow(number, key, reason, cell(columns.buyer) or None)


@dataclass(frozen=True, slots=True)
class BulkReport:
    rows: Sequence[RowResult]

    def count(self, outcome: RowOutcome) -> int:
        return sum(1 for r in self.rows if r.outcome is outcome)
