"""clustercap.frames: one DataFrame row per natural table row, the values
those of the result."""

import os
import unittest

from support import CONFIGS, main_skipping_without

import clustercap
import clustercap.frames as frames


class FramesTest(unittest.TestCase):
    def test_estimate_actors_have_one_row_per_actor_with_the_results_numbers(self):
        result = clustercap.estimate()
        frame = frames.actors(result)
        self.assertEqual(len(frame), len(result["actors"]))
        for row, actor in zip(frame.to_dict("records"), result["actors"]):
            self.assertEqual(row["actor"], actor["name"])
            self.assertEqual(row["chips"], actor["cluster"]["chips"])
            self.assertEqual(row["sustained_flops"], actor["cluster"]["sustained_flops"])
            for r in actor["vs_reference"]:
                self.assertEqual(row[f"ratio_sustained_flops_vs_{r['reference']}"],
                                 r["ratio_sustained_flops"])
        self.assertEqual(frames.to_frame(result).shape, frame.shape)

    def test_estimate_actors_carry_cost_and_wan_columns(self):
        result = clustercap.estimate(os.path.join(CONFIGS, "gulf-gb200-2x750mw.toml"))
        row = frames.actors(result).to_dict("records")[0]
        actor = result["actors"][0]
        cost, wan = actor["cost"], actor["cluster"]["wan"]
        self.assertEqual(row["capex_usd"], cost["capex_usd"])
        self.assertEqual(row["capex_network_usd"], cost["capex_breakdown_usd"]["network"])
        self.assertEqual(row["annual_energy_mwh"], cost["annual_energy_mwh"])
        self.assertEqual(row["run_cost_usd"], cost["run_cost_usd"])
        self.assertEqual(row["sites"], len(actor["cluster"]["sites"]))
        self.assertEqual(row["wan_efficiency"], wan["efficiency"])
        self.assertEqual(row["wan_exposed_s_per_step"], wan["exposed_s_per_step"])
        self.assertEqual(row["wan_links"], "campus A - campus B")
        one_site = frames.actors(clustercap.estimate()).to_dict("records")[0]
        self.assertEqual(one_site["sites"], 1)
        self.assertIsNone(one_site["wan_efficiency"])

    def test_sweep_quantiles_have_a_row_per_point_actor_and_metric(self):
        result = clustercap.sweep(os.path.join(CONFIGS, "default.toml"), samples=500,
                                  keep_samples=True)
        frame = frames.quantiles(result)
        actors = result["points"][0]["actors"]
        self.assertEqual(len(frame), sum(len(a["metrics"]) for a in actors))
        first = frame.iloc[0]
        metric = actors[0]["metrics"][first["metric"]]
        self.assertEqual(first["p50"], metric["quantiles"]["p50"])
        self.assertEqual(len(frames.samples(result)), 500)
        shares = frames.binding_shares(result)
        self.assertEqual(list(shares["chips"]), [a["binding_share"]["chips"] for a in actors])

    def test_timeline_months_and_catalog_chips(self):
        result = clustercap.timeline(os.path.join(CONFIGS, "china-2026-pooled.toml"))
        frame = frames.months(result)
        self.assertEqual(len(frame), sum(len(a["months"]) for a in result["actors"]))
        self.assertEqual(str(frame["month"].iloc[0]), result["actors"][0]["months"][0]["month"])
        catalog = clustercap.catalog()
        chips = frames.chips(catalog)
        self.assertEqual(len(chips), len([e for e in catalog["entries"] if e["kind"] == "chip"]))
        self.assertEqual(set(chips["kind"]), {"chip"})

    def test_to_frame_refuses_what_is_not_a_result(self):
        with self.assertRaises(ValueError) as caught:
            frames.to_frame({"schema": "x"})
        self.assertEqual(str(caught.exception), "schema = 'x': not a clustercap output")


if __name__ == "__main__":
    main_skipping_without("pandas")
