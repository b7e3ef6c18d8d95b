"""The MCP server through the official `mcp` client: over stdio (`amzn-qa mcp`) and over
streamable HTTP at /mcp on a running `amzn-qa serve`; answers equal the chain's and /v1's."""

import os
import sys

import anyio
import httpx2
import openai
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from amzn_qa.answer.chain import AnswerChain
from amzn_qa.config import Settings

from .conftest import ingested

KIVA = "When did Amazon acquire Kiva?"
DOCUMENT = "amzn-technical-analysis-2026-01-23.md"


def stdio(root) -> StdioServerParameters:
    env = {**os.environ, "AMZN_QA_CORPUS_DIR": str(root / "corpus"), "AMZN_QA_INDEX_DIR": str(root / "index"),
           "AMZN_QA_CONFIG": str(root / "none.toml")}
    return StdioServerParameters(command=sys.executable, args=["-m", "amzn_qa.frontends.cli", "mcp"], env=env)


def http(url: str, **client_options):
    return streamable_http_client(f"{url}/mcp", http_client=httpx2.AsyncClient(timeout=300, **client_options))


async def session_report(server, question: str = KIVA) -> dict:
    """What one MCP session sees: its tools, an answer, a search, and a document resource."""
    async with Client(server, read_timeout_seconds=300) as session:
        tools = await session.list_tools()
        asked = await session.call_tool("ask", {"question": question})
        searched = await session.call_tool("search", {"query": "Kiva acquisition", "k": 3})
        resources = await session.list_resources()
        document = await session.read_resource(f"amzn-qa://documents/{DOCUMENT}")
        bad = await session.call_tool("ask", {"question": "   "})
        long_history = await session.call_tool("ask", {"question": KIVA, "history": [{"role": "user", "content": "x"}] * 21})
        limited = await session.call_tool("ask", {"question": KIVA, "documents": [DOCUMENT]})
        unknown = await session.call_tool("ask", {"question": KIVA, "documents": ["nope.md"]})
    return {"tools": {tool.name for tool in tools.tools}, "ask": asked.structured_content,
            "search": searched.structured_content["passages"], "resources": {str(r.uri) for r in resources.resources},
            "document": document.contents[0].text, "bad": (bad.is_error, bad.content[0].text),
            "long_history": (long_history.is_error, long_history.content[0].text),
            "limited": limited.structured_content, "unknown": (unknown.is_error, unknown.content[0].text)}


def check(report: dict, corpus) -> None:
    assert report["tools"] == {"ask", "search"}
    assert not report["ask"]["refused"] and "2012" in report["ask"]["answer"] and report["ask"]["citations"]
    assert len(report["search"]) == 3 and any("Kiva" in p["text"] for p in report["search"])
    assert set(report["search"][0]) == {"source", "section", "start_line", "end_line", "text", "score"}
    assert f"amzn-qa://documents/{DOCUMENT}" in report["resources"]
    assert report["document"] == (corpus / DOCUMENT).read_text(encoding="utf-8")
    assert report["bad"][0] and "empty" in report["bad"][1]
    assert report["long_history"][0] and "the limit is 20" in report["long_history"][1]
    assert {c["source"] for c in report["limited"]["citations"]} == {DOCUMENT} and "2012" in report["limited"]["answer"]
    assert report["unknown"][0] and "No such document: nope.md" in report["unknown"][1] and DOCUMENT in report["unknown"][1]


def essentials(answer_text: str, citations: list[dict]) -> tuple[str, list[str]]:
    return answer_text, [c["chunk_id"] for c in citations]


@pytest.fixture(scope="module")
def reference(server, tmp_path_factory):
    """The in-process chain's answer over the server's documents (its own index of them)."""
    settings = Settings(corpus_dir=server.root / "corpus", index_dir=tmp_path_factory.mktemp("ref") / "index")
    body = AnswerChain(ingested(settings)).ask(KIVA).to_json()
    return essentials(body["answer"], body["citations"])


@pytest.mark.llm
def test_stdio_server_answers_searches_and_serves_documents(server, reference):
    report = anyio.run(session_report, stdio(server.root))
    check(report, server.root / "corpus")
    assert essentials(report["ask"]["answer"], report["ask"]["citations"]) == reference


@pytest.mark.llm
def test_streamable_http_at_mcp_matches_the_chain_and_v1(server, reference):
    report = anyio.run(session_report, http(server.url))
    check(report, server.root / "corpus")
    assert essentials(report["ask"]["answer"], report["ask"]["citations"]) == reference
    v1 = openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", timeout=300, max_retries=0)
    completion = v1.chat.completions.create(model="amzn-qa", messages=[{"role": "user", "content": KIVA}])
    text = completion.choices[0].message.content.split("\n\nSources:\n")[0]
    assert essentials(text, completion.model_extra["citations"]) == reference


@pytest.mark.embedder
def test_http_mcp_takes_a_bearer_key(keyed_server):
    async def tools(**options) -> set[str]:
        async with Client(http(keyed_server, **options), read_timeout_seconds=60) as session:
            return {tool.name for tool in (await session.list_tools()).tools}

    assert anyio.run(lambda: tools(headers={"Authorization": "Bearer key-1"})) == {"ask", "search"}
    with pytest.raises(ExceptionGroup) as raised:
        anyio.run(lambda: tools(headers={"Authorization": "Bearer wrong"}))
    assert raised.group_contains(MCPError, depth=None)  # the SDK's report of the server's 401


def test_every_document_type_of_the_corpus_is_a_resource(tmp_path):
    from amzn_qa.frontends.mcp_server import build_server

    for name in ("a.md", "b.pdf", "c.docx", "d.html", "e.txt", "notes.exe"):
        (tmp_path / name).write_bytes(b"x")
    server = build_server(Settings(corpus_dir=tmp_path, index_dir=tmp_path / "index"), lambda: None)
    listed = {str(r.uri).rsplit("/", 1)[1]: r.mime_type for r in anyio.run(server.list_resources)}
    assert listed == {"a.md": "text/markdown", "b.pdf": "application/pdf", "d.html": "text/html", "e.txt": "text/plain",
                      "c.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
