"""Write orchard.csv: a small, messy, made-up table for the tests and the README's shell tour.

It has what real downloaded tables have: an identifier column, text categories (some cells
missing), numbers with missing cells written as empty fields, ``NA`` and ``?``, a true/false
column and a few rows without a target. The target (``harvest``: low, medium, high) follows
from the features plus noise, so a model can learn it. Run ``python tests/data/make_orchard.py``
to write the file again (it is deterministic).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

ROWS = 240
VARIETIES = ["Fuji", "Gala", "Granny Smith", "Honeycrisp"]
REGIONS = ["East", "North", "South", "West"]


def main() -> None:
    rng = np.random.default_rng(7)
    variety = rng.choice(VARIETIES, size=ROWS)
    region = rng.choice(REGIONS, size=ROWS)
    age = rng.integers(2, 40, size=ROWS)
    height = np.round(1.5 + 0.12 * age + rng.normal(0, 0.4, size=ROWS), 2)
    ph = np.round(rng.normal(6.5, 0.5, size=ROWS), 2)
    irrigated = rng.random(ROWS) < 0.6
    score = (0.08 * age + 1.2 * irrigated - 1.5 * np.abs(ph - 6.5)
             + np.select([variety == "Honeycrisp", variety == "Granny Smith"], [0.8, -0.6], 0.0)
             + np.where(region == "South", 0.7, 0.0) + rng.normal(0, 0.5, size=ROWS))
    harvest = np.where(score < 1.2, "low", np.where(score < 2.6, "medium", "high"))
    path = Path(__file__).with_name("orchard.csv")
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["tree_id", "variety", "region", "age_years", "height_m", "soil_ph",
                    "irrigated", "harvest"])
        for i in range(ROWS):
            cells = [f"T{1000 + 37 * i}", variety[i], region[i], str(age[i]), f"{height[i]:.2f}",
                     f"{ph[i]:.2f}", "true" if irrigated[i] else "false", harvest[i]]
            if i % 17 == 3:
                cells[1] = ""  # a missing category
            if i % 13 == 5:
                cells[4] = "NA"
            if i % 19 == 7:
                cells[3] = "?"  # UCI style
            if i % 23 == 11:
                cells[5] = ""
            if i % 60 == 59:
                cells[7] = ""  # no target: left out of training
            w.writerow(cells)


if __name__ == "__main__":
    main()
