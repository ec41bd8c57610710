"""The UI's server: Streamlit's pages, plus the routes that set and clear the session cookie.

`eduportal serve` runs `streamlit run` on this file; Streamlit finds `app` and serves it, with
the same command-line options as a plain script.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from eduportal.ui.account_routes import ROUTES

app = st.App(Path(__file__).with_name("Home.py"), routes=ROUTES)
