"""The types of fixtures that hand out factories or readers, named once for every module.

Fixtures live in conftest files, which no module may import (tests/unit/test_suite_hygiene.py);
the types their values have live here, so a test can annotate its parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from eduportal.adapters.aws.s3_store import S3ObjectStore

if TYPE_CHECKING:
    from pymongo.database import Database
    from streamlit.testing.v1 import AppTest

S3StoreFactory: TypeAlias = Callable[..., S3ObjectStore]
"""`make_s3_store(endpoint=..., timeout=..., name=...)`: an S3 store on moto (or a proxy)."""

PageFactory: TypeAlias = "Callable[..., AppTest]"
"""`open_page(script, user=None, query=None)`: a Streamlit page run once, signed in as `user`,
with `query` in its address. A string, so that modules which only need the S3 types do not
import Streamlit's test harness."""

JsonLog: TypeAlias = Callable[[], list[dict[str, Any]]]
"""`json_log()`: the JSON lines eduportal logged so far in the test, parsed."""

MongoDatabase: TypeAlias = "Database[dict[str, Any]]"
"""What the contracts' `database` fixture gives for MongoDB (mongomock or a real server)."""
