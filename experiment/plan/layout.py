"""The response screen's icon grid (Geirhos et al. 2018, Methods) and mouse hit-testing,
in window pixels (origin at the centre, y up)."""

from __future__ import annotations

from dataclasses import dataclass

from lab.categories import ICON_ROWS

ICON_PX = 129
ICON_GAP_PX = 10


@dataclass(frozen=True)
class IconCell:
    """One response icon: class name and its square in window pixels (centre origin)."""

    category: str
    x: float
    y: float
    size: float = ICON_PX

    def contains(self, px: float, py: float) -> bool:
        half = self.size / 2.0
        return abs(px - self.x) <= half and abs(py - self.y) <= half


def icon_layout(rows: tuple[tuple[str, ...], ...] = ICON_ROWS, size: int = ICON_PX,
                gap: int = ICON_GAP_PX) -> list[IconCell]:
    """The centred grid of Geirhos et al. 2018 (Methods): first row at the top, ``size``
    px icons ``gap`` apart."""
    step = size + gap
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    cells = []
    for r, row in enumerate(rows):
        for c, name in enumerate(row):
            cells.append(IconCell(name, (c - (n_cols - 1) / 2) * step,
                                  ((n_rows - 1) / 2 - r) * step, size))
    return cells


def hit_test(cells: list[IconCell], x: float, y: float) -> str | None:
    """The class whose icon contains window point (x, y), or None (a gap or outside)."""
    for cell in cells:
        if cell.contains(x, y):
            return cell.category
    return None
