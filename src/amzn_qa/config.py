"""One typed settings object: defaults < config file < AMZN_QA_* environment variables < arguments."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class ConfigError(ValueError):
    """A missing or contradictory setting; the message says which and how to set it."""


def _config_file() -> Path:
    return Path(os.environ.get("AMZN_QA_CONFIG", "amzn-qa.toml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AMZN_QA_", extra="ignore")

    # Documents and index
    corpus_dir: Path = Field(
        PROJECT_ROOT / "corpus", description="Folder of documents to index (.md, .txt, .pdf, .docx, .html)"
    )
    index_dir: Path = Field(PROJECT_ROOT / "index", description="Embedded Chroma store")
    chroma_url: str | None = Field(None, description="Chroma server URL; replaces the embedded store")
    collection: str = Field("amzn_qa", description="Chroma collection name")
    max_document_bytes: int = Field(
        5_000_000, ge=1, description="Largest document `amzn-qa add` and the chat's upload accept"
    )
    cache_dir: Path = Field(
        Path.home() / ".cache" / "amzn-qa", description="Assembled model files, tokenizer and the embedding cache"
    )
    embedding_cache: bool = Field(
        True, description="Keep the vectors the embedder makes in cache_dir/embeddings.sqlite3, so text indexed again is not embedded again"
    )
    write_lock_seconds: float = Field(
        600.0, ge=0, description="How long ingest, `amzn-qa add` and the chat's upload wait for another ingest to finish writing the index"
    )

    # Retrieval
    k: int = Field(5, ge=1, le=20, description="Sources given to the LLM")
    candidates: int = Field(30, ge=5, description="Candidates taken from each retriever before fusion")
    statements_per_unit: int = Field(2, ge=1, description="Cells, bullets or sentences of a unit shown to the LLM")
    statement_margin: float = Field(
        0.05, ge=0, description="Show a unit's further statements only this close to its best one (cosine)"
    )
    unit_margin: float = Field(
        0.15, ge=0, description="Leave out units whose best statement is this far below the best unit's"
    )
    points_k: int = Field(10, ge=1, le=20, description="Sources retrieved for a list, explanation or comparison")
    points_statements_per_unit: int = Field(
        6, ge=1, description="Cells, bullets or sentences of a source kept in a list or explanation point"
    )
    points_statement_margin: float = Field(
        1.0, ge=0, description="A point keeps a source's further statements this close to its best one"
    )
    points_unit_margin: float = Field(0.5, ge=0, description="A point's source may be this far below the best source")
    max_points: int = Field(
        5, ge=1, le=10, description="Most points in a list, explanation or comparison (a table's rows are one point)"
    )
    min_relevance: float = Field(
        0.25, description="Below this top cosine similarity, with no keyword match, refuse without the LLM"
    )
    disable: Annotated[list[str], NoDecode] = Field(
        [], description="Answer stages and rules to switch off, comma-separated (ablation; README \"How it works\")"
    )

    # Generation
    llm: str = Field(
        "local",
        description="local, local-1.5b, gguf:PATH, openai, bedrock or anthropic",
    )
    openai_base_url: str = Field("http://127.0.0.1:8000/v1", description="OpenAI-compatible server")
    openai_api_key: str = Field("not-needed", description="API key for the openai provider")
    openai_model: str = Field("local", description="Model name sent to the openai provider")
    bedrock_model: str = Field("anthropic.claude-3-5-haiku-20241022-v1:0", description="Bedrock model id")
    anthropic_model: str = Field("claude-3-5-haiku-latest", description="Anthropic model name")
    n_threads: int = Field(2, ge=1, description="CPU threads for the local model")
    n_ctx: int = Field(2048, ge=512, description="Context window of the local model")
    prompt_token_budget: int = Field(550, ge=100, description="Tokens of sources in the prompt")
    max_answer_tokens: int = Field(80, ge=8, description="Tokens the LLM may generate")
    llm_timeout_s: float = Field(
        60.0, gt=0, description="Give up on the LLM after this many seconds, waiting in its queue included"
    )
    model_queue_size: int = Field(64, ge=1, description="Questions that may wait for the local model at once")

    # Input limits
    max_question_chars: int = Field(500, ge=10, description="Longest question accepted")
    max_body_bytes: int = Field(
        65536, ge=1024, description="Largest HTTP request body of /api, /slack, /v1 and /mcp; chunked bodies too"
    )
    max_chat_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest request body of the web chat's own routes (its queue sends the visible conversation with each question)"
    )
    max_history_turns: int = Field(20, ge=0, description="Most earlier turns an API request may send")
    max_turn_chars: int = Field(4000, ge=100, description="Longest earlier turn an API request may send")

    # Web chat and API (`amzn-qa serve`)
    host: str = Field("127.0.0.1", description="Address the web server listens on")
    port: int = Field(7860, ge=1, le=65535, description="Port of the web server")
    feedback_db: Path = Field(PROJECT_ROOT / "feedback.sqlite3", description="SQLite file of answer feedback")
    auth_username: str | None = Field(None, description="Login for the web chat and API (off when unset)")
    auth_password: str | None = Field(None, description="Password that goes with the login")
    ui_models: list[str] = Field(["local"], description="Providers offered in the chat's settings (JSON list)")
    api_keys: list[str] = Field(
        [], description="Bearer keys accepted by /v1 (OpenAI-compatible) and /mcp (JSON list; off when empty)"
    )
    server_url: str | None = Field(
        None, description="`ask` and `chat` send questions to this running `amzn-qa serve` instead of loading models"
    )

    # Slack bot (`amzn-qa slack`; tokens come from SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN)
    slack_mode: Literal["http", "socket"] = Field("http", description="Events API over HTTP, or Socket Mode")
    slack_rate_limit: int = Field(10, ge=1, description="Questions per user per minute on Slack")

    @field_validator("disable", mode="before")
    @classmethod
    def _names(cls, value: object) -> object:
        """AMZN_QA_DISABLE="points,grounding": comma-separated, as typed on a command line (a
        JSON list, as the other list settings take, works too)."""
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [name.strip() for name in value.split(",") if name.strip()]
        return json.loads(value) if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: tuple[PydanticBaseSettingsSource, ...] = (init_settings, env_settings)
        if _config_file().is_file():
            sources += (TomlConfigSettingsSource(settings_cls, toml_file=_config_file()),)
        return sources

    @property
    def uses_chroma_server(self) -> bool:
        return bool(self.chroma_url)


def settings_table() -> str:
    """Markdown table of every setting, for the README (kept true by a test)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, Path):
            default = default.name if default.is_relative_to(PROJECT_ROOT) else "~/.cache/amzn-qa"
        rows.append(f"| `AMZN_QA_{name.upper()}` | `{default}` | {field.description} |")
    return "\n".join(rows)
