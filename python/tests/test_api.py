"""clustercap's functions against the binary: the same JSON whichever way a
scenario is given, errors with FILE:LINE:COL, samples as NumPy arrays."""

import os
import shutil
import tempfile
import threading
import time
import tomllib
import unittest

from support import (BAD_INPUTS, CONFIGS, binary, binary_json, clustercap, stdin_supported,
                     without_file)

NVL72 = os.path.join(CONFIGS, "gb200-nvl72-100mw.toml")
POWER_KEY = "actor[0].site[0].power_mw"
HAS_STDIN = stdin_supported()
NEEDS_STDIN = unittest.skipUnless(HAS_STDIN, "this build does not read a scenario from '-' yet")


def nvl72_text(power_mw):
    with open(NVL72, encoding="utf-8") as handle:
        text = handle.read()
    assert "power_mw = 100\n" in text
    return text.replace("power_mw = 100\n", f"power_mw = {power_mw}\n")


class EstimateTest(unittest.TestCase):
    def test_the_default_estimate_matches_the_binary_and_has_a_chip_count(self):
        result = clustercap.estimate()
        self.assertEqual(result, binary_json(["estimate"]))
        self.assertIsInstance(result["actors"][0]["cluster"]["chips"], int)
        self.assertGreater(result["actors"][0]["cluster"]["chips"], 0)

    def test_a_path_gives_the_binarys_json(self):
        self.assertEqual(clustercap.estimate(NVL72), binary_json(["estimate", NVL72]))

    def test_a_pathlike_is_a_path(self):
        import pathlib
        self.assertEqual(clustercap.estimate(pathlib.Path(NVL72)), clustercap.estimate(NVL72))

    @NEEDS_STDIN
    def test_a_toml_string_a_dict_a_file_and_set_give_the_same_numbers(self):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "nvl72-300.toml")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(nvl72_text(300))
            from_file = clustercap.estimate(path)
        from_text = clustercap.estimate(nvl72_text(300))
        from_dict = clustercap.estimate(tomllib.loads(nvl72_text(300)))
        from_set = clustercap.estimate(NVL72, set={POWER_KEY: 300})
        for other in (from_text, from_dict, from_set):
            self.assertEqual(without_file(other), without_file(from_file))
        # At 300 MW the file's $2.5B budget binds before power. With network
        # and facility free it buys racks at the catalog's $3M per 72-chip
        # rack, floor(2.5e9 / 3e6) = 833 racks; priced, they take a share.
        at_100 = clustercap.estimate(NVL72)["actors"][0]["cluster"]
        at_300 = from_file["actors"][0]["cluster"]
        free = {"cost.switch_usd": 0, "cost.transceiver_usd": 0, "cost.facility_usd_per_mw": 0}
        racks_only = clustercap.estimate(nvl72_text(300), set=free)["actors"][0]["cluster"]
        self.assertEqual(at_100["binding_constraint"], "power")
        self.assertEqual(at_300["binding_constraint"], "budget")
        self.assertEqual(racks_only["binding_constraint"], "budget")
        self.assertEqual(racks_only["chips"], 833 * 72)
        self.assertLess(at_300["chips"], 833 * 72)

    @NEEDS_STDIN
    def test_every_config_as_a_dict_gives_the_files_estimate(self):
        for name in sorted(os.listdir(CONFIGS)):
            if not name.endswith(".toml"):
                continue
            path = os.path.join(CONFIGS, name)
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
            with self.subTest(config=name):
                self.assertEqual(without_file(clustercap.estimate(data)),
                                 without_file(clustercap.estimate(path)))

    @NEEDS_STDIN
    def test_set_becomes_the_binarys_set_flag(self):
        self.assertEqual(clustercap.estimate(NVL72, set={POWER_KEY: 250}),
                         binary_json(["estimate", NVL72, "--set", f"{POWER_KEY}=250"]))


class ErrorTest(unittest.TestCase):
    def test_a_bad_file_raises_input_error_with_the_binarys_file_line_col_message(self):
        name = "05_utf8_bom_with_bad_value"
        with open(os.path.join(BAD_INPUTS, name + ".expected"), encoding="utf-8") as handle:
            expected = handle.read()
        cwd = os.getcwd()
        os.chdir(BAD_INPUTS)
        try:
            with self.assertRaises(clustercap.InputError) as caught:
                clustercap.estimate(name + ".toml")
        finally:
            os.chdir(cwd)
        error = caught.exception
        self.assertIsInstance(error, clustercap.Error)
        self.assertEqual(str(error) + "\n", expected)
        self.assertEqual(error.lines, expected.splitlines())
        self.assertEqual(error.exit_code, 2)
        self.assertEqual(error.locations[0][:3], (name + ".toml", 15, 7))
        self.assertEqual(error.locations[0][3], "actor.site.pue = 0.5: must be in [1, 3]")

    @NEEDS_STDIN
    def test_toml_text_errors_carry_line_and_column_of_the_text(self):
        text = nvl72_text(100).replace("power_mw = 100\n", "power_mw = -5\n")
        line = text.splitlines().index("power_mw = -5") + 1
        with self.assertRaises(clustercap.InputError) as caught:
            clustercap.estimate(text)
        self.assertEqual(len(caught.exception.locations), 1)
        _, error_line, column, message = caught.exception.locations[0]
        self.assertEqual((error_line, column), (line, 12))
        self.assertTrue(message.startswith("actor.site.power_mw = -5: "), message)

    @NEEDS_STDIN
    def test_a_bad_set_value_names_the_set_and_the_values_column(self):
        with self.assertRaises(clustercap.InputError) as caught:
            clustercap.estimate(NVL72, set={"training.goodput": 0.9, POWER_KEY: -5})
        # The second --set; its value starts after "actor[0].site[0].power_mw=" (26 characters).
        self.assertEqual(caught.exception.locations,
                         [("--set #2", 1, 27, "actor.site.power_mw = -5: must be in (0, 1000000]")])

    def test_an_unknown_id_is_an_input_error_with_a_suggestion(self):
        with self.assertRaises(clustercap.InputError) as caught:
            clustercap.compare(["nvidia_h100_sx", "nvidia_h20"])
        self.assertIn('(did you mean "nvidia_h100_sxm"?)', str(caught.exception))

    def test_an_unwritable_output_is_a_runtime_failure(self):
        with self.assertRaises(clustercap.RuntimeFailure) as caught:
            clustercap.run(["estimate", "--output", "/nonexistent-dir/estimate.json"])
        self.assertEqual(caught.exception.exit_code, 1)
        self.assertIsInstance(caught.exception, clustercap.Error)
        self.assertNotIsInstance(caught.exception, clustercap.InputError)

    def test_a_scenario_of_another_type_is_a_type_error(self):
        with self.assertRaises(TypeError):
            clustercap.estimate(42)


class SweepTest(unittest.TestCase):
    DEFAULT = os.path.join(CONFIGS, "default.toml")

    def test_kept_samples_are_numpy_arrays_of_one_value_per_sample(self):
        import numpy
        # A private temporary directory (other tests may sweep at the same time).
        with tempfile.TemporaryDirectory() as private:
            saved, tempfile.tempdir = tempfile.tempdir, private
            try:
                result = clustercap.sweep(self.DEFAULT, samples=3000, seed=7, keep_samples=True)
            finally:
                tempfile.tempdir = saved
            self.assertEqual(os.listdir(private), [])  # the samples' directory is gone
        samples = result["samples"]
        self.assertGreater(len(samples), 5)
        for name, column in samples.items():
            self.assertIsInstance(column, numpy.ndarray, name)
            self.assertEqual(column.shape, (3000,), name)
        self.assertEqual(samples["sample"].tolist(), list(range(3000)))
        # The kept samples are the ones summarised: their mean is the JSON's.
        actor = result["points"][0]["actors"][0]
        flops = samples[f"{actor['name']}:sustained_flops"]
        self.assertAlmostEqual(flops.mean() / actor["metrics"]["sustained_flops"]["mean"], 1.0,
                               places=9)

    def test_the_sweep_matches_the_binary(self):
        self.assertEqual(clustercap.sweep(self.DEFAULT, samples=2000, seed=3, threads=2),
                         binary_json(["sweep", self.DEFAULT, "-n", "2000", "--seed", "3"]))

    @NEEDS_STDIN
    def test_a_grid_runs_one_point_per_value(self):
        result = clustercap.sweep(self.DEFAULT, samples=500,
                                  grid={"actor[1].site[0].power_mw": [300, 1000]})
        self.assertEqual([p["settings"] for p in result["points"]],
                         [{"actor[1].site[0].power_mw": 300.0},
                          {"actor[1].site[0].power_mw": 1000.0}])

    def test_a_grid_over_a_scenario_that_has_one_is_refused(self):
        with self.assertRaises(ValueError) as caught:
            clustercap.sweep({"sweep": {"grid": {"training.goodput": [0.5]}}},
                             grid={"training.mfu": [0.3]})
        self.assertEqual(str(caught.exception), "the scenario already has a [sweep.grid]; pass "
                         "grid= or edit the scenario, not both")

    def test_the_gil_is_released_during_a_sweep(self):
        done = threading.Event()
        outcome = {}

        def work():
            outcome["result"] = clustercap.sweep(self.DEFAULT, samples=100000, seed=1)
            done.set()

        worker = threading.Thread(target=work)
        ticks = 0
        worker.start()
        started = time.monotonic()
        while not done.is_set():
            ticks += 1
            time.sleep(0.001)
        worker.join()
        elapsed = time.monotonic() - started
        self.assertIn("result", outcome)
        # Holding the GIL for the whole C++ call would leave this loop one
        # or two turns; released, it turns about once a millisecond.
        if elapsed > 0.05:
            self.assertGreater(ticks, 10)


class OtherCommandsTest(unittest.TestCase):
    def test_each_command_returns_its_schema_and_the_binarys_numbers(self):
        cases = [
            (clustercap.compare(["huawei_cloudmatrix_384", "nvidia_gb200_nvl72"]),
             ["compare", "huawei_cloudmatrix_384", "nvidia_gb200_nvl72"]),
            (clustercap.classify(["nvidia_h20"], rule="2026-01"),
             ["classify", "nvidia_h20", "--rule", "2026-01"]),
            (clustercap.catalog(kind="chip"), ["hardware", "list", "--kind", "chip"]),
            (clustercap.validate(), ["validate"]),
            (clustercap.timeline(os.path.join(CONFIGS, "china-2026-pooled.toml")),
             ["timeline", os.path.join(CONFIGS, "china-2026-pooled.toml")]),
        ]
        for result, args in cases:
            with self.subTest(command=args[0]):
                self.assertEqual(result, binary_json(args))

    def test_timeline_needs_a_scenario(self):
        with self.assertRaises(TypeError):
            clustercap.timeline()


if __name__ == "__main__":
    import unittest as _unittest
    _unittest.main(verbosity=2)
