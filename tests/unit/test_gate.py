"""The gate and the caps around a sale, over fakes: supplier reservations settled exactly, buyer
caps charged only for sales, duplicates and same-payload marks, ping caps, filters by step,
schedules, test leads."""

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest

from pickpost.domain.caps import Cap, Charge, Counted, Period, SupplierCaps
from pickpost.domain.errors import Code
from pickpost.domain.lead import ConsentRecord, LeadStatus, NewLead, SaleStatus
from pickpost.domain.outcomes import BuyerCall
from pickpost.infra.counters import MemoryCounters
from pickpost.services import quotas
from pickpost.services.quotas import Reservation
from tests.support.mapped import mapping
from tests.unit.factories import make_campaign, make_catalog, make_supplier
from tests.unit.fakes import FakeLeadStore
from tests.unit.world import AT, Buyers, World, bid_ids, pinged_buyer, priced_buyer

SUPPLIER = "cap:101:supplier:7"
TOTAL_CAPS = {"leads": {"total": 10}, "budget": {"total": 1000}}
KEY = "k7secret"


def buyer_cap(buyer_id: str, what: str) -> str:
    return f"cap:101:buyer:{buyer_id}:{what}:total:all"


def supplier(**overrides: Any) -> list[dict[str, Any]]:
    return [{"id": "7", "key": KEY, **overrides}]


def direct(script: Buyers | None = None, **overrides: Any) -> World:
    """Direct Post, waterfall: d1 (40) is offered the lead before d2 (30)."""
    buyers = overrides.pop(
        "buyers", [priced_buyer("d1", "40", priority=1), priced_buyer("d2", "30", priority=2)]
    )
    return World(script, type="direct_post", buyers=buyers, **overrides)


def one_to_one(script: Buyers | None = None, **overrides: Any) -> World:
    buyers = overrides.pop("buyers", [pinged_buyer("ann"), pinged_buyer("bob")])
    return World(
        script or Buyers({"ann": "40", "bob": "30"}), one_to_one={}, buyers=buyers, **overrides
    )


async def supplier_totals(world: World) -> tuple[int, int]:
    """The supplier's lead count and budget spent (cents) under TOTAL_CAPS."""
    leads = await world.counter(f"{SUPPLIER}:leads:total:all")
    return leads, await world.counter(f"{SUPPLIER}:budget:total:all")


# The supplier's reservation


async def test_the_supplier_reservation_is_settled_down_to_the_actual_payout() -> None:
    script = Buyers()
    script.rejecting = {"d1"}  # reserved at d1's 36, sold at d2's 27
    world = direct(script, margin={"percent": 10}, suppliers=supplier(caps=TOTAL_CAPS))
    reply = await world.direct()
    assert (reply.code, reply.body["payout"]) == (Code.OK, 27.0)
    assert await supplier_totals(world) == (1, 2700)


async def test_an_unsold_lead_leaves_nothing_charged_to_the_supplier() -> None:
    script = Buyers()
    script.rejecting = {"d1", "d2"}
    world = direct(script, suppliers=supplier(caps=TOTAL_CAPS))
    reply = await world.direct()
    assert reply.code is Code.NOT_SOLD
    assert await supplier_totals(world) == (0, 0)


async def test_an_unknown_sale_keeps_the_supplier_reservation_charged() -> None:
    script = Buyers({"ann": "40", "bob": "30"})
    script.silent = {"ann"}  # ann may have bought it: its 40 stays reserved
    world = one_to_one(
        script,
        suppliers=supplier(caps=TOTAL_CAPS),
        buyers=[pinged_buyer("ann", post_timeout_ms=20), pinged_buyer("bob")],
    )
    ping = await world.ping()
    reply = await world.post(ping.body["ping_id"], lp_consent_bids=bid_ids(ping, "ann", "bob"))
    assert (reply.code, reply.body["payout"]) == (Code.OK, 30.0)
    assert await supplier_totals(world) == (1, 7000)


class UnwritableLedger(FakeLeadStore):
    async def claim(self, lead: NewLead, consent: ConsentRecord) -> bool:
        raise ConnectionError("the database went away")


@pytest.mark.parametrize("endpoint", ["post", "direct_post"])
async def test_a_lead_the_ledger_could_not_store_gives_the_reservation_back(
    endpoint: str,
) -> None:
    if endpoint == "post":
        world = one_to_one(suppliers=supplier(caps=TOTAL_CAPS))
        ping = await world.ping()
    else:
        world = direct(suppliers=supplier(caps=TOTAL_CAPS))
    world.leads = UnwritableLedger()
    world.wire()
    if endpoint == "post":
        send = world.post(ping.body["ping_id"], lp_consent_bids=bid_ids(ping, "ann"))
    else:
        send = world.direct()
    with pytest.raises(ConnectionError):
        await send
    assert await supplier_totals(world) == (0, 0)
    assert world.sent("post") == []


async def test_a_direct_post_reserves_only_what_its_sell_limit_can_pay() -> None:
    # Waterfall sells once: the most it can pay is d1's 40, not 40 + 30.
    world = direct(suppliers=supplier(caps={"budget": {"total": 40}}))
    reply = await world.direct()
    assert (reply.code, reply.body["payout"]) == (Code.OK, 40.0)


async def test_an_exchange_post_charges_the_supplier_what_it_was_paid() -> None:
    script = Buyers({"ann": "40", "bob": "30"})
    script.rejecting = {"ann"}
    world = one_to_one(script, suppliers=supplier(caps=TOTAL_CAPS))
    ping = await world.ping()
    reply = await world.post(ping.body["ping_id"], lp_consent_bids=bid_ids(ping, "ann", "bob"))
    assert (reply.code, reply.body["payout"]) == (Code.OK, 30.0)
    assert await supplier_totals(world) == (1, 3000)


async def test_an_exclusive_fallback_reserves_no_more_than_one_sale_can_pay() -> None:
    world = World(
        Buyers({"ann": "40", "bob": "30", "cid": "20"}),
        type="exchange",
        exchange={"mode": "exclusive", "fallback": True},
        buyers=[pinged_buyer(b) for b in ("ann", "bob", "cid")],
        suppliers=supplier(caps={"budget": {"total": 50}}),
    )
    ping = await world.ping()
    assert ping.body["payout"] == 40.0
    reply = await world.post(ping.body["ping_id"])
    assert (reply.code, reply.message) == (Code.OK, "")
    assert reply.body["payout"] == 40.0


async def test_a_post_refused_by_a_cap_while_another_post_of_its_ping_sold_replays_it() -> None:
    world = World(
        Buyers({"ann": "40", "bob": "30"}),
        buyers=[pinged_buyer("ann"), pinged_buyer("bob")],
        one_to_one={"max_sales": 1},
        suppliers=supplier(caps={"leads": {"day": 1}}),
    )
    ping = await world.ping()
    ids = bid_ids(ping, "ann")
    first = await world.post(ping.body["ping_id"], lp_consent_bids=ids)
    assert first.code is Code.OK
    # The second POST of the same ping misses the winner's claim at first (not yet visible),
    # then finds the cap spent: it must answer the winner's outcome, not 1006.
    world.leads.blind_lookups = 1
    again = await world.post(ping.body["ping_id"], lp_consent_bids=ids)
    assert again.code is Code.OK
    assert again.headers == {"Idempotent-Replay": "true"}
    assert again.body["lead_id"] == first.body["lead_id"]
    assert world.sent("post") == ["ann"]


# Buyer caps


async def test_buyer_caps_are_charged_at_the_sale_with_the_buyer_price() -> None:
    caps = {"leads": {"total": 5}, "budget": {"total": 100}}
    world = direct(
        margin={"percent": 10},
        buyers=[priced_buyer("d1", "40", caps=caps), priced_buyer("d2", "30", priority=200)],
    )
    reply = await world.direct()
    assert reply.code is Code.OK
    assert await world.counter(buyer_cap("d1", "leads")) == 1
    assert await world.counter(buyer_cap("d1", "budget")) == 4000  # its price, not the payout


@pytest.mark.parametrize("answer", ["rejecting", "failing"])
async def test_buyer_caps_are_given_back_when_the_buyer_does_not_buy(answer: str) -> None:
    script = Buyers()
    getattr(script, answer).add("d1")
    caps = {"leads": {"total": 5}, "budget": {"total": 100}}
    world = direct(
        script,
        buyers=[priced_buyer("d1", "40", caps=caps), priced_buyer("d2", "30", priority=200)],
    )
    reply = await world.direct()
    assert world.sent("post") == ["d1", "d2"]
    assert reply.code is Code.OK
    assert await world.counter(buyer_cap("d1", "leads")) == 0
    assert await world.counter(buyer_cap("d1", "budget")) == 0


async def test_a_full_buyer_is_skipped_with_its_cap_named() -> None:
    world = direct(
        buyers=[
            priced_buyer("d1", "40", caps={"budget": {"total": "39.99"}}),
            priced_buyer("d2", "30", priority=200),
        ]
    )
    reply = await world.direct()
    assert world.sent("post") == ["d2"]
    assert reply.code is Code.OK
    assert world.skipped() == {"d1": "buyer cap reached: budget in total"}


async def test_test_leads_charge_no_cap() -> None:
    caps = {"leads": {"total": 5}, "budget": {"total": 100}}
    supplier_caps = {**TOTAL_CAPS, "pings": {"minute": 0}}
    world = direct(
        buyers=[priced_buyer("d1", "40", caps=caps)], suppliers=supplier(caps=supplier_caps)
    )
    reply = await world.direct(lp_action="test")
    assert reply.code is Code.OK
    assert await supplier_totals(world) == (0, 0)
    assert await world.counter(buyer_cap("d1", "leads")) == 0
    assert await world.counter(buyer_cap("d1", "budget")) == 0


async def test_a_test_ping_is_not_held_by_the_ping_caps() -> None:
    world = one_to_one(suppliers=supplier(caps={"pings": {"minute": 0}}))
    assert (await world.ping(at=AT)).code is Code.CAPPED
    assert (await world.ping(at=AT, lp_action="test")).code is Code.OK


async def test_the_post_of_a_test_ping_charges_the_supplier_nothing() -> None:
    world = one_to_one(suppliers=supplier(caps=TOTAL_CAPS))
    ping = await world.ping(lp_action="test")
    reply = await world.post(ping.body["ping_id"], lp_consent_bids=bid_ids(ping, "ann"))
    assert reply.code is Code.OK
    assert world.leads.leads[str(reply.body["lead_id"])].test
    assert await supplier_totals(world) == (0, 0)


class FailingLedger(FakeLeadStore):
    """A ledger that fails to record the buyer's answer: the sale's outcome is unknown."""

    async def finish_sale(self, sale_id: int, status: SaleStatus, call: BuyerCall) -> None:
        raise ConnectionError("database went away after the buyer answered")


async def test_an_unknown_sale_keeps_the_buyer_cap_charged() -> None:
    world = direct(buyers=[priced_buyer("d1", "40", caps=TOTAL_CAPS)])
    world.leads = FailingLedger()
    world.wire()
    reply = await world.direct()
    assert reply.code is Code.SALE_UNKNOWN  # never "not sold": d1 may have bought it
    assert world.sent("post") == ["d1"]
    assert await world.counter(buyer_cap("d1", "leads")) == 1  # d1 may have bought it


# Duplicates


async def test_a_campaign_duplicate_is_1008_with_the_lead_kept_as_not_sold() -> None:
    world = direct(
        dupe_check={"fields": ["phone"], "scope": "campaign"}, suppliers=supplier(caps=TOTAL_CAPS)
    )
    first = await world.direct()
    assert first.code is Code.OK
    again = await world.direct(zip_code="73301")  # another request, the same consumer
    assert again.code is Code.DUPLICATE
    lead_id = again.body["lead_id"]
    stored = world.outcome(lead_id)
    assert (stored.status, stored.code) == (LeadStatus.NOT_SOLD, Code.DUPLICATE)
    assert world.sent("post") == ["d1"]  # only the first lead was sold
    assert await supplier_totals(world) == (1, 4000)  # the duplicate's reservation given back


async def test_a_buyer_duplicate_skips_only_that_buyer() -> None:
    caps = {"leads": {"total": 5}}
    world = direct(
        dupe_check={"fields": ["phone"], "scope": "buyer", "days": 30},
        buyers=[priced_buyer("d1", "40", priority=1, caps=caps), priced_buyer("d2", "30")],
    )
    assert (await world.direct()).code is Code.OK
    again = await world.direct(zip_code="73301")
    assert again.code is Code.OK
    assert world.sent("post") == ["d1", "d2"]
    assert world.skipped() == {"d1": "duplicate for this buyer: bought in the last 30 days"}
    assert await world.counter(buyer_cap("d1", "leads")) == 1  # the skip gave its charge back


@pytest.mark.parametrize("answer", ["rejecting", "failing"])
async def test_a_buyer_duplicate_mark_is_released_when_the_sale_fails(answer: str) -> None:
    script = Buyers()
    getattr(script, answer).add("d1")
    world = direct(
        script,
        dupe_check={"fields": ["phone"], "scope": "buyer"},
        buyers=[priced_buyer("d1", "40", priority=1), priced_buyer("d2", "30")],
    )
    assert (await world.direct()).code is Code.OK  # d2 bought it
    getattr(script, answer).clear()
    again = await world.direct(zip_code="73301")
    assert again.code is Code.OK
    assert world.sent("post") == ["d1", "d2", "d1"]  # d1 never had it, so it is offered again
    assert world.skipped() == {}


async def test_test_leads_leave_no_duplicate_marks() -> None:
    world = direct(dupe_check={"fields": ["phone"], "scope": "campaign"})
    assert (await world.direct(lp_action="test")).code is Code.OK
    assert (await world.direct(lp_action="test", zip_code="73301")).code is Code.OK
    live = await world.direct(zip_code="73344")
    assert live.code is Code.OK  # the same consumer, but only tests came before


async def test_test_leads_leave_no_buyer_duplicate_marks() -> None:
    world = direct(dupe_check={"fields": ["phone"], "scope": "buyer"})
    assert (await world.direct(lp_action="test")).code is Code.OK
    assert (await world.direct(zip_code="73301")).code is Code.OK
    assert world.sent("post") == ["d1", "d1"]  # d1 is not skipped for the live lead
    assert world.skipped() == {}


async def test_a_payload_refused_by_a_supplier_cap_may_be_sent_again() -> None:
    world = direct(suppliers=supplier(caps={"budget": {"total": 30}}))
    body: dict[str, Any] = {"lp_subid6": "same-request"}
    capped = await world.direct_service.direct_post(*world.request("/direct_post", None, body))
    assert capped.code is Code.CAPPED  # d1 pays 40: more than the budget of 30
    world.catalog = direct(suppliers=supplier(caps={"budget": {"total": 50}})).catalog
    again = await world.direct_service.direct_post(*world.request("/direct_post", None, body))
    assert again.code is Code.OK  # not 1008: the refused request left no mark


class FlakyCounters(MemoryCounters):
    """Counters whose first read fails, as a store that is briefly down."""

    def __init__(self) -> None:
        super().__init__(clock=lambda: 0.0)
        self.down = True

    async def exceeded_each(self, groups: Sequence[Sequence[Charge]]) -> list[Charge | None]:
        if self.down:
            self.down = False
            raise ConnectionError("counter store unreachable")
        return await super().exceeded_each(groups)


async def test_a_direct_post_that_failed_before_making_a_lead_may_be_sent_again() -> None:
    world = direct(buyers=[priced_buyer("d1", "40", caps=TOTAL_CAPS)])
    world.counters = FlakyCounters()
    world.wire()
    body: dict[str, Any] = {"lp_subid6": "same-request"}
    with pytest.raises(ConnectionError):
        await world.direct_service.direct_post(*world.request("/direct_post", None, body))
    again = await world.direct_service.direct_post(*world.request("/direct_post", None, body))
    assert again.code is Code.OK  # not 1008: the failed request left no mark


# Ping caps and the supplier's room


async def test_a_ping_over_the_ping_cap_is_1006_with_retry_after() -> None:
    world = one_to_one(suppliers=supplier(caps={"pings": {"minute": 2}}))
    assert [(await world.ping(at=AT)).code for _ in range(2)] == [Code.OK, Code.OK]
    pinged = len(world.transport.sent)
    refused = await world.ping(at=AT + 39)
    assert refused.code is Code.CAPPED
    assert refused.message == "supplier cap reached: pings per minute"
    assert refused.headers == {"Retry-After": "1"}  # AT is 20 s into its minute
    assert len(world.transport.sent) == pinged  # no buyer was pinged
    assert (await world.ping(at=AT + 40)).code is Code.OK  # the next minute


async def test_a_ping_is_refused_when_the_supplier_could_not_be_paid_for_one_more_lead() -> None:
    world = one_to_one(suppliers=supplier(caps={"leads": {"day": 0}}))
    refused = await world.ping(at=AT)
    assert refused.code is Code.CAPPED
    assert refused.message == "supplier cap reached: leads per day"
    assert refused.headers == {"Retry-After": str(6400)}  # 22:13:20 UTC to midnight
    assert world.transport.sent == []


# Filters by step, schedules, test endpoints


PHONE_512 = [{"field": "phone", "allow_prefix": ["512"]}]


async def test_campaign_filters_wait_for_fields_the_ping_does_not_send() -> None:
    world = one_to_one(filters=PHONE_512)
    ping = await world.ping(phone=None)
    assert ping.code is Code.OK
    picked = bid_ids(ping, "ann")
    refused = await world.post(ping.body["ping_id"], lp_consent_bids=picked, phone="7135550142")
    assert refused.code is Code.FILTERED
    assert [e.field for e in refused.errors] == ["phone"]
    assert world.sent("post") == []
    sold = await world.post(ping.body["ping_id"], lp_consent_bids=picked, phone="5125550142")
    assert sold.code is Code.OK


async def test_a_filter_on_a_field_sent_at_the_ping_applies_at_the_ping() -> None:
    world = one_to_one(filters=PHONE_512)
    refused = await world.ping(phone="7135550142")
    assert refused.code is Code.FILTERED
    assert world.transport.sent == []


async def test_buyer_filters_wait_for_the_post_then_leave_that_buyer_out() -> None:
    world = one_to_one(buyers=[pinged_buyer("ann", filters=PHONE_512), pinged_buyer("bob")])
    ping = await world.ping(phone=None)
    assert world.sent("ping") == ["ann", "bob"]
    picked = bid_ids(ping, "ann", "bob")
    reply = await world.post(ping.body["ping_id"], lp_consent_bids=picked, phone="7135550142")
    assert reply.code is Code.OK
    assert world.sent("post") == ["bob"]
    assert world.skipped() == {"ann": "filtered: phone"}


async def test_a_buyer_outside_its_schedule_is_skipped_with_the_reason() -> None:
    weekdays = ["mon", "tue", "wed", "thu", "fri"]
    office_hours = {"windows": [{"days": weekdays, "start": "09:00", "end": "17:00"}]}
    world = one_to_one(buyers=[pinged_buyer("ann"), pinged_buyer("bob", schedule=office_hours)])
    await world.ping(at=AT)  # Tuesday 22:13 UTC
    assert world.sent("ping") == ["ann"]
    assert world.skipped() == {"bob": "outside the buyer's schedule"}
    await world.ping(at=AT - 10 * 3600)  # Tuesday 12:13 UTC
    assert world.sent("ping") == ["ann", "ann", "bob"]
    assert world.skipped() == {}


async def test_a_mapped_buyer_without_test_url_is_skipped_for_test_leads() -> None:
    mapped = {"id": "map", "tcpa_entity_name": "Map LLC", "mapping": mapping("http://map.test")}
    world = one_to_one(buyers=[pinged_buyer("ann"), mapped])
    await world.ping(lp_action="test")
    assert world.sent("ping") == ["ann"]
    assert world.skipped() == {"map": "test lead, and the buyer has no test endpoint"}
    await world.ping()
    assert world.sent("ping")[1:] == ["ann", "map"]


# quotas: the words of a refusal, and what a settled reservation gives back


@pytest.mark.parametrize(
    ("cap", "message"),
    [
        (Cap("buyer", Counted.LEADS, Period.DAY), "buyer cap reached: leads per day"),
        (Cap("supplier", Counted.BUDGET, Period.WEEK), "supplier cap reached: budget per week"),
        (Cap("supplier", Counted.PINGS, Period.MINUTE), "supplier cap reached: pings per minute"),
        (Cap("buyer", Counted.BUDGET, Period.TOTAL), "buyer cap reached: budget in total"),
    ],
)
def test_describe_names_whose_cap_what_and_the_period(cap: Cap, message: str) -> None:
    # The key is the store's business: the message comes from what the charge says it is.
    assert quotas.describe(Charge("cap:c-1.x:any:key", 1, 1, 60, cap)) == message


def test_capped_says_when_to_retry_unless_the_cap_never_resets() -> None:
    minute = quotas.capped(Charge("cap:101:supplier:7:pings:minute:2026-11-27T16:15Z", 1, 1, 17))
    total = quotas.capped(Charge("cap:101:supplier:7:leads:total:all", 1, 1, None))
    assert (minute.code, minute.headers) == (Code.CAPPED, {"Retry-After": "17"})
    assert (total.code, total.headers) == (Code.CAPPED, {})


def reservation(upper: int, supplier_id: str = "7") -> Reservation:
    campaign = make_catalog(make_campaign()).campaigns["101"]
    caps = SupplierCaps.model_validate({"leads": {"day": 10}, "budget": {"day": 100, "total": 500}})
    seller = make_supplier(id=supplier_id, caps=caps)
    return Reservation(upper, quotas.supplier_charges(campaign, seller, upper, AT))


def test_an_unsold_lead_gives_back_every_charge() -> None:
    held = reservation(4000)
    assert held.refunds(sold=False, payout=0) == held.charges
    assert len(held.charges) == 3


def test_a_sold_lead_gives_back_only_the_budget_it_did_not_use() -> None:
    held = reservation(4000)
    refunds = held.refunds(sold=True, payout=2700)
    assert [(c.key.split(":")[4:6], c.amount) for c in refunds] == [
        (["budget", "day"], 1300),
        (["budget", "total"], 1300),
    ]
    assert all(replace(r, amount=4000) in held.charges for r in refunds)


@pytest.mark.parametrize("payout", [4000, 4500])
def test_a_sale_paying_the_reservation_or_more_gives_nothing_back(payout: int) -> None:
    assert reservation(4000).refunds(sold=True, payout=payout) == []


def test_an_empty_reservation_gives_nothing_back() -> None:
    assert Reservation().refunds(sold=False, payout=0) == []
    assert Reservation().refunds(sold=True, payout=100) == []


def test_a_supplier_named_budget_keeps_its_lead_count() -> None:
    refunds = reservation(4000, supplier_id="budget").refunds(sold=True, payout=2700)
    assert [c.key.split(":")[4] for c in refunds] == ["budget", "budget"]


async def test_a_reservation_over_the_cap_is_refused_and_charges_nothing() -> None:
    world = direct(suppliers=supplier(caps={"leads": {"total": 10}, "budget": {"total": 39}}))
    reply = await world.direct()
    assert (reply.code, reply.message) == (Code.CAPPED, "supplier cap reached: budget in total")
    assert await world.counter(f"{SUPPLIER}:leads:total:all") == 0
    assert world.transport.sent == []
    assert world.leads.leads == {}


async def test_a_direct_post_whose_lead_could_not_be_stored_may_be_sent_again() -> None:
    world = direct(payload_dupe_s=60)
    world.leads = UnwritableLedger()
    world.wire()
    body: dict[str, Any] = {"lp_subid6": "same-request"}
    with pytest.raises(ConnectionError):
        await world.direct_service.direct_post(*world.request("/direct_post", None, body))
    world.leads = FakeLeadStore()  # the database is back
    world.wire()
    again = await world.direct_service.direct_post(*world.request("/direct_post", None, body))
    assert again.code is Code.OK  # not 1008: no buyer had been called
