"""Obviously fake people: 555-01xx phone numbers, @example.com emails, documentation IP
ranges and example.com URLs, shaped by each field's declared type so they validate."""

import random
from collections.abc import Sequence

from pickpost.domain.fields import FieldSpec, FieldType

FIRST = (
    "Avery", "Blake", "Casey", "Dana", "Elliot", "Frankie", "Gray", "Harper", "Indy", "Jordan",
    "Kai", "Logan", "Morgan", "Noel", "Oakley", "Parker", "Quinn", "Reese", "Sage", "Taylor",
)  # fmt: skip
LAST = (
    "Abbott", "Brooks", "Castillo", "Diaz", "Ellison", "Fischer", "Garcia", "Hughes", "Ibarra",
    "Jensen", "Kim", "Lopez", "Moreno", "Nguyen", "Okafor", "Patel", "Quintero", "Reyes",
    "Sato", "Turner",
)  # fmt: skip
# (zip, state, area code): real places, so zip filters and state prices behave as live.
PLACES = (
    ("78701", "TX", "512"), ("78745", "TX", "512"), ("73301", "TX", "512"),
    ("75201", "TX", "214"), ("77002", "TX", "713"), ("90012", "CA", "213"),
    ("94103", "CA", "415"), ("92101", "CA", "619"), ("85004", "AZ", "602"),
    ("85701", "AZ", "520"), ("33101", "FL", "305"), ("32801", "FL", "407"),
    ("10001", "NY", "212"), ("60601", "IL", "312"), ("80202", "CO", "303"),
    ("98101", "WA", "206"), ("30303", "GA", "404"), ("97201", "OR", "503"),
)  # fmt: skip
AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Version/18.1 Safari/605",
)
TCPA = "By clicking Submit I agree to be contacted by the companies I selected."


def person(fields: Sequence[FieldSpec], rng: random.Random) -> dict[str, object]:
    """A value for every declared field, as a supplier would send it."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    zip_code, state, area = rng.choice(PLACES)
    known: dict[str, object] = {
        "first_name": first,
        "last_name": last,
        "zip_code": zip_code,
        "state": state,
        "phone": f"({area}) 555-01{rng.randrange(100):02d}",
        "email": f"{first}.{last}{rng.randrange(1000)}@example.com".lower(),
        "user_agent": rng.choice(AGENTS),
        "tcpa_text": TCPA,
        "home_owner": "yes" if rng.random() < 0.8 else "no",
    }
    return {spec.name: known.get(spec.name) or _by_type(spec, rng) for spec in fields}


def _by_type(spec: FieldSpec, rng: random.Random) -> object:
    kind = spec.type
    if kind is FieldType.ENUM:
        return rng.choice(spec.values)
    if kind is FieldType.PHONE:
        return f"(512) 555-01{rng.randrange(100):02d}"
    if kind is FieldType.EMAIL:
        return f"person{rng.randrange(10_000)}@example.com"
    if kind is FieldType.ZIP:
        return rng.choice(PLACES)[0]
    if kind is FieldType.STATE:
        return rng.choice(PLACES)[1]
    if kind is FieldType.IP:
        return f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randrange(1, 255)}"
    if kind is FieldType.URL:
        return f"https://supplier.example/{spec.name}/{rng.randrange(1000):03d}"
    if kind is FieldType.NUMBER:
        return rng.randrange(550, 850) if "score" in spec.name else rng.randrange(1, 100)
    if kind is FieldType.BOOL:
        return rng.random() < 0.5
    if kind is FieldType.DATE:
        return f"{rng.randrange(1950, 2005)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
    if kind is FieldType.DATETIME:
        return f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T12:00:00Z"
    return f"sample {spec.name} {rng.randrange(1000)}"
