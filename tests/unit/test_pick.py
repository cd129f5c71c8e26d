"""The pure parts of the Pick recorded by Pickpost: the token, the disclosure, what is hashed
as rendered, the picks and the comparison of a POST's consent with the recorded pick."""

import pytest
from pydantic import ValidationError

from pickpost.domain.bids import OfferedBid
from pickpost.domain.consent_ledger import canonical, sha256_hex
from pickpost.domain.ids import new_id
from pickpost.domain.pick import (
    PickRefused,
    RecordedPick,
    consent_differs,
    disclosure,
    join_names,
    new_token,
    origin_allowed,
    picked_bids,
    ping_of,
    rendered_hash,
    shown_entries,
    token_hash,
    token_matches,
)
from pickpost.domain.workspace import CampaignConfig, PickConfig

BIDS = (
    OfferedBid("b_1", "alpha", 3600, 4000, "Alpha Energy LLC", additional_data={
        "display_name": "Alpha", "logo_url": "https://alpha.example/logo.png", "phone": "800"}),
    OfferedBid("b_2", "beta", 2700, 3000, "Beta Solar Inc.",
               additional_data={"description": "Panels since 1999"}),
    OfferedBid("b_3", "gamma", 2000, 2500, "Gamma Roofing Co."),
)  # fmt: skip


PING = new_id("p")


def test_a_token_names_its_ping_and_only_its_hash_matches_it() -> None:
    token = new_token(PING)
    assert ping_of(token) == PING
    assert token_matches(token, token_hash(token))
    assert not token_matches(token, token_hash(new_token(PING)))
    assert not token_matches(token, None)
    assert new_token(PING) != token  # random: unguessable, one per ping


@pytest.mark.parametrize(
    "text",
    [
        "",
        PING,
        f"{PING}.",
        ".secret-secret-secret",
        f"{PING}.short",
        f"{PING}.secret\x00secret-secret",
        "p_abc.secret-secret-secret",  # no ping id of ours
        f"l_{PING[2:]}.secret-secret-secret",
    ],
)
def test_text_that_is_no_token_names_no_ping(text: str) -> None:
    assert ping_of(text) is None


def test_names_join_in_the_consumers_order() -> None:
    assert join_names([]) == ""
    assert join_names(["A"]) == "A"
    assert join_names(["B", "A"]) == "B and A"
    assert join_names(["C", "A", "B"]) == "C, A and B"


def test_the_disclosure_takes_the_names_at_every_placeholder() -> None:
    template = "I agree that {names} may call me. ({names})"
    assert (
        disclosure(template, ["Beta", "Alpha"])
        == "I agree that Beta and Alpha may call me. (Beta and Alpha)"
    )


def test_shown_entries_keep_the_screen_order_and_only_display_data() -> None:
    shown = shown_entries(BIDS)
    assert [s["bid_id"] for s in shown] == ["b_1", "b_2", "b_3"]
    assert shown[0]["display"] == {
        "display_name": "Alpha",
        "logo_url": "https://alpha.example/logo.png",
    }
    assert shown[1]["display"] == {"description": "Panels since 1999"}
    assert shown[2]["display"] == {}


def test_the_rendered_hash_commits_to_the_disclosure_and_the_entities_in_order() -> None:
    shown = shown_entries(BIDS)
    digest = rendered_hash(shown, "text")
    assert digest == sha256_hex(canonical({"disclosure": "text", "shown": shown}))
    assert rendered_hash(shown, "other text") != digest
    assert rendered_hash(list(reversed(shown)), "text") != digest


def test_picks_keep_the_order_they_were_ticked_in() -> None:
    assert [b.bid_id for b in picked_bids(BIDS, ["b_2", "b_1"])] == ["b_2", "b_1"]


@pytest.mark.parametrize(
    ("picked", "why"),
    [([], "at least one"), (["b_9"], "not shown"), (["b_1", "b_1"], "twice")],
)
def test_a_pick_of_nothing_of_a_bid_not_shown_or_twice_the_same_is_refused(
    picked: list[str], why: str
) -> None:
    with pytest.raises(PickRefused, match=why):
        picked_bids(BIDS, picked)


def test_a_consent_is_the_pick_only_with_the_same_bids_in_the_same_order() -> None:
    assert consent_differs(["b_2", "b_1"], ["b_2", "b_1"]) is None
    assert "order" in (consent_differs(["b_2", "b_1"], ["b_1", "b_2"]) or "")
    assert "other bids" in (consent_differs(["b_2", "b_1"], ["b_2"]) or "")
    assert "other bids" in (consent_differs(["b_2"], ["b_2", "b_3"]) or "")
    assert "other bids" in (consent_differs(["b_2", "b_1"], ["b_2", "b_3"]) or "")


def test_origins_are_the_campaigns_or_this_servers() -> None:
    allowed = ("https://supplier.example",)
    assert origin_allowed(None, allowed, "http://127.0.0.1:8000")
    assert origin_allowed("https://supplier.example", allowed, "http://127.0.0.1:8000")
    assert origin_allowed("http://127.0.0.1:8000", allowed, "http://127.0.0.1:8000")
    assert not origin_allowed("https://evil.example", allowed, "http://127.0.0.1:8000")
    assert not origin_allowed("https://supplier.example.evil", allowed, "http://127.0.0.1:8000")


def test_a_recorded_pick_gives_facts_without_personal_values_and_first_hand_evidence() -> None:
    pick = RecordedPick(
        ping_id="p_1", campaign_id="100", recorded_at=1_700_000_000.1234,
        disclosure="I agree that Beta may call me.", shown=("b_1", "b_2"), picked=("b_2",),
        rendered_sha256="ab" * 32,
        personal={"ip_address": "203.0.113.9", "user_agent": "UA", "landing_page_url": "https://s.example/"},
    )  # fmt: skip
    facts = pick.facts()
    assert facts == {
        "source": "pickpost",
        "recorded_at": 1_700_000_000_123,
        "disclosure_sha256": sha256_hex(b"I agree that Beta may call me."),
        "rendered_sha256": "ab" * 32,
        "shown": ["b_1", "b_2"],
        "picked": ["b_2"],
    }
    assert "203.0.113.9" not in canonical(facts).decode()
    assert pick.evidence() == {"tcpa_text": "I agree that Beta may call me.", **pick.personal}


def _campaign(**extra: object) -> dict[str, object]:
    return {"id": "1", "type": "one_to_one", **extra}


def test_pick_settings_default_and_validate_with_clear_messages() -> None:
    assert CampaignConfig.model_validate(_campaign()).pick_settings == PickConfig()
    config = CampaignConfig.model_validate(_campaign(pick={
        "disclosure": "Yes, {names} may call.", "required": True, "token_ttl_s": 120,
        "origins": ["https://WWW.Supplier.example", "http://127.0.0.1:9000"]}))  # fmt: skip
    assert config.pick_settings.origins == ("https://www.supplier.example", "http://127.0.0.1:9000")
    for bad, message in (
        ({"disclosure": "no placeholder"}, "must contain {names}"),
        ({"origins": ["https://s.example/page"]}, "must be an origin"),
        ({"origins": ["s.example"]}, "must be an origin"),
        ({"token_ttl_s": 5}, "greater than or equal to 30"),
    ):
        with pytest.raises(ValidationError, match=message):
            CampaignConfig.model_validate(_campaign(pick=bad))
    with pytest.raises(ValidationError, match="one_to_one campaigns only"):
        CampaignConfig.model_validate({"id": "1", "type": "exchange", "pick": {}})
