"""Command line: ingest, ask, chat, serve, slack, eval."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from .config import ConfigError, Settings


# Command-line flags that override a setting, by flag name.
_FLAG_SETTINGS = {"llm": "llm", "k": "k", "host": "host", "port": "port", "mode": "slack_mode"}


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {name: getattr(args, flag) for flag, name in _FLAG_SETTINGS.items() if getattr(args, flag, None)}
    return Settings(**overrides)


def _chain(settings: Settings):
    from .chain import AnswerChain

    return AnswerChain(settings)


def cmd_ingest(args: argparse.Namespace) -> int:
    from .index import ingest

    report = ingest(_settings(args), rebuild=args.rebuild, progress=sys.stderr.isatty())
    print(report.summary())
    return 1 if report.problems and not report.units else 0


def format_answer(answer) -> str:
    lines = [answer.answer]
    if answer.notice and not answer.answer.startswith(answer.notice):
        lines.append(f"  ({answer.notice})")
    for c in answer.citations:
        lines.append(f"  [{c.n}] {c.source}:{c.start_line}-{c.end_line} {c.section}: “{c.quote}”")
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace) -> int:
    from .chain import Token

    chain = _chain(_settings(args))
    if args.json:
        print(json.dumps(chain.ask(args.question).to_json(), ensure_ascii=False))
        return 0
    for event in chain.stream(args.question):
        if isinstance(event, Token):
            continue
        print(format_answer(event))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from .chain import QuestionError, Token

    chain = _chain(_settings(args))
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
            for event in chain.stream(question, history):
                if isinstance(event, Token):
                    print(event.text, end="", flush=True)
                else:
                    print("\r\033[K" + format_answer(event))
                    history += [
                        {"role": "user", "content": event.standalone_question or question},
                        {"role": "assistant", "content": event.answer},
                    ]
        except QuestionError as err:
            print(err)


def cmd_serve(args: argparse.Namespace) -> int:
    from .api import serve

    serve(_settings(args))
    return 0


def cmd_slack(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings.slack_mode == "http":
        from .api import serve

        serve(settings, with_ui=False)
        return 0
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from .chain import AnswerChain
    from .slack_bot import create_slack_app

    app_token = os.environ.get("SLACK_APP_TOKEN")
    if not app_token:
        raise ConfigError("Socket Mode needs SLACK_APP_TOKEN (an xapp- token with connections:write)")
    SocketModeHandler(create_slack_app(AnswerChain(settings), rate_limit=settings.slack_rate_limit), app_token).start()
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluation import run_cli

    return run_cli(args, _settings(args))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="amzn-qa", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="index the documents in corpus/")
    p.add_argument("--rebuild", action="store_true", help="rebuild the index from scratch")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", help="answer one question")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print one JSON object (see README)")
    p.add_argument("--k", type=int, help="number of sources")
    p.add_argument("--llm", help="local | local-1.5b | gguf:PATH | openai | bedrock | anthropic")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="chat in the terminal, with follow-up questions")
    p.add_argument("--k", type=int)
    p.add_argument("--llm")
    p.set_defaults(func=cmd_chat)

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
    p.add_argument("--limit", type=int, help="only the first N cases")
    p.add_argument("--sample", type=int, help="a fixed sample of N cases spread over every kind")
    p.add_argument("--retrieval-only", action="store_true", help="score retrieval only, no LLM")
    p.add_argument("--baseline", action="store_true",
                   help="also run the plain LangChain baseline on the same cases; one report, side by side")
    p.add_argument("--thresholds", help="gate file (default evals/thresholds.json)")
    p.add_argument("--no-gate", action="store_true", help="report only, never fail")
    p.add_argument("--compare", nargs=2, metavar=("REPORT_A", "REPORT_B"))
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    from pydantic import ValidationError

    from .chain import QuestionError
    from .evaluation import EvalError
    from .index import IndexUnavailable
    from .models import ModelUnavailable

    try:
        return args.func(args)
    except (QuestionError, IndexUnavailable, ModelUnavailable, EvalError, ConfigError) as err:
        print(f"amzn-qa: {err}", file=sys.stderr)
        return 2
    except ValidationError as err:
        print(f"amzn-qa: invalid setting: {err.errors()[0]['loc']}: {err.errors()[0]['msg']}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
