"""How a campaign sells: decided once, when the catalog is built, from its type and settings.

Every use case asks the policy instead of comparing campaign types and exchange modes:

| kind | PING answers | POST picks bids by | sells at most | answer lists bids |
|---|---|---|---|---|
| ``consented`` (One-to-One) | the bids | ``lp_consent_bids`` | ``max_sales`` | yes |
| ``chosen`` (shared exchange) | the bids | ``lp_bid_ids`` | ``max_sales`` | yes |
| ``exclusive`` (exclusive exchange) | one payout | the quote (and fallbacks) | 1 | no |
| ``direct`` (Direct Post) | – | the distribution | 1, or ``sell_limit`` | no |
"""

from dataclasses import dataclass
from enum import StrEnum

from pickpost.domain.distribution import DistributionMethod
from pickpost.domain.workspace import CampaignConfig, CampaignType

MAX_SALES_REACHED = "max_sales reached"


class SaleKind(StrEnum):
    CONSENTED = "consented"  # One-to-One: the consumer's picks, in their order
    CHOSEN = "chosen"  # shared exchange: the bids the supplier names
    EXCLUSIVE = "exclusive"  # exclusive exchange: the quoted bid, then its fallbacks
    DIRECT = "direct"  # Direct Post: the distribution's order


@dataclass(frozen=True, slots=True)
class SalePolicy:
    kind: SaleKind
    sell_limit: int | None  # sales a lead may make; None: no limit
    # What bids past the limit are told (listed as rejected), or None to leave them out.
    limit_reason: str | None = None
    fallback: bool = False  # exclusive: the next bids are tried when the quoted one says no
    show_rejected: bool = True  # the answer lists rejected bids

    @classmethod
    def of(cls, config: CampaignConfig) -> "SalePolicy":
        if config.type is CampaignType.ONE_TO_ONE:
            settings = config.one_to_one
            return cls(
                SaleKind.CONSENTED,
                settings.max_sales,
                MAX_SALES_REACHED,
                show_rejected=settings.show_rejected_bids,
            )
        if config.type is CampaignType.DIRECT_POST:
            distribution = config.distribution
            everyone = distribution.method is DistributionMethod.SEND_TO_ALL
            return cls(SaleKind.DIRECT, distribution.sell_limit if everyone else 1)
        exchange = config.exchange
        if exchange.mode == "shared":
            return cls(SaleKind.CHOSEN, exchange.max_sales, MAX_SALES_REACHED)
        return cls(SaleKind.EXCLUSIVE, 1, fallback=exchange.fallback)

    @property
    def pick_field(self) -> str | None:
        """The POST parameter that names the bids to sell to, if the supplier names them."""
        if self.kind is SaleKind.CONSENTED:
            return "lp_consent_bids"
        if self.kind is SaleKind.CHOSEN:
            return "lp_bid_ids"
        return None

    @property
    def lists_bids(self) -> bool:
        """Whether the PING offers bids and the POST answer lists them (else one payout)."""
        return self.kind in (SaleKind.CONSENTED, SaleKind.CHOSEN)

    @property
    def quotes_payout(self) -> bool:
        """Whether the PING answers one payout instead of the bids."""
        return self.kind is SaleKind.EXCLUSIVE
