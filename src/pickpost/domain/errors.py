"""The supplier API's error codes (docs/supplier-api.md): extend, never renumber."""

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from pickpost.domain.fields import FieldError


class Status(StrEnum):
    ACCEPTED = "ACCEPTED"
    DUPLICATED = "DUPLICATED"
    ERROR = "ERROR"


class Code(IntEnum):
    OK = 0
    MALFORMED = 1000
    MISSING_PARAMETER = 1001
    UNAUTHORIZED = 1002
    FORBIDDEN = 1003
    VALIDATION = 1004
    FILTERED = 1005
    CAPPED = 1006
    DUPLICATE = 1008  # Lead Prosper's code (earlier versions of Pickpost answered 1007)
    UNKNOWN_PING = 1010
    PING_EXPIRED = 1011
    INVALID_BID_SELECTION = 1013
    POST_IN_PROGRESS = 1014
    THIRD_PARTY_VALIDATION = 1015
    # The Pick recorded by Pickpost (docs/consent.md, "The pick widget").
    PICK_MISMATCH = 1016  # the POST's lp_consent_bids is not the recorded pick (set or order)
    PICK_REQUIRED = 1017  # the campaign requires a recorded pick and the ping has none
    PICK_TOKEN = 1018  # pick endpoints: the token is unknown, expired or used
    WRONG_ENDPOINT = 1020
    ARCHIVED = 1021  # the campaign takes no more leads; its history is kept
    NOT_FOUND = 1030  # admin API: no such lead, ping, campaign, buyer or supplier
    NOT_PERMITTED = 1031  # admin API: the caller's role may not do this (e.g. an analyst pausing)
    # Returns (docs/returns.md).
    NOT_RETURNABLE = 1040  # the buyer did not buy this lead (its sale is not sold)
    RETURN_WINDOW_CLOSED = 1041  # past the campaign's window, or it accepts no returns
    RETURN_REASON = 1042  # not one of the campaign's reasons
    ALREADY_RETURNED = 1043  # this sale has a return already
    ALREADY_DECIDED = 1044  # the return was approved or rejected already
    TOO_LARGE = 1045  # an upload past its size or row limit
    # The server is past what it can answer in time: refused at once, retry after Retry-After.
    OVERLOADED = 1090
    INTERNAL = 1099
    NO_BIDS = 2001
    NOT_SOLD = 2002
    SALE_UNKNOWN = 2003  # nothing confirmed sold, and a buyer may have bought the lead

    @property
    def http_status(self) -> int:
        return _HTTP_STATUS.get(self, 200)

    @property
    def status(self) -> Status:
        if self is Code.OK:
            return Status.ACCEPTED
        if self is Code.DUPLICATE:
            return Status.DUPLICATED
        return Status.ERROR


_HTTP_STATUS = {
    Code.MALFORMED: 400,
    Code.MISSING_PARAMETER: 400,
    Code.UNAUTHORIZED: 401,
    Code.FORBIDDEN: 403,
    # 403 like a paused campaign, not 410: `pickpost campaigns restore` undoes an archive.
    Code.ARCHIVED: 403,
    Code.VALIDATION: 400,
    Code.CAPPED: 429,
    Code.UNKNOWN_PING: 404,
    Code.PING_EXPIRED: 410,
    Code.INVALID_BID_SELECTION: 400,
    Code.POST_IN_PROGRESS: 409,
    Code.PICK_MISMATCH: 409,
    Code.PICK_REQUIRED: 409,
    Code.PICK_TOKEN: 410,
    Code.WRONG_ENDPOINT: 400,
    Code.NOT_FOUND: 404,
    Code.NOT_PERMITTED: 403,
    Code.NOT_RETURNABLE: 409,
    Code.RETURN_WINDOW_CLOSED: 409,
    Code.RETURN_REASON: 400,
    Code.ALREADY_RETURNED: 409,
    Code.ALREADY_DECIDED: 409,
    Code.TOO_LARGE: 413,
    Code.OVERLOADED: 503,
    Code.INTERNAL: 500,
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """A request refused before (or instead of) selling: the error envelope's content."""

    code: Code
    message: str
    errors: tuple[FieldError, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # e.g. Retry-After on 1006
