"""The distribution's rules: requirement 4 (CloudFront in front of a private bucket, images
cached a day by default, a year at most) and the refinements in ARCHITECTURE.md (an origin
access control rather than the legacy identity; the `v` query string in the cache key, so a
replaced image is a new cache entry)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Final

from eduportal.domain.deployment import (
    CacheSettings,
    DistributionSettings,
    Origin,
    OriginAccessControl,
)
from eduportal.domain.deployment_figures import (
    CDN_DEFAULT_TTL_SECONDS,
    CDN_MAX_TTL_SECONDS,
    CDN_PRICE_CLASS,
    CDN_VERSION_QUERY,
)
from eduportal.domain.deployment_outputs import DeploymentOutputs
from eduportal.services.deployment_check.rules import Finding, Rule, listed, on_off, setting

VIEWER_PROTOCOL: Final = "redirect-to-https"
ALLOWED_METHODS: Final = ("GET", "HEAD", "OPTIONS")
CACHED_METHODS: Final = ("GET", "HEAD")
SIGNING: Final = ("sigv4", "always", "s3")
"""An origin access control's signing protocol, behaviour and origin type: CloudFront signs
every request to the bucket, which is what lets the bucket refuse everyone else."""


def distribution_rules(outputs: DeploymentOutputs) -> list[Rule[DistributionSettings]]:
    bucket = outputs.image_bucket
    return [
        Rule("CloudFront enabled", "on", lambda d: Finding(d.enabled, on_off(d.enabled))),
        Rule(
            "CloudFront origin access control",
            "the image bucket's origin signs with an origin access control: " + ", ".join(SIGNING),
            lambda d: _on_bucket_origins(d, bucket, _access_control),
        ),
        Rule(
            "CloudFront legacy origin access identity",
            "none on the image bucket's origin (the origin access control replaces it)",
            lambda d: _on_bucket_origins(d, bucket, _no_identity),
        ),
        Rule(
            "CloudFront viewer protocol",
            VIEWER_PROTOCOL,
            lambda d: Finding(d.viewer_protocol == VIEWER_PROTOCOL, d.viewer_protocol),
        ),
        Rule(
            "CloudFront allowed methods",
            _methods(ALLOWED_METHODS, CACHED_METHODS),
            lambda d: Finding(
                set(d.allowed_methods) == set(ALLOWED_METHODS)
                and set(d.cached_methods) == set(CACHED_METHODS),
                _methods(d.allowed_methods, d.cached_methods),
            ),
        ),
        Rule("CloudFront compression", "on", lambda d: Finding(d.compress, on_off(d.compress))),
        Rule(
            "CloudFront price class",
            CDN_PRICE_CLASS,
            lambda d: Finding(d.price_class == CDN_PRICE_CLASS, d.price_class),
        ),
        Rule(
            "CloudFront cache TTLs",
            _ttls_text(CDN_DEFAULT_TTL_SECONDS, CDN_MAX_TTL_SECONDS),
            lambda d: setting(d.cache, _ttls),
        ),
        Rule(
            "CloudFront cache key",
            f"the query string {CDN_VERSION_QUERY} in the cache key",
            lambda d: setting(d.cache, _cache_key),
        ),
    ]


def _on_bucket_origins(
    distribution: DistributionSettings, bucket: str, judge: Callable[[Origin], Finding]
) -> Finding:
    """`judge` on the origins that serve the image bucket (its S3 domain, global or
    regional); a distribution with none fails."""
    domain = re.compile(rf"{re.escape(bucket)}\.s3[.-]")
    origins = [o for o in distribution.origins if domain.match(o.domain_name)]
    if not origins:
        return Finding(
            False,
            f"no origin serves the bucket {bucket} "
            f"(origins: {listed(o.domain_name for o in distribution.origins)})",
        )
    findings = [judge(origin) for origin in origins]
    return Finding(all(f.passed for f in findings), "; ".join(f.found for f in findings))


def _access_control(origin: Origin) -> Finding:
    if not origin.access_control_id:
        return Finding(False, f"origin {origin.origin_id} has no origin access control")
    return setting(origin.access_control, lambda control: _signing(origin, control))


def _signing(origin: Origin, control: OriginAccessControl | None) -> Finding:
    if control is None:  # the reader names one only when the origin has one
        return Finding(False, f"origin {origin.origin_id} has no origin access control")
    signing = (control.signing_protocol, control.signing_behavior, control.origin_type)
    return Finding(
        signing == SIGNING,
        f"origin {origin.origin_id}: {control.control_id}, {', '.join(signing)}",
    )


def _no_identity(origin: Origin) -> Finding:
    return Finding(
        not origin.access_identity,
        f"origin {origin.origin_id}: {origin.access_identity or 'none'}",
    )


def _methods(allowed: Sequence[str], cached: Sequence[str]) -> str:
    return f"{listed(allowed)}; cached {listed(cached)}"


def _ttls_text(default_ttl: int, max_ttl: int) -> str:
    return f"default {default_ttl} s, maximum {max_ttl} s"


def _ttls(cache: CacheSettings) -> Finding:
    return Finding(
        (cache.default_ttl, cache.max_ttl) == (CDN_DEFAULT_TTL_SECONDS, CDN_MAX_TTL_SECONDS),
        f"{_ttls_text(cache.default_ttl, cache.max_ttl)} ({cache.source})",
    )


def _cache_key(cache: CacheSettings) -> Finding:
    names = cache.query_string_names
    in_key = {
        "all": True,
        "whitelist": CDN_VERSION_QUERY in names,
        "allExcept": CDN_VERSION_QUERY not in names,
    }.get(cache.query_strings, False)
    described = {
        "all": "every query string",
        "whitelist": f"query strings in the key: {listed(names)}",
        "allExcept": f"every query string but {listed(names)}",
    }.get(cache.query_strings, "no query string")
    return Finding(in_key, f"{described} ({cache.source})")
