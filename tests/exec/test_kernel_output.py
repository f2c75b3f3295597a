"""Turning kernel messages into what the model reads: bounded streams, trimmed tracebacks, images."""

from __future__ import annotations

import base64

from picoagent.exec.kernel_output import (
    OutputCollector,
    as_terminal_shows,
    trim_traceback,
)

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def message(kind: str, **content) -> dict:
    return {"msg_type": kind, "content": content}


def test_traceback_keeps_the_models_lines_and_drops_colours_and_ipython_frames() -> None:
    lines = [
        "Traceback \x1b[36m(most recent call last)\x1b[39m:\n",
        "  File /venv/lib/python3.11/site-packages/IPython/core/interactiveshell.py:3470 in run_cell_async\n    self.history_manager.store_inputs()\n",
        "  Cell \x1b[92mIn[4]\x1b[39m, line 3\n    f()\n",
        "  File <picoagent-tools>:40 in call_tool\n    raise ToolError(reply['text'])\n",
        "\x1b[31mToolError\x1b[39m: no such file: x.txt",
    ]
    trimmed = trim_traceback(lines)
    assert trimmed == "Traceback (most recent call last):\n  Cell In[4], line 3\n    f()\nToolError: no such file: x.txt"


def test_endless_output_keeps_head_and_tail_within_bounds() -> None:
    collector = OutputCollector(limit=200)
    for number in range(10_000):
        collector.add(message("stream", name="stdout", text=f"line {number}\n"))
    stream = collector.result().stream
    assert stream.startswith("line 0\n")
    assert stream.endswith("line 9999\n")
    assert "characters omitted" in stream
    assert len(stream) < 500


def test_stdout_and_stderr_stay_in_order_and_values_are_kept_apart() -> None:
    collector = OutputCollector(limit=1000)
    collector.add(message("stream", name="stdout", text="out\n"))
    collector.add(message("stream", name="stderr", text="err\n"))
    collector.add(message("execute_result", data={"text/plain": "42"}, execution_count=1))
    output = collector.result()
    assert (output.stream, output.value) == ("out\nerr\n", "42")


def test_images_are_decoded_and_other_rich_output_falls_back_to_text() -> None:
    collector = OutputCollector(limit=1000)
    collector.add(message("display_data", data={"image/png": base64.b64encode(PNG).decode(), "text/plain": "<Image>"}))
    collector.add(message("display_data", data={"text/html": "<b>x</b>", "text/plain": "x"}))
    output = collector.result()
    assert [(image.mime, image.data, image.extension) for image in output.images] == [("image/png", PNG, "png")]
    assert output.displays == ["x"]


def test_carriage_returns_keep_only_a_progress_bars_last_state() -> None:
    assert as_terminal_shows("10%\r50%\r100%\ndone\r\n") == "100%\ndone\n"


def test_forged_messages_of_any_shape_are_shown_or_ignored_never_raised() -> None:
    collector = OutputCollector(limit=300)
    for forged in (
        {"msg_type": "stream", "content": 5},
        {"msg_type": "stream", "content": {"name": "stdout", "text": 12345}},
        {"msg_type": "stream", "content": {"name": "stdout", "text": ["a", "b\n"]}},
        {"msg_type": "display_data", "content": {"data": ["not", "a", "dict"]}},
        {"msg_type": "display_data", "content": {"data": {"image/png": "%%% not base64", "text/plain": None}}},
        {"msg_type": "display_data", "content": {"data": {"image/png": 7}}},
        {"msg_type": "execute_result", "content": {"data": {"text/plain": {"x": 1}}}},
        {"msg_type": "error", "content": {"ename": None, "evalue": 3, "traceback": "not a list"}},
        {"msg_type": "error", "content": {"ename": "E", "traceback": [1, None, "E: x"]}},
        {"content": {"text": "no type"}},
    ):
        collector.add(forged)
    output = collector.result()
    assert "12345" in output.stream and "ab\n" in output.stream
    assert output.value == "{'x': 1}" and output.images == []


def test_displays_and_images_stay_bounded_however_many_arrive() -> None:
    collector = OutputCollector(limit=1000)
    for _ in range(500):
        collector.add(message("display_data", data={"text/plain": "d" * 400}))
        collector.add(message("display_data", data={"image/png": base64.b64encode(PNG).decode()}))
    output = collector.result()
    assert sum(len(text) for text in output.displays) < 1300
    assert output.displays[-2:] == ["[497 more displayed outputs omitted]", "[492 more images omitted]"]
    assert len(output.images) == 8
