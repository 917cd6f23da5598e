"""The Inside view in the window: every model opens in it, each tab gets the model when it is first shown, errors
reach the window, and the Text panel's Sampler chain button opens the chain of its prompt and settings."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QPushButton, QWidget

from arstudio.sampling import SamplerConfig
from arstudio.ui.inside.panel import InsidePanel
from tests.test_ui_training import make_window  # noqa: F401 - the fixture

PARTS = ["maskPart", "receptiveFieldPart", "attentionPart", "surprisalPart", "samplerChainPart", "handPart",
         "beamTreePart", "generationOrderPart"]


def test_the_inside_view_opens_every_ready_model_and_gives_only_the_shown_tab_the_model(make_window, qtbot) -> None:  # noqa: F811
    window = make_window()
    panel = window.findChild(QWidget, "insidePanel")
    assert isinstance(panel, InsidePanel) and window.tabs.indexOf(panel) >= 0
    assert [part.objectName() for part in panel.parts]== PARTS
    assert "Open a model" in panel.hint.text()
    window.explore_ready("nade-mnist")
    window.tabs.setCurrentWidget(panel)
    masks = panel.show_part("maskPart")
    masks.wait()
    qtbot.waitUntil(lambda: masks.connectivity is not None, timeout=5000)
    assert masks.loaded is window.loaded and "nade" in panel.hint.text()
    attention = panel.part("attentionPart")
    assert attention.loaded is None and attention.hint.text() == "", "a tab not shown yet has not been given it"
    panel.show_part("attentionPart")
    assert "belongs to the Transformer" in attention.hint.text()
    window.explore_ready("transformer-pydocs")
    assert attention.loaded is window.loaded, "the tab in front gets a new model at once"
    attention.wait()
    qtbot.waitUntil(lambda: attention.maps is not None, timeout=5000)
    panel.show_part("maskPart")
    assert masks.loaded is None and "causal attention" in masks.hint.text()


def test_an_inside_error_reaches_the_window_and_the_text_panel_opens_the_chain(make_window, qtbot) -> None:  # noqa: F811
    window = make_window()
    window.explore_ready("transformer-pydocs")
    panel = window.inside_panel
    window.tabs.setCurrentWidget(panel)
    attention = panel.show_part("attentionPart")
    attention.wait()
    attention.text_edit.setPlainText("x" * 400)
    attention.show_button.click()
    attention.wait()
    qtbot.waitUntil(lambda: "at most" in window.last_error, timeout=5000)
    window.tabs.setCurrentWidget(window.text_panel)
    window.text_panel.prompt_edit.setPlainText("import o")
    window.text_panel.findChild(QPushButton, "samplerChainButton").click()
    assert window.tabs.currentWidget() is panel
    chain = panel.current_part()
    assert chain.objectName() == "samplerChainPart"
    assert chain.findChild(QLineEdit, "chainPromptEdit").text() == "import o"
    window.text_panel.chainRequested.emit("def ", SamplerConfig(top_k=5, temperature=0.7))
    assert chain.config().top_k == 5 and chain.config().temperature == 0.7
