"""An image chosen in an uploader, checked the moment it is chosen.

The same optimizer as saving checks it (`AssignmentService.check_image`), so a file the save
would refuse is refused at once, in the same sentence, and the page keeps its previous image.
"""

from __future__ import annotations

import streamlit as st

from eduportal.ui.session import container


def checked_upload(key: str) -> tuple[bytes, str] | None:
    """The bytes and file name chosen in the uploader `key`; None when it was cleared.
    Raises the service's `EduportalError` for a file it would refuse."""
    upload = st.session_state.get(key)
    if upload is None:
        return None
    data: bytes = upload.getvalue()
    container().assignments.check_image(data)
    return data, str(upload.name)
