from __future__ import annotations

from picoagent.tools.web.readable import number_links, readable_page, split_chunks


def test_links_become_numbered_references_and_images_their_alt_text():
    body, links = number_links("See [the shop](http://a/shop) and [its map](http://a/map), then [the shop](http://a/shop) again. ![a sign](http://a/s.png)")
    assert body == "See the shop [1] and its map [2], then the shop [1] again. [image: a sign]"
    assert links == {1: "http://a/shop", 2: "http://a/map"}


def test_chunks_respect_the_size_and_list_only_their_own_links():
    paragraphs = [f"Paragraph {n} mentions page {n} [{n}]. " + "filler " * 40 for n in range(1, 9)]
    links = {n: f"http://site/p{n}" for n in range(1, 9)}
    chunks = split_chunks("\n\n".join(paragraphs), links, chunk_chars=800)
    assert len(chunks) >= 3
    assert all(len(chunk) <= 800 for chunk in chunks)
    for chunk in chunks:
        mentioned = {n for n in links if f"page {n} [{n}]" in chunk}
        listed = {n for n in links if f"[{n}] http://site/p{n}" in chunk}
        assert mentioned == listed
    assert "".join(chunks).count("Paragraph") == 8  # nothing lost between chunks


def test_readable_page_keeps_main_content_and_tables_and_resolves_links():
    html = """<html><head><title>Catalog</title></head><body><nav><a href="/">Home</a></nav>
    <main><h1>Catalog</h1><p>See the <a href="/products/can.html">watering can</a>.</p>
    <table><tr><th>Product</th><th>Price</th></tr><tr><td>Can</td><td>$24.90</td></tr></table></main></body></html>"""
    page = readable_page(html, "http://127.0.0.1:9/catalog.html", chunk_chars=4000)
    assert page.title == "Catalog"
    assert len(page.chunks) == 1
    text = page.chunks[0]
    assert "# Catalog" in text and "| Can | $24.90 |" in text
    assert "watering can [1]" in text and "[1] http://127.0.0.1:9/products/can.html" in text
