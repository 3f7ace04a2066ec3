"""Pages in the format the page adapter reads, for tests (the adapter itself only reads pages)."""


def render(base: str, rates: list[tuple[str, str]], tickers: list[tuple[str, str, str, str]], *,
           title: str = "Market snapshot", body: str = "") -> str:
    """A page in the format ``dagster_project.adapters.page.parse`` reads."""
    out = [title, "", f"{base} -"]
    out += [f"{code} {text}" for code, text in rates]
    for symbol, change, price, pct in tickers:
        out += [f"  • {symbol}", "", f"    {change}", "", f"    {price}", "", f"    {pct}", ""]
    if body:
        out += [body]
    return "\n".join(out) + "\n"
