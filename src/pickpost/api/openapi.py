"""The OpenAPI document: the supplier endpoints' bodies, which their handlers read by hand, the
envelope every error answers in, and the admin API's bearer token.

The handlers parse JSON and form bodies themselves (for speed and for Lead Prosper's loose
typing), so FastAPI cannot infer these schemas; they are written here for ``/docs``. Nothing
answers FastAPI's 422: a request it cannot validate gets the envelope with HTTP 400
(docs/supplier-api.md, "The envelope"), so :func:`finish` replaces those declarations.
"""

from typing import Any

_AUTH: dict[str, Any] = {
    "lp_campaign_id": {"type": "string", "example": "101"},
    "lp_supplier_id": {"type": "string", "example": "7"},
    "lp_key": {"type": "string", "example": "YOUR_KEY"},
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


_AUTH_EXAMPLE = {"lp_campaign_id": "101", "lp_supplier_id": "7", "lp_key": "YOUR_KEY"}

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

_ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": 'docs/supplier-api.md, "The envelope"; a sale\'s answer adds its fields',
    "required": ["status", "code", "error_code", "message", "request_id"],
    "properties": {
        "status": {"type": "string", "enum": ["ACCEPTED", "DUPLICATED", "ERROR"]},
        "code": {"type": "integer", "description": "0 when accepted, else an error code"},
        "error_code": {"type": "integer", "description": "the same value as code"},
        "message": {"type": "string"},
        "request_id": {
            "type": ["string", "null"],
            "description": "null for the admin API and paths no handler serves",
        },
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "lead_id": {"type": "string"},
        "id": {"type": "string", "description": "the same value as lead_id"},
        "receipt_url": {
            "type": "string",
            "description": "where a lead was stored: the consumer's receipt, a signed link "
            "(docs/consent.md)",
        },
    },
    "additionalProperties": True,
}


def _answer(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}},
    }


ENVELOPE: dict[int | str, dict[str, Any]] = {
    200: _answer(
        "every lead outcome: ACCEPTED (code 0), DUPLICATED (1008), or ERROR 1005, 1015, "
        "2001, 2002, 2003"
    ),
    400: _answer("ERROR 1000, 1001, 1004, 1013 or 1020; `errors` names fields"),
    401: _answer("ERROR 1002"),
    403: _answer("ERROR 1003 (paused) or 1021 (archived)"),
    404: _answer("ERROR 1010 (POST)"),
    409: _answer("ERROR 1014 (POST): an earlier POST of the ping is still selling"),
    410: _answer("ERROR 1011 (POST): the ping expired"),
    429: _answer("ERROR 1006: a supplier cap is reached; header Retry-After"),
    500: _answer("ERROR 1099: a bug or an outage, never the input"),
}

SPEC_PAGE: dict[int | str, dict[str, Any]] = {
    400: _answer("ERROR 1001: no key; 1000: a malformed parameter"),
    401: _answer("ERROR 1002: unknown supplier or wrong key"),
    403: _answer("ERROR 1003: the supplier is not attached to that campaign"),
}

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _answer("ERROR 1030: no such thing")}
CHANGE: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    403: _answer("ERROR 1031: the token's role may not change anything (analyst, scoped users)"),
}

_ADMIN: dict[str, dict[str, Any]] = {
    "400": _answer("ERROR 1000: a malformed parameter; `errors` names it"),
    "401": _answer("ERROR 1002: no valid admin bearer token"),
}
_BEARER = "adminToken"


def finish(document: dict[str, Any]) -> dict[str, Any]:
    """FastAPI's document made true to the server: no 422 (nothing answers it), the envelope
    declared, and the admin routes (``/api/…``) and Lead Prosper's (``/public/…``) behind the
    bearer token. Idempotent: FastAPI
    caches the document this changes."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["Envelope"] = _ENVELOPE_SCHEMA
    components["securitySchemes"] = {
        _BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "a user's API token (pp_<id>_<secret>) or the server's "
            "PICKPOST_ADMIN_TOKEN (the bootstrap owner)",
        }
    }
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            if path.startswith("/api/"):
                operation["security"] = [{_BEARER: []}]
                responses.update(_ADMIN)
            elif path.startswith("/public/"):  # Lead Prosper's API: its own error bodies
                operation["security"] = [{_BEARER: []}]
    return document
