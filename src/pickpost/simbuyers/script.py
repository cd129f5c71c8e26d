"""What a simulated buyer does: the fleet config and pure decisions drawn from an injected RNG.

Nothing here touches the network or the clock, so every behaviour is reproducible from a seed;
the only I/O is ``FleetConfig.from_file``.
"""

import json
import math
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal, Self, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FaultMode = Literal["hang", "500", "garbage", "reset"]
Step = Literal["ping", "post"]
PostOutcome = Literal["accepted", "rejected", "duplicate"]
Rate = Annotated[float, Field(ge=0, le=1)]
_N = TypeVar("_N", int, float)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Span(_Model):
    """A value given as ``{fixed: x}`` or ``{min: a, max: b}``; a bare number means fixed."""

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, data: object) -> object:
        if isinstance(data, int | float) and not isinstance(data, bool):
            return {"fixed": data}
        return data


def _bounds(fixed: _N | None, low: _N | None, high: _N | None) -> tuple[_N, _N]:
    if fixed is not None:
        if low is not None or high is not None:
            raise ValueError("give either 'fixed' or 'min'/'max', not both")
        return fixed, fixed
    if low is None or high is None:
        raise ValueError("give 'fixed', or both 'min' and 'max'")
    if low > high:
        raise ValueError("'min' must not exceed 'max'")
    return low, high


def _cents(amount: float, rounding: Literal["ceil", "floor", "nearest"]) -> int:
    # Through str so that 10.1 is 1010 cents, not its binary neighbour's 1010.0000000000001.
    exact = Decimal(str(amount)) * 100
    if rounding == "ceil":
        return math.ceil(exact)
    if rounding == "floor":
        return math.floor(exact)
    return round(exact)


class PriceScript(_Span):
    """Bid price in dollars: fixed, or uniform over whole cents in ``[min, max]``."""

    fixed: float | None = Field(default=None, gt=0)
    min: float | None = Field(default=None, gt=0)
    max: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _check(self) -> Self:
        low, high = self.cent_bounds()
        if low <= 0:
            raise ValueError("price rounds to zero cents")
        if low > high:
            raise ValueError("no whole cent between 'min' and 'max'")
        return self

    def cent_bounds(self) -> tuple[int, int]:
        """The lowest and highest price in whole cents (equal when fixed)."""
        low, high = _bounds(self.fixed, self.min, self.max)
        if self.fixed is not None:
            cents = _cents(self.fixed, "nearest")
            return cents, cents
        return _cents(low, "ceil"), _cents(high, "floor")


class LatencyScript(_Span):
    """A delay in whole milliseconds: fixed, or uniform in ``[min, max]``."""

    fixed: int | None = Field(default=None, ge=0)
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _check(self) -> Self:
        self.bounds_ms()
        return self

    def bounds_ms(self) -> tuple[int, int]:
        """The shortest and longest delay in ms (equal when fixed)."""
        return _bounds(self.fixed, self.min, self.max)


class FaultScript(_Model):
    """A failure injected on ``step`` with probability ``rate``.

    ``hang`` never answers, ``500`` answers a server error, ``garbage`` answers 200 with HTML,
    ``reset`` drops the TCP connection without a response.
    """

    mode: FaultMode
    step: Literal["ping", "post", "both"] = "ping"
    rate: Rate = 1.0

    def applies_to(self, step: Step) -> bool:
        """Whether this fault is scripted for ``step``."""
        return self.step in (step, "both")


class BuyerScript(_Model):
    """One simulated buyer: its port and how it bids and takes posts.

    A post is first checked against ``duplicate_rate``, then against ``accept_rate``.
    """

    id: str = Field(min_length=1)
    port: int = Field(default=0, ge=0, le=65535, description="0 picks an ephemeral port")
    price: PriceScript
    latency_ms: LatencyScript = LatencyScript(fixed=0)
    post_latency_ms: LatencyScript = LatencyScript(fixed=0)
    no_bid_rate: Rate = 0.0
    no_bid_style: Literal["204", "null"] = "204"
    accept_rate: Rate = 1.0
    duplicate_rate: Rate = 0.0
    tcpa_entity_name: str | None = None
    additional_data: dict[str, object] | None = None
    redirect_url: str | None = Field(default=None, description="'{lead_id}' is substituted")
    reject_reason: str = "rejected by simulation"
    fault: FaultScript | None = None
    dialect: Literal["native", "mapped_xml"] = Field(
        default="native", description="mapped_xml: form in, XML out (simbuyers/mapped_xml.py)"
    )

    @field_validator("no_bid_style", mode="before")
    @classmethod
    def _status_as_text(cls, value: object) -> object:
        # YAML reads an unquoted 204 as a number.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class FleetConfig(_Model):
    """A fleet of simulated buyers, each served on its own port."""

    buyers: list[BuyerScript]

    @model_validator(mode="after")
    def _unique(self) -> Self:
        ids = [buyer.id for buyer in self.buyers]
        if len(set(ids)) != len(ids):
            raise ValueError("buyer ids must be unique")
        ports = [buyer.port for buyer in self.buyers if buyer.port]
        if len(set(ports)) != len(ports):
            raise ValueError("buyer ports must be unique (0 excepted)")
        return self

    @classmethod
    def from_file(cls, path: str | Path) -> "FleetConfig":
        """Load a fleet from ``.yaml``/``.yml`` or ``.json``."""
        source = Path(path)
        text = source.read_text(encoding="utf-8")
        suffix = source.suffix.lower()
        if suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            raise ValueError(f"unsupported fleet config type {suffix!r}: use .yaml or .json")
        return cls.model_validate(data)


@dataclass(frozen=True, slots=True)
class PingDecision:
    """How to answer one ping: wait ``delay_ms``, then fail with ``fault`` or bid ``price``.

    ``price`` is None for a no-bid; it is meaningless when ``fault`` is set.
    """

    delay_ms: int
    fault: FaultMode | None
    price: float | None


@dataclass(frozen=True, slots=True)
class PostDecision:
    """How to answer one post: wait ``delay_ms``, then fail with ``fault`` or give ``outcome``."""

    delay_ms: int
    fault: FaultMode | None
    outcome: PostOutcome


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer in the native protocol; ``body`` None means no body (204)."""

    status: int
    body: dict[str, object] | None


def _happens(rate: float, rng: random.Random) -> bool:
    # random() is in [0, 1), so rate 0 never happens and rate 1 always does.
    return rng.random() < rate


def _fault(script: BuyerScript, step: Step, rng: random.Random) -> FaultMode | None:
    fault = script.fault
    if fault is not None and fault.applies_to(step) and _happens(fault.rate, rng):
        return fault.mode
    return None


def draw_delay(latency: LatencyScript, rng: random.Random) -> int:
    """A delay in ms, uniform over the script's range."""
    return rng.randint(*latency.bounds_ms())


def draw_price(price: PriceScript, rng: random.Random) -> float:
    """A price in dollars, uniform over the whole cents in the script's range."""
    return rng.randint(*price.cent_bounds()) / 100


def decide_ping(script: BuyerScript, rng: random.Random) -> PingDecision:
    """Decide how ``script`` answers its next ping."""
    fault = _fault(script, "ping", rng)
    delay_ms = draw_delay(script.latency_ms, rng)
    if fault is not None or _happens(script.no_bid_rate, rng):
        return PingDecision(delay_ms=delay_ms, fault=fault, price=None)
    return PingDecision(delay_ms=delay_ms, fault=None, price=draw_price(script.price, rng))


def decide_post(script: BuyerScript, rng: random.Random) -> PostDecision:
    """Decide how ``script`` answers its next post."""
    fault = _fault(script, "post", rng)
    delay_ms = draw_delay(script.post_latency_ms, rng)
    outcome: PostOutcome
    if _happens(script.duplicate_rate, rng):
        outcome = "duplicate"
    elif _happens(script.accept_rate, rng):
        outcome = "accepted"
    else:
        outcome = "rejected"
    return PostDecision(delay_ms=delay_ms, fault=fault, outcome=outcome)


def ping_answer(script: BuyerScript, price: float | None, bid_id: str) -> Answer:
    """The native answer to a ping: a bid at ``price``, or the script's style of no-bid."""
    if price is None:
        if script.no_bid_style == "204":
            return Answer(status=204, body=None)
        return Answer(status=200, body={"bid": None, "reason": "no coverage"})
    bid: dict[str, object] = {"price": price, "bid_id": bid_id}
    if script.tcpa_entity_name is not None:
        bid["tcpa_entity_name"] = script.tcpa_entity_name
    if script.additional_data is not None:
        bid["additional_data"] = script.additional_data
    return Answer(status=200, body={"bid": bid})


def post_answer(script: BuyerScript, outcome: PostOutcome, lead_id: str) -> Answer:
    """The native answer to a post with ``outcome``."""
    if outcome == "duplicate":
        return Answer(200, {"accepted": False, "reason": "duplicate", "duplicate": True})
    if outcome == "rejected":
        return Answer(200, {"accepted": False, "reason": script.reject_reason, "duplicate": False})
    fields: dict[str, object] = {}
    if script.redirect_url is not None:
        fields["redirect_url"] = script.redirect_url.replace("{lead_id}", lead_id)
    return Answer(200, {"accepted": True, "fields": fields})
