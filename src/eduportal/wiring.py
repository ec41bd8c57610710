"""The composition root: the only place that chooses and constructs adapters.

The embedded default (files, SQLite, offline generators) needs nothing but a data directory;
`EDUPORTAL_STORAGE=s3`, `MONGODB_URI` and `EDUPORTAL_GENERATORS` switch each part to AWS. AWS
and MongoDB modules are imported only when chosen, so the default starts fast.
"""

from __future__ import annotations

from dataclasses import dataclass

from eduportal.config import MiB, Settings
from eduportal.imaging.allocator import return_freed_images_to_the_os
from eduportal.imaging.decode_gate import DecodeGate
from eduportal.imaging.optimize import ImageOptimizer
from eduportal.ports import (
    AccountRepository,
    AnswerRepository,
    AnswerSuggester,
    AssignmentRepository,
    Embedder,
    ImageGenerator,
    ObjectStore,
    QuestionGenerator,
)
from eduportal.services.accounts import AccountService
from eduportal.services.assignments import AssignmentService
from eduportal.services.grading import GradingService
from eduportal.services.image_store import ImageStore


@dataclass(frozen=True)
class Repositories:
    assignments: AssignmentRepository
    answers: AnswerRepository
    accounts: AccountRepository


@dataclass(frozen=True)
class Generators:
    questions: QuestionGenerator
    images: ImageGenerator
    embedder: Embedder
    suggester: AnswerSuggester


@dataclass(frozen=True)
class Container:
    settings: Settings
    object_store: ObjectStore
    repositories: Repositories
    image_store: ImageStore
    accounts: AccountService
    assignments: AssignmentService
    grading: GradingService


def build_optimizer(settings: Settings) -> ImageOptimizer:
    """The optimizer with the process's one decode gate.

    Called once per process (by `build`, or by the CLI's `image optimize`), so every decode of
    the process reserves memory from the same pool; anything else that decodes images takes
    `optimizer.gate` rather than a gate of its own. The allocator is told to give freed image
    memory back, without which the gate's bound would not hold for the process's RSS.
    """
    return_freed_images_to_the_os()
    gate = DecodeGate(settings.decode_memory_mb * MiB, wait_seconds=settings.decode_wait_seconds)
    return ImageOptimizer(
        max_dimension=settings.max_image_dimension,
        quality=settings.webp_quality,
        max_bytes=settings.max_upload_bytes,
        max_pixels=settings.max_image_pixels,
        max_decode_bytes=settings.max_decode_mb * MiB,
        gate=gate,
    )


def build_object_store(settings: Settings) -> ObjectStore:
    if settings.storage == "s3":
        from eduportal.adapters.aws.clients import s3_client
        from eduportal.adapters.aws.s3_store import S3ObjectStore

        client = s3_client(
            region=settings.aws_region,
            timeout_seconds=settings.s3_timeout_seconds,
            endpoint_url=settings.aws_endpoint_url,
        )
        assert settings.s3_bucket_name is not None  # Settings validated it
        return S3ObjectStore(
            client, settings.s3_bucket_name, timeout_seconds=settings.s3_timeout_seconds
        )
    from eduportal.adapters.local.file_store import LocalObjectStore

    return LocalObjectStore(settings.data_dir)


def build_repositories(settings: Settings) -> Repositories:
    if settings.mongodb_uri:
        from eduportal.adapters.mongo import (
            MongoAccountRepository,
            MongoAnswerRepository,
            MongoAssignmentRepository,
            mongo_database,
        )

        database = mongo_database(
            settings.mongodb_uri, settings.mongodb_database, settings.db_timeout_seconds
        )
        return Repositories(
            MongoAssignmentRepository(database),
            MongoAnswerRepository(database),
            MongoAccountRepository(database),
        )
    from eduportal.adapters.local.sqlite_db import SqliteDatabase
    from eduportal.adapters.local.sqlite_repositories import (
        SqliteAccountRepository,
        SqliteAnswerRepository,
        SqliteAssignmentRepository,
    )

    sqlite = SqliteDatabase(settings.sqlite_path)
    return Repositories(
        SqliteAssignmentRepository(sqlite),
        SqliteAnswerRepository(sqlite),
        SqliteAccountRepository(sqlite),
    )


def build_generators(settings: Settings) -> Generators:
    if settings.use_bedrock:
        from eduportal.adapters.aws.bedrock import (
            BedrockEmbedder,
            BedrockImageGenerator,
            BedrockQuestionGenerator,
            BedrockSuggester,
            bedrock_runtime_client,
        )

        client = bedrock_runtime_client(settings.aws_region, settings.bedrock_timeout_seconds)
        return Generators(
            BedrockQuestionGenerator(client, settings.bedrock_text_model_id),
            BedrockImageGenerator(client, settings.bedrock_image_model_id),
            BedrockEmbedder(client, settings.bedrock_embedding_model_id),
            BedrockSuggester(client, settings.bedrock_text_model_id),
        )
    from eduportal.adapters.local.offline_embedder import OfflineEmbedder
    from eduportal.adapters.local.offline_images import OfflineImageGenerator
    from eduportal.adapters.local.offline_questions import OfflineQuestionGenerator
    from eduportal.adapters.local.offline_suggester import OfflineSuggester

    return Generators(
        OfflineQuestionGenerator(), OfflineImageGenerator(), OfflineEmbedder(), OfflineSuggester()
    )


def build(settings: Settings) -> Container:
    store = build_object_store(settings)
    repositories = build_repositories(settings)
    generators = build_generators(settings)
    image_store = ImageStore(
        store,
        build_optimizer(settings),
        public_url=settings.public_url,
        cdn_domain=settings.cloudfront_domain,
        cache_bytes=settings.image_cache_bytes,
    )
    return Container(
        settings=settings,
        object_store=store,
        repositories=repositories,
        image_store=image_store,
        accounts=AccountService(repositories.accounts, session_hours=settings.session_hours),
        assignments=AssignmentService(
            repositories.assignments,
            repositories.answers,
            image_store,
            generators.questions,
            generators.images,
        ),
        grading=GradingService(
            repositories.assignments,
            repositories.answers,
            generators.embedder,
            generators.suggester,
        ),
    )
