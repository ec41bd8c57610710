"""The CDN's Accept normalization (issue 11): the CloudFront function, run with node on the
table of real clients' headers, agrees with `domain.delivery`, and the Terraform wires it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from eduportal.domain.delivery import DeliveryFormat, delivery_format, requested_key
from tests.support.accept_table import clients, uris
from tests.support.terraform import ROOT, configuration, one

FUNCTION = ROOT / "functions" / "image_format.js"

# Loads the function as CloudFront does (a script defining `handler`) and answers, for each
# case read from stdin, the format it chose and the URI it asked the origin for.
_HARNESS = """
const fs = require("fs");
const source = fs.readFileSync(process.argv[1], "utf8");
const run = new Function(source + "; return {handler: handler, deliveryFormat: deliveryFormat};")();
const cases = JSON.parse(fs.readFileSync(0, "utf8"));
const answers = cases.map(function (c) {
  const headers = c.accept === null ? {} : {accept: {value: c.accept}};
  const event = {version: "1.0", request: {method: "GET", uri: c.uri, headers: headers,
    querystring: {v: {value: "abc123"}}, cookies: {}}};
  const request = run.handler(event);
  return {format: run.deliveryFormat(c.accept), uri: request.uri, v: request.querystring.v.value};
});
process.stdout.write(JSON.stringify(answers));
"""


def _run_function(cases: list[dict[str, str | None]]) -> list[dict[str, str]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to run the CloudFront function (apt-get install nodejs)")
    done = subprocess.run(
        [node, "-e", _HARNESS, str(FUNCTION)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    answers: list[dict[str, str]] = json.loads(done.stdout)
    return answers


def test_the_function_and_the_origin_agree_on_every_client_and_uri() -> None:
    cases = [
        {"client": client.client, "accept": client.accept, "uri": uri}
        for client in clients()
        for uri in uris()
    ]
    answers = _run_function([{"accept": c["accept"], "uri": c["uri"]} for c in cases])
    assert len(answers) == len(cases)
    for case, answer in zip(cases, answers, strict=True):
        accept, uri = case["accept"], str(case["uri"])
        expected = delivery_format(accept)
        assert answer["format"] == expected.value, case
        assert answer["uri"] == "/" + requested_key(uri.removeprefix("/"), expected), case
        assert answer["v"] == "abc123", "the version stays in the cache key"
        if expected is not DeliveryFormat.AVIF and uri.endswith(".webp"):
            assert not answer["uri"].endswith(".avif"), case


def test_the_table_is_what_the_clients_get_at_the_cdn() -> None:
    answers = _run_function([{"accept": c.accept, "uri": "/processed/i.webp"} for c in clients()])
    assert [a["format"] for a in answers] == [c.format.value for c in clients()]
    rewritten = {c.format: a["uri"] for c, a in zip(clients(), answers, strict=True)}
    assert rewritten == {
        DeliveryFormat.AVIF: "/processed/i.avif",
        DeliveryFormat.WEBP: "/processed/i.webp",
        DeliveryFormat.LEGACY: "/processed/i.jpg",
    }


def test_the_function_runs_on_viewer_requests_of_the_image_behaviour() -> None:
    function = configuration().resource("aws_cloudfront_function", "image_format")
    assert function["runtime"] == "cloudfront-js-2.0"
    assert function["publish"] is True
    assert function["code"] == '${file("${path.module}/functions/image_format.js")}'
    distribution = configuration().resource("aws_cloudfront_distribution", "images")
    behaviour = one(distribution["default_cache_behavior"])
    association = one(behaviour["function_association"])
    assert association["event_type"] == "viewer-request"
    assert association["function_arn"] == "${aws_cloudfront_function.image_format.arn}"
    # The URI is the cache key; the version stays in it, and Accept need not.
    policy = configuration().resource("aws_cloudfront_cache_policy", "images")
    key = one(policy["parameters_in_cache_key_and_forwarded_to_origin"])
    assert one(key["headers_config"])["header_behavior"] == "none"


def test_a_missing_variant_fails_over_to_the_portal_origin() -> None:
    distribution = configuration().resource("aws_cloudfront_distribution", "images")
    behaviour = one(distribution["default_cache_behavior"])
    group = one(distribution["origin_group"])
    assert behaviour["target_origin_id"] == group["origin_id"]
    assert [m["origin_id"] for m in group["member"]] == ["images", "portal"]
    assert {403, 404} <= set(one(group["failover_criteria"])["status_codes"])
    portal = next(o for o in distribution["origin"] if o["origin_id"] == "portal")
    assert portal["domain_name"] == "${aws_lb.app.dns_name}"
    assert portal["origin_path"] == "/images"


def test_responses_vary_on_accept() -> None:
    policy = configuration().resource("aws_cloudfront_response_headers_policy", "images")
    items = one(policy["custom_headers_config"])["items"]
    assert {"header": "Vary", "value": "Accept", "override": True} in items


def test_the_function_file_is_the_one_terraform_loads() -> None:
    assert FUNCTION.is_file()
    assert Path(FUNCTION).read_text().count("function handler(event)") == 1
