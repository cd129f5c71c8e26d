"""The campaigns a node serves, indexed for the hot path."""

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from pickpost.domain.errors import Code, Refusal
from pickpost.domain.fields import FieldSpec, FieldType
from pickpost.domain.margin import NO_MARGIN, Margin
from pickpost.domain.personal import PersonalFields
from pickpost.domain.sale_policy import SalePolicy
from pickpost.domain.shaping import ShapingRules
from pickpost.domain.workspace import (
    BuyerConfig,
    CampaignConfig,
    CampaignType,
    SupplierConfig,
    Workspace,
    hash_key,
)


@dataclass(frozen=True, slots=True)
class Campaign:
    """A campaign's configuration with what the hot path derives from it computed once."""

    config: CampaignConfig
    margin: Margin
    shaping: ShapingRules
    fields: tuple[FieldSpec, ...]
    field_types: Mapping[str, FieldType]  # for duplicate keys (phone and zip compare digits)
    personal: PersonalFields  # which values storage encrypts, indexes and purges
    suppliers: Mapping[str, SupplierConfig]
    buyers: Mapping[str, BuyerConfig]
    policy: SalePolicy  # how it sells: which bids, how many, what the answers look like
    # Archived (`pickpost campaigns archive`): refuses traffic but stays in the catalog, since
    # its stored leads are still read (their personal fields are known by the campaign).
    archived: bool = False

    @classmethod
    def from_config(cls, config: CampaignConfig, archived: bool = False) -> "Campaign":
        # Only key hashes are kept in memory, whatever the source of the config.
        hashed = tuple(s.hashed() for s in config.suppliers)
        config = config.model_copy(update={"suppliers": hashed})
        fields = tuple(f.to_spec() for f in config.fields)
        return cls(
            config=config,
            margin=config.margin.to_margin() if config.margin else NO_MARGIN,
            shaping=(
                config.exchange.shaping_rules()
                if config.type is CampaignType.EXCHANGE
                else config.one_to_one.shaping_rules()
            ),
            fields=fields,
            field_types=MappingProxyType({spec.name: spec.type for spec in fields}),
            personal=PersonalFields.of(
                (spec, f.personal) for spec, f in zip(fields, config.fields, strict=True)
            ),
            suppliers=MappingProxyType({s.id: s for s in hashed}),
            buyers=MappingProxyType({b.id: b for b in config.buyers}),
            policy=SalePolicy.of(config),
            archived=archived,
        )

    @property
    def id(self) -> str:
        return self.config.id

    def margin_for(self, buyer_id: str, supplier: SupplierConfig) -> Margin:
        """The margin on a buyer's bids for a supplier: the supplier's override wins over the
        buyer's, which wins over the campaign's default."""
        if supplier.margin is not None:
            return supplier.margin.to_margin()
        buyer = self.buyers.get(buyer_id)
        if buyer is not None and buyer.margin is not None:
            return buyer.margin.to_margin()
        return self.margin

    def penalty_of(self, buyer_id: str) -> Decimal:
        buyer = self.buyers.get(buyer_id)
        return buyer.bid_penalty if buyer is not None else Decimal(0)


@dataclass(frozen=True, slots=True)
class Catalog:
    campaigns: Mapping[str, Campaign]
    supplier_keys: Mapping[str, str]  # supplier id -> key hash, across campaigns

    @classmethod
    def from_workspace(
        cls, workspace: Workspace, archived: frozenset[str] = frozenset()
    ) -> "Catalog":
        campaigns = {c.id: Campaign.from_config(c, c.id in archived) for c in workspace.campaigns}
        keys = {s.id: s.key_sha256 or "" for c in campaigns.values() for s in c.suppliers.values()}
        return cls(MappingProxyType(campaigns), MappingProxyType(keys))

    def key_matches(self, supplier_id: str, key: str) -> bool:
        """Whether ``key`` is the key of the supplier ``supplier_id`` (False if unknown)."""
        return _proves(self.supplier_keys.get(supplier_id), key)

    def authenticate(
        self, campaign_id: str, supplier_id: str, key: str
    ) -> tuple[Campaign, SupplierConfig] | Refusal:
        """The campaign and supplier a request speaks for, or why it may not.

        Unknown campaign, unknown supplier, a supplier not on the campaign and a wrong key get
        the same answer after the same work (one hash, one constant-time comparison), so
        neither the answer nor its timing tells which campaign or supplier ids exist. Only a
        supplier that proved its key learns that its campaign is archived or something is
        paused.
        """
        campaign = self.campaigns.get(campaign_id)
        supplier = campaign.suppliers.get(supplier_id) if campaign is not None else None
        # Hash first, then look at what was found: the order keeps the work the same.
        if (
            not _proves(supplier.key_sha256 if supplier is not None else None, key)
            or campaign is None
            or supplier is None
        ):
            return Refusal(Code.UNAUTHORIZED, "unknown campaign or supplier, or wrong key")
        if campaign.archived:
            return Refusal(Code.ARCHIVED, "campaign is archived")
        if campaign.config.paused:
            return Refusal(Code.FORBIDDEN, "campaign is paused")
        if supplier.paused:
            return Refusal(Code.FORBIDDEN, "supplier is paused")
        return campaign, supplier


# What an unknown supplier's key is compared with: no key hashes to it (it is not hex).
_NO_DIGEST = "-" * 64


def _proves(stored: str | None, key: str) -> bool:
    """Whether ``key`` hashes to ``stored``; the same work whether or not there is a digest."""
    return hmac.compare_digest(hash_key(key), stored or _NO_DIGEST)
