"""What a Word document is read into: lines of cells in reading order (docxread, htmlchunk)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    """One physical cell (or a paragraph): its text and the grid columns it covers."""

    text: str
    col: int = 0
    span: int = 1
    merged_up: bool = False  # a vertical-merge continuation: shows the cell above


@dataclass(frozen=True)
class Line:
    """A paragraph (`table` is -1) or a table row (`table` numbers the tables of the document)."""

    cells: tuple[Cell, ...]
    table: int = -1

    @property
    def texts(self) -> list[str]:
        return [cell.text for cell in self.cells]

    def covering(self, col: int) -> Cell | None:
        """The cell that covers grid column `col`, if any."""
        return next((c for c in self.cells if c.col <= col < c.col + c.span), None)
