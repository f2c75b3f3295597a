from pathlib import Path

from picoagent.models import portable_spec


def test_portable_spec_makes_files_absolute_and_leaves_names_alone(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert portable_spec("local") == "local"
    assert portable_spec("local:base") == "local:base", "base names the default weights, not a file"
    assert portable_spec("openai:qwen") == "openai:qwen"
    assert portable_spec("scripted:run.json") == f"scripted:{tmp_path / 'run.json'}"
    assert portable_spec("local:m.gguf+adapter:a.gguf") == f"local:{tmp_path / 'm.gguf'}+adapter:{tmp_path / 'a.gguf'}"
    assert portable_spec("local+adapter:a.gguf") == f"local+adapter:{tmp_path / 'a.gguf'}"
