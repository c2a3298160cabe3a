"""The one way digest reads YAML: ``digest.yaml``, front matter and the taxonomy's data files.

Safe whatever the text: libyaml when PyYAML has it, every exception PyYAML can raise (not only
``YAMLError``: ``!!int 0b102`` is a ValueError) turned into a ``YamlProblem`` with its line, a
date that is no date (``2025-02-30``) kept as text for the caller to judge, aliases bounded (a
"billion laughs" document is refused before anything expands it) and control characters taken
out of every string (they would break the feeds), with the lines they were on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml
from yaml.constructor import ConstructorError

from digest.characters import strip_forbidden

# Values a document may hold once its aliases are expanded. digest.yaml with a large taxonomy
# holds a few thousand; a "billion laughs" document holds billions.
MAX_VALUES = 100_000

ALIAS_HINT = "write the values out instead of repeating aliases"
KeyPath = tuple[Any, ...]

if TYPE_CHECKING:  # a class mypy can subclass: the C loader has the same interface
    _BASE_LOADER = yaml.SafeLoader
else:
    _BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: parsing is part of every start-up


class YamlProblem(Exception):
    """The text is not YAML digest can use. ``line`` is 1-based, in the text given (plus its offset)."""

    def __init__(self, message: str, line: int | None, hint: str = "check quoting and indentation near that line", context_line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.hint = hint
        self.context_line = context_line  # where the construct the problem is in began (an unclosed "[")


@dataclass(frozen=True)
class YamlDocument:
    data: Any
    lines: Mapping[KeyPath, int] = field(default_factory=dict)  # key path -> 1-based line
    removed: tuple[tuple[int, tuple[str, ...]], ...] = ()  # (line, code points) taken out of strings

    def line(self, keys: KeyPath) -> int | None:
        """The line of ``keys``, or of the nearest enclosing key that has one."""
        while keys and keys not in self.lines:
            keys = keys[:-1]
        return self.lines.get(keys)


class _Loader(_BASE_LOADER):
    def __init__(self, stream: str):
        super().__init__(stream)
        self.removed: list[tuple[int, tuple[str, ...]]] = []

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except (yaml.YAMLError, RecursionError, MemoryError):
            raise
        except Exception as exc:  # a value its tag cannot hold: !!int 0b102, !!float x, !!binary é
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            value = node.value if isinstance(node.value, str) else "this value"
            raise ConstructorError(None, None, f"{value!r} is not a valid {tag} ({exc})", node.start_mark) from exc

    def construct_yaml_timestamp(self, node):
        """A date that does not exist (2025-13-45, 0000-01-01) stays text: the reader says what is wrong."""
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)

    def construct_yaml_str(self, node):
        value, removed = strip_forbidden(super().construct_yaml_str(node))
        if removed:
            self.removed.append((node.start_mark.line + 1, tuple(removed)))
        return value


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:str", _Loader.construct_yaml_str)


def load_yaml(text: str, *, line_offset: int = 0, max_values: int = MAX_VALUES) -> YamlDocument:
    """Parse one YAML document. Raises ``YamlProblem`` for anything wrong. Every line reported is
    1-based plus ``line_offset``: the line, in its file, just before the text given."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None)
        if "*" in text and "&" in text:  # an alias needs both an anchor (&a) and a reference (*a)
            _check_expansion(node, max_values)
        data = loader.construct_document(node)
        lines = {keys: line + line_offset for keys, line in _line_index(node).items()}
        return YamlDocument(data, lines, tuple((line + line_offset, removed) for line, removed in loader.removed))
    except YamlProblem as problem:
        problem.line = problem.line + line_offset if problem.line else None
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        message = f"{reason} ({context})" if context else reason
        began = getattr(exc, "context_mark", None)
        raise YamlProblem(message, mark.line + 1 + line_offset if mark else None, context_line=began.line + 1 + line_offset if began else None) from exc
    except RecursionError as exc:
        raise YamlProblem("values nested too deeply", None) from exc
    finally:
        loader.dispose()


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_expansion(root: yaml.Node, limit: int) -> None:
    """Refuse a document whose aliases expand it to more than ``limit`` values, or that contains itself.

    An alias is the same node object again, so the expanded size is counted once per node
    (memoised): linear in the text, however large the expansion would be."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            # More values than distinct nodes seen so far: aliases repeat them. A document that is merely
            # large (no aliases) is bounded by its file's size instead.
            if sizes[key] > limit and sizes[key] > len(sizes):
                raise YamlProblem(f"its aliases (*name) expand to more than {limit:,} values: refused", node.start_mark.line + 1, ALIAS_HINT)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise YamlProblem("an alias (*name) refers to a value that contains it: refused", node.start_mark.line + 1, ALIAS_HINT)
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


def _line_index(root: yaml.Node) -> dict[KeyPath, int]:
    """Each key path of the document (mapping keys and list positions) -> its 1-based line."""
    index: dict[KeyPath, int] = {}
    stack: list[tuple[yaml.Node, KeyPath]] = [(root, ())]
    while stack:
        node, prefix = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    keys = (*prefix, key_node.value)
                    index.setdefault(keys, key_node.start_mark.line + 1)
                    stack.append((value_node, keys))
        elif isinstance(node, yaml.SequenceNode):
            for position, item in enumerate(node.value):
                keys = (*prefix, position)
                index[keys] = item.start_mark.line + 1
                stack.append((item, keys))
    return index
