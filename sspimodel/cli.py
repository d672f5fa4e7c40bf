"""The ``sspimodel`` command line.

Exit status: 0 success, 1 when a page could not be read / a check failed, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _spec_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--spec", type=Path, default=None, metavar="DIR",
                   help="a spec folder (pages/ and data/) or a folder of pages, which then uses the packaged "
                        "data (default: $SSPIMODEL_SPEC, else the spec shipped with sspimodel)")


def _console(file: Any = None) -> Any:
    from rich.console import Console

    return Console(file=file or sys.stdout, width=100, highlight=False, soft_wrap=False)


def cmd_spec_list(args: argparse.Namespace) -> int:
    from rich.table import Table

    from .read import read_spec

    specset = read_spec(args.spec)
    table = Table(title=f"{len(specset.functions)} functions in {specset.root}", show_lines=False)
    table.add_column("function", no_wrap=True, min_width=35)
    for col, just in (("form", "left"), ("variant", "left"), ("params", "right"),
                      ("returns", "right"), ("named", "right"), ("diags", "right")):
        table.add_column(col, justify=just, no_wrap=True)  # type: ignore[arg-type]
    for f in specset.functions:
        table.add_row(f.name, f.form.value, f.variant.value, str(len(f.parameters)), str(len(f.returns)),
                      str(len(f.mentioned_names())), str(len(f.diagnostics)))
    con = _console()
    con.print(table)
    for err in specset.errors:
        con.print(f"[red]error[/red] {err.file}: {err.message}")
    return 1 if specset.errors else 0


def cmd_spec_show(args: argparse.Namespace) -> int:
    from .read import read_spec
    from .render import spec_renderable

    specset = read_spec(args.spec)
    f = specset.get(args.name)
    if f is None:
        print(f"sspimodel: no page for function {args.name!r} in {specset.root}", file=sys.stderr)
        known = ", ".join(specset.names())
        print(f"known functions: {known}", file=sys.stderr)
        return 2
    _console().print(spec_renderable(f))
    return 1 if specset.errors else 0


def cmd_spec_export(args: argparse.Namespace) -> int:
    from .read import read_spec
    from .read.export import to_json

    specset = read_spec(args.spec)
    text = to_json(specset)
    if args.output and str(args.output) != "-":
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 1 if specset.errors else 0


def cmd_lint(args: argparse.Namespace) -> int:
    from .check.lint import run_lint

    return run_lint(args.spec, fmt=args.format, fail_on=args.fail_on)


def cmd_generate(args: argparse.Namespace) -> int:
    from .codegen import run_generate

    return run_generate(args.spec, check=args.check)


def cmd_check(args: argparse.Namespace) -> int:
    from .check.report import run_check

    return run_check(args.spec, report_dir=args.report, fmt=args.format)


def cmd_conform(args: argparse.Namespace) -> int:
    from .conform import run_conform

    return run_conform(backend=args.backend, scenarios=args.scenarios, report_dir=args.report)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="sspimodel", description="An executable specification of the Windows SSPI.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    spec = sub.add_parser("spec", help="read the reference pages")
    spec_sub = spec.add_subparsers(dest="spec_command", metavar="SUBCOMMAND")
    spec_sub.required = True
    p = spec_sub.add_parser("list", help="one row per function: params, return codes, diagnostics")
    _spec_arg(p)
    p.set_defaults(func=cmd_spec_list)
    p = spec_sub.add_parser("show", help="the parameter and return tables of one function")
    p.add_argument("name", help="function name, e.g. ImportSecurityContextA")
    _spec_arg(p)
    p.set_defaults(func=cmd_spec_show)
    p = spec_sub.add_parser("export", help="the typed specification as JSON")
    _spec_arg(p)
    p.add_argument("-o", "--output", type=Path, default=None, metavar="FILE", help="write to FILE (default stdout)")
    p.set_defaults(func=cmd_spec_export)

    p = sub.add_parser("lint", help="find inconsistencies inside and between pages")
    _spec_arg(p)
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                   help="text: findings grouped by page with fix hints; json: a list of findings; "
                        "markdown: the findings section the README carries (default text)")
    p.add_argument("--fail-on", choices=("error", "warning", "never"), default="error",
                   help="exit 1 when a finding of this severity or higher exists (default error)")
    p.set_defaults(func=cmd_lint)

    p = sub.add_parser("generate", help="write sspimodel/_generated from the spec")
    _spec_arg(p)
    p.add_argument("--check", action="store_true", help="exit 1 naming stale files instead of writing")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("check", help="read, lint, generate --check, coverage: one summary per stage")
    _spec_arg(p)
    p.add_argument("--report", type=Path, default=None, metavar="DIR", help="write report.json/.md/.html to DIR")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="text: a summary line per stage and tables; json: the whole report (default text)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("conform", help="run the scenarios against the model or a native SSPI")
    p.add_argument("--backend", default="model",
                   help="model | native | native:PATH (a native SSPI library; default model)")
    p.add_argument("--scenarios", type=Path, default=None, metavar="DIR",
                   help="a folder of scenario YAML files (default: the scenarios shipped with sspimodel)")
    p.add_argument("--report", type=Path, default=None, metavar="DIR", help="write conform.json and conform.md to DIR")
    p.set_defaults(func=cmd_conform)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits 2 on usage errors, 0 on --help
        return int(e.code or 0)
    if getattr(args, "spec", None) is not None and not Path(args.spec).is_dir():
        print(f"sspimodel: --spec {args.spec}: not a directory", file=sys.stderr)
        return 2
    from .status import SpecDataError

    try:
        return int(args.func(args))
    except SpecDataError as e:
        # A malformed data file (status.tsv, constants.tsv, errata.yaml): its message names the file
        # and line; a traceback would add nothing.
        print(f"sspimodel: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
