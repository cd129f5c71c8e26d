"""Typed settings, from ``PICKPOST_*`` environment variables and CLI options."""

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PICKPOST_", frozen=True)

    database_url: str = "sqlite:///var/pickpost.db"
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    admin_token: SecretStr | None = None
    # Kept back from the auction deadline for Pickpost's own work after buyers answer.
    reserve_ms: int = 5
    buyer_connections: int = 1000
    db_pool_size: int = 10
    log_level: str = "info"
