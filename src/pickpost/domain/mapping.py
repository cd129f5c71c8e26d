"""A mapped buyer's own API (docs/buyers.md) as configuration: how to build each request from
templates, and how to read the buyer's answer by rules.

Everything is checked at load – template syntax, transformers, regular expressions, paths, URLs,
system value names – so a broken mapping fails with the key that is wrong, never mid-sale.
"""

import re
from collections.abc import Iterator
from functools import cached_property
from typing import Annotated, ClassVar, Literal, Self

from pydantic import AfterValidator, Field, JsonValue, field_validator, model_validator

from pickpost.domain.consent import EVIDENCE_FIELDS
from pickpost.domain.model import Model, matching
from pickpost.domain.template import Tag, Template, TemplateError, parse

PING_RESPONSE = "ping_response."
CONSENT = "lp_consent."
PING_VALUES = frozenset(
    {"lp_ping_id", "lp_campaign_id", "lp_supplier_id", "lp_test", "lp_timestamp"}
)
POST_VALUES = PING_VALUES | {"lp_lead_id", "lp_price", "lp_bid_token"}
# What a revocation step may name (docs/buyers.md, "Revocation").
REVOKE_VALUES = frozenset(
    {"lp_lead_id", "lp_sale_id", "lp_bid_id", "lp_revoked_at", "lp_idempotency_key"}
)
CONSENT_VALUES = frozenset(
    {"tcpa_entity_name", "consented_at", "certificate_url", *EVIDENCE_FIELDS}
)

_URL_START = re.compile(r"https?://[^\s/?#{}]+([/?#]|$)")
_URL = re.compile(r"https?://[^\s/]+(/\S*)?")
_XML_NAME = re.compile(r"[A-Za-z_][\w.\-]*", re.ASCII)
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _template(text: str) -> Template:
    try:
        return parse(text)
    except TemplateError as error:
        raise ValueError(str(error)) from None


def _valid_path(path: str) -> str:
    segments = path.strip("/").split("/") if "/" in path else path.split(".")
    if not all(segments):
        raise ValueError(f"path {path!r} has an empty segment")
    return path


def _valid_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValueError(f"bad regular expression {pattern!r}: {error}") from None
    return pattern


def _valid_url(url: str) -> str:
    """An http(s) URL whose scheme and host are literal; tags may fill its path and query."""
    if "{{" not in url:
        if not _URL.fullmatch(url):
            raise ValueError(f"not an http(s) URL: {url!r}")
        return url
    if not _URL_START.match(url):
        raise ValueError("the scheme and host of a URL must be literal: http(s)://host/…")
    parts = _template(url).parts
    if not _URL.fullmatch("".join(part if isinstance(part, str) else "x" for part in parts)):
        raise ValueError(f"not an http(s) URL: {url!r}")
    return url


Path = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_valid_path)]
Regex = Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_valid_regex)]
UrlTemplate = Annotated[str, Field(max_length=2048), AfterValidator(_valid_url)]
Scalar = str | int | float | bool


class Matcher(Model):
    """When a rule holds: the value at ``path`` (the whole body without one) ``equals`` or
    ``contains`` a text (both case-insensitive) or matches ``regex``; or the HTTP ``status``."""

    path: Path | None = None
    equals: Scalar | None = None
    contains: Annotated[str, Field(min_length=1)] | None = None
    regex: Regex | None = None
    status: Annotated[int, Field(ge=100, le=599)] | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Self:
        given = [self.equals, self.contains, self.regex, self.status]
        if sum(test is not None for test in given) != 1:
            raise ValueError("give exactly one of equals, contains, regex or status")
        if self.status is not None and self.path is not None:
            raise ValueError("a status rule takes no path")
        return self


class ResponseRules(Model):
    """How to read an answer. ``format`` is detected from Content-Type (then the first byte)
    when absent; with ``format: text`` the value paths are regular expressions."""

    format: Literal["json", "xml", "text"] | None = None
    duplicate: Matcher | None = None
    reason: Path | None = None

    def value_paths(self) -> Iterator[str]:
        if self.reason is not None:
            yield self.reason

    def matchers(self) -> Iterator[Matcher]:
        if self.duplicate is not None:
            yield self.duplicate

    @model_validator(mode="after")
    def _text_rules(self) -> Self:
        if self.format == "text":
            for path in self.value_paths():
                _valid_regex(path)
            if any(matcher.path is not None for matcher in self.matchers()):
                raise ValueError("text rules match the whole body: give no path")
        return self


class PingRules(ResponseRules):
    """A bid when ``accepted`` holds (always, when absent) and ``price`` reads a positive number."""

    accepted: Matcher | None = None
    price: Path
    token: Path | None = None

    def value_paths(self) -> Iterator[str]:
        yield from super().value_paths()
        yield self.price
        if self.token is not None:
            yield self.token

    def matchers(self) -> Iterator[Matcher]:
        yield from super().matchers()
        if self.accepted is not None:
            yield self.accepted


class PostRules(ResponseRules):
    """Sold when ``accepted`` holds; ``fields`` map names to paths of values given back."""

    accepted: Matcher
    fields: dict[Annotated[str, Field(min_length=1, max_length=100)], Path] = Field(
        default_factory=dict
    )

    def value_paths(self) -> Iterator[str]:
        yield from super().value_paths()
        yield from self.fields.values()

    def matchers(self) -> Iterator[Matcher]:
        yield from super().matchers()
        yield self.accepted


def _strings(value: JsonValue, where: str) -> Iterator[tuple[str, str]]:
    """Every text in a body, with where it is (``body.applicant.zip``)."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}.{index}")


def _xml_names(value: JsonValue, where: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not _XML_NAME.fullmatch(key):
                raise ValueError(f"{where}: {key!r} is not an XML element name")
            _xml_names(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, list):
                raise ValueError(f"{where}.{index}: XML bodies take no list in a list")
            _xml_names(item, f"{where}.{index}")


class StepConfig(Model):
    """One request to the buyer: where it goes and what it carries."""

    step: ClassVar[Literal["ping", "post", "revoke"]] = "ping"
    method: Literal["GET", "POST", "PUT"] = "POST"
    url: UrlTemplate
    test_url: UrlTemplate | None = None
    headers: dict[str, Annotated[str, Field(max_length=4096)]] = Field(default_factory=dict)
    format: Literal["json", "form", "xml", "query"] = "json"
    xml_root: Annotated[str, matching(_XML_NAME.pattern, "must be an XML element name")] | None = (
        None
    )
    body: dict[str, JsonValue] | None = None

    @field_validator("url", "test_url")
    @classmethod
    def _url_values(cls, url: str | None) -> str | None:
        if url is not None:
            cls._known_values(parse(url))
        return url

    @field_validator("headers")
    @classmethod
    def _header_templates(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not a header name")
            try:
                cls._known_values(_template(value))
            except ValueError as error:
                raise ValueError(f"{name}: {error}") from None
        return headers

    @field_validator("body")
    @classmethod
    def _body_templates(cls, body: dict[str, JsonValue] | None) -> dict[str, JsonValue] | None:
        for where, text in _strings(body, "body"):
            try:
                cls._known_values(_template(text))
            except ValueError as error:
                raise ValueError(f"{where}: {error}") from None
        return body

    @model_validator(mode="after")
    def _body_fits_format(self) -> Self:
        if self.xml_root is not None and self.format != "xml":
            raise ValueError("xml_root is only for format: xml")
        if self.body is None:
            return self
        if self.method == "GET" and self.format != "query":
            raise ValueError("a GET sends no body: use format: query")
        if self.format in ("form", "query"):
            nested = [key for key, value in self.body.items() if isinstance(value, dict | list)]
            if nested:
                raise ValueError(f"{self.format} bodies are flat: {nested[0]!r} is nested")
        if self.format == "xml":
            _xml_names(self.body, "body")
        return self

    @classmethod
    def _known_values(cls, template: Template) -> None:
        """Refuse system values this step does not have (``lp_lead_id`` in a ping, say)."""
        for tag in template.tags:
            _known_value(tag, cls.step)

    def templates(self) -> Iterator[Template]:
        """Every template of this step: URLs, headers and body texts."""
        for url in (self.url, self.test_url):
            if url is not None:
                yield parse(url)
        for value in self.headers.values():
            yield parse(value)
        for _, text in _strings(self.body, "body"):
            yield parse(text)


def _known_value(tag: Tag, step: Literal["ping", "post", "revoke"]) -> None:
    name = tag.name
    if step == "post" and name.startswith(CONSENT):
        if name.removeprefix(CONSENT) not in CONSENT_VALUES:
            raise ValueError(f"unknown consent value {name!r}")
    elif step == "post" and name.startswith(PING_RESPONSE):
        return
    elif name.startswith(("lp_", PING_RESPONSE)):
        known = {"ping": PING_VALUES, "post": POST_VALUES, "revoke": REVOKE_VALUES}[step]
        if name not in known:
            raise ValueError(f"{name!r} is not a system value of the {step} step")


class PingStep(StepConfig):
    response: PingRules


class PostStep(StepConfig):
    step: ClassVar[Literal["ping", "post", "revoke"]] = "post"
    response: PostRules


class RevokeStep(StepConfig):
    """A consumer's withdrawal of consent, sent to the buyer; any 2xx acknowledges it."""

    step: ClassVar[Literal["ping", "post", "revoke"]] = "revoke"


class MappingConfig(Model):
    """A buyer with its own API: a post step, and a ping step unless it is direct-post only."""

    ping: PingStep | None = None
    post: PostStep
    revoke: RevokeStep | None = None

    @model_validator(mode="after")
    def _ping_values_need_a_ping(self) -> Self:
        if self.ping is None and self.carried_paths:
            raise ValueError("post uses ping_response.* but there is no ping step")
        return self

    @cached_property
    def carried_paths(self) -> tuple[str, ...]:
        """The paths of the ping answer the post uses: all of it that is kept with a bid."""
        names = {
            tag.name.removeprefix(PING_RESPONSE)
            for template in self.post.templates()
            for tag in template.tags
            if tag.name.startswith(PING_RESPONSE)
        }
        return tuple(sorted(names))
