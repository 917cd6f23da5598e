"""Generated text with every token shaded by its probability; hover for candidates, click to branch."""

from __future__ import annotations

import bisect
import html
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QTextCharFormat, QTextCursor, QTextLine
from PySide6.QtWidgets import QMenu, QTextEdit, QToolTip, QWidget

from arstudio.data.spec import DataSpec
from arstudio.data.text_codec import TokenDecoder, symbol_label

UNKNOWN_SHADE = QColor(225, 225, 225)
NEWLINE_MARK = "↵"
CLICK_SLOP = 4


def shade(probability: float | None) -> QColor:
    """Red for improbable tokens through yellow to green for near-certain ones."""
    if probability is None:
        return UNKNOWN_SHADE
    p = min(max(probability, 0.0), 1.0)
    return QColor.fromHsvF(0.33 * p, 0.42, 1.0)


@dataclass
class Token:
    value: int
    text: str
    start: int
    candidates: list[tuple[int, float]] = field(default_factory=list)
    """The sampler's most probable values at this step and their probabilities."""
    model_probability: float | None = None

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def sampler_probability(self) -> float | None:
        return dict(self.candidates).get(self.value)

    @property
    def probability(self) -> float | None:
        """What the shade shows: the model's probability once known, else the sampler's."""
        return self.model_probability if self.model_probability is not None else self.sampler_probability


class TokenTextView(QTextEdit):
    """Read-only text: a prompt, then generated tokens. Emits branchRequested(list[int]) with the
    values up to a clicked token followed by the candidate the person chose instead."""

    branchRequested = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setObjectName("tokenView")
        self.viewport().setMouseTracking(True)
        self.spec: DataSpec | None = None
        self.prompt: list[int] = []
        self.tokens: list[Token] = []
        self.menu: QMenu | None = None
        self._decoder: TokenDecoder | None = None
        self._starts: list[int] = []
        self._press: QPoint | None = None

    def start(self, spec: DataSpec, prompt: list[int]) -> None:
        """Clear, then show the prompt (plain bold) ready for tokens to stream in."""
        self.spec, self.prompt = spec, list(prompt)
        self.tokens, self._starts = [], []
        self._decoder = TokenDecoder(spec)
        self.clear()
        prompt_format = QTextCharFormat()
        prompt_format.setFontWeight(QFont.Weight.Bold)
        prompt_format.setForeground(self.palette().text())
        text = "".join(self._decoder.feed(v) for v in self.prompt)
        self._cursor_at_end().insertText(text, prompt_format)

    def append_token(self, value: int, candidates: list[tuple[int, float]] | None = None,
                     model_probability: float | None = None) -> Token:
        if self._decoder is None:
            raise RuntimeError("start() the view before appending tokens")
        text = self._decoder.feed(value)
        if text == "\n":
            text = NEWLINE_MARK + "\n"
        cursor = self._cursor_at_end()
        token = Token(value, text, cursor.position(), list(candidates or []), model_probability)
        cursor.insertText(text, self._format(token))
        self.tokens.append(token)
        self._starts.append(token.start)
        if self.verticalScrollBar().value() >= self.verticalScrollBar().maximum() - 40:
            self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())
        return token

    def finish(self, values: list[int], model_probabilities: list[float]) -> None:
        """Show the final tokens shaded by the model's probability; keep candidates where the
        streamed token is the final one (beam search may still change earlier tokens)."""
        if self.spec is None:
            return
        streamed = self.tokens
        self.start(self.spec, self.prompt)
        for i, (value, probability) in enumerate(zip(values, model_probabilities, strict=True)):
            same = i < len(streamed) and streamed[i].value == value
            self.append_token(value, streamed[i].candidates if same else [], probability)

    def generated_values(self) -> list[int]:
        return [t.value for t in self.tokens]

    def token_at(self, point: QPoint) -> int | None:
        """The index of the generated token under a viewport point, or None."""
        position = self._character_at(point)
        if position is None or not self._starts:
            return None
        index = bisect.bisect_right(self._starts, position) - 1
        if index < 0 or not self.tokens[index].start <= position < self.tokens[index].end:
            return None
        return index

    def token_point(self, index: int) -> QPoint:
        """A viewport point inside token `index` (for tests and keyboard users)."""
        token = self.tokens[index]
        cursor = QTextCursor(self.document())
        cursor.setPosition(token.start)
        left = self.cursorRect(cursor)
        cursor.setPosition(token.start + 1)
        right = self.cursorRect(cursor)
        x = (left.x() + right.x()) // 2 if right.y() == left.y() and right.x() > left.x() else left.x() + 2
        return QPoint(x, left.center().y())

    def tooltip_html(self, index: int) -> str:
        token = self.tokens[index]
        assert self.spec is not None
        lines = [f"<b>{html.escape(symbol_label(token.value, self.spec))}</b> &nbsp; token {index + 1}"]
        if token.model_probability is not None:
            lines.append(f"p = {token.model_probability:.3f} under the model")
        if token.candidates:
            rows = "".join(
                f"<tr><td>{'✓' if value == token.value else ''}</td>"
                f"<td><code>{html.escape(symbol_label(value, self.spec))}</code></td>"
                f"<td align=right>{prob:.1%}</td><td>{'█' * max(1, round(prob * 20))}</td></tr>"
                for value, prob in token.candidates)
            lines.append(f"Sampler's top candidates:<table cellspacing=2>{rows}</table>"
                         "<i>Click to continue with another candidate.</i>")
        return "<br>".join(lines)

    def open_menu(self, index: int, point: QPoint | None = None) -> QMenu:
        """A non-blocking menu of the token's candidates; choosing one emits branchRequested."""
        token = self.tokens[index]
        assert self.spec is not None
        if self.menu is not None:
            self.menu.close()
            self.menu.deleteLater()
        menu = self.menu = QMenu(self)
        menu.setObjectName("tokenMenu")
        header = menu.addAction(f"Continue after {index} generated tokens with…")
        header.setEnabled(False)
        prefix = self.prompt + [t.value for t in self.tokens[:index]]
        for value, prob in token.candidates:
            mark = "✓ " if value == token.value else "   "
            action = menu.addAction(f"{mark}{symbol_label(value, self.spec)}    {prob:.1%}")
            action.setData(value)
            action.triggered.connect(lambda _=False, v=value: self.branchRequested.emit(prefix + [v]))
        if not token.candidates:
            menu.addAction("(no candidates recorded for this token)").setEnabled(False)
        where = point if point is not None else self.token_point(index)
        menu.popup(self.viewport().mapToGlobal(where))
        return menu

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.ToolTip:
            index = self.token_at(event.pos())
            if index is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), self.tooltip_html(index), self.viewport())
            return True
        return super().viewportEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        over = self.token_at(event.position().toPoint()) is not None
        self.viewport().setCursor(Qt.CursorShape.PointingHandCursor if over else Qt.CursorShape.IBeamCursor)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        super().mouseReleaseEvent(event)
        point = event.position().toPoint()
        pressed, self._press = self._press, None
        if event.button() != Qt.MouseButton.LeftButton or pressed is None:
            return
        if (point - pressed).manhattanLength() > CLICK_SLOP:
            return
        index = self.token_at(point)
        if index is not None:
            self.open_menu(index, point)

    def _character_at(self, point: QPoint) -> int | None:
        """The document position of the character drawn under `point`, or None off the text."""
        document_point = QPointF(point.x() + self.horizontalScrollBar().value(),
                                 point.y() + self.verticalScrollBar().value())
        block = self.cursorForPosition(point).block()
        origin = self.document().documentLayout().blockBoundingRect(block).topLeft()
        local = document_point - origin
        layout = block.layout()
        for i in range(layout.lineCount()):
            line = layout.lineAt(i)
            if line.y() <= local.y() < line.y() + line.height():
                if not line.x() <= local.x() < line.x() + line.naturalTextWidth():
                    return None
                offset = line.xToCursor(local.x(), QTextLine.CursorPosition.CursorOnCharacter)
                return block.position() + offset
        return None

    def _cursor_at_end(self) -> QTextCursor:
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        return cursor

    def _format(self, token: Token) -> QTextCharFormat:
        fmt = QTextCharFormat()
        fmt.setBackground(shade(token.probability))
        fmt.setForeground(QColor(20, 20, 20))
        return fmt
