"""Generation by hand: one value at a time, each chosen by a person or by the sampler, for every family.

`HandGeneration` walks the model's order like `generate()` with one sample: known values (a prompt, painted
pixels) are taken as they come, and every other step waits for `pick(value)` or `pick_by_sampler()`.

Decisions:
- A person may pick any value in 0..K-1, also one the sampler's filters removed (probability 0 after the
  processors): the person is the sampler then. `pick` returns a `HandStep` whose `filtered` says so.
- `log_probs` records, as `generate()` does, the model's own log-probability of each value (temperature 1,
  unfiltered), so their sum is `log_prob` and, within the model's context, the model's log-likelihood of the
  finished sample.
- The sampler draws from one `torch.Generator` seeded like `generate()`'s and advanced at the same steps, so
  letting the sampler pick every value gives `generate(model, 1, config)`'s sample for the same seed. `undo`
  puts the generator back, so undoing and sampling again draws the same value.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import torch
from torch import Tensor

from arstudio.errors import UserError
from arstudio.models.base import ARModel
from arstudio.sampling.config import SamplerConfig
from arstudio.sampling.processors import apply_processors, draw, is_identity
from arstudio.sampling.request import Layout, known_tensors, resolve_length, resolve_window


@dataclass(frozen=True)
class HandStep:
    """One value taken: the step in the order, the flat position it fills, the value, the model's log p of it,
    who chose it ("you", "sampler" or "known") and whether the sampler's filters had removed it."""

    step: int
    position: int
    value: int
    log_prob: float
    by: str
    filtered: bool = False


class HandGeneration:
    """One sample of `model`, generated a value at a time.

    known / known_mask / length / labels are as `generate()` takes them for one sample ([*shape] or [1, *shape];
    a text prompt is `known` covering the first steps of `length`). seed: overrides `config.seed`; with neither, a
    seed is drawn (see `seed`). stop_at_eos: for text with an end symbol, picking it ends the sample and fills
    the rest with it (log-probability 0), as `generate(stop_at_eos=True)` does.
    """

    def __init__(self, model: ARModel, config: SamplerConfig | None = None, known: Tensor | None = None,
                 known_mask: Tensor | None = None, length: int | None = None, seed: int | None = None,
                 labels: Tensor | None = None, use_cache: bool = True, window: str = "shift",
                 stop_at_eos: bool = False) -> None:
        self.model = model.eval()
        self.config = config or SamplerConfig()
        device = model.order.device
        self.layout = Layout(model, resolve_length(model, length))
        self._window = resolve_window(model, window) or "slide"
        self._use_cache = use_cache
        self._known, self._mask = known_tensors(self.layout, 1, known, known_mask, device)
        self._labels = model.labels_for(labels, 1)
        chosen = seed if seed is not None else self.config.seed
        self.seed = int(chosen) if chosen is not None else secrets.randbits(62)
        self._generator = torch.Generator(device=device).manual_seed(self.seed)
        self._eos = model.spec.eos_index if stop_at_eos else None
        self.restart()

    # -- state -----------------------------------------------------------------------------------------------

    def restart(self) -> None:
        """Back to the start: only the known values, the generator at its seed."""
        self._generator.manual_seed(self.seed)
        self._seq = self._known.clone()
        self._log_probs = torch.zeros(self._seq.shape[1])
        self.history: list[HandStep] = []
        self._states: list[Tensor] = []
        self._rebuild(0)
        self._advance()

    @property
    def total(self) -> int:
        """How many steps the sample has."""
        return self._seq.shape[1]

    @property
    def step(self) -> int:
        """The next step of the order to fill (== total when done)."""
        return self._t

    @property
    def position(self) -> int | None:
        """The flat index into the sample's shape that the next value fills (None when done)."""
        return None if self.done else self.layout.positions[self._t]

    @property
    def done(self) -> bool:
        return self._t >= self.total

    @property
    def values(self) -> Tensor:
        """LongTensor[*shape]: the sample so far (unfilled positions hold 0 or their known value)."""
        return self.layout.from_sequence(self._seq)[0].clone()

    @property
    def filled(self) -> Tensor:
        """BoolTensor[*shape]: the positions already filled."""
        steps = torch.arange(self.total, device=self._seq.device) < self._t
        return self.layout.from_sequence(steps.unsqueeze(0))[0]

    @property
    def sequence(self) -> Tensor:
        """LongTensor[step]: the values so far in the model's order."""
        return self._seq[0, :self._t].clone()

    @property
    def log_probs(self) -> Tensor:
        """Tensor[step]: the model's log-probability of each value so far, in the order (known values too)."""
        return self._log_probs[:self._t].clone()

    @property
    def log_prob(self) -> float:
        """The total of `log_probs` in nats."""
        return float(self._log_probs[:self._t].sum())

    # -- the next value --------------------------------------------------------------------------------------

    def raw_distribution(self) -> Tensor:
        """Tensor[K]: the model's own probabilities for the next value (temperature 1, no filters)."""
        return torch.softmax(self._require_logits(), -1)

    def distribution(self) -> Tensor:
        """Tensor[K]: the probabilities the sampler draws the next value from (after the processors)."""
        return torch.softmax(self._processed(), -1)

    def pick(self, value: int) -> HandStep:
        """Take `value` for the next position; a value the filters removed is allowed (see the module)."""
        levels = self.model.spec.levels
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < levels:
            raise UserError(f"Pick a value in 0..{levels - 1}; {value!r} is not one.")
        self._require_logits()
        filtered = bool(self.distribution()[value] == 0)
        self._states.append(self._generator.get_state())
        if not self.config.greedy:
            draw(self.distribution().unsqueeze(0), self._generator)  # keep the generator in step with generate()
        return self._take(value, "you", filtered)

    def pick_by_sampler(self) -> HandStep:
        """Let the sampler choose the next value (greedy: the most probable after the processors)."""
        processed = self._processed()
        self._states.append(self._generator.get_state())
        if self.config.greedy:
            value = int(processed.argmax())
        else:
            value = int(draw(torch.softmax(processed, -1).unsqueeze(0), self._generator)[0])
        return self._take(value, "sampler", False)

    def finish(self) -> None:
        """Let the sampler choose every remaining value."""
        while not self.done:
            self.pick_by_sampler()

    def undo(self) -> HandStep | None:
        """Take back the last value chosen by you or the sampler (and the known ones after it); None if none."""
        chosen = [i for i, step in enumerate(self.history) if step.by != "known"]
        if not chosen:
            return None
        last = chosen[-1]
        taken = self.history[last]
        self.history = self.history[:last]
        self._generator.set_state(self._states.pop())
        self._seq[0, taken.step:] = self._known[0, taken.step:]
        self._log_probs[taken.step:] = 0.0
        self._rebuild(taken.step)
        return taken

    # -- inside ----------------------------------------------------------------------------------------------

    def _rebuild(self, t: int) -> None:
        """A fresh stepper over the values so far, its caches filled for steps < t."""
        self._stepper = self.model.stepper(self._seq.clone(), use_cache=self._use_cache, window=self._window,
                                           labels=self._labels)
        self._t, self._logits = t, None
        with torch.inference_mode():
            if t:
                self._stepper.prefix_logits(t)

    def _require_logits(self) -> Tensor:
        if self.done:
            raise UserError("The sample is complete: undo or restart to pick again.")
        if self._logits is None:
            with torch.inference_mode():
                self._logits = self._stepper.logits(self._t).float()[0].clone()
        return self._logits

    def _processed(self) -> Tensor:
        logits = self._require_logits()
        if is_identity(self.config):
            return logits
        with torch.inference_mode():
            return apply_processors(logits.unsqueeze(0), self.config, self._stepper.seq[:, :self._t])[0]

    def _take(self, value: int, by: str, filtered: bool) -> HandStep:
        t = self._t
        log_p = float(torch.log_softmax(self._require_logits(), -1)[value])
        ended = self._eos is not None and value == self._eos
        with torch.inference_mode():
            self._stepper.commit(t, torch.tensor([value], device=self._seq.device))
        self._seq[0, t] = value
        self._log_probs[t] = log_p
        step = HandStep(t, self.layout.positions[t], value, log_p, by, filtered)
        self.history.append(step)
        self._t, self._logits = t + 1, None
        if ended:
            self._seq[0, t + 1:] = self._eos
            self._t = self.total
        else:
            self._advance()
        return step

    def _advance(self) -> None:
        """Take the known values that come next (a prompt, painted pixels) as generate() does."""
        mask = self._mask[0]
        if self._t == 0 and bool(mask[0]):
            count = int(mask.logical_not().nonzero()[0]) if bool((~mask).any()) else self.total
            self._prefix(count)
        while not self.done and bool(mask[self._t]):
            value = int(self._known[0, self._t])
            if not self.config.greedy:
                draw(self.distribution().unsqueeze(0), self._generator)  # as generate() draws and overwrites
            self._take_known(value)

    def _prefix(self, count: int) -> None:
        with torch.inference_mode():
            prefix = torch.log_softmax(self._stepper.prefix_logits(count).float(), -1)[0]
        values = self._known[0, :count]
        self._log_probs[:count] = prefix.gather(-1, values[:, None]).squeeze(-1).cpu()
        for t in range(count):
            self.history.append(HandStep(t, self.layout.positions[t], int(values[t]), float(self._log_probs[t]),
                                         "known"))
        self._t, self._logits = count, None

    def _take_known(self, value: int) -> None:
        t = self._t
        log_p = float(torch.log_softmax(self._require_logits(), -1)[value])
        with torch.inference_mode():
            self._stepper.commit(t, torch.tensor([value], device=self._seq.device))
        self._log_probs[t] = log_p
        self.history.append(HandStep(t, self.layout.positions[t], value, log_p, "known"))
        self._t, self._logits = t + 1, None
