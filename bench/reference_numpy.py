#!/usr/bin/python3
"""Independent NumPy implementation of clustercap's capacity chain, used as an
oracle and a speed baseline for `sweep` (see README, Benchmarks).

It reads the plan that `clustercap sweep --plan-out` writes (each candidate
cluster's fixed inputs, the distributions and how each sampled input maps
onto the candidates), draws the same counter-based uniforms, evaluates the
chain (limits, exact fabric power, goodput as given or from the failure model,
sustained FLOP/s, training compute, model size capped by memory and data,
energy per run) vectorised over samples, and compares each metric's mean and
median with clustercap's, by name.

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
    elif kind in ("pert", "mixture"):
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
    """Power of the whole switches and modules for `endpoints` (array), as in fat_tree.cpp."""
    switches, modules, power = fabric_counts(endpoints, f)
    return power


def fabric_counts(endpoints, f):
    """Whole switches, optical modules and their power for `endpoints` (array)."""
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
    some = endpoints > 0
    return np.where(some, switches, 0.0), np.where(some, nic + sw_modules, 0.0), np.where(some, power, 0.0)


def capex_parts(systems, r, f):
    """Systems, network and facility capital for `systems` (array), docs/costs.md."""
    cps, epc = r["chips_per_system"], r["endpoints_per_chip"]
    incl = r["system_includes_scaleout"] != 0
    switches, modules, fabric_w = fabric_counts(systems * cps * epc, f)
    network = 0.0 * systems if incl else switches * r["switch_usd"] + modules * r["transceiver_usd"]
    it = systems * r["system_it_power_w"] + (0.0 if incl else fabric_w)
    return systems * r["system_price_usd"], network, it * r["facility_usd_per_w"]


def budget_systems(r, f, samples):
    """Most whole systems whose whole capex fits the budget: the largest count by bisection
    (capex rises with the count), +inf without a budget."""
    budget = r["budget_usd"] + np.zeros(samples)
    none = budget >= 1e307
    lo = np.zeros(samples)  # fits
    hi = np.full(samples, 1.0)
    for _ in range(200):  # grow hi past the budget
        fits = ~none & (sum(capex_parts(hi, r, f)) <= budget)
        if not fits.any():
            break
        lo = np.where(fits, hi, lo)
        hi = np.where(fits, hi * 2, hi)
    for _ in range(200):
        mid = np.floor((lo + hi) / 2)
        active = hi - lo > 1
        if not active.any():
            break
        fits = sum(capex_parts(mid, r, f)) <= budget
        lo = np.where(active & fits, mid, lo)
        hi = np.where(active & ~fits, mid, hi)
    return np.where(none, np.inf, lo)


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


# Scenario inputs that set one column of the candidates they bind, in the
# plan's target names (estimator/sweep/plan_json.cpp, Engine::apply).
COLUMN_TARGETS = {"site_power_w": "site_power_w", "pue": "pue", "mfu": "mfu", "goodput": "goodput",
                  "duration_s": "duration_s", "budget_usd": "budget_usd", "max_tokens": "max_tokens",
                  "activation_memory_fraction": "activation_memory_fraction",
                  "bytes_per_param": "bytes_per_param", "switch_usd": "switch_usd",
                  "transceiver_usd": "transceiver_usd", "facility_usd_per_w": "facility_usd_per_w",
                  "opex_fraction_per_year": "opex_fraction_per_year", "depreciation_s": "depreciation_s",
                  "electricity_usd_per_mwh": "electricity_usd_per_mwh"}
FABRIC_TARGETS = ("switch_w", "nic_transceiver_w", "switch_transceiver_w")
TOKENS_PER_PARAM = 20.0   # Chinchilla (Hoffmann et al. 2022)
FLOP_PER_PARAM_TOKEN = 6.0
J_PER_MWH = 3.6e9
S_PER_YEAR = 365.25 * 86400.0


def failure_goodput(rate_per_chip_day, restart_h, interval_h, chips):
    """Share of wall time that trains when interruptions arrive at rate_per_chip_day per chip:
    each costs a restart plus half a checkpoint interval (README, failure model)."""
    per_hour = chips * rate_per_chip_day / 24.0
    return 1.0 / (1.0 + per_hour * (restart_h + interval_h / 2.0))


def draw_values(plan, samples):
    """Each scenario input's value per sample (config units)."""
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
    return [v if v is not None else quantile(spec, u[i]) for i, (v, spec) in enumerate(zip(values, plan["inputs"]))]


def evaluate(plan, samples):
    cols = plan["columns"]
    values = draw_values(plan, samples)
    n_cand = len(plan["candidates"])
    # Per candidate: each column a number, or an array over samples where an input sets it.
    cand = [{name: float(v[c]) for name, v in cols.items()} for c in range(n_cand)]
    fabric = [dict(f) for f in plan["fabric"]]
    counts = [[float(x) for x in actor] for actor in plan["base_counts"]]
    counted = set()  # candidates whose chips follow a sampled inventory count
    for b in plan["bindings"]:
        v = values[b["input"]] * b["scale"]
        t = b["target"]
        if t == "inventory_count":
            counts[b["actor"]][b["line"]] = np.floor(v + 0.5)  # whole chips, rounded as std::round
            counted.update(c for c, spec in enumerate(plan["candidates"])
                           if spec["actor"] == b["actor"] and b["line"] in spec["lines"])
            continue
        for c in b["candidates"]:
            if t in COLUMN_TARGETS:
                cand[c][COLUMN_TARGETS[t]] = v
            elif t in FABRIC_TARGETS:
                fabric[c][t] = v
            elif t == "system_overhead":  # generic servers: chips' TDP x overhead
                cand[c]["system_it_power_w"] = plan["generic_tdp_w"][c] * v
            elif t == "price_usd":  # per chip in the inventory line, per system in the model
                cand[c]["system_price_usd"] = v * cols["chips_per_system"][c]
            else:
                raise ValueError("the NumPy oracle does not model input target " + t)
    for c in counted:
        spec = plan["candidates"][c]
        cand[c]["chips_held"] = sum(counts[spec["actor"]][line] for line in spec["lines"])

    results = {}
    for a, cands in enumerate(plan["actor_candidates"]):
        # The most sustained FLOP/s wins; a tie goes to more chips, then the
        # earlier candidate. Kept one winner at a time, so memory does not
        # grow with the number of candidates.
        best = None
        for c in cands:
            o = candidate_outcome(cand[c], fabric[c], plan["mfu_tables"][c], samples)
            if best is None:
                best = o
                continue
            better = (o["sustained"] > best["sustained"]) | (
                (o["sustained"] == best["sustained"]) & (o["chips"] > best["chips"]))
            for k in best:
                best[k] = np.where(better, o[k], best[k])
        metrics = {
            "chips": best["chips"],
            "facility_power_mw": best["facility_w"] / 1e6,
            "sustained_flops": best["sustained"],
            "train_flop": best["train"],
            "params": best["params"],
            "energy_per_run_mwh": best["facility_w"] * best["duration_s"] / J_PER_MWH,
        }
        for name in ("capex_usd", "capex_chips_usd", "capex_network_usd", "capex_facility_usd", "energy_usd",
                     "annual_energy_mwh", "annual_energy_usd", "run_cost_usd", "usd_per_pflops_day"):
            metrics[name] = best[name]
        # References run with the goodput input (not the failure model's).
        for ref, per_goodput in zip(plan["references"], plan["reference_flops_per_goodput"]):
            metrics["ratio_vs_" + ref] = metrics["sustained_flops"] / (per_goodput * best["goodput_in"])
        results[plan["actor_names"][a]] = metrics
    return results


def candidate_outcome(r, f, table, samples):
    """One candidate cluster's size, power, FLOP/s, compute and model per sample."""
    zero = np.zeros(samples)
    cps = r["chips_per_system"]
    sys_w = r["system_it_power_w"] + zero
    incl = r["system_includes_scaleout"] != 0
    epc = r["endpoints_per_chip"]
    budget_w = r["site_power_w"] / r["pue"] + zero
    held = np.floor(r["chips_held"] / cps) + zero
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
    budget_sys = budget_systems(r, f, samples)
    systems = np.minimum(np.minimum(held, best), np.minimum(network, budget_sys))
    chips = systems * cps
    it = systems * sys_w + (0.0 if incl else fabric_power(chips * epc, f))
    # Goodput as given, or from the failure model at this cluster's size.
    goodput = r["goodput"] + zero
    if r["interruptions_per_chip_day"] > 0:
        goodput = failure_goodput(r["interruptions_per_chip_day"], r["restart_hours"],
                                  r["checkpoint_interval_hours"], chips)
    duration = r["duration_s"] + zero
    mfu = r["mfu"] + zero
    if table is not None:
        # Step-model MFU: bilinear in log chips and log training FLOP per unit MFU.
        c1 = chips * r["peak_flops_per_chip"] * goodput * duration
        mfu = table_mfu(table, chips, c1)
    sustained = chips * r["peak_flops_per_chip"] * mfu * goodput
    train = sustained * duration
    # The largest model: compute-optimal (D = 20 N, C = 6 N D), capped by
    # the training data (max_tokens / 20) and by the training state in HBM.
    params = np.sqrt(train / (FLOP_PER_PARAM_TOKEN * TOKENS_PER_PARAM))
    params = np.minimum(params, r["max_tokens"] / TOKENS_PER_PARAM)
    mem = chips * r["hbm_bytes_per_chip"] * (1 - r["activation_memory_fraction"]) / r["bytes_per_param"]
    params = np.minimum(params, mem)
    chips_usd, network_usd, facility_usd = capex_parts(systems, r, f)
    capex = chips_usd + network_usd + facility_usd
    facility_w = r["pue"] * it
    energy_usd = facility_w * duration / J_PER_MWH * r["electricity_usd_per_mwh"]
    depreciation = r["depreciation_s"] + zero
    amortised = np.where(depreciation > 0, capex * duration / np.where(depreciation > 0, depreciation, 1), 0)
    run_cost = amortised + energy_usd + capex * r["opex_fraction_per_year"] * duration / S_PER_YEAR
    pflops_days = sustained / 1e15 * duration / 86400
    return {"chips": chips, "facility_w": facility_w, "sustained": sustained, "train": train,
            "params": params, "goodput_in": r["goodput"] + zero, "duration_s": duration,
            "capex_usd": capex, "capex_chips_usd": chips_usd + zero, "capex_network_usd": network_usd + zero,
            "capex_facility_usd": facility_usd + zero, "energy_usd": energy_usd,
            "annual_energy_mwh": facility_w * S_PER_YEAR / J_PER_MWH,
            "annual_energy_usd": facility_w * S_PER_YEAR / J_PER_MWH * r["electricity_usd_per_mwh"],
            "run_cost_usd": run_cost,
            "usd_per_pflops_day": np.where(pflops_days > 0, run_cost / np.where(pflops_days > 0, pflops_days, 1), 0)}


def compare(results, ours, samples):
    """Every metric of clustercap's sweep output against the oracle, by name: the mean (exact in
    both) within MEAN_TOLERANCE, the median within the sketch's stated relative error of the
    sample median (same rank as clustercap's: floor(0.5 (n - 1))) plus FLOAT_SLACK. A metric
    the oracle does not compute fails: an unchecked number is not a checked one."""
    bound = ours["quantile_relative_error"] + FLOAT_SLACK
    worst_mean = worst_median = 0.0
    failures = []
    points = ours["points"]
    if len(points) != 1 or points[0]["settings"]:
        raise SystemExit("reference_numpy.py: the plan has no [sweep.grid]; run it on a scenario without one")
    for actor in points[0]["actors"]:
        mine = results[actor["name"]]
        for name, m in actor["metrics"].items():
            if name not in mine:
                failures.append(f"{actor['name']}: {name}: the oracle does not compute this metric")
                print(f"  {actor['name'][:40]:40s} {name:36s} NOT CHECKED (unknown to the oracle)")
                continue
            values = np.sort(mine[name])
            median = float(values[int(0.5 * (samples - 1))])
            mean = float(np.mean(values))
            rel_median = abs(m["quantiles"]["p50"] - median) / max(abs(median), 1e-300)
            rel_mean = abs(m["mean"] - mean) / max(abs(mean), 1e-300)
            worst_median = max(worst_median, rel_median)
            worst_mean = max(worst_mean, rel_mean)
            flag = ""
            if rel_median > bound or rel_mean > MEAN_TOLERANCE:
                flag = "   <-- differs"
                failures.append(f"{actor['name']}: {name}: median {rel_median:.3g}, mean {rel_mean:.3g}")
            print(f"  {actor['name'][:40]:40s} {name:36s} p50 numpy {median:12.6g} clustercap "
                  f"{m['quantiles']['p50']:12.6g} {rel_median * 100:7.4f}%  mean {rel_mean * 100:9.2e}%{flag}")
    print(f"largest median difference {worst_median * 100:.4f}% (limit {bound * 100:.4f}%: the sketch's "
          f"{ours['quantile_relative_error'] * 100:.4f}% + {FLOAT_SLACK * 100:g}%), largest mean difference "
          f"{worst_mean * 100:.2e}% (limit {MEAN_TOLERANCE * 100:g}%): {'FAIL' if failures else 'PASS'}")
    for f in failures:
        print("FAIL " + f)
    return not failures


# Tolerances of the comparison. FLOAT_SLACK: the two sides differ by
# floating-point rounding and by this oracle's Phi (erfcc, |rel err| < 1.2e-7)
# on correlated inputs; a sample on the edge of a whole system or a tie
# between candidates can go the other way, which moves an order statistic or
# a mean by far less than this. MEAN_TOLERANCE: means are exact sums on both sides.
FLOAT_SLACK = 1e-6
MEAN_TOLERANCE = 1e-6


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    plan = json.load(open(sys.argv[1]))
    samples = int(sys.argv[2])
    start = time.perf_counter()
    results = evaluate(plan, samples)
    elapsed = time.perf_counter() - start
    print(f"numpy reference: {samples:,} samples in {elapsed:.2f} s = {samples / elapsed:,.0f} samples/s")
    ok = True
    if len(sys.argv) > 3:
        ours = json.load(open(sys.argv[3]))
        if ours["samples"] != samples or ours["seed"] != plan["seed"]:
            raise SystemExit(f"reference_numpy.py: the sweep ran {ours['samples']} samples with seed "
                             f"{ours['seed']}; this run draws {samples} with seed {plan['seed']}")
        ok = compare(results, ours, samples)
    with open(sys.argv[1] + ".numpy-rate", "w") as f:
        f.write(f"{samples / elapsed}\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
