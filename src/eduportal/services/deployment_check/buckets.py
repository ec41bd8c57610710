"""The buckets' rules: requirement 2 (versioning, SSE AES-256, no public access), 4.4 (only
CloudFront reads the images), 5 (the lifecycle tiers on objects tagged `lifecycle=auto`) and
pipeline requirement 1.1 (uploads announced to EventBridge)."""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Final

from eduportal.domain.bucket_policy import EVERYONE, Statement, parse_policy
from eduportal.domain.deployment import (
    BucketSettings,
    EncryptionRule,
    LifecycleRule,
    PublicAccessBlock,
)
from eduportal.domain.deployment_figures import (
    ARCHIVE_CLASS,
    ARCHIVE_DAYS,
    ENCRYPTION_ALGORITHM,
    EXPIRATION_DAYS,
    INFREQUENT_ACCESS_CLASS,
    INFREQUENT_ACCESS_DAYS,
    LIFECYCLE_TAG_KEY,
    LIFECYCLE_TAG_VALUE,
)
from eduportal.domain.deployment_outputs import DeploymentOutputs
from eduportal.services.deployment_check.rules import Finding, Rule, listed, setting

OWNERSHIP: Final = "BucketOwnerEnforced"
"""ACLs off: the bucket's owner owns every object, and only policies grant access."""
CLOUDFRONT_PRINCIPAL: Final = "Service:cloudfront.amazonaws.com"
SOURCE_ARN_OPERATORS: Final = frozenset({"StringEquals", "ArnEquals", "StringLike", "ArnLike"})
"""The operators a policy may compare `AWS:SourceArn` with; a value with a wildcard is not the
distribution's ARN, so the `Like` ones pass only with the exact ARN."""
_BLOCKS: Final = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)
_TIERS: Final = frozenset(
    {(INFREQUENT_ACCESS_DAYS, INFREQUENT_ACCESS_CLASS), (ARCHIVE_DAYS, ARCHIVE_CLASS)}
)
_AUTO: Final = f"{LIFECYCLE_TAG_KEY}={LIFECYCLE_TAG_VALUE}"


def image_bucket_rules(outputs: DeploymentOutputs) -> list[Rule[BucketSettings]]:
    bucket = outputs.image_bucket
    resources = (outputs.bucket_arn(bucket), f"{outputs.bucket_arn(bucket)}/*")
    source = outputs.distribution_arn
    return [
        *_protection_rules("image bucket"),
        Rule(
            "image bucket object ownership",
            OWNERSHIP,
            lambda b: setting(b.ownership, _ownership),
        ),
        Rule(
            "image bucket lifecycle tiers",
            f"an enabled rule on the tag {_AUTO} alone: {_tiers_text(sorted(_TIERS))}",
            lambda b: setting(b.lifecycle, _tiers),
        ),
        Rule(
            "image bucket lifecycle expiration",
            f"the rule on the tag {_AUTO} expires objects at {EXPIRATION_DAYS} days",
            lambda b: setting(b.lifecycle, _expiration),
        ),
        Rule(
            "image bucket noncurrent version expiration",
            "an enabled rule that expires noncurrent versions",
            lambda b: setting(b.lifecycle, _noncurrent),
        ),
        Rule(
            "image bucket incomplete upload cleanup",
            "an enabled rule that aborts incomplete multipart uploads",
            lambda b: setting(b.lifecycle, _multipart),
        ),
        Rule(
            "image bucket policy: TLS only",
            "a statement denying every s3 action to everyone on the bucket and its objects "
            "when aws:SecureTransport is false",
            lambda b: setting(b.policy, _policy(lambda s: _tls_only(s, resources))),
        ),
        Rule(
            "image bucket policy: CloudFront reads",
            "s3:GetObject allowed only to cloudfront.amazonaws.com, on the condition "
            f"AWS:SourceArn = {source}",
            lambda b: setting(b.policy, _policy(lambda s: _cloudfront_reads(s, source))),
        ),
        Rule(
            "image bucket EventBridge notifications",
            "on",
            lambda b: setting(b.eventbridge, lambda on: Finding(on, "on" if on else "off")),
        ),
    ]


def archive_bucket_rules() -> list[Rule[BucketSettings]]:
    return _protection_rules("archive bucket")


def _protection_rules(kind: str) -> list[Rule[BucketSettings]]:
    """What both buckets must have: versions kept, objects encrypted, nothing public."""
    return [
        Rule(f"{kind} versioning", "Enabled", lambda b: setting(b.versioning, _versioning)),
        Rule(
            f"{kind} encryption",
            f"{ENCRYPTION_ALGORITHM}, bucket key on",
            lambda b: setting(b.encryption, _encryption),
        ),
        Rule(
            f"{kind} public access block",
            f"all four on ({', '.join(_BLOCKS)})",
            lambda b: setting(b.public_access_block, _public_access),
        ),
    ]


def _versioning(status: str) -> Finding:
    return Finding(status == "Enabled", status or "never enabled")


def _encryption(rules: tuple[EncryptionRule, ...]) -> Finding:
    found = "; ".join(
        f"{rule.algorithm}{f' with key {rule.kms_key}' if rule.kms_key else ''}, "
        f"bucket key {'on' if rule.bucket_key else 'off'}"
        for rule in rules
    )
    passed = bool(rules) and all(
        rule.algorithm == ENCRYPTION_ALGORITHM and rule.bucket_key for rule in rules
    )
    return Finding(passed, found or "no default encryption")


def _public_access(block: PublicAccessBlock | None) -> Finding:
    if block is None:
        return Finding(False, "no public access block")
    flags = (
        block.block_public_acls,
        block.ignore_public_acls,
        block.block_public_policy,
        block.restrict_public_buckets,
    )
    off = [name for name, on in zip(_BLOCKS, flags, strict=True) if not on]
    return Finding(not off, f"off: {', '.join(off)}" if off else "all four on")


def _ownership(ownership: str | None) -> Finding:
    return Finding(ownership == OWNERSHIP, ownership or "not set (ACLs decide)")


def _auto_rules(rules: tuple[LifecycleRule, ...]) -> list[LifecycleRule]:
    """The enabled rules that act on every object tagged `lifecycle=auto`, and only on
    those: a prefix would leave the rest of the images alone."""
    return [
        rule
        for rule in rules
        if rule.enabled
        and not rule.prefix
        and dict(rule.tags) == {LIFECYCLE_TAG_KEY: LIFECYCLE_TAG_VALUE}
    ]


def _no_auto_rule(rules: tuple[LifecycleRule, ...]) -> Finding:
    names = listed(f"{r.rule_id} ({_scope(r)}{'' if r.enabled else ', disabled'})" for r in rules)
    return Finding(False, f"no enabled rule on the tag {_AUTO} alone (rules: {names})")


def _scope(rule: LifecycleRule) -> str:
    parts = [f"prefix {rule.prefix!r}"] if rule.prefix else []
    parts += [f"tag {key}={value}" for key, value in rule.tags.items()]
    return " and ".join(parts) or "every object"


def _tiers(rules: tuple[LifecycleRule, ...]) -> Finding:
    auto = _auto_rules(rules)
    if not auto:
        return _no_auto_rule(rules)
    tiers = [[(t.days, t.storage_class) for t in rule.transitions] for rule in auto]
    return Finding(
        any(frozenset(each) == _TIERS for each in tiers),
        "; ".join(
            f"rule {rule.rule_id}: {_tiers_text(each)}"
            for rule, each in zip(auto, tiers, strict=True)
        ),
    )


def _tiers_text(tiers: list[tuple[int | None, str]]) -> str:
    return listed(
        (f"{storage_class} at {days} days" for days, storage_class in tiers),
        empty="no transition",
    )


def _expiration(rules: tuple[LifecycleRule, ...]) -> Finding:
    auto = _auto_rules(rules)
    if not auto:
        return _no_auto_rule(rules)
    return Finding(
        any(rule.expiration_days == EXPIRATION_DAYS for rule in auto),
        "; ".join(
            f"rule {rule.rule_id}: "
            + (f"expires at {rule.expiration_days} days" if rule.expiration_days else "no expiry")
            for rule in auto
        ),
    )


def _noncurrent(rules: tuple[LifecycleRule, ...]) -> Finding:
    return _any_rule(
        rules, lambda rule: rule.noncurrent_expiration_days, "noncurrent versions expire"
    )


def _multipart(rules: tuple[LifecycleRule, ...]) -> Finding:
    return _any_rule(rules, lambda rule: rule.abort_multipart_days, "incomplete uploads aborted")


def _any_rule(
    rules: tuple[LifecycleRule, ...], days: Callable[[LifecycleRule], int | None], what: str
) -> Finding:
    found = [
        f"rule {rule.rule_id}: {what} after {days(rule)} days"
        for rule in rules
        if rule.enabled and days(rule) is not None
    ]
    return Finding(bool(found), "; ".join(found) or "no enabled rule")


def _policy(judge: Callable[[tuple[Statement, ...]], Finding]) -> Callable[[str | None], Finding]:
    def judged(document: str | None) -> Finding:
        if document is None:
            return Finding(False, "no bucket policy")
        try:
            statements = parse_policy(document)
        except ValueError as exc:
            return Finding(False, str(exc))
        return judge(statements)

    return judged


def _tls_only(statements: tuple[Statement, ...], resources: tuple[str, ...]) -> Finding:
    for statement in statements:
        if (
            statement.effect == "Deny"
            and EVERYONE in statement.principals
            and statement.covers("s3:*")
            and statement.condition(frozenset({"Bool"}), "aws:SecureTransport") == {"false"}
            and all(
                any(fnmatchcase(arn, pattern) for pattern in statement.resources)
                for arn in resources
            )
        ):
            return Finding(True, "requests without TLS are denied")
    return Finding(False, "no statement denies every request without TLS")


def _cloudfront_reads(statements: tuple[Statement, ...], source: str) -> Finding:
    """Every statement allowing s3:GetObject is CloudFront's, on the distribution's ARN. A
    statement written with NotPrincipal, NotAction or NotResource may allow anything, so it
    counts as someone else's."""
    allowing = [
        s for s in statements if s.effect == "Allow" and (s.negated or s.covers("s3:GetObject"))
    ]
    if not allowing:
        return Finding(False, "no statement allows s3:GetObject")
    others = sorted(
        principal
        for s in allowing
        if s.negated or s.principals != {CLOUDFRONT_PRINCIPAL}
        for principal in (s.principals or {"(a NotPrincipal, NotAction or NotResource)"})
    )
    arns = [s.condition(SOURCE_ARN_OPERATORS, "AWS:SourceArn") for s in allowing]
    unbound = [sorted(each) for each in arns if each != {source}]
    if others:
        return Finding(False, f"s3:GetObject is also allowed to {listed(others)}")
    if unbound:
        return Finding(
            False,
            "s3:GetObject is allowed to cloudfront.amazonaws.com on AWS:SourceArn "
            + "; ".join(listed(each, empty="(no condition)") for each in unbound),
        )
    return Finding(True, f"only cloudfront.amazonaws.com, on AWS:SourceArn {source}")
