"""clustercap.plot: every figure renders headless to a non-empty PNG with the
artists it promises (lines, markers, legend entries, log FLOP/s axes)."""

import io
import json
import os
import tempfile
import unittest

from support import CONFIGS, binary_json, main_skipping_without

import clustercap
import clustercap.plot as plot

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_bytes(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def legend_texts(ax):
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def grid_sweep(grid_toml, samples=400):
    """The default scenario with a [sweep.grid] appended, swept by the binary."""
    with open(os.path.join(CONFIGS, "default.toml"), encoding="utf-8") as handle:
        text = handle.read()
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "grid.toml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text + "\n[sweep.grid]\n" + grid_toml)
        return binary_json(["sweep", path, "-n", str(samples)])


class PlotTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.estimate = clustercap.estimate()
        cls.timeline = clustercap.timeline(os.path.join(CONFIGS, "china-2026-pooled.toml"))
        cls.sweep = clustercap.sweep(os.path.join(CONFIGS, "default.toml"), samples=2000)

    def assert_png(self, fig):
        data = png_bytes(fig)
        self.assertTrue(data.startswith(PNG_MAGIC))
        self.assertGreater(len(data), 10000)

    def test_estimate_draws_a_bar_per_actor_and_a_line_per_reference(self):
        fig = plot.estimate(self.estimate)
        ax = fig.axes[0]
        self.assertEqual(len(ax.patches), len(self.estimate["actors"]))
        self.assertEqual(ax.get_xscale(), "log")
        for ref in self.estimate["references"]:
            self.assertIn(ref["id"], legend_texts(ax))
            self.assertIn(ref["sustained_flops"], [line.get_xdata()[0] for line in ax.lines])
        self.assert_png(fig)

    def test_timeline_draws_stock_cluster_references_and_the_overtaking_month(self):
        fig = plot.timeline(self.timeline)
        stock_ax, flops_ax = fig.axes
        actor = self.timeline["actors"][0]
        self.assertIn(f"{actor['name']}: stock", legend_texts(stock_ax))
        self.assertIn(f"{actor['name']}: largest cluster", legend_texts(stock_ax))
        texts = legend_texts(flops_ax)
        for ref in self.timeline["references"]:
            self.assertIn(ref["id"], texts)
        overtaken = [o for o in actor["overtakes"] if o["first_month"]]
        self.assertTrue(overtaken)  # the pooled file overtakes Colossus phase 2
        for o in overtaken:
            self.assertIn(f"overtakes {o['reference']}: {o['first_month']}", texts)
            star = [line for line in flops_ax.lines if line.get_marker() == "*"
                    and line.get_label().startswith(f"overtakes {o['reference']}")][0]
            month = [m for m in actor["months"] if m["month"] == o["first_month"]][0]
            self.assertEqual(star.get_ydata()[0], month["cluster"]["sustained_flops"])
        self.assertEqual(flops_ax.get_yscale(), "log")
        self.assertEqual(len(stock_ax.lines[0].get_xdata()), len(actor["months"]))
        self.assert_png(fig)

    def test_sweep_draws_an_exceedance_curve_per_actor_with_reference_lines(self):
        fig = plot.sweep(self.sweep)
        ax = fig.axes[0]
        actors = self.sweep["points"][0]["actors"]
        curves = [line for line in ax.lines if line.get_marker() == "o"]
        self.assertEqual(len(curves), len(actors))
        for curve, actor in zip(curves, actors):
            m = actor["metrics"]["sustained_flops"]
            self.assertEqual(list(curve.get_ydata()),
                             [1.0, 0.95, 0.9, 0.75, 0.5, 0.25, 0.1, 0.05, 0.0])
            self.assertEqual(curve.get_xdata()[4], m["quantiles"]["p50"])
        self.assertEqual(ax.get_xscale(), "log")
        texts = legend_texts(ax)
        for ref in self.sweep["references"]:
            self.assertIn(ref, texts)
        # The reference line sits at the reference's FLOP/s, as estimate gives it
        # (within the quantile sketch's relative error).
        flops = {r["id"]: r["sustained_flops"] for r in self.estimate["references"]}
        verticals = [line.get_xdata()[0] for line in ax.lines if line.get_marker() != "o"]
        for ref in self.sweep["references"]:
            self.assertTrue(any(abs(v / flops[ref] - 1) < 0.02 for v in verticals), ref)
        self.assert_png(fig)

    def test_tornado_draws_a_bar_per_input_that_moves_the_result(self):
        fig = plot.tornado(self.sweep, actor=1)
        ax = fig.axes[0]
        moving = [t for t in self.sweep["points"][0]["actors"][1]["tornado"] if t["swing"] > 0]
        self.assertEqual(len(ax.patches), min(len(moving), 10))
        self.assertEqual([t.get_text() for t in ax.get_yticklabels()],
                         [t["input"] for t in moving[:10]])
        self.assertIn("all inputs at medians", legend_texts(ax))
        self.assert_png(fig)

    def test_grid_over_one_key_draws_a_line_per_actor_over_the_values(self):
        result = grid_sweep('"actor[1].site[0].power_mw" = [300, 1000, 3000]\n')
        fig = plot.grid(result)
        ax = fig.axes[0]
        lines = [line for line in ax.lines]
        self.assertEqual(len(lines), len(result["points"][0]["actors"]))
        self.assertEqual(list(lines[0].get_xdata()), [300.0, 1000.0, 3000.0])
        texts = legend_texts(ax)
        self.assertIn("p10 - p90", texts)
        self.assertTrue(any(t.endswith("-bound") for t in texts))
        self.assert_png(fig)
        self.assert_png(plot.figure(result))  # what `clustercap plot` draws

    def test_grid_over_two_keys_draws_flops_and_binding_maps(self):
        result = grid_sweep('"actor[1].site[0].power_mw" = [100, 3000]\n'
                            '"training.goodput" = [0.7, 0.9]\n', samples=200)
        fig = plot.grid(result)
        value_ax, bind_ax = fig.axes[0], fig.axes[1]
        self.assertEqual(len(value_ax.images), 1)
        self.assertEqual(value_ax.images[0].get_array().shape, (2, 2))
        self.assertEqual(len(bind_ax.images), 1)
        self.assertTrue(all(t.endswith("-bound") for t in legend_texts(bind_ax)))
        self.assertEqual(value_ax.get_xlabel(), "actor[1].site[0].power_mw")
        self.assertEqual(value_ax.get_ylabel(), "training.goodput")
        self.assert_png(fig)

    def test_grid_of_one_point_is_refused(self):
        with self.assertRaises(plot.PlotError) as caught:
            plot.grid(self.sweep)
        self.assertEqual(str(caught.exception), "grid draws a sweep over a [sweep.grid] of one "
                         "or two keys (this one has 1 point(s) over 0 key(s))")

    def test_compare_draws_a_ratio_bar_per_figure_and_parity(self):
        result = clustercap.compare(["huawei_cloudmatrix_384", "nvidia_gb200_nvl72"])
        fig = plot.compare(result)
        ax = fig.axes[0]
        ratios = result["items"][1]["ratio_first_to_this"]
        drawn = [v for v in ratios.values() if isinstance(v, (int, float)) and v > 0]
        self.assertEqual(sorted(p.get_height() for p in ax.patches), sorted(drawn))
        self.assertIn("parity (1x)", legend_texts(ax))
        self.assertEqual(ax.get_yscale(), "log")
        self.assert_png(fig)

    def test_classify_validate_and_hardware_render(self):
        classify = clustercap.classify(["nvidia_h20", "nvidia_h100_sxm"])
        fig = plot.classify(classify)
        texts = legend_texts(fig.axes[0])
        self.assertTrue(any(t.startswith("nvidia_h20 (") for t in texts))
        self.assertTrue(any(t.startswith("TPP 4800 ") for t in texts))  # 3A090.a, 2022-10
        self.assert_png(fig)
        validate = clustercap.validate()
        fig = plot.validate(validate)
        self.assertEqual(len(fig.axes[0].patches),
                         len([r for r in validate["runs"] if r["error"] is not None]))
        self.assert_png(fig)
        catalog = clustercap.catalog()
        fig = plot.hardware(catalog)
        self.assertEqual(fig.axes[0].get_xscale(), "log")
        self.assert_png(fig)

    def test_a_result_of_another_kind_is_refused_with_its_schema(self):
        with self.assertRaises(plot.PlotError) as caught:
            plot.timeline(self.estimate)
        self.assertEqual(str(caught.exception), "schema = 'clustercap.estimate.v1': this figure "
                         "draws clustercap.timeline output")
        with self.assertRaises(plot.PlotError) as caught:
            plot.figure({"schema": "other.thing"})
        self.assertEqual(str(caught.exception), "schema = 'other.thing': not a clustercap output "
                         "this version draws (clustercap.{estimate,timeline,timeline_sweep,"
                         "sweep,compare,classify,validate,hardware}.vN)")

    def test_save_writes_png_and_svg_and_refuses_other_suffixes(self):
        fig = plot.estimate(self.estimate)
        with tempfile.TemporaryDirectory() as directory:
            png = plot.save(fig, os.path.join(directory, "e.png"))
            with open(png, "rb") as handle:
                self.assertTrue(handle.read().startswith(PNG_MAGIC))
            svg = plot.save(fig, os.path.join(directory, "e.svg"))
            with open(svg, encoding="utf-8") as handle:
                self.assertIn("<svg", handle.read())
            with self.assertRaises(plot.PlotError) as caught:
                plot.save(fig, os.path.join(directory, "e.jpg"))
        self.assertTrue(str(caught.exception).endswith(
            "e.jpg: the suffix must be .png, .svg or .pdf"))

    def test_results_read_back_from_json_files_plot_the_same(self):
        text = json.dumps(self.estimate)
        self.assert_png(plot.figure(json.loads(text)))


if __name__ == "__main__":
    main_skipping_without("matplotlib")
