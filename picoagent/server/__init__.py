"""`picoagent serve`: the HTTP API and the web page (FastAPI and uvicorn, the `serve` extra).

Nothing here is imported by a plain run: the CLI imports it inside the `serve` command.
"""
