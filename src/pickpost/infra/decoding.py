"""A buyer's compressed answer, inflated a piece at a time and never past a size cap.

aiohttp's own decompression inflates whatever arrives, all at once, on the event loop: a 200 KB
gzip body that expands to 200 MB froze the loop and the server's memory with it. Here each piece
read from the socket is inflated only as far as the cap allows, so the work and the memory are
bounded by the cap, whatever the ratio.
"""

import zlib

ACCEPT_ENCODING = "gzip, deflate"  # what buyers are told they may use: what is decoded here
# gzip framing, and for ``deflate`` the zlib framing RFC 9110 gives it.
_WINDOW_BITS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class Unreadable(ValueError):
    """The body cannot be had: too large, in an unknown encoding, or broken compressed data."""


TOO_LARGE = "response too large"


class BodyDecoder:
    """Feed the raw body piece by piece; ``finish`` gives the decoded body.

    ``limit`` holds for the bytes received and for the bytes they decode to.
    """

    def __init__(self, content_encoding: str, limit: int) -> None:
        encoding = content_encoding.strip().lower()
        if encoding not in ("", "identity", *_WINDOW_BITS):
            raise Unreadable(f"unsupported Content-Encoding {encoding[:20]!r}")
        self._encoding = encoding
        self._limit = limit
        self._received = 0
        self._body = bytearray()
        bits = _WINDOW_BITS.get(encoding)
        self._inflater = None if bits is None else zlib.decompressobj(bits)

    def feed(self, data: bytes) -> None:
        self._received += len(data)
        if self._received > self._limit:
            raise Unreadable(TOO_LARGE)
        if self._inflater is None:
            self._body += data
            return
        try:
            # One byte over the cap is enough to know the answer is too large.
            self._body += self._inflater.decompress(data, self._limit - len(self._body) + 1)
        except zlib.error:
            raise Unreadable(f"response is not valid {self._encoding}") from None
        if len(self._body) > self._limit:
            raise Unreadable(TOO_LARGE)

    def finish(self) -> bytes:
        """The decoded body; an empty body needs no decoding, whatever its header says."""
        if self._inflater is not None and self._received and not self._inflater.eof:
            raise Unreadable(f"{self._encoding} response cut short")
        return bytes(self._body)
