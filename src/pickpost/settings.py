"""Typed settings, from ``PICKPOST_*`` environment variables and CLI options."""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PICKPOST_", frozen=True)

    database_url: str = "sqlite:///var/pickpost.db"
    redis_url: str | None = None
    # Prefix of every Redis key: deployments sharing one Redis need distinct prefixes.
    redis_prefix: str = "pickpost:"
    host: str = "127.0.0.1"
    port: int = 8000
    admin_token: SecretStr | None = None
    # Kept back from the auction deadline for Pickpost's own work after buyers answer.
    reserve_ms: int = 5
    buyer_connections: int = 1000
    # A PEM file of certificate authorities trusted for buyers' HTTPS besides the system's
    # (a private CA); unset, the system's only.
    buyer_ca_file: str | None = None
    db_pool_size: int = 10
    log_level: str = "info"
    # Server processes per node; more than one needs Redis (pings shared between processes).
    workers: int = Field(default=1, ge=1)
    # How often each process checks the stored campaigns for a change (seconds).
    catalog_refresh_s: float = Field(default=1.0, gt=0)
    # Master key of personal data at rest: base64 of 32 random bytes; unset, values are
    # stored in clear. The previous one is only set while rotating (docs/security.md).
    data_key: SecretStr | None = None
    data_key_previous: SecretStr | None = None
    # Retention of personal data, in days, per kind of record; unset keeps it forever.
    # The FTC's Telemarketing Sales Rule asks for consent records to be kept 5 years.
    keep_requests_days: float | None = Field(default=None, ge=0)
    keep_lead_fields_days: float | None = Field(default=None, ge=0)
    keep_consent_days: float | None = Field(default=None, ge=0)
    # Console sessions end after this long unused, and this long after sign-in (seconds).
    session_idle_s: float = Field(default=8 * 3600, gt=0)
    session_absolute_s: float = Field(default=7 * 24 * 3600, gt=0)
    # Behind a reverse proxy: believe the scheme and client address it forwards
    # (X-Forwarded-Proto, X-Forwarded-For) from the peers FORWARDED_ALLOW_IPS names (uvicorn's
    # variable; default 127.0.0.1). Unset, no forwarded header is believed.
    trusted_proxy: bool = False
    # How often ``serve`` purges what the retention no longer keeps (when any is set).
    purge_every_s: float = Field(default=3600.0, gt=0)
    # Reports (docs/reports.md): how often traffic counts are written, how often the lead
    # rollups are refreshed in the background, and how far back each refresh looks again for
    # leads committed late or stamped by a node whose clock is behind (seconds).
    traffic_flush_s: float = Field(default=1.0, gt=0)
    rollup_refresh_s: float = Field(default=10.0, gt=0)
    rollup_overlap_s: float = Field(default=120.0, ge=0)
    # How often ``serve`` seals closed days of the consent ledger (docs/consent.md).
    consent_seal_every_s: float = Field(default=900.0, gt=0)
    # Overload and slow clients (docs/deploy.md, "Overload and slow clients"), per
    # server process. Supplier requests in flight: the adaptive limit's ceiling and floor.
    max_in_flight: int = Field(default=256, ge=1)
    min_in_flight: int = Field(default=16, ge=1)
    # The wait before a handler starts that the limit adapts to, and the wait past which a
    # supplier request is refused instead of started (milliseconds).
    queue_target_ms: float = Field(default=10.0, gt=0)
    max_queue_ms: float = Field(default=250.0, gt=0)
    # What a refused supplier is told to wait before retrying (seconds, Retry-After).
    overload_retry_after_s: int = Field(default=1, ge=1)
    # A connection's request headers must arrive within this long of its first byte (or of
    # the connection opening), and its body within this long of the headers (seconds).
    header_timeout_s: float = Field(default=10.0, gt=0)
    body_timeout_s: float = Field(default=30.0, gt=0)
    # Open connections per server process; past it a new connection is closed at once.
    max_connections: int = Field(default=2048, ge=1)
    # The address consumers and buyers reach this server at, for the links it hands out
    # (receipts, buyers' certificates): ``https://leads.example.com``. Unset, a receipt link
    # takes the address the supplier's request came to.
    public_url: str | None = None
    # How often ``serve`` delivers due revocations to buyers (docs/consent.md).
    revocation_every_s: float = Field(default=10.0, gt=0)

    def to_env(self) -> dict[str, str]:
        """These settings as the ``PICKPOST_*`` variables that rebuild them in a worker."""
        env: dict[str, str] = {}
        for name, value in self.model_dump().items():
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            if value is not None:
                env[f"PICKPOST_{name.upper()}"] = str(value)
        return env
