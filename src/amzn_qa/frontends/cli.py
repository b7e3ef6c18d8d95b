"""Command line: ingest, add, ask, chat, serve, slack, mcp, eval."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from amzn_qa.config import ConfigError, Settings


# Command-line flags that override a setting, by flag name.
_FLAG_SETTINGS = {"llm": "llm", "k": "k", "host": "host", "port": "port", "mode": "slack_mode",
                  "server": "server_url"}


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {name: getattr(args, flag) for flag, name in _FLAG_SETTINGS.items() if getattr(args, flag, None)}
    return Settings(**overrides)


def _chain(settings: Settings):
    from amzn_qa.answer.chain import AnswerChain

    return AnswerChain(settings)


def cmd_ingest(args: argparse.Namespace) -> int:
    from amzn_qa.ingest.index import ingest

    report = ingest(_settings(args), rebuild=args.rebuild, progress=sys.stderr.isatty())
    print(report.summary())
    return 1 if report.problems and not report.units else 0


def cmd_add(args: argparse.Namespace) -> int:
    from pathlib import Path

    from amzn_qa.ingest.index import add_document

    settings = _settings(args)
    report = add_document(settings, Path(args.file))
    print(f"added {Path(args.file).name} to {settings.corpus_dir}")
    print(report.summary())
    return 0


def format_answer(text: str, citations: list[dict], notice: str = "") -> str:
    lines = [text]
    if notice and not text.startswith(notice):
        lines.append(f"  ({notice})")
    for c in citations:
        dated = f" ({c['document_date']})" if c.get("document_date") else ""
        page = f" (p. {c['page']})" if c.get("page") else ""
        lines.append(
            f"  [{c['n']}] {c['source']}{dated}:{c['start_line']}-{c['end_line']}{page} {c['section']}: “{c['quote']}”"
        )
    return "\n".join(lines)


def formatted(answer) -> str:
    return format_answer(answer.answer, answer.to_json()["citations"], answer.notice)


class ServerError(Exception):
    """`--server` could not be reached, or refused the question; the message says which."""


def ask_server(settings: Settings, question: str, history: list[dict[str, str]] | None = None,
               k: int | None = None, documents: list[str] | None = None, ticker: str | None = None) -> dict:
    """The `ask --json` object from a running `amzn-qa serve` (POST /api/ask), no models loaded
    here; `documents` and `ticker` limit the answer as on the server's API."""
    import httpx

    auth = (settings.auth_username, settings.auth_password or "") if settings.auth_username else None
    body = {"question": question, "history": history or [], **({"k": k} if k else {}),
            **({"documents": documents} if documents else {}), **({"ticker": ticker} if ticker else {})}
    try:
        response = httpx.post(settings.server_url.rstrip("/") + "/api/ask", json=body, auth=auth,
                              timeout=settings.llm_timeout_s + 60)
    except httpx.HTTPError as err:
        raise ServerError(f"cannot reach the server at {settings.server_url}: {err}") from err
    if response.status_code != 200:
        try:
            message = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:200]
        raise ServerError(f"the server answered {response.status_code}: {message}")
    return response.json()


def _selected(chain, args: argparse.Namespace) -> frozenset[str] | None:
    """The documents `--document` and `--ticker` limit the answer to (None: all)."""
    from amzn_qa.ingest.catalog import selected_documents

    return selected_documents(chain.retriever.units, args.document, args.ticker)


def cmd_ask(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings.server_url:
        body = ask_server(settings, args.question, k=args.k, documents=args.document, ticker=args.ticker)
        print(json.dumps(body, ensure_ascii=False) if args.json else format_answer(body["answer"], body["citations"]))
        return 0
    from amzn_qa.answer.question import validate_question

    validate_question(args.question, settings)  # a mistyped question is told at once, not after the models load
    chain = _chain(settings)
    answer = chain.ask(args.question, documents=_selected(chain, args))
    print(json.dumps(answer.to_json(), ensure_ascii=False) if args.json else formatted(answer))
    return 0


def answer_turn(args: argparse.Namespace, settings: Settings, chain, question: str,
                history: list[dict[str, str]]) -> None:
    """Print one answer (tokens as they come when the models are local) and add the turn to `history`."""
    if settings.server_url:
        body = ask_server(settings, question, history, args.k, args.document, args.ticker)
        print(format_answer(body["answer"], body["citations"]))
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": body["answer"]}]
        return
    from amzn_qa.answer.chain import Answer, Token

    for event in chain.stream(question, history, documents=_selected(chain, args)):
        if isinstance(event, Token):  # the checked answer's text: shown as it is, never redrawn
            print(event.text, end="", flush=True)
        elif isinstance(event, Answer):
            print(formatted(event).removeprefix(event.answer))
            history += [
                {"role": "user", "content": event.standalone_question or question},
                {"role": "assistant", "content": event.answer},
            ]


def cmd_chat(args: argparse.Namespace) -> int:
    settings = _settings(args)
    chain = None if settings.server_url else _chain(settings)
    history: list[dict[str, str]] = []
    print("Ask about the document; an empty line or Ctrl-D quits.")
    while True:
        try:
            question = input("> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not question:
            return 0
        try:
            answer_turn(args, settings, chain, question, history)
        except (ServerError, *_user_errors()) as err:
            print(err)


def cmd_mcp(args: argparse.Namespace) -> int:
    from amzn_qa.frontends.mcp_server import serve_stdio

    serve_stdio(_settings(args))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from amzn_qa.frontends.api import serve

    serve(_settings(args))
    return 0


def cmd_slack(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings.slack_mode == "http":
        from amzn_qa.frontends.api import serve

        serve(settings, with_ui=False)
        return 0
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from amzn_qa.answer.chain import AnswerChain
    from amzn_qa.frontends.slack_bot import create_slack_app

    app_token = os.environ.get("SLACK_APP_TOKEN")
    if not app_token:
        raise ConfigError("Socket Mode needs SLACK_APP_TOKEN (an xapp- token with connections:write)")
    SocketModeHandler(create_slack_app(AnswerChain(settings), rate_limit=settings.slack_rate_limit), app_token).start()
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from amzn_qa.evaluation.harness import run_cli

    return run_cli(args, _settings(args))


SERVER_HELP = "ask a running `amzn-qa serve` at URL instead of loading the models (default: AMZN_QA_SERVER_URL)"


def _document_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--document", action="append", metavar="FILE",
                        help="answer only from this indexed document (its file name); repeat for several")
    parser.add_argument("--ticker", help="answer only from the documents about this company ticker")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="amzn-qa", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="index the documents in corpus/")
    p.add_argument("--rebuild", action="store_true", help="rebuild the index from scratch")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("add", help="copy a document into corpus/ (after checking its type and size) and index it")
    p.add_argument("file", help="a document ingest reads: .md, .markdown, .txt, .pdf, .docx, .html")
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("ask", help="answer one question")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print one JSON object (see README)")
    p.add_argument("--k", type=int, help="number of sources")
    p.add_argument("--llm", help="local | local-1.5b | gguf:PATH | openai | bedrock | anthropic")
    p.add_argument("--server", metavar="URL", help=SERVER_HELP)
    _document_options(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="chat in the terminal, with follow-up questions")
    p.add_argument("--k", type=int)
    p.add_argument("--llm")
    p.add_argument("--server", metavar="URL", help=SERVER_HELP)
    _document_options(p)
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("mcp", help="the MCP server over stdio (tools ask and search, the documents as resources)")
    p.add_argument("--llm")
    p.add_argument("--k", type=int)
    p.set_defaults(func=cmd_mcp)

    p = sub.add_parser("serve", help="web chat and JSON API on one server")
    p.add_argument("--host", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 7860)")
    p.add_argument("--llm")
    p.add_argument("--k", type=int)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("slack", help="the Slack bot (HTTP Events API or Socket Mode)")
    p.add_argument("--mode", choices=["http", "socket"], help="default: AMZN_QA_SLACK_MODE or http")
    p.add_argument("--port", type=int, help="HTTP mode port (default 7860)")
    p.add_argument("--llm")
    p.set_defaults(func=cmd_slack)

    p = sub.add_parser("eval", help="score the pipeline on known Q&A pairs")
    p.add_argument("--split", choices=["dev", "test", "all"], default="test",
                   help="which Q&A cases: dev (tune on these), test (report these; default) or all")
    p.add_argument("--qa", help="a Q&A JSONL file instead of a split")
    p.add_argument("--out", help="report folder (default evals/reports/latest)")
    p.add_argument("--llm")
    p.add_argument("--k", type=int)
    p.add_argument("--kind", help="only the cases of this kind: lookup, list, explain, compare, multi-turn or unanswerable")
    p.add_argument("--limit", type=int, help="only the first N cases")
    p.add_argument("--sample", type=int, help="a fixed sample of N cases spread over every kind")
    p.add_argument("--retrieval-only", action="store_true", help="score retrieval only, no LLM")
    p.add_argument("--baseline", action="store_true",
                   help="also run the plain LangChain baseline on the same cases; one report, side by side")
    p.add_argument("--thresholds", help="gate file (default evals/thresholds.json)")
    p.add_argument("--no-gate", action="store_true", help="report only, never fail")
    p.add_argument("--compare", nargs=2, metavar=("REPORT_A", "REPORT_B"))
    p.add_argument("--ablate", metavar="NAME",
                   help="run the cases as set and with NAME (a stage or rule, as AMZN_QA_DISABLE takes) switched "
                        "off; print the metric deltas and the cases that flipped (no gate)")
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    from pydantic import ValidationError

    try:
        return args.func(args)
    except ValidationError as err:
        print(f"amzn-qa: invalid setting: {err.errors()[0]['loc']}: {err.errors()[0]['msg']}", file=sys.stderr)
        return 2
    except Exception as err:
        if not isinstance(err, (ServerError, *_user_errors())):
            raise
        print(f"amzn-qa: {err}", file=sys.stderr)
        return 2


def _user_errors() -> tuple[type[Exception], ...]:
    """The errors that are the user's to fix. Only loaded modules are asked: one never imported
    raised nothing, and importing it would load the models' libraries `--server` avoids."""
    classes = {"amzn_qa.answer.question": "QuestionError", "amzn_qa.ingest.index": "IndexUnavailable",
               "amzn_qa.ingest.catalog": "UnknownDocument",
               "amzn_qa.ingest.convert": "DocumentError",
               "amzn_qa.models": "ModelUnavailable", "amzn_qa.evaluation.harness": "EvalError"}
    return (ConfigError, *(getattr(sys.modules[name], cls) for name, cls in classes.items() if name in sys.modules))


if __name__ == "__main__":
    sys.exit(main())
