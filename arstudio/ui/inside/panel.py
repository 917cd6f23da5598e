"""The Inside view: one tab per mechanism (masks, receptive field, attention, surprisal, the sampler chain,
generating by hand, the beam tree, the generation order), each computed from the model that is open.

Every model fits: a part that cannot show a family says why and where to look instead. A part gets the model
when its tab is first shown, so opening a model costs only the tab in front."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from arstudio.app.model_source import LoadedModel
from arstudio.data import DataSpec
from arstudio.sampling import SamplerConfig
from arstudio.ui.common.panel import ExplorerPanel, Worker
from arstudio.ui.inside.attention_part import AttentionPart
from arstudio.ui.inside.beam_tree_part import BeamTreePart
from arstudio.ui.inside.hand_part import HandPart
from arstudio.ui.inside.mask_part import MaskPart
from arstudio.ui.inside.order_part import GenerationOrderPart
from arstudio.ui.inside.part import InsidePart
from arstudio.ui.inside.receptive_field_part import ReceptiveFieldPart
from arstudio.ui.inside.sampler_chain_part import SamplerChainPart
from arstudio.ui.inside.surprisal_part import SurprisalPart


def inside_parts() -> list[InsidePart]:
    """Every part of the Inside view, in the order of its tabs."""
    return [MaskPart(), ReceptiveFieldPart(), AttentionPart(), SurprisalPart(), SamplerChainPart(), HandPart(),
            BeamTreePart(), GenerationOrderPart()]


class InsidePanel(ExplorerPanel):
    no_model_hint = "Open a model (Explore a run or a ready model in the Train tab) to look inside it."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("insidePanel", parent)
        layout = QVBoxLayout(self)
        self.hint = QLabel(self.no_model_hint, wordWrap=True, objectName="insideHint")
        layout.addWidget(self.hint)
        self.tabs = QTabWidget(objectName="insideTabs")
        self.parts = inside_parts()
        for part in self.parts:
            self.tabs.addTab(part, part.title)
            part.errorRaised.connect(self.show_error)
        layout.addWidget(self.tabs, 1)
        self._given: dict[int, LoadedModel | None] = {}
        self.tabs.currentChanged.connect(lambda _index: self._give_current())
        self._give_current()

    def fits(self, spec: DataSpec) -> bool:
        return True

    def misfit_hint(self, loaded: LoadedModel) -> str:
        return ""

    def fit_hint(self, loaded: LoadedModel) -> str:
        return f"Inside {loaded.name}: a {loaded.family} model of {loaded.spec.kind} data. Each tab shows one " \
               "mechanism, computed from this model."

    def show_model(self, hint: str) -> None:
        self.hint.setText(hint)
        self._given = {}
        self._give_current()

    def workers(self) -> tuple[Worker, ...]:
        return tuple(part.job for part in self.parts)

    def part(self, object_name: str) -> InsidePart:
        return next(part for part in self.parts if part.objectName() == object_name)

    def current_part(self) -> InsidePart:
        return self.parts[self.tabs.currentIndex()]

    def show_part(self, object_name: str) -> InsidePart:
        """Bring one part to the front (it gets the open model now)."""
        part = self.part(object_name)
        self.tabs.setCurrentWidget(part)
        self._give_current()
        return part

    def open_chain(self, prompt: str, config: SamplerConfig) -> SamplerChainPart:
        """The sampler chain of the Text panel's prompt and settings."""
        part = self.show_part("samplerChainPart")
        assert isinstance(part, SamplerChainPart)
        part.set_config(config)
        part.set_prompt(prompt)
        return part

    def _give_current(self) -> None:
        index = self.tabs.currentIndex()
        if index < 0:
            return
        if index not in self._given or self._given[index] is not self.loaded:
            self._given[index] = self.loaded
            self.parts[index].set_model(self.loaded)
