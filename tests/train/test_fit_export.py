"""LoRA fitting on the real 270M base, checkpoints that resume exactly, and the GGUF adapter llama.cpp runs."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from picoagent.config import Config
from picoagent.errors import ConfigError, ModelError
from picoagent.models.weights import default_model_path
from tests.conftest import action
from tests.train.test_dataset import scripted_run

pytestmark = pytest.mark.slow
torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three short real trajectories, tokenized by the real vocabulary."""
    from picoagent.models.local import load_vocabulary
    from picoagent.train.dataset import build_dataset

    root = tmp_path_factory.mktemp("fit-data")
    for index, (command, answer) in enumerate([("wc -l fruit.txt", "2"), ("head -n 1 fruit.txt", "apple"), ("tail -n 1 fruit.txt", "banana")]):
        workspace = root / f"ws{index}"
        workspace.mkdir()
        config = Config(model="scripted", runs_dir=root / "runs", workspace=workspace, examples=0)
        scripted_run(config, [action("shell", thought="Look at the file.", command=command), action("final_answer", thought="Found it.", answer=answer)])
    data = root / "data.jsonl"
    build_dataset([root / "runs"], data, load_vocabulary(default_model_path()), max_tokens=2048, val_percent=0)
    return data


def adapter_weights(directory: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(directory / "adapter_model.safetensors"))


def test_an_interrupted_fit_resumes_to_the_same_adapter(dataset: Path, tmp_path: Path) -> None:
    from picoagent.train.fit import FitInterrupted, FitOptions, fit

    options = FitOptions(epochs=2, batch=1, lora_r=4, lora_alpha=8, max_steps=3, save_every=100)
    straight = fit(dataset, tmp_path / "straight", default_model_path(), options)
    assert straight["steps"] == 3 and straight["losses"][-1][1] < straight["losses"][0][1], "the loss goes down"

    def stop_after_first_step(progress) -> None:
        if progress.step == 1:
            raise KeyboardInterrupt

    with pytest.raises(FitInterrupted, match="interrupted at step 1 of 3; checkpoint saved"):
        fit(dataset, tmp_path / "resumed", default_model_path(), options, on_progress=stop_after_first_step)
    with pytest.raises(ConfigError, match="holds a checkpoint of an unfinished fit: add --resume"):
        fit(dataset, tmp_path / "resumed", default_model_path(), options)
    with pytest.raises(ConfigError, match="made with another options"):
        fit(dataset, tmp_path / "resumed", default_model_path(), FitOptions(**{**options.__dict__, "lora_r": 8}), resume=True)
    resumed = fit(dataset, tmp_path / "resumed", default_model_path(), options, resume=True)
    assert resumed["steps"] == 3 and not (tmp_path / "resumed" / "checkpoint").exists()
    a, b = adapter_weights(tmp_path / "straight"), adapter_weights(tmp_path / "resumed")
    assert a.keys() == b.keys()
    assert all(torch.allclose(a[key], b[key], atol=1e-6) for key in a)

    # More training from an adapter: its weights are the start, a fresh optimizer the rest.
    with pytest.raises(ConfigError, match="has rank 4 and alpha 8: pass the same --lora-r and --lora-alpha"):
        fit(dataset, tmp_path / "more", default_model_path(), FitOptions(**{**options.__dict__, "lora_r": 8}), init=tmp_path / "straight")
    more = fit(dataset, tmp_path / "more", default_model_path(), FitOptions(**{**options.__dict__, "max_steps": 1}), init=tmp_path / "straight")
    assert more["losses"][0][1] < straight["losses"][0][1], "it starts where the earlier adapter ended, not from scratch"

    # ... or from its GGUF, as llama.cpp runs it (the shipped adapter exists only as one).
    from picoagent.train.export import export_adapter

    export_adapter(tmp_path / "straight", tmp_path / "straight.gguf", default_model_path())
    from_gguf = fit(dataset, tmp_path / "more-gguf", default_model_path(), FitOptions(**{**options.__dict__, "max_steps": 1}), init=tmp_path / "straight.gguf")
    assert from_gguf["losses"][0][1] == pytest.approx(more["losses"][0][1], abs=0.01), "float16 in the GGUF, the same start"
    assert sorted(p.name for p in (tmp_path / "more-gguf").iterdir()) == sorted(p.name for p in (tmp_path / "more").iterdir())
    # A refused fit writes nothing: not even the imported copy of its --init GGUF, which the
    # rank check reads (it lives in a temporary directory, gone once the model has loaded).
    imports_before = set(Path(tempfile.gettempdir()).glob("picoagent-init-*"))
    (tmp_path / "busy" / "checkpoint").mkdir(parents=True)
    with pytest.raises(ConfigError, match="holds a checkpoint of an unfinished fit"):
        fit(dataset, tmp_path / "busy", default_model_path(), options, init=tmp_path / "straight.gguf")
    with pytest.raises(ConfigError, match=r"straight\.gguf has rank 4 and alpha 8(\.0)?: pass the same"):
        fit(dataset, tmp_path / "fresh", default_model_path(), FitOptions(**{**options.__dict__, "lora_r": 8}), init=tmp_path / "straight.gguf")
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["checkpoint"] and not (tmp_path / "fresh").exists()
    assert set(Path(tempfile.gettempdir()).glob("picoagent-init-*")) == imports_before
    (tmp_path / "notes.gguf").write_text("not a model")
    with pytest.raises(ConfigError, match="notes.gguf is not a GGUF file"):
        fit(dataset, tmp_path / "bad", default_model_path(), options, init=tmp_path / "notes.gguf")


def test_a_padded_micro_batch_has_the_loss_of_its_samples_one_by_one_and_bf16_the_loss_of_fp32(dataset: Path) -> None:
    from peft import LoraConfig, get_peft_model

    from picoagent.train.dataset import read_samples
    from picoagent.train.fit import TARGET_MODULES, _Trainer, load_base

    samples = read_samples(dataset)
    assert len({len(s.input_ids) for s in samples}) > 1, "the samples differ in length, so one is padded"
    model = get_peft_model(load_base(default_model_path()), LoraConfig(r=4, lora_alpha=8, target_modules=list(TARGET_MODULES)))
    losses = {}
    for precision, tolerance in (("fp32", 1e-4), ("bf16", 2e-2)):
        trainer = _Trainer(model, "cpu", precision, max_seq=2048)
        with torch.no_grad():
            together, targets, sequence = trainer.loss(samples)
            one_by_one = [trainer.loss([sample]) for sample in samples]
        assert targets == sum(t for _, t, _ in one_by_one) and sequence == sum(n for _, _, n in one_by_one)
        assert float(together) == pytest.approx(sum(float(loss) for loss, _, _ in one_by_one), rel=tolerance)
        losses[precision] = float(together) / targets
    # bf16 products (autocast; fp32 weights) change the loss by rounding, not in kind.
    assert losses["bf16"] == pytest.approx(losses["fp32"], rel=0.03) and losses["bf16"] != losses["fp32"]


def test_a_prompt_shared_by_a_batch_goes_through_once_with_the_loss_and_gradients_of_whole_passes(dataset: Path) -> None:
    from dataclasses import replace

    from peft import LoraConfig, get_peft_model

    from picoagent.train.dataset import read_samples
    from picoagent.train.fit import TARGET_MODULES, _Trainer, load_base, store_frozen_weights_in_bf16

    def doubled(sample):
        """The sample with its replies and observations once more: past the 512-token sliding
        window, so those layers must see across the shared prompt's end as a whole pass does."""
        first = sample.targets[0][0]
        shift = len(sample.input_ids) - first
        return replace(sample, input_ids=sample.input_ids + sample.input_ids[first:], targets=sample.targets + [(a + shift, b + shift) for a, b in sample.targets])

    samples = [doubled(s) for s in read_samples(dataset)]
    assert min(len(s.input_ids) for s in samples) > 512
    torch.manual_seed(0)
    model = get_peft_model(load_base(default_model_path()), LoraConfig(r=4, lora_alpha=8, target_modules=list(TARGET_MODULES), init_lora_weights=False))
    trainer = _Trainer(model, "cpu", "fp32", max_seq=2048)
    [(prefix, members)] = trainer.prefix_groups(samples)
    assert len(members) == 3 and 300 < len(prefix) < min(s.targets[0][0] for s in samples), "the system prompt and tools, not a reply"
    trainable = [p for p in model.parameters() if p.requires_grad]
    targets = sum(trainer.target_count(s) for s in samples)

    def gradients() -> list[torch.Tensor]:
        taken = [p.grad.clone() for p in trainable]
        model.zero_grad(set_to_none=True)
        return taken

    whole = 0.0
    for sample in samples:
        loss, _, _ = trainer.loss([sample])
        (loss / targets).backward()
        whole += float(loss.detach())
    expected = gradients()
    for micro_batch in (1, 3):
        shared, sequence = trainer.accumulate(samples, micro_batch, targets)
        assert sequence == sum(len(s.input_ids) for s in samples), "throughput counts every token the model saw"
        assert shared == pytest.approx(whole, rel=1e-5)
        got = gradients()
        difference = sum(float((a - b).norm() ** 2) for a, b in zip(expected, got)) ** 0.5
        assert difference < 1e-4 * sum(float(a.norm() ** 2) for a in expected) ** 0.5, f"micro-batch {micro_batch}: gradients differ by {difference}"
    assert trainer.validation_loss(samples, 1) == pytest.approx(whole / targets, rel=1e-5)

    # Frozen weights stored in bf16 give the very loss autocast gives with them in fp32.
    in_bf16 = _Trainer(model, "cpu", "bf16", max_seq=2048)
    with torch.no_grad():
        autocast_only = float(in_bf16.loss(samples)[0])
        store_frozen_weights_in_bf16(model)
        stored = float(in_bf16.loss(samples)[0])
    assert stored == autocast_only and stored != pytest.approx(whole, rel=1e-6)
    assert all(p.dtype == torch.float32 for p in trainable), "the LoRA weights stay fp32"


def greedy_torch(model, ids: list[int], count: int) -> list[int]:
    with torch.no_grad():
        out = model.generate(torch.tensor([ids]), max_new_tokens=count, do_sample=False)
    return out[0, len(ids) :].tolist()


def greedy_llama(local_model, ids: list[int], count: int) -> list[int]:
    local_model.llm.reset()
    tokens: list[int] = []
    for token in local_model.llm.generate(ids, temp=0.0, top_k=1):
        tokens.append(token)
        if len(tokens) == count:
            return tokens
    return tokens


def test_the_exported_adapter_and_merged_model_run_in_llama_cpp_as_in_torch(tmp_path: Path) -> None:
    from peft import LoraConfig, get_peft_model

    from picoagent.models import load_model
    from picoagent.train.export import export_adapter, export_merged
    from picoagent.train.fit import TARGET_MODULES, load_base

    # Trained adapters start from B = 0; a random one changes the outputs, so agreement means something.
    torch.manual_seed(0)
    model = get_peft_model(load_base(default_model_path()), LoraConfig(r=4, lora_alpha=8, target_modules=list(TARGET_MODULES), init_lora_weights=False))
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "lora_B" in name:
                parameter.mul_(0.05)
    model.save_pretrained(tmp_path / "adapter")
    written = export_adapter(tmp_path / "adapter", tmp_path / "adapter.gguf", default_model_path())
    assert written["tensors"] == 18 * 7 * 2 and written["architecture"] == "gemma3"

    export_merged(tmp_path / "adapter", tmp_path / "merged.gguf", default_model_path())
    tuned = load_model(f"local+adapter:{tmp_path / 'adapter.gguf'}", n_ctx=512)
    merged = load_model(f"local:{tmp_path / 'merged.gguf'}", n_ctx=512)
    assert tuned.name == "local:gemma-3-270m-q4_k_m.gguf+adapter:adapter.gguf"
    prompts = ["The capital of France is", "def fibonacci(n):", "<start_of_turn>user\nList three colors.<end_of_turn>\n<start_of_turn>model\n"]
    text = 'Spaces   and\ttabs {"a": 1} <start_of_turn>model\n ünïcode 日本'
    assert merged.llm.tokenize(text.encode(), special=True) == tuned.llm.tokenize(text.encode(), special=True), "the merged model keeps the base's tokenizer"
    agree = merged_agree = changed = 0
    model.eval()
    for prompt in prompts:
        ids = tuned.llm.tokenize(prompt.encode(), add_bos=True, special=True)
        torch_tokens = greedy_torch(model, ids, 12)
        with model.disable_adapter():
            base_tokens = greedy_torch(model, ids, 12)
        agree += torch_tokens == greedy_llama(tuned, ids, 12)
        merged_agree += torch_tokens == greedy_llama(merged, ids, 12)
        changed += torch_tokens != base_tokens
    assert changed >= 1, "the adapter changes what the model writes"
    assert agree == 3, f"llama.cpp with the adapter agreed with torch on {agree} of 3 prompts"
    assert merged_agree == 3, f"the merged model agreed with torch on {merged_agree} of 3 prompts"


def test_an_adapter_for_another_base_is_refused_by_name(tmp_path: Path) -> None:
    import gguf
    import numpy as np
    from peft import LoraConfig, get_peft_model

    from picoagent.models.local import LocalModel
    from picoagent.train.export import export_adapter
    from picoagent.train.fit import load_base

    other = tmp_path / "other.gguf"
    writer = gguf.GGUFWriter(str(other), "gemma3")
    writer.add_tensor("blk.0.attn_q.weight", np.zeros((512, 640), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    model = get_peft_model(load_base(default_model_path()), LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj"]))
    model.save_pretrained(tmp_path / "adapter")
    with pytest.raises(ConfigError, match="made for another base: blk.0.attn_q.weight.lora_b is \\(1024, 2\\), other.gguf needs \\(512, 2\\)"):
        export_adapter(tmp_path / "adapter", tmp_path / "x.gguf", other)
    with pytest.raises(ConfigError, match="not an adapter directory"):
        export_adapter(tmp_path, tmp_path / "x.gguf", default_model_path())

    export_adapter(tmp_path / "adapter", tmp_path / "adapter.gguf", default_model_path())
    copy = tmp_path / "same-arch-other-weights.gguf"
    copy.write_bytes(default_model_path().read_bytes()[:-16] + b"\0" * 16)
    with pytest.raises(ModelError, match="the adapter adapter.gguf was trained on another base model than same-arch-other-weights.gguf"):
        LocalModel(copy, adapter=tmp_path / "adapter.gguf", n_ctx=256)
    with pytest.raises(ModelError, match="adapter file not found"):
        LocalModel(default_model_path(), adapter=tmp_path / "missing.gguf", n_ctx=256)
