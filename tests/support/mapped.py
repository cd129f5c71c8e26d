"""The mapping an operator would write for the ``mapped_xml`` simulated buyer."""

from typing import Any


def mapping(base_url: str, post_format: str = "form") -> dict[str, Any]:
    """How an operator would map this buyer's API (docs/buyers.md)."""
    result = {"path": "response/result"}
    return {
        "ping": {
            "url": f"{base_url}/ping",
            "format": "form",
            "body": {"zip": "{{zip_code}}", "st": "{{state|upper}}", "ping": "{{lp_ping_id}}"},
            "response": {
                "format": "xml",
                "accepted": {**result, "equals": "ok"},
                "price": "response/bid/amount",
                "token": "response/bid/id",
                "reason": "response/message",
            },
        },
        "post": {
            "url": f"{base_url}/post",
            "format": post_format,
            "body": {
                "lead_id": "{{lp_lead_id}}",
                "bid": "{{ping_response.response.bid.id}}",
                "phone": "{{phone|phone10}}",
                "price": "{{lp_price}}",
            },
            "response": {
                "accepted": {**result, "equals": "accepted"},
                "duplicate": {**result, "equals": "duplicate"},
                "reason": "response/message",
                "fields": {"redirect_url": "response/redirect"},
            },
        },
    }
