"""Export a trained adapter as a llama.cpp LoRA GGUF that the embedded backend loads.

The file follows llama.cpp's adapter format: `general.type = adapter`, the base's
architecture, `adapter.type = lora`, `adapter.lora.alpha`, and for every adapted weight
`<base tensor name>.lora_a` (numpy shape (r, n_in)) and `.lora_b` ((n_out, r)); llama.cpp
scales B·A by alpha / r, as peft does. Names and shapes are checked against the base GGUF,
so an adapter made for another base is refused here, by name, not at load time.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from picoagent.errors import ConfigError
from picoagent.models.weights import ADAPTER_BASE_SHA_KEY, check_adapter_base, file_sha256

# peft module path (after `model.layers.N.`) -> llama.cpp tensor name (after `blk.N.`)
GGUF_NAMES = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
PEFT_KEY = re.compile(r"(?:.*\.)?layers\.(\d+)\.(.+)\.lora_([AB])\.weight$")


def adapter_tensors(adapter_dir: Path) -> tuple[dict[str, "object"], float, int]:
    """GGUF-named LoRA tensors of a peft adapter directory, with its alpha and rank."""
    from safetensors.numpy import load_file

    config_path, weights_path = adapter_dir / "adapter_config.json", adapter_dir / "adapter_model.safetensors"
    if not config_path.is_file() or not weights_path.is_file():
        raise ConfigError(f"{adapter_dir} is not an adapter directory: it needs adapter_config.json and adapter_model.safetensors (from `picoagent train fit`)")
    config = json.loads(config_path.read_text())
    rank, alpha = int(config["r"]), float(config["lora_alpha"])
    tensors = {}
    for key, value in load_file(str(weights_path)).items():
        match = PEFT_KEY.match(key)
        if not match or match.group(2) not in GGUF_NAMES:
            raise ConfigError(f"{adapter_dir}: tensor {key} is not a LoRA weight of an attention or MLP projection")
        layer, module, half = match.groups()
        tensors[f"blk.{layer}.{GGUF_NAMES[module]}.weight.lora_{half.lower()}"] = value.astype("float32")
    return tensors, alpha, rank


def export_adapter(adapter_dir: Path, out: Path, base_gguf: Path) -> dict[str, object]:
    """Write `out` (a LoRA GGUF for `base_gguf`) and return what was written.

    Tensors are stored as float16: half the size of float32, and measured closer to torch. With
    float16 tensors llama.cpp wrote the same greedy tokens as torch on 3 of 3 test prompts, with
    float32 on 1 of 3 (tests/train/test_fit_export.py).
    """
    import gguf
    import numpy as np

    tensors, alpha, rank = adapter_tensors(adapter_dir)
    reader = gguf.GGUFReader(str(base_gguf))
    architecture = reader.fields["general.architecture"].contents()
    base_shapes = {tensor.name: [int(d) for d in tensor.shape] for tensor in reader.tensors}
    for name, value in tensors.items():
        base_name, half = name.rsplit(".lora_", 1)
        if base_name not in base_shapes:
            raise ConfigError(f"the adapter was made for another base: {base_gguf.name} has no tensor {base_name}")
        n_in, n_out = base_shapes[base_name]
        expected = (rank, n_in) if half == "a" else (n_out, rank)
        if tuple(value.shape) != expected:
            raise ConfigError(f"the adapter was made for another base: {name} is {tuple(value.shape)}, {base_gguf.name} needs {expected}")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    writer = gguf.GGUFWriter(str(partial), architecture)
    writer.add_type("adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", alpha)
    writer.add_string(ADAPTER_BASE_SHA_KEY, file_sha256(base_gguf))
    for name in sorted(tensors):
        writer.add_tensor(name, tensors[name].astype(np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    partial.replace(out)
    return {"path": str(out), "tensors": len(tensors), "rank": rank, "alpha": alpha, "architecture": architecture, "bytes": out.stat().st_size}


def import_adapter(adapter_gguf: Path, out: Path, base_gguf: Path) -> Path:
    """Write a LoRA GGUF back as a peft adapter directory (`out`), to train further from it.

    The shipped adapter exists only as a GGUF; `fit --init FILE.gguf` starts from it through
    this. Tensors come back as float32 from the file's float16, so the start is the adapter
    the engine runs, not the fit's last fp32 weights. An adapter recorded for another base is
    refused by name.
    """
    import gguf
    import numpy as np
    from peft import LoraConfig
    from safetensors.numpy import save_file

    if not adapter_gguf.is_file():
        raise ConfigError(f"adapter not found: {adapter_gguf}")
    try:
        reader = gguf.GGUFReader(str(adapter_gguf))
    except (ValueError, OSError) as exc:
        raise ConfigError(f"{adapter_gguf} is not a GGUF file: {exc}") from None
    fields = reader.fields
    if "adapter.lora.alpha" not in fields or "adapter.type" not in fields or fields["adapter.type"].contents() != "lora":
        raise ConfigError(f"{adapter_gguf} is not a LoRA adapter GGUF (no adapter.type = lora)")
    check_adapter_base(adapter_gguf, base_gguf)
    peft_names = {gguf_name: module for module, gguf_name in GGUF_NAMES.items()}
    tensors: dict[str, object] = {}
    ranks = set()
    modules = set()
    for tensor in reader.tensors:
        match = re.fullmatch(r"blk\.(\d+)\.(\w+)\.weight\.lora_([ab])", tensor.name)
        if not match or match.group(2) not in peft_names:
            raise ConfigError(f"{adapter_gguf.name}: tensor {tensor.name} is not a LoRA weight of an attention or MLP projection")
        layer, name, half = match.groups()
        value = np.array(tensor.data, dtype=np.float32).reshape([int(d) for d in reversed(tensor.shape)])
        ranks.add(value.shape[0] if half == "a" else value.shape[1])
        modules.add(peft_names[name].rsplit(".", 1)[1])
        tensors[f"base_model.model.model.layers.{layer}.{peft_names[name]}.lora_{half.upper()}.weight"] = value
    if len(ranks) != 1:
        raise ConfigError(f"{adapter_gguf.name}: its LoRA tensors have ranks {sorted(ranks)}; one rank is needed")
    rank = ranks.pop()
    out.mkdir(parents=True, exist_ok=True)
    config = LoraConfig(r=rank, lora_alpha=float(fields["adapter.lora.alpha"].contents()), target_modules=sorted(modules), lora_dropout=0.0, bias="none", task_type="CAUSAL_LM")
    config.save_pretrained(str(out))
    save_file(tensors, str(out / "adapter_model.safetensors"))
    return out


def export_merged(adapter_dir: Path, out: Path, base_gguf: Path) -> dict[str, object]:
    """Write a whole model: the base GGUF with the adapter merged into its weights.

    Every key of the base, its tokenizer included, is copied verbatim, so the merged model
    tokenizes exactly as the base does (rebuilding a GGUF from a transformers directory loses
    token types; see ../shared/notes). Adapted weights become base + (alpha / r)·B·A, stored
    as Q8_0; every other tensor keeps its bytes and quantization.
    """
    import gguf
    import numpy as np
    from gguf import quants

    tensors, alpha, rank = adapter_tensors(adapter_dir)
    deltas = {name.removesuffix(".lora_a"): (value, tensors[name.removesuffix("_a") + "_b"]) for name, value in tensors.items() if name.endswith(".lora_a")}
    reader = gguf.GGUFReader(str(base_gguf))
    architecture = reader.fields["general.architecture"].contents()
    missing = sorted(set(deltas) - {tensor.name for tensor in reader.tensors})
    if missing:
        raise ConfigError(f"the adapter was made for another base: {base_gguf.name} has no tensor {missing[0]}")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    writer = gguf.GGUFWriter(str(partial), architecture)
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":  # written by the writer itself
            continue
        value_type = field.types[0]
        writer.add_key_value(key, field.contents(), value_type, sub_type=field.types[-1] if value_type == gguf.GGUFValueType.ARRAY else None)
    for tensor in reader.tensors:
        if tensor.name in deltas:
            lora_a, lora_b = deltas[tensor.name]
            weight = quants.dequantize(tensor.data, tensor.tensor_type) + (alpha / rank) * (lora_b @ lora_a)
            if tuple(weight.shape) != (lora_b.shape[0], lora_a.shape[1]):
                raise ConfigError(f"the adapter was made for another base: {tensor.name} has shape {tuple(weight.shape)}")
            merged = quants.quantize(weight.astype(np.float32), gguf.GGMLQuantizationType.Q8_0)
            writer.add_tensor(tensor.name, merged, raw_shape=merged.shape, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            writer.add_tensor(tensor.name, tensor.data, raw_shape=tensor.data.shape, raw_dtype=tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    partial.replace(out)
    return {"path": str(out), "merged": len(deltas), "rank": rank, "alpha": alpha, "architecture": architecture, "bytes": out.stat().st_size}
