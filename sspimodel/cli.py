"""The ``sspimodel`` command line.

Exit status (also in README's "Command line" section):

- 0: success;
- 1: a page could not be read or is empty, two pages document one function, the spec folder
  holds no page, a data file of the spec is malformed, or a check failed (``generate`` writes
  nothing when a page is unusable);
- 2: usage error (unknown option, missing argument, ``--spec`` or ``$SSPIMODEL_SPEC`` not a
  directory, ``--scenarios`` not a directory or without a scenario file, ``generate --spec``
  naming a folder of the reference's pages);
- 3: an input or output could not be read or written (``--report`` not a writable directory,
  ``-o`` into a missing directory, a full disk, standard output closed); one line names the
  path and the system's reason;
- 130: interrupted (Ctrl-C); child processes (``conform``'s native runs) are ended first;
- 141: standard output was closed by its reader (``sspimodel spec list | head -1``): nothing
  more is written, no message, as a Unix tool killed by SIGPIPE.

No traceback reaches the user for any of these.
"""

from __future__ import annotations

import argparse
import errno
import os
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
    from rich.markup import escape

    for err in specset.errors:  # a file name or message may hold "[...]", which is not markup
        con.print(f"[red]error[/red] {escape(err.file)}: {escape(err.message)}")
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
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as e:
            raise OSError(e.errno, e.strerror, str(args.output)) from None
    else:
        sys.stdout.write(text)
    return 1 if specset.errors else 0


def cmd_lint(args: argparse.Namespace) -> int:
    from .check.lint import run_lint

    return run_lint(args.spec, fmt=args.format, fail_on=args.fail_on)


def cmd_generate(args: argparse.Namespace) -> int:
    from .codegen import run_generate

    if not args.check:
        # Writing replaces sspimodel/_generated whole: a page that cannot be used would take its
        # function's module with it (and an installed package would lose it), so nothing is
        # written then. Nor from a folder of the reference's own pages (nf-/ns-/ne-/nc- names):
        # its struct and enum pages would become functions of the model; check compares it.
        from .check.drift import is_upstream_folder
        from .read import read_spec

        if args.spec is not None and is_upstream_folder(Path(args.spec)):
            named = "SSPIMODEL_SPEC" if (args.spec_given_as or "").startswith("SSPIMODEL_SPEC=") else "--spec"
            _error(f"generate: nothing written: {named} {args.spec} is a folder of the reference's pages, "
                   f"not a spec folder; compare it with the model: sspimodel check --spec {args.spec}")
            return EXIT_USAGE

        specset = read_spec(args.spec)
        if specset.errors:
            first = specset.errors[0]
            more = len(specset.errors) - 1
            _error(f"generate: nothing written: {first.file}: {first.message}"
                   + (f" (and {more} more; `sspimodel spec list` names them)" if more else ""))
            return EXIT_FAILED
    return run_generate(args.spec, check=args.check)


def cmd_check(args: argparse.Namespace) -> int:
    from .check.report import run_check

    return run_check(args.spec, report_dir=args.report, fmt=args.format)


def cmd_conform(args: argparse.Namespace) -> int:
    from .conform import run_conform

    if args.cross:
        from .conform.cross import run_cross_cli

        return run_cross_cli(report_dir=args.report)
    return run_conform(backend=args.backend, scenarios=args.scenarios, report_dir=args.report)


def cmd_explain(args: argparse.Namespace) -> int:
    from .display import explain_table, handshake_table
    from .model.rules import all_tables

    if args.handshake:
        try:
            print(handshake_table(None if args.function == "all" else args.function))
        except KeyError as e:
            print(f"sspimodel explain: {e.args[0]}", file=sys.stderr)
            return 2
        return 0
    functions = {t.function for t in all_tables()}
    if args.function not in functions:
        print(f"sspimodel explain: no rule table for {args.function!r} (functions: {', '.join(sorted(functions))})", file=sys.stderr)
        return 2
    try:
        print(explain_table(args.function, args.status))
    except KeyError as e:
        print(f"sspimodel explain: {e.args[0]}", file=sys.stderr)
        return 2
    return 0


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

    p = sub.add_parser("explain", help="a function's rule table, or the rules giving one status, with page lines")
    p.add_argument("function", metavar="FUNCTION", help="function name, e.g. AcceptSecurityContext")
    p.add_argument("status", metavar="STATUS", nargs="?", default=None, help="only the rules giving this status")
    p.add_argument("--handshake", action="store_true",
                   help="print the handshake transition table of FUNCTION read as a mechanism (NTLM, Kerberos, Digest, all)")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("conform", help="run the scenarios against the model or a native SSPI")
    p.add_argument("--backend", default="model",
                   help="model | native | native:PATH (a native SSPI library; default model)")
    p.add_argument("--scenarios", type=Path, default=None, metavar="DIR",
                   help="a folder of scenario YAML files (default: the scenarios shipped with sspimodel)")
    p.add_argument("--report", type=Path, default=None, metavar="DIR", help="write conform.json and conform.md to DIR")
    p.add_argument("--cross", action="store_true",
                   help="run the model's NTLM against sspi-rs and pyspnego on the wire, both directions "
                        "(with --report: writes conform-cross.json and conform-cross.md)")
    p.set_defaults(func=cmd_conform)
    return parser


EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_IO = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a process ended by Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as shells report a Unix tool whose reader went away
EXIT_TERMINATED = 143  # 128 + SIGTERM, as shells report a process ended by kill(1)


class _Terminated(BaseException):
    """SIGTERM arrived. Raised from the signal handler so that the code running at that moment
    unwinds as it does for Ctrl-C (conform's run_in_child kills its child on any exception)
    instead of the interpreter dying at once and leaving the child behind."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


def _install_sigterm() -> object:
    """Install the SIGTERM handler; return the previous one (None when it cannot be installed:
    not the main thread, or no SIGTERM on this system)."""
    import signal

    if not hasattr(signal, "SIGTERM"):
        return None
    try:
        return signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # signal.signal works only in the main thread
        return None


class _ClosedStream:
    """Stands for a standard stream that was closed before the program started (``>&-``):
    Python leaves ``sys.stdout`` None then; writing to it is an I/O error like any other."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed", "<stdout>")

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False


def _error(message: str) -> None:
    try:
        print(f"sspimodel: {message}", file=sys.stderr, flush=True)
    except (OSError, ValueError, AttributeError):  # stderr closed too: the exit status says it
        pass


def _os_error(e: OSError) -> str:
    reason = e.strerror or str(e)
    if e.filename is not None:
        return f"{e.filename}: {reason}"
    return f"cannot write the output: {reason}"


def _no_pages(spec: Path | None, given_as: str | None) -> str | None:
    """Why a spec folder cannot be read at all (it holds no page file, nor any page-like entry
    that read would name), or None. ``given_as`` names how the folder was given (``--spec DIR``,
    ``SSPIMODEL_SPEC=DIR``)."""
    from .paths import default_spec_dir, pages_dir
    from .read import scan_pages
    from .spec import Severity

    root = pages_dir(spec)
    pages, skipped = scan_pages(root)
    if pages or any(d.severity is Severity.ERROR for d in skipped):
        return None
    where = given_as or f"spec folder {default_spec_dir()}"
    return f"{where}: no reference page (*.md, *.txt) in {root}"


def _check_output_dir(option: str, path: Path) -> str | None:
    """Why ``path`` cannot take the report files, or None (it is created when missing)."""
    if path.exists() and not path.is_dir():
        return f"{option} {path}: not a directory"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        return f"{option} {path}: cannot create the directory: {e.strerror or e}"
    if not os.access(path, os.W_OK | os.X_OK):
        return f"{option} {path}: directory is not writable"
    return None


def _check_output_file(option: str, path: Path) -> str | None:
    if str(path) == "-":
        return None
    parent = path.parent
    if not parent.is_dir():
        return f"{option} {path}: directory {parent} does not exist"
    if path.is_dir():
        return f"{option} {path}: is a directory"
    return None


def _silence_stdout() -> None:
    """After a broken pipe: point fd 1 at /dev/null so the interpreter's final flush is quiet."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except OSError:
        pass


def main(argv: Sequence[str] | None = None) -> int:
    if sys.stdout is None:
        sys.stdout = _ClosedStream()  # type: ignore[unused-ignore, assignment]
    previous = _install_sigterm()
    try:
        return _main(argv)
    except KeyboardInterrupt:
        # Child processes (conform's native runs) are ended where they are started
        # (sspimodel.conform.runner.run_in_child kills its child on any exception).
        _error("interrupted")
        return EXIT_INTERRUPTED
    except _Terminated:
        _error("terminated")
        return EXIT_TERMINATED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as e:
        _error(_os_error(e))
        return EXIT_IO
    finally:
        if previous is not None:  # main() may run inside another program (the tests do)
            import signal

            signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits 2 on usage errors, 0 on --help
        sys.stdout.flush()
        return int(e.code or 0)
    # --spec DIR, else $SSPIMODEL_SPEC: one folder, checked and resolved (a checkout of the
    # reference's repository stands for its sspi.h pages) the same way whichever named it. The
    # commands without --spec (explain, conform) read the variable's spec too (the model's
    # citations, the scenarios), so it is checked for them as well.
    from .paths import given_spec_dir, reference_folder

    given_as = None
    given = given_spec_dir(getattr(args, "spec", None))
    if given is not None:
        folder, given_as = given
        if not folder.is_dir():
            _error(f"{given_as}: not a directory")
            return EXIT_USAGE
        if hasattr(args, "spec"):
            args.spec = reference_folder(folder)
    args.spec_given_as = given_as
    if hasattr(args, "spec") and args.func is not cmd_check:  # check says so itself, in its words
        empty = _no_pages(args.spec, given_as)
        if empty is not None:
            _error(empty)
            return EXIT_FAILED
    problem = None
    if getattr(args, "report", None) is not None:
        problem = _check_output_dir("--report", Path(args.report))
    elif getattr(args, "output", None) is not None:
        problem = _check_output_file("-o", Path(args.output))
    if problem is not None:
        _error(problem)
        return EXIT_IO
    from .status import SpecDataError

    try:
        status = int(args.func(args))
    except SpecDataError as e:
        # A malformed data file (status.tsv, constants.tsv, errata.yaml, a scenario): its message
        # names the file and line; a traceback would add nothing.
        _error(str(e))
        return EXIT_FAILED
    except ValueError as e:
        # The model's citations quote the pages of the spec read ($SSPIMODEL_SPEC's when set):
        # another folder's pages (a reference checkout, a folder of some pages) may not hold
        # them. One line names the citation and the spec; anything else is a bug, raised.
        from .model.citations import CitationError

        if not isinstance(e, CitationError):
            raise
        where = given_as or "the spec shipped with sspimodel"
        _error(f"a citation of the model is not in the pages of {where}: {e}")
        return EXIT_FAILED
    except SystemExit as e:
        # rich's Console meets a broken pipe by pointing stdout at /dev/null and raising
        # SystemExit(1) (Console.on_broken_pipe); no command of sspimodel raises SystemExit itself.
        if e.code == 1:
            return EXIT_BROKEN_PIPE
        raise
    sys.stdout.flush()  # a full disk or a closed pipe shows here, not at interpreter exit
    return status


if __name__ == "__main__":
    raise SystemExit(main())
