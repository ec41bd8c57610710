"""Every resource, data source and provider block of `infrastructure/*.tf` agrees with the
real providers' schemas (hashicorp/aws 6.25.0 as kept in the repository, hashicorp/random 3.7.2
read from the cdktf package npm installs), the next best thing to `terraform validate`, which
needs providers that cannot be downloaded here. Also: the extraction reads those schemas
right, and the kept one is what this extractor made."""

from __future__ import annotations

from pathlib import Path

from tests.support.provider_check import check
from tests.support.provider_extract import EXTRACTOR, extract, keep
from tests.support.provider_schema import NODE_MODULES, Attribute, Body, NestedBlock, kept, schemas
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


def test_the_kept_aws_schemas_are_what_this_extractor_made_of_the_pinned_package() -> None:
    aws = kept()
    assert aws["package"] == "@cdktf/provider-aws@21.22.1"
    assert aws["source"] == "hashicorp/aws 6.25.0"
    assert aws["extractor"] == EXTRACTOR, "the extractor changed: `make provider-schemas`"


def test_keeping_writes_what_extraction_gives_with_what_made_it(tmp_path: Path) -> None:
    package = NODE_MODULES / "@cdktf" / "provider-random"
    path = tmp_path / "random.json.gz"
    keep(package, path)
    first = path.read_bytes()
    assert kept(path) == {
        "package": "@cdktf/provider-random@12.0.1",
        "extractor": EXTRACTOR,
        **extract(package),
    }
    keep(package, path)
    assert path.read_bytes() == first  # a refresh that changes nothing changes no byte
