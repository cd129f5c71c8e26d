"""A day of traffic over the stored campaigns, as the live path would have left it in the
ledger: pings with their bids and buyer calls, POSTs and Direct Posts with consent and sales,
the supplier request log, returns, and the traffic counts of the pings.

Pure: the bids are shaped, the sales limited and the answers written by the same domain and
service code the live path runs; only the buyers' answers are drawn at random, from a
``random.Random`` seeded per day, so a seed and a clock give the same history every time.
"""

import base64
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from pickpost.domain.bids import OfferedBid, RawBid
from pickpost.domain.catalog import Campaign, Catalog
from pickpost.domain.consent import collect_evidence
from pickpost.domain.errors import Code
from pickpost.domain.fields import Requirement, Step, validate_lead
from pickpost.domain.ids import iso_utc
from pickpost.domain.lead import (
    ConsentRecord,
    LeadStatus,
    NewLead,
    RequestLog,
    SaleAttempt,
    SaleStatus,
    StoredOutcome,
)
from pickpost.domain.outcomes import BuyerCall, CallStep, Outcome
from pickpost.domain.ping import PingRecord
from pickpost.domain.pricing import price_for
from pickpost.domain.reports import (
    BID,
    CALL,
    ERROR,
    NO_BID,
    PING,
    PING_WITH_BIDS,
    REFUSED,
    TIMEOUT,
)
from pickpost.domain.shaping import shape_bids
from pickpost.domain.workspace import BuyerConfig, CampaignType, SupplierConfig
from pickpost.seed.people import person
from pickpost.seed.shape import Shape
from pickpost.services.ping import bid_json
from pickpost.services.replies import (
    Attempt,
    Offer,
    Reply,
    SaleResult,
    SaleSummary,
    envelope,
    ping_reply,
    sale_reply,
)
from pickpost.services.selling import response_fields, shown

TEST_SHARE = 0.03  # leads a live supplier marks as test
POST_RATE = 0.6  # pings with bids whose POST follows
PING_YIELD = 0.5  # about the leads a ping campaign makes per ping
REFUSED_SHARE = 0.02  # requests refused for a missing field
RETURN_SHARE = 0.04  # sold sales a buyer returns
RETURN_REASONS = ("bad phone number", "duplicate", "not interested", "wrong state", "fraud")
REJECT_REASONS = ("duplicate in buyer system", "outside service area", "phone failed check")
BUCKET_S = 900  # traffic counts go into 15-minute UTC buckets, as the rollups keep them

# The traffic_rollups metrics, the very names the live path counts under (domain/reports.py).
BUYER_METRICS = {
    Outcome.BID: BID,
    Outcome.NO_BID: NO_BID,
    Outcome.TIMEOUT: TIMEOUT,
    Outcome.ERROR: ERROR,
}


@dataclass(frozen=True, slots=True)
class CallBodies:
    """What a buyer call sent and got back, secrets redacted; personal values are in clear
    until the writer seals them."""

    request_headers: dict[str, str]
    request_body: dict[str, object]  # the lead's fields under "lead", sealed when written
    response_headers: dict[str, str] | None
    response_body: dict[str, object] | None


@dataclass(frozen=True, slots=True)
class SeededCall:
    call: BuyerCall
    campaign_id: str
    ping_id: str | None
    lead_id: str | None
    bodies: CallBodies


@dataclass(frozen=True, slots=True)
class SeededSale:
    attempt: SaleAttempt
    status: SaleStatus
    reason: str
    finished_at: float


@dataclass(frozen=True, slots=True)
class SeededLead:
    lead: NewLead
    consent: ConsentRecord
    outcome: StoredOutcome
    payout: int
    finished_at: float


@dataclass(frozen=True, slots=True)
class SeededReturn:
    lead_id: str
    buyer_id: str
    reason: str
    status: str  # open, approved, rejected
    opened_at: float
    decided_at: float | None
    credit_cents: int
    chargeback_cents: int


@dataclass(slots=True)
class Tally:
    count: int = 0
    sum_cents: int = 0
    sum_ms: float = 0.0


# bucket (epoch seconds), campaign, supplier, buyer ('' for the supplier's side), test, metric
TrafficKey = tuple[float, str, str, str, bool, str]


@dataclass(slots=True)
class DayHistory:
    day: date
    pings: list[PingRecord] = field(default_factory=list)
    leads: list[SeededLead] = field(default_factory=list)
    sales: list[SeededSale] = field(default_factory=list)
    calls: list[SeededCall] = field(default_factory=list)
    requests: list[RequestLog] = field(default_factory=list)
    returns: list[SeededReturn] = field(default_factory=list)
    traffic: dict[TrafficKey, Tally] = field(default_factory=dict)

    def count(self, key: TrafficKey, cents: int = 0, ms: float = 0.0) -> None:
        tally = self.traffic.setdefault(key, Tally())
        tally.count += 1
        tally.sum_cents += cents
        tally.sum_ms += ms


@dataclass(frozen=True, slots=True)
class _Buyer:
    """How a simulated buyer behaves, drawn once per buyer from its id."""

    bid_rate: float
    accept_rate: float
    center_cents: int
    latency_ms: float


class History:
    """Days of traffic over ``catalog``'s served campaigns, between ``start`` and ``now``."""

    def __init__(self, catalog: Catalog, shape: Shape, seed: int, now: float) -> None:
        self._campaigns = [
            c
            for _, c in sorted(catalog.campaigns.items())
            if not c.archived and c.suppliers and c.buyers
        ]
        self._shape = shape
        self._seed = seed
        self._now = now
        self._habits: dict[tuple[str, str], _Buyer] = {}
        self._normal: dict[tuple[str, str, object], object] = {}

    def days(self, days: int, batch: int = 20_000) -> Iterator[DayHistory]:
        """The history of the last ``days`` days, oldest first, one local day at a time, in
        batches of at most ``batch`` supplier requests (memory stays bounded)."""
        start = self._now - days * 86400
        for day in self._shape.days(start, self._now):
            yield from self.day(day, start, batch)

    def day(self, day: date, start: float, batch: int = 20_000) -> Iterator[DayHistory]:
        """The batches of local ``day``'s traffic that falls between ``start`` and now."""
        rng = random.Random(f"{self._seed}:{day.isoformat()}")
        if not self._campaigns:
            return
        wanted = self._shape.volume(day, rng)
        # A ping campaign needs more pings than leads: some get no bid, some are not posted.
        weights = [
            1.0 if c.config.type is CampaignType.DIRECT_POST else 1 / PING_YIELD
            for c in self._campaigns
        ]
        events = round(wanted * sum(weights) / len(weights))
        # Ids come from their own stream, seeded by the clock too: the same seed appended twice
        # writes the same traffic under new ids.
        ids = random.Random(f"{self._seed}:{day.isoformat()}:{self._now}")
        history = DayHistory(day)
        done = 0
        for moment in self._shape.moments(day, events, rng):
            if not start <= moment <= self._now:
                continue
            campaign = rng.choices(self._campaigns, weights)[0]
            _Event(self, campaign, moment, (rng, ids), history).run()
            done += 1
            if done % batch == 0:
                yield history
                history = DayHistory(day)
        if done % batch:
            yield history

    def buyer(self, campaign: Campaign, buyer: BuyerConfig) -> _Buyer:
        """How ``buyer`` bids and buys in ``campaign``: the same for every day of a seed."""
        key = (campaign.id, buyer.id)
        habits = self._habits.get(key)
        if habits is None:
            rng = random.Random(f"{self._seed}:{campaign.id}:{buyer.id}")
            habits = self._habits[key] = _Buyer(
                bid_rate=rng.uniform(0.35, 0.85),
                accept_rate=rng.uniform(0.7, 0.95),
                center_cents=rng.randrange(1500, 6000, 25),
                latency_ms=rng.uniform(60, 250),
            )
        return habits

    def validated(self, campaign: Campaign, raw: dict[str, object]) -> dict[str, object]:
        """``raw`` as the POST step validates it, field by field (remembered: the fake values
        repeat, and validating is most of a seeded lead's cost); invalid values are left out."""
        values: dict[str, object] = {}
        for spec in campaign.fields:
            value = raw.get(spec.name)
            step = Step.POST if spec.post is not None else Step.PING
            if value is None or spec.requirement(step) is None:
                continue
            key = (campaign.id, spec.name, value)
            if key not in self._normal:
                checked = validate_lead((spec,), {spec.name: value}, step).values
                if len(self._normal) > 500_000:
                    self._normal.clear()
                self._normal[key] = checked.get(spec.name)
            normal = self._normal[key]
            if normal is not None:
                values[spec.name] = normal
        return values

    @property
    def now(self) -> float:
        return self._now


def new_id(prefix: str, rng: random.Random) -> str:
    """An id of the live path's form (``domain/ids.py``), drawn from ``rng``."""
    raw = rng.getrandbits(128).to_bytes(16, "big")
    return f"{prefix}_{base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}"


def _url(buyer: BuyerConfig, step: CallStep) -> str:
    url = buyer.ping_url if step is CallStep.PING else buyer.post_url
    return str(url) if url else f"https://{buyer.id}.buyer.example/{step.value}"


def _pings(buyer: BuyerConfig) -> bool:
    return buyer.ping_url is not None or (
        buyer.mapping is not None and buyer.mapping.ping is not None
    )


_HEADERS = {"content-type": "application/json", "authorization": "[redacted]"}
_ANSWER_HEADERS = {"content-type": "application/json", "server": "buyer-api"}


class _Event:
    """One supplier request and everything it leaves behind."""

    def __init__(
        self,
        history: History,
        campaign: Campaign,
        at: float,
        streams: tuple[random.Random, random.Random],  # the traffic's, and the ids'
        day: DayHistory,
    ) -> None:
        self.h, self.c, self.at, self.day = history, campaign, at, day
        self.rng, self.ids = streams
        rng = self.rng
        self.bucket = float(math.floor(at / BUCKET_S) * BUCKET_S)
        suppliers = sorted(campaign.suppliers.values(), key=lambda s: s.id)
        self.supplier: SupplierConfig = rng.choice(suppliers)
        self.test = self.supplier.mode == "test" or rng.random() < TEST_SHARE

    def run(self) -> None:
        c, rng = self.c, self.rng
        raw = person(c.fields, rng)
        direct = c.config.type is CampaignType.DIRECT_POST
        endpoint = "direct_post" if direct else "ping"
        if rng.random() < REFUSED_SHARE:
            missing = next((s.name for s in c.fields if s.post is Requirement.REQUIRED), "phone")
            raw.pop(missing, None)
            self.refused(endpoint, raw, Code.VALIDATION, f"field validation failed: {missing}")
            return
        values = self.h.validated(c, raw)
        if not all(rule.passes(values) for rule in c.config.filters):
            self.refused(endpoint, raw, Code.FILTERED, "lead refused by campaign filters")
            return
        if direct:
            self.direct_post(values)
        else:
            self.ping(values)

    def request(
        self,
        endpoint: str,
        at: float,
        ms: float,
        sent: dict[str, object],
        reply: Reply,
        ping_id: str | None = None,
        lead_id: str | None = None,
        request_id: str | None = None,
    ) -> None:
        request_id = request_id or new_id("r", self.ids)
        self.day.requests.append(
            RequestLog(
                request_id=request_id,
                endpoint=endpoint,
                received_at=at,
                duration_ms=round(ms, 3),
                http_status=reply.code.http_status,
                code=int(reply.code),
                campaign_id=self.c.id,
                supplier_id=self.supplier.id,
                ping_id=ping_id,
                lead_id=lead_id,
                remote_addr=f"198.51.100.{self.rng.randrange(1, 255)}",
                request={"lp_campaign_id": self.c.id, "lp_supplier_id": self.supplier.id, **sent},
                response=envelope(reply, request_id),
            )
        )

    def refused(self, endpoint: str, sent: dict[str, object], code: Code, message: str) -> None:
        self.request(endpoint, self.at, self.rng.uniform(1, 4), sent, Reply(code, message))
        self.count("", f"{REFUSED}{endpoint}:{int(code)}")

    def count(self, buyer_id: str, metric: str, cents: int = 0, ms: float = 0.0) -> None:
        key = (self.bucket, self.c.id, self.supplier.id, buyer_id, self.test, metric)
        self.day.count(key, cents, ms)

    # --- PING and POST --------------------------------------------------------------------

    def ping(self, values: dict[str, object]) -> None:
        c, rng, supplier = self.c, self.rng, self.supplier
        asked = {spec.name for spec in c.fields if spec.ping is not None}
        ping_values = {name: value for name, value in values.items() if name in asked}
        ping_id, request_id = new_id("p", self.ids), new_id("r", self.ids)
        raw_bids: list[RawBid] = []
        slowest, pinged = 0.0, 0
        for buyer in sorted(c.buyers.values(), key=lambda b: b.id):
            if buyer.paused or not all(rule.passes(ping_values) for rule in buyer.filters):
                continue
            if not _pings(buyer):
                price = price_for(buyer.price, ping_values) if buyer.price else None
                if price:
                    raw_bids.append(RawBid(buyer.id, price, buyer.tcpa_entity_name))
                continue
            bid, latency = self.ping_buyer(buyer, ping_values, ping_id, None)
            slowest, pinged = max(slowest, latency), pinged + 1
            if bid is not None:
                raw_bids.append(bid)
        floor = supplier.min_buyer_bid_cents
        offered = shape_bids(
            [bid for bid in raw_bids if bid.price >= floor],
            c.shaping,
            lambda buyer_id: c.margin_for(buyer_id, supplier),
            lambda: new_id("b", self.ids),
            c.penalty_of,
        )
        ms = slowest + rng.uniform(3, 12)
        record = PingRecord(
            ping_id=ping_id,
            campaign_id=c.id,
            supplier_id=supplier.id,
            request_id=request_id,
            created_at=self.at,
            expires_at=self.at + c.config.ping_ttl_s,
            test=self.test,
            lead=dict(ping_values),
            ping_values=ping_values,
            bids=tuple(offered),
            buyers_pinged=pinged,
        )
        offer = Offer(
            ping_id=ping_id,
            expires_at=iso_utc(record.expires_at),
            bids=[bid_json(b) for b in offered],
            buyers_pinged=record.buyers_pinged,
            execution_ms=round(ms),
        )
        reply = ping_reply(c.policy, offer)
        self.request("ping", self.at, ms, dict(ping_values), reply, ping_id, None, request_id)
        self.day.pings.append(record)
        self.count("", PING)
        if offered:
            self.count("", PING_WITH_BIDS)
        if offered and rng.random() < POST_RATE:
            self.post(record, values)

    def ping_buyer(
        self,
        buyer: BuyerConfig,
        values: dict[str, object],
        ping_id: str | None,
        lead_id: str | None,
    ) -> tuple[RawBid | None, float]:
        """Ping one buyer (for a PING, or to price a Direct Post lead): its bid and latency."""
        rng, habits = self.rng, self.h.buyer(self.c, buyer)
        latency = min(rng.lognormvariate(math.log(habits.latency_ms), 0.5), buyer.timeout_ms * 2)
        draw = rng.random()
        price: int | None = None
        token: str | None = None
        answer: dict[str, object] | None
        sent: dict[str, object] = {"test": self.test, "lead": values}
        if draw < 0.02 or latency > buyer.timeout_ms:
            latency = float(buyer.timeout_ms)
            outcome, status, reason, answer = (
                Outcome.TIMEOUT,
                None,
                f"no answer within {buyer.timeout_ms} ms",
                None,
            )
        elif draw < 0.03:
            outcome, status, reason = Outcome.ERROR, 502, "HTTP 502"
            answer = {"error": "bad gateway"}
        elif draw < 0.03 + habits.bid_rate:
            price = max(
                100, round(rng.gauss(habits.center_cents, habits.center_cents * 0.2) / 25) * 25
            )
            outcome, status, reason = Outcome.BID, 200, ""
            token = f"tok-{rng.getrandbits(40):010x}"
            answer = {"bid": True, "price": price / 100, "token": token}
        else:
            outcome, status, reason = Outcome.NO_BID, 200, "no bid"
            answer = {"bid": False}
        call = BuyerCall(
            buyer_id=buyer.id,
            step=CallStep.PING,
            url=_url(buyer, CallStep.PING),
            outcome=outcome,
            reason=reason,
            started_at=self.at + rng.uniform(0.001, 0.004),
            latency_ms=round(latency, 3),
            status_code=status,
            price_cents=price,
        )
        bodies = CallBodies(
            _HEADERS,
            sent,
            None if answer is None else _ANSWER_HEADERS,
            answer,
        )
        self.day.calls.append(SeededCall(call, self.c.id, ping_id, lead_id, bodies))
        self.count(buyer.id, CALL, ms=latency)
        self.count(buyer.id, BUYER_METRICS[outcome], cents=price or 0)
        bid = None
        if price is not None:
            bid = RawBid(buyer.id, price, buyer.tcpa_entity_name, token, latency_ms=latency)
        return bid, latency

    def post(self, record: PingRecord, values: dict[str, object]) -> None:
        c, rng, policy = self.c, self.rng, self.c.policy
        at = self.at + min(rng.lognormvariate(math.log(40), 0.8), c.config.ping_ttl_s * 0.9)
        if at > self.h.now:
            return
        offered = list(record.bids)
        picked: list[str] = []
        if policy.pick_field is not None:
            wanted = min(len(offered), rng.choices((1, 2, 3), (5, 3, 2))[0])
            chosen = sorted(rng.sample(offered, wanted), key=offered.index)
            picked = [b.bid_id for b in chosen]
        else:
            quoted = offered[0].price
            tried = offered if policy.fallback else offered[:1]
            chosen = [replace(b, price=min(b.price, quoted)) for b in tried]
        fields = {**record.lead, **values}
        lead = NewLead(
            lead_id=new_id("l", self.ids),
            campaign_id=c.id,
            supplier_id=self.supplier.id,
            ping_id=record.ping_id,
            request_id=new_id("r", self.ids),
            created_at=at,
            test=self.test,
            fields=fields,
        )
        consent = ConsentRecord(
            lead_id=lead.lead_id,
            ping_id=record.ping_id,
            consented_at=at,
            bids_shown=[shown(b) for b in offered],
            bids_picked=[shown(b) for b in chosen],
            evidence=collect_evidence(fields),
        )
        attempts, ended = self.sell(lead, chosen, values)
        summary = SaleSummary(
            policy=policy,
            lead_id=lead.lead_id,
            attempts=attempts,
            total_bids=len(offered),
            max_bid_price=record.max_bid_price,
            picked=len(picked),
            execution_ms=round((ended - at) * 1000),
        )
        sent = {"lp_ping_id": record.ping_id, **fields}
        if picked:
            sent[policy.pick_field or ""] = picked
        self.finish(lead, consent, summary, ended, "post", sent)

    def direct_post(self, values: dict[str, object]) -> None:
        c, supplier = self.c, self.supplier
        lead = NewLead(
            lead_id=new_id("l", self.ids),
            campaign_id=c.id,
            supplier_id=supplier.id,
            ping_id=None,
            request_id=new_id("r", self.ids),
            created_at=self.at,
            test=self.test,
            fields=values,
        )
        priced: list[OfferedBid] = []
        for buyer in sorted(c.buyers.values(), key=lambda b: b.id):
            if buyer.paused or not all(rule.passes(values) for rule in buyer.filters):
                continue
            if buyer.price is not None:
                price = price_for(buyer.price, values)
            else:
                bid, _ = self.ping_buyer(buyer, values, None, lead.lead_id)
                price = bid.price if bid else None
            if not price:
                continue
            fixed = price_for(supplier.payout, values) if supplier.payout else None
            payout = fixed if fixed is not None else c.margin_for(buyer.id, supplier).apply(price)
            if 0 < payout <= price:
                priced.append(
                    OfferedBid(
                        new_id("b", self.ids), buyer.id, payout, price, buyer.tcpa_entity_name
                    )
                )
        priced.sort(key=lambda b: -b.buyer_price)
        consent = ConsentRecord(
            lead_id=lead.lead_id,
            ping_id=None,
            consented_at=self.at,
            bids_shown=[],
            bids_picked=[],
            evidence=collect_evidence(values),
        )
        attempts, ended = self.sell(lead, priced, values)
        summary = SaleSummary(
            policy=c.policy,
            lead_id=lead.lead_id,
            attempts=attempts,
            buyers_priced=len(priced),
            execution_ms=round((ended - self.at) * 1000),
        )
        self.finish(lead, consent, summary, ended, "direct_post", dict(values))

    def sell(
        self, lead: NewLead, bids: Sequence[OfferedBid], values: dict[str, object]
    ) -> tuple[list[Attempt], float]:
        """Attempt ``bids`` in order until the campaign's sell limit; when it all ended."""
        c, rng, policy = self.c, self.rng, self.c.policy
        attempts: list[Attempt] = []
        clock = lead.created_at + rng.uniform(0.002, 0.01)
        for bid in bids:
            if policy.sell_limit is not None and (
                sum(a.may_have_sold for a in attempts) >= policy.sell_limit
            ):
                if policy.limit_reason is not None:
                    attempts.append(
                        Attempt(
                            bid.bid_id,
                            bid.buyer_id,
                            bid.tcpa_entity_name,
                            SaleResult.REJECTED,
                            policy.limit_reason,
                        )
                    )
                continue
            buyer = c.buyers[bid.buyer_id]
            habits = self.h.buyer(c, buyer)
            latency = rng.lognormvariate(math.log(habits.latency_ms * 2), 0.5)
            draw = rng.random()
            answer: dict[str, object] | None
            if draw < 0.004:
                latency = float(buyer.post_timeout_ms)
                status, outcome, reason, code = (
                    SaleStatus.UNKNOWN,
                    Outcome.TIMEOUT,
                    "unknown: buyer timeout: no answer in time",
                    None,
                )
                result, answer = SaleResult.UNKNOWN, None
            elif draw < 0.014:
                status, outcome, reason, code = (
                    SaleStatus.ERROR,
                    Outcome.ERROR,
                    "buyer error: HTTP 500",
                    500,
                )
                result, answer = SaleResult.REJECTED, {"error": "internal error"}
            elif draw < 0.014 + habits.accept_rate:
                status, outcome, reason, code = SaleStatus.SOLD, Outcome.ACCEPTED, "", 200
                result = SaleResult.SOLD
                answer = {
                    "accepted": True,
                    "redirect_url": f"https://{buyer.id}.buyer.example/thanks",
                }
            else:
                why = rng.choice(REJECT_REASONS)
                status, outcome, reason, code = (
                    SaleStatus.REJECTED,
                    Outcome.REJECTED,
                    f"rejected by buyer: {why}",
                    200,
                )
                result, answer = SaleResult.REJECTED, {"accepted": False, "reason": why}
            started = clock
            clock += latency / 1000 + 0.002
            attempt = SaleAttempt(
                lead.lead_id, buyer.id, bid.bid_id, bid.buyer_price, bid.price, started
            )
            self.day.sales.append(SeededSale(attempt, status, reason, clock))
            call = BuyerCall(
                buyer_id=buyer.id,
                step=CallStep.POST,
                url=_url(buyer, CallStep.POST),
                outcome=outcome,
                reason=reason,
                started_at=started,
                latency_ms=round(latency, 3),
                status_code=code,
            )
            sent = {"lead_id": lead.lead_id, "test": lead.test, "token": bid.token, "lead": values}
            answered = None if answer is None else _ANSWER_HEADERS
            bodies = CallBodies(_HEADERS, sent, answered, answer)
            self.day.calls.append(SeededCall(call, c.id, None, lead.lead_id, bodies))
            fields = (
                {"redirect_url": answer["redirect_url"]}
                if answer and "redirect_url" in answer
                else {}
            )
            attempts.append(
                Attempt(
                    bid.bid_id,
                    buyer.id,
                    bid.tcpa_entity_name,
                    result,
                    reason,
                    bid.price if result is SaleResult.SOLD else 0,
                    fields,
                )
            )
            if status is SaleStatus.SOLD:
                self.maybe_return(lead, buyer.id, bid, clock)
        return attempts, clock

    def maybe_return(self, lead: NewLead, buyer_id: str, bid: OfferedBid, sold_at: float) -> None:
        rng = self.rng
        opened = sold_at + rng.uniform(3600, 4 * 86400)
        if lead.test or rng.random() >= RETURN_SHARE or opened > self.h.now:
            return
        state = rng.choices(("approved", "rejected", "open"), (5, 2, 3))[0]
        decided = None if state == "open" else opened + rng.uniform(600, 86400)
        if decided is not None and decided > self.h.now:
            state, decided = "open", None
        approved = state == "approved"
        self.day.returns.append(
            SeededReturn(
                lead_id=lead.lead_id,
                buyer_id=buyer_id,
                reason=rng.choice(RETURN_REASONS),
                status=state,
                opened_at=opened,
                decided_at=decided,
                credit_cents=bid.buyer_price if approved else 0,
                # No campaign charges suppliers back until it has return settings.
                chargeback_cents=0,
            )
        )

    def finish(
        self,
        lead: NewLead,
        consent: ConsentRecord,
        summary: SaleSummary,
        ended: float,
        endpoint: str,
        sent: dict[str, object],
    ) -> None:
        summary = replace(summary, response_fields=response_fields(self.c, summary.attempts))
        reply = sale_reply(summary)
        status = {Code.OK: LeadStatus.SOLD, Code.SALE_UNKNOWN: LeadStatus.UNKNOWN}.get(
            reply.code, LeadStatus.NOT_SOLD
        )
        outcome = StoredOutcome(
            lead.lead_id,
            lead.campaign_id,
            lead.supplier_id,
            status,
            int(reply.code),
            reply.message,
            reply.body,
        )
        self.day.leads.append(SeededLead(lead, consent, outcome, summary.payout, ended))
        ms = (ended - lead.created_at) * 1000 + self.rng.uniform(2, 8)
        self.request(
            endpoint, lead.created_at, ms, sent, reply, lead.ping_id, lead.lead_id, lead.request_id
        )
