from __future__ import annotations

from picoagent.tools.web.snapshot import part_holding_line, prune_snapshot, split_parts

RAW = """- generic [active] [ref=e1]:
  - banner [ref=e2]:
    - navigation "Main" [ref=e3]:
      - link "Home" [ref=e4] [cursor=pointer]:
        - /url: /index.html
  - main [ref=e5]:
    - heading "Place an order" [level=1] [ref=e6]
    - generic [ref=e7]:
      - paragraph [ref=e8]:
        - text: Email
        - textbox "Email" [ref=e9]
      - generic [ref=e10] [cursor=pointer]: Show more
      - paragraph [ref=e11]: Prices include VAT.
    - table [ref=e12]:
      - rowgroup [ref=e13]:
        - row "Can $24.90" [ref=e14]:
          - cell "Can" [ref=e15]
          - cell "$24.90" [ref=e16]"""


def test_prune_keeps_refs_only_where_the_model_can_act_and_unwraps_empty_containers():
    assert prune_snapshot(RAW).text == """- banner:
  - navigation "Main":
    - link "Home" [ref=e4]:
      - /url: /index.html
- main:
  - heading "Place an order" [level=1]
  - textbox "Email" [ref=e9]
  - generic [ref=e10]: Show more
  - text: Prices include VAT.
  - table:
    - row "Can $24.90":
      - cell "Can"
      - cell "$24.90\""""


def test_parts_split_at_line_boundaries_within_the_bound():
    text = "\n".join(f"- link \"Story {n}\" [ref=e{n}]" for n in range(200))
    parts = split_parts(text, 500)
    assert len(parts) > 5
    assert all(len(part) <= 500 for part in parts)
    assert "\n".join(parts) == text


def test_the_first_element_on_screen_is_found_and_its_part_located():
    raw = "\n".join(f'- heading "Story {n}" [level=2] [ref=e{n}] [box=8,{(n - 10) * 260},700,30]' for n in range(40))
    pruned = prune_snapshot(raw, viewport_height=800)
    assert "[box=" not in pruned.text
    lines = pruned.text.splitlines()
    assert lines[pruned.first_visible_line] == '- heading "Story 10" [level=2]'
    parts = split_parts(pruned.text, 200)
    holding = part_holding_line(parts, pruned.first_visible_line)
    assert '"Story 10"' in parts[holding - 1] and '"Story 10"' not in "".join(parts[: holding - 1])


def test_refs_are_read_from_what_small_models_write():
    from picoagent.tools.web.browser_tools import RefNotFound, normalize_ref

    assert [normalize_ref(r) for r in ("e12", "[ref=e12]", "ref=E12", " 12 ", "f1e12", "[ref=f2e7]")] == ["e12", "e12", "e12", "e12", "f1e12", "f2e7"]
    for bad in ("the button", ""):
        try:
            normalize_ref(bad)
        except RefNotFound:
            continue
        raise AssertionError(f"{bad!r} was accepted")
