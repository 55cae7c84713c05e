"""Copy the browser files GovShare serves from node_modules into app/vendor/ (make dist), so a release serves them
from the package and needs no npm at run time. Only what the pages load is copied (app/main/views.py VENDOR:
each package's dist folder without source maps; of echarts only the one minified file)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.main.views import VENDOR  # noqa: E402  (the project's root is on the path only now)
from app.paths import VENDOR as TARGET  # noqa: E402

ONLY = {"echarts": ["echarts.min.js"]}  # of a large dist folder, the files the pages load


def main() -> None:
    modules = ROOT / "node_modules"
    if TARGET.exists():
        shutil.rmtree(TARGET)
    for package, folders in VENDOR.items():
        source = next((modules / d for d in folders if (modules / d).is_dir()), None)
        if source is None:
            raise SystemExit(f"{package}: not in node_modules (run npm ci first)")
        target = TARGET / package
        if package in ONLY:
            target.mkdir(parents=True)
            for name in ONLY[package]:
                shutil.copy2(source / name, target / name)
        else:
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.map"))
    size = sum(f.stat().st_size for f in TARGET.rglob("*") if f.is_file())
    print(f"bundled {len(VENDOR)} browser packages into {TARGET} ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
