"""Settings: the only place that reads the environment.

Names of the outside contract (DESIGN.md) are kept verbatim as aliases; everything else is prefixed
`DOCDEBATE_`. Secrets are `SecretStr` so they never show up in logs or reprs.
"""

from __future__ import annotations

import os
import socket
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError

DEFAULT_MODEL = "claude-sonnet-5-5"


class ModelPrice(BaseModel):
    """US dollars per million tokens."""

    input: float
    output: float
    cache_write: float  # 5-minute cache writes
    cache_read: float


def _default_prices() -> dict[str, ModelPrice]:
    sonnet = ModelPrice(input=3.0, output=15.0, cache_write=3.75, cache_read=0.30)
    return {
        DEFAULT_MODEL: sonnet,
        "claude-sonnet-4-5": sonnet,
        "claude-opus-4-5": ModelPrice(input=5.0, output=25.0, cache_write=6.25, cache_read=0.50),
        "claude-haiku-4-5": ModelPrice(input=1.0, output=5.0, cache_write=1.25, cache_read=0.10),
    }


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOCDEBATE_", extra="ignore", populate_by_name=True)

    # --- Anthropic (the SDK's own names) ---
    anthropic_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ANTHROPIC_API_KEY", "anthropic_api_key")
    )
    anthropic_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("ANTHROPIC_BASE_URL", "anthropic_base_url")
    )
    model: str = Field(default=DEFAULT_MODEL, description="Model for persona turns (DOCDEBATE_MODEL).")
    judge_model: str | None = Field(
        default=None,
        description="Model for the judge (DOCDEBATE_JUDGE_MODEL). Unset: the persona model, which keeps the "
        "document cache warm for the judge; another model re-reads the document at full price.",
    )
    judge_output: Literal["native", "text"] = Field(
        default="native",
        description="How the judge returns the verdict (DOCDEBATE_JUDGE_OUTPUT): `native` structured output "
        "(output_config.format), or `text`: JSON asked for after the cached prefix, parsed and validated here "
        "(one repair call if it does not validate), for a service where a schema misses the prompt cache.",
    )
    judge_blind: bool = Field(
        default=True,
        description="The judge reads the panel as letters, each round in an order shuffled per debate "
        "(DOCDEBATE_JUDGE_BLIND): judges favour what they read first and whom they know.",
    )
    verify_doors: bool = Field(
        default=False,
        description="Before the verdict, each one-way door is examined by a panelist who did not raise it, who "
        "argues the reversal case and scores it (DOCDEBATE_VERIFY_DOORS); one more call per door.",
    )
    door_confidence_min: int = Field(
        default=50,
        ge=0,
        le=100,
        description="Doors the verification pass scores below this move to 'probably reversible'.",
    )
    prices: dict[str, ModelPrice] = Field(default_factory=_default_prices)
    llm_max_retries: int = Field(default=6, ge=0, le=20)
    llm_call_timeout_s: float = Field(default=180.0, gt=0, description="One model call, retries excluded.")
    llm_retry_after_cap_s: float = Field(default=30.0, gt=0, description="Longest Retry-After we honour.")
    debate_timeout_s: float = Field(default=900.0, gt=0, description="Whole debate, all calls and retries.")

    log_level: Literal["debug", "info", "warning", "error"] = "warning"
    log_payloads: bool = Field(
        default=False,
        description="At debug, also log what libraries log of requests: whole prompts, document text, Slack "
        "payloads and response_urls (which let their holder post in a channel). Off: never logged.",
    )

    # --- Slack (DESIGN.md contract names) ---
    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "slack_bot_token")
    )
    slack_app_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "slack_app_token")
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "slack_signing_secret")
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/", validation_alias=AliasChoices("SLACK_API_URL", "slack_api_url")
    )
    max_concurrent_debates: int = Field(
        default=8,
        ge=1,
        description="Debates running at once across all replicas (the Anthropic account's capacity).",
    )
    quota_user_burst: int = Field(default=3, ge=1, description="Debates a user may start per burst window.")
    quota_channel_burst: int = Field(default=5, ge=1)
    quota_burst_window_s: float = Field(default=300, gt=0)
    quota_user_hourly: int = Field(default=10, ge=1)
    quota_channel_hourly: int = Field(default=30, ge=1)
    quota_user_running: int = Field(default=1, ge=1, description="Debates one user may have running at once.")
    daily_budget_usd: float = Field(default=50.0, ge=0, description="Model spend per UTC day, all debates.")
    workers: int = Field(
        default=1,
        ge=0,
        le=32,
        description="Worker processes `serve` starts to run debates and digests (0: run `docdebate worker` apart).",
    )
    shutdown_grace_s: float = Field(
        default=20.0,
        ge=0,
        description="On SIGTERM, how long running debates may finish before the process exits.",
    )
    slack_retry_s: float = Field(
        default=120.0,
        gt=0,
        description="How long a post or update is retried while Slack fails (5xx, 429, unreachable) before "
        "the debate stops and says so; a verdict already paid for is retried for a day.",
    )
    slack_update_interval_s: float = Field(
        default=1.5, gt=0, description="How often a live turn is re-rendered."
    )
    canvas: bool = Field(
        default=False,
        description="After a debate's verdict, save its transcript and verdict as a canvas in the channel, "
        "linked from the root message (DOCDEBATE_CANVAS); needs the canvases:write scope, asked for only then.",
    )
    startup_retry_s: float = Field(
        default=60.0,
        ge=0,
        description="How long `serve` keeps retrying an unreachable service at start (bot.preflight).",
    )
    health_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Socket Mode: serve `GET /health` on 0.0.0.0:this port (HTTP mode always has it).",
    )

    # --- Google (DESIGN.md contract names) ---
    google_application_credentials: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("GOOGLE_APPLICATION_CREDENTIALS", "google_application_credentials"),
    )
    google_api_url: str | None = Field(
        default=None, validation_alias=AliasChoices("GOOGLE_API_URL", "google_api_url")
    )
    google_delegation: bool = Field(
        default=False,
        description="Read docs as the requester (domain-wide delegation) instead of checking access.",
    )
    google_max_retries: int = Field(default=3, ge=0, le=10)

    executor_id: str = Field(
        default_factory=lambda: os.environ.get("HOSTNAME") or socket.gethostname(),
        description="Stable per replica (DOCDEBATE_EXECUTOR_ID): a restarted replica resumes its own work.",
    )
    replica_heartbeat_s: float = Field(
        default=10.0, gt=0, description="How often a replica says it is alive."
    )
    replica_dead_after_s: float = Field(
        default=60.0,
        gt=0,
        description="A replica silent this long is taken for dead, and another resumes its debates. Keep it "
        "well above the heartbeat: a replica taken for dead while alive would run its debates twice.",
    )

    # --- the pre-meeting digest (DESIGN.md contract names) ---
    calendars: str = Field(
        default="",
        validation_alias=AliasChoices("DOCDEBATE_CALENDARS", "calendars"),
        description="Calendar ids to watch, comma-separated; `id=#channel` (or `id=C0123`) maps a calendar "
        "to the channel its digests go to.",
    )
    digest_channel: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DOCDEBATE_DIGEST_CHANNEL", "digest_channel"),
        description="Where a digest goes when neither the calendar map nor the event names a channel; unset: "
        "a DM to each attendee who can open the doc.",
    )
    digest_lead_minutes: int = Field(
        default=30,
        ge=1,
        le=24 * 60,
        validation_alias=AliasChoices("DOCDEBATE_DIGEST_LEAD_MINUTES", "digest_lead_minutes"),
    )
    digest_poll_s: int = Field(
        default=30, ge=1, description="How often the calendars are read; a digest lands at most this late."
    )

    @field_validator("digest_poll_s")
    @classmethod
    def _poll_fits_a_clock(cls, value: int) -> int:
        """The poll is a cron schedule: every N seconds (N divides 60) or every N minutes (N divides 60)."""
        if (value < 60 and 60 % value) or (value >= 60 and (value % 60 or 60 % (value // 60))):
            raise ValueError("DOCDEBATE_DIGEST_POLL_S must divide a minute (1-30 s) or an hour (60-3600 s)")
        return value

    def calendar_channels(self) -> dict[str, str | None]:
        """`DOCDEBATE_CALENDARS` as calendar id -> mapped channel (or None)."""
        mapping: dict[str, str | None] = {}
        for entry in filter(None, (e.strip() for e in self.calendars.split(","))):
            calendar, _, channel = entry.partition("=")
            mapping[calendar.strip()] = channel.strip() or None
        return mapping

    # --- the ledger of one-way doors across docs ---
    ledger_cron: str = Field(
        default="0 0 3 * * *",
        description="When the ledger is consolidated (DOCDEBATE_LEDGER_CRON): a cron, seconds first (or the "
        "usual five fields), in UTC; by default 03:00 every night. Empty: never.",
    )
    ledger_context_max: int = Field(
        default=8,
        ge=0,
        le=50,
        description="Ledger entries given to a debate as memory, at most (0: none).",
    )

    @field_validator("ledger_cron")
    @classmethod
    def _a_cron(cls, value: str) -> str:
        value = value.strip()
        if value:
            from croniter import croniter  # type: ignore[import-untyped]  # DBOS reads its crons with it

            if not croniter.is_valid(value, second_at_beginning=True):
                raise ValueError(f"DOCDEBATE_LEDGER_CRON is not a cron: {value!r}")
        return value

    # --- state ---
    database_url: str = Field(
        default="sqlite:///docdebate.sqlite", validation_alias=AliasChoices("DATABASE_URL", "database_url")
    )

    # --- personas ---
    personas_dir: Path | None = Field(
        default=None, description="Extra persona files (DOCDEBATE_PERSONAS_DIR)."
    )

    # --- sources ---
    allow_private_urls: bool = Field(
        default=False,
        description="Also fetch loopback, private and link-local addresses, on any port (tests).",
    )
    fetch_ports: str = Field(
        default="80,443", description="Ports web pages are fetched from, comma-separated."
    )
    max_doc_chars: int = Field(default=600_000, gt=0, description="About 150k tokens.")
    min_doc_words: int = Field(
        default=40,
        ge=1,
        description="Fewer words than this is not a document to debate (refused before any model call).",
    )
    max_file_bytes: int = Field(default=25_000_000, gt=0)
    fetch_timeout_s: float = Field(default=20.0, gt=0)
    fetch_max_redirects: int = Field(default=5, ge=0)
    convert_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Longest a PDF, Word file or web page may take to convert; past it, it is refused as too "
        "complex (bot.sources.bounded).",
    )
    convert_memory_mb: int = Field(
        default=700,
        ge=200,
        description="Address space of the process converting one document (RLIMIT_AS), the converters "
        "included; past it, the document is refused as too large.",
    )

    def fetch_port_numbers(self) -> frozenset[int]:
        return frozenset(int(p) for p in self.fetch_ports.split(",") if p.strip().isdigit())

    @property
    def judge(self) -> str:
        return self.judge_model or self.model

    def api_key(self) -> str:
        """The Anthropic key, or a ConfigError that says what to set."""
        key = self.anthropic_api_key.get_secret_value().strip() if self.anthropic_api_key else ""
        if not key:
            raise ConfigError(
                "ANTHROPIC_API_KEY is not set: export your Anthropic API key "
                "(console.anthropic.com > API keys) and run again."
            )
        return key

    def secret(self, name: str) -> str:
        """A required secret setting (e.g. `slack_bot_token`), or a ConfigError naming its variable."""
        value: SecretStr | None = getattr(self, name)
        if value is None or not value.get_secret_value().strip():
            raise ConfigError(f"{name.upper()} is not set: see README, 'Create the Slack app'")
        return value.get_secret_value().strip()

    def price(self, model: str) -> ModelPrice | None:
        return self.prices.get(model)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    try:
        return Settings()
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        first = str(exc).splitlines()
        raise ConfigError(f"invalid setting: {' '.join(first[1:3]).strip() or first[0]}") from exc
