"""Web tools: read pages (fetch_url), search (web_search) and drive a headless Chromium through its accessibility tree."""
