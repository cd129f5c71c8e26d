"""An uploaded CSV file read as rows, streaming from its spool (stdlib ``csv``)."""

import csv
import io
from collections.abc import Iterator
from typing import BinaryIO


class CsvFile:
    """Rows of a seekable binary file of UTF-8 text (a byte order mark is skipped); each
    :meth:`rows` call reads it again from the start."""

    def __init__(self, binary: BinaryIO) -> None:
        self._binary = binary

    def rows(self) -> Iterator[list[str]]:
        """Raises ValueError where the bytes are not UTF-8 or the text is not CSV."""
        self._binary.seek(0)
        text = io.TextIOWrapper(self._binary, encoding="utf-8-sig", newline="")
        try:
            yield from csv.reader(text)
        except csv.Error as error:
            raise ValueError(str(error)) from None
        finally:
            text.detach()  # the upload owns the file: leave it open
