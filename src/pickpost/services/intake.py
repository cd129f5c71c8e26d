"""What every supplier request goes through first: reserved fields and authentication."""

from collections.abc import Mapping
from dataclasses import dataclass

from pickpost.domain.catalog import Campaign, Catalog
from pickpost.domain.errors import Code, Refusal
from pickpost.domain.fields import FieldError
from pickpost.domain.workspace import SupplierConfig

AUTH_FIELDS = ("lp_campaign_id", "lp_supplier_id", "lp_key")
SUBIDS = tuple(f"lp_subid{i}" for i in range(1, 7))
SINGLE_VALUES = (*AUTH_FIELDS, "lp_ping_id", "lp_action", *SUBIDS)
MAX_SUBID_LENGTH = 75
_NOT_LEAD_DATA = frozenset({*AUTH_FIELDS, "lp_ping_id", "lp_consent_bids", "lp_bid_ids"})


@dataclass(frozen=True, slots=True)
class SupplierRequest:
    request_id: str
    endpoint: str
    arrived: float  # monotonic seconds, fixed when the request came in
    received_at: float  # epoch seconds
    data: dict[str, object]
    remote_addr: str | None = None
    base_url: str = ""  # where this server was reached: the start of the links it hands out

    def text(self, name: str) -> str | None:
        """A reserved parameter as text (suppliers send ids as numbers too)."""
        value = self.data.get(name)
        if value is None or isinstance(value, list | dict):
            return None
        text = str(value).strip()
        return text or None

    def key(self) -> str:
        """``lp_key`` exactly as sent: ids may be trimmed, but a secret with a space added is
        another secret."""
        value = self.data.get("lp_key")
        return "" if value is None or isinstance(value, list | dict) else str(value)

    def loggable(self) -> dict[str, object]:
        """The request as recorded: everything but the supplier's secret."""
        return {k: v for k, v in self.data.items() if k != "lp_key"}


@dataclass(frozen=True, slots=True)
class Admitted:
    campaign: Campaign
    supplier: SupplierConfig
    test: bool


def admit(catalog: Catalog, request: SupplierRequest) -> Admitted | Refusal:
    """Authenticate the request and check its reserved fields."""
    shapeless = [name for name in SINGLE_VALUES if isinstance(request.data.get(name), list | dict)]
    if shapeless:
        return Refusal(
            Code.MALFORMED,
            f"must be a single value: {', '.join(shapeless)}",
            tuple(FieldError(name, "must be a single value") for name in shapeless),
        )
    missing = [name for name in AUTH_FIELDS if request.text(name) is None]
    if missing:
        return Refusal(
            Code.MISSING_PARAMETER,
            f"missing required parameter: {', '.join(missing)}",
            tuple(FieldError(name, "is required") for name in missing),
        )
    found = catalog.authenticate(
        request.text("lp_campaign_id") or "",
        request.text("lp_supplier_id") or "",
        request.key(),
    )
    if isinstance(found, Refusal):
        return found
    campaign, supplier = found
    errors = reserved_errors(request.data)
    if errors:
        return validation_refusal(errors)
    test = supplier.mode == "test" or request.text("lp_action") == "test"
    return Admitted(campaign, supplier, test)


def reserved_errors(data: Mapping[str, object]) -> tuple[FieldError, ...]:
    errors = []
    action = data.get("lp_action")
    if action is not None and str(action).strip() not in ("", "test"):
        errors.append(FieldError("lp_action", "must be 'test' or absent"))
    for name in SUBIDS:
        value = data.get(name)
        if value is not None and len(str(value)) > MAX_SUBID_LENGTH:
            errors.append(FieldError(name, f"must be at most {MAX_SUBID_LENGTH} characters"))
    return tuple(errors)


def lead_fields(data: Mapping[str, object], normalised: Mapping[str, object]) -> dict[str, object]:
    """Everything the supplier sent but credentials, with declared fields normalised.

    Unknown keys stay with the lead as additional fields; reserved ones (sub ids, action) too,
    since operators report on them.
    """
    kept = {k: v for k, v in data.items() if k not in _NOT_LEAD_DATA}
    kept.update(normalised)
    return kept


def validation_refusal(errors: tuple[FieldError, ...]) -> Refusal:
    names = ", ".join(e.field for e in errors)
    return Refusal(Code.VALIDATION, f"field validation failed: {names}", errors)
