"""Lone surrogates become U+FFFD; valid text is returned unchanged."""

from picoagent.safetext import clean_text


def test_lone_surrogates_are_replaced_and_pairs_joined() -> None:
    assert clean_text("a\ud800b\udcff") == "a\ufffdb\ufffd"
    assert clean_text("\ud83d\ude00") == "\U0001f600"
    valid = "plain é 😀"
    assert clean_text(valid) is valid
    clean_text("x\udc80" * 1000).encode("utf-8")
