"""`Notifier` on SNS: one Publish per notification to the pipeline's topic.

The message is the notification's details as JSON and its attributes become String message
attributes, which is what subscription filter policies match (`outcome`, `stage`, `status`).
SNS refuses a whole publish over a subject it dislikes or an empty attribute value, and a
notification lost over its wording helps nobody, so both are made acceptable here rather than
refused: see `sns_subject`, and attributes with empty values are left out.
"""

from __future__ import annotations

import json
import unicodedata
from typing import TYPE_CHECKING, Final

from eduportal.adapters.aws.service_errors import unavailable_on_failure
from eduportal.ports import Notification

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef, PublishInputTypeDef

UNAVAILABLE: Final = "Notifications are unavailable right now. Please try again later."

SUBJECT_LIMIT: Final = 100
"""SNS's documentation says "less than 100"; SNS and moto accept 100 (getmoto/moto#1503)."""


def sns_subject(subject: str) -> str:
    """`subject` as SNS takes it everywhere: one line of printable ASCII, at most 100 characters.

    AWS's documentation has said both "ASCII" and "UTF-8 text" over the years; ASCII holds
    under either rule, and email subscribers see the subject in a header. Runs of white space
    (line breaks included) become one space, accents are dropped ("é" becomes "e"), any other
    character becomes "?", and a subject that is too long ends in "...". An empty result means
    no subject: SNS then uses its default.
    """
    text = " ".join(subject.split())
    letters = (c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    printable = "".join(c if " " <= c <= "~" else "?" for c in letters)
    if len(printable) <= SUBJECT_LIMIT:
        return printable
    return printable[: SUBJECT_LIMIT - 3].rstrip() + "..."


class SnsNotifier:
    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def notify(self, notification: Notification) -> None:
        """Raises `StorageUnavailableError`."""
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            name: {"DataType": "String", "StringValue": value}
            for name, value in notification.attributes.items()
            if value
        }
        request: PublishInputTypeDef = {
            "TopicArn": self._topic_arn,
            "Message": json.dumps(notification.message, separators=(",", ":")),
            "MessageAttributes": attributes,
        }
        if subject := sns_subject(notification.subject):
            request["Subject"] = subject
        with unavailable_on_failure(UNAVAILABLE, f"sns publish {subject!r} to {self._topic_arn}"):
            self._client.publish(**request)
