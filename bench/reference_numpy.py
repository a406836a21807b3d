#!/usr/bin/python3
"""Independent NumPy implementation of clustercap's capacity chain, used as an
oracle and a speed baseline for `sweep` (see README, Benchmarks).

It reads the plan that `clustercap sweep --plan-out` writes (each candidate
cluster's fixed inputs, the distributions and how each sampled input maps
onto the candidates), draws the same counter-based uniforms, evaluates the
chain (limits, exact fabric power, sustained FLOP/s, training compute, model
size) vectorised over samples, and compares medians with clustercap's.

usage: /usr/bin/python3 bench/reference_numpy.py PLAN.json SAMPLES [CLUSTERCAP_SWEEP.json]
Uses Debian's python3-numpy (run it with /usr/bin/python3).
"""
import json
import math
import sys
import time

import numpy as np

U64 = np.uint64


def mix64(x):
    with np.errstate(over="ignore"):
        x = x + U64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> U64(30))) * U64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> U64(27))) * U64(0x94D049BB133111EB)
        return x ^ (x >> U64(31))


def uniforms(seed, samples, inputs):
    s = np.arange(samples, dtype=U64)
    base = mix64(U64(seed) ^ mix64(s))
    out = np.empty((inputs, samples))
    with np.errstate(over="ignore"):
        for i in range(inputs):
            h = mix64(base + U64(0x632BE59BD9B4E019) * U64(i + 1))
            out[i] = ((h >> U64(12)).astype(np.float64) + 0.5) * (1.0 / 4503599627370496.0)
    return out


def norm_ppf(u):
    """Acklam's rational approximation (the same one clustercap uses)."""
    a = [-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
         1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00]
    b = [-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
         6.680131188771972e01, -1.328068155288572e01]
    c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
         -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00]
    d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
         3.754408661907416e00]
    u = np.clip(u, 1e-300, 1 - 1e-16)
    x = np.empty_like(u)
    lo = u < 0.02425
    hi = u > 1 - 0.02425
    mid = ~(lo | hi)
    q = np.sqrt(-2 * np.log(u[lo]))
    x[lo] = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / \
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    q = u[mid] - 0.5
    r = q * q
    x[mid] = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / \
             (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    q = np.sqrt(-2 * np.log1p(-u[hi]))
    x[hi] = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / \
             ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    return x


def norm_cdf(x):
    """Complementary error function, Numerical Recipes erfcc (|rel err| < 1.2e-7)."""
    z = np.abs(x) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.5 * z)
    r = t * np.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277)))))))))
    erfc_pos = r
    cdf = np.where(x >= 0, 1 - 0.5 * erfc_pos, 0.5 * erfc_pos)
    return cdf


def quantile(spec, u):
    kind = spec["dist"]
    if kind == "uniform":
        x = spec["lo"] + u * (spec["hi"] - spec["lo"])
    elif kind == "triangular":
        lo, hi, mode = spec["lo"], spec["hi"], spec["a"]
        split = (mode - lo) / (hi - lo)
        x = np.where(u < split, lo + np.sqrt(u * (hi - lo) * (mode - lo)),
                     hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode)))
    elif kind == "pert":
        table = np.asarray(spec["table"])
        x = np.interp(u, np.linspace(0, 1, len(table)), table)
    elif kind == "normal":
        lo = spec["lo"] if spec["lo"] > -1e307 else -np.inf
        hi = spec["hi"] if spec["hi"] < 1e307 else np.inf
        zl = 0.0 if np.isinf(lo) else norm_cdf(np.array((lo - spec["a"]) / spec["b"]))
        zh = 1.0 if np.isinf(hi) else norm_cdf(np.array((hi - spec["a"]) / spec["b"]))
        x = np.clip(spec["a"] + spec["b"] * norm_ppf(zl + u * (zh - zl)), lo, hi)
    elif kind == "lognormal":
        x = np.exp(spec["a"] + spec["b"] * norm_ppf(u))
    elif kind == "choice":
        idx = np.searchsorted(np.asarray(spec["cumulative"]), u)
        x = np.asarray(spec["values"])[idx]
    else:
        raise ValueError(kind)
    return np.clip(x, spec["clamp_lo"], spec["clamp_hi"])


def capacity(radix, tiers):
    return 2.0 * (radix / 2.0) ** tiers


def fabric_power(endpoints, f):
    """Whole switches and modules for `endpoints` (array), as in fat_tree.cpp."""
    planes, k = f["planes"], f["switch_radix"]
    per_plane = np.ceil(endpoints / planes)
    tiers = np.ones_like(per_plane)
    cap = np.full_like(per_plane, float(k))
    for _ in range(63):
        grow = cap < per_plane
        if not grow.any():
            break
        tiers = np.where(grow, tiers + 1, tiers)
        cap = np.where(grow, cap * k / 2.0, cap)
    switches = planes * np.ceil((2 * tiers - 1) * per_plane / k)
    copper = 1.0 if f["copper_first_tier"] else 0.0
    nic = 0.0 if f["copper_first_tier"] else endpoints
    optical = np.maximum(0.0, 2 * tiers - 1 - copper)
    sw_modules = np.ceil(optical * endpoints / f["switch_ports_per_transceiver"])
    power = switches * f["switch_w"] + nic * f["nic_transceiver_w"] + sw_modules * f["switch_transceiver_w"]
    return np.where(endpoints > 0, power, 0.0)


def per_endpoint_power(tiers, f):
    nic = 0.0 if f["copper_first_tier"] else f["nic_transceiver_w"]
    copper = 1.0 if f["copper_first_tier"] else 0.0
    optics = max(0.0, 2 * tiers - 1 - copper) / f["switch_ports_per_transceiver"] * f["switch_transceiver_w"]
    return nic + optics + (2 * tiers - 1) / f["switch_radix"] * f["switch_w"]


def locate(nodes, x):
    """Cell index and weight of x on sorted log nodes, clamped to the ends."""
    logs = np.log(np.asarray(nodes))
    lx = np.log(np.maximum(x, 1e-300))
    i = np.clip(np.searchsorted(logs, lx, side="right") - 1, 0, len(logs) - 2)
    w = np.clip((lx - logs[i]) / (logs[i + 1] - logs[i]), 0.0, 1.0)
    return i, w


def table_mfu(table, chips, c1):
    grid = np.asarray(table["mfu"]).reshape(len(table["chips"]), len(table["c1_flop"]))
    i, wx = locate(table["chips"], chips)
    j, wy = locate(table["c1_flop"], c1)
    low = grid[i, j] + wy * (grid[i, j + 1] - grid[i, j])
    high = grid[i + 1, j] + wy * (grid[i + 1, j + 1] - grid[i + 1, j])
    return low + wx * (high - low)


def evaluate(plan, samples):
    cols = plan["columns"]
    n_inputs = len(plan["inputs"])
    u = uniforms(plan["seed"], samples, n_inputs)
    ci = plan["copula_inputs"]
    values = [None] * n_inputs
    if ci:
        z = norm_ppf(u[ci])
        y = np.asarray(plan["copula_lower"]) @ z
        for row, i in enumerate(ci):
            spec = plan["inputs"][i]
            # Lognormal and untruncated normal marginals take the correlated
            # deviate directly, as clustercap does; others go through Phi.
            if spec["dist"] == "lognormal":
                values[i] = np.clip(np.exp(spec["a"] + spec["b"] * y[row]), spec["clamp_lo"], spec["clamp_hi"])
            elif spec["dist"] == "normal" and spec["lo"] <= -1e307 and spec["hi"] >= 1e307:
                values[i] = np.clip(spec["a"] + spec["b"] * y[row], spec["clamp_lo"], spec["clamp_hi"])
            else:
                u[i] = np.clip(norm_cdf(y[row]), 1e-16, 1 - 1e-16)
    values = [v if v is not None else quantile(spec, u[i]) for i, (v, spec) in enumerate(zip(values, plan["inputs"]))]

    n_cand = len(plan["candidates"])
    col = {name: np.tile(np.asarray(v, dtype=float), (samples, 1)) for name, v in cols.items()}
    counts = [np.tile(np.asarray(c, dtype=float), (samples, 1)) for c in plan["base_counts"]]
    for b in plan["bindings"]:
        v = values[b["input"]] * b["scale"]
        t = b["target"]
        if t == "inventory_count":
            counts[b["actor"]][:, b["line"]] = np.floor(v + 0.5)  # whole chips, rounded as std::round
            continue
        target = {"site_power_w": "site_power_w", "pue": "pue", "mfu": "mfu", "goodput": "goodput",
                  "duration_s": "duration_s", "budget_usd": "budget_usd"}.get(t)
        if target is None:
            raise ValueError("the NumPy oracle does not model input target " + t)
        for c in b["candidates"]:
            col[target][:, c] = v
    for c, cand in enumerate(plan["candidates"]):
        col["chips_held"][:, c] = sum(counts[cand["actor"]][:, line] for line in cand["lines"])

    out = {k: np.zeros((samples, n_cand)) for k in ("chips", "facility_w", "sustained", "train", "params")}
    for c in range(n_cand):
        f = plan["fabric"][c]
        cps = cols["chips_per_system"][c]
        sys_w = cols["system_it_power_w"][c]
        incl = cols["system_includes_scaleout"][c] != 0
        epc = cols["endpoints_per_chip"][c]
        budget_w = col["site_power_w"][:, c] / col["pue"][:, c]
        held = np.floor(col["chips_held"][:, c] / cps)
        network = math.floor(f["planes"] * capacity(f["switch_radix"], f["max_tiers"]) / epc / cps)
        best = np.zeros(samples)
        for tiers in range(1, 12):
            cap_sys = math.floor(capacity(f["switch_radix"], tiers) * f["planes"] / epc / cps)
            per_sys = sys_w + (0.0 if incl else cps * epc * per_endpoint_power(tiers, f))
            best = np.maximum(best, np.minimum(np.floor(budget_w / per_sys), cap_sys))
        for _ in range(64):  # step down to the exact whole-switch answer
            it = best * sys_w + (0.0 if incl else fabric_power(best * cps * epc, f))
            over = (best > 0) & (it > budget_w)
            if not over.any():
                break
            best = np.where(over, best - 1, best)
        budget = col["budget_usd"][:, c]
        price = cols["system_price_usd"][c]
        with np.errstate(over="ignore", divide="ignore"):
            budget_sys = np.where(budget >= 1e307, np.inf, np.floor(budget / max(price, 1e-300)))
        systems = np.minimum(np.minimum(held, best), np.minimum(network, budget_sys))
        chips = systems * cps
        it = systems * sys_w + (0.0 if incl else fabric_power(chips * epc, f))
        mfu = col["mfu"][:, c]
        table = plan["mfu_tables"][c]
        if table is not None:
            # Step-model MFU: bilinear in log chips and log training FLOP per unit MFU.
            c1 = chips * cols["peak_flops_per_chip"][c] * col["goodput"][:, c] * col["duration_s"][:, c]
            mfu = table_mfu(table, chips, c1)
        sustained = chips * cols["peak_flops_per_chip"][c] * mfu * col["goodput"][:, c]
        train = sustained * col["duration_s"][:, c]
        params = np.sqrt(train / 120.0)
        mem = chips * cols["hbm_bytes_per_chip"][c] * (1 - cols["activation_memory_fraction"][c]) / \
            cols["bytes_per_param"][c]
        params = np.minimum(params, mem)
        out["chips"][:, c] = chips
        out["facility_w"][:, c] = col["pue"][:, c] * it
        out["sustained"][:, c] = sustained
        out["train"][:, c] = train
        out["params"][:, c] = params

    results = {}
    rows = np.arange(samples)
    for a, cands in enumerate(plan["actor_candidates"]):
        cands = np.asarray(cands)
        pick = cands[np.argmax(out["sustained"][:, cands], axis=1)]
        goodput = col["goodput"][rows, pick]
        metrics = {
            "chips": out["chips"][rows, pick],
            "facility_power_mw": out["facility_w"][rows, pick] / 1e6,
            "sustained_flops": out["sustained"][rows, pick],
            "train_flop": out["train"][rows, pick],
            "params": out["params"][rows, pick],
        }
        for ref, per_goodput in zip(plan["references"], plan["reference_flops_per_goodput"]):
            metrics["ratio_vs_" + ref] = metrics["sustained_flops"] / (per_goodput * goodput)
        results[plan["actor_names"][a]] = metrics
    return results


def main():
    plan = json.load(open(sys.argv[1]))
    samples = int(sys.argv[2])
    start = time.perf_counter()
    results = evaluate(plan, samples)
    elapsed = time.perf_counter() - start
    print(f"numpy reference: {samples:,} samples in {elapsed:.2f} s = {samples / elapsed:,.0f} samples/s")
    worst = 0.0
    if len(sys.argv) > 3:
        ours = json.load(open(sys.argv[3]))
        for actor in ours["points"][0]["actors"]:
            for name, m in actor["metrics"].items():
                mine = float(np.median(results[actor["name"]][name]))
                theirs = m["quantiles"]["p50"]
                rel = abs(theirs - mine) / max(abs(mine), 1e-300)
                worst = max(worst, rel)
                flag = "" if rel <= 0.01 else "   <-- differs by more than 1%"
                print(f"  {actor['name'][:40]:40s} {name:36s} numpy {mine:12.5g}  clustercap {theirs:12.5g}  {rel * 100:6.3f}%{flag}")
        print(f"largest median difference: {worst * 100:.3f}% ({'PASS' if worst <= 0.01 else 'FAIL'}: limit 1%)")
    with open(sys.argv[1] + ".numpy-rate", "w") as f:
        f.write(f"{samples / elapsed}\n")
    return 0 if worst <= 0.01 else 1


if __name__ == "__main__":
    sys.exit(main())
