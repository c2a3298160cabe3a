"""The settings reference: every ``digest.yaml`` key with its type, default, meaning and an example.

Derived, never written by hand, so it cannot drift from the loader: each key is documented where it
is defined. The dataclasses of ``config.py`` (and the taxonomy's ``Weights``) carry
``metadata=documented(...)`` (``{"doc": ..., "example": ...}``) on each field; the keys inside ``taxonomy:`` and ``sections:``
are the loader's own tables (``TAXONOMY_SETTINGS``, ``REGION_SETTINGS``, ...), which it checks keys
against. ``docs/hooks.py`` puts ``reference_markdown()`` into the documentation site.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import MISSING, dataclass, fields, is_dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from digest.settings.config import Config
from digest.taxonomy.keys import ENTITY_SETTINGS, REGION_SETTINGS, SECTION_SETTINGS, TAXONOMY_SETTINGS, THEME_SETTINGS
from digest.taxonomy.model import Weights

# What the user writes, for each annotation a settings field has.
TYPE_NAMES = MappingProxyType({
    "str": "text",
    "str | None": "text",
    "int": "whole number ≥ 0",
    "float": "number",
    "bool": "true or false",
    "Path": "folder path",
    "tuple[str, ...]": "list of text",
    "tuple[tuple[str, ...], ...]": "list of lists of text",
    "Mapping[str, tuple[str, ...]]": "mapping: name → list of text",
    "SiteConfig": "mapping",
    "CaptureConfig": "mapping",
    "MergeConfig": "mapping",
    "ThreadsConfig": "mapping",
    "Taxonomy": "mapping",
    "tuple[Section, ...]": "list of sections",
    "tuple[Redirect, ...]": "mapping: old slug → slug now",
})

# Keys whose value holds keys that are not a dataclass's fields, and where the loader finds them. A
# level "<name>" is a mapping of names the editor chooses (one region, theme, entity); "[]" a list.
NESTED_TABLES = MappingProxyType({
    "taxonomy": ("", TAXONOMY_SETTINGS),
    "taxonomy.regions": ("<name>", REGION_SETTINGS),
    "taxonomy.themes": ("<key>", THEME_SETTINGS),
    "taxonomy.entities": ("<name>", ENTITY_SETTINGS),
    "sections": ("[]", SECTION_SETTINGS),
})
NESTED_DATACLASSES = MappingProxyType({"taxonomy.weights": Weights})



class UndocumentedSetting(Exception):
    """A ``digest.yaml`` key without its documentation: the reference refuses to leave it out."""


@dataclass(frozen=True)
class Setting:
    key: str  # as the reference names it: "capture.bylines", "taxonomy.regions.<name>.un", "sections[].theme"
    path: tuple[str | int, ...]  # where its example sits in digest.yaml: ("taxonomy", "regions", "South Asia", "un")
    type: str
    doc: str
    example: Any
    default: Any = MISSING  # MISSING: no default (a key with keys of its own, or an entry the editor names)
    has_children: bool = False


@dataclass(frozen=True)
class _Entry:
    """One key before it becomes a Setting: from a dataclass field or from a loader's table."""

    name: str
    doc: str | None
    type: str | None  # None: named after its example
    example: Any  # MISSING: made of its children's examples
    default: Any
    child_source: Any  # a dataclass, a key of NESTED_TABLES, or None


def settings_reference() -> tuple[Setting, ...]:
    """Every key of ``digest.yaml``, each parent before its children, in the order of the definitions."""
    return tuple(_rows(_dataclass_entries(Config, ()), (), ()))


def _rows(entries: Iterable[_Entry], key: tuple[str, ...], path: tuple[str | int, ...]) -> list[Setting]:
    rows: list[Setting] = []
    for entry in entries:
        own_key, own_path = (*key, entry.name), (*path, entry.name)
        dotted = ".".join(own_key)
        if not entry.doc:
            raise UndocumentedSetting(f"{dotted}: a digest.yaml key without documentation; add its "
                                      'metadata=documented("...") where it is defined')
        example, children = entry.example, []
        if isinstance(entry.child_source, str):
            level, table = NESTED_TABLES[entry.child_source]
            item_key, item_path = own_key, own_path
            if level == "[]":
                item_key, item_path = (*key, entry.name + "[]"), (*own_path, 0)
            elif level:
                item_key, item_path = (*own_key, level), (*own_path, _first_mapping_key(example, dotted))
            children = _rows(_table_entries(table, item_key), item_key, item_path)
        elif entry.child_source is not None:
            children = _rows(_dataclass_entries(entry.child_source, own_key), own_key, own_path)
        if example is MISSING and children:
            example = {row.path[-1]: row.example for row in children if len(row.path) == len(own_path) + 1}
        if example is MISSING:
            raise UndocumentedSetting(f"{dotted}: needs an example of its value")
        default = MISSING if children else entry.default
        rows.append(Setting(dotted, own_path, entry.type or _type_of(example), entry.doc, example, default, bool(children)))
        rows += children
    return rows


def _dataclass_entries(cls: type, key: tuple[str, ...]) -> list[_Entry]:
    entries = []
    for f in fields(cls):
        if f.metadata.get("setting", True) is False:
            continue
        type_name = TYPE_NAMES.get(str(f.type))
        if type_name is None:
            raise UndocumentedSetting(f"{cls.__name__}.{f.name}: no type name for {f.type!r} in TYPE_NAMES")
        child_source = _child_source((*key, f.name), f.default)
        default = f.default
        if default is MISSING and f.default_factory is not MISSING and child_source is None:
            default = f.default_factory()
        example = f.metadata.get("example", MISSING if child_source else default)
        entries.append(_Entry(f.name, f.metadata.get("doc"), type_name, example, default, child_source))
    return entries


def _table_entries(table: Mapping[str, tuple[Any, ...]], key: tuple[str, ...]) -> list[_Entry]:
    return [_Entry(name, doc, None, example, default[0] if default else MISSING, _child_source((*key, name), None))
            for name, (doc, example, *default) in table.items()]


def _child_source(key: tuple[str, ...], default: Any) -> Any:
    dotted = ".".join(key)
    if is_dataclass(default) and not isinstance(default, type):
        return type(default)
    if dotted in NESTED_DATACLASSES:
        return NESTED_DATACLASSES[dotted]
    return dotted if dotted in NESTED_TABLES else None


def _first_mapping_key(example: Any, dotted: str) -> str:
    """The entry of an example that shows its keys: the first one written as a mapping."""
    for name, value in (example.items() if isinstance(example, Mapping) else ()):
        if isinstance(value, Mapping):
            return str(name)
    raise UndocumentedSetting(f"{dotted}: its example needs an entry written as a mapping of its keys")


def _type_of(example: Any) -> str:
    if isinstance(example, bool):
        return "true or false"
    if isinstance(example, (int, float)):
        return "number"
    if isinstance(example, str):
        return "text"
    if isinstance(example, Mapping):
        return "mapping"
    return "list of text"


# ---------------------------------------------------------------- the page


def plain(value: Any) -> Any:
    """A value as YAML writes it: tuples as lists, paths as text, mappings as dicts."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def nested(path: tuple[str | int, ...], value: Any) -> Any:
    """``value`` placed at ``path`` in an otherwise empty digest.yaml document."""
    for step in reversed(path):
        value = [value] if isinstance(step, int) else {step: value}
    return value


def full_example(settings: Iterable[Setting]) -> dict[str, Any]:
    """A digest.yaml that sets every key: each top-level key's example."""
    return {row.key: plain(row.example) for row in settings if len(row.path) == 1}


class _ExampleDumper(yaml.SafeDumper):
    """Mappings as blocks, lists of plain values on one line: how people write digest.yaml."""


def _list_on_one_line_when_plain(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.SequenceNode:
    flow = all(not isinstance(item, (list, dict)) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_ExampleDumper.add_representer(list, _list_on_one_line_when_plain)


def yaml_text(document: Any) -> str:
    return yaml.dump(plain(document), Dumper=_ExampleDumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=4096)


def _inline(value: Any, type_name: str) -> str:
    if value is None:
        return "none"
    if type_name.startswith("mapping") and not value:
        return "{}"
    text = yaml.safe_dump(plain(value), allow_unicode=True, default_flow_style=True, width=10**6)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def reference_markdown() -> str:
    """The reference as Markdown: a heading per top-level key, then each key with its facts and example."""
    settings = settings_reference()
    out: list[str] = []
    for row in settings:
        heading = "##" if len(row.path) == 1 else "###"
        out += [f"{heading} `{row.key}`", "", _sentence(row.doc), ""]
        facts = [f"**Type:** {row.type}"]
        if row.default is not MISSING:
            facts.append(f"**Default:** `{_inline(row.default, row.type)}`")
        out += [" · ".join(facts), ""]
        out += ["```yaml", yaml_text(nested(row.path, row.example)).rstrip("\n"), "```", ""]
    out += ["## Every key at once", "",
            "A `digest.yaml` made of the examples above; it loads without a warning (a test checks).", "",
            "```yaml", yaml_text(full_example(settings)).rstrip("\n"), "```", ""]
    return "\n".join(out)


def _sentence(doc: str) -> str:
    text = doc[0].upper() + doc[1:]
    return text if text.endswith((".", ")")) else text + "."
