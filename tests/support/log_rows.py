"""Log rows for tests that write logs through a store directly: pings with their buyer
calls, and supplier requests."""

import time
from dataclasses import replace

from pickpost.domain.bids import OfferedBid
from pickpost.domain.lead import PingLog, RequestLog
from pickpost.domain.outcomes import BuyerCall, CallStep, Exchange, Outcome
from pickpost.domain.ping import PingRecord


def log_rows(pings: int = 1) -> tuple[list[PingLog], list[RequestLog]]:
    """``pings`` pings of four buyer calls each, and two supplier requests."""
    now = time.time()
    bid = OfferedBid("b_1", "buyer-a", 1250, 1500, "Buyer A LLC", "t-1", {"tier": 2})
    record = PingRecord(
        "p_1", "100", "7", "r_1", now, now + 60, False, {"zip": "78701", "n": None},
        {"zip": "78701"}, (bid,), 2,
    )  # fmt: skip
    sent = Exchange({"Content-Type": "application/json", "Authorization": "x"}, b'{"a":1}')
    ping = CallStep.PING
    calls = (
        BuyerCall(
            "buyer-a", ping, "http://a/ping", Outcome.BID, "", now, 12.3456789, 200,
            1500, sent.answered({"Server": "s"}, b'{"bid":{"price":15}}'),
        ),
        BuyerCall.unanswered("buyer-b", ping, "http://b/ping", Outcome.SKIPPED, "paused", now),
        BuyerCall("buyer-c", ping, "http://c", Outcome.TIMEOUT, "cut", now, 80.0, exchange=sent),
        # A whole second: SQLAlchemy still writes its six digits of microseconds.
        BuyerCall.unanswered("buyer-d", ping, "http://d", Outcome.ERROR, "", float(int(now))),
    )  # fmt: skip
    requests = [
        RequestLog("r_1", "/ping", now, 9.87654, 200, 0, "100", "7", "p_1", None, "127.0.0.1",
                   {"zip": "78701"}, {"status": "ACCEPTED", "bids": []}),
        RequestLog("r_2", "/ping", now, 1.0, 400, 1000, None, None, None, None, None, {}, {}),
    ]  # fmt: skip
    copies = [replace(record, ping_id=f"p_{n}", request_id=f"r_{n}") for n in range(2, pings + 1)]
    return [PingLog(r, calls) for r in (record, *copies)], requests
