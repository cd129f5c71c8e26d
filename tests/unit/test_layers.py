"""The layers point one way: the domain imports nothing from the packages built on top of it,
so its rules can be read, tested and reused without the network, the database or the web. And
tests stand alone: shared helpers live in helper modules, never in a test module or a conftest.
"""

import ast
from pathlib import Path

import pickpost.domain

DOMAIN = Path(pickpost.domain.__file__).parent
PACKAGE = "pickpost.domain"
ROOT = Path(__file__).resolve().parents[2]
ABOVE_THE_DOMAIN = ("buyers", "infra", "api", "services", "bench", "simbuyers")


def imported_modules(source: str, package: str = PACKAGE) -> set[str]:
    """Every module ``source`` (a module of ``package``) may import, made absolute, whether the
    import is at the top or inside a function; ``from X import y`` counts ``X`` and ``X.y``, as
    ``y`` may be a module."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            found |= {module} | {f"{module}.{alias.name}" for alias in node.names}
    return found


def upward(module: str) -> bool:
    return any(
        module == f"pickpost.{layer}" or module.startswith(f"pickpost.{layer}.")
        for layer in ABOVE_THE_DOMAIN
    )


def test_the_domain_imports_nothing_above_it() -> None:
    modules = sorted(DOMAIN.glob("*.py"))
    assert len(modules) > 10  # the walk found the domain
    wrong = sorted(
        f"{path.name} imports {module}"
        for path in modules
        for module in imported_modules(path.read_text(encoding="utf-8"))
        if upward(module)
    )
    assert not wrong


def test_the_walk_sees_every_form_of_import() -> None:
    source = (
        "import pickpost.infra.sql\n"
        "from pickpost.domain import money\n"
        "from pickpost import api\n"
        "def late():\n    from pickpost.buyers.wire import OutboundRequest\n"
        "from .. import services\n"
        "from . import fields\n"
        "from ..simbuyers.script import Script\n"
    )
    assert {m for m in imported_modules(source) if upward(m)} == {
        "pickpost.infra.sql",
        "pickpost.api",
        "pickpost.buyers.wire",
        "pickpost.buyers.wire.OutboundRequest",
        "pickpost.services",
        "pickpost.simbuyers.script",
        "pickpost.simbuyers.script.Script",
    }


def imported_test_modules(source: str, package: str) -> set[str]:
    """The test modules and conftests of this repository that ``source``, a module of
    ``package``, imports."""
    return {
        module
        for module in imported_modules(source, package)
        if (path := ROOT.joinpath(*module.split(".")).with_suffix(".py")).is_file()
        and (path.name.startswith("test_") or path.name == "conftest.py")
    }


def test_no_test_file_imports_a_test_module_or_a_conftest() -> None:
    files = sorted((ROOT / "tests").rglob("*.py"))
    assert len(files) > 50  # the walk found the tests
    wrong = sorted(
        f"{path.relative_to(ROOT)} imports {module}"
        for path in files
        for module in imported_test_modules(
            path.read_text(encoding="utf-8"),
            ".".join(path.relative_to(ROOT).parent.parts),
        )
    )
    assert not wrong


def test_the_test_walk_tells_helpers_from_test_modules() -> None:
    source = (
        "from tests.unit.world import World\n"
        "from tests.unit.test_gate import direct\n"
        "from tests.integration.conftest import KEY\n"
        "from tests.unit import test_layers, fakes\n"
        "from .test_money import CENTS\n"
    )
    assert imported_test_modules(source, "tests.unit") == {
        "tests.unit.test_gate",
        "tests.integration.conftest",
        "tests.unit.test_layers",
        "tests.unit.test_money",
    }
