"""A network document as central sends it (``GET /api/v1/network``), with chosen figures."""


def _figure(counted, satisfaction, happy_index):
    return {"counted": counted, "satisfaction": satisfaction, "happy_index": happy_index}


def network_document(rank=4, of=12, site=88, brand=83, service=85, best=95, median=84, names=None,
                     generated_at="2026-03-31T09:00:00.000000Z"):
    """Every period alike: the site at *site* %, ranked *rank* of *of*; *names*: the 30 days' ranking."""
    period = {
        "brand": _figure(5200, brand, 78.4),
        "service": _figure(3100, service, 79.0),
        "site": _figure(410, site, 81.2),
        "rank": rank,
        "of": of,
        "best": best,
        "median": median,
    }
    document = {"generated_at": generated_at, "periods": {name: dict(period) for name in ("yesterday", "7d", "30d")}}
    if names is not None:
        ranked = [{"name": name, "rank": n, "satisfaction": best - n} for n, name in enumerate(names, start=1)]
        document["site_names"] = {name: ranked for name in ("yesterday", "7d", "30d")}
    return document
