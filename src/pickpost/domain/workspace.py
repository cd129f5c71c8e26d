"""The workspace document (docs/configuration.md): campaigns, suppliers and buyers as plain data.

Models are strict (unknown keys are refused) so a typo in a config file fails at load time
with the path of the key, instead of silently changing how leads are sold.
"""

import hashlib
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from pickpost.domain.caps import BuyerCaps, SupplierCaps
from pickpost.domain.distribution import DistributionConfig
from pickpost.domain.dupes import DupeCheck
from pickpost.domain.fields import FieldSpec, FieldType, Requirement
from pickpost.domain.filters import FilterRule
from pickpost.domain.mapping import MappingConfig
from pickpost.domain.margin import Margin
from pickpost.domain.model import HttpUrl, Id, Model, Money, Percent, matching
from pickpost.domain.money import to_cents
from pickpost.domain.pricing import PriceConfig
from pickpost.domain.schedule import Schedule
from pickpost.domain.shaping import ShapingRules


class CampaignType(StrEnum):
    DIRECT_POST = "direct_post"
    EXCHANGE = "exchange"
    ONE_TO_ONE = "one_to_one"


class MarginConfig(Model):
    percent: Annotated[Decimal, Field(ge=0, lt=100, decimal_places=4)] | None = None
    amount: Money | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.percent is None) == (self.amount is None):
            raise ValueError("give exactly one of percent or amount")
        return self

    def to_margin(self) -> Margin:
        if self.percent is not None:
            return Margin(percent=self.percent)
        return Margin(amount=to_cents(self.amount or 0))


class OneToOneConfig(Model):
    min_bid: Money = Decimal(0)
    max_bids: Annotated[int, Field(ge=1)] | None = None
    dedupe_by_entity: bool = False
    max_sales: Annotated[int, Field(ge=1)] | None = None
    show_rejected_bids: bool = True

    def shaping_rules(self) -> ShapingRules:
        return ShapingRules(
            min_bid=to_cents(self.min_bid),
            max_bids=self.max_bids,
            dedupe_by_entity=self.dedupe_by_entity,
        )


class ExchangeConfig(Model):
    """Ping/Post Exchange (docs/supplier-api.md): ``exclusive`` offers the single best bid,
    ``shared`` offers every bid and sells to the ones the supplier names in ``lp_bid_ids``."""

    mode: Literal["exclusive", "shared"] = "exclusive"
    fallback: bool = False  # exclusive: on rejection, try the next best bids in price order
    min_bid: Money = Decimal(0)
    max_bids: Annotated[int, Field(ge=1)] | None = None  # shared: how many bids to offer
    max_sales: Annotated[int, Field(ge=1)] | None = None  # shared: how many may be sold

    def shaping_rules(self) -> ShapingRules:
        return ShapingRules(min_bid=to_cents(self.min_bid), max_bids=self.max_bids)


DEFAULT_DISCLOSURE = (
    "By ticking the boxes above and clicking Submit, I agree that {names} may contact me at "
    "the number I gave, including by autodialed calls, prerecorded messages and texts, about "
    "my request. Consent is not a condition of purchase."
)

Origin = Annotated[
    str,
    Field(max_length=300),
    matching(
        r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?",
        "must be an origin: scheme and host, optional port, no path (https://www.example.com)",
    ),
]


class PickConfig(Model):
    """The Pick recorded by Pickpost (docs/consent.md, "The pick widget"): the disclosure the
    consumer reads, whether a POST needs a recorded pick, how long a pick token lives and the
    pages that may embed the widget."""

    disclosure: Annotated[str, Field(min_length=1, max_length=5000)] = DEFAULT_DISCLOSURE
    required: bool = False
    token_ttl_s: Annotated[int, Field(ge=30, le=86400)] = 900
    origins: tuple[Origin, ...] = ()

    @field_validator("disclosure")
    @classmethod
    def _names_placeholder(cls, value: str) -> str:
        if "{names}" not in value:
            raise ValueError("must contain {names}, where the companies picked are inserted")
        return value

    @field_validator("origins")
    @classmethod
    def _lowercase(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(origin.lower() for origin in value)


# What a campaign without a ``pick`` block gets: one frozen instance, not one built each PING.
DEFAULT_PICK = PickConfig()

DEFAULT_RETURN_REASONS = ("Wrong number", "Disconnected", "Duplicate", "Did not request", "Fraud")

ReturnReason = Annotated[
    str,
    Field(min_length=1, max_length=100),
    matching(r"\S(.*\S)?", "may not start or end with a space"),
]


class ReturnsConfig(Model):
    """Returns of sold leads (docs/returns.md): how long a buyer has, for which reasons, and
    whether an approved return also takes back the supplier's payout."""

    # A week: bad contact data shows in a buyer's first dialling days; 0 accepts no returns.
    window_days: Annotated[int, Field(ge=0, le=365)] = 7
    reasons: tuple[ReturnReason, ...] = DEFAULT_RETURN_REASONS
    charge_back_supplier: bool = False

    @field_validator("reasons")
    @classmethod
    def _distinct_reasons(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        folded = [reason.casefold() for reason in value]
        dupes = sorted({r for r, f in zip(value, folded, strict=True) if folded.count(f) > 1})
        if dupes:
            raise ValueError(f"duplicate reason(s), ignoring case: {', '.join(dupes)}")
        return value

    @model_validator(mode="after")
    def _reasons_when_accepted(self) -> Self:
        if self.window_days > 0 and not self.reasons:
            raise ValueError("give at least one reason, or window_days: 0 to accept no returns")
        return self


class ResponseFieldConfig(Model):
    """A top-level response field: a static value or a field of the first sold bid."""

    value: str | None = None
    from_sold_bid: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.value is None) == (self.from_sold_bid is None):
            raise ValueError("give exactly one of value or from_sold_bid")
        return self


class FieldConfig(Model):
    name: Annotated[
        str,
        Field(min_length=1, max_length=64),
        matching(r"[A-Za-z0-9_]+", "may hold only letters, digits and '_'"),
    ]
    type: FieldType
    ping: Requirement | None = None
    post: Requirement | None = None
    values: tuple[str, ...] = ()
    # Personal data (encrypted at rest, purged with lead fields); None: by type and name
    # (domain/personal.py, docs/configuration.md).
    personal: bool | None = None

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value.startswith("lp_"):
            raise ValueError("names starting with lp_ are reserved for the supplier API")
        return value

    @model_validator(mode="after")
    def _enum_values(self) -> Self:
        if (self.type is FieldType.ENUM) != bool(self.values):
            raise ValueError("values must be given for enum fields, and only for them")
        return self

    def to_spec(self) -> FieldSpec:
        return FieldSpec(self.name, self.type, self.ping, self.post, self.values)


def hash_key(key: str) -> str:
    """The stored form of a supplier key. Keys are random secrets, so a fast hash suffices."""
    return hashlib.sha256(key.encode()).hexdigest()


class SupplierConfig(Model):
    id: Id
    name: str = ""
    key: Annotated[str, Field(min_length=8)] | None = None
    key_sha256: (
        Annotated[str, matching(r"[0-9a-f]{64}", "must be 64 lowercase hex digits (a SHA-256)")]
        | None
    ) = None
    mode: Literal["live", "test"] = "live"
    paused: bool = False
    margin: MarginConfig | None = None  # overrides the campaign's and the buyers'
    min_buyer_bid: Money | None = None  # pings whose best buyer bid is lower get no bids
    filters: tuple[FilterRule, ...] = ()
    payout: PriceConfig | None = None  # Direct Post; without it, the sold bid after margin
    caps: SupplierCaps | None = None

    @model_validator(mode="after")
    def _one_key(self) -> Self:
        if (self.key is None) == (self.key_sha256 is None):
            raise ValueError("give exactly one of key or key_sha256")
        return self

    @property
    def min_buyer_bid_cents(self) -> int:
        return to_cents(self.min_buyer_bid) if self.min_buyer_bid is not None else 0

    def hashed(self) -> "SupplierConfig":
        """This supplier with its plaintext key replaced by the hash: what is stored."""
        if self.key is None:
            return self
        return self.model_copy(update={"key": None, "key_sha256": hash_key(self.key)})


class BuyerConfig(Model):
    id: Id
    name: str = ""
    tcpa_entity_name: Annotated[str, Field(min_length=1, max_length=200)]
    additional_data: dict[str, str | int | float | bool] = Field(default_factory=dict)
    ping_url: HttpUrl | None = None
    post_url: HttpUrl | None = None  # required unless the buyer has a mapping
    test_ping_url: HttpUrl | None = None  # test leads go here (else to ping_url, "test": true)
    test_post_url: HttpUrl | None = None
    # Where a consumer's withdrawal of consent is delivered (docs/buyer-protocol.md).
    revoke_url: HttpUrl | None = None
    mapping: MappingConfig | None = None  # a buyer with its own API (docs/buyers.md)
    timeout_ms: Annotated[int, Field(ge=10, le=60_000)] = 1000
    post_timeout_ms: Annotated[int, Field(ge=10, le=120_000)] = 10_000
    price: PriceConfig | None = None  # static or conditional; required without a ping step
    sold_fields: dict[str, str] = Field(default_factory=dict)
    paused: bool = False
    margin: MarginConfig | None = None  # overrides the campaign's
    bid_penalty: Percent = Decimal(0)  # ranks this buyer's bids lower; never changes a price
    priority: Annotated[int, Field(ge=0, le=1_000_000)] = 100  # waterfall: lower goes first
    weight: Annotated[int, Field(ge=1, le=1000)] = 1  # weighted distribution
    filters: tuple[FilterRule, ...] = ()
    schedule: Schedule | None = None
    caps: BuyerCaps | None = None

    @model_validator(mode="after")
    def _one_protocol(self) -> Self:
        native_urls = (
            self.ping_url,
            self.post_url,
            self.test_ping_url,
            self.test_post_url,
            self.revoke_url,
        )
        if self.mapping is not None and any(url is not None for url in native_urls):
            raise ValueError("a buyer with a mapping takes its URLs from the mapping only")
        if self.mapping is None and self.post_url is None:
            raise ValueError("give post_url, or a mapping with a post step")
        if self.test_ping_url is not None and self.ping_url is None:
            raise ValueError("test_ping_url needs a ping_url")
        return self

    @model_validator(mode="after")
    def _priced_somehow(self) -> Self:
        mapped_ping = self.mapping is not None and self.mapping.ping is not None
        pings = self.ping_url is not None or mapped_ping
        if not pings and self.price is None:
            raise ValueError("a buyer without a ping step needs a price: {static: …}")
        return self


class CampaignConfig(Model):
    id: Id
    name: str = ""
    type: CampaignType
    timezone: str = "UTC"
    ping_timeout_ms: Annotated[int, Field(ge=50, le=60_000)] = 1500
    ping_ttl_s: Annotated[int, Field(ge=1, le=7 * 86400)] = 900
    margin: MarginConfig | None = None
    one_to_one: OneToOneConfig = OneToOneConfig()
    exchange: ExchangeConfig = ExchangeConfig()
    distribution: DistributionConfig = DistributionConfig()
    dupe_check: DupeCheck | None = None
    payload_dupe_s: Annotated[int, Field(ge=0, le=3600)] = 60  # 0: no same-payload check
    response_fields: dict[str, ResponseFieldConfig] = Field(default_factory=dict)
    fields: tuple[FieldConfig, ...] = ()
    suppliers: tuple[SupplierConfig, ...] = ()
    buyers: tuple[BuyerConfig, ...] = ()
    paused: bool = False
    filters: tuple[FilterRule, ...] = ()
    returns: ReturnsConfig = ReturnsConfig()
    pick: PickConfig | None = None  # One-to-One only; None: the defaults

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _pick_one_to_one(self) -> Self:
        if self.pick is not None and self.type is not CampaignType.ONE_TO_ONE:
            raise ValueError("pick applies to one_to_one campaigns only")
        return self

    @property
    def pick_settings(self) -> PickConfig:
        return self.pick or DEFAULT_PICK

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        for kind, ids in (
            ("field", [f.name for f in self.fields]),
            ("supplier", [s.id for s in self.suppliers]),
            ("buyer", [b.id for b in self.buyers]),
        ):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"duplicate {kind} id(s): {', '.join(dupes)}")
        return self


class Workspace(Model):
    campaigns: tuple[CampaignConfig, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: object) -> object:
        # No database stores NUL in text; say where it is rather than fail when storing.
        stack: list[tuple[object, str]] = [(data, "")]
        while stack:
            value, path = stack.pop()
            if isinstance(value, str) and "\x00" in value:
                raise ValueError(f"text may not contain NUL characters (at {path or 'top'})")
            if isinstance(value, dict):
                stack.extend((v, f"{path}.{k}".lstrip(".")) for k, v in value.items())
                stack.extend((k, f"{path} (a key)") for k in value)
            elif isinstance(value, list | tuple):
                stack.extend((v, f"{path}.{i}") for i, v in enumerate(value))
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ids = [c.id for c in self.campaigns]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate campaign id(s): {', '.join(dupes)}")
        keys: dict[str, str] = {}
        for campaign in self.campaigns:
            for supplier in campaign.suppliers:
                stored = supplier.hashed().key_sha256 or ""
                if keys.setdefault(supplier.id, stored) != stored:
                    raise ValueError(f"supplier {supplier.id!r} has different keys in campaigns")
        return self
