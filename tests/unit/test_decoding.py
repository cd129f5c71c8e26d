"""Decoding a buyer's answer piece by piece, within the size cap, whatever it expands to."""

import gzip
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pickpost.infra.decoding import TOO_LARGE, BodyDecoder, Unreadable
from tests.unit.factories import NO_DB

LIMIT = 1000


def decode(encoding: str, body: bytes, piece: int = 7) -> bytes:
    decoder = BodyDecoder(encoding, LIMIT)
    for start in range(0, len(body), piece):
        decoder.feed(body[start : start + piece])
    return decoder.finish()


@NO_DB
@given(data=st.binary(max_size=LIMIT), piece=st.integers(1, 50))
def test_what_fits_decodes_to_itself_however_it_is_split(data: bytes, piece: int) -> None:
    assert decode("gzip", gzip.compress(data), piece) == data
    assert decode("deflate", zlib.compress(data), piece) == data
    assert decode("", data, piece) == data


@pytest.mark.parametrize("encoding", ["", "identity", "gzip", "deflate", "GZip "])
def test_an_empty_body_is_empty_whatever_its_encoding(encoding: str) -> None:
    assert decode(encoding, b"") == b""


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_bomb_is_stopped_at_the_cap_of_what_it_decodes_to(encoding: str) -> None:
    expanding = b" " * (LIMIT * 500)
    bomb = gzip.compress(expanding) if encoding == "gzip" else zlib.compress(expanding)
    assert len(bomb) < LIMIT  # small on the wire
    decoder = BodyDecoder(encoding, LIMIT)
    with pytest.raises(Unreadable, match=TOO_LARGE):
        decoder.feed(bomb)


def test_the_cap_holds_on_the_bytes_received_too() -> None:
    decoder = BodyDecoder("identity", LIMIT)
    decoder.feed(b"x" * LIMIT)
    with pytest.raises(Unreadable, match=TOO_LARGE):
        decoder.feed(b"x")


@pytest.mark.parametrize("encoding", ["br", "compress", "gzip, deflate", "x" * 100])
def test_an_unknown_encoding_is_unreadable(encoding: str) -> None:
    with pytest.raises(Unreadable, match="unsupported Content-Encoding"):
        BodyDecoder(encoding, LIMIT)


def test_broken_or_cut_compressed_data_is_unreadable() -> None:
    with pytest.raises(Unreadable, match="response is not valid deflate"):
        decode("deflate", b"not deflate at all")
    with pytest.raises(Unreadable, match="gzip response cut short"):
        decode("gzip", gzip.compress(b"a bid")[:-5])
