"""The ``digest`` command. Thin: parse options, call the pipeline, print, exit."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from digest import __version__
from digest.errors import DigestError
from digest.pipeline.load import _display as display_path
from digest.settings.config import load_config

OWN_PROCESS = "own process"  # a command's context object when the command is the whole process (``main``), not a caller's call
CONFIG_HELP = "The site's settings file. Default: digest.yaml in the current folder (built-in defaults if there is none)."


def _load(config_path: str | None, output: str | None = None, base_url: str | None = None):
    config = load_config(Path(config_path) if config_path else None)
    return config.with_overrides(output_dir=Path(output) if output else None, base_url=base_url)


def _print_diagnostics(diagnostics) -> None:
    for diagnostic in diagnostics:
        click.echo(str(diagnostic), err=True)


class DigestGroup(click.Group):
    """Turns a ``DigestError`` from any command into its message and exit status, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DigestError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=DigestGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="digest", message="%(prog)s %(version)s")
def cli() -> None:
    """Turn a folder of captured news pages and Markdown notes into a static news digest website.

    Run the commands from your site's folder (the one holding digest.yaml and content/).
    """


@cli.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help=CONFIG_HELP)
@click.option("--output", "-o", type=click.Path(file_okay=False), help="Write the site here instead of output_dir from the settings (default: output/).")
@click.option("--base-url", help="The public address of the site, e.g. https://user.github.io/repo/. Overrides site.base_url in the settings.")
@click.option("--strict", is_flag=True, help="Treat warnings (skipped or doubtful documents) as errors: exit with status 1 and write nothing.")
@click.option("--clean", is_flag=True, help="Ignore the parse cache and read every document afresh.")
@click.option("--no-search", is_flag=True, help="Skip building the search index (faster; the search page will not work).")
@click.option("--verbose", "-v", is_flag=True, help="Also print how long each build stage took.")
@click.pass_context
def build(ctx, config_path, output, base_url, strict, clean, no_search, verbose) -> None:
    """Build the site into the output folder.

    Reads every document in content/, merges and classifies the stories, renders the
    pages and replaces the output folder's contents. If anything fails, the previous
    output is left untouched.
    """
    from digest.pipeline.build import build as run_build
    from digest.wording import counted

    config = _load(config_path, output, base_url)
    report = run_build(config, strict=strict, clean=clean, search=not no_search)
    _print_diagnostics(report.warnings)
    _warn_placeholder_address(config, config.site.base_url)
    digest = report.digest
    total = sum(seconds for _, seconds in report.timings.stages)
    click.echo(
        f"Built {counted(len(digest.stories), 'story', 'stories')} from {counted(len(digest.articles), 'article')}: "
        f"{counted(report.pages, 'page')} in {_display(config.output_dir)} ({report.written} written, {report.deleted} removed) "
        f"in {total:.2f} s; {counted(len(report.warnings), 'warning')}."
    )
    if report.moved:
        from digest.site.redirects import move_advice

        for old, new in report.moved:
            click.echo(move_advice(old, new), err=True)
    if verbose:
        click.echo(f"Stages: {report.timings}")
        click.echo(f"Parse cache: {report.parse_cache[0]} hits, {report.parse_cache[1]} misses.")
    if ctx.obj is OWN_PROCESS:  # done: the system takes back the session's memory at once, not object by object
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


@cli.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help=CONFIG_HELP)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="The address to listen on. Use 0.0.0.0 to let other machines on your network see the preview."
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="The port to listen on; 0 picks a free one.")
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in your web browser once the first build is done.")
@click.option("--strict", is_flag=True, help="Treat warnings as build errors: the preview shows them and keeps the last good build.")
@click.option("--base-url", help="Serve under this address's path, e.g. https://user.github.io/repo/ serves at /repo/. Overrides site.base_url.")
@click.option("--verbose", "-v", is_flag=True, help="Also print each request and how long each build stage took.")
def serve(config_path, host, port, open_browser, strict, base_url, verbose) -> None:
    """Preview the site: build it, serve it, rebuild and reload the browser on every save.

    Watches content/, templates/ (with static/) and digest.yaml. The site is served from
    memory, under the base URL's path as GitHub Pages would serve it; output/ is not
    touched. A failed rebuild keeps the last good site and shows the error on every page
    until the next good save. Stop with Ctrl+C.
    """
    from digest.preview.serve import run_serve

    run_serve(config_path, host, port, open_browser=open_browser, strict=strict, base_url=base_url, verbose=verbose)


@cli.command("list")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help=CONFIG_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of one line per story.")
@click.option("--articles", is_flag=True, help="List the articles the readers recovered instead of the stories.")
def list_command(config_path, as_json, articles) -> None:
    """List the stories (or, with --articles, the articles) the digest would publish."""
    from digest.pipeline.gather import gather
    from digest.site.listing import article_records, story_records

    config = _load(config_path)
    digest = gather(config)
    _print_diagnostics(digest.diagnostics)
    records = article_records(digest) if articles else story_records(digest)
    if as_json:
        click.echo(json.dumps(records, indent=2, ensure_ascii=False))
        return
    for record in records:
        if articles:
            click.echo(f"{record['date'] or '----------':10}  {record['outlet'] or '-':20}  {record['headline']}  [{record['id']}]")
        else:
            outlets = ", ".join(record["outlets"]) or "-"
            click.echo(f"{record['date'] or '----------':10}  {outlets[:40]:40}  {record['title']}")


@cli.command()
@click.argument("slug")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help=CONFIG_HELP)
def explain(slug, config_path) -> None:
    """Show why the story SLUG is filed where it is: its region, countries, theme and section,
    each with the words that decided it and where they appear, then its entities and related stories.

    SLUG is the story's slug, as `digest list --json` prints it.
    """
    from digest.classify.explain import explain_lines, similar_slugs
    from digest.pipeline.gather import gather

    config = _load(config_path)
    digest = gather(config)
    item = digest.story(slug)
    if item is None:
        close = similar_slugs(slug, [s.slug for s in digest.stories])
        hint = ("did you mean " + " or ".join(close) + "? " if close else "") + "`digest list --json` shows every story's slug"
        raise DigestError(f"no story has the slug {slug!r}", hint=hint)
    click.echo("\n".join(explain_lines(item, config.taxonomy, config.sections)))


@cli.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help=CONFIG_HELP)
@click.option("--base-url", help="The public address of the site. Overrides site.base_url in the settings.")
@click.option("--remote", default="origin", show_default=True, help="The git remote to push the branch to.")
@click.option("--branch", default="gh-pages", show_default=True, help="The branch that receives the site; its previous content is replaced.")
@click.option("--message", "-m", help="The commit message (the source commit is always named below it).")
@click.option("--no-push", is_flag=True, help="Commit to the local branch only; push later with git push.")
def deploy(config_path, base_url, remote, branch, message, no_push) -> None:
    """Build the site and publish it on a branch for GitHub Pages (gh-pages).

    The output folder becomes the whole content of the branch, committed without
    touching your working tree or index, then pushed.
    """
    from digest.publish.deploy import deploy as run_deploy

    config = _load(config_path, None, base_url)
    result = run_deploy(config, remote=remote, branch=branch, message=message, push=not no_push, warn=lambda text: click.echo(f"Warning: {text}", err=True))
    _print_diagnostics(result.build.warnings)
    where = f"and pushed it to {result.pushed_to}" if result.pushed_to else f"(not pushed: git push {remote} {branch})"
    click.echo(f"Committed {_display(config.output_dir)} to {branch} as {result.commit[:7]} {where}: {result.message.splitlines()[0]}")


@cli.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help=CONFIG_HELP)
@click.option("--output", "-o", type=click.Path(file_okay=False), help="Check the site in this folder instead of output_dir from the settings.")
@click.option("--base-url", help="The address the site was built for. Default: the one its front page names (what digest build was given).")
@click.pass_context
def check(ctx, config_path, output, base_url) -> None:
    """Check the built site: links, assets, #fragments, titles, feeds and sitemap.

    Prints one line per problem (page:line: link: what is wrong) and exits with status 1 if there is any.
    """
    from digest.publish.check import built_base_url, check_site

    config = _load(config_path, output, base_url)
    if not (config.output_dir / "index.html").is_file():
        raise DigestError("no built site here (index.html is missing)", _display(config.output_dir), hint="run digest build first, or pass --output DIR")
    under = config.site.base_url
    built_for = built_base_url(config.output_dir)
    if built_for and built_for != under:
        if base_url is None:  # built with --base-url: check it as it was built
            under = built_for
            click.echo(f"note: checking under {built_for}, the address the site was built for (its front page says so)", err=True)
        else:
            click.echo(
                f"warning: the site was built for {built_for}, not {under}: its links will look broken here "
                f"(pass --base-url {built_for}, or build again with --base-url {under})",
                err=True,
            )
    _warn_placeholder_address(config, under)
    report = check_site(config.output_dir, under)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for problem in report.problems:
        click.echo(str(problem))
    counts = f"{report.pages} pages, {report.links} links, {report.feeds} feeds"
    if report.problems:
        click.echo(f"{len(report.problems)} problem{'s' if len(report.problems) != 1 else ''} in {counts}.", err=True)
        ctx.exit(1)
    click.echo(f"Checked {counts} under {under}: no problems.")


def _warn_placeholder_address(config, base_url: str) -> None:
    from digest.settings.address import placeholder_address_warning

    settings = config.source_file
    warning = placeholder_address_warning(base_url, config.base_url_line, display_path(settings) if settings else "digest.yaml")
    if warning:
        click.echo(warning, err=True)


def _display(folder: Path) -> str:
    """A folder as the user would type it (see load.display_path), with a final slash."""
    return display_path(folder).rstrip("/") + "/"


def main() -> None:
    cli(prog_name="digest", obj=OWN_PROCESS)


if __name__ == "__main__":  # pragma: no cover
    main()
