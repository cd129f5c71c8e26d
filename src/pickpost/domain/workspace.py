"""The workspace document (API.md section 3): campaigns, suppliers and buyers as plain data.

Models are strict (unknown keys are refused) so a typo in a config file fails at load time
with the path of the key, instead of silently changing how leads are sold.
"""

import hashlib
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pickpost.domain.fields import FieldSpec, FieldType, Requirement
from pickpost.domain.margin import Margin
from pickpost.domain.money import to_cents
from pickpost.domain.shaping import ShapingRules

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
HttpUrl = Annotated[str, Field(pattern=r"^https?://[^\s/]+(/\S*)?$", max_length=2048)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CampaignType(StrEnum):
    DIRECT_POST = "direct_post"
    EXCHANGE = "exchange"
    ONE_TO_ONE = "one_to_one"


SUPPORTED_TYPES = frozenset({CampaignType.ONE_TO_ONE})


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
    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_]+$")]
    type: FieldType
    ping: Requirement | None = None
    post: Requirement | None = None
    values: tuple[str, ...] = ()

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
    key_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None
    mode: Literal["live", "test"] = "live"
    paused: bool = False

    @model_validator(mode="after")
    def _one_key(self) -> Self:
        if (self.key is None) == (self.key_sha256 is None):
            raise ValueError("give exactly one of key or key_sha256")
        return self

    def hashed(self) -> "SupplierConfig":
        """This supplier with its plaintext key replaced by the hash: what is stored."""
        if self.key is None:
            return self
        return self.model_copy(update={"key": None, "key_sha256": hash_key(self.key)})


class StaticPrice(Model):
    static: Money


class BuyerConfig(Model):
    id: Id
    name: str = ""
    tcpa_entity_name: Annotated[str, Field(min_length=1, max_length=200)]
    additional_data: dict[str, str | int | float | bool] = Field(default_factory=dict)
    ping_url: HttpUrl | None = None
    post_url: HttpUrl
    timeout_ms: Annotated[int, Field(ge=10, le=60_000)] = 1000
    post_timeout_ms: Annotated[int, Field(ge=10, le=120_000)] = 10_000
    price: StaticPrice | None = None
    sold_fields: dict[str, str] = Field(default_factory=dict)
    paused: bool = False

    @model_validator(mode="after")
    def _priced_somehow(self) -> Self:
        if self.ping_url is None and self.price is None:
            raise ValueError("a buyer without ping_url needs a price: {static: …}")
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
    response_fields: dict[str, ResponseFieldConfig] = Field(default_factory=dict)
    fields: tuple[FieldConfig, ...] = ()
    suppliers: tuple[SupplierConfig, ...] = ()
    buyers: tuple[BuyerConfig, ...] = ()
    paused: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("type")
    @classmethod
    def _supported(cls, value: CampaignType) -> CampaignType:
        if value not in SUPPORTED_TYPES:
            raise ValueError(f"campaign type {value.value!r} is not supported yet")
        return value

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
