"""LoRA fine-tuning of the embedded model, on the same weights the engine runs.

The base is read from the GGUF that the local backend loads (transformers de-quantizes it
to fp32), so there is one source of weights; the fp32 copy is cached once, keyed by the
GGUF's sha256, because reading the GGUF takes about a minute and the cache seconds.

One sample is one whole trajectory, one forward pass. The loss is computed only at the
target positions: Gemma's output head has 262,144 rows, and on a CPU projecting every
position through it costs more than the transformer body. The prompt that a step's
trajectories begin with (system prompt and tools: about 60% of their tokens) goes through
the model once per step, not once per trajectory; their rest attends to its keys and values.
Checkpoints (adapter, optimizer, schedule, step) are written atomically every few steps and
on Ctrl-C or SIGTERM; `--resume` continues from the last one, bit for bit on the same data
order.

torch, transformers and peft are the `train` extra, imported only here.
"""

from __future__ import annotations

import json
import math
import os
import random
import resource
import shutil
import signal
import time
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

from picoagent.errors import ConfigError, PicoagentError
from picoagent.models.weights import cache_dir, file_sha256
from picoagent.tempdirs import owned_temp_dir, remove_temp_dir
from picoagent.train.dataset import Sample, read_samples

# Every linear layer of attention and MLP: what the signal test in ../shared/notes adapted.
TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
CHECKPOINT = "checkpoint"
PREVIOUS_CHECKPOINT = f"{CHECKPOINT}.old"  # set aside while a new checkpoint takes its place
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "bf16", "fp32")
FIT_REPORT = "fit.json"
VAL_SAMPLES_MAX = 64
# Padded tokens per micro-batch sample, on average: what the memory of a micro-batch is sized for.
MICRO_BATCH_AVERAGE_TOKENS = 1024
# Shortest beginning worth computing once for several trajectories: an extra forward pass per
# group costs more than a few dozen tokens saved.
MIN_SHARED_PREFIX = 64


class FitInterrupted(PicoagentError):
    """Training stopped on a signal after saving a checkpoint."""


@dataclass
class FitOptions:
    epochs: float = 2.0
    lora_r: int = 16
    lora_alpha: float = 32.0
    learning_rate: float = 2e-4
    # Samples (trajectories) whose gradients make one optimizer step.
    batch: int = 4
    # Samples in one forward pass, padded to the longest (None: 1 on a CPU, where padding is
    # wasted work, 16 on CUDA, where one short sequence leaves the GPU idle between kernels).
    micro_batch: int | None = None
    max_seq: int = 2048
    device: str = "auto"
    # Matrix products in bf16 (autocast; the weights and LoRA parameters stay fp32) or fp32.
    # auto: bf16 on CUDA and on a CPU with native bf16 (AVX512-BF16 or AMX), where a bf16
    # product runs 2.6 times as fast as fp32 (measured here); fp32 elsewhere, where bf16 is emulated.
    precision: str = "auto"
    # CPU threads for torch (None: one per core). On a shared machine one thread is slower
    # when the machine is quiet but never collapses when other jobs take the cores.
    threads: int | None = None
    seed: int = 0
    save_every: int = 20
    eval_every: int = 50
    # Stop after this many optimizer steps (None: the epochs decide); for smoke tests and budgets.
    max_steps: int | None = None
    warmup_fraction: float = 0.05

    def __post_init__(self) -> None:
        # Checked here, not where torch is imported, so that a typo is refused before the
        # base model loads (a minute the first time).
        if self.device not in DEVICES:
            raise ConfigError(f"unknown device {self.device!r}: use {', '.join(DEVICES[:-1])} or {DEVICES[-1]}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"unknown precision {self.precision!r}: use {', '.join(PRECISIONS[:-1])} or {PRECISIONS[-1]}")

    def identity(self) -> dict[str, Any]:
        """What a resumed fit must share with the one it continues."""
        data = asdict(self)
        for key in ("device", "precision", "threads", "micro_batch", "save_every", "eval_every", "max_steps"):
            data.pop(key)
        return data


@dataclass
class Progress:
    step: int
    total_steps: int
    loss: float
    target_tokens_per_s: float
    sequence_tokens_per_s: float
    eta_s: float
    val_loss: float | None = None


@dataclass
class FitState:
    step: int = 0
    elapsed_s: float = 0.0
    sequence_tokens: int = 0
    target_tokens: int = 0
    losses: list[tuple[int, float]] = field(default_factory=list)
    val_losses: list[tuple[int, float]] = field(default_factory=list)


def _device(requested: str) -> str:
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda: torch sees no CUDA device here; use --device cpu or auto")
    return requested


def _precision(requested: str, device: str) -> str:
    import torch

    if requested != "auto":
        return requested
    if device == "cuda" or torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported():
        return "bf16"
    return "fp32"


def load_base(gguf: Path) -> Any:
    """The GGUF's weights as an fp32 transformers model, cached as safetensors after the first load."""
    import torch
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()  # its per-tensor loading bar and deprecation notes are noise here
    transformers_logging.disable_progress_bar()
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")
    if not gguf.is_file():
        raise ConfigError(f"base model not found: {gguf}")
    cached = cache_dir().parent / "train" / f"base-{file_sha256(gguf)[:16]}"
    if (cached / "config.json").is_file():
        return AutoModelForCausalLM.from_pretrained(cached, dtype=torch.float32)
    try:
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"transformers cannot read {gguf} as a base model: {exc}") from None
    # De-quantized weights are plain fp32; the GGUF quantizer attached on load refuses training and saving.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    partial = cached.with_name(cached.name + f".{os.getpid()}.part")
    model.save_pretrained(partial)
    shutil.rmtree(cached, ignore_errors=True)
    partial.rename(cached)
    return model


def dataset_digest(path: Path) -> str:
    return file_sha256(path)


def _lr_at(step: int, total: int, options: FitOptions) -> float:
    """Linear warm-up, then cosine decay to a tenth of the peak."""
    warmup = max(1, int(total * options.warmup_fraction))
    if step < warmup:
        return options.learning_rate * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return options.learning_rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def _order(train: list[Sample], epochs: float, seed: int) -> list[int]:
    """Sample indices for the whole fit: each epoch a fresh seeded shuffle, so a resume replays it."""
    order: list[int] = []
    for epoch in range(math.ceil(epochs)):
        indices = list(range(len(train)))
        random.Random(seed * 1_000_003 + epoch).shuffle(indices)
        order += indices
    return order[: max(1, round(epochs * len(train)))]


def _prefix_groups(beginnings: list[list[int]]) -> list[tuple[list[int], list[int]]]:
    """Indices of token lists grouped by the beginning they share, each group with it ([] if none).

    A list joins the group it shares the longest beginning with, if that is at least half the
    group's and MIN_SHARED_PREFIX tokens: trajectories in one action format share their whole
    prompt, and one in another format does not cut theirs down to the few tokens all share.
    """
    groups: list[tuple[list[int], list[int]]] = []
    for index, ids in enumerate(beginnings):
        best, shared = None, 0
        for number, (prefix, _) in enumerate(groups):
            common = next((n for n, (a, b) in enumerate(zip(prefix, ids)) if a != b), min(len(prefix), len(ids)))
            if common > shared and common >= max(MIN_SHARED_PREFIX, len(prefix) // 2):
                best, shared = number, common
        if best is None:
            groups.append((ids, [index]))
        else:
            prefix, members = groups[best]
            groups[best] = (prefix[:shared], members + [index])
    # One trajectory alone gains nothing from computing its beginning apart.
    return [(prefix if len(members) > 1 and len(prefix) >= MIN_SHARED_PREFIX else [], members) for prefix, members in groups]


@dataclass
class _SharedPrefix:
    """The keys and values of the tokens that several trajectories begin with, computed once.

    While training, the trajectories' backward passes collect the gradient of these keys and
    values in `leaves`; `backward` then carries it through the prefix's own forward pass, once.
    """

    length: int
    computed: list[Any]
    leaves: list[Any]

    def backward(self) -> None:
        import torch

        pairs = [(tensor, leaf.grad) for tensor, leaf in zip(self.computed, self.leaves) if leaf.grad is not None]
        if pairs:
            torch.autograd.backward([tensor for tensor, _ in pairs], [grad for _, grad in pairs])


class _Trainer:
    def __init__(self, model: Any, device: str, precision: str, max_seq: int):
        import torch

        self.torch = torch
        self.model = model
        self.device = device
        self.bf16 = precision == "bf16"
        self.max_seq = max_seq
        base = model.get_base_model()
        self.body = base.model
        self.head = base.lm_head
        self.softcap = getattr(base.config, "final_logit_softcapping", None)
        # The output head shares its weights with the fp32 input embedding, so it cannot be
        # stored in bf16 like the body's (`store_frozen_weights_in_bf16`); a bf16 copy made once
        # spares casting all 262,144 rows again in every forward pass.
        self.head_weight = self.head.weight.detach().to(torch.bfloat16) if self.bf16 else self.head.weight
        # A prefix longer than a sliding-window layer keeps would be cut in its cache; staying
        # within it keeps the cache exactly what one whole forward pass would have seen.
        window = getattr(self.body.config, "sliding_window", None)
        self.max_prefix = window - 1 if window else max_seq

    def _positions(self, sample: Sample) -> list[int]:
        """Where the model predicts a target token: the position before it (sequences cut at max_seq)."""
        length = min(len(sample.input_ids), self.max_seq)
        return [t - 1 for start, end in sample.targets for t in range(start, min(end, length))]

    def target_count(self, sample: Sample) -> int:
        return len(self._positions(sample))

    def _shareable(self, sample: Sample) -> list[int]:
        """The tokens of a sample that may go in a shared prefix: those before its first prediction."""
        positions = self._positions(sample)
        end = positions[0] if positions else min(len(sample.input_ids), self.max_seq) - 1
        return sample.input_ids[: min(end, self.max_prefix)]

    def prefix_groups(self, samples: list[Sample]) -> list[tuple[list[int], list[Sample]]]:
        """The samples grouped by the beginning they share, each group with that beginning ([] if none)."""
        return [(prefix, [samples[i] for i in members]) for prefix, members in _prefix_groups([self._shareable(s) for s in samples])]

    def shared_prefix(self, ids: list[int]) -> _SharedPrefix:
        torch = self.torch
        with torch.autocast(device_type=self.device, dtype=torch.bfloat16, enabled=self.bf16):
            cache = self.body(input_ids=torch.tensor([ids], device=self.device), use_cache=True).past_key_values
        computed = [tensor for layer in cache.layers for tensor in (layer.keys, layer.values)]
        leaves = [tensor.detach().requires_grad_(torch.is_grad_enabled()) for tensor in computed]
        return _SharedPrefix(len(ids), computed, leaves)

    def _cache_for(self, prefix: _SharedPrefix, rows: int) -> Any:
        from transformers import DynamicCache

        cache = DynamicCache(config=self.body.config)
        for layer, (keys, values) in zip(cache.layers, zip(prefix.leaves[0::2], prefix.leaves[1::2])):
            layer.update(keys.expand(rows, -1, -1, -1), values.expand(rows, -1, -1, -1))
        return cache

    def loss(self, samples: list[Sample], prefix: _SharedPrefix | None = None) -> tuple[Any, int, int]:
        """Summed cross-entropy over the samples' target tokens, the target count, the sequence tokens.

        The samples go through the model in one forward pass, right-padded to the longest: the
        attention is causal, so padding after a sequence changes nothing before it, and no
        target sits in the padding. With a shared prefix, only what follows it goes through,
        attending to the prefix's keys and values.
        """
        torch = self.torch
        skip = prefix.length if prefix else 0
        sequence = sum(min(len(sample.input_ids), self.max_seq) for sample in samples)
        rows = [sample.input_ids[skip : self.max_seq] for sample in samples]
        width = max(len(ids) for ids in rows)
        flat_positions = [row * width + p - skip for row, sample in enumerate(samples) for p in self._positions(sample)]
        if not flat_positions:
            return None, 0, sequence
        input_ids = torch.tensor([ids + [0] * (width - len(ids)) for ids in rows], device=self.device)
        index = torch.tensor(flat_positions, device=self.device)
        cache = self._cache_for(prefix, len(rows)) if prefix else None
        with torch.autocast(device_type=self.device, dtype=torch.bfloat16, enabled=self.bf16):
            hidden = self.body(input_ids=input_ids, past_key_values=cache, use_cache=cache is not None).last_hidden_state
            selected = hidden.reshape(-1, hidden.shape[-1]).index_select(0, index)
            logits = torch.nn.functional.linear(selected.to(self.head_weight.dtype), self.head_weight).float()
        if self.softcap:
            logits = torch.tanh(logits / self.softcap) * self.softcap
        labels = input_ids.reshape(-1).index_select(0, index + 1)
        return torch.nn.functional.cross_entropy(logits, labels, reduction="sum"), len(flat_positions), sequence

    def accumulate(self, batch: list[Sample], micro_batch: int, targets: int) -> tuple[float, int]:
        """Gradients of one optimizer step (the loss per target token); its summed loss and sequence tokens.

        Backward runs per micro-batch, so only its activations are in memory at a time, and
        once more through each shared prefix at the end.
        """
        summed, sequence = 0.0, 0
        for prefix_ids, group in self.prefix_groups(batch):
            prefix = self.shared_prefix(prefix_ids) if prefix_ids else None
            for micro in _micro_batches(group, micro_batch, self.max_seq):
                loss, _, length = self.loss(micro, prefix)
                sequence += length
                if loss is not None:
                    (loss / targets).backward()
                    summed += float(loss.detach())
            if prefix is not None:
                prefix.backward()
        return summed, sequence

    def validation_loss(self, samples: list[Sample], micro_batch: int) -> float:
        torch = self.torch
        total, count = 0.0, 0
        self.model.eval()
        with torch.no_grad():
            for prefix_ids, group in self.prefix_groups(samples[:VAL_SAMPLES_MAX]):
                prefix = self.shared_prefix(prefix_ids) if prefix_ids else None
                for micro in _micro_batches(group, micro_batch, self.max_seq):
                    loss, targets, _ = self.loss(micro, prefix)
                    if loss is not None:
                        total += float(loss)
                        count += targets
        self.model.train()
        return total / max(count, 1)


def store_frozen_weights_in_bf16(model: Any) -> None:
    """The frozen linear weights of the transformer body in bf16, for a fit in bf16.

    Autocast would round them to bf16 for every product anyway, so the loss is the same; stored
    so, they take half the memory and are not cast again in each forward pass and kept for the
    backward one. The LoRA weights, norms and embedding stay fp32.
    """
    import torch

    for module in model.get_base_model().model.modules():
        if isinstance(module, torch.nn.Linear) and not module.weight.requires_grad:
            module.weight.data = module.weight.data.to(torch.bfloat16)


def _micro_batches(batch: list[Sample], size: int, max_seq: int) -> Iterator[list[Sample]]:
    """The step's samples, shortest first, in groups of at most `size` samples and `size` x 1024
    padded tokens: neighbours in length pad little, and long trajectories go in smaller groups,
    so no group needs much more memory than the others."""
    budget = size * min(max_seq, MICRO_BATCH_AVERAGE_TOKENS)
    group: list[Sample] = []
    for sample in sorted(batch, key=lambda s: len(s.input_ids)):
        length = min(len(sample.input_ids), max_seq)
        if group and (len(group) == size or (len(group) + 1) * length > budget):
            yield group
            group = []
        group.append(sample)
    if group:
        yield group


@contextmanager
def _signals_as_interrupt() -> Iterator[None]:
    """Ctrl-C and SIGTERM (a scheduler, a session's end) stop the fit with a checkpoint.

    The fit's own handlers replace the CLI's for its duration: those unwind without a chance
    to save.
    """

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = {signum: signal.signal(signum, handler) for signum in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        for signum, earlier in previous.items():
            signal.signal(signum, earlier)


def _recover_checkpoint(out: Path) -> None:
    """A kill between _save_checkpoint's two renames leaves the previous checkpoint, as .old: put it back.

    Without this, --resume would find no checkpoint and start the fit again from step 0.
    """
    previous = out / PREVIOUS_CHECKPOINT
    if previous.is_dir() and not (out / CHECKPOINT).exists():
        previous.rename(out / CHECKPOINT)


def _save_checkpoint(model: Any, optimizer: Any, state: FitState, out: Path, meta: dict[str, Any]) -> None:
    import torch

    partial = out / f"{CHECKPOINT}.part"
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    torch.save({"optimizer": optimizer.state_dict(), "state": asdict(state), "torch_rng": torch.get_rng_state()}, partial / "trainer.pt")
    (partial / "meta.json").write_text(json.dumps(meta, indent=2))
    final = out / CHECKPOINT
    previous = out / PREVIOUS_CHECKPOINT
    if final.exists():
        final.rename(previous)
    partial.rename(final)
    shutil.rmtree(previous, ignore_errors=True)


@contextmanager
def _init_adapter(init: Path | None, base_gguf: Path, options: FitOptions) -> Iterator[Path | None]:
    """The peft directory `--init` names, checked against the options, for as long as the model loads.

    A LoRA GGUF (the shipped adapter exists only as one) is imported into a temporary
    directory, removed on the way out, so that a refused or interrupted fit leaves nothing
    of it in the output.
    """
    if init is None:
        yield None
        return
    scratch = owned_temp_dir("picoagent-init-") if init.is_file() else None
    try:
        directory = init
        if scratch is not None:
            from picoagent.train.export import import_adapter

            directory = import_adapter(init, scratch, base_gguf)
        if not (directory / "adapter_config.json").is_file():
            raise ConfigError(f"--init {init}: neither an adapter directory (from `picoagent train fit`) nor a LoRA GGUF")
        config = json.loads((directory / "adapter_config.json").read_text())
        if (config.get("r"), config.get("lora_alpha")) != (options.lora_r, options.lora_alpha):
            raise ConfigError(f"--init {init} has rank {config.get('r')} and alpha {config.get('lora_alpha')}: pass the same --lora-r and --lora-alpha")
        yield directory
    finally:
        if scratch is not None:
            remove_temp_dir(scratch)


def fit(
    data: Path,
    out: Path,
    base_gguf: Path,
    options: FitOptions,
    *,
    resume: bool = False,
    init: Path | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> dict[str, Any]:
    """Train a LoRA adapter on the dataset; writes OUT/adapter_model.safetensors and OUT/fit.json.

    `init` starts from an earlier adapter's weights (its rank and alpha), with a fresh
    optimizer and schedule: more training on new data without starting over. It is an
    adapter directory or a LoRA GGUF (such as the shipped adapter).
    """
    samples = read_samples(data)
    train = [s for s in samples if s.split == "train"]
    val = [s for s in samples if s.split == "val"]
    if not train:
        raise ConfigError(f"{data} has no training samples (split 'train')")
    device = _device(options.device)
    precision = _precision(options.precision, device)
    checkpoint = out / CHECKPOINT
    _recover_checkpoint(out)
    if checkpoint.is_dir() and not resume:
        raise ConfigError(f"{out} holds a checkpoint of an unfinished fit: add --resume to continue it, or choose another --out")
    with _init_adapter(init, base_gguf, options) as init_dir:
        meta = {
            "dataset_sha256": dataset_digest(data),
            "base_sha256": file_sha256(base_gguf),
            "init_sha256": None if init is None else file_sha256(init if init.is_file() else init / "adapter_model.safetensors"),
            "options": options.identity(),
        }
        if resume and checkpoint.is_dir():
            saved = json.loads((checkpoint / "meta.json").read_text())
            differs = [key for key in meta if saved.get(key) != meta[key]]
            if differs:
                raise ConfigError(f"cannot resume {out}: its checkpoint was made with another {', '.join(differs)}; use the same data and options")

        import torch
        from peft import LoraConfig, PeftModel, get_peft_model

        torch.manual_seed(options.seed)
        if device == "cpu":
            torch.set_num_threads(options.threads or os.cpu_count() or 1)
        base = load_base(base_gguf)
        state = FitState()
        if resume and checkpoint.is_dir():
            model = PeftModel.from_pretrained(base, checkpoint, is_trainable=True)
        elif init_dir is not None:
            model = PeftModel.from_pretrained(base, init_dir, is_trainable=True)
        else:
            lora = LoraConfig(r=options.lora_r, lora_alpha=options.lora_alpha, target_modules=list(TARGET_MODULES), lora_dropout=0.0, bias="none", task_type="CAUSAL_LM")
            model = get_peft_model(base, lora)
        model.to(device)
        model.train()
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=options.learning_rate, weight_decay=0.0)
        if resume and checkpoint.is_dir():
            saved_state = torch.load(checkpoint / "trainer.pt", weights_only=False)
            optimizer.load_state_dict(saved_state["optimizer"])
            state = FitState(**{**saved_state["state"], "losses": [tuple(x) for x in saved_state["state"]["losses"]], "val_losses": [tuple(x) for x in saved_state["state"]["val_losses"]]})
            torch.set_rng_state(saved_state["torch_rng"])

    if precision == "bf16":
        store_frozen_weights_in_bf16(model)
    trainer = _Trainer(model, device, precision, options.max_seq)
    micro_batch = options.micro_batch or (16 if device == "cuda" else 1)
    order = _order(train, options.epochs, options.seed)
    total_steps = math.ceil(len(order) / options.batch)
    if options.max_steps is not None:
        total_steps = min(total_steps, options.max_steps)
    session_started = time.monotonic()
    session_tokens = 0
    session_steps = 0

    def elapsed() -> float:
        return state.elapsed_s + time.monotonic() - session_started

    with _signals_as_interrupt():
        try:
            while state.step < total_steps:
                batch = [train[i] for i in order[state.step * options.batch : (state.step + 1) * options.batch]]
                for group in optimizer.param_groups:
                    group["lr"] = _lr_at(state.step, total_steps, options)
                targets = sum(trainer.target_count(sample) for sample in batch)
                summed, sequence = trainer.accumulate(batch, micro_batch, targets)
                if targets:
                    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
                    optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                step_loss = summed / max(targets, 1)
                state.step += 1
                state.sequence_tokens += sequence
                state.target_tokens += targets
                state.losses.append((state.step, step_loss))
                session_tokens += sequence
                session_steps += 1
                val_loss = None
                if val and (state.step % options.eval_every == 0 or state.step == total_steps):
                    val_loss = trainer.validation_loss(val, micro_batch)
                    state.val_losses.append((state.step, val_loss))
                if state.step % options.save_every == 0 and state.step < total_steps:
                    _save_checkpoint(model, optimizer, FitState(**{**asdict(state), "elapsed_s": elapsed()}), out, meta)
                if on_progress is not None:
                    spent = time.monotonic() - session_started
                    on_progress(
                        Progress(
                            step=state.step,
                            total_steps=total_steps,
                            loss=step_loss,
                            target_tokens_per_s=state.target_tokens / max(elapsed(), 1e-9),
                            sequence_tokens_per_s=session_tokens / max(spent, 1e-9),
                            eta_s=spent / session_steps * (total_steps - state.step),
                            val_loss=val_loss,
                        )
                    )
        except KeyboardInterrupt:
            _save_checkpoint(model, optimizer, FitState(**{**asdict(state), "elapsed_s": elapsed()}), out, meta)
            raise FitInterrupted(f"interrupted at step {state.step} of {total_steps}; checkpoint saved in {checkpoint}: continue with --resume") from None

    model.save_pretrained(out)
    report = {
        **meta,
        "device": device,
        "precision": precision,
        "train_samples": len(train),
        "val_samples": len(val),
        "steps": state.step,
        "epochs": options.epochs,
        "wall_s": round(elapsed(), 1),
        "sequence_tokens": state.sequence_tokens,
        "target_tokens": state.target_tokens,
        "sequence_tokens_per_s": round(state.sequence_tokens / max(elapsed(), 1e-9), 1),
        "target_tokens_per_s": round(state.target_tokens / max(elapsed(), 1e-9), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "final_train_loss": state.losses[-1][1] if state.losses else None,
        "val_losses": state.val_losses,
        "losses": state.losses,
    }
    (out / FIT_REPORT).write_text(json.dumps(report, indent=2))
    shutil.rmtree(checkpoint, ignore_errors=True)
    return report

