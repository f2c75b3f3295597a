"""How a fit groups trajectories into padded micro-batches and by the prompt they share, picks its precision, and finds its checkpoint (quick: no base model loads)."""

from __future__ import annotations

import random

import pytest

from picoagent.train.dataset import Sample
from picoagent.train.fit import MICRO_BATCH_AVERAGE_TOKENS, MIN_SHARED_PREFIX, _micro_batches, _prefix_groups


def sample(length: int) -> Sample:
    return Sample(run_id=f"r{length}", suite="s", task="t", actions="json", split="train", input_ids=[1] * length, targets=[(1, length)])


def test_micro_batches_keep_every_sample_once_and_stay_within_size_and_padded_area():
    rng = random.Random(0)
    batch = [sample(rng.choice([300, 600, 900, 1500, 4000])) for _ in range(64)]
    groups = list(_micro_batches(batch, 16, max_seq=2048))
    assert sorted(s.run_id for g in groups for s in g) == sorted(s.run_id for s in batch)
    for group in groups:
        padded = len(group) * max(min(len(s.input_ids), 2048) for s in group)
        assert len(group) <= 16
        assert len(group) == 1 or padded <= 16 * MICRO_BATCH_AVERAGE_TOKENS, "a long trajectory shrinks its group"
    assert any(len(g) == 16 for g in groups), "short trajectories fill whole groups"


def test_one_sample_per_group_on_a_cpu():
    batch = [sample(n) for n in (500, 100, 300)]
    assert [[len(s.input_ids) for s in g] for g in _micro_batches(batch, 1, max_seq=2048)] == [[100], [300], [500]]


def test_trajectories_are_grouped_by_the_prompt_they_share_and_a_lone_one_shares_nothing():
    rng = random.Random(1)
    json_prompt = [rng.randrange(1000) for _ in range(420)]
    code_prompt = json_prompt[:40] + [rng.randrange(1000) for _ in range(380)]
    beginnings = []
    for index in range(12):
        prompt = json_prompt if index % 3 else code_prompt
        beginnings.append(prompt + [rng.randrange(1000) for _ in range(rng.randrange(0, 30))])
    beginnings.append([7] * 10 + json_prompt)  # a prompt of its own
    groups = _prefix_groups(beginnings)
    assert sorted(i for _, members in groups for i in members) == list(range(13)), "every trajectory once"
    for prefix, members in groups:
        assert all(beginnings[i][: len(prefix)] == prefix for i in members)
        assert prefix == [] or (len(members) > 1 and len(prefix) >= MIN_SHARED_PREFIX)
    shared = sorted((len(prefix), len(members)) for prefix, members in groups)
    assert shared == [(0, 1), (420, 4), (420, 8)], "json and code keep their whole prompts; the 40 tokens they share do not join them"


def test_precision_is_bf16_where_the_hardware_has_it_and_a_bad_one_is_refused_before_any_work():
    torch = pytest.importorskip("torch")
    from picoagent.errors import ConfigError
    from picoagent.train.fit import FitOptions, _precision

    native = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    assert _precision("auto", "cpu") == ("bf16" if native else "fp32")
    assert _precision("auto", "cuda") == "bf16"
    assert _precision("fp32", "cuda") == "fp32" and _precision("bf16", "cpu") == "bf16"
    with pytest.raises(ConfigError, match="unknown precision 'fp16': use auto, bf16 or fp32"):
        FitOptions(precision="fp16")
    with pytest.raises(ConfigError, match="unknown device 'tpu': use auto, cpu or cuda"):
        FitOptions(device="tpu")
    assert "precision" not in FitOptions().identity(), "a fit resumes on other hardware, like another device"


def test_a_fit_killed_between_the_renames_of_a_checkpoint_finds_the_previous_one(tmp_path) -> None:
    pytest.importorskip("torch")
    from picoagent.errors import ConfigError
    from picoagent.train.fit import FitOptions, fit

    data = tmp_path / "data.jsonl"
    data.write_text(sample(40).to_json() + "\n")
    out = tmp_path / "adapter"
    (out / "checkpoint.old").mkdir(parents=True)  # the new checkpoint not yet in place, the old one moved aside
    (out / "checkpoint.old" / "meta.json").write_text("{}")
    with pytest.raises(ConfigError, match="holds a checkpoint of an unfinished fit: add --resume"):
        fit(data, out, tmp_path / "base.gguf", FitOptions(device="cpu"))
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint"] and (out / "checkpoint" / "meta.json").is_file()
