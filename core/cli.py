"""The ``switchboard`` command line.

Usage errors (bad arguments, unreadable or malformed input, bad config) print one line to stderr
naming the file and field, and exit 2. Nothing is half-written: output files are written to a
temporary file and renamed only when complete.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator, TextIO

from . import __version__
from .datafiles import iter_jsonl
from .errors import DataError, SwitchboardError

EXIT_USAGE = 2
log = logging.getLogger("switchboard.cli")

#: Subcommand modules that add themselves (``add_parser(subparsers)``); missing ones are skipped.
_EXTENSIONS = ("switchboard.training.cli", "switchboard.reports.cli")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="switchboard", description="Hybrid AI live chat for UK police non-emergency contact.")
    parser.add_argument("--version", action="version", version=f"switchboard {__version__}")
    parser.add_argument("--config", help="deployment TOML file (default: $SWITCHBOARD_CONFIG or the demo force)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("serve", help="serve the chat API, widget and operator console with uvicorn")
    p.add_argument("--host", help="bind address (default from config, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default from config, 8000)")
    p.add_argument("--workers", type=int, help="uvicorn worker processes (default 1)")
    p.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("plugins", help="list loaded plugins, their versions and hooks (JSON)")
    p.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_plugins)

    p = sub.add_parser("triage", help="batch first-message triage of a CSV or JSONL file (id, text)")
    p.add_argument("file", help="CSV or JSONL file with 'id' and 'text', or - for stdin")
    p.add_argument("--format", choices=("table", "jsonl", "csv"), default="table")
    p.add_argument("--input-format", choices=("auto", "csv", "jsonl"), default="auto")
    p.add_argument("--id-column", default="id")
    p.add_argument("--text-column", default="text")
    p.add_argument("--output", "-o", help="write here (atomically) instead of stdout")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")
    p.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_triage)

    for module_name in _EXTENSIONS:
        try:
            module = __import__(module_name, fromlist=["add_parser"])
        except ImportError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue
            raise
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=os.environ.get("SWITCHBOARD_LOG_LEVEL", "WARNING").upper(),
        format="%(levelname)s %(name)s: %(message)s",
    )
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "sub_config", None):
        args.config = args.sub_config
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except SwitchboardError as exc:
        print(f"switchboard: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


# -- shared helpers ---------------------------------------------------------------------------------


def load_dispatcher(config: str | None) -> Any:
    from .config import load_settings
    from .dispatch import Dispatcher
    from .plugin_manager import make_plugin_manager

    settings = load_settings(config)
    pm = make_plugin_manager(disabled=settings.disabled_plugins)
    return Dispatcher(pm, settings)


def write_atomically(path: str | None, writer: Callable[[TextIO], None]) -> None:
    """Run ``writer`` on stdout, or on a temp file renamed to ``path`` only when it succeeds."""
    if not path:
        writer(sys.stdout)
        sys.stdout.flush()
        return
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            writer(fh)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- serve ------------------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .config import load_settings

    if args.config:
        os.environ["SWITCHBOARD_CONFIG"] = str(Path(args.config).resolve())
    settings = load_settings(args.config)  # validate before forking workers
    load_dispatcher(args.config)  # fail fast on plugin/journey/model errors
    host = args.host or settings.section("server")["host"]
    port = args.port or settings.section("server")["port"]
    workers = args.workers or settings.section("server")["workers"]
    base = f"http://{host}:{port}"
    print(f"switchboard {__version__}: {settings.force_name}", file=sys.stderr)
    print(f"  demo page (widget):   {base}/", file=sys.stderr)
    print(f"  operator console:     {base}/console/", file=sys.stderr)
    print(f"  visitor API (OpenAPI): {base}/api/v1/openapi.json", file=sys.stderr)
    print(f"  health:               {base}/healthz  {base}/readyz", file=sys.stderr)
    for line in _demo_credentials(settings):
        print(f"  {line}", file=sys.stderr)
    uvicorn.run(
        "switchboard.asgi:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=os.environ.get("SWITCHBOARD_LOG_LEVEL", "info").lower(),
    )
    return 0


def _demo_credentials(settings: Any) -> list[str]:
    accounts = settings.get("console.demo_accounts", []) or []
    out = []
    for acct in accounts:
        if isinstance(acct, dict) and acct.get("username"):
            out.append(f"demo {acct.get('role', 'operator')}: {acct['username']} / {acct.get('password', '')}")
    return out


# -- plugins ----------------------------------------------------------------------------------------


def cmd_plugins(args: argparse.Namespace) -> int:
    from .config import load_settings
    from .plugin_manager import make_plugin_manager, plugin_infos

    settings = load_settings(args.config)
    pm = make_plugin_manager(disabled=settings.disabled_plugins)
    rows = [
        {
            "name": p.name,
            "distribution": p.distribution,
            "version": p.version,
            "hooks": list(p.hooks),
            "source": p.source,
        }
        for p in plugin_infos(pm)
    ]
    json.dump({"plugins": rows, "disabled": sorted(settings.disabled_plugins)}, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


# -- triage -----------------------------------------------------------------------------------------


def read_rows(
    source: str, id_column: str = "id", text_column: str = "text", input_format: str = "auto"
) -> list[tuple[str, str]]:
    """Read and validate every ``(id, text)`` row before anything is processed.

    :raises DataError: naming the file and line or column.
    """
    name = "<stdin>" if source == "-" else source
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except FileNotFoundError:
        raise DataError(name, "file not found") from None
    except IsADirectoryError:
        raise DataError(name, "is a directory, not a file") from None
    except OSError as exc:
        raise DataError(name, f"cannot read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(f"{name}:{line}", "not UTF-8 text (save the file as UTF-8)") from None
    if not text.strip():
        raise DataError(name, "file is empty")
    fmt = input_format
    if fmt == "auto":
        lower = name.lower()
        if lower.endswith((".jsonl", ".ndjson", ".json")):
            fmt = "jsonl"
        elif lower.endswith((".csv", ".tsv")):
            fmt = "csv"
        else:
            fmt = "jsonl" if text.lstrip().startswith("{") else "csv"
    rows = _read_jsonl(name, text, id_column, text_column) if fmt == "jsonl" else _read_csv(name, text, id_column, text_column)
    if not rows:
        raise DataError(name, "no rows")
    return rows


def _read_jsonl(name: str, text: str, id_column: str, text_column: str) -> list[tuple[str, str]]:
    rows = []
    for lineno, obj in iter_jsonl(name, text):
        if text_column not in obj:
            raise DataError(f"{name}:{lineno}", f"missing {text_column!r} field")
        value = obj[text_column]
        if not isinstance(value, str):
            raise DataError(f"{name}:{lineno}", f"{text_column!r} must be a string")
        rows.append((str(obj.get(id_column, lineno)), value))
    return rows


def _read_csv(name: str, text: str, id_column: str, text_column: str) -> list[tuple[str, str]]:
    # The header line decides the delimiter (comma, tab or semicolon); quoting is standard CSV.
    header = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=header.count)
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=csv.excel, delimiter=delimiter)
    fields = reader.fieldnames or []
    if text_column not in fields:
        raise DataError(f"{name}:1", f"missing {text_column!r} column (columns: {', '.join(fields) or 'none'})")
    rows = []
    try:
        for rec in reader:
            lineno = reader.line_num
            value = rec.get(text_column)
            if value is None:
                raise DataError(f"{name}:{lineno}", f"row has no {text_column!r} value (too few columns)")
            if None in rec:
                raise DataError(f"{name}:{lineno}", "row has more columns than the header")
            rows.append((str(rec.get(id_column) or lineno), value))
    except csv.Error as exc:
        raise DataError(f"{name}:{reader.line_num}", f"malformed CSV ({exc})") from None
    return rows


#: Rows prepared together by ``triage_rows`` (the model plugins score a chunk in one pass; larger
#: chunks spread scikit-learn's per-call cost thinner, at a few MB of memory per 1,000 rows).
TRIAGE_CHUNK = 4096


def triage_rows(
    dispatcher: Any,
    rows: list[tuple[str, str]],
    progress: bool | None = None,
    chunk: int = TRIAGE_CHUNK,
    at: Any = None,
) -> Iterator[dict[str, Any]]:
    """Triage each row exactly as the live chat triages a first message (see
    :func:`triage_decisions`); yields one :func:`decision_row` per row, in order."""
    for row_id, decision in triage_decisions(dispatcher, rows, progress, chunk, at):
        yield decision_row(row_id, decision)


def triage_decisions(
    dispatcher: Any,
    rows: list[tuple[str, str]],
    progress: bool | None = None,
    chunk: int = TRIAGE_CHUNK,
    at: Any = None,
) -> Iterator[tuple[str, Any]]:
    """``(id, Decision)`` for each row, decided exactly as the live chat decides a first message.

    Rows are taken ``chunk`` at a time: the messages are built, plugins get the chance to do
    their work for the whole chunk at once (``prepare_batch``: the models score every text in
    one vectorised pass), then each message is dispatched on its own through
    :meth:`~switchboard.dispatch.Dispatcher.dispatch`, exactly as ``Dispatcher.triage`` does.
    The messages of a chunk are received when the chunk is read (one clock for the chunk: office
    hours and relative dates are judged at that moment), or all at ``at`` (an aware datetime)
    when given, which makes a run repeatable.
    """
    from datetime import datetime, timezone

    from tqdm import tqdm

    disable = (not sys.stderr.isatty()) if progress is None else not progress
    make_message = dispatcher.make_message
    dispatch = dispatcher.dispatch
    chunk = max(1, int(chunk))
    with tqdm(total=len(rows), desc="triage", unit="msg", file=sys.stderr, disable=disable or len(rows) < 50) as bar:
        try:
            for start in range(0, len(rows), chunk):
                part = rows[start : start + chunk]
                now = at or datetime.now(timezone.utc)
                messages = [make_message(text, received_at=now) for _row_id, text in part]
                dispatcher.prepare_batch(messages=messages)
                for (row_id, _text), message in zip(part, messages):
                    yield row_id, dispatch(message)
                bar.update(len(part))
        finally:
            dispatcher.prepare_batch(messages=())


def decision_row(row_id: str, decision: Any) -> dict[str, Any]:
    return {
        "id": row_id,
        "emergency": decision.emergency,
        "handover": decision.handover,
        "intent": decision.intent.intent if decision.intent and not decision.intent.clarify else None,
        "intent_confidence": round(decision.intent.confidence, 4) if decision.intent else None,
        "risk_level": decision.risk_level.value,
        "risk_categories": sorted({s.category for s in decision.signals}),
        "queue": decision.queue.queue if decision.queue else None,
        "handover_reasons": list(decision.handover_reasons),
        "reasons": decision.reasons,
        "model_versions": dict(decision.model_versions),
    }


@contextlib.contextmanager
def settled_heap() -> Iterator[None]:
    """Leave what is loaded now (models, rules, journeys, the rows read) out of the cyclic
    garbage collector's passes while the block runs.

    A batch builds thousands of short-lived objects per second, so the collector runs often, and
    each older-generation pass would walk the hundreds of thousands of long-lived objects of the
    loaded models and rules again. ``gc.freeze()`` sets them aside for the block; they are handed
    back (``gc.unfreeze()``) after it. Decisions do not change.
    """
    import gc

    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def cmd_triage(args: argparse.Namespace) -> int:
    rows = read_rows(args.file, args.id_column, args.text_column, args.input_format)
    dispatcher = load_dispatcher(args.config)
    with settled_heap():
        results = list(triage_rows(dispatcher, rows, args.progress))

    def write(out: TextIO) -> None:
        if args.format == "jsonl":
            for rec in results:
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        elif args.format == "csv":
            w = csv.writer(out)
            w.writerow(["id", "emergency", "handover", "intent", "risk_level", "queue", "reasons"])
            for r in results:
                w.writerow([r["id"], r["emergency"], r["handover"], r["intent"] or "", r["risk_level"],
                            r["queue"] or "", " | ".join(r["reasons"])])
        else:
            _write_table(out, results)

    write_atomically(args.output, write)
    return 0


def _write_table(out: TextIO, results: list[dict[str, Any]]) -> None:
    headers = ["id", "risk", "999", "human", "intent", "queue", "why"]
    table = [
        [
            r["id"], r["risk_level"], "YES" if r["emergency"] else "", "yes" if r["handover"] else "",
            r["intent"] or "-", r["queue"] or "-", "; ".join(r["reasons"])[:70],
        ]
        for r in results
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *table)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out.write(fmt.format(*headers).rstrip() + "\n")
    out.write(fmt.format(*["-" * w for w in widths]).rstrip() + "\n")
    for row in table:
        out.write(fmt.format(*[str(x) for x in row]).rstrip() + "\n")
    emergencies = sum(1 for r in results if r["emergency"])
    handovers = sum(1 for r in results if r["handover"])
    out.write(f"\n{len(results)} messages: {emergencies} emergency, {handovers} handed to a person\n")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
