"""An uploaded file read as CSV rows (infra/csv_file.py): again from the start on each read,
a byte order mark skipped, and what is not UTF-8 CSV text a ValueError."""

import csv
import io

import pytest

from pickpost.infra.csv_file import CsvFile


def test_rows_are_read_again_from_the_start_and_the_file_stays_open() -> None:
    binary = io.BytesIO('\ufeffPhone,Why\r\n"(512) 555-0142","Wrong, number"\n\n'.encode())
    table = CsvFile(binary)
    first = list(table.rows())
    assert first == [["Phone", "Why"], ["(512) 555-0142", "Wrong, number"], []]
    assert list(table.rows()) == first
    assert not binary.closed


def test_bytes_that_are_not_utf8_are_a_value_error() -> None:
    rows = CsvFile(io.BytesIO(b"lead\nl_\xff\n")).rows()
    with pytest.raises(ValueError, match="utf-8"):
        list(rows)


def test_text_that_is_not_csv_is_a_value_error() -> None:
    huge = "x" * (csv.field_size_limit() + 1)
    rows = CsvFile(io.BytesIO(f'lead\n"{huge}"\n'.encode())).rows()
    with pytest.raises(ValueError, match="field larger than field limit"):
        list(rows)
