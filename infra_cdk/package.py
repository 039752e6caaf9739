"""`make package`: every Lambda asset built as the CDK app ships it, and twins of the layers for tests.

    build/package/lambda/layers/<layer>/python   what CDK uploads (Lambda's platform, python3.13)
    build/package/lambda/functions/<function>    each function's code, compiled
    build/package/host/layers/<layer>/python     the same packages for this machine's platform
    build/package/host/runtime                   what Lambda's runtime provides: its interface
                                                 client (awslambdaric) and the AWS SDK

The same bundling code as `cdk synth` (infra_cdk/bundling.py) builds them. The host twins let
tests/packaged run each function by the Lambda runtime interface client under python3.13 with its
package alone on sys.path. Sizes per function (its code and every layer it has) are printed beside
Lambda's 250 MB unzipped limit; `--no-lambda` builds only what the tests need.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import zipfile
from pathlib import Path

from contentflow.resources import FUNCTIONS, LAYERS
from infra_cdk.bundling import ROOT, compile_tree, copy_source, host_platform, install_layer, pip_install

OUT = ROOT / "build" / "package"
# What Lambda's python3.13 runtime brings itself, for the host twin (the SDK as Lambda bundles it).
RUNTIME_PACKAGES = ("awslambdaric>=4,<5", "boto3>=1.40")
CORE = ROOT / "layers" / "core" / "python"
LIMIT_MB = 250  # Lambda: a function and its layers, unzipped


def build(out: Path = OUT, *, lambda_assets: bool = True) -> None:
    """Build into a fresh `out` (its previous content goes)."""
    shutil.rmtree(out, ignore_errors=True)
    targets = [("host", host_platform())] + ([("lambda", None)] if lambda_assets else [])
    for kind, platform in targets:
        for name, layer in LAYERS.items():
            print(f"layer {name} ({kind})", file=sys.stderr)
            install_layer(layer, out / kind / "layers" / name, **({"platform": platform} if platform else {}))
        copy_source(CORE, out / kind / "layers" / "core" / "python")
        if kind == "host":  # compiled, as Lambda's runtime ships its SDK
            pip_install(RUNTIME_PACKAGES, out / kind / "runtime", platform=platform)
            compile_tree(out / kind / "runtime")
        for name in FUNCTIONS:
            copy_source(ROOT / "functions" / name, out / kind / "functions" / name)


def paths(name: str, out: Path = OUT, kind: str = "host") -> list[Path]:
    """What a function's Lambda would have: its code, then its layers' python/ directories."""
    root = out / kind
    layers = ["core", *FUNCTIONS[name].layers]
    return [root / "functions" / name, *(root / "layers" / layer / "python" for layer in layers)]


def sizes(name: str, out: Path = OUT, kind: str = "lambda") -> tuple[int, int]:
    """(zipped, unzipped) bytes of the function's code and layers."""
    function, *layers = paths(name, out, kind)
    zipped = unzipped = 0
    for directory, prefix in [(function, ""), *((layer, "python/") for layer in layers)]:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(p for p in directory.rglob("*") if p.is_file()):
                archive.write(file, prefix + file.relative_to(directory).as_posix())
                unzipped += file.stat().st_size
        zipped += buffer.tell()
    return zipped, unzipped


def report(out: Path = OUT) -> str:
    lines = [f"{'function':<18} {'layers':<24} {'zipped MB':>9} {'unzipped MB':>11}  limit {LIMIT_MB} MB"]
    for name, spec in FUNCTIONS.items():
        zipped, unzipped = sizes(name, out)
        layers = "+".join(("core", *spec.layers))
        over = "  OVER THE LIMIT" if unzipped > LIMIT_MB * 1e6 else ""
        lines.append(f"{name:<18} {layers:<24} {zipped / 1e6:>9.1f} {unzipped / 1e6:>11.1f}{over}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-lambda", action="store_true", help="only the host twins (for the tests)")
    args = parser.parse_args(argv)
    build(lambda_assets=not args.no_lambda)
    if not args.no_lambda:
        print(report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
