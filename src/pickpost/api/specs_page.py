"""The spec page as HTML: one self-contained page, inline CSS, no scripts, every value escaped.

Functions here return markup; text from the spec enters it only through :func:`_e`.
"""

import json
from collections.abc import Iterable, Sequence
from html import escape

from pickpost.api.spec_content import NOT_SENT, CampaignSpec, ExampleResponse, StepDoc, SupplierSpec

_CSS = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;margin:0;
background:#f6f8fa}
main{max-width:64rem;margin:0 auto;padding:1.5rem 2rem 4rem;background:#fff}
h1{margin-bottom:.25rem}h2{margin-top:3rem;border-bottom:2px solid #d0d7de;padding-bottom:.3rem}
h3{margin-top:2rem}h4{margin:1.25rem 0 .5rem}
code,pre{font:14px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{background:#eff1f3;padding:.1em .3em;border-radius:4px}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.75rem;overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #d0d7de;padding:.35rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dt{font-weight:600}dd{margin:0}
.muted{color:#59636e;font-weight:normal}
.badge{display:inline-block;font-size:.75rem;font-weight:600;padding:.1rem .5rem;
border-radius:1rem;background:#ddf4ff;color:#0550ae;vertical-align:middle}
.badge.paused{background:#fff1e5;color:#953800}.badge.test{background:#fbefff;color:#8250df}
.note{border-left:4px solid #d4a72c;background:#fff8c5;padding:.5rem .75rem}
summary{cursor:pointer;font-weight:600}details{margin:.5rem 0}
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _code(text: object) -> str:
    return f"<code>{_e(text)}</code>"


def _list(items: Iterable[str], empty: str) -> str:
    """A bullet list of texts, or ``empty`` in a paragraph."""
    entries = "".join(f"<li>{_e(item)}</li>" for item in items)
    return f"<ul>{entries}</ul>" if entries else f"<p>{_e(empty)}</p>"


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table; ``head`` is text, ``rows`` hold markup."""
    heading = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{heading}</tr></thead><tbody>{body}</tbody></table>"


def _badges(campaign: CampaignSpec) -> str:
    kind = campaign.type + (f" ({campaign.exchange_mode})" if campaign.exchange_mode else "")
    badges = [f'<span class="badge">{_e(kind)}</span>']
    if campaign.status == "paused":
        badges.append('<span class="badge paused">paused</span>')
    if campaign.test_mode:
        badges.append('<span class="badge test">test mode</span>')
    return " ".join(badges)


def _anchor(campaign: CampaignSpec) -> str:
    return _e(f"campaign-{campaign.id}")


def render(spec: SupplierSpec) -> str:
    """The whole page for ``spec``."""
    who = spec.name or f"supplier {spec.supplier_id}"
    index = "".join(
        f'<li><a href="#{_anchor(c)}">{_e(c.name or c.id)}</a> '
        f'<span class="muted">campaign {_e(c.id)}</span> {_badges(c)}</li>'
        for c in spec.campaigns
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>Integration spec – {_e(who)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>Integration spec: {_e(who)}</h1>"
        f'<p class="muted">Supplier id {_code(spec.supplier_id)} · base URL '
        f"{_code(spec.base_url)}</p>"
        f"{_basics()}<h2>Campaigns</h2><ul>{index}</ul>"
        + "".join(_campaign(c) for c in spec.campaigns)
        + "</main></body></html>"
    )


def _basics() -> str:
    return (
        "<h2>How to call</h2><ul>"
        "<li>Send each call as <code>POST</code> with a JSON object "
        "(<code>Content-Type: application/json</code>) or as form data; query-string "
        "parameters are merged in. Values may be strings or numbers. Field names are "
        "case-sensitive.</li>"
        "<li>Authenticate every call with <code>lp_campaign_id</code>, "
        "<code>lp_supplier_id</code> and <code>lp_key</code>. Your key is not shown on this "
        "page: put it where the examples say <code>YOUR_KEY</code>, and send it only from your "
        "server.</li>"
        "<li>Every answer is a JSON object with <code>status</code> (<code>ACCEPTED</code>, "
        "<code>DUPLICATED</code> or <code>ERROR</code>), <code>code</code> and "
        "<code>error_code</code> (one value: 0 when accepted), <code>message</code> and "
        "<code>request_id</code> (quote it when asking for help). Field errors are listed in "
        "<code>errors</code>; a stored lead is named by <code>lead_id</code> and <code>id</code>."
        "</li>"
        "<li>HTTP 200 for every business outcome (accepted, filtered, duplicate, no bids, not "
        "sold, not confirmed); 400, 401, 403, 404, 409, 410 or 429 when the request itself is "
        "refused. A client that raises on any non-2xx status finds the answer in the error's "
        "body.</li>"
        "<li>Test leads: send <code>lp_action=test</code>. A test lead runs the whole flow "
        "against buyers' test behaviour, is not billed and counts against no cap.</li>"
        "</ul>"
    )


def _campaign(campaign: CampaignSpec) -> str:
    notes = ""
    if campaign.status == "paused":
        notes += '<p class="note">Paused: calls to this campaign answer 1003 until resumed.</p>'
    if campaign.test_mode:
        notes += (
            '<p class="note">Test mode: every lead you send here is a test lead, as if it '
            "carried <code>lp_action=test</code>.</p>"
        )
    endpoints = ", ".join(f"{_code('POST')} {_code(step.url)}" for step in campaign.steps)
    facts = [("Type", _e(campaign.type)), ("Calls", endpoints)]
    if campaign.exchange_mode:
        facts.insert(1, ("Exchange mode", _e(campaign.exchange_mode)))
    if campaign.ping_ttl_s is not None:
        facts.append(("Ping TTL", _e(f"{campaign.ping_ttl_s} s")))
    facts.append(("Ping timeout", _e(f"{campaign.ping_timeout_ms} ms")))
    facts.append(("Time zone", _e(campaign.timezone)))
    details = "".join(f"<dt>{_e(name)}</dt><dd>{value}</dd>" for name, value in facts)
    return (
        f'<section id="{_anchor(campaign)}">'
        f"<h2>{_e(campaign.name or campaign.id)} "
        f'<span class="muted">campaign {_e(campaign.id)}</span> {_badges(campaign)}</h2>'
        f"{notes}<dl>{details}</dl>"
        f"<h3>How it works</h3>{_list(campaign.rules, '')}"
        f"<h3>Lead fields</h3>{_fields(campaign)}"
        f"<h3>Filters</h3>{_list(campaign.filters, 'None: every valid lead is accepted.')}"
        '<p class="muted">Values are compared case-insensitively. A lead that fails a filter '
        "answers 1005; at the PING, filters on fields sent only with the POST wait for it.</p>"
        f"<h3>Your caps</h3>{_list(campaign.caps, 'None.')}"
        '<p class="muted">Over a cap: 1006 (HTTP 429) with <code>Retry-After</code>, the '
        "seconds until the period ends. Days, weeks and months are those of the campaign's "
        "time zone.</p>" + "".join(_step(step) for step in campaign.steps) + "</section>"
    )


def _fields(campaign: CampaignSpec) -> str:
    if not campaign.fields:
        return "<p>None declared: send only the reserved fields.</p>"
    if campaign.type == "direct_post":
        head = ["Field", "Type", "Format", "Direct post"]
        rows = [
            [_code(f.name), _e(f.type), _e(f.format), _e(f.post)]
            for f in campaign.fields
            if f.post != NOT_SENT
        ]
    else:
        head = ["Field", "Type", "Format", "PING", "POST"]
        rows = [
            [_code(f.name), _e(f.type), _e(f.format), _e(f.ping), _e(f.post)]
            for f in campaign.fields
        ]
    return _table(head, rows)


def _step(step: StepDoc) -> str:
    reserved = _table(
        ["Field", "", "Meaning"],
        ([_code(r.name), _e(r.requirement), _e(r.meaning)] for r in step.reserved),
    )
    responses = "".join(_response(r, opened=i == 0) for i, r in enumerate(step.responses))
    return (
        f"<h3>{_e(step.name.upper())}: {_code('POST ' + step.url)}</h3><p>{_e(step.purpose)}</p>"
        f"<h4>Reserved fields</h4>{reserved}"
        f"<h4>Example request</h4><pre>{_e(step.curl)}</pre>"
        f"<h4>Example responses</h4>{responses}"
    )


def _response(response: ExampleResponse, opened: bool) -> str:
    code = response.body.get("code")
    headers = "".join(f"{name}: {value}\n" for name, value in response.headers.items())
    body = json.dumps(response.body, indent=2, ensure_ascii=False)
    return (
        f"<details{' open' if opened else ''}><summary>{_e(code)} {_e(response.outcome)} "
        f'<span class="muted">HTTP {_e(response.http_status)}</span></summary>'
        f"<pre>{_e(headers)}{_e(body)}</pre></details>"
    )
