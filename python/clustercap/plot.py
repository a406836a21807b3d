"""Figures of clustercap's JSON outputs (matplotlib, Agg backend: no display).

Each function takes a result (the dict a clustercap function returns, or the
parsed ``--format json`` output) and returns a matplotlib Figure; ``save(fig,
path)`` writes it (the suffix picks PNG, SVG or PDF). ``figure(result)`` picks
the drawing from the result's ``schema``, as ``clustercap plot RESULT.json -o
FIG.png`` does (``python3 -m clustercap.plot RESULT.json -o FIG.png``).
FLOP/s axes are logarithmic; every axis names its unit.
"""

import datetime
import json
import math
import os
import sys

_MISSING_MATPLOTLIB = ("plot needs matplotlib for Debian's python3: "
                       "apt-get install python3-matplotlib")

try:
    import matplotlib
    import matplotlib.ticker
    if "MPLBACKEND" not in os.environ:
        matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
except ImportError:  # reported when a plot is asked for, not on import
    matplotlib = None

# One colour per binding constraint (model::kLimitNames), the same in every figure.
LIMIT_COLOURS = {"chips": "#4c72b0", "power": "#dd8452", "network": "#55a868",
                 "budget": "#c44e52"}
_REFERENCE_STYLE = dict(color="0.35", linewidth=1.0)
_LINE_STYLES = ["--", ":", "-.", (0, (5, 2, 1, 2)), (0, (1, 3))]
_KINDS = ("estimate", "timeline", "timeline_sweep", "sweep", "compare", "classify", "validate",
          "hardware")


class PlotError(Exception):
    """A result this module cannot draw (exit code 2 from the shell)."""


def _need_matplotlib():
    if matplotlib is None:
        raise ImportError(_MISSING_MATPLOTLIB)


def _new_figure(width=9.0, height=5.0, rows=1, cols=1, **kwargs):
    _need_matplotlib()
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, **kwargs)
    return fig, axes


def _axes(ax, width=9.0, height=5.0):
    if ax is not None:
        return ax.figure, ax
    fig, axes = _new_figure(width, height)
    return fig, axes[0][0]


def kind(result):
    """The output kind from the result's ``schema`` ("clustercap.sweep.v1" -> "sweep")."""
    schema = result.get("schema") if isinstance(result, dict) else None
    parts = schema.split(".") if isinstance(schema, str) else []
    if len(parts) != 3 or parts[0] != "clustercap" or parts[1] not in _KINDS:
        raise PlotError(f"schema = {schema!r}: not a clustercap output this version draws "
                        f"(clustercap.{{{','.join(_KINDS)}}}.vN)")
    return parts[1]


def _expect(result, wanted):
    found = kind(result)
    if found != wanted:
        raise PlotError(f"schema = {result['schema']!r}: this figure draws clustercap.{wanted} "
                        "output")


def _reference_legend(ax, handles, title=None, **kwargs):
    if handles:
        ax.legend(handles=handles, title=title, fontsize="small", **kwargs)


def _month(text):
    year, month = text.split("-")
    return datetime.date(int(year), int(month), 1)


# --- estimate ---------------------------------------------------------------

def estimate(result, ax=None):
    """Each actor's largest cluster: sustained FLOP/s (bar, coloured by the
    binding constraint) against each reference cluster (vertical lines)."""
    _expect(result, "estimate")
    fig, ax = _axes(ax, 11, 2.0 + 0.6 * len(result["actors"]))
    names = [a["name"] for a in result["actors"]]
    values = [a["cluster"]["sustained_flops"] for a in result["actors"]]
    binds = [a["cluster"]["binding_constraint"] for a in result["actors"]]
    ax.barh(range(len(names)), values, color=[LIMIT_COLOURS.get(b, "0.5") for b in binds])
    for i, actor in enumerate(result["actors"]):
        c = actor["cluster"]
        ax.annotate(f" {c['chips']:,} x {c['chip']} ({c['binding_constraint']}-bound)",
                    (values[i], i), va="center", fontsize="small")
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("sustained FLOP/s of the largest cluster (log scale)")
    handles = [Patch(color=LIMIT_COLOURS[b], label=f"{b}-bound") for b in dict.fromkeys(binds)
               if b in LIMIT_COLOURS]
    for i, ref in enumerate(result.get("references", [])):
        style = _LINE_STYLES[i % len(_LINE_STYLES)]
        ax.axvline(ref["sustained_flops"], linestyle=style, **_REFERENCE_STYLE)
        handles.append(Line2D([], [], linestyle=style, label=ref["id"], **_REFERENCE_STYLE))
    lo = min(values + [r["sustained_flops"] for r in result.get("references", [])])
    hi = max(values + [r["sustained_flops"] for r in result.get("references", [])])
    ax.set_xlim(lo / 3, hi * 10)
    _reference_legend(ax, handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(result["scenario"]["name"], fontsize="medium")
    return fig


# --- timeline ---------------------------------------------------------------

def timeline(result):
    """Month by month: the stock and the largest cluster (H100-equivalents,
    top) and the largest cluster's sustained FLOP/s against each reference
    (bottom), each reference's overtaking month marked."""
    _expect(result, "timeline")
    fig, axes = _new_figure(10, 8, rows=2, sharex=True)
    stock_ax, flops_ax = axes[0][0], axes[1][0]
    colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    references = result.get("references", [])
    for a, actor in enumerate(result["actors"]):
        colour = colours[a % len(colours)]
        months = [_month(m["month"]) for m in actor["months"]]
        stock_ax.plot(months, [m["inventory_h100e"] for m in actor["months"]], color=colour,
                      label=f"{actor['name']}: stock")
        stock_ax.plot(months, [m["cluster"]["h100e"] for m in actor["months"]], color=colour,
                      linestyle="--", label=f"{actor['name']}: largest cluster")
        flops = [m["cluster"]["sustained_flops"] for m in actor["months"]]
        flops_ax.plot(months, flops, color=colour, label=f"{actor['name']}: largest cluster")
        for o in actor.get("overtakes", []):
            if not o.get("first_month"):
                continue
            when = _month(o["first_month"])
            index = months.index(when) if when in months else None
            y = flops[index] if index is not None else None
            flops_ax.plot([when], [y], marker="*", markersize=14, color=colour,
                          markeredgecolor="black", linestyle="none",
                          label=f"overtakes {o['reference']}: {o['first_month']}")
    for i, ref in enumerate(references):
        style = _LINE_STYLES[i % len(_LINE_STYLES)]
        flops_ax.axhline(ref["sustained_flops"], linestyle=style, label=ref["id"],
                         **_REFERENCE_STYLE)
    stock_ax.set_yscale("log")
    counts = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}")
    stock_ax.yaxis.set_minor_locator(matplotlib.ticker.LogLocator(subs=(2.0, 5.0)))
    stock_ax.yaxis.set_major_formatter(counts)
    stock_ax.yaxis.set_minor_formatter(counts)
    stock_ax.set_ylabel("H100-equivalents (dense BF16, log scale)")
    stock_ax.set_title(result["scenario"]["name"], fontsize="medium")
    stock_ax.legend(fontsize="small")
    flops_ax.set_yscale("log")
    flops_ax.set_ylabel("sustained FLOP/s (log scale)")
    flops_ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    for ax in (stock_ax, flops_ax):
        ax.grid(True, which="major", alpha=0.3)
    return fig


# --- timeline sweep -----------------------------------------------------------

def _lever_text(point):
    settings = [f"{k} = {v}" for k, v in point.get("grid", {}).items()]
    settings += [f"{k} = {v}" for k, v in point.get("levers", {}).items()]
    return ", ".join(settings)


def timeline_sweep(result, point=0, metric="sustained_flops"):
    """A fan chart of a timeline sweep: per actor, the median of ``metric``
    month by month with its 25-75% and 5-95% bands (top); P(the largest
    cluster has overtaken each reference by then) month by month (bottom),
    one curve per grid point and reference, so policy settings compare."""
    _expect(result, "timeline_sweep")
    chosen = _point(result, point)
    fig, axes = _new_figure(10, 8.5, rows=2, sharex=True)
    fan_ax, p_ax = axes[0][0], axes[1][0]
    colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    for a, actor in enumerate(chosen["actors"]):
        colour = colours[a % len(colours)]
        months = [_month(m["month"]) for m in actor["months"]]
        q = {name: [m[metric][name] for m in actor["months"]]
             for name in ("p5", "p25", "p50", "p75", "p95")}
        fan_ax.fill_between(months, q["p5"], q["p95"], color=colour, alpha=0.15, linewidth=0,
                            label=f"{actor['name']}: 5-95%")
        fan_ax.fill_between(months, q["p25"], q["p75"], color=colour, alpha=0.35, linewidth=0,
                            label="25-75%")
        fan_ax.plot(months, q["p50"], color=colour, label="median")
    fan_ax.set_yscale("log")
    labels = {"sustained_flops": "sustained FLOP/s of the largest cluster (log scale)",
              "cluster_chips": "chips in the largest cluster (log scale)",
              "stock_chips": "chips held (log scale)",
              "stock_h100e": "H100-equivalents held (log scale)"}
    fan_ax.set_ylabel(labels.get(metric, metric))
    title = f"{result['scenario']['name']}\n{result['samples']:,} samples"
    if _lever_text(chosen):
        title += f"; fan at {_lever_text(chosen)}"
    fan_ax.set_title(title, fontsize="medium")
    fan_ax.legend(fontsize="small", loc="upper left")
    start = _month(result["start"])
    for p, each in enumerate(result["points"]):
        colour = colours[p % len(colours)]
        for a, actor in enumerate(each["actors"][:1]):
            for r, o in enumerate(actor["overtakes"]):
                months = [_month(m["month"]) for m in actor["months"]]
                label = o["reference"] + (f" ({_lever_text(each)})" if _lever_text(each) else "")
                p_ax.plot(months, o["p_by_month"], color=colour,
                          linestyle=_LINE_STYLES[r % len(_LINE_STYLES)] if r else "-",
                          label=label)
    p_ax.set_ylim(-0.02, 1.02)
    p_ax.set_xlim(left=start)
    first = result["points"][0]["actors"][0]["name"] if result["points"][0]["actors"] else ""
    p_ax.set_ylabel(f"P({first} has overtaken it)")
    p_ax.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    for ax in (fan_ax, p_ax):
        ax.grid(True, which="major", alpha=0.3)
    return fig


# --- sweep ------------------------------------------------------------------

# Each quantile with the share of samples above it.
_EXCEEDANCE = [("p5", 0.95), ("p10", 0.90), ("p25", 0.75), ("p50", 0.50), ("p75", 0.25),
               ("p90", 0.10), ("p95", 0.05)]


def _point(result, point):
    points = result["points"]
    if not 0 <= point < len(points):
        raise PlotError(f"point = {point}: the sweep has {len(points)} point(s)")
    return points[point]


def _reference_flops(actor, reference):
    """A reference's sustained FLOP/s, from the medians of the sample's
    FLOP/s and of its ratio to the reference (the ratio is FLOP/s over a
    constant, so the medians divide exactly up to the quantile sketch)."""
    ratio = actor["metrics"].get(f"ratio_vs_{reference}")
    if not ratio or not ratio["quantiles"]["p50"]:
        return None
    return actor["metrics"]["sustained_flops"]["quantiles"]["p50"] / ratio["quantiles"]["p50"]


def sweep(result, point=0, ax=None):
    """Exceedance curves: P(sustained FLOP/s >= x) per actor from the sweep's
    quantiles (min, p5 ... p95, max), with each reference as a vertical line."""
    _expect(result, "sweep")
    fig, ax = _axes(ax)
    chosen = _point(result, point)
    references = {}
    for actor in chosen["actors"]:
        m = actor["metrics"]["sustained_flops"]
        xs = [m["min"]] + [m["quantiles"][q] for q, _ in _EXCEEDANCE] + [m["max"]]
        ps = [1.0] + [p for _, p in _EXCEEDANCE] + [0.0]
        line, = ax.plot(xs, ps, marker="o", markersize=4, label=actor["name"])
        for ref in result.get("references", []):
            flops = _reference_flops(actor, ref)
            if flops is not None:
                references.setdefault(ref, flops)
    handles, _ = ax.get_legend_handles_labels()
    for i, (ref, flops) in enumerate(references.items()):
        style = _LINE_STYLES[i % len(_LINE_STYLES)]
        ax.axvline(flops, linestyle=style, **_REFERENCE_STYLE)
        handles.append(Line2D([], [], linestyle=style, label=ref, **_REFERENCE_STYLE))
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("sustained FLOP/s of the largest cluster (log scale)")
    ax.set_ylabel("P(sustained FLOP/s >= x)")
    ax.grid(True, alpha=0.3)
    ax.legend(handles=handles, fontsize="small", loc="best")
    ax.set_title(f"{result['scenario']['name']}\n{result['samples']:,} samples, seed "
                 f"{result['seed']}{_settings_text(chosen)}", fontsize="medium")
    return fig


def _settings_text(point):
    if not point.get("settings"):
        return ""
    return "; " + ", ".join(f"{k} = {v:g}" for k, v in point["settings"].items())


def tornado(result, actor=0, point=0, ax=None, shown=10):
    """Sustained FLOP/s with each input at its p10 and p90 (the others at
    their medians), the widest swing on top, for one actor."""
    _expect(result, "sweep")
    chosen = _point(result, point)
    if not 0 <= actor < len(chosen["actors"]):
        raise PlotError(f"actor = {actor}: the sweep has {len(chosen['actors'])} actor(s)")
    a = chosen["actors"][actor]
    # Inputs this actor does not depend on (no swing) are left out.
    rows = [r for r in a.get("tornado", []) if r["swing"] > 0][:shown]
    fig, ax = _axes(ax, 9, 1.5 + 0.45 * max(len(rows), 1))
    centre = a["at_medians"]["sustained_flops"] if a.get("at_medians") else None
    for i, row in enumerate(rows):
        lo, hi = row["sustained_flops_at_p10"], row["sustained_flops_at_p90"]
        ax.barh(i, abs(hi - lo), left=min(lo, hi), height=0.6, color="#4c72b0" if hi >= lo else "#c44e52")
        ax.annotate(f"{row['value_p10']:.3g} -> {row['value_p90']:.3g} ", (min(lo, hi), i),
                    ha="right", va="center", fontsize="x-small")
    ax.set_yticks(range(len(rows)), [r["input"] for r in rows])
    ax.invert_yaxis()
    ax.set_xscale("log")
    handles = [Patch(color="#4c72b0", label="higher at the input's p90"),
               Patch(color="#c44e52", label="lower at the input's p90")]
    if centre:
        ax.axvline(centre, color="black", linewidth=1)
        handles.append(Line2D([], [], color="black", linewidth=1, label="all inputs at medians"))
    if rows:
        lo = min(min(r["sustained_flops_at_p10"], r["sustained_flops_at_p90"]) for r in rows)
        hi = max(max(r["sustained_flops_at_p10"], r["sustained_flops_at_p90"]) for r in rows)
        ax.set_xlim(lo / 1.6, hi * 1.15)
    ax.set_xlabel("sustained FLOP/s, input at p10 -> p90 (log scale)")
    ax.set_title(f"tornado: {a['name']}", fontsize="medium")
    ax.legend(handles=handles, fontsize="small", loc="best")
    return fig


def _binding(actor):
    shares = actor["binding_share"]
    return max(shares, key=lambda k: shares[k])


def _varying_actor(points, metric, quantile):
    """The first actor whose figure changes over the grid (else the first)."""
    for index in range(len(points[0]["actors"])):
        values = {p["actors"][index]["metrics"][metric]["quantiles"][quantile] for p in points}
        if len(values) > 1:
            return index
    return 0


def _grid_axis(ax, axis, values):
    if min(values) > 0 and max(values) / min(values) >= 10:
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log")


def grid(result, actor=None, metric="sustained_flops", quantile="p50"):
    """A [sweep.grid] sweep over one or two keys. One key: the median
    sustained FLOP/s of every actor over it (p10-p90 band), each point
    coloured by the constraint binding most often. Two keys: for one actor
    (by default the first the grid changes), the median FLOP/s and the
    binding constraint over both."""
    _expect(result, "sweep")
    points = result["points"]
    keys = list(points[0]["settings"]) if points else []
    if len(points) < 2 or not 1 <= len(keys) <= 2:
        raise PlotError("grid draws a sweep over a [sweep.grid] of one or two keys "
                        f"(this one has {len(points)} point(s) over {len(keys)} key(s))")
    label = ("median sustained FLOP/s" if (metric, quantile) == ("sustained_flops", "p50")
             else f"{metric} {quantile}")

    def series(index, q=quantile):
        return [p["actors"][index]["metrics"][metric]["quantiles"][q] for p in points]

    if len(keys) == 1:
        fig, axes = _new_figure(10, 5.5)
        ax = axes[0][0]
        xs = [p["settings"][keys[0]] for p in points]
        indices = range(len(points[0]["actors"])) if actor is None else [actor]
        seen = []
        for index in indices:
            line, = ax.plot(xs, series(index), label=points[0]["actors"][index]["name"],
                            zorder=1)
            ax.fill_between(xs, series(index, "p10"), series(index, "p90"),
                            color=line.get_color(), alpha=0.15, zorder=0)
            binds = [_binding(p["actors"][index]) for p in points]
            ax.scatter(xs, series(index), s=70, zorder=2, edgecolors=line.get_color(),
                       color=[LIMIT_COLOURS.get(b, "0.5") for b in binds])
            for b in binds:
                if b not in seen:
                    seen.append(b)
        handles, _ = ax.get_legend_handles_labels()
        handles.append(Patch(color="0.85", label="p10 - p90"))
        handles += [Patch(color=LIMIT_COLOURS.get(b, "0.5"), label=f"{b}-bound") for b in seen]
        ax.legend(handles=handles, fontsize="small", loc="best")
        _grid_axis(ax, "x", xs)
        ax.set_xticks(xs, [f"{x:g}" for x in xs])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.set_xlabel(keys[0])
        ax.set_ylabel(label + " (log scale)")
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
        ax.set_title(f"{result['scenario']['name']}\n{label} over {keys[0]}, "
                     f"{result['samples']:,} samples per point", fontsize="medium")
        return fig
    if actor is None:
        actor = _varying_actor(points, metric, quantile)
    name = points[0]["actors"][actor]["name"]
    values = series(actor)
    binds = [_binding(p["actors"][actor]) for p in points]
    xs = sorted({p["settings"][keys[0]] for p in points})
    ys = sorted({p["settings"][keys[1]] for p in points})
    fig, axes = _new_figure(12, 5, cols=2)
    value_ax, bind_ax = axes[0][0], axes[0][1]
    grid_values = [[math.nan] * len(xs) for _ in ys]
    grid_binds = [[None] * len(xs) for _ in ys]
    for p, v, b in zip(points, values, binds):
        i, j = ys.index(p["settings"][keys[1]]), xs.index(p["settings"][keys[0]])
        grid_values[i][j], grid_binds[i][j] = v, b
    from matplotlib.colors import ListedColormap, LogNorm
    image = value_ax.imshow(grid_values, origin="lower", aspect="auto", norm=LogNorm(),
                            cmap="viridis")
    fig.colorbar(image, ax=value_ax, label=label + ", FLOP/s (log scale)"
                 if metric == "sustained_flops" else label)
    limits = list(LIMIT_COLOURS)
    codes = [[limits.index(b) if b in limits else math.nan for b in row] for row in grid_binds]
    bind_ax.imshow(codes, origin="lower", aspect="auto", vmin=-0.5, vmax=len(limits) - 0.5,
                   cmap=ListedColormap([LIMIT_COLOURS[k] for k in limits]))
    for i, row in enumerate(grid_values):
        for j, v in enumerate(row):
            if not math.isnan(v):
                value_ax.text(j, i, f"{v:.2g}", ha="center", va="center", fontsize="x-small",
                              color="white")
    bind_ax.legend(handles=[Patch(color=LIMIT_COLOURS[b], label=f"{b}-bound")
                            for b in dict.fromkeys(binds)], fontsize="small",
                   loc="upper left", bbox_to_anchor=(1.01, 1.0))
    for ax, title in ((value_ax, label), (bind_ax, "binding constraint (most samples)")):
        ax.set_xticks(range(len(xs)), [f"{x:g}" for x in xs])
        ax.set_yticks(range(len(ys)), [f"{y:g}" for y in ys])
        ax.set_xlabel(keys[0])
        ax.set_ylabel(keys[1])
        ax.set_title(title, fontsize="medium")
    fig.suptitle(f"{name}: grid of {len(points)} points", fontsize="medium")
    return fig


# --- compare, classify, validate, hardware ----------------------------------

def compare(result):
    """Each figure of the first item over each other item's (log scale), one
    bar per item and figure; 1 is parity."""
    _expect(result, "compare")
    items = result["items"]
    others = items[1:]
    if not others:
        raise PlotError("compare draws ratios between two or more items; this result has one")
    figures = [f for f in items[0]["ratio_first_to_this"]
               if any(isinstance(o["ratio_first_to_this"].get(f), (int, float)) for o in others)]
    fig, axes = _new_figure(max(9, 0.7 * len(figures) + 3), 5.5)
    ax = axes[0][0]
    width = 0.8 / len(others)
    for k, other in enumerate(others):
        xs, ys = [], []
        for i, f in enumerate(figures):
            value = other["ratio_first_to_this"].get(f)
            if isinstance(value, (int, float)) and value > 0:
                xs.append(i - 0.4 + width * (k + 0.5))
                ys.append(value)
        ax.bar(xs, ys, width=width, label=f"{items[0]['id']} / {other['id']}")
    ax.axhline(1.0, color="black", linewidth=1, label="parity (1x)")
    ax.set_yscale("log")
    times = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}x")
    ax.yaxis.set_major_formatter(times)
    ax.yaxis.set_minor_formatter(times)
    ax.tick_params(axis="y", which="minor", labelsize="x-small")
    ax.set_xticks(range(len(figures)), figures, rotation=45, ha="right")
    ax.set_ylabel(f"ratio {items[0]['id']} / other (log scale)")
    ax.set_title(f"{items[0]['name']} against " + ", ".join(o["name"] for o in others),
                 fontsize="medium")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def classify(result):
    """Each chip's total processing performance (TPP) and performance
    density (PD) against the TPP and PD thresholds of the rule vintages,
    marker filled when the newest vintage controls it."""
    _expect(result, "classify")
    fig, axes = _new_figure(12, 6)
    ax = axes[0][0]
    thresholds = {"tpp": {}, "pd": {}}
    for chip in result["chips"]:
        reading = chip["readings"][0]
        m = reading["metrics"]
        if m.get("tpp") is None:
            continue
        verdict = reading["verdicts"][-1] if reading["verdicts"] else {}
        controlled = verdict.get("controlled") == "yes"
        pd = m.get("pd")
        ax.plot([m["tpp"]], [pd if pd else math.nan], marker="o", markersize=9,
                linestyle="none", fillstyle="full" if controlled else "none",
                label=f"{chip['id']} ({verdict.get('rule', '?')}: {verdict.get('status', '?')})")
        for v in reading["verdicts"]:
            for clause in v.get("clauses", []):
                for bound in clause.get("bounds", []):
                    if bound["metric"] in thresholds:
                        thresholds[bound["metric"]].setdefault(bound["threshold"], v["rule"])
    for i, (t, rule) in enumerate(sorted(thresholds["tpp"].items())):
        ax.axvline(t, linestyle=_LINE_STYLES[i % len(_LINE_STYLES)], label=f"TPP {t:g} ({rule})",
                   **_REFERENCE_STYLE)
    for i, (t, rule) in enumerate(sorted(thresholds["pd"].items())):
        ax.axhline(t, linestyle=_LINE_STYLES[i % len(_LINE_STYLES)], color="#8172b3",
                   linewidth=1.0, label=f"PD {t:g} ({rule})")
    ax.set_xscale("log")
    ax.set_xlabel("TPP (dense TOPS x bit length, log scale)")
    ax.set_ylabel("performance density (TPP per mm² of die)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("export-control classification (filled: controlled under the newest rule)",
                 fontsize="medium")
    return fig


def validate(result):
    """The step-time model's relative error on each published run (with the
    published layout), and the median absolute error."""
    _expect(result, "validate")
    runs = [r for r in result["runs"] if r.get("error") is not None]
    fig, axes = _new_figure(9, 1.5 + 0.35 * max(len(runs), 1))
    ax = axes[0][0]
    errors = [100.0 * r["error"] for r in runs]
    ax.barh(range(len(runs)), errors,
            color=["#4c72b0" if e >= 0 else "#c44e52" for e in errors])
    ax.set_yticks(range(len(runs)), [f"{r['id']} ({r['basis']})" for r in runs])
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=1)
    median = 100.0 * result["median_abs_error"]
    for sign in (1, -1):
        ax.axvline(sign * median, linestyle="--", **_REFERENCE_STYLE)
    ax.legend(handles=[Patch(color="#4c72b0", label="model above published"),
                       Patch(color="#c44e52", label="model below published"),
                       Line2D([], [], linestyle="--", label=f"median |error| {median:.1f}%",
                              **_REFERENCE_STYLE)], fontsize="small", loc="lower right")
    ax.set_xlabel("relative error of the predicted figure, published layout (%)")
    ax.set_title(f"validate: {result['cases_scored']} of {result['cases']} published runs scored",
                 fontsize="medium")
    ax.grid(True, axis="x", alpha=0.3)
    return fig


def hardware(result):
    """The catalog's chips: dense BF16 TFLOP/s against HBM bandwidth (TB/s),
    one colour per vendor."""
    _expect(result, "hardware")
    if "entries" not in result:
        raise PlotError("hardware draws `hardware list` output (many entries), not "
                        "`hardware show` (one)")
    chips = [e for e in result["entries"]
             if e["kind"] == "chip" and e.get("bf16_tflops") and e.get("hbm_bw_tbs")]
    if not chips:
        raise PlotError("hardware: no chip with both bf16_tflops and hbm_bw_tbs to draw")
    fig, axes = _new_figure(9, 6)
    ax = axes[0][0]
    for vendor in sorted({c.get("vendor", "?") for c in chips}):
        mine = [c for c in chips if c.get("vendor", "?") == vendor]
        ax.scatter([c["bf16_tflops"] for c in mine], [c["hbm_bw_tbs"] for c in mine],
                   label=vendor, s=30)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("dense BF16 TFLOP/s per chip (log scale)")
    ax.set_ylabel("HBM bandwidth, TB/s per chip (log scale)")
    ax.grid(True, which="both", alpha=0.2)
    ax.legend(fontsize="small", ncol=2)
    ax.set_title(f"catalog: {len(chips)} chips", fontsize="medium")
    return fig


# --- dispatch, saving, the shell entry point -----------------------------------

def figure(result):
    """The figure ``clustercap plot`` draws for this result: a sweep over a
    grid draws ``grid``, any other sweep its exceedance curves beside the
    first actor's tornado."""
    which = kind(result)
    if which == "sweep":
        points = result["points"]
        if len(points) > 1 and 1 <= len(points[0]["settings"]) <= 2:
            return grid(result)
        fig, axes = _new_figure(15, 5.5, cols=2)
        sweep(result, ax=axes[0][0])
        tornado(result, ax=axes[0][1])
        return fig
    return globals()[which](result)


_FORMATS = (".png", ".svg", ".pdf")


def save(fig, path, dpi=120):
    """Writes ``fig`` to ``path``; the suffix (.png, .svg or .pdf) picks the format."""
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix not in _FORMATS:
        raise PlotError(f"--output {os.fspath(path)}: the suffix must be .png, .svg or .pdf")
    fig.savefig(path, dpi=dpi)
    return path


def main(argv=None):
    """``python3 -m clustercap.plot RESULT.json --output FIG.png``: exit 0,
    2 (bad input) or 1 (cannot write, no matplotlib), messages on stderr."""
    import argparse
    parser = argparse.ArgumentParser(prog="clustercap plot")
    parser.add_argument("result")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)

    def fail(message, code):
        print(f"clustercap: {message}", file=sys.stderr)
        return code

    if os.path.splitext(args.output)[1].lower() not in _FORMATS:
        return fail(f"--output {args.output}: the suffix must be .png, .svg or .pdf", 2)
    try:
        with open(args.result, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        return fail(f"{args.result}: cannot read: {getattr(error, 'strerror', None) or error}", 2)
    try:
        result = json.loads(text)
    except json.JSONDecodeError as error:
        return fail(f"{args.result}:{error.lineno}:{error.colno}: not JSON: {error.msg} "
                    "(plot reads --format json output)", 2)
    if matplotlib is None:
        return fail(_MISSING_MATPLOTLIB, 1)
    try:
        fig = figure(result)
    except PlotError as error:
        return fail(f"{args.result}: {error}", 2)
    except (KeyError, TypeError, ValueError, IndexError) as error:
        return fail(f"{args.result}: not a complete clustercap {kind(result)} output "
                    f"({type(error).__name__}: {error})", 2)
    try:
        save(fig, args.output)
    except OSError as error:
        return fail(f"--output {args.output}: cannot write: {error.strerror or error}", 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
