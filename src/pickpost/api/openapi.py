"""OpenAPI descriptions of the supplier endpoints, which read their bodies by hand.

The handlers parse JSON and form bodies themselves (for speed and for Lead Prosper's loose
typing), so FastAPI cannot infer these schemas; they are written here for ``/docs``.
"""

from typing import Any

_AUTH: dict[str, Any] = {
    "lp_campaign_id": {"type": "string", "example": "101"},
    "lp_supplier_id": {"type": "string", "example": "7"},
    "lp_key": {"type": "string", "example": "demo-supplier-key-not-secret"},
    "lp_action": {"type": "string", "enum": ["test"], "description": "marks a test lead"},
    **{f"lp_subid{i}": {"type": "string", "maxLength": 75} for i in range(1, 7)},
}
_REQUIRED = ["lp_campaign_id", "lp_supplier_id", "lp_key"]
_LEAD_NOTE = (
    "Plus the campaign's fields (see the supplier's spec); unknown keys are kept with the lead."
)


def _body(properties: dict[str, Any], required: list[str], example: dict[str, Any]) -> Any:
    schema = {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": True,
        "description": _LEAD_NOTE,
        "example": example,
    }
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schema},
                "application/x-www-form-urlencoded": {"schema": schema},
            },
        }
    }


_AUTH_EXAMPLE = {"lp_campaign_id": "101", "lp_supplier_id": "7", "lp_key": "demo-supplier-key"}

PING = _body(
    _AUTH,
    _REQUIRED,
    {**_AUTH_EXAMPLE, "zip_code": "78701", "state": "TX"},
)

POST = _body(
    {
        **_AUTH,
        "lp_ping_id": {"type": "string", "description": "ping_id from the PING answer"},
        "lp_consent_bids": {
            "description": "the picked bid ids, in the order to attempt",
            "oneOf": [
                {"type": "array", "items": {"type": "string"}},
                {"type": "string", "description": "comma-separated"},
            ],
        },
    },
    [*_REQUIRED, "lp_ping_id", "lp_consent_bids"],
    {
        **_AUTH_EXAMPLE,
        "lp_ping_id": "p_…",
        "lp_consent_bids": ["b_…"],
        "zip_code": "78701",
        "state": "TX",
        "phone": "5125550142",
    },
)

ENVELOPE: dict[int | str, dict[str, Any]] = {
    200: {"description": "every business outcome: ACCEPTED, or ERROR 2001 / 2002"},
    400: {"description": "ERROR 1000, 1001, 1004, 1013 or 1020; `errors` names fields"},
    401: {"description": "ERROR 1002"},
    403: {"description": "ERROR 1003 (paused) or 1021 (archived)"},
    404: {"description": "ERROR 1010 (POST)"},
    409: {"description": "ERROR 1014 (POST): an earlier POST of the ping is still selling"},
    410: {"description": "ERROR 1011 (POST): the ping expired"},
}
