"""Render stage: pages -> bytes, in memory. Jinja2 with StrictUndefined and autoescaping.

The site's own ``templates/`` folder overrides the default theme file by file; so do its
``templates/static/`` assets, which are published with a content hash in their names.
"""

from __future__ import annotations

import hashlib
import posixpath
import traceback
from pathlib import Path
from typing import Any, Mapping

import jinja2

from .config import Config
from .errors import TemplateError
from .feeds import feed_files
from .models import ArticleDate
from .site import Page, SiteGraph
from .theme import default_theme_dir

STATIC_DIR = "static"


def theme_dirs(config: Config) -> list[Path]:
    """The template search path: the site's folder first, then the default theme."""
    dirs = []
    if config.templates_dir.is_dir():
        dirs.append(config.templates_dir)
    default = default_theme_dir()
    if not dirs or dirs[0].resolve() != default.resolve():
        dirs.append(default)
    return dirs


def collect_assets(dirs: list[Path]) -> dict[str, tuple[str, bytes]]:
    """name -> (hashed output path, bytes); a file in an earlier folder wins."""
    assets: dict[str, tuple[str, bytes]] = {}
    for base in reversed(dirs):
        static = base / STATIC_DIR
        if not static.is_dir():
            continue
        for path in sorted(static.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                name = path.relative_to(static).as_posix()
                data = path.read_bytes()
                stem, dot, ext = name.rpartition(".")
                digest = hashlib.sha256(data).hexdigest()[:10]
                hashed = f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}"
                assets[name] = (f"{STATIC_DIR}/{hashed}", data)
    return assets


def make_environment(dirs: list[Path]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in dirs]),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["datefmt"] = _format_date
    return env


def relative_url(from_page: str, target: str) -> str:
    """A link from one output file to another (or to a folder, ending in '/')."""
    start = posixpath.dirname(from_page) or "."
    rel = posixpath.relpath(target, start)
    return rel + "/" if target.endswith("/") and not rel.endswith("/") else rel


def render_site(graph: SiteGraph, config: Config) -> dict[str, bytes]:
    dirs = theme_dirs(config)
    env = make_environment(dirs)
    assets = collect_assets(dirs)
    files: dict[str, bytes] = {hashed: data for hashed, data in assets.values()}
    site = {"config": config.site, "digest": graph.digest}
    for page in graph.pages:
        files[page.path] = render_page(env, page, site, assets).encode("utf-8")
    files[".nojekyll"] = b""  # GitHub Pages: serve the files as they are, no Jekyll
    if config.site.cname:
        files["CNAME"] = (config.site.cname.strip() + "\n").encode("ascii")
    files.update(feed_files(graph, config))
    return files


def render_page(env: jinja2.Environment, page: Page, site: Mapping[str, Any], assets: Mapping[str, tuple[str, bytes]]) -> str:
    def url(target: str) -> str:
        return relative_url(page.path, target)

    def asset(name: str) -> str:
        if name not in assets:
            raise TemplateError(f"no static asset named '{name}'", hint=f"put it in templates/{STATIC_DIR}/")
        return relative_url(page.path, assets[name][0])

    try:
        template = env.get_template(page.template)
        return template.render(page=page, site=site, url=url, asset=asset, **page.context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template syntax error: {exc.message}", exc.filename or exc.name, exc.lineno, hint="fix the template; the previous output was left as it was") from exc
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template not found: {exc.name}", page.template, hint="add it to templates/ or restore the default theme") from exc
    except TemplateError:
        raise
    except Exception as exc:  # an error inside a template: find the template frame for path:line
        filename, line = _template_location(exc)
        raise TemplateError(f"while rendering {page.path}: {type(exc).__name__}: {exc}", filename or page.template, line) from exc


def _template_location(exc: BaseException) -> tuple[str | None, int | None]:
    found = (None, None)
    for frame, line in traceback.walk_tb(exc.__traceback__):
        name = frame.f_code.co_filename
        if name.endswith((".html", ".xml", ".txt", ".json")) and not name.endswith(".py"):
            found = (name, line)
    return found


def _format_date(value, fmt: str = "%-d %B %Y") -> str:
    """Format an ArticleDate, date or datetime; empty for None."""
    if value is None:
        return ""
    if isinstance(value, ArticleDate):
        value = value.day
    return value.strftime(fmt)
