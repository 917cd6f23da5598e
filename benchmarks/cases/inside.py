"""The Inside view's computations against their goal of 1 second on a CPU: a 28x28 receptive field (every level)
of a default-size PixelCNN on MNIST's shape, binary and 256 levels (fresh weights: the cost does not depend on
training), and the attention maps of a default Transformer over 256 tokens.

A case in the pattern of benchmarks/cases (`case(mode)` returns a Case whose `run(ctx)` gives an Outcome); also
runnable on its own: `python -m benchmarks.cases.inside [--mode smoke|quick|full] [--device cpu]`.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from arstudio.data import DataSpec
from arstudio.inside.attention import attention_maps
from arstudio.inside.receptive_field import field_layers, receptive_field
from arstudio.models import build_model
from benchmarks.core import Case, Context, Measure, MemoryProbe, Outcome, as_json, at_most

PARAMS = {"smoke": {"repeats": 1, "tokens": 256}, "quick": {"repeats": 3, "tokens": 256},
          "full": {"repeats": 5, "tokens": 256}}
GOAL_SECONDS = 1.0
MNIST_SHAPE = (1, 28, 28)
CENTRE = 14 * 28 + 14
"""The position whose field is measured: the centre pixel (its field covers half the image)."""


def case(mode: str) -> Case:
    return Case("inside/receptive-field", "inside", "Inside view: a 28x28 receptive field (default PixelCNN, every "
                "level) and 256-token attention maps (default Transformer)", run, PARAMS[mode], timeout=300)


def run(ctx: Context) -> Outcome:
    measures, metrics = [], {}
    for levels in (2, 256):
        spec = DataSpec("binary" if levels == 2 else "image", MNIST_SHAPE, levels)
        model = build_model("pixelcnn", spec).to(ctx.device).eval()
        x = torch.randint(0, levels, MNIST_SHAPE, generator=torch.Generator().manual_seed(0))
        receptive_field(model, x, CENTRE)
        field, seconds = ctx.best_of(ctx.options["repeats"], lambda m=model, x=x: receptive_field(m, x, CENTRE))
        ctx.mark(f"pixelcnn-{levels}")
        name = f"pixelcnn_{levels}_levels"
        metrics[name] = {"seconds": seconds, "ratio_to_goal": seconds / GOAL_SECONDS, "levels": len(field),
                         "layers": model.num_layers, "nonzero_at_output": int((field[-1] > 0).sum())}
        measures.append(at_most(seconds, GOAL_SECONDS, f"receptive field 28x28, {len(field_layers(model))} levels, "
                                f"K={levels}", "s"))
        measures.append(Measure(f"  ratio to the 1 s goal (K={levels})", round(seconds / GOAL_SECONDS, 3)))
    tokens = ctx.options["tokens"]
    transformer = build_model("transformer", DataSpec("text", (tokens + 1,), 256)).to(ctx.device).eval()
    values = torch.randint(0, 256, (tokens,), generator=torch.Generator().manual_seed(0))
    attention_maps(transformer, values)
    maps, seconds = ctx.best_of(ctx.options["repeats"], lambda: attention_maps(transformer, values))
    ctx.mark("attention")
    metrics["attention"] = {"seconds": seconds, "ratio_to_goal": seconds / GOAL_SECONDS, "tokens": tokens,
                            "shape": list(maps.weights.shape)}
    measures.append(at_most(seconds, GOAL_SECONDS, f"attention maps, {tokens} tokens "
                            f"({maps.layers} layers x {maps.heads} heads)", "s"))
    measures.append(Measure("  ratio to the 1 s goal (attention)", round(seconds / GOAL_SECONDS, 3)))
    return Outcome(measures=measures, metrics=metrics,
                   notes=[f"Best of {ctx.options['repeats']} after one warm-up call; {torch.get_num_threads()} "
                          "threads."])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=sorted(PARAMS), default="quick")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    started = time.perf_counter()
    outcome = run(Context(args.mode, PARAMS[args.mode], device, MemoryProbe(device)))
    for measure in outcome.measures:
        print(f"{measure.label}: {measure.value} {measure.unit} (goal {measure.target or '-'}, met {measure.met})")
    print(json.dumps({**as_json(outcome), "wall_seconds": round(time.perf_counter() - started, 2)}, indent=1))


if __name__ == "__main__":
    main()
