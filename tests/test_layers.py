"""The layers of the product, walked from the imports (every ``import`` statement, those
inside functions too): no circle anywhere, no arrow up between packages or layers, and
the heavy stacks only where they belong.

Packages, bottom to top (a package may import only packages below it)::

    lab           errors, categories, designs, manifest, trial records (base)
    stimuli       manipulations, masks, stimulus sets            (numpy, scipy, Pillow)
    experiment    the booth                                      (PsychoPy in window/ only)
    models        networks                                       (torch)
    results       analysis, figures, report                      (pandas, matplotlib)

``experiment`` and ``models`` sit side by side: neither imports the other. Inside
``experiment`` the layers are ``plan`` < ``files`` < ``run`` < ``window`` < the command
line (modules at the package's top).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = {"lab": 0, "stimuli": 1, "experiment": 2, "models": 2, "results": 3}
#: Layers inside a package: sub-package -> rank (modules at the package's top rank last).
SUBLAYERS = {
    "experiment": {"plan": 0, "files": 1, "run": 2, "window": 3},
}
TOP = 99
#: Third-party stacks and the only places that may import them.
CONFINED = {
    "psychopy": ("experiment.window",),
    "pyglet": ("experiment.window",),
    "torch": ("models",),
    "torchvision": ("models",),
    "matplotlib": ("results", "experiment.window", "models"),
}


def _modules() -> dict[str, Path]:
    mods = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            mods[name] = path
    return mods


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module of the project and every third-party top name ``name`` imports."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            targets = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in MODULES else stem
                       for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES and target.split(".")[0] in PACKAGES:
                target = target.rpartition(".")[0]
            if target:
                found.add(target)
    found.discard(name)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _rank(module: str) -> tuple[int, int]:
    parts = module.split(".")
    sub = SUBLAYERS.get(parts[0])
    inner = TOP if sub is None or len(parts) < 2 else sub.get(parts[1], TOP)
    return PACKAGES[parts[0]], inner


def _is_package_init(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def test_the_walk_sees_the_whole_product():
    assert len(MODULES) > 100
    assert "lab.errors" in MODULES and "lab.errors" in GRAPH["lab.manifest"]


def test_no_import_goes_up_or_sideways_between_packages():
    wrong = []
    for module, targets in GRAPH.items():
        top = module.split(".")[0]
        for target in targets:
            other = target.split(".")[0]
            if other in PACKAGES and other != top and PACKAGES[other] >= PACKAGES[top]:
                wrong.append(f"{module} -> {target}")
    assert not wrong, "imports up or sideways:\n" + "\n".join(sorted(wrong))


def test_no_import_goes_up_between_layers_of_a_package():
    wrong = []
    for module, targets in GRAPH.items():
        top = module.split(".")[0]
        if top not in SUBLAYERS:
            continue
        for target in targets:
            if target.split(".")[0] != top or _is_package_init(target) and target == top:
                continue
            if _rank(target)[1] > _rank(module)[1]:
                wrong.append(f"{module} -> {target}")
    assert not wrong, "imports up a layer:\n" + "\n".join(sorted(wrong))


def test_no_circle_anywhere():
    internal = {m: {t for t in ts if t in MODULES and not (_is_package_init(t)
                                                          and m.startswith(t + "."))}
                for m, ts in GRAPH.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in internal[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(internal):
        if v not in index:
            visit(v)
    assert not circles, "circles:\n" + "\n".join(" <-> ".join(c) for c in circles)


@pytest.mark.parametrize("stack", sorted(CONFINED))
def test_heavy_stacks_stay_where_they_belong(stack):
    allowed = CONFINED[stack]
    wrong = [m for m, targets in GRAPH.items()
             if any(t == stack or t.startswith(stack + ".") for t in targets)
             and not any(m == a or m.startswith(a + ".") for a in allowed)]
    assert not wrong, f"{stack} imported outside {allowed}: {sorted(wrong)}"


def test_an_upward_import_would_be_seen(tmp_path):
    """The walk itself: a made-up module importing upwards is found."""
    fake = tmp_path / "lab_fake.py"
    fake.write_text("from results.tables import summary_table\n", encoding="utf-8")
    MODULES["lab.fake"] = fake
    try:
        assert "results.tables" in _imports("lab.fake", fake)
    finally:
        del MODULES["lab.fake"]
