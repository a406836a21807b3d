"""pandas DataFrames of clustercap results, one row per natural table row.

pandas is imported when a function here is called, not with clustercap.
``to_frame(result)`` picks the table from the result's ``schema``.
"""


def _pandas():
    try:
        import pandas
    except ImportError as error:  # pragma: no cover - pandas is a Debian package away
        raise ImportError("clustercap.frames needs pandas: apt-get install python3-pandas") \
            from error
    return pandas


def _schema_kind(result):
    schema = result.get("schema", "") if isinstance(result, dict) else ""
    parts = schema.split(".")
    return parts[1] if len(parts) == 3 and parts[0] == "clustercap" else None


def actors(result):
    """estimate: one row per actor -- its largest cluster, the run it trains
    and the ratio to each reference (``ratio_sustained_flops_vs_<id>``)."""
    rows = []
    for a in result["actors"]:
        c, t = a["cluster"], a["training"]
        row = {"actor": a["name"], "chip": c["chip"], "system": c["system"],
               "site": c["site"], "chips": c["chips"],
               "binding_constraint": c["binding_constraint"],
               "facility_power_mw": c["facility_power_mw"], "it_power_mw": c["it_power_mw"],
               "sustained_flops": c["sustained_flops"], "mfu": c["mfu"], "h100e": c["h100e"],
               "train_flop": t["train_flop"], "duration_days": t["duration_days"],
               "params": t["params"], "energy_per_run_mwh": t.get("energy_per_run_mwh")}
        row.update(_cost_columns(a.get("cost")))
        row.update(_wan_columns(c))
        for r in a.get("vs_reference", []):
            row[f"ratio_sustained_flops_vs_{r['reference']}"] = r["ratio_sustained_flops"]
        rows.append(row)
    return _pandas().DataFrame(rows)


# The cost object's figures (docs/costs.md), each under its JSON name; the
# capex parts as capex_<part>_usd (the names `sweep` gives them).
_COST_FIELDS = ("capex_usd", "energy_mwh", "energy_usd", "annual_energy_mwh",
                "annual_energy_usd", "run_cost_usd", "usd_per_pflops_day",
                "electricity_usd_per_mwh")
# The WAN's figures (estimator/model/wan.hpp), prefixed wan_.
_WAN_FIELDS = ("bandwidth_tbps", "hop_latency_ms", "availability", "sync_every_steps",
               "sync_penalty", "bytes_per_step", "allreduce_s", "exposed_s_per_step",
               "efficiency")


def _cost_columns(cost):
    if not cost:
        return {}
    row = {key: cost[key] for key in _COST_FIELDS if key in cost}
    for part, usd in cost.get("capex_breakdown_usd", {}).items():
        row[f"capex_{part}_usd"] = usd
    return row


def _wan_columns(cluster):
    """The sites a cluster spans and, across sites, its WAN (None for one site)."""
    wan = cluster.get("wan")
    row = {"sites": len(cluster.get("sites", [])) or 1,
           "wan_links": ", ".join(wan["links_used"]) if wan else None}
    for key in _WAN_FIELDS:
        row[f"wan_{key}"] = wan.get(key) if wan else None
    return row


def quantiles(result):
    """sweep: one row per grid point, actor and metric -- mean, sd, min,
    max and the quantiles; each grid setting is a column of its own."""
    rows = []
    for index, point in enumerate(result["points"]):
        for a in point["actors"]:
            for metric, m in a["metrics"].items():
                row = {"point": index, **point.get("settings", {}), "actor": a["name"],
                       "metric": metric, "mean": m["mean"], "sd": m["sd"], "min": m["min"],
                       "max": m["max"], **m["quantiles"]}
                rows.append(row)
    return _pandas().DataFrame(rows)


def binding_shares(result):
    """sweep: the share of samples each constraint binds, per point and actor."""
    rows = [{"point": index, **point.get("settings", {}), "actor": a["name"],
             **a["binding_share"]}
            for index, point in enumerate(result["points"]) for a in point["actors"]]
    return _pandas().DataFrame(rows)


def tornado(result, point=0):
    """sweep: the tornado rows (input at p10 and p90) of every actor at one point."""
    rows = [{"actor": a["name"], **row} for a in result["points"][point]["actors"]
            for row in a.get("tornado", [])]
    return _pandas().DataFrame(rows)


def samples(result):
    """sweep(keep_samples=True): one row per sample, one column per
    --samples-out column."""
    if "samples" not in result:
        raise KeyError("samples: run clustercap.sweep(..., keep_samples=True)")
    return _pandas().DataFrame(result["samples"])


def months(result):
    """timeline: one row per actor and month -- the stock, the largest cluster
    and its ratio to each reference (``ratio_sustained_flops_vs_<id>``)."""
    rows = []
    for a in result["actors"]:
        for m in a["months"]:
            c = m["cluster"]
            row = {"actor": a["name"], "month": m["month"],
                   "inventory_h100e": m["inventory_h100e"], "retired": m["retired"],
                   "chip": c["chip"], "system": c["system"], "chips": c["chips"],
                   "binding_constraint": c["binding_constraint"],
                   "facility_power_mw": c["facility_power_mw"],
                   "sustained_flops": c["sustained_flops"], "mfu": c["mfu"],
                   "h100e": c["h100e"], "train_flop": m["train_flop"]}
            row.update(_cost_columns(m.get("cost")))
            for r in m.get("vs_reference", []):
                row[f"ratio_sustained_flops_vs_{r['reference']}"] = r["ratio_sustained_flops"]
            rows.append(row)
    frame = _pandas().DataFrame(rows)
    frame["month"] = _pandas().PeriodIndex(frame["month"], freq="M") if len(frame) else []
    return frame


def _entries(result, kind):
    entries = result["entries"] if "entries" in result else [result["entry"]]
    return _pandas().DataFrame([e for e in entries if kind is None or e["kind"] == kind])


def chips(result):
    """hardware list: one row per chip, one column per catalog field."""
    return _entries(result, "chip")


def systems(result):
    """hardware list: one row per system."""
    return _entries(result, "system")


def figures(result):
    """compare: one row per item, one column per figure."""
    return _pandas().DataFrame([{"id": item["id"], "kind": item["kind"], **item["figures"]}
                                for item in result["items"]])


def runs(result):
    """validate: one row per published run (layouts flattened to columns)."""
    rows = []
    for run in result["runs"]:
        row = {k: v for k, v in run.items() if not isinstance(v, dict)}
        for key in ("layout_published", "layout_searched"):
            for field, value in (run.get(key) or {}).items():
                row[f"{key}.{field}"] = value
        rows.append(row)
    return _pandas().DataFrame(rows)


def verdicts(result):
    """classify: one row per chip, reading and rule vintage."""
    rows = []
    for chip in result["chips"]:
        for reading in chip["readings"]:
            for v in reading["verdicts"]:
                rows.append({"chip": chip["id"], "reading": reading["reading"],
                             "tpp": reading["metrics"].get("tpp"),
                             "pd": reading["metrics"].get("pd"), "rule": v["rule"],
                             "status": v["status"], "controlled": v["controlled"]})
    return _pandas().DataFrame(rows)


_BY_KIND = {"estimate": actors, "sweep": quantiles, "timeline": months, "hardware": chips,
            "compare": figures, "validate": runs, "classify": verdicts}


def to_frame(result):
    """The natural table of any result: estimate actors, sweep quantiles,
    timeline months, catalog chips, compare figures, validate runs, classify
    verdicts."""
    kind = _schema_kind(result)
    if kind not in _BY_KIND:
        raise ValueError(f"schema = {result.get('schema')!r}: not a clustercap output")
    return _BY_KIND[kind](result)
