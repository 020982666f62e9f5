"""The ``csm`` command (Typer): launch the desk, demo, login/logout, sync, config, server, seed,
macros (export and import), admin (team-lead tools: ``admin sla`` export and import).

The console script enters through :func:`csm_tui.launch.main`, which turns failures into one
sentence. Heavy modules (Textual, FastAPI) are imported inside the commands that need them, so
``csm --help`` stays fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from csm_tui import __version__
from csm_tui.errors import CsmError
from csm_tui.launch import launch as launch_desk
from csm_tui.launch import open_desk
from csm_tui.locations import locations
from csm_tui.sync_progress import sync_with_progress

err_console = Console(stderr=True, highlight=False)
out = Console(highlight=False)

app = typer.Typer(
    name="csm",
    help="csm: a keyboard-first terminal desk for contact-center agents.",
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    add_completion=True,
    rich_markup_mode="rich",
)
server_app = typer.Typer(help="Run and administer the case server.", pretty_exceptions_enable=False)
config_app = typer.Typer(help="Show and change settings.", pretty_exceptions_enable=False)
macros_app = typer.Typer(
    help="Share macros and snippets as TOML files.", pretty_exceptions_enable=False
)
app.add_typer(server_app, name="server")
app.add_typer(config_app, name="config")
admin_app = typer.Typer(
    help="Team-lead tools: the desk-wide settings on the case server.",
    pretty_exceptions_enable=False,
)
sla_app = typer.Typer(
    help="SLA calendars and policies as a TOML file.", pretty_exceptions_enable=False
)
app.add_typer(macros_app, name="macros")
app.add_typer(admin_app, name="admin")
admin_app.add_typer(sla_app, name="sla")

DEFAULT_DB = "sqlite:///csm-server.sqlite3"
ProfileOpt = Annotated[
    str,
    typer.Option(
        "--profile",
        envvar="CSM_PROFILE",
        help="Settings profile: a \\[profiles.NAME] table of the config, with its own server, "
        "token and local store (default: the top level).",
    ),
]
PasswordStdinOpt = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from standard input (for scripts)."),
]


def _version(value: bool) -> None:
    if value:
        out.print(f"csm {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def launch(
    ctx: typer.Context,
    profile: ProfileOpt = "default",
    low_bandwidth: Annotated[
        bool,
        typer.Option(
            "--low-bandwidth",
            help="For thin links: timers repaint every 15 s, no animations, smaller pages, "
            "old cases' messages fetched when opened (or low_bandwidth = true in the config).",
        ),
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Open the desk (the queue of cases) for the signed-in server.

    Errors are one line on stderr with a non-zero exit; the details of unexpected ones go to
    the log file in the data dir (`csm config path` shows where)."""
    if ctx.invoked_subcommand is not None:
        if profile != "default":
            os.environ["CSM_PROFILE"] = profile  # `csm --profile x sync` means x too
        return
    launch_desk(profile, low_bandwidth=low_bandwidth)


@app.command()
def login(
    server: Annotated[
        str | None, typer.Option(help="Case server URL, e.g. https://cases.example.com")
    ] = None,
    handle: Annotated[
        str | None, typer.Option(help="Your agent handle, e.g. anna.schmidt (asked if not given).")
    ] = None,
    password_stdin: PasswordStdinOpt = False,
    token: Annotated[
        str | None,
        typer.Option(
            help="Sign in with an agent token (from `csm server issue-token`) instead of a "
            "password."
        ),
    ] = None,
    profile: ProfileOpt = "default",
) -> None:
    """Sign in with your handle and password (or a token).

    The server issues a token, which goes to the system keyring; the server goes to the config
    (the profile's, with --profile)."""
    from csm_tui.cli_settings import login as sign_in

    sign_in(server, token, handle, password_stdin, profile)


@app.command()
def logout(profile: ProfileOpt = "default") -> None:
    """Forget the token of the configured server (the profile's, with --profile)."""
    from csm_tui.cli_settings import logout as sign_out

    sign_out(profile)


@app.command()
def sync(
    profile: ProfileOpt = "default",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    status: Annotated[
        bool,
        typer.Option(
            "--status", help="Show pending edits, conflicts and the last sync; no network."
        ),
    ] = False,
) -> None:
    """Send local edits to the case server and pull every change (exit 0 only on success)."""
    from csm_tui.config import load_settings

    locs = locations().ensure()
    settings = load_settings(locs, profile=profile)
    if status:
        _sync_status(locs.store_file(profile), settings.server)
        return
    desk = open_desk(locs, settings.server, profile, low_bandwidth=settings.low_bandwidth)
    try:
        report = desk.sync() if quiet else sync_with_progress(desk, console=err_console)
    finally:
        desk.close()
    if not quiet:
        counts = ", ".join(f"{n} {e}" for e, n in sorted(report.by_entity.items())) or "nothing new"
        out.print(
            f"Synced {report.rows} changes in {report.pages} pages "
            f"({report.wire_bytes / 1024:.1f} KiB on the wire): {counts}.",
            markup=False,
        )
        out.print(
            f"Pushed {report.pushed} edits, pulled {report.rows} changes; "
            f"{report.conflicts} conflicts, {report.rejected} rejected.",
            markup=False,
        )


def _sync_status(store: Path, server: str | None) -> None:
    from csm_tui.store.queries import StoreReader

    reader = StoreReader(store)
    try:
        pending, conflicts, rejected = reader.outbox_counts()
        last = reader.state("last_sync_at")
    finally:
        reader.close()
    out.print(f"Pending edits: {pending}", markup=False)
    out.print(f"Conflicts: {conflicts}", markup=False)
    out.print(f"Rejected edits: {rejected}", markup=False)
    out.print(f"Last sync: {last.replace('T', ' ') + ' UTC' if last else 'never'}", markup=False)
    out.print(f"Server: {server or 'none (run `csm login --server URL`)'}", markup=False)


def _read_text(file: Path) -> str:
    """A TOML file's text, or a CsmError saying why it cannot be read."""
    try:
        return file.read_text(encoding="utf-8")
    except OSError as err:
        raise CsmError(f"Cannot read {file}: {err.strerror or err}.") from None
    except UnicodeDecodeError:
        raise CsmError(f"{file} is not a UTF-8 text file.") from None


def _write_text(file: Path, text: str) -> None:
    try:
        file.write_text(text, encoding="utf-8")
    except OSError as err:
        raise CsmError(f"Cannot write {file}: {err.strerror or err}.") from None


@macros_app.command("export")
def macros_export(
    file: Annotated[Path, typer.Argument(help="The TOML file to write.", dir_okay=False)],
    profile: ProfileOpt = "default",
) -> None:
    """Write the macros and snippets this desk holds (the shared ones and yours) to FILE."""
    from csm_tui.config import load_settings
    from csm_tui.domain.macros import macros_to_toml

    locs = locations().ensure()
    desk = open_desk(locs, load_settings(locs, profile=profile).server, profile)
    try:
        macros, snippets = desk.macros(), desk.snippets()
    finally:
        desk.close()
    text = macros_to_toml(macros, snippets)
    _write_text(file, text)
    out.print(f"Exported {len(macros)} macros and {len(snippets)} snippets to {file}", markup=False)


@macros_app.command("import")
def macros_import(
    file: Annotated[Path, typer.Argument(help="A TOML file from `csm macros export`.")],
    shared: Annotated[
        bool,
        typer.Option("--shared", help="Make them shared with the whole desk (team leads only)."),
    ] = False,
    profile: ProfileOpt = "default",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Add the macros and snippets of FILE as your personal ones (or shared ones), then sync."""
    from csm_tui.config import load_settings
    from csm_tui.domain.macros import macros_from_toml

    text = _read_text(file)
    try:
        library = macros_from_toml(text)
    except ValueError as err:
        raise CsmError(f"{file}: {err}") from None
    locs = locations().ensure()
    desk = open_desk(locs, load_settings(locs, profile=profile).server, profile)
    try:
        if desk.agent is None:
            desk.sync()  # the desk learns who is signed in (and their role)
        macro_ids, snippet_ids = desk.import_library(
            list(library.macros), list(library.snippets), shared=shared
        )
        kind = "shared" if shared else "personal"
        out.print(
            f"Imported {len(macro_ids)} macros and {len(snippet_ids)} snippets from {file} "
            f"as {kind} ones.",
            markup=False,
        )
        try:
            report = desk.sync() if quiet else sync_with_progress(desk, console=err_console)
        except CsmError as err:
            raise CsmError(
                f"{str(err).rstrip('.')}; the imported macros wait on this desk and go to the "
                "server with the next sync."
            ) from None
        imported = set(macro_ids) | set(snippet_ids)
        refused = [r for r in desk.rejected() if r.entity_id in imported]
    finally:
        desk.close()
    if refused:
        n = len(refused)
        raise CsmError(
            f"The case server refused {n} of them (first: {refused[0].reason.rstrip('.')})."
        )
    if not quiet:
        out.print(f"Pushed {report.pushed} edits, pulled {report.rows} changes.", markup=False)


def _sla_counts(text: str) -> str:
    from csm_tui.domain.sla import policies_from_toml

    try:
        calendars, policies = policies_from_toml(text)
    except ValueError:
        return "SLA policies"
    return f"{len(policies)} SLA policies and {len(calendars)} calendars"


@sla_app.command("export")
def sla_export(
    file: Annotated[Path, typer.Argument(help="The TOML file to write.", dir_okay=False)],
    profile: ProfileOpt = "default",
) -> None:
    """Write the SLA calendars and policies this desk holds (the defaults before any were
    synced) to FILE, to edit and bring back with `csm admin sla import`."""
    from csm_tui.config import load_settings

    locs = locations().ensure()
    desk = open_desk(locs, load_settings(locs, profile=profile).server, profile)
    try:
        text, synced = desk.sla_toml(), desk.sla_synced()
    finally:
        desk.close()
    _write_text(file, text)
    where = "" if synced else " (the defaults: no SLA policies synced yet)"
    out.print(f"Exported {_sla_counts(text)} to {file}{where}.", markup=False)


@sla_app.command("import")
def sla_import(
    file: Annotated[Path, typer.Argument(help="A TOML file from `csm admin sla export`.")],
    profile: ProfileOpt = "default",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Make the calendars and policies of FILE the SLA policies of the whole desk (team
    leads and admins only), then sync."""
    from csm_tui.config import load_settings
    from csm_tui.domain.sla import policies_from_toml

    text = _read_text(file)
    try:
        policies_from_toml(text)
    except ValueError as err:
        raise CsmError(f"{file}: {err}") from None
    locs = locations().ensure()
    desk = open_desk(locs, load_settings(locs, profile=profile).server, profile)
    try:
        try:
            # Who is signed in (and their role), and the policies as the server holds them
            # now, so the change is based on the latest ones.
            desk.sync()
        except CsmError:
            if desk.agent is None:
                raise
        seen = {r.id for r in desk.rejected()}, {c.id for c in desk.conflicts()}
        if not desk.import_sla(text):
            out.print(f"The SLA policies already are those of {file}.", markup=False)
            return
        try:
            report = desk.sync() if quiet else sync_with_progress(desk, console=err_console)
        except CsmError as err:
            raise CsmError(
                f"{str(err).rstrip('.')}; the new SLA policies wait on this desk and go to the "
                "server with the next sync."
            ) from None
        # Said here, so not left for the desk's lists too.
        refused = [r for r in desk.rejected() if r.entity == "sla_config" and r.id not in seen[0]]
        clashes = [c for c in desk.conflicts() if c.entity == "sla_config" and c.id not in seen[1]]
        for clash in clashes:
            desk.resolve_conflict(clash.id, "theirs")  # the server's stay; import again
        for rejected in refused:
            desk.dismiss_rejected(rejected.id)
    finally:
        desk.close()
    if refused:
        raise CsmError(refused[-1].reason)
    if clashes:
        who = f" ({clashes[0].by})" if clashes[0].by else ""
        raise CsmError(
            f"Another lead{who} changed the SLA policies at the same time; theirs stay, "
            f"run `csm admin sla import {file}` again to replace them."
        )
    out.print(f"Imported {_sla_counts(text)} from {file}.", markup=False)
    if not quiet:
        out.print(f"Pushed {report.pushed} edits, pulled {report.rows} changes.", markup=False)


@app.command()
def demo(
    cases: Annotated[
        int, typer.Option(min=1, max=200_000, help="Cases to seed on first run.")
    ] = 2000,
    reset: Annotated[bool, typer.Option(help="Throw the demo data away and seed anew.")] = False,
    headless: Annotated[
        bool,
        typer.Option(help="Start, seed and sync, print what the desk holds, and stop (no TUI)."),
    ] = False,
) -> None:
    """Try the desk: a local case server with demo data, signed in as the demo agent."""
    from csm_tui.demo import run_demo

    run_demo(locations().ensure(), cases=cases, reset=reset, headless=headless, console=err_console)


@app.command()
def seed(
    db: Annotated[str, typer.Option(help="Server database URL.")] = DEFAULT_DB,
    cases: Annotated[int, typer.Option(min=0, max=1_000_000, help="Cases to create.")] = 2000,
    touch: Annotated[
        int, typer.Option(min=0, help="Instead of seeding: simulate activity on this many cases.")
    ] = 0,
    seed_value: Annotated[int, typer.Option("--seed", help="Random seed.")] = 42,
    password: Annotated[
        str | None,
        typer.Option(
            help="Give every seeded agent this password, to sign in with `csm login` (demo "
            "data only: it shows in the process list)."
        ),
    ] = None,
) -> None:
    """Fill a case server database with realistic demo data (or simulate activity)."""
    from csm_tui.server.db import init_db, make_engine
    from csm_tui.server.passwords import check_new_password, set_passwords
    from csm_tui.server.seed import seed_database, touch_cases

    if password is not None:
        try:
            check_new_password(password)
        except ValueError as err:
            raise CsmError(str(err)) from None

    engine = make_engine(db)
    try:
        init_db(engine)
        if touch:
            touched = touch_cases(engine, touch, seed=seed_value)
            out.print(f"Changed {len(touched)} cases.")
        else:
            counts = seed_database(engine, cases, seed=seed_value)
            out.print("Seeded " + ", ".join(f"{n} {e}" for e, n in counts.items()) + ".")
            if password is not None:
                n = set_passwords(engine, None, password)
                out.print(f"{n} agents can sign in with `csm login` and the given password.")
    finally:
        engine.dispose()


@server_app.callback(invoke_without_command=True)
def server(
    ctx: typer.Context,
    db: Annotated[
        str, typer.Option(help="Database URL (sqlite:///file or postgresql://...).")
    ] = DEFAULT_DB,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8765,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes sharing the database.")
    ] = 1,
    escalation_interval: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Seconds between SLA escalation scans (0: off; default 60, or "
            "CSM_SERVER_ESCALATION_INTERVAL).",
        ),
    ] = None,
) -> None:
    """Run the case server."""
    if ctx.invoked_subcommand is not None:
        return
    from csm_tui.server.run import serve

    serve(db, host=host, port=port, workers=workers, escalation_interval=escalation_interval)


@server_app.command("add-agent")
def add_agent_cmd(
    handle: Annotated[str, typer.Option(help="Login handle, e.g. anna.schmidt")],
    name: Annotated[str, typer.Option(help="Display name")],
    role: Annotated[str, typer.Option(help="agent, lead or admin")] = "agent",
    team: Annotated[str, typer.Option(help="Team name")] = "",
    db: Annotated[str, typer.Option(help="Database URL.")] = DEFAULT_DB,
    password: Annotated[
        bool, typer.Option("--password", help="Ask for a password to sign in with.")
    ] = False,
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Create an agent on the server (with --password: one they sign in with)."""
    from csm_tui.cli_settings import new_password
    from csm_tui.domain.enums import AgentRole
    from csm_tui.server.auth import add_agent
    from csm_tui.server.db import init_db, make_engine
    from csm_tui.server.passwords import set_password

    if role not in {r.value for r in AgentRole}:
        raise CsmError(f"Unknown role '{role}'; use agent, lead or admin.")
    secret = new_password(password_stdin) if password or password_stdin else None
    engine = make_engine(db)
    try:
        init_db(engine)
        agent = add_agent(engine, handle, name, role=role, team=team)
        if secret is not None:
            set_password(engine, agent.handle, secret)
    except ValueError as err:
        raise CsmError(str(err)) from None
    finally:
        engine.dispose()
    out.print(f"Added {agent.handle} ({agent.role}).", markup=False)


@server_app.command("set-password")
def set_password_cmd(
    handle: Annotated[str, typer.Option(help="The agent's handle")],
    password_stdin: PasswordStdinOpt = False,
    db: Annotated[str, typer.Option(help="Database URL.")] = DEFAULT_DB,
) -> None:
    """Give an agent a new password (asked for twice) to sign in with; tokens stay valid."""
    from csm_tui.cli_settings import set_agent_password

    set_agent_password(db, handle, password_stdin)


@server_app.command("issue-token")
def issue_token_cmd(
    handle: Annotated[str, typer.Option(help="The agent's handle")],
    label: Annotated[str, typer.Option(help="Where the token will be used")] = "",
    db: Annotated[str, typer.Option(help="Database URL.")] = DEFAULT_DB,
) -> None:
    """Make a new token for an agent and print it once (only its hash is stored)."""
    from csm_tui.server.auth import issue_token
    from csm_tui.server.db import init_db, make_engine

    engine = make_engine(db)
    try:
        init_db(engine)
        token = issue_token(engine, handle, label=label)
    except (LookupError, ValueError) as err:
        raise CsmError(str(err).strip("'\"")) from None
    finally:
        engine.dispose()
    # The token alone on stdout, so that scripts can capture it.
    print(token)


@config_app.command("path")
def config_path() -> None:
    """Print where the config file, local store and log live."""
    locs = locations()
    out.print(
        f"config: {locs.config_file}\ndata:   {locs.data_dir}\ncache:  {locs.cache_dir}\n"
        f"log:    {locs.log_file}",
        markup=False,
    )


@config_app.command("show")
def config_show(profile: ProfileOpt = "default") -> None:
    """Print the settings in force (file, profile, CSM_* overrides), each with its source."""
    from csm_tui.cli_settings import config_show as show

    show(profile)


@config_app.command("get")
def config_get(
    key: Annotated[str, typer.Argument(help="A setting, or keymap.<id>, views.<id>.search")],
    profile: ProfileOpt = "default",
) -> None:
    """Print one setting as it is in force."""
    from csm_tui.cli_settings import config_get as get

    get(key, profile)


@config_app.command("set")
def config_set(
    key: Annotated[
        str, typer.Argument(help="A setting (csm config show lists them), or keymap.<id>")
    ],
    value: Annotated[str, typer.Argument(help="The new value, checked before it is written.")],
    profile: ProfileOpt = "default",
) -> None:
    """Change one setting in the config file (comments and layout are kept)."""
    from csm_tui.cli_settings import config_set as set_value

    set_value(key, value, profile)


@config_app.command("unset")
def config_unset(
    key: Annotated[str, typer.Argument(help="A setting, or keymap.<id>, views.<id>")],
    profile: ProfileOpt = "default",
) -> None:
    """Remove one setting from the config file (its default applies again)."""
    from csm_tui.cli_settings import config_set as set_value

    set_value(key, None, profile)


@config_app.command("edit")
def config_edit(profile: ProfileOpt = "default") -> None:
    """Open the config file in $VISUAL or $EDITOR, then check it."""
    from csm_tui.cli_settings import config_edit as edit

    edit(profile)


@app.command()
def keys(profile: ProfileOpt = "default") -> None:
    """Print every key binding in force: where it acts, its id (for the keymap), its keys."""
    from csm_tui.cli_settings import show_keys

    show_keys(profile)


@app.command()
def doctor(profile: ProfileOpt = "default") -> None:
    """Check the config, keyring, server, TLS, local store and outbox (exit 1 on a failure)."""
    from csm_tui.cli_settings import doctor as run_doctor

    if not run_doctor(profile):
        raise typer.Exit(1)
