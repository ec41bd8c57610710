"""The Protocols every adapter implements. Services see only these."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from eduportal.domain.accounts import Account, Session
from eduportal.domain.alt_text import ImageContext
from eduportal.domain.assignments import Assignment
from eduportal.domain.deployment import (
    AlarmSettings,
    BucketSettings,
    DistributionSettings,
    QueueSettings,
    ScalingGroupSettings,
    StateMachineSettings,
    TableSettings,
)
from eduportal.domain.drafts import Draft
from eduportal.domain.grading import AnswerRecord, LeaderboardEntry, QuestionProgress, Score
from eduportal.domain.image_records import DayRange, ImageRecord, ImageStatus
from eduportal.domain.images import Lifecycle
from eduportal.domain.metric_snapshots import MetricsSnapshot
from eduportal.domain.scaling import GroupReading

if TYPE_CHECKING:  # Pillow is loaded by what draws pictures, not by every reader of the ports
    from eduportal.imaging.picture import Picture


@dataclass(frozen=True, slots=True)
class PutReceipt:
    key: str
    etag: str
    """Unquoted, strong: it changes whenever the bytes change."""
    size_bytes: int
    attempts: int
    """Requests it took, retries included: 1 when the first one succeeded."""
    version_id: str | None = None


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    data: bytes
    content_type: str
    etag: str
    metadata: Mapping[str, str] = field(default_factory=dict)
    cache_control: str | None = None
    attempts: int = 1


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """One stored object as a listing describes it, without its bytes."""

    key: str
    size_bytes: int
    last_modified: float
    """Seconds since the epoch (UTC) of the last write of the bytes."""
    content_type: str | None = None
    """Known from `head`; a listing does not say (S3's does not)."""
    storage_class: str = "STANDARD"
    """S3's storage class as a listing says it (`STANDARD_IA`, `GLACIER_IR` after the
    lifecycle rules moved it); files on one machine have the one class."""


class ObjectStore(Protocol):
    """Durable bytes under validated keys (files in the embedded default, S3 on AWS).

    Every method raises only `eduportal.domain.errors` types: `NotFoundError` for a missing
    key, `OperationTimeoutError` past the deadline, and so on, each with its user sentence.
    """

    backend: str
    """A short name for logs and metrics: `local`, `s3`."""

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        cache_control: str,
        metadata: Mapping[str, str] | None = None,
        lifecycle: Lifecycle = Lifecycle.AUTO,
    ) -> PutReceipt:
        """Write all of `data` under `key` or nothing: readers never see a partial object."""
        ...

    def get(self, key: str) -> StoredObject: ...

    def head(self, key: str) -> ObjectInfo:
        """Size, time and content type without the bytes: what an event about the object
        does not carry. `NotFoundError` for a missing key."""
        ...

    def delete(self, key: str) -> None:
        """Idempotent: deleting a missing key is not an error."""
        ...

    def set_lifecycle(self, key: str, lifecycle: Lifecycle) -> None: ...

    def get_lifecycle(self, key: str) -> Lifecycle: ...

    def list_keys(self, prefix: str = "") -> Iterator[str]: ...

    def list_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object whose key starts with `prefix`, read lazily: a store may hold millions.

        Objects written or deleted while the listing runs may or may not appear.
        """
        ...

    def check(self) -> None:
        """Raise when the store cannot serve requests; used by readiness probes."""
        ...


# --- Time and measurements ---------------------------------------------------------------------


class Clock(Protocol):
    """The time, as services see it: a port so tests can move it instead of sleeping."""

    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class Metrics(Protocol):
    """Counters and histograms under the stable names of ARCHITECTURE.md.

    Prometheus (`/metrics`) implements it, and with `EDUPORTAL_METRICS=emf` the same values
    also reach CloudWatch in the embedded metric format (`observability/emf_metrics.py`). Names
    and label names are fixed by the implementation's catalogue: an unknown one is a bug and
    raises `KeyError`.
    """

    def increment(self, name: str, amount: float = 1.0, **labels: str) -> None: ...

    def observe(self, name: str, value: float, **labels: str) -> None: ...

    def flush(self) -> None:
        """Publish what waits to be sent, where metrics are pushed rather than scraped: a
        Lambda calls it before its invocation ends, as the process may be frozen after."""
        ...


class AttemptCounter(Protocol):
    """Attempts per key within a moving window (failed sign-ins per account, per address).

    The service owns the rule (how many, how long); the counter only counts. In-process for
    the embedded default; a shared store makes the count hold across instances.
    """

    def retry_after(self, key: str, *, limit: int, window_seconds: int) -> float:
        """0 while fewer than `limit` attempts lie in the window, else seconds until one leaves."""
        ...

    def add(self, key: str, *, limit: int, window_seconds: int) -> None: ...

    def clear(self, key: str, *, limit: int, window_seconds: int) -> None: ...


# --- Generators -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Suggestions:
    corrected: str
    """The student's answer with spelling, capitalization and grammar fixed."""
    rephrased: str
    """The same meaning, said another way."""


class QuestionGenerator(Protocol):
    def generate(self, text: str, count: int) -> list[tuple[str, str]]:
        """`count` (question, answer) pairs drawn from `text`.

        Raises `ValidationError` when the text is too short to ask `count` questions about,
        and `GenerationError` when the generator fails or answers something unusable.
        """
        ...


class ImageGenerator(Protocol):
    source: str
    """What made the pictures, in a short phrase a page shows under a generated image, so a
    teacher knows a model's drawing from a stand-in (and what to do for a real picture)."""

    @property
    def fingerprint(self) -> str:
        """What besides the prompt decides the picture: the model and every parameter that
        changes what it draws (size, guidance, how the seed is chosen, the drawer's version).

        The generation cache keeps pictures by the prompt and this, so two generators with
        the same fingerprint must draw one prompt alike, and any change to what a generator
        draws must change its fingerprint, or the cache would serve the old drawing.
        """
        ...

    def generate(self, prompt: str) -> bytes:
        """A PNG illustrating `prompt`; raises `GenerationError`."""
        ...


@runtime_checkable
class PictureGenerator(ImageGenerator, Protocol):
    """An `ImageGenerator` that draws in this process (the offline poster) and can hand its
    picture over before encoding it, so creating an assignment does not decode what was
    encoded a moment before. A model behind an API (Bedrock) answers bytes and is a plain
    `ImageGenerator`."""

    def picture(self, prompt: str) -> Picture:
        """The picture `generate` encodes: `generate(p) == picture(p).data()`, byte for byte."""
        ...


class ImageDescriber(Protocol):
    def describe(self, image: bytes, context: ImageContext) -> str:
        """Alt text for `image` (PNG, JPEG, WebP or GIF): one sentence of what it shows and
        why it matters, within `SUGGESTED_ALT_CHARS`, never "image of" (`domain.alt_text`).

        Never raises for the model's trouble: an adapter that can fail logs it and answers a
        sentence made from `context`, since a missing description must not cost the teacher
        the image they are waiting for.
        """
        ...


class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, comparable by cosine similarity; raises `GenerationError`."""
        ...


class AnswerScorer(Protocol):
    def score(self, reference: str, answer: str) -> Score:
        """How well `answer` says what `reference` says; raises `GenerationError`."""
        ...


class AnswerSuggester(Protocol):
    def suggest(self, answer: str) -> Suggestions: ...


# --- Repositories -----------------------------------------------------------------------------


class AssignmentRepository(Protocol):
    """Assignment documents (SQLite in the embedded default, MongoDB on AWS)."""

    def add(self, assignment: Assignment) -> None:
        """Raises `ConflictError` when the id exists."""
        ...

    def get(self, assignment_id: str) -> Assignment:
        """Raises `NotFoundError`."""
        ...

    def replace(self, assignment: Assignment, *, expected_version: int) -> None:
        """Save `assignment` only if the stored version is still `expected_version`.

        Raises `ConflictError` when someone saved another version in between (compare-and-set,
        atomic in the database), `NotFoundError` when there is nothing to replace.
        """
        ...

    def delete(self, assignment_id: str, *, expected_version: int) -> bool:
        """Delete only if the stored version is `expected_version`; False when nothing exists.

        Raises `ConflictError` when another version was saved in between.
        """
        ...

    def awaiting_image(self, image_id: str) -> list[Assignment]:
        """The assignments awaiting the pipeline's image `image_id` (`image_upload` pending
        with that id), through an index: what settles them when the pipeline is done."""
        ...

    def list(
        self,
        *,
        limit: int,
        offset: int = 0,
        teacher_id: str | None = None,
        search: str | None = None,
    ) -> list[Assignment]:
        """Newest first; only `teacher_id`'s when given; with `search`, only those whose
        title, subject or prompt contains it as it is written (no character is a wildcard),
        ignoring case, Unicode letters included."""
        ...

    def count(self, *, teacher_id: str | None = None, search: str | None = None) -> int:
        """How many `list` would return with no limit."""
        ...

    def check(self) -> None: ...


class AnswerRepository(Protocol):
    """Every answer given, and each student's best per question (best score kept, top five)."""

    def record(self, answer: AnswerRecord, *, counts: bool = True) -> float:
        """Log `answer`; when it `counts`, keep it if it beats the student's best; return the best.

        It beats it with a higher score, or the same score submitted earlier, so "who got
        there first" holds even when submissions arrive out of order; a teacher's override
        only with a higher score, and the answer that beats it holds the best without one
        (the override judged the answer it was set on). An answer that does not
        count (the grading service decides which) is logged and counted as an attempt only;
        it needs an earlier counted answer to the same question.
        """
        ...

    def progress(self, assignment_id: str, question_id: str, student_id: str) -> QuestionProgress:
        """How far a student is with one question: attempts, best score, reveal, and the best
        answer with the engine that scored it and its flags."""
        ...

    def assignment_progress(self, assignment_id: str) -> dict[str, dict[str, QuestionProgress]]:
        """Every student's progress on the questions of an assignment they answered:
        student -> question id -> progress."""
        ...

    def student_progress(
        self, student_id: str, assignment_id: str | None = None
    ) -> dict[str, dict[str, QuestionProgress]]:
        """A student's progress on every question they answered, or on those of one
        assignment: assignment id -> question id -> progress."""
        ...

    def mark_revealed(
        self, assignment_id: str, question_id: str, student_id: str, at: float
    ) -> None:
        """Remember the first time the student saw the reference answer (needs an attempt)."""
        ...

    def override(
        self,
        assignment_id: str,
        question_id: str,
        student_id: str,
        score: float | None,
        *,
        by: str,
        at: float,
    ) -> tuple[QuestionProgress, QuestionProgress]:
        """Set a teacher's `score` on the student's best answer, or clear it with None
        (`QuestionProgress.overridden_by`, `.without_override`); return the progress before
        and after.

        Atomic against answers and overrides arriving meanwhile (no lost update), and logged
        with `by`, `at`, the old and the new score; clearing where there is no override changes
        and logs nothing. Raises `NotFoundError` when the student has not answered.
        """
        ...

    def leaderboard(
        self, assignment_id: str, question_id: str, limit: int
    ) -> list[LeaderboardEntry]:
        """Best scores, highest first; ties go to whoever reached the score first."""
        ...

    def delete_for_assignment(self, assignment_id: str) -> None: ...


class ImageRecordRepository(Protocol):
    """The processing pipeline's records, one per uploaded image (pipeline requirement 5)."""

    def add(self, record: ImageRecord) -> bool:
        """Store a new record; False, changing nothing, when its image id is already stored:
        duplicate events for one upload make one record."""
        ...

    def get(self, image_id: str) -> ImageRecord:
        """Raises `NotFoundError`."""
        ...

    def find_by_key(self, key: str) -> ImageRecord | None: ...

    def move(self, record: ImageRecord) -> None:
        """Store `record` only if the stored one's status may be followed by `record.status`
        (`sources_of`), checked by the database in the same write; else `ConflictError`.
        Raises `NotFoundError` when there is no such record."""
        ...

    def list(
        self,
        *,
        status: ImageStatus | None = None,
        days: DayRange | None = None,
        limit: int,
        offset: int = 0,
    ) -> list[ImageRecord]:
        """Newest upload first, optionally only one status and only uploads of `days`."""
        ...


# --- Processing pipeline: queue, events, notifications ----------------------------------------


@dataclass(frozen=True, slots=True)
class QueueMessage:
    """One delivery of a message. `receipt` names this delivery (its lease), not the message:
    after the lease runs out and the message is delivered again, only the new receipt counts."""

    message_id: str
    body: Mapping[str, Any]
    receipt: str
    receive_count: int
    """How often the message has been delivered, this delivery included."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message set aside: received too often (a poison message) or failed for good."""

    message_id: str
    body: Mapping[str, Any]
    reason: str
    receive_count: int
    dead_at: float


@dataclass(frozen=True, slots=True)
class QueueDepth:
    waiting: int
    """Visible now or after a delay."""
    in_flight: int
    """Leased to a consumer."""
    dead: int


class Queue(Protocol):
    """At-least-once delivery with leases, and a dead-letter queue beside it (SQLite in the
    embedded default, SQS with a redrive policy on AWS). Bodies are JSON objects.

    A received message is hidden for the queue's visibility timeout (its lease); a consumer
    that dies holding it loses nothing, the message is delivered again when the lease runs
    out. A message delivered more than the queue's maximum receive count goes to the
    dead letters instead, so a message that crashes every consumer stops being delivered.
    """

    backend: str

    def send(self, body: Mapping[str, Any], *, delay_seconds: float = 0.0) -> str:
        """Queue `body`; returns the message id."""
        ...

    def receive(self, *, max_messages: int = 1, wait_seconds: float = 0.0) -> list[QueueMessage]:
        """Lease up to `max_messages`, waiting up to `wait_seconds` for the first one."""
        ...

    def ack(self, message: QueueMessage) -> bool:
        """Delete the message; False, changing nothing, when this delivery's lease ran out
        (another consumer may hold it now)."""
        ...

    def release(self, message: QueueMessage, *, delay_seconds: float = 0.0) -> bool:
        """Give the lease back: delivered again after `delay_seconds`. False when the lease
        had already run out."""
        ...

    def extend(self, message: QueueMessage, seconds: float) -> bool:
        """Keep the lease `seconds` from now (a heartbeat for long work); False when lost."""
        ...

    def dead_letter(self, body: Mapping[str, Any], *, reason: str, receive_count: int) -> str:
        """Set a message aside for an operator, as the pipeline does when it fails for good;
        returns the dead letter's id."""
        ...

    def dead_letters(self, *, limit: int, offset: int = 0) -> list[DeadLetter]:
        """Oldest first."""
        ...

    def redrive(self, message_id: str) -> bool:
        """Queue the dead letter again, with a fresh receive count. False when there is no
        such dead letter (already redriven): redriving twice queues it once."""
        ...

    def depth(self) -> QueueDepth: ...


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened, as the event bus carries it (EventBridge's envelope)."""

    source: str
    """Who says so: `eduportal.pipeline`, or `aws.s3` for an object created in the bucket."""
    detail_type: str
    """What happened: `Object Created`, `Image Stage Completed`, ..."""
    detail: Mapping[str, Any]
    time: float


class EventBus(Protocol):
    """Routes events to every subscriber whose rule matches (EventBridge on AWS; on one
    machine an event log in SQLite and the subscribers called in process)."""

    def publish(self, event: Event) -> None: ...


class EventLog(Protocol):
    """The events about one image, read back for an operator. Only a bus that keeps a history
    has one: the embedded default's log in SQLite does; EventBridge delivers events and keeps
    none, so on AWS there is no `EventLog` and a face says where the events went instead."""

    def events_for(self, image_id: str, limit: int) -> list[Event]:
        """Newest first."""
        ...


@dataclass(frozen=True, slots=True)
class Notification:
    subject: str
    """One line for a person (at most 100 characters: SNS's limit)."""
    message: Mapping[str, Any]
    """The details, as JSON."""
    attributes: Mapping[str, str] = field(default_factory=dict)
    """What subscribers filter on: `outcome`, `stage`, `status`."""


class Notifier(Protocol):
    """Tells the people and systems who subscribed (SNS on AWS; a notification log in SQLite
    on one machine)."""

    def notify(self, notification: Notification) -> None: ...


class AccountRepository(Protocol):
    def add(self, account: Account) -> None:
        """Raises `ConflictError` when the user name is taken."""
        ...

    def get(self, username: str) -> Account | None: ...

    def count(self) -> int: ...

    def list_accounts(self) -> list[Account]:
        """Every account, ordered by user name."""
        ...

    def update(self, account: Account) -> bool:
        """Store `account`'s role and password hash; False when no such account exists."""
        ...

    def delete(self, username: str) -> bool:
        """Delete the account and its sessions; True when the account existed.

        Where the backend has transactions (SQLite) both go together. Elsewhere the account
        goes first, so an interruption leaves sessions of a deleted account, which never
        authenticate, rather than a live account without its sessions revoked.
        """
        ...

    def delete_sessions(self, username: str) -> int:
        """Revoke every session of `username`; return how many there were."""
        ...

    def add_session(self, session: Session) -> None:
        """Raises `ConflictError` for a token hash already stored."""
        ...

    def get_session(self, token_hash: str) -> Session | None: ...

    def delete_session(self, token_hash: str) -> None: ...


class DraftRepository(Protocol):
    """Each account's one unsaved draft (SQLite in the embedded default, MongoDB on AWS)."""

    def get(self, username: str) -> Draft | None: ...

    def save(self, username: str, draft: Draft, *, expected_version: int) -> None:
        """Store `draft` only if the stored version is still `expected_version`.

        `NO_DRAFT` (0) expects no draft and creates one. Raises `ConflictError` when the stored
        draft is at another version, or is gone (discarded meanwhile), compare-and-set in the
        database.
        """
        ...

    def delete(self, username: str) -> Draft | None:
        """Delete the draft and return it, in one atomic step; None when there was none.

        Returning what was deleted tells the caller exactly which image object lost its last
        reference, even when another tab saved just before.
        """
        ...

    def image_keys(self) -> set[str]:
        """The image key of every draft that has an image (for the reconciler)."""
        ...

    def names_image(self, key: str) -> bool:
        """Whether some draft points at `key` now: the reconciler's last check before it
        calls an object an orphan."""
        ...


# --- The metrics history (issue 9: the Operations page) ------------------------------------


class MetricsHistory(Protocol):
    """Every long-running process's metrics, snapshot by snapshot, in one place all of them
    reach: the embedded default's SQLite database. Keeps a couple of hours and forgets the
    rest; the Operations page shows the last one."""

    def append(self, snapshot: MetricsSnapshot) -> None:
        """Keep `snapshot`; snapshots older than what the history keeps may go meanwhile."""
        ...

    def since(self, at: float) -> list[MetricsSnapshot]:
        """Every snapshot taken at `at` or later, oldest first, of every process."""
        ...


# --- The scaling watch -------------------------------------------------------------------------


class ScalingGroupReader(Protocol):
    """An Auto Scaling group as it is now: size, instances, CPU, the alarms of its scaling
    policies, the target health of its instances, its recent scaling activities.

    AWS implements it (`adapters/aws/scaling_group.py`); the scaling watch polls it.
    """

    def read(self, group: str, *, now: float) -> GroupReading:
        """The group at `now` (the sample's time; CPU is read for the periods up to it).

        Raises `NotFoundError` when there is no group of that name, `PermissionDeniedError`
        when a read is refused, `StorageUnavailableError` when AWS cannot be reached.
        """
        ...


# --- The deployment check ----------------------------------------------------------------------


class DeploymentReader(Protocol):
    """A deployed stack's settings as AWS reports them (`eduportal infra check`), read-only.

    AWS implements it (`adapters/aws/deployment_reader.py`). Each method raises `NotFoundError`
    when the resource does not exist, `PermissionDeniedError` when its read is refused and
    `StorageUnavailableError` when AWS cannot be reached; a setting with a read of its own that
    fails is `Unreadable` in the reading instead, so the resource's other settings are still
    judged.
    """

    def bucket(self, name: str) -> BucketSettings: ...

    def distribution(self, distribution_id: str) -> DistributionSettings: ...

    def alarm(self, name: str, *, of_cloudfront: bool = False) -> AlarmSettings:
        """`of_cloudfront`: an alarm on CloudFront's metrics, which CloudFront publishes in
        us-east-1 only, so its alarms live there whatever the stack's region."""
        ...

    def scaling_group(self, name: str) -> ScalingGroupSettings: ...

    def state_machine(self, arn: str) -> StateMachineSettings: ...

    def queue(self, url: str) -> QueueSettings: ...

    def table(self, name: str) -> TableSettings: ...
