"""The per-supplier integration spec: how to call each campaign a supplier is attached to.

:func:`supplier_spec` turns campaigns into plain data – endpoints, reserved and lead fields per
step, filters and caps in words, example requests and responses – for the spec page (HTML or
JSON). It holds only what concerns the supplier: no buyer ids, names, prices or margins (example
responses use made-up bids), and never a key (examples say ``YOUR_KEY``).

Pure: no I/O.
"""

import json
import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Final

from pickpost.domain.catalog import Campaign
from pickpost.domain.consent import SelectionError, select_consented
from pickpost.domain.errors import Code, Refusal
from pickpost.domain.fields import (
    FieldError,
    FieldSpec,
    FieldType,
    Requirement,
    Scalar,
    Step,
    normalise,
)
from pickpost.domain.filters import FilterRule
from pickpost.domain.money import to_cents
from pickpost.domain.workspace import CampaignConfig, CampaignType, SupplierConfig
from pickpost.services import quotas
from pickpost.services.gate import filtered
from pickpost.services.intake import validation_refusal
from pickpost.services.marks import duplicate_lead, same_payload
from pickpost.services.post import ping_expired
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

KEY_PLACEHOLDER: Final = "YOUR_KEY"
NOT_SENT: Final = "not sent"


@dataclass(frozen=True, slots=True)
class FieldDoc:
    """A lead field: its type, the format it takes, and whether each step sends it."""

    name: str
    type: str
    format: str
    ping: str  # required | optional | not sent
    post: str


@dataclass(frozen=True, slots=True)
class ReservedDoc:
    """An ``lp_*`` field of one step."""

    name: str
    requirement: str  # required | optional
    meaning: str


@dataclass(frozen=True, slots=True)
class ExampleResponse:
    outcome: str
    http_status: int
    body: dict[str, object]
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class StepDoc:
    """One call to make: ``ping``, ``post`` or ``direct_post``."""

    name: str
    url: str
    purpose: str
    reserved: tuple[ReservedDoc, ...]
    example_request: dict[str, object]
    curl: str
    responses: tuple[ExampleResponse, ...]


@dataclass(frozen=True, slots=True)
class CampaignSpec:
    id: str
    name: str
    type: str
    exchange_mode: str | None  # exclusive | shared, for exchange campaigns
    status: str  # active | paused
    test_mode: bool  # every lead of this supplier here is a test lead
    ping_ttl_s: int | None  # None: no ping step
    ping_timeout_ms: int
    timezone: str  # of the caps' days, weeks and months
    rules: tuple[str, ...]
    fields: tuple[FieldDoc, ...]
    filters: tuple[str, ...]
    caps: tuple[str, ...]
    steps: tuple[StepDoc, ...]


@dataclass(frozen=True, slots=True)
class SupplierSpec:
    supplier_id: str
    name: str
    base_url: str
    campaigns: tuple[CampaignSpec, ...]


def supplier_spec(
    supplier_id: str, attached: Sequence[tuple[Campaign, SupplierConfig]], base_url: str
) -> SupplierSpec:
    """The spec of every campaign in ``attached`` (each with this supplier's config in it)."""
    name = next((supplier.name for _, supplier in attached if supplier.name), "")
    return SupplierSpec(
        supplier_id=supplier_id,
        name=name,
        base_url=base_url.rstrip("/"),
        campaigns=tuple(campaign_spec(c, s, base_url) for c, s in attached),
    )


def campaign_spec(campaign: Campaign, supplier: SupplierConfig, base_url: str) -> CampaignSpec:
    """How ``supplier`` integrates with ``campaign``; URLs start with ``base_url``."""
    config = campaign.config
    rules = (*config.filters, *supplier.filters)
    examples = {spec.name: _example_value(spec, rules) for spec in campaign.fields}
    steps = _Steps(campaign, supplier, base_url.rstrip("/"), examples, rules)
    ping_post = config.type is not CampaignType.DIRECT_POST
    return CampaignSpec(
        id=config.id,
        name=config.name,
        type=config.type.value,
        exchange_mode=config.exchange.mode if config.type is CampaignType.EXCHANGE else None,
        status="paused" if config.paused or supplier.paused else "active",
        test_mode=supplier.mode == "test",
        ping_ttl_s=config.ping_ttl_s if ping_post else None,
        ping_timeout_ms=config.ping_timeout_ms,
        timezone=config.timezone,
        rules=tuple(_rules(config)),
        fields=tuple(_field_doc(spec) for spec in campaign.fields),
        filters=tuple(describe_filter(rule) for rule in rules),
        caps=tuple(_caps(supplier)),
        steps=(steps.ping(), steps.post()) if ping_post else (steps.direct_post(),),
    )


# --- fields ---------------------------------------------------------------------------------

_FORMATS: Final[Mapping[FieldType, str]] = {
    FieldType.TEXT: "text, at most 1000 characters",
    FieldType.NUMBER: 'a number: 42, 3.5 or the same as text ("42")',
    FieldType.EMAIL: "an email address",
    FieldType.PHONE: "US phone number, any common formatting; normalised to 10 digits "
    "(a leading country code 1 is dropped)",
    FieldType.ZIP: "US ZIP code: 5 digits (ZIP+4 is cut to 5); send it as text to keep "
    "leading zeros",
    FieldType.STATE: "2-letter USPS state code, any case (TX, tx)",
    FieldType.DATE: "a date, YYYY-MM-DD",
    FieldType.DATETIME: "an ISO 8601 date-time, e.g. 2026-11-27T10:15:00Z",
    FieldType.IP: "an IPv4 or IPv6 address",
    FieldType.URL: "an http or https URL",
    FieldType.BOOL: "true or false (also yes/no, 1/0, on/off)",
}
_EXAMPLES: Final[Mapping[FieldType, Scalar]] = {
    FieldType.TEXT: "example",
    FieldType.NUMBER: 10,
    FieldType.EMAIL: "dana.reyes@example.com",
    FieldType.PHONE: "5125550142",
    FieldType.ZIP: "78701",
    FieldType.STATE: "TX",
    FieldType.DATE: "1985-04-12",
    FieldType.DATETIME: "2026-11-27T10:15:00Z",
    FieldType.IP: "203.0.113.7",
    FieldType.URL: "https://www.example.com/solar",
    FieldType.BOOL: True,
}
_TEXT_EXAMPLES: Final[Mapping[str, str]] = {
    "first_name": "Dana",
    "last_name": "Reyes",
    "address": "100 Congress Ave",
    "city": "Austin",
    "tcpa_text": "By clicking Submit I agree to be contacted by the companies I selected.",
    "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
}


def _field_doc(spec: FieldSpec) -> FieldDoc:
    if spec.type is FieldType.ENUM:
        described = "one of: " + ", ".join(spec.values)
    else:
        described = _FORMATS[spec.type]
    return FieldDoc(
        name=spec.name,
        type=spec.type.value,
        format=described,
        ping=_requirement(spec.ping),
        post=_requirement(spec.post),
    )


def _requirement(requirement: Requirement | None) -> str:
    return NOT_SENT if requirement is None else requirement.value


def _default_example(spec: FieldSpec) -> Scalar:
    if spec.type is FieldType.ENUM:
        return spec.values[0]
    if spec.type is FieldType.TEXT:
        return _TEXT_EXAMPLES.get(spec.name, "example")
    return _EXAMPLES[spec.type]


def _example_value(spec: FieldSpec, rules: Sequence[FilterRule]) -> Scalar:
    """A valid value for the field that, where one is easy to derive, passes its filters too."""
    default = _default_example(spec)
    on_field = [rule for rule in rules if rule.field == spec.name]
    candidates = (default, *spec.values, *_filter_candidates(on_field, str(default)))
    for candidate in candidates:
        value = normalise(spec, candidate)
        if not isinstance(value, FieldError) and all(
            r.passes({spec.name: value}) for r in on_field
        ):
            return value
    return default


def _filter_candidates(rules: Sequence[FilterRule], default: str) -> Iterator[str]:
    for rule in rules:
        yield from rule.allow or ()
        yield from (prefix + default[len(prefix) :] for prefix in rule.allow_prefix or ())
        yield from (str(bound) for bound in (rule.min, rule.max) if bound is not None)
        if rule.after is not None:
            yield (rule.after + timedelta(days=1)).isoformat()
        if rule.before is not None:
            yield (rule.before - timedelta(days=1)).isoformat()


# --- rules, filters and caps in words --------------------------------------------------------


def describe_filter(rule: FilterRule) -> str:
    """One filter rule as a sentence, such as ``state must be one of TX, CA``."""
    name = rule.field
    absent = f"; leads without {name} are not accepted"
    if rule.allow is not None:
        return f"{name} must be one of {', '.join(rule.allow)}{absent}"
    if rule.block is not None:
        return f"{name} must not be any of {', '.join(rule.block)}"
    if rule.allow_prefix is not None:
        return f"{name} must start with one of {', '.join(rule.allow_prefix)}{absent}"
    if rule.block_prefix is not None:
        return f"{name} must not start with any of {', '.join(rule.block_prefix)}"
    if rule.regex is not None:
        return f"{name} must match the regular expression {rule.regex.pattern}{absent}"
    if rule.block_regex is not None:
        return f"{name} must not match the regular expression {rule.block_regex.pattern}"
    if rule.min is not None or rule.max is not None:
        bounds = [f"at least {rule.min}"] if rule.min is not None else []
        bounds += [f"at most {rule.max}"] if rule.max is not None else []
        return f"{name} must be a number {' and '.join(bounds)}{absent}"
    bounds = [f"after {rule.after}"] if rule.after is not None else []
    bounds += [f"before {rule.before}"] if rule.before is not None else []
    return f"{name} must be a date {' and '.join(bounds)}{absent}"


def _caps(supplier: SupplierConfig) -> Iterator[str]:
    caps = supplier.caps
    if caps is None:
        return
    for period, leads in caps.leads.limits().items():
        if leads is not None:
            yield f"at most {leads} leads {_per(period)}"
    for period, cents in caps.budget.limits().items():
        if cents is not None:
            yield f"at most ${cents // 100:,}.{cents % 100:02d} of payouts {_per(period)}"
    for period, pings in caps.pings.limits().items():
        if pings is not None:
            yield f"at most {pings} pings {_per(period)}"


def _per(period: str) -> str:
    return "in total" if period == "total" else f"per {period}"


def _rules(config: CampaignConfig) -> Iterator[str]:
    if config.type is CampaignType.ONE_TO_ONE:
        settings = config.one_to_one
        yield f"The PING answers with {_how_many_bids(settings.max_bids)}, highest first."
        if settings.dedupe_by_entity:
            yield "One bid per TCPA entity: the highest."
        yield (
            "The POST is sold only to the bids in lp_consent_bids, one at a time, in the "
            "order given" + _max_sales(settings.max_sales) + "."
        )
    elif config.type is CampaignType.EXCHANGE and config.exchange.mode == "exclusive":
        yield "The PING answers with a single offer: payout, what you earn if the lead sells."
        yield (
            "If that buyer rejects the POST, the next best offers are tried, each paying at "
            "most the quoted payout."
            if config.exchange.fallback
            else "The POST is offered to that one buyer only."
        )
    elif config.type is CampaignType.EXCHANGE:
        yield f"The PING answers with {_how_many_bids(config.exchange.max_bids)}, highest first."
        yield (
            "The POST is sold to the bids you name in lp_bid_ids"
            + _max_sales(config.exchange.max_sales)
            + "."
        )
    else:
        yield "One call with the full lead; the answer comes once the lead is sold or not."
    if config.type is not CampaignType.DIRECT_POST:
        yield f"A ping can be posted for {config.ping_ttl_s} s; later its POST answers 1011."
        yield f"The PING answers within about {config.ping_timeout_ms} ms."
    else:
        yield (
            f"Buyers are priced within {config.ping_timeout_ms} ms, then posted one at a time: "
            "allow several seconds for the answer."
        )
        if config.payload_dupe_s:
            yield (
                f"The same request sent again within {config.payload_dupe_s} s is a duplicate "
                "(1008)."
            )
    check = config.dupe_check
    if check is not None:
        joined = f" {'and' if check.match == 'all' else 'or'} ".join(check.fields)
        if check.scope == "campaign":
            yield (
                f"A lead with the same {joined} as one received in the last {check.days} days "
                "is a duplicate (1008)."
            )
        else:
            yield f"A buyer never gets a lead with the same {joined} twice in {check.days} days."


def _how_many_bids(max_bids: int | None) -> str:
    return "every bid" if max_bids is None else f"at most {max_bids} bids"


def _max_sales(max_sales: int | None) -> str:
    return "" if max_sales is None else f", until {max_sales} of them have bought it"


# --- steps and examples -----------------------------------------------------------------------

_REQUEST_ID: Final = "r_example"
_PING_ID: Final = "p_example"
_LEAD_ID: Final = "l_example"
_EXPIRES_AT: Final = "2026-11-27T10:15:00Z"
_FROM_BUYER: Final = "…"
# Made-up bids: suppliers never see the campaign's buyers or their prices here.
_BIDS: Final = (
    {
        "bid_id": "b_example1",
        "buyer_id": "buyer_a",
        "bid_price": 42.5,
        "tcpa_entity_name": "Example Solar LLC",
        "additional_data": {"display_name": "Example Solar"},
    },
    {
        "bid_id": "b_example2",
        "buyer_id": "buyer_b",
        "bid_price": 30.0,
        "tcpa_entity_name": "Sample Energy Inc.",
        "additional_data": {"display_name": "Sample Energy"},
    },
)
_TOP_CENTS: Final = 4250
_BUYERS_PINGED: Final = 3
_EXECUTION_MS: Final = 212
_EXAMPLE_AT: Final = 1_795_773_600.0  # 2026-11-27T10:00:00Z: a refused cap's example time


def _example(outcome: str, reply: Reply) -> ExampleResponse:
    """An example answer: the real answer builders' output, with example ids."""
    body = envelope(reply, _REQUEST_ID)
    return ExampleResponse(outcome, reply.code.http_status, body, reply.headers)


def _refused(outcome: str, refusal: Refusal) -> ExampleResponse:
    return _example(outcome, Reply.refused(refusal))


def _curl(url: str, body: Mapping[str, object]) -> str:
    data = json.dumps(body, indent=2, ensure_ascii=False)
    return (
        f"curl -s {shlex.quote(url)} \\\n"
        "  -H 'Content-Type: application/json' \\\n"
        f"  -d {shlex.quote(data)}"
    )


class _Steps:
    """The steps of one campaign for one supplier, with their examples."""

    def __init__(
        self,
        campaign: Campaign,
        supplier: SupplierConfig,
        base_url: str,
        examples: Mapping[str, Scalar],
        rules: Sequence[FilterRule],
    ) -> None:
        self._campaign = campaign
        self._config = campaign.config
        self._policy = campaign.policy
        self._fields = campaign.fields
        self._supplier = supplier
        self._base_url = base_url
        self._examples = examples
        self._rules = rules

    # The three steps.

    def ping(self) -> StepDoc:
        responses = [
            _example("accepted", self._offer(self._bids())),
            *self._refusals(Step.PING),
            _example("no bids", self._offer([])),
        ]
        return self._step(
            "ping", Step.PING, "the partial lead; the answer prices it", {}, responses
        )

    def post(self) -> StepDoc:
        pick = self._policy.pick_field
        bids = self._bids()
        extra: dict[str, object] = {"lp_ping_id": _PING_ID}
        if pick is not None:
            extra[pick] = [str(bid["bid_id"]) for bid in bids]
        responses = [
            _example("accepted", self._sale(bids, sold=True)),
            *self._refusals(Step.POST),
            *self._post_refusals(pick),
            *self._duplicates(direct=False),
            _example("not sold", self._sale(bids, sold=False)),
        ]
        return self._step("post", Step.POST, "the full lead for an earlier ping", extra, responses)

    def direct_post(self) -> StepDoc:
        responses = [
            _example("accepted", self._direct(priced=3, sold=True)),
            *self._refusals(Step.POST),
            *self._duplicates(direct=True),
            _example("no bids", self._direct(priced=0, sold=False)),
            _example("not sold", self._direct(priced=3, sold=False)),
        ]
        return self._step("direct_post", Step.POST, "the full lead in one call", {}, responses)

    # Requests.

    def _step(
        self,
        name: str,
        step: Step,
        purpose: str,
        extra: dict[str, object],
        responses: list[ExampleResponse],
    ) -> StepDoc:
        body: dict[str, object] = {
            "lp_campaign_id": self._config.id,
            "lp_supplier_id": self._supplier.id,
            "lp_key": KEY_PLACEHOLDER,
            **extra,
        }
        body.update({f.name: self._examples[f.name] for f in self._fields if _at(f, step)})
        url = f"{self._base_url}/{name}"
        return StepDoc(
            name=name,
            url=url,
            purpose=purpose,
            reserved=self._reserved(name),
            example_request=body,
            curl=_curl(url, body),
            responses=tuple(responses),
        )

    def _reserved(self, name: str) -> tuple[ReservedDoc, ...]:
        required, optional = Requirement.REQUIRED.value, Requirement.OPTIONAL.value
        docs = [
            ReservedDoc("lp_campaign_id", required, f"the campaign id: {self._config.id}"),
            ReservedDoc("lp_supplier_id", required, f"your supplier id: {self._supplier.id}"),
            ReservedDoc("lp_key", required, "your key; keep it secret (send it from a server)"),
        ]
        if name == "post":
            docs.append(ReservedDoc("lp_ping_id", required, "the ping_id the PING answered"))
            pick = self._policy.pick_field
            if pick == "lp_consent_bids":
                docs.append(
                    ReservedDoc(
                        pick,
                        required,
                        "the bid ids the consumer consented to, in the order to attempt: "
                        "a JSON array of strings or one comma-separated string",
                    )
                )
            elif pick == "lp_bid_ids":
                docs.append(
                    ReservedDoc(
                        pick,
                        required,
                        "the bid ids you sell to: a JSON array of strings or one "
                        "comma-separated string",
                    )
                )
        docs.append(
            ReservedDoc(
                "lp_action",
                optional,
                "test: a test lead, sold to buyers' test endpoints, not billed, counted "
                "against no cap",
            )
        )
        docs.append(
            ReservedDoc("lp_subid1 … lp_subid6", optional, "your tracking, ≤ 75 characters each")
        )
        return tuple(docs)

    # Answers.

    def _bids(self) -> list[dict[str, object]]:
        if self._config.type is CampaignType.ONE_TO_ONE:
            max_bids = self._config.one_to_one.max_bids
        else:
            max_bids = self._config.exchange.max_bids
        return [dict(bid) for bid in _BIDS[: max_bids or len(_BIDS)]]

    def _offer(self, bids: list[dict[str, object]]) -> Reply:
        offer = Offer(_PING_ID, _EXPIRES_AT, bids, _BUYERS_PINGED, _EXECUTION_MS)
        return ping_reply(self._policy, offer)

    def _attempts(self, bids: list[dict[str, object]], sold: bool) -> list[Attempt]:
        """The first bid sold (or rejected as a duplicate), the others rejected."""
        attempts = []
        for number, bid in enumerate(bids):
            result = SaleResult.SOLD if sold and number == 0 else SaleResult.REJECTED
            attempts.append(
                Attempt(
                    bid_id=str(bid["bid_id"]),
                    buyer_id=str(bid["buyer_id"]),
                    tcpa_entity_name=str(bid["tcpa_entity_name"]),
                    result=result,
                    reason="" if result is SaleResult.SOLD else "rejected by buyer: duplicate",
                    payout=to_cents(str(bid["bid_price"])),
                    fields=self._sold_fields() if result is SaleResult.SOLD else {},
                )
            )
        return attempts

    def _sale(self, bids: list[dict[str, object]], sold: bool) -> Reply:
        attempts = self._attempts(bids, sold)
        if not self._policy.lists_bids:
            # The quote sold, or it and (with fallback) the next bid said no.
            attempts = attempts[: 2 if self._policy.fallback and not sold else 1]
        summary = SaleSummary(
            policy=self._policy,
            lead_id=_LEAD_ID,
            attempts=attempts,
            total_bids=len(bids),
            max_bid_price=_TOP_CENTS,
            picked=len(bids),
            response_fields=self._response_fields(sold),
            execution_ms=431,
        )
        return sale_reply(summary)

    def _direct(self, priced: int, sold: bool) -> Reply:
        bids = [dict(_BIDS[number % len(_BIDS)]) for number in range(priced)]
        # The first buyer buys; or every one priced says no.
        attempts = self._attempts(bids, sold)[: 1 if sold else priced]
        summary = SaleSummary(
            policy=self._policy,
            lead_id=_LEAD_ID,
            attempts=attempts,
            buyers_priced=priced,
            response_fields=self._response_fields(sold),
            execution_ms=431,
        )
        return sale_reply(summary)

    def _sold_fields(self) -> dict[str, object]:
        sources = self._config.response_fields.values()
        return {s.from_sold_bid: _FROM_BUYER for s in sources if s.from_sold_bid is not None}

    def _response_fields(self, sold: bool) -> dict[str, object]:
        found: dict[str, object] = {}
        for name, source in self._config.response_fields.items():
            if source.value is not None:
                found[name] = source.value
            elif sold:
                found[name] = _FROM_BUYER
        return found

    # Refusals.

    def _refusals(self, step: Step) -> Iterator[ExampleResponse]:
        required = [f.name for f in self._fields if f.requirement(step) is Requirement.REQUIRED]
        if required:
            invalid = validation_refusal((FieldError(required[0], "is required"),))
            yield _refused("field validation failed", invalid)
        sent = {f.name for f in self._fields if _at(f, step)}
        # At the PING, rules on fields the step does not send wait for the POST.
        failing = [r.field for r in self._rules if step is Step.POST or r.field in sent]
        if failing:
            yield _refused("filtered", filtered(failing[:1]))
        # The supplier's first cap that applies at the step, as it would be refused.
        charges = quotas.supplier_charges(self._campaign, self._supplier, 1, _EXAMPLE_AT)
        if step is Step.PING:
            pings = quotas.supplier_ping_charges(self._campaign, self._supplier, _EXAMPLE_AT)
            charges = pings + charges
        if charges:
            yield _refused("cap reached", quotas.capped(charges[0]))

    def _post_refusals(self, pick: str | None) -> Iterator[ExampleResponse]:
        yield _refused("ping expired", ping_expired(_PING_ID))
        if pick is not None:
            try:
                select_consented([], ["b_unknown"], pick)
            except SelectionError as error:
                refusal = Refusal(Code.INVALID_BID_SELECTION, str(error))
                yield _refused("invalid bid selection", refusal)

    def _duplicates(self, direct: bool) -> Iterator[ExampleResponse]:
        check = self._config.dupe_check
        if check is not None and check.scope == "campaign":
            duplicate = Reply.refused(duplicate_lead(check.days))
            yield _example("duplicate lead", replace(duplicate, body={"lead_id": _LEAD_ID}))
        window = self._config.payload_dupe_s
        if direct and window:
            yield _refused("same request again", same_payload(window))


def _at(spec: FieldSpec, step: Step) -> bool:
    return spec.requirement(step) is not None
