"""Every resource, data source and provider block of `infrastructure/*.tf` agrees with the
real providers' schemas (hashicorp/aws 6.25.0, hashicorp/random 3.7.2, read from the cdktf
packages npm installs), the next best thing to `terraform validate`, which needs providers that
cannot be downloaded here. Also: the extraction reads those schemas right, and its cache holds
what it extracted."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.provider_check import check
from tests.support.provider_schema import (
    NODE_MODULES,
    Attribute,
    Body,
    NestedBlock,
    extract,
    load,
    schemas,
)
from tests.support.terraform import ROOT, configuration


def test_every_block_of_the_configuration_is_in_the_provider_schemas() -> None:
    config = configuration()
    assert config.files, f"no .tf files in infrastructure/ ({ROOT}): nothing to check"
    found = check(config, schemas())
    sources = " and ".join(schemas().sources)
    assert not found, f"{len(found)} findings against {sources}:\n" + "\n".join(map(str, found))


def test_a_resource_schema_has_its_arguments_and_nested_blocks() -> None:
    assert schemas().body("resources", "aws_s3_bucket_versioning") == Body(
        {
            "bucket": Attribute(required=True, holds_objects=False),
            "expected_bucket_owner": Attribute(required=False, holds_objects=False),
            "id": Attribute(required=False, holds_objects=False),
            "mfa": Attribute(required=False, holds_objects=False),
            "region": Attribute(required=False, holds_objects=False),
        },
        {
            "versioning_configuration": NestedBlock(
                required=True,
                single=True,
                attribute_syntax=False,
                body=Body(
                    {
                        "status": Attribute(required=True, holds_objects=False),
                        "mfa_delete": Attribute(required=False, holds_objects=False),
                    },
                    {},
                ),
            )
        },
    )


def test_names_are_terraform_s_even_where_cdktf_renamed_the_property() -> None:
    """cdktf calls them `fetchPasswordData`, `selfAttribute`, `equalTo`."""
    instance = schemas().body("data_sources", "aws_instance")
    group = schemas().body("resources", "aws_default_security_group")
    trail = schemas().body("resources", "aws_cloudtrail")
    assert instance and group and trail
    assert "get_password_data" in instance.attributes
    ingress = group.blocks["ingress"]
    assert ingress.attribute_syntax and ingress.body and "self" in ingress.body.attributes
    selector = trail.blocks["advanced_event_selector"].body
    assert selector and (field := selector.blocks["field_selector"].body)
    assert "equals" in field.attributes


def test_providers_and_random_are_there_too() -> None:
    aws = schemas().body("providers", "aws")
    random_id = schemas().body("resources", "random_id")
    assert aws and random_id
    assert "default_tags" in aws.blocks and "region" in aws.attributes
    assert random_id.attributes["byte_length"].required


def test_the_cache_returns_what_extraction_gives(tmp_path: Path) -> None:
    package = NODE_MODULES / "@cdktf" / "provider-random"
    first = load(package, tmp_path)
    (cached,) = tmp_path.glob("*.json")
    assert cached.name.startswith("cdktf-provider-random@12.0.1-")
    assert first == extract(package)
    cached.write_text(json.dumps({**first, "source": "from the cache"}), encoding="utf-8")
    assert load(package, tmp_path)["source"] == "from the cache"
