"""`clustercap plot RESULT.json -o FIG`: a PNG (or SVG) for every output
kind, through Debian's python3 and the package beside the binary; messages
pinned."""

import os
import tempfile
import unittest

from support import CONFIGS, binary, main_skipping_without

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

KINDS = {
    "estimate": ["estimate"],
    "timeline": ["timeline", os.path.join(CONFIGS, "china-2026-pooled.toml")],
    "sweep": ["sweep", os.path.join(CONFIGS, "default.toml"), "-n", "1000"],
    # A timeline sweep (one sample per setting: the file's values) over a policy lever.
    "timeline_sweep": ["sweep", os.path.join(CONFIGS, "china-2026-pooled.toml"),
                       "--set", 'sweep.policy.hbm_choke=["off", "on"]'],
    "compare": ["compare", "huawei_cloudmatrix_384", "nvidia_gb200_nvl72"],
    "classify": ["classify", "nvidia_h20", "nvidia_h100_sxm"],
    "validate": ["validate"],
    "hardware": ["hardware", "list"],
}


class PlotCommandTest(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.TemporaryDirectory()
        self.dir = self.directory.name

    def tearDown(self):
        self.directory.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_every_output_kind_plots_to_a_png(self):
        for kind, args in KINDS.items():
            with self.subTest(kind=kind):
                result = self.path(f"{kind}.json")
                code, _, err = binary(args + ["--format", "json", "--output", result])
                self.assertEqual((code, err), (0, ""))
                figure = self.path(f"{kind}.png")
                code, out, err = binary(["plot", result, "-o", figure])
                self.assertEqual((code, out, err), (0, "", ""))
                with open(figure, "rb") as handle:
                    data = handle.read()
                self.assertTrue(data.startswith(PNG_MAGIC))
                self.assertGreater(len(data), 10000)

    def test_an_svg_is_written_for_an_svg_suffix(self):
        result = self.path("estimate.json")
        binary(["estimate", "--format", "json", "--output", result])
        code, _, err = binary(["plot", result, "--output", self.path("estimate.svg")])
        self.assertEqual((code, err), (0, ""))
        with open(self.path("estimate.svg"), encoding="utf-8") as handle:
            self.assertIn("<svg", handle.read())

    def check_refused(self, content, args_tail, expected, code=2):
        result = self.path("result.json")
        with open(result, "w", encoding="utf-8") as handle:
            handle.write(content)
        got = binary(["plot", "result.json"] + args_tail, cwd=self.dir)
        self.assertEqual(got, (code, "", expected))

    def test_text_that_is_not_json_is_refused_with_its_line_and_column(self):
        self.check_refused("== estimate ==\n", ["-o", "x.png"],
                           "clustercap: result.json:1:1: not JSON: Expecting value "
                           "(plot reads --format json output)\n")

    def test_json_without_a_clustercap_schema_is_refused(self):
        self.check_refused('{"schema": "clustercap.nothing.v1"}', ["-o", "x.png"],
                           "clustercap: result.json: schema = 'clustercap.nothing.v1': not a "
                           "clustercap output this version draws (clustercap.{estimate,"
                           "timeline,timeline_sweep,sweep,compare,classify,validate,"
                           "hardware}.vN)\n")

    def test_hardware_show_is_refused_naming_hardware_list(self):
        self.check_refused('{"schema": "clustercap.hardware.v1", "entry": {}}', ["-o", "x.png"],
                           "clustercap: result.json: hardware draws `hardware list` output "
                           "(many entries), not `hardware show` (one)\n")

    def test_an_unknown_suffix_is_refused(self):
        self.check_refused("{}", ["-o", "x.jpg"],
                           "clustercap: --output x.jpg: the suffix must be .png, .svg or .pdf\n")

    def test_a_missing_result_is_refused(self):
        got = binary(["plot", "missing.json", "-o", "x.png"], cwd=self.dir)
        self.assertEqual(got, (2, "", "clustercap: missing.json: cannot read: No such file or "
                                      "directory\n"))
        self.assertFalse(os.path.exists(self.path("x.png")))

    def test_an_unwritable_figure_is_a_runtime_failure(self):
        result = self.path("estimate.json")
        binary(["estimate", "--format", "json", "--output", result])
        code, _, err = binary(["plot", result, "-o", "/nonexistent-dir/x.png"])
        self.assertEqual((code, err), (1, "clustercap: --output /nonexistent-dir/x.png: cannot "
                                          "write: No such file or directory\n"))


if __name__ == "__main__":
    main_skipping_without("matplotlib")
