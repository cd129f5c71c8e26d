"""The consumer's pages (docs/consent.md, "The receipt and withdrawal"): the receipt, the
withdrawal's confirm step, and the page of a link that is not valid. One self-contained HTML page
each (inline CSS, no script, nothing loaded), readable on a phone, printable, and every value
entering the markup through :func:`_e`."""

from datetime import UTC, datetime
from html import escape

from pickpost.domain.receipt import Receipt, Recipient

_CSS = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;margin:0;
background:#f6f8fa}
main{max-width:40rem;margin:0 auto;padding:1.25rem 1rem 3rem;background:#fff}
h1{font-size:1.5rem;margin:.5rem 0}h2{font-size:1.15rem;margin-top:1.75rem}
ul.recipients{list-style:none;padding:0;margin:0}
ul.recipients li{border:1px solid #d0d7de;border-radius:6px;padding:.6rem .8rem;margin:.5rem 0}
.entity{font-weight:600;display:block}.muted{color:#59636e}
blockquote{margin:.5rem 0;padding:.5rem .75rem;border-left:4px solid #d0d7de;background:#f6f8fa}
.state{display:inline-block;font-size:.9rem;padding:0 .4rem;border-radius:4px;background:#eaeef2}
.state-delivered{background:#dafbe1}.state-no_channel{background:#fff8c5}
button,.button{font:inherit;padding:.6rem 1rem;border-radius:6px;border:1px solid #cf222e;
background:#cf222e;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
.secondary{background:#fff;color:#1f2328;border-color:#d0d7de}
button:focus,.button:focus,a:focus{outline:3px solid #0969da;outline-offset:2px}
.notice{border:1px solid #1a7f37;background:#dafbe1;padding:.6rem .8rem;border-radius:6px}
@media print{body{background:#fff}main{max-width:none;padding:0}form,.button{display:none}}
"""

_STATES = {
    "pending": "withdrawal being delivered",
    "delivered": "withdrawal delivered",
    "no_channel": "this company takes no electronic withdrawals: contact it directly",
}


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _when(iso: str) -> str:
    """A ledger time (``2026-11-27T10:15:00.123Z``) for people, machine-readable beside it."""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return f"<time>{_e(iso)}</time>"
    shown = moment.strftime("%-d %B %Y, %H:%M UTC")
    return f'<time datetime="{_e(iso)}">{_e(shown)}</time>'


def page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def _recipient(recipient: Recipient) -> str:
    state = ""
    if recipient.revocation is not None:
        label = _STATES.get(recipient.revocation, recipient.revocation)
        state = f' <span class="state state-{_e(recipient.revocation)}">{_e(label)}</span>'
    return (
        f'<li><span class="entity">{_e(recipient.entity)}</span>'
        f'<span class="muted">received your information on {_when(recipient.received_at)}'
        f"</span>{state}</li>"
    )


def receipt_page(receipt: Receipt, withdraw_path: str, just_withdrawn: bool) -> str:
    parts = ["<h1>Your consent receipt</h1>"]
    if just_withdrawn:
        parts.append(
            '<p class="notice" role="status">Your consent is withdrawn. Each company below '
            "is being told.</p>"
        )
    if receipt.consented_at is not None:
        parts.append(f"<p>You agreed to be contacted on {_when(receipt.consented_at)}.</p>")
    parts.append("<h2>Who received your information</h2>")
    if receipt.recipients:
        items = "".join(_recipient(r) for r in receipt.recipients)
        parts.append(f'<ul class="recipients" aria-label="Companies">{items}</ul>')
    else:
        parts.append("<p>No company received your information.</p>")
    parts.append("<h2>What you agreed to</h2>")
    if receipt.disclosure:
        parts.append(f"<blockquote>{_e(receipt.disclosure)}</blockquote>")
    else:
        parts.append(
            '<p class="muted">The text you were shown was not recorded with your '
            "information, or has since been deleted under the retention policy.</p>"
        )
    parts.append("<h2>Withdraw your consent</h2>")
    if receipt.withdrawn_at is not None:
        parts.append(f"<p>You withdrew your consent on {_when(receipt.withdrawn_at)}.</p>")
    elif receipt.recipients:
        parts.append(
            "<p>You can withdraw your consent: every company above will be told to stop "
            "contacting you.</p>"
            f'<p><a class="button" href="{_e(withdraw_path)}">Withdraw consent…</a></p>'
        )
    else:
        parts.append("<p>There is nothing to withdraw.</p>")
    parts.append(
        '<p class="muted">Keep this page: its address is your receipt. It shows nothing '
        "else about you.</p>"
    )
    return page("Your consent receipt", "".join(parts))


def confirm_page(receipt: Receipt, receipt_path: str, action: str, token: str) -> str:
    names = "".join(f"<li>{_e(r.entity)}</li>" for r in receipt.recipients)
    body = (
        "<h1>Withdraw your consent?</h1>"
        f"<p>These companies will be told to stop contacting you:</p><ul>{names}</ul>"
        f'<form method="post" action="{_e(action)}">'
        f'<input type="hidden" name="token" value="{_e(token)}">'
        '<p><button type="submit" name="confirm" value="yes">Yes, withdraw my consent</button> '
        f'<a class="button secondary" href="{_e(receipt_path)}">No, go back</a></p>'
        "</form>"
    )
    return page("Withdraw your consent?", body)


def not_found_page() -> str:
    return page(
        "Link not valid",
        "<h1>This link is not valid</h1><p>The address may be incomplete or mistyped. Open the "
        "link exactly as you received it.</p>",
    )


def refused_page(message: str) -> str:
    return page("Not done", f"<h1>Not done</h1><p>{_e(message)}</p>")
