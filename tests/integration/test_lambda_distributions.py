"""The Lambda package's distributions (`scripts/lambda_zip/distributions.py`) are the ones the
handlers load, so a new import cannot silently miss the zip and a dropped one does not stay.

An upload goes through every handler, from the record writer to `complete`, in a fresh
interpreter with the functions' environment (the pipeline's resources on moto), able to import
only eduportal, the declared distributions, what they require, and the standard library:
anything else installed here is refused, as the package lacks it (urllib3's optional brotli,
botocore's optional certifi: the handlers run without them, as on Lambda).
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

import eduportal
from scripts.lambda_zip.distributions import LAMBDA_DISTRIBUTIONS, closure, normalized
from tests.support.aws_pipeline import AwsPipeline
from tests.support.lambda_runs import refused_modules, run_handlers

SOURCE = Path(eduportal.__file__).resolve().parents[1]
INSTALLED = sorted({Path(sysconfig.get_path(kind)) for kind in ("purelib", "platlib")})


def test_the_handlers_load_exactly_the_lambda_packages_distributions(
    aws_pipeline: AwsPipeline,
) -> None:
    packaged = set(closure())
    report = run_handlers(
        aws_pipeline,
        [SOURCE, *INSTALLED],
        refuse=refused_modules(packaged | {"eduportal"}),
    )

    loaded = {normalized(name) for name in report["distributions"]} - {"eduportal"}
    assert loaded <= packaged, f"loaded but not in the Lambda package: {loaded - packaged}"
    declared = {normalized(name) for name in LAMBDA_DISTRIBUTIONS}
    assert declared <= loaded, f"in the Lambda package but not loaded: {declared - loaded}"
