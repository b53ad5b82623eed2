"""Text whose wrapped lines keep their indent.

A detail pane indents a person's fields under the person; a long value that
wraps back to the first column reads as a new heading. `IndentedContent`
wraps each line itself: the lines a long line wraps into start two cells
further in than it does. Its plain text is the text given, unwrapped.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions

HANG = 2  # a wrapped line's continuation starts this much further in than the line
NARROWEST = 12  # below this many cells for the text, wrap plainly instead


class IndentedContent(Content):
    """Content that wraps each line with a hanging indent (see the module docstring)."""

    @classmethod
    def of(cls, text: Text) -> IndentedContent:
        content = Content.from_rich_text(text)
        return cls(content.plain, list(content.spans))

    _hung_at: tuple[int, Content] | None = None  # the last width wrapped for, and the result

    def hung(self, width: int) -> Content:
        """The text with every line longer than `width` wrapped under its own indent."""
        if self._hung_at is not None and self._hung_at[0] == width:
            return self._hung_at[1]
        lines: list[Content] = []
        for line in self.split(allow_blank=True):
            if line.cell_length <= width:
                lines.append(line)
                continue
            indent = len(line.plain) - len(line.plain.lstrip(" "))
            hang = indent + HANG
            if width - hang < NARROWEST:
                lines.append(line)  # too narrow to hang: the widget wraps it plainly
                continue
            pieces = line[indent:].wrap(width - hang)
            lines.append(Content(" " * indent) + pieces[0])
            lines.extend(Content(" " * hang) + piece for piece in pieces[1:])
        result = Content("\n").join(lines)
        self._hung_at = (width, result)
        return result

    def get_height(self, rules: RulesMap, width: int) -> int:
        return Content.get_height(self.hung(width), rules, width)

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        return Content.render_strips(self.hung(width), width, height, style, options)
