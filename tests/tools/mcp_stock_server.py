"""A small MCP server over stdio for the tests: a stock lookup, a tool that fails, and its pid in a file."""

from __future__ import annotations

import os
import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("stock")
STOCK = {"widget": 42, "gadget": 7}


@server.tool(name="stock-count")
def stock_count(item: str, warehouse: str = "main") -> str:
    """Look up how many units of an item are in stock.

    Args:
        item: The item's name, e.g. widget.
        warehouse: Which warehouse to look in.
    """
    if item not in STOCK:
        raise ValueError(f"no item {item!r}")
    return f"{STOCK[item]} units of {item} in {warehouse}"


@server.tool()
def tags(items: list[str], limit: int) -> str:
    """Join item names as tags, at most `limit` of them.

    Args:
        items: Item names.
        limit: How many to keep.
    """
    return ",".join(f"#{item}" for item in items[:limit])


if __name__ == "__main__":
    if len(sys.argv) > 1:  # where the test finds this process
        with open(sys.argv[1], "w") as file:
            file.write(str(os.getpid()))
    server.run("stdio")
