from amzn_qa.config import PROJECT_ROOT, Settings, settings_table


def test_environment_overrides_defaults(monkeypatch):
    monkeypatch.setenv("AMZN_QA_K", "7")
    monkeypatch.setenv("AMZN_QA_LLM", "openai")
    settings = Settings()
    assert settings.k == 7 and settings.llm == "openai"


def test_config_file_is_read_and_env_wins(monkeypatch, tmp_path):
    config = tmp_path / "amzn-qa.toml"
    config.write_text('k = 3\nllm = "local-1.5b"\nchroma_url = "http://127.0.0.1:8001"\n')
    monkeypatch.setenv("AMZN_QA_CONFIG", str(config))
    monkeypatch.setenv("AMZN_QA_K", "4")
    settings = Settings()
    assert settings.llm == "local-1.5b" and settings.uses_chroma_server and settings.k == 4


def test_readme_documents_every_setting():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert settings_table() in readme
