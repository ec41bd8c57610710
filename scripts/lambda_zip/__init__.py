"""`make lambda-zip`: the deployment package of the pipeline's Lambda functions, one zip that
all of them share (Terraform's `var.lambda_zip_path`, `build/lambda/eduportal-lambda.zip`).

It holds the `eduportal` package and the few distributions its handlers load
(`distributions`), installed from manylinux wheels for the functions' runtime and
architecture, never from this machine's own wheels (`install`), and written so that the same
content gives the same bytes (`archive`): Terraform's `source_code_hash` then changes only
when the content does. `build` puts the parts together; `python -m scripts.lambda_zip --help`
runs it.
"""


class PackageError(Exception):
    """A build that cannot go on; the message is the sentence to show, the cause in it."""
