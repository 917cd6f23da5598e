"""The Inside view's engine: attention, mask connectivity and surprisal, read from the models themselves."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from arstudio.data import DataSpec
from arstudio.errors import UserError
from arstudio.inside.attention import attention_maps
from arstudio.inside.connectivity import connectivity, mask_count
from arstudio.inside.surprisal import surprisal
from arstudio.models import build_model

TEXT = DataSpec(kind="text", shape=(24,), levels=20, vocabulary=tuple("abcdefghijklmnopqrst"))
BINARY = DataSpec(kind="binary", shape=(1, 4, 5), levels=2)


@pytest.mark.parametrize("positions", ["rotary", "learned"])
def test_attention_is_causal_rows_sum_to_one_and_is_what_the_block_computes(positions: str) -> None:
    model = build_model("transformer", TEXT, d_model=16, layers=2, heads=2, positions=positions).eval()
    values = torch.randint(0, 20, (15,))
    maps = attention_maps(model, values)
    assert maps.weights.shape == (2, 2, 16, 16)
    assert torch.allclose(maps.weights.sum(-1), torch.ones(2, 2, 16), atol=1e-5)
    future = torch.ones(16, 16, dtype=torch.bool).triu(1)
    assert (maps.weights[..., future] == 0).all()
    assert (maps.weights[..., ~future] > 0).all()
    # The weights reproduce the block's own attention output (scaled_dot_product_attention inside forward).
    block = model.blocks[0]
    tokens = torch.cat([torch.tensor([model.start_token]), values]).unsqueeze(0)
    with torch.no_grad():
        h, rotary = model.embed_tokens(tokens)
        q, k, v = block.queries_keys_values(h, rotary)
        ours = maps.weights[0].unsqueeze(0) @ v
        theirs = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert torch.allclose(ours, theirs, atol=1e-5)
    assert torch.allclose(maps.looks_at(1, None, 5), maps.weights[1, :, 5].mean(0))


def test_attention_needs_a_transformer_and_a_text_within_its_context() -> None:
    with pytest.raises(UserError, match="Transformer"):
        attention_maps(build_model("nade", BINARY), torch.zeros(4, dtype=torch.long))
    model = build_model("transformer", TEXT, d_model=16, layers=1, heads=2)
    with pytest.raises(UserError, match="shorten"):
        attention_maps(model, torch.zeros(24, dtype=torch.long))


@pytest.mark.parametrize("hparams", [dict(hidden=40, layers=2, ordering="random"),
                                     dict(hidden=12, layers=3, num_masks=3, order_agnostic=True)])
def test_made_reachability_equals_its_dependency_matrix(hparams: dict) -> None:
    model = build_model("made", BINARY, **hparams)
    for index in range(mask_count(model)):
        model.set_mask(index)
        graph = connectivity(model)
        assert torch.equal(graph.dependencies(), model.connectivity())
        for output in range(BINARY.dims):
            reach = graph.reachable(output)
            assert torch.equal(reach[0], model.connectivity()[:, output])
            assert reach[-1].sum() == 1 and reach[-1][output]
        # What the masks allow is what the network computes: changing an unreachable input leaves the output.
        x = torch.randint(0, 2, (1, *BINARY.shape))
        out = 7
        for i in torch.nonzero(~graph.reachable(out)[0]).flatten().tolist():
            y = x.clone().flatten()
            y[i] = 1 - y[i]
            changed, original = model.logits(y.view_as(x)).flatten(1, -2), model.logits(x).flatten(1, -2)
            assert torch.equal(changed[0, out], original[0, out])


def test_made_masks_by_index_are_the_masks_training_installs() -> None:
    model = build_model("made", BINARY, hidden=16, layers=1, num_masks=4, order_agnostic=True)
    by_index = [connectivity(model, i) for i in range(4)]
    for i in range(4):
        model.set_mask(i)
        now = connectivity(model)
        assert torch.equal(now.order, by_index[i].order)
        assert all(torch.equal(a, b) for a, b in zip(now.masks, by_index[i].masks, strict=True))
    assert not torch.equal(by_index[0].order, by_index[1].order)
    with pytest.raises(UserError, match="4 masks"):
        connectivity(model, 4)


def test_nade_connectivity_is_its_ordering() -> None:
    model = build_model("nade", BINARY, hidden=8, ordering="random", ordering_seed=3)
    graph = connectivity(model)
    rank = torch.empty(BINARY.dims, dtype=torch.long)
    rank[model.order] = torch.arange(BINARY.dims)
    assert torch.equal(graph.dependencies(), rank.unsqueeze(1) < rank.unsqueeze(0))
    assert graph.inputs_seen()[-1].tolist() == rank.tolist()
    with pytest.raises(UserError, match="receptive field"):
        connectivity(build_model("pixelcnn", BINARY, channels=4, kernel=3, layers=2))


@pytest.mark.parametrize("family, spec", [("nade", BINARY), ("made", BINARY), ("pixelcnn", BINARY),
                                          ("transformer", TEXT)])
def test_surprisal_sums_to_the_log_likelihood(family: str, spec: DataSpec) -> None:
    hparams = {"pixelcnn": dict(channels=4, kernel=3, layers=2), "transformer": dict(d_model=16, layers=1, heads=2)}
    model = build_model(family, spec, **hparams.get(family, {})).eval()
    x = torch.randint(0, spec.levels, spec.shape)
    result = surprisal(model, x)
    assert result.nats.shape == spec.shape and (result.nats > 0).all()
    expected = -float(model.log_prob(x.unsqueeze(0)).detach())
    assert math.isclose(result.total_nats, expected, rel_tol=1e-5)
    assert math.isclose(result.bits_per_dim, expected / (spec.dims * math.log(2)), rel_tol=1e-5)
    assert torch.equal(result.in_order(), result.nats.flatten()[model.order.cpu()])


def test_surprisal_of_a_long_text_covers_the_context() -> None:
    model = build_model("transformer", TEXT, d_model=16, layers=1, heads=2).eval()
    result = surprisal(model, torch.randint(0, 20, (60,)))
    assert result.nats.shape == (24,)
