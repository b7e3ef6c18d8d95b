"""The analysts' web chat (Gradio): streamed answers, clickable citations, a sources panel.

Everything shown is escaped: a document or an answer containing markup is displayed as text,
never run.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

import gradio as gr

from pathlib import Path

from amzn_qa.ingest.catalog import corpus_title, example_questions, read_catalog
from amzn_qa.answer.chain import Answer, Progress, QuestionError, Token
from amzn_qa.frontends.backend import Backend
from amzn_qa.ingest.convert import DOCUMENT_SUFFIXES, DocumentError
from amzn_qa.answer.markers import CITATION
from amzn_qa.ingest.index import IndexUnavailable
from amzn_qa.models import ModelUnavailable

NO_SOURCES = "<p class='meta'>Cited passages appear here.</p>"
CSS = """
#sources .source { border: 1px solid #ddd; border-radius: 6px; padding: 6px 10px; margin-bottom: 8px; }
#sources .source.active { border-color: #e08a00; box-shadow: 0 0 0 2px #ffd59a; }
#sources .meta { color: #666; font-size: 0.85em; }
.badge { display: inline-block; padding: 1px 6px; border-radius: 4px; font-size: 0.85em; font-weight: 600; }
.badge.refused { background: #eee; color: #555; }
.badge.unverified { background: #fff3cd; color: #7a5a00; }
"""
# Citation links are plain anchors; this opens and highlights the cited passage instead of
# navigating, whatever the chat's link handling does.
HEAD = """
<script>
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href^='#src-']");
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  const target = document.getElementById(link.getAttribute("href").slice(1));
  if (!target) return;
  document.querySelectorAll("#sources .source.active").forEach((el) => el.classList.remove("active"));
  target.open = true;
  target.classList.add("active");
  target.scrollIntoView({behavior: "smooth", block: "center"});
}, true);
</script>
"""


_ASCII_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")


def as_plain_text(text: str) -> str:
    """The user's own words for the chat, which renders Markdown and HTML. Every ASCII punctuation
    character becomes a character reference: shown as itself, never read as syntax, so
    `![x](http://host/x.png)` is displayed and not fetched, and `<b>` is not bold."""
    return _ASCII_PUNCTUATION.sub(lambda m: f"&#{ord(m.group())};", text)


def render_answer(answer: Answer) -> str:
    text = html.escape(answer.answer)
    text = CITATION.sub(
        lambda m: "".join(
            f'<a href="#src-{n}" class="cite">[{n}]</a>' for n in re.findall(r"\d+", m.group(1))
        ),
        text,
    )
    if answer.refused and answer.grounded:
        return f'<span class="badge refused">Not covered by the document</span> {text}'
    if not answer.grounded:
        return f'<span class="badge unverified">Not verified: showing the evidence</span> {text}'
    return text


def render_sources(answer: Answer) -> str:
    if not answer.citations:
        return "<p class='meta'>No passage cited.</p>"
    units = {u.id: u for u in answer.sources}
    # Highlight what the answer took from the passage: its figures (whole ranges such as
    # "$50-70K") and the quoted cells, bullets or sentences.
    claimed = [w.strip(".,;:()") for w in CITATION.sub(" ", answer.answer).split() if any(ch.isdigit() for ch in w)]
    quoted = {piece for c in answer.citations for piece in re.split(r"\n|(?<=\.)\s+", c.quote)}
    marks = set(claimed) | quoted
    parts = []
    for c in answer.citations:
        unit = units.get(c.chunk_id)
        passage = html.escape(unit.text if unit else c.quote)
        for mark in sorted(filter(None, marks), key=len, reverse=True):
            escaped = html.escape(mark)
            if escaped in passage:
                passage = passage.replace(escaped, f"<mark>{escaped}</mark>", 1)
        parts.append(
            f'<details id="src-{c.n}" class="source" open><summary><b>[{c.n}]</b> '
            f"{html.escape(c.section)}</summary>"
            f'<div class="meta">{html.escape(c.location)}</div>'
            f'<div class="passage" style="white-space: pre-wrap">{passage}</div></details>'
        )
    return "\n".join(parts)


def render_trace(answer: Answer) -> str:
    """The collapsed "Why this answer" panel: each stage that ran, its time, and the rule that
    decided the answer with what it found (the `trace` of `ask --json`)."""
    steps = []
    for step in answer.trace:
        rule = f" — decided by <b>{html.escape(step['rule'])}</b>" if step.get("rule") else ""
        detail = f": {html.escape(step['detail'])}" if step.get("detail") else ""
        steps.append(f"<li>{html.escape(step['stage'])} ({step['ms']:.0f} ms){rule}{detail}</li>")
    return f'<details id="why" class="why"><summary>Why this answer</summary><ol>{"".join(steps)}</ol></details>'


@dataclass
class CorpusView:
    """What the page says about the corpus: its heading, example questions, the documents to pick."""

    heading: str
    examples: list[str]
    choices: list[tuple[str, str]]  # (label, file name)


def corpus_view(backend: Backend) -> CorpusView:
    """Drawn from the indexed documents' metadata and structure (and corpus/documents.toml)."""
    try:
        documents = [info for info, _ in backend.documents()]
        units = backend.chain().retriever.units
    except (IndexUnavailable, ModelUnavailable):
        return CorpusView("## amzn-qa\nNo usable index yet: run `amzn-qa ingest`.", [], [])
    try:
        catalog = read_catalog(backend.settings.corpus_dir)
    except DocumentError:
        catalog = {}
    heading = (f"## amzn-qa · {html.escape(corpus_title(documents))}\n"
               "Answers come only from the documents, with citations you can open.")
    return CorpusView(heading, example_questions(catalog, units), [(d.label, d.name) for d in documents])


def build_ui(backend: Backend, uploads: bool = False) -> gr.Blocks:
    settings = backend.settings

    def respond(question, messages, history, answers, k, model, selected) -> Iterator[tuple]:
        messages = list(messages or [])
        history, answers = list(history or []), dict(answers or {})
        status = ""
        try:
            chain = backend.chain(model)
            documents = backend.selected(list(selected or []), None)
            if not backend.model_loaded(model):
                status = "⏳ Loading the model (first question only)…"
            messages += [{"role": "user", "content": as_plain_text(question or "")},
                         {"role": "assistant", "content": "…"}]
            yield messages, "", history, answers, gr.update(), status
            streamed = ""
            for event in chain.stream(question, history, int(k), documents=documents):
                if isinstance(event, Progress):  # Gradio stops a closed tab's answer when it gets control
                    yield messages, "", history, answers, gr.update(), ""
                elif isinstance(event, Token):
                    streamed += event.text
                    messages[-1] = {"role": "assistant", "content": html.escape(streamed)}
                    yield messages, "", history, answers, gr.update(), ""
                else:
                    messages[-1] = {"role": "assistant", "content": render_answer(event)}
                    answers[str(len(messages) - 1)] = event.to_json()
                    history += [{"role": "user", "content": event.standalone_question or question},
                                {"role": "assistant", "content": event.answer}]
                    yield messages, "", history, answers, render_sources(event) + render_trace(event), ""
        except (QuestionError, IndexUnavailable, ModelUnavailable) as err:
            messages = [m for m in messages if m.get("content") != "…"]
            if not messages or messages[-1]["role"] != "user":
                messages.append({"role": "user", "content": as_plain_text(question or "")})
            messages.append({"role": "assistant", "content": f"⚠️ {html.escape(str(err))}"})
            yield messages, question, history, answers, gr.update(), ""

    def on_feedback(answers, data: gr.LikeData):
        answer = (answers or {}).get(str(data.index if isinstance(data.index, int) else data.index[0]))
        if not answer:
            return "Feedback applies to answers only."
        liked = data.liked is True or data.liked == "Like"
        backend.feedback.record(answer["question"], answer["answer"], answer["citations"], liked, answer["model"])
        return "Thanks: feedback saved."

    view = corpus_view(backend)
    with gr.Blocks(title="amzn-qa") as demo:
        history = gr.State([])
        answers = gr.State({})
        heading = gr.Markdown(view.heading, elem_id="heading")
        status = gr.Markdown(elem_id="status")
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(elem_id="chat", height=480, label="Chat", sanitize_html=True)
                with gr.Row():
                    box = gr.Textbox(placeholder="Ask about the analysis…", show_label=False, scale=5,
                                     elem_id="question", max_lines=4)
                    ask = gr.Button("Ask", variant="primary", elem_id="ask", scale=1)
                with gr.Row():
                    new_chat = gr.Button("New chat", elem_id="new-chat", size="sm")
                    upload = gr.UploadButton("Add a document", file_types=list(DOCUMENT_SUFFIXES), size="sm",
                                             elem_id="upload", visible=uploads)
                selected = gr.Dropdown(view.choices, multiselect=True, label="Documents (all when none is chosen)",
                                       elem_id="documents")
                if view.examples:
                    gr.Examples(view.examples, inputs=box, label="Examples")
                with gr.Accordion("Settings", open=False):
                    k = gr.Slider(1, 10, value=settings.k, step=1, label="Number of sources")
                    model = gr.Dropdown(sorted(set(settings.ui_models) | {settings.llm}), value=settings.llm,
                                        label="Model provider")
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                sources = gr.HTML(NO_SOURCES, elem_id="sources")

        outputs = [chatbot, box, history, answers, sources, status]
        inputs = [box, chatbot, history, answers, k, model, selected]
        # The chat's functions are not an API (that is /api): "private" keeps them out of the API
        # description Gradio embeds in every page, the login page included.
        ask.click(respond, inputs, outputs, api_visibility="private")
        box.submit(respond, inputs, outputs, api_visibility="private")
        new_chat.click(lambda: ([], [], {}, NO_SOURCES, ""),
                       None, [chatbot, history, answers, sources, status], api_visibility="private")
        chatbot.like(on_feedback, [answers], [status], api_visibility="private")
        if uploads:
            upload.upload(adding(backend), [upload, selected], [status, heading, selected], api_visibility="private")
        demo.load(lambda: refreshed(backend, None), None, [heading, selected], api_visibility="private")
    return demo


def refreshed(backend: Backend, chosen: list[str] | None) -> tuple:
    """The heading and the document choices as the index now stands (a page opened after an
    upload, or the page that uploaded), keeping what is chosen."""
    view = corpus_view(backend)
    names = {name for _, name in view.choices}
    return view.heading, gr.update(choices=view.choices, value=[n for n in chosen or [] if n in names])


def adding(backend: Backend):
    """The upload handler: the file goes through the same checks and read path as `amzn-qa add`
    (type, size; converted to text by the same path as `ingest`, never run), then is searchable at once."""

    def add(file, chosen) -> tuple:
        path = Path(file if isinstance(file, str) else file.name)
        try:
            report = backend.add_document(path, path.name)
        except (DocumentError, IndexUnavailable) as err:
            return (f"⚠️ {html.escape(str(err))}", *refreshed(backend, chosen))
        added = f"Added {html.escape(path.name)}: {html.escape(report.summary().splitlines()[0])}"
        return (added, *refreshed(backend, chosen))

    return add
