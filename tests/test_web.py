"""The web chat, end to end in real headless Chromium (Debian's package, driven by Playwright)."""

import html
import json
import shutil
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from amzn_qa.config import PROJECT_ROOT

from .conftest import CORPUS, server_settings, serving, write

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run `make setup` (scripts/setup.sh installs it)")
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page(browser, server):
    page = browser.new_page(viewport={"width": 1300, "height": 950})
    page.goto(server.url + "/")
    return page


def ask(page, question, answers_before):
    """Type a question, wait until its final answer is rendered (a citation, a badge or a
    warning: streamed tokens are plain text), and return the answer's element."""
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    try:
        _wait_for_answer(page, answers_before)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "timeout.png"))
        raise
    page.wait_for_timeout(500)  # the sources panel renders just after the chat
    return page.locator("#chat [data-testid='bot']").last


def _wait_for_answer(page, answers_before):
    page.wait_for_function(
        """([n]) => {
            const bots = document.querySelectorAll('#chat [data-testid="bot"]');
            if (bots.length <= n) return false;
            const last = bots[bots.length - 1];
            return !!last.querySelector('a.cite, .badge') || last.innerText.includes('⚠️');
        }""",
        arg=[answers_before], timeout=150_000,
    )


def new_chat(page):
    page.locator("#new-chat").click()
    expect(page.locator("#chat [data-testid='bot']")).to_have_count(0)
    expect(page.locator("#sources")).to_contain_text("Cited passages appear here")


@pytest.mark.llm
def test_cited_answer_follow_up_refusal_and_feedback(page, server):
    answer = ask(page, "Roughly what does one Trainium 2 chip cost?", 0)
    assert "$50-70K" in answer.inner_text()
    page.screenshot(path=str(ARTIFACTS / "1-answer.png"))

    citation = answer.locator("a.cite").first
    citation.click()
    active = page.locator("#sources .source.active")
    active.wait_for(timeout=5000)
    assert active.is_visible() and "$50-70K" in active.inner_text()
    assert "Trainium (Training Silicon)" in active.inner_text()
    assert active.locator("mark").count() >= 1
    # The README's screenshot is copied from here by hand; tests write only to test-artifacts/.
    page.screenshot(path=str(ARTIFACTS / "2-citation-open.png"))

    refused = ask(page, "Who is the CEO of Amazon?", 1)
    assert "Not covered by the document" in refused.inner_text()
    page.screenshot(path=str(ARTIFACTS / "3-refused.png"))
    why = page.locator("#sources details#why")
    assert why.get_attribute("open") is None  # collapsed until asked for
    why.locator("summary").click()
    assert "decided by" in why.inner_text() and "retrieve" in why.inner_text()

    page.locator("#chat [data-testid='bot']").first.hover()
    page.locator("#chat button[aria-label='Like']").first.click()
    page.wait_for_timeout(1500)
    rows = sqlite3.connect(server.feedback_db).execute("SELECT question, answer, liked, citations FROM feedback").fetchall()
    assert rows and rows[0][0] == "Roughly what does one Trainium 2 chip cost?" and rows[0][2] == 1
    assert "$50-70K" in rows[0][1] and "Trainium" in rows[0][3]


@pytest.mark.llm
def test_follow_up_is_answered_from_the_conversation(page):
    new_chat(page)
    ask(page, "How many developers adopted Curo in its first days?", 0)
    answer = ask(page, "What does it compete with?", 1)
    assert "GitHub Copilot" in answer.inner_text()


@pytest.mark.llm
def test_markup_in_documents_is_shown_not_run(page):
    new_chat(page)
    ask(page, "What is the Zeta widget price?", 0)
    expect(page.locator("#sources")).to_contain_text("Zeta widget price", timeout=10_000)
    sources = page.locator("#sources").inner_text()
    assert '<img src=x onerror="window.pwned = 2">' in sources
    assert "<script>" not in sources  # a reader never sees a script block, so ingest drops it
    assert page.evaluate("window.pwned === undefined")
    page.screenshot(path=str(ARTIFACTS / "4-markup-escaped.png"))


@pytest.mark.llm
def test_empty_question_gets_a_readable_message_and_the_session_continues(page):
    new_chat(page)
    page.locator("#question textarea").fill("   ")
    page.locator("#ask").click()
    _wait_for_answer(page, 0)  # the placeholder "…" may show first, then the warning
    assert "The question is empty" in page.locator("#chat").inner_text()
    assert "Traceback" not in page.content()
    answer = ask(page, "When did Amazon acquire Kiva?", 1)
    assert "2012" in answer.inner_text()


@pytest.mark.embedder
def test_the_users_question_is_shown_as_typed_never_rendered(page):
    new_chat(page)
    remote = []
    page.on("request", lambda request: remote.append(request.url) if "127.0.0.1:1/" in request.url else None)
    question = "What is ![x](http://127.0.0.1:1/x.png) <b>bold</b> **Trainium 2**?"
    ask(page, question, 0)
    shown = page.locator("#chat [data-testid='user']").last
    assert shown.inner_text().strip() == question
    assert shown.locator("img, b, strong").count() == 0
    page.screenshot(path=str(ARTIFACTS / "5-question-as-typed.png"))
    assert remote == []


def test_as_plain_text_leaves_no_markdown_or_html_syntax():
    from amzn_qa.frontends.ui import as_plain_text

    shown = as_plain_text("![x](http://127.0.0.1:1/x.png) <img src=x> [a](b) `c` *d* _e_ # f | g $$h$$ 5 < 6")
    assert not set(shown) & set("![]()<>`*_|$")
    assert html.unescape(shown) == "![x](http://127.0.0.1:1/x.png) <img src=x> [a](b) `c` *d* _e_ # f | g $$h$$ 5 < 6"


LOGIN = ("analyst", "upload-secret")
UPLOADED = """# Vexa Robotics (VXR) – Field Notes

**Report Date:** May 4, 2026

## Gripper Line

| Gripper | Payload | Unit Price |
|---|---|---|
| **Vexa Claw 7** | 12kg | $3,400 per unit |
"""


# A second document in the upload server's corpus from the start, for the document picker.
PICKED = """# Lyra Motors (LYR) – Notes

**Report Date:** March 2, 2026

## Motors

| Motor | Output | Price |
|---|---|---|
| **Lyra M2** | 40kW | $1,900 per unit |
"""


@pytest.fixture(scope="module")
def logged_in_page(browser, tmp_path_factory):
    """A second server, with a login (uploads are offered only then), and a logged-in page."""
    root = tmp_path_factory.mktemp("upload-server")
    shutil.copytree(CORPUS, root / "corpus")
    write(root / "corpus" / "lyra-notes.md", PICKED)
    with serving(server_settings(root, auth_username=LOGIN[0], auth_password=LOGIN[1])) as url:
        page = browser.new_page(viewport={"width": 1300, "height": 950})
        page.goto(url + "/")
        page.get_by_label("username").fill(LOGIN[0])
        page.get_by_label("password").fill(LOGIN[1])
        page.get_by_role("button", name="Login").click()
        page.locator("#question textarea").wait_for(timeout=60_000)
        yield type("Page", (), {"page": page, "root": root})
        page.close()  # its open streams would hold up the server's shutdown


def upload(page, path):
    """Choose a file with the chat's "Add a document" button, as a user does."""
    with page.expect_file_chooser() as chooser:
        page.locator("#upload").click()
    chooser.value.set_files(str(path))


@pytest.mark.embedder
def test_the_heading_and_examples_come_from_the_corpus(page):
    heading = page.locator("#heading").inner_text()
    assert "Amazon.com, Inc. (AMZN) – Technical Analysis" not in heading  # two documents: the corpus is named
    assert "AMZN · ZETA: 2 reports" in heading
    assert page.locator("#upload").count() == 0 or not page.locator("#upload").is_visible()  # no login, no upload


@pytest.mark.llm
def test_an_uploaded_document_is_answered_from_and_cited_without_a_restart(logged_in_page, tmp_path):
    page = logged_in_page.page
    document = tmp_path / "vexa-field-notes.md"
    document.write_text(UPLOADED, encoding="utf-8")
    upload(page, document)
    expect(page.locator("#status")).to_contain_text("Added vexa-field-notes.md", timeout=120_000)
    assert (logged_in_page.root / "corpus" / "vexa-field-notes.md").read_text(encoding="utf-8") == UPLOADED
    answer = ask(page, "What is the unit price of the Vexa Claw 7?", 0)
    assert "$3,400" in answer.inner_text()
    answer.locator("a.cite").first.click()
    active = page.locator("#sources .source.active")
    active.wait_for(timeout=5000)
    assert "Vexa Robotics (VXR) – Field Notes, VXR, 2026-05-04 · vexa-field-notes.md" in active.inner_text()
    page.screenshot(path=str(ARTIFACTS / "6-uploaded-document-cited.png"))


@pytest.mark.embedder
def test_an_upload_that_is_not_utf8_text_is_refused_with_a_message(logged_in_page, tmp_path):
    page = logged_in_page.page
    bad = tmp_path / "notes.md"
    bad.write_bytes(b"caf\xe9 \xff not utf-8")
    upload(page, bad)
    expect(page.locator("#status")).to_contain_text("notes.md: not UTF-8", timeout=60_000)
    assert not (logged_in_page.root / "corpus" / "notes.md").exists()


@pytest.mark.embedder
def test_the_document_picker_limits_the_answer_to_the_chosen_document(logged_in_page):
    page = logged_in_page.page
    new_chat(page)
    page.locator("#documents input").click()
    page.get_by_role("option", name="Lyra Motors (LYR) – Notes (2026-03-02)").click()
    page.keyboard.press("Escape")
    answer = ask(page, "Roughly what does one Trainium 2 chip cost?", 0)
    assert "$50-70K" not in answer.inner_text()
    assert "amzn-technical-analysis" not in page.locator("#sources").inner_text()


class TricklingLLM(ThreadingHTTPServer):
    """An OpenAI-compatible chat server that streams one token every 0.2 s for a minute and
    records when its client hangs up."""

    def __init__(self):
        self.disconnected: list[float] = []
        self.tokens_sent = 0
        super().__init__(("127.0.0.1", 0), self.Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # the body ends when the connection closes

        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
                     "choices": [{"index": 0, "delta": {"content": "robots "}, "finish_reason": None}]}
            try:
                for _ in range(300):
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    self.server.tokens_sent += 1
                    time.sleep(0.2)
                self.wfile.write(b"data: [DONE]\n\n")
            except (BrokenPipeError, ConnectionResetError):
                self.server.disconnected.append(time.time())


@pytest.fixture
def trickling(tmp_path, monkeypatch):
    """A web chat whose model is a TricklingLLM; Gradio checks its tabs every second (15 s by
    default; it reads the variable at each connection), so a closed one is noticed at once."""
    llm = TricklingLLM()
    monkeypatch.setenv("GRADIO_HEARTBEAT_INTERVAL", "1")
    settings = server_settings(tmp_path / "trickling", llm="openai", llm_timeout_s=120,
                               openai_base_url=f"http://127.0.0.1:{llm.server_address[1]}/v1")
    with serving(settings) as url:
        yield llm, url
    llm.shutdown()


@pytest.mark.embedder
def test_closing_the_tab_stops_its_answer_being_generated(browser, trickling):
    llm, url = trickling
    page = browser.new_page()
    page.goto(url + "/")
    page.locator("#question textarea").fill("How many robots has Amazon deployed?")
    page.locator("#ask").click()
    # The draft is not shown until checked: wait until the model has written a few tokens of it.
    deadline = time.time() + 120
    while llm.tokens_sent < 10 and time.time() < deadline:
        time.sleep(0.2)
    closed = time.time()
    page.close()  # mid-answer: about 58 seconds of tokens are still to come
    while not llm.disconnected and time.time() < closed + 30:
        time.sleep(0.2)
    assert llm.disconnected, "the model went on generating for a closed tab"


@pytest.mark.embedder
def test_a_comparison_renders_as_a_table_and_a_derived_figure_shows_its_calculation(page):
    new_chat(page)
    table = ask(page, "severity of the AWS capacity execution risk vs the Trainium ecosystem adoption risk", 0)
    rows = table.locator("table tbody tr")
    expect(rows).to_have_count(2)
    assert "AWS Capacity Execution" in rows.nth(0).inner_text() and "8" in rows.nth(1).inner_text()
    assert table.locator("table a.cite").count() == 2  # each side's row cited
    calculated = ask(page, "What is the midpoint of the per-chip price estimate for Trainium 2?", 1)
    assert "About $60K: the midpoint of $50-70K" in calculated.inner_text()
    assert calculated.locator("a.cite").count() == 1
    page.screenshot(path=str(ARTIFACTS / "comparison-and-calculation.png"), full_page=True)
