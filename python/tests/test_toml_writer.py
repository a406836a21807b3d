"""clustercap.to_toml, the writer that turns a scenario dict into the TOML
the binary reads on stdin."""

import datetime
import os
import tomllib
import unittest

import clustercap
from support import CONFIGS


class TomlWriterTest(unittest.TestCase):
    def test_tables_arrays_of_tables_and_distributions_are_written_as_the_configs_write_them(self):
        scenario = {
            "scenario": {"name": "two sites", "date": datetime.date(2025, 12, 31)},
            "training": {"mfu": {"dist": "uniform", "min": 0.3, "max": 0.45},
                         "duration_days": 90},
            "actor": [{"name": "A", "site": [{"name": "north", "power_mw": 300.0},
                                             {"name": "south", "power_mw": 1e3}]}],
            "sweep": {"grid": {"actor[0].site[1].power_mw": [100, 300]}},
        }
        self.assertEqual(clustercap.to_toml(scenario), "\n".join([
            "[scenario]",
            'name = "two sites"',
            "date = 2025-12-31",
            "",
            "[training]",
            'mfu = { dist = "uniform", min = 0.3, max = 0.45 }',
            "duration_days = 90",
            "",
            "[[actor]]",
            'name = "A"',
            "",
            "[[actor.site]]",
            'name = "north"',
            "power_mw = 300.0",
            "",
            "[[actor.site]]",
            'name = "south"',
            "power_mw = 1000.0",
            "",
            "[sweep]",
            "",
            "[sweep.grid]",
            '"actor[0].site[1].power_mw" = [100, 300]',
            ""]))

    def test_strings_escape_quotes_backslashes_and_control_characters(self):
        text = clustercap.to_toml({"name": 'a "q" \\ b\n\tc\x01\x7f é'})
        self.assertEqual(text, 'name = "a \\"q\\" \\\\ b\\n\\tc\\u0001\\u007F é"\n')
        self.assertEqual(tomllib.loads(text), {"name": 'a "q" \\ b\n\tc\x01\x7f é'})

    def test_keys_that_are_not_bare_are_quoted(self):
        self.assertEqual(clustercap.to_toml({"a b": 1, "x.y": 2, "ok_key-1": 3}),
                         '"a b" = 1\n"x.y" = 2\nok_key-1 = 3\n')

    def test_numbers_keep_their_type_and_value(self):
        values = {"i": 3, "f": 3.0, "tiny": 1e-300, "big": 1.5e25, "neg": -0.25, "t": True,
                  "inf": float("inf")}
        self.assertEqual(tomllib.loads(clustercap.to_toml(values)), values)
        self.assertIsInstance(tomllib.loads(clustercap.to_toml({"f": 3.0}))["f"], float)

    def test_none_is_refused_naming_its_key(self):
        with self.assertRaises(ValueError) as caught:
            clustercap.to_toml({"actor": [{"site": [{"power_mw": None}]}]})
        self.assertEqual(str(caught.exception),
                         "actor.site.power_mw: None has no TOML form; leave the key out")

    def test_a_list_of_distributions_stays_inline(self):
        text = clustercap.to_toml({"x": {"estimates": [{"dist": "uniform", "min": 1, "max": 2}]}})
        self.assertEqual(text, '[x]\nestimates = [{ dist = "uniform", min = 1, max = 2 }]\n')

    def test_every_config_round_trips(self):
        for name in sorted(os.listdir(CONFIGS)):
            if not name.endswith(".toml"):
                continue
            with open(os.path.join(CONFIGS, name), "rb") as handle:
                data = tomllib.load(handle)
            with self.subTest(config=name):
                self.assertEqual(tomllib.loads(clustercap.to_toml(data)), data)


if __name__ == "__main__":
    unittest.main(verbosity=2)
