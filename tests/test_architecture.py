"""The shape of the package: what the layout promises a newcomer, checked on every run."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "digest"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path, known: set[str]) -> set[str]:
    """digest modules this one imports when it runs: at the top or inside a function, not for type checking."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING":
            node.body = []
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "digest":
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                found.add(name if name in known else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "digest")
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    known = set(modules)
    graph = {}
    for name, path in modules.items():
        # A package's __init__ runs before its modules: importing a parent package is not an edge back.
        graph[name] = {t for t in _runtime_imports(path, known) if t in known and t != name and not name.startswith(t + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle():
    graph = import_graph()
    assert "digest.pipeline.build" in graph and graph["digest.cli"], "the import graph was read"
    assert cycles(graph) == []


MODULE_LINES_MAX = 400
# Modules still over the limit while another change splits them: each must still be over it, so the
# allowance goes as soon as the split lands (remove the entry then).
STILL_TOO_LONG = {
    "read/captured.py",  # split by the input change (issue 12)
    "settings/config.py",  # split by the input change (issue 12)
}


def module_lengths() -> dict[str, int]:
    return {path.relative_to(PACKAGE).as_posix(): len(path.read_text(encoding="utf-8").splitlines()) for path in PACKAGE.rglob("*.py")}


def test_no_module_is_over_400_lines():
    lengths = module_lengths()
    assert "pipeline/build.py" in lengths and lengths["pipeline/build.py"] > 10, "the modules were read"
    too_long = {name: n for name, n in lengths.items() if n > MODULE_LINES_MAX and name not in STILL_TOO_LONG}
    assert too_long == {}, f"split these by what they mix: {too_long}"


def test_every_module_allowed_to_be_long_still_needs_it():
    lengths = module_lengths()
    assert {name for name in STILL_TOO_LONG if lengths.get(name, 0) <= MODULE_LINES_MAX} == set(), \
        "these are short now (or gone): take them out of STILL_TOO_LONG"


# The stage modules: everything but the preview, whose server and watcher are long-lived objects by nature.
NOT_STAGES = ("preview/",)
CONSTANT_NAME = re.compile(r"_?[A-Z][A-Z0-9_]*")
# Calls that make an immutable value: a constant may be bound to one.
IMMUTABLE_CALLS = {"frozenset", "tuple", "bytes", "str", "int", "float", "re.compile", "MappingProxyType", "Path",
                   "dt.date", "dt.datetime", "dt.timedelta", "dt.timezone"}
IMMUTABLE_VALUES = (ast.Constant, ast.Tuple, ast.BinOp, ast.UnaryOp, ast.Attribute, ast.Name, ast.Subscript, ast.Lambda)
# Module-level objects that are not plain data but are never changed once made, each with why.
KNOWN_CONSTANT_OBJECTS = {
    ("publish/write.py", "KEPT"): "an empty bytes subclass instance, compared by identity",
    ("read/markdown.py", "_MARKDOWN"): "the Markdown parser, configured once and only ever asked to parse",
    ("settings/config.py", "YAML_LOADER"): "a loader class, looked up once",
}
# Modules another change is rewriting (see STILL_TOO_LONG): their sets and dicts are not frozen yet.
NOT_YET_FROZEN = {"read/captured.py"}


def _call_name(call: ast.Call) -> str:
    return ast.unparse(call.func)


def module_state(path: Path, package: Path = PACKAGE) -> list[str]:
    """What a module keeps at module level that could change between calls: ``global`` statements, and names bound to
    dict/list/set literals or to calls, unless they are constants (an UPPER_CASE name bound to a tuple, frozenset,
    string, number, compiled pattern or MappingProxyType)."""
    relative = path.relative_to(package).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [f"{relative}:{node.lineno}: global {', '.join(node.names)}" for node in ast.walk(tree) if isinstance(node, ast.Global)]
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            name = ast.unparse(target)
            constant = CONSTANT_NAME.fullmatch(name) is not None
            if (relative, name) in KNOWN_CONSTANT_OBJECTS:
                continue
            if isinstance(value, ast.Call):
                ok = constant and _call_name(value) in IMMUTABLE_CALLS
            elif isinstance(value, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)):
                ok = constant and relative in NOT_YET_FROZEN and not isinstance(value, (ast.List, ast.ListComp))
            else:
                ok = isinstance(value, IMMUTABLE_VALUES)
            if not ok:
                found.append(f"{relative}:{node.lineno}: {name} = {ast.unparse(value)[:60]}")
    return found


def test_the_state_finder_finds_state(tmp_path):
    package = tmp_path / "digest"
    package.mkdir()
    sample = package / "sample.py"
    sample.write_text("import re\nLIMIT = 5\nWORDS = frozenset({'a'})\nPATTERN = re.compile('x')\n"
                      "_CACHE = {}\nSEEN = set()\nNAMES = {'a': 1}\nlast = None\n"
                      "def f():\n    global last\n    last = 1\n", encoding="utf-8")
    found = module_state(sample, package)
    assert [line.split(": ", 1)[1] for line in found] == ["global last", "_CACHE = {}", "SEEN = set()", "NAMES = {'a': 1}"]


def test_no_stage_module_keeps_state_between_calls():
    modules = [path for path in PACKAGE.rglob("*.py") if not path.relative_to(PACKAGE).as_posix().startswith(NOT_STAGES)]
    assert len(modules) > 40, "the modules were read"
    found = [line for path in sorted(modules) for line in module_state(path)]
    assert found == [], "state kept in a module (hold it in an object the caller owns, e.g. the build session):\n" + "\n".join(found)


def test_every_known_constant_object_is_still_there():
    for (relative, name), why in KNOWN_CONSTANT_OBJECTS.items():
        tree = ast.parse((PACKAGE / relative).read_text(encoding="utf-8"))
        assigned = {ast.unparse(t) for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
                    for t in (node.targets if isinstance(node, ast.Assign) else [node.target])}
        assert name in assigned, f"{relative} no longer binds {name}: take it out of KNOWN_CONSTANT_OBJECTS ({why})"


def test_every_module_allowed_unfrozen_constants_still_has_some():
    for relative in NOT_YET_FROZEN:
        tree = ast.parse((PACKAGE / relative).read_text(encoding="utf-8"))
        literals = [node for node in tree.body if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Dict, ast.Set))]
        assert literals, f"{relative} has no set or dict constant left: take it out of NOT_YET_FROZEN"
