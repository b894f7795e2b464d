"""The stubs: mypy accepts a typed usage example and rejects misuse; they cover every public
class, attribute and method, and every public item has a docstring."""

import ast
import inspect
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, Set

import mino

HERE = Path(__file__).resolve().parent
STUB = Path(mino.__file__).with_name("__init__.pyi")


def _mypy(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--show-error-codes", str(path)],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_mypy_accepts_the_usage_example() -> None:
    result = _mypy(HERE / "typing_usage.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_rejects_misuse() -> None:
    source = (HERE / "typing_misuse.py").read_text(encoding="utf-8").splitlines()
    expected = {i + 1 for i, line in enumerate(source) if "# E:" in line}
    result = _mypy(HERE / "typing_misuse.py")
    assert result.returncode == 1, result.stdout
    reported = {int(m) for m in re.findall(r"typing_misuse\.py:(\d+): error", result.stdout)}
    assert expected <= reported, result.stdout


def _stub_classes() -> Dict[str, Set[str]]:
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    classes: Dict[str, Set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            members = set()
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    members.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    members.add(item.target.id)
            classes[node.name] = members
    return classes


def _public(names: Set[str]) -> Set[str]:
    return {n for n in names if not n.startswith("_") or n in ("__init__", "__enter__", "__exit__", "__next__", "__iter__")}


def test_stubs_cover_the_module() -> None:
    stub = _stub_classes()
    exported = {n for n in mino.__all__ if isinstance(getattr(mino, n), type)}
    stub_names = set(stub) | {"MinoError", "NotFoundError", "ValidationError", "ConflictError",
                              "BrowserError", "AgentError", "StorageError"}
    assert exported <= stub_names, exported - stub_names
    for name, members in stub.items():
        runtime = getattr(mino, name)
        assert _public(set(dir(runtime))) - {"__init__"} <= members | {"__init__"}, (
            name,
            _public(set(dir(runtime))) - members,
        )
        missing = {m for m in members if not hasattr(runtime, m)}
        assert not missing, (name, missing)


def test_every_public_item_has_a_docstring() -> None:
    assert mino.__doc__
    for name in mino.__all__:
        item = getattr(mino, name)
        if not isinstance(item, type):
            continue
        assert item.__doc__, name
        for member_name, member in vars(item).items():
            if member_name.startswith("_"):
                continue
            doc = inspect.getdoc(member)
            assert doc, f"{name}.{member_name}"
